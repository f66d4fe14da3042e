"""A fork server: one interpreter with torch, numpy, zmq and the node modules already imported,
which forks every node of a run (``stagger run --start fork``; the default is still exec).

Why: a node started as a fresh interpreter spends about a second of CPU importing torch, so 60
nodes on 2 cores took about a minute to start, and each held its own copy of torch's pages.
Forked from one warm interpreter a node starts in milliseconds, and the pages it does not
write stay shared with the server (its PSS, the memory it really costs, is a fraction).

No zmq context, socket or thread exists in the server when it forks (it only imports), so
nothing of the kind crosses a fork; every node makes its own after the fork, as a fresh
interpreter would. The server reads requests as JSON lines on stdin and answers on stdout:
``{"id", "kind", "opts", "log", "env"}`` -> ``{"id", "pid"}`` once forked, and
``{"exit": pid, "rc": code}`` when a node ends (``rc`` as ``Popen.returncode``: -N for a
signal). It exits when its stdin closes (the supervisor is gone); its nodes then see their
parent change and stop, as nodes started by exec do when the supervisor dies.
"""
from __future__ import annotations

import json
import os
import select
import signal
import sys

PRELOAD = ("numpy", "torch", "zmq", "msgpack", "stagger.protocol.codec", "stagger.nodes.runtime",
           "stagger.nodes.env", "stagger.nodes.clock", "stagger.nodes.inference", "stagger.nodes.learner",
           "stagger.nodes.sequential", "stagger.nodes.compute", "stagger.nodes.inference_agent",
           "stagger.agents.dqn", "stagger.agents.models", "stagger.agents.policy", "stagger.games.registry",
           "stagger.launch.node")


def _child(req: dict) -> None:
    """In the forked child: become the node (its own session, log, environment); never returns."""
    rc = 1
    try:
        os.setsid()
        log = os.open(req["log"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(log, 1)
        os.dup2(log, 2)
        os.closerange(3, 1 << 16)  # the server's pipes among them: its client sees their ends
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGCHLD):
            signal.signal(sig, signal.SIG_DFL)
        sys.stdin = open(os.devnull)
        sys.stdout = os.fdopen(1, "w", buffering=1)
        sys.stderr = os.fdopen(2, "w", buffering=1)
        os.environ.update(req.get("env", {}))
        from stagger.launch.node import main
        rc = int(main([req["kind"], req["opts"]]) or 0)
    except SystemExit as exc:
        rc = exc.code if isinstance(exc.code, int) else 1
        if not isinstance(exc.code, int) and exc.code is not None:
            print(exc.code, file=sys.stderr)
    except BaseException:  # noqa: BLE001 - the node's own failure, reported in its log
        import traceback
        traceback.print_exc()
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(rc)


def _reap(out) -> None:
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        out.write(json.dumps({"exit": pid, "rc": os.waitstatus_to_exitcode(status)}) + "\n")
        out.flush()


def serve() -> int:
    import gc
    import importlib
    for name in PRELOAD:
        importlib.import_module(name)
    gc.collect()
    gc.freeze()  # what the server holds stays out of the children's collections (and unwritten)
    out = os.fdopen(os.dup(1), "w", buffering=1)
    out.write(json.dumps({"ready": os.getpid()}) + "\n")
    stdin = sys.stdin.buffer
    buf = b""
    while True:
        ready, _, _ = select.select([stdin], [], [], 0.05)
        _reap(out)
        if not ready:
            continue
        chunk = os.read(stdin.fileno(), 65536)
        if not chunk:  # the supervisor is gone
            return 0
        buf += chunk
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            req = json.loads(line)
            pid = os.fork()
            if pid == 0:
                _child(req)
            out.write(json.dumps({"id": req["id"], "pid": pid}) + "\n")


# -- the supervisor's side ----------------------------------------------------------------
class ForkedProcess:
    """A node forked by the server, with the part of ``subprocess.Popen`` the supervisor uses
    (pid, poll, wait, terminate, kill, returncode). Its exit code comes from the server,
    which is its parent."""

    def __init__(self, server: "ForkServer", pid: int):
        self.server, self.pid = server, pid

    @property
    def returncode(self) -> int | None:
        return self.poll()

    def poll(self) -> int | None:
        rc = self.server.exits.get(self.pid)
        if rc is None and not self.server.alive():
            try:
                os.kill(self.pid, 0)
            except ProcessLookupError:  # the server died before it could say: unknown
                return self.server.exits.setdefault(self.pid, -1)
            except PermissionError:
                pass
        return rc

    def wait(self, timeout: float | None = None) -> int:
        import subprocess
        import time
        deadline = None if timeout is None else time.monotonic() + timeout
        with self.server.cv:
            while (rc := self.poll()) is None:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    raise subprocess.TimeoutExpired(f"pid {self.pid}", timeout)
                self.server.cv.wait(0.05 if left is None else min(left, 0.05))
        return rc

    def send_signal(self, sig: int) -> None:
        if self.poll() is None:
            try:
                os.kill(self.pid, sig)
            except ProcessLookupError:
                pass

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


class ForkServer:
    """Starts ``python -m stagger.launch.forkserver`` (a fresh interpreter, with ``env``) and
    forks nodes from it; ``close()`` ends it (after the nodes: they stop when it goes)."""

    def __init__(self, env: dict):
        import subprocess
        import threading
        self.proc = subprocess.Popen([sys.executable, "-m", "stagger.launch.forkserver"], env=env,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, start_new_session=True)
        self.cv = threading.Condition()
        self.exits: dict[int, int] = {}
        self.pids: dict[int, int] = {}
        self.ready = False
        self._next = 0
        self._reader = threading.Thread(target=self._read, name="forkserver", daemon=True)
        self._reader.start()

    def wait_ready(self, timeout_s: float = 120.0) -> None:
        """Until the server has imported what it preloads (it starts importing at once, so a
        supervisor doing other work meanwhile does not wait for it)."""
        with self.cv:
            if not self.cv.wait_for(lambda: self.ready or self.proc.poll() is not None, timeout_s) or not self.ready:
                raise RuntimeError(f"the fork server did not start (exit code {self.proc.poll()})")

    def _read(self) -> None:
        for line in self.proc.stdout:
            msg = json.loads(line)
            with self.cv:
                if "ready" in msg:
                    self.ready = True
                elif "exit" in msg:
                    self.exits[msg["exit"]] = msg["rc"]
                else:
                    self.pids[msg["id"]] = msg["pid"]
                self.cv.notify_all()
        with self.cv:
            self.cv.notify_all()

    def alive(self) -> bool:
        return self.proc.poll() is None

    def start(self, kind: str, opts_path: str, log_path: str, env: dict, timeout_s: float = 30.0) -> ForkedProcess:
        self.wait_ready()
        with self.cv:
            self._next += 1
            rid = self._next
            self.proc.stdin.write(json.dumps({"id": rid, "kind": kind, "opts": opts_path, "log": log_path,
                                              "env": env}).encode() + b"\n")
            self.proc.stdin.flush()
            if not self.cv.wait_for(lambda: rid in self.pids or not self.alive(), timeout_s) or rid not in self.pids:
                raise RuntimeError(f"the fork server did not start the {kind} node (exit code {self.proc.poll()})")
            return ForkedProcess(self, self.pids.pop(rid))

    def close(self, timeout_s: float = 5.0) -> None:
        import subprocess
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._reader.join(timeout=2.0)  # EOF once the server and every node it forked are gone
        if not self._reader.is_alive():
            self.proc.stdout.close()


if __name__ == "__main__":
    sys.exit(serve())
