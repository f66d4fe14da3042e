"""`stagger launch` over ssh across three network namespaces (real hosts on one machine):
env+clock on one, inference nodes on another, the learner on the third; CurveZMQ refuses
clients without the run's keys; with --insecure a plain client would receive."""
import json
import subprocess
import sys
from pathlib import Path

import pytest
import zmq
from multihost_netns import hosts_fixture
from multihost_runs import FAILED, abort, finish, members, probe, start_launch, wait_until

from stagger.nodes.security import CurveKeys

pytestmark = pytest.mark.system

LATENCY = 2.5 / 59.7275  # a simulated 2.5-frame model: 3 staggered nodes cover every frame
DURATION = 15  # the issue asks 30 s; 15 s keeps CI short and measures ~900 frames
# exp_time: on this shared VM one stall (measured: a 36 ms hiccup of every process at once)
# makes max_time's maximum jump and costs seconds of coverage; this test is about the hosts
SUMMARY_KEYS = {"mode", "algorithm", "inference_nodes", "inference_latency_s", "frames", "action_slots",
                "fresh_actions", "coverage", "action_delay_frames", "interval_jitter_ms", "env_lateness_ms",
                "overhead_ms", "inference_real_ms", "inference_ms", "dropped", "learner_updates", "episodes", "mean_return",
                "experience"}


@pytest.fixture(scope="module")
def hosts(tmp_path_factory):
    yield from hosts_fixture(tmp_path_factory)


def test_launch_over_ssh_on_three_hosts_covers_the_frames_and_refuses_strangers(hosts, tmp_path):
    a, b, c = hosts.addrs
    run = tmp_path / "run"
    proc, out = start_launch(hosts, run, "--hosts", f"{a}:0,{b}:3,{c}:0", "--env-host", a, "--learner-host", c,
                             "--duration", DURATION, "--inference-latency", LATENCY, "--seed", 1,
                             "--algorithm", "exp_time")
    try:
        wait_until(lambda: len(members(run)) == 3, 120, "3 inference nodes to join", proc, out)
        conn = json.loads((run / "connection.json").read_text())
        obs = conn["endpoints"]["obs"]
        plain = probe(obs)  # no keys at all
        pub, sec = zmq.curve_keypair()

        def stranger(sock):  # knows the server's public key, has its own client key
            sock.curve_serverkey = conn["security"]["server_public"].encode()
            sock.curve_publickey, sock.curve_secretkey = pub, sec
        foreign = probe(obs, stranger)
        own = probe(obs, CurveKeys.load(conn["security"]["keys_dir"]).client)
        # `stagger top --connection` (not a terminal: the panel as text), until the run is done
        top_out = open(tmp_path / "top.txt", "w")
        top = subprocess.Popen([Path(sys.executable).parent / "stagger", "top", "--connection",
                                run / "connection.json"], stdout=top_out, stderr=subprocess.STDOUT)
    except BaseException:
        abort(proc)
        raise
    s = finish(proc, out)
    try:
        top.wait(30)
    finally:
        top.kill()
        top_out.close()
    seen = (tmp_path / "top.txt").read_text()
    assert f"stagger top {conn['endpoints']['monitor']}" in seen and "| done" in seen, seen
    for node, kind, host in (("env", "env", a), ("learner", "learner", c), ("inf00", "inference", b),
                             ("inf02", "inference", b)):  # node, kind, host: as the nodes report them
        assert any(line.split()[:3] == [node, kind, host] for line in seen.splitlines()), (node, seen)
    text = out.read_text()
    print("multihost summary:", json.dumps(s))

    assert plain[0] == 0 and plain[1] & FAILED and zmq.EVENT_HANDSHAKE_SUCCEEDED not in plain[1]
    assert foreign[0] == 0 and zmq.EVENT_HANDSHAKE_FAILED_AUTH in foreign[1]
    assert own[0] > 0  # the port works for the run's own keys
    assert "ZAP refused a client" in (run / "logs" / "env.log").read_text()

    assert set(s) == SUMMARY_KEYS
    assert s["coverage"] >= 0.8, s  # generous: 1.0 on a quiet machine, 0.91 seen under load; sequential ~0.24
    assert s["dropped"] == 0 and s["learner_updates"] > 0 and s["inference_nodes"] == 3
    assert s["action_delay_frames"]["p50"] == 3
    assert json.loads((run / "summary.json").read_text()) == s

    assert conn["security"]["mechanism"] == "curve"
    for ch in ("obs", "actions", "experience", "ticks", "control"):
        assert conn["addresses"][ch] == a
    assert conn["addresses"]["weights"] == c and conn["addresses"]["stats"] == hosts.launcher_address
    details = json.loads((run / "details.json").read_text())
    nodes = {n: d for n, d in details["nodes"].items() if d["fresh_actions"]}
    assert set(nodes) == {"inf00", "inf01", "inf02"} and all(d["host"] == b for d in nodes.values())
    assert sum(d["coverage_share"] for d in nodes.values()) == pytest.approx(1.0)
    assert details["experience"]["unaccounted"] == 0 and details["experience"]["missed"] == 0
    for node, host in (("env", a), ("clock", a), ("learner", c), ("inf00", b), ("inf02", b)):
        assert f"[{host} {node}] stagger agent: {node} " in text
        assert "started as pid" in (run / "logs" / f"{node}.log").read_text()


def test_insecure_launch_warns_and_a_plain_client_receives(hosts, tmp_path):
    a, b, _ = hosts.addrs
    run = tmp_path / "run"
    proc, out = start_launch(hosts, run, "--hosts", f"{a}:0,{b}:1", "--insecure", "--no-learner",
                             "--duration", 3, "--inference-latency", 0.01)
    try:
        wait_until(lambda: len(members(run)) == 1, 120, "the inference node to join", proc, out)
        conn = json.loads((run / "connection.json").read_text())
        plain = probe(conn["endpoints"]["obs"])
    except BaseException:
        abort(proc)
        raise
    finish(proc, out)
    assert conn["security"] == {"mechanism": "none"}
    assert plain[0] > 0 and zmq.EVENT_HANDSHAKE_SUCCEEDED in plain[1]
    assert "WARNING: --insecure" in out.read_text()
