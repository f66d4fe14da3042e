"""Stopping: Ctrl-C on the launcher, or a required node (the clock) failing mid-run, stops
every node on every host; nothing is left running in the namespaces but their sshd."""
import os
import signal
import subprocess

import pytest
from multihost_netns import hosts_fixture
from multihost_runs import members, node_pid, start_launch, wait_until

pytestmark = pytest.mark.system


@pytest.fixture(scope="module")
def hosts(tmp_path_factory):
    yield from hosts_fixture(tmp_path_factory)


def leftovers(hosts) -> list[str]:
    """Command lines of the processes still in the namespaces, other than their sshd."""
    out = []
    for ns, sshd in zip(hosts.ns, hosts.sshd):
        pids = subprocess.run(["ip", "netns", "pids", ns], capture_output=True, text=True).stdout.split()
        for pid in pids:
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    cmd = f.read().replace(b"\0", b" ").decode()
            except OSError:
                continue
            if int(pid) != sshd.pid and "sshd" not in cmd:
                out.append(cmd)
    return out


def test_ctrl_c_stops_every_remote_node(hosts, tmp_path):
    a, b, c = hosts.addrs
    run = tmp_path / "run"
    proc, out = start_launch(hosts, run, "--hosts", f"{a}:0,{b}:1,{c}:1", "--learner-host", c,
                             "--duration", 120, "--inference-latency", 0.02)
    try:
        wait_until(lambda: len(members(run)) == 2, 120, "2 inference nodes to join", proc, out)
        proc.send_signal(signal.SIGINT)
        try:
            rc = proc.wait(120)  # generous: in the full suite on 2 cores the stop has taken > 60 s
        except subprocess.TimeoutExpired:
            rc = None
        assert rc == 130, f"launch after SIGINT: exit {rc}; its output ends:\n{out.read_text()[-4000:]}"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()  # reaped: no Popen left for a later test's ResourceWarning
    assert "interrupted: every node stopped" in out.read_text()
    wait_until(lambda: not leftovers(hosts), 10, "the namespaces to be empty")
    assert "learner stopped after" in (run / "logs" / "learner.log").read_text()  # a graceful stop


def test_a_failed_required_node_stops_the_run(hosts, tmp_path):
    a, b, _ = hosts.addrs
    run = tmp_path / "run"
    proc, out = start_launch(hosts, run, "--hosts", f"{a}:0,{b}:2", "--duration", 120, "--inference-latency", 0.02,
                             "--clock-restarts", 0)  # a clock restarted is test_system_clock_restart's
    try:
        wait_until(lambda: len(members(run)) == 2, 120, "2 inference nodes to join", proc, out)
        os.kill(node_pid(run, "clock"), signal.SIGKILL)
        assert proc.wait(60) == 1
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    text = out.read_text()
    assert f"clock node clock on host {a} exited with code 137; stopping every node" in text
    wait_until(lambda: not leftovers(hosts), 10, "the namespaces to be empty")
