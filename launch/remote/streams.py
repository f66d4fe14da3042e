"""Launched nodes as seen by the launcher: a process per node (ssh, srun or a local shell
running ``stagger agent``), its log streamed to the terminal prefixed with host and node and
written to ``RUN_DIR/logs/<node>.log``, and an ordered stop (close the lifeline, wait, then
SIGTERM and SIGKILL the local end).
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

STOP_TIMEOUT_S = 8.0  # the agent gives its node 1 s + 5 s after the lifeline closes
_PID = re.compile(r"^stagger agent: \S+ \(\w+\) started as pid (\d+)")
_ERROR = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception): ")
_CANCELLED = re.compile(r"\*\*\* (JOB|STEP) \S+ ON \S+ CANCELLED AT .*\*\*\*")  # slurmstepd's line


class Printer:
    """Lines from many threads to one stream, whole lines only."""

    def __init__(self, stream=None, enabled: bool = True):
        self.stream = stream  # None: sys.stdout at each write (a live status may replace it)
        self.enabled = enabled
        self.lock = threading.Lock()

    def __call__(self, prefix: str, text: str) -> None:
        if not self.enabled:
            return
        stream = self.stream or sys.stdout
        with self.lock:
            stream.write(f"[{prefix}] {text}\n")
            stream.flush()


class RemoteNode:
    """One launched node. ``proc`` is the local end (ssh/srun/sh); ``pid`` the node's own pid
    on its host once the agent has said it."""

    def __init__(self, node_id: str, kind: str, host: str, argv: list[str], payload: dict,
                 log_path: Path, printer: Printer, on_pid=None):
        self.node_id, self.kind, self.host = node_id, kind, host
        self.log_path = Path(log_path)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self.printer = printer
        self.pid: int | None = None
        self.on_pid = on_pid  # called (from the log thread) with the pid once the agent says it
        self.started_at = time.monotonic()
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        self._reader = threading.Thread(target=self._pump, name=f"log-{node_id}", daemon=True)
        self._reader.start()
        try:
            self.proc.stdin.write(json.dumps(payload).encode() + b"\n")
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError):
            pass  # it died at once: the log says why, alive() says so

    def _pump(self) -> None:
        prefix = f"{self.host} {self.node_id}"
        with open(self.log_path, "ab") as log:
            for raw in iter(self.proc.stdout.readline, b""):
                log.write(raw)
                log.flush()
                text = raw.decode(errors="replace").rstrip("\r\n")
                m = _PID.match(text)
                if m:
                    self.pid = int(m.group(1))
                    if self.on_pid is not None:
                        self.on_pid(self.pid)
                self.printer(prefix, text)

    def alive(self) -> bool:
        return self.proc.poll() is None

    @property
    def returncode(self) -> int | None:
        return self.proc.poll()

    def close_lifeline(self) -> None:
        try:
            self.proc.stdin.close()
        except OSError:
            pass

    def tail(self, n: int = 15) -> str:
        self._reader.join(timeout=1.0)
        try:
            lines = self.log_path.read_text(errors="replace").strip().splitlines()
        except OSError:
            return "(no log)"
        return "\n".join(lines[-n:])

    def reason(self) -> str:
        """Slurm's line if Slurm cancelled the node's step (scancel), else the last
        error line of its log (``SomeError: what``), or ''."""
        lines = [ln.strip() for ln in self.tail(40).splitlines()]
        errors = [ln for ln in lines if _CANCELLED.search(ln)] or [ln for ln in lines if _ERROR.match(ln)]
        return errors[-1] if errors else ""

    def wait_pid(self, timeout_s: float = 30.0) -> int | None:
        deadline = time.monotonic() + timeout_s
        while self.pid is None and self.alive() and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.pid


def stop_remote(nodes: list[RemoteNode], timeout_s: float = STOP_TIMEOUT_S) -> dict[str, int]:
    """Close every node's lifeline (its agent stops it: SIGTERM, a graceful exit), wait for all
    of them together, then SIGTERM and SIGKILL the local ends still running."""
    for n in nodes:
        n.close_lifeline()
    deadline = time.monotonic() + timeout_s
    for n in nodes:
        try:
            n.proc.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            n.proc.terminate()
    for n in nodes:
        try:
            n.proc.wait(2.0)
        except subprocess.TimeoutExpired:
            n.proc.kill()
            n.proc.wait()
        n._reader.join(timeout=1.0)
    return {n.node_id: n.proc.returncode for n in nodes}
