"""The launcher's plumbing without other hosts: ssh command lines, pre-flight messages, the
connection file, the agent's files, and a whole launch on localhost (loopback, CurveZMQ as off it)."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from stagger.launch.remote import connection
from stagger.launch.remote.agent import write_files
from stagger.launch.remote.transport import LaunchError, Transport, check_hosts, explain_check
from stagger.nodes.options import InferenceOptions, LearnerOptions, OptionsError

ROOT = Path(__file__).resolve().parent.parent


def test_ssh_command_line_is_batch_mode_with_the_users_config():
    t = Transport("ssh", remote_cmd="/opt/venv/bin/stagger", ssh_config="/tmp/cfg", ssh_options=("Port=2222",))
    assert t.agent_argv("gpu01", "inf00") == [
        "ssh", "-o", "BatchMode=yes", "-o", "ConnectTimeout=10", "-o", "ServerAliveInterval=5",
        "-o", "ServerAliveCountMax=6", "-F", "/tmp/cfg", "-o", "Port=2222", "gpu01", "/opt/venv/bin/stagger agent"]
    assert Transport().check_argv("localhost") == ["sh", "-c", "stagger --version"]  # no ssh to ourselves
    with pytest.raises(ValueError, match="allowed: ssh, slurm"):
        Transport("rsh")


def test_preflight_messages_say_what_to_do():
    t = Transport("ssh")
    unreachable = explain_check(t, "gpu9", 255, "ssh: connect to host gpu9 port 22: No route to host\n")
    assert "gpu9 is unreachable over ssh: ssh: connect to host gpu9 port 22: No route to host" in unreachable
    assert "BatchMode=yes gpu9 true" in unreachable
    missing = explain_check(t, "gpu9", 127, "bash: line 1: stagger: command not found\n")
    assert missing.startswith("stagger is missing on host gpu9") and "--remote-cmd" in missing
    assert explain_check(t, "gpu9", 0, "stagger, version 0.1.0") is None


def test_preflight_on_a_host_without_stagger_fails_fast():
    with pytest.raises(LaunchError, match="stagger is missing on host localhost"):
        check_hosts(Transport(remote_cmd="/nonexistent/stagger"), ["localhost"], timeout_s=10)
    ok = check_hosts(Transport(remote_cmd=f"cd {ROOT} && exec {sys.executable} -m stagger.launch.cli"), ["localhost"])
    assert "version" in ok["localhost"]


def test_connection_file_round_trip_and_node_options(tmp_path):
    eps = {"stats": "tcp://10.0.0.9:5006", "obs": "tcp://10.0.0.1:5000", "actions": "tcp://10.0.0.1:5001",
           "experience": "tcp://10.0.0.1:5002", "ticks": "tcp://10.0.0.1:5003", "control": "tcp://10.0.0.1:5004",
           "weights": "tcp://10.0.0.3:5005"}
    (tmp_path / "keys").mkdir()
    doc = connection.make("abc", eps, security={"mechanism": "curve", "server_public": "S", "client_public": "C",
                                                "keys_dir": str(tmp_path / "keys")},
                          kinds={"inference": InferenceOptions(game="catcher", fps=59.7275),
                                 "learner": LearnerOptions(checkpoint_every=7)},
                          launcher_address="10.0.0.9", placement={})
    path = connection.write(tmp_path / "connection.json", doc)
    assert path.stat().st_mode & 0o077 == 0
    conn = connection.read(path)
    assert conn["ports"]["weights"] == 5005 and conn["addresses"]["obs"] == "10.0.0.1"
    inf = connection.node_opts(conn, "inference", "hand01", "/tmp/r")
    assert isinstance(inf, InferenceOptions)
    assert inf.connect == eps and inf.game == "catcher" and inf.fps == 59.7275 and inf.run_id == "abc"
    assert inf.security == "curve" and inf.keys_dir == str(tmp_path / "keys") and inf.ports == {}
    learner = connection.node_opts(conn, "learner", "learner", "/tmp/r")
    assert learner.bind_host == "10.0.0.3" and learner.ports == {"weights": 5005}
    assert learner.checkpoint_every == 7
    with pytest.raises(connection.ConnectionFileError, match="no options for clock nodes"):
        connection.node_opts(conn, "clock", "c", "/tmp/r")
    conn["kinds"]["learner"]["chekpoint_every"] = 3  # a misspelt key in the file is an error, not a default
    with pytest.raises(OptionsError, match="did you mean 'checkpoint_every'"):
        connection.node_opts(conn, "learner", "learner", "/tmp/r")
    with pytest.raises(connection.ConnectionFileError, match="--keys DIR"):
        connection.node_opts(conn, "inference", "x", "/tmp/r", keys=str(tmp_path / "nope"))
    (tmp_path / "bad.json").write_text("{}")
    with pytest.raises(connection.ConnectionFileError, match="not a stagger connection file"):
        connection.read(tmp_path / "bad.json")


def test_agent_writes_private_files_once(tmp_path):
    write_files(tmp_path, {"keys/client.key_secret": "secret", "connection.json": "{}"})
    f = tmp_path / "keys" / "client.key_secret"
    assert f.read_text() == "secret" and f.stat().st_mode & 0o077 == 0
    before = f.stat().st_mtime_ns
    write_files(tmp_path, {"keys/client.key_secret": "secret"})  # a shared file system: left alone
    assert f.stat().st_mtime_ns == before


@pytest.mark.system
def test_launch_on_localhost_streams_prefixed_logs_and_writes_the_run(tmp_path):
    run = tmp_path / "run"
    p = subprocess.run([sys.executable, "-m", "stagger.launch.cli", "launch", "--hosts", "localhost:3",
                        "--remote-cmd", f"cd {ROOT} && exec {sys.executable} -m stagger.launch.cli", "--run-dir", str(run),
                        "--duration", "3", "--inference-latency", str(1.5 / 59.7275), "--no-learner"],
                       cwd=ROOT, capture_output=True, text=True, timeout=180)
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    summary = json.loads(p.stdout[p.stdout.rindex("\n{") + 1:])
    assert summary["coverage"] >= 0.8 and summary["inference_nodes"] == 3  # 3 for 1.5 frames: slack for a loaded CI
    assert "[localhost inf01] stagger agent: inf01 (inference) started as pid" in p.stdout
    assert "security CurveZMQ (loopback)" in p.stdout  # other users of this machine reach 127.0.0.1
    conn = json.loads((run / "connection.json").read_text())
    assert conn["security"]["mechanism"] == "curve" and conn["security"]["keys_dir"] == str(run / "keys")
    assert all(ep.startswith("tcp://127.0.0.1:") for ep in conn["endpoints"].values())
    recorded = json.loads((run / "pids.json").read_text())  # the pid each agent reported, by node
    assert set(recorded) == {"env", "clock", "inf00", "inf01", "inf02"}, recorded
    for node in ("env", "clock", "inf00", "inf01"):
        log = (run / "logs" / f"{node}.log").read_text()
        assert f"started as pid {recorded[node]['pid']} " in log, (node, recorded[node])
        assert recorded[node]["host"] == "localhost" and recorded[node]["restarts"] == 0
