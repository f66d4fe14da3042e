"""A launch that cannot work fails fast with a message that says what to do: an unreachable
host, a host without stagger, a port already in use."""
import subprocess
import sys
import time

import pytest
from multihost_netns import hosts_fixture
from multihost_runs import ROOT, launch_argv

pytestmark = pytest.mark.system


@pytest.fixture(scope="module")
def hosts(tmp_path_factory):
    yield from hosts_fixture(tmp_path_factory)


def launch(hosts, tmp_path, *args, remote_cmd=None):
    argv = launch_argv(hosts, tmp_path / "run", "--duration", 5, *args)
    if remote_cmd:
        argv[argv.index("--remote-cmd") + 1] = remote_cmd
    t0 = time.monotonic()
    p = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=120)
    return p, time.monotonic() - t0


def test_unreachable_host(hosts, tmp_path):
    a = hosts.addrs[0]
    nobody = f"10.213.{hosts.s}.77"  # in the subnet, no such host
    p, took = launch(hosts, tmp_path, "--hosts", f"{a}:0,{nobody}:2")
    assert p.returncode != 0
    assert f"host {nobody} is unreachable over ssh" in p.stderr, p.stderr
    assert "BatchMode=yes" in p.stderr and took < 30
    assert not (tmp_path / "run" / "logs").exists()  # nothing was started


def test_host_without_stagger(hosts, tmp_path):
    a, b, _ = hosts.addrs
    p, took = launch(hosts, tmp_path, "--hosts", f"{a}:0,{b}:1", remote_cmd="/opt/no-such-venv/bin/stagger")
    assert p.returncode != 0
    assert f"stagger is missing on host {a}" in p.stderr and f"stagger is missing on host {b}" in p.stderr
    assert "--remote-cmd" in p.stderr and took < 30


def test_port_in_use(hosts, tmp_path):
    a, b, _ = hosts.addrs
    base = 47100
    holder = hosts.popen(0, [sys.executable, "-c", "import socket, time; s = socket.socket(); "
                             f"s.bind(('{a}', {base})); s.listen(); print('ready', flush=True); time.sleep(120)"],
                         stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        p, took = launch(hosts, tmp_path, "--hosts", f"{a}:0,{b}:1", "--base-port", base, "--no-learner")
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()
    assert p.returncode != 0
    assert f"env node env on host {a} exited" in p.stderr, p.stderr[-3000:]
    assert f"cannot bind obs on {a}:{base}" in p.stderr and "already in use" in p.stderr
    assert took < 90
