"""A default single-machine run (`stagger run`'s defaults: ipc in a private 0700 directory) is
out of reach of another user: a client running as `nobody` connects to every endpoint of the
run's config.json and receives nothing, and nothing it sends arrives (no action applied, no
Hello answered, no Stats taken). The same client as the run's own user, watching only,
receives observations and ticks: the endpoints are live, only the user differs.

The same run checks RUN_DIR/pids.json: every node with its pid and host, and a node signalled
by the pid found there (SIGSTOP for 2.5 s, then SIGCONT) is dropped by the clock and rejoins.
"""
import json
import os
import pwd
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from supervised import SupervisedRun

from stagger.launch import pids
from stagger.launch.run import RunConfig

pytestmark = pytest.mark.system
CLIENT = Path(__file__).with_name("intruder_client.py")
FPS = 59.7275


def _client(endpoints: dict, seconds: float, *extra: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, str(CLIENT), json.dumps(endpoints), str(seconds), *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _result(proc: subprocess.Popen) -> dict:
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    return json.loads(out.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    if os.geteuid() != 0:
        pytest.skip("needs root: the intruder runs as another user (nobody), which only root can switch to")
    try:
        nobody = pwd.getpwnam("nobody")
    except KeyError:
        pytest.skip("no user 'nobody' on this machine to play the intruder")
    run_dir = tmp_path_factory.mktemp("intruder") / "run"
    cfg = RunConfig(inference_nodes=3, inference_latency=1.5 / FPS, duration=10.0, run_dir=str(run_dir),
                    join_timeout_s=120.0)  # the default transport (ipc) and a learner: every channel
    sup = SupervisedRun(cfg)
    sup.wait_for(run_dir / "config.json", 150)
    endpoints = json.loads((run_dir / "config.json").read_text())["endpoints"]
    intruder = _client(endpoints, 5.0, str(nobody.pw_uid), str(nobody.pw_gid))
    watcher = _client(endpoints, 5.0, "--passive")  # the run's own user, only listening
    pid = pids.read(run_dir)["inf01"]["pid"]
    os.kill(pid, signal.SIGSTOP)  # by the pid pids.json gives: past the clock's 1 s timeout
    time.sleep(2.5)
    os.kill(pid, signal.SIGCONT)
    found = {"intruder": _result(intruder), "watcher": _result(watcher), "endpoints": endpoints,
             "pids": pids.read(run_dir), "nobody": nobody.pw_uid}
    result = sup.join(180)
    assert "summary" in result, result
    found["details"] = json.loads((run_dir / "details.json").read_text())
    found["metrics"] = (run_dir / "metrics.jsonl").read_text()
    found["run_dir"] = run_dir
    return found


def test_every_endpoint_is_a_unix_socket_in_a_private_directory(run):
    eps = run["endpoints"]
    assert {"obs", "actions", "experience", "ticks", "control", "weights", "stats", "monitor"} <= set(eps)
    assert all(ep.startswith("ipc://") for ep in eps.values()), eps
    dirs = {os.path.dirname(ep[len("ipc://"):]) for ep in eps.values()}
    assert len(dirs) == 1, dirs  # one directory per run, short whatever the run directory's length
    assert not os.path.exists(dirs.pop())  # removed at the end of the run


def test_another_user_receives_nothing_and_nothing_it_sends_arrives(run):
    intruder, watcher = run["intruder"], run["watcher"]
    assert intruder["uid"] == run["nobody"]
    assert set(intruder["received"]) == set(run["endpoints"]) and not intruder["connect_errors"]  # every one
    assert sum(intruder["received"].values()) == 0, intruder  # no obs, tick, weights, experience, Welcome
    # what zmq queued locally (a connecting socket queues before it is connected) never arrived:
    assert intruder["sent"]["actions"] > 0 and intruder["sent"]["control"] > 0, intruder
    d = run["details"]
    senders = d["env"]["received"]["actions"]["senders"]
    assert set(senders) == {"inf00", "inf01", "inf02"}, senders  # no action from it reached the env
    assert d["env"]["rejected"] == {} and d["env"]["bad_action"] == 0
    assert "intruder" not in d["nodes"] and all(e.get("node") != "intruder" for e in d["clock_events"])
    assert '"node": "intruder"' not in run["metrics"]  # no Stats of its own reached the supervisor
    # the run's own user, on the same endpoints, hears the run: they were live all along
    assert watcher["received"]["obs"] > 50 and watcher["received"]["ticks"] > 0, watcher


def test_pids_json_names_every_node_and_a_node_signalled_by_its_pid_is_dropped_and_rejoins(run):
    p = run["pids"]
    assert set(p) == {"env", "learner", "clock", "inf00", "inf01", "inf02"}, p
    assert all(e["restarts"] == 0 and e["host"] and e["pid"] > 0 for e in p.values()), p
    assert len({e["pid"] for e in p.values()}) == len(p)
    inf01 = run["details"]["nodes"]["inf01"]
    assert inf01["drops"] >= 1 and inf01["joins"] >= 2, inf01  # stopped by its pid, then back
