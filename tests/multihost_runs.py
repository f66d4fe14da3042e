"""Helpers of the multi-host system tests: start `stagger launch` against the namespaces of
``multihost_netns.Hosts``, watch its run directory, measure coverage between two moments (one
machine: the env's monotonic clock is the test's), and probe a node's port as a stranger."""
from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import zmq
from zmq.utils.monitor import recv_monitor_message

ROOT = Path(__file__).resolve().parent.parent
REMOTE_CMD = f"cd {ROOT} && exec {sys.executable} -m stagger.launch.cli"


def launch_argv(hosts, run_dir: Path, *args) -> list[str]:
    return [sys.executable, "-m", "stagger.launch.cli", "launch", "--ssh-config", str(hosts.ssh_config),
            "--remote-cmd", REMOTE_CMD, "--run-dir", str(run_dir), "--join-timeout", "150", *map(str, args)]


def start_launch(hosts, run_dir: Path, *args) -> tuple[subprocess.Popen, Path]:
    out = run_dir.parent / f"{run_dir.name}.out"
    f = open(out, "w")
    proc = subprocess.Popen(launch_argv(hosts, run_dir, *args), cwd=ROOT, stdout=f, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL)
    f.close()
    return proc, out


def clock_stats(run_dir: Path) -> list[dict]:
    path = run_dir / "metrics.jsonl"
    if not path.exists():
        return []
    out = []
    for line in path.read_text().splitlines():
        try:
            rec = json.loads(line)
        except ValueError:
            continue  # a line being written
        if rec.get("kind") == "clock":
            out.append(rec)
    return out


def wait_until(pred, timeout_s: float, what: str, proc: subprocess.Popen | None = None, out: Path | None = None):
    deadline = time.monotonic() + timeout_s
    while not pred():
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"launch exited ({proc.returncode}) waiting for {what}:\n"
                                 + (out.read_text()[-4000:] if out else ""))
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}" + (f":\n{out.read_text()[-4000:]}" if out else ""))
        time.sleep(0.1)


def members(run_dir: Path) -> list[str]:
    stats = clock_stats(run_dir)
    return stats[-1]["members"] if stats else []


def node_pid(run_dir: Path, node_id: str) -> int:
    """The node's pid on its host, from RUN_DIR/pids.json (checked against its agent's log line)."""
    pid = json.loads((run_dir / "pids.json").read_text())[node_id]["pid"]
    log = (run_dir / "logs" / f"{node_id}.log").read_text()
    logged = [int(line.split("started as pid ")[1].split()[0]) for line in log.splitlines()
              if "started as pid " in line]
    assert logged and logged[-1] == pid, (node_id, pid, logged)
    return pid


def coverage_between(run_dir: Path, t0: float, t1: float) -> float:
    """Coverage of the frames that started in [t0, t1) (time.monotonic(): one machine)."""
    with np.load(run_dir / "env_frames.npz") as z:
        start, fresh = z["start"], z["fresh"]
    sel = (start >= t0) & (start < t1)
    return float(fresh[sel].mean()) if sel.any() else float("nan")


def abort(proc: subprocess.Popen) -> None:
    """Stop a launch as Ctrl-C does (it stops its nodes), after a failed test."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(40)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def finish(proc: subprocess.Popen, out: Path, timeout_s: float = 120) -> dict:
    rc = proc.wait(timeout_s)
    text = out.read_text()
    assert rc == 0, text[-6000:]
    return json.loads(text[text.rindex("\n{") + 1:])


FAILED = {zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL, zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL,
          zmq.EVENT_HANDSHAKE_FAILED_AUTH}


def probe(endpoint: str, setup=None, publish=None, wait_s: float = 1.5) -> tuple[int, set]:
    """Subscribe to ``endpoint`` for ``wait_s`` (calling ``publish()`` meanwhile): the number of
    messages received and the handshake events seen."""
    ctx = zmq.Context()
    sub = ctx.socket(zmq.SUB)
    sub.linger = 0
    sub.setsockopt(zmq.SUBSCRIBE, b"")
    if setup:
        setup(sub)
    mon = sub.get_monitor_socket(zmq.EVENT_HANDSHAKE_SUCCEEDED | zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL
                                 | zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL | zmq.EVENT_HANDSHAKE_FAILED_AUTH)
    sub.connect(endpoint)
    got, events = 0, set()
    deadline = time.monotonic() + wait_s
    try:
        while time.monotonic() < deadline:
            if publish:
                publish()
            if sub.poll(20):
                sub.recv_multipart()
                got += 1
            while mon.poll(0):
                events.add(recv_monitor_message(mon)["event"])
    finally:
        sub.disable_monitor()
        mon.close(linger=0)
        sub.close(linger=0)
        ctx.term()
    return got, events
