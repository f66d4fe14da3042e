"""Node processes: start with a log file each, stop in order (TERM, then KILL)."""
from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

STOP_TIMEOUT_S = 5.0
TAIL_LINES = 15
_ERROR = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception): ")


@dataclass
class NodeProcess:
    node_id: str
    kind: str
    proc: subprocess.Popen  # or a launch.forkserver.ForkedProcess (the same methods)
    log_path: Path
    host: str = field(default_factory=socket.gethostname)

    def alive(self) -> bool:
        return self.proc.poll() is None

    @property
    def returncode(self) -> int | None:
        return self.proc.poll()

    def tail(self, n: int = TAIL_LINES) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").strip().splitlines()[-n:])
        except OSError:
            return "(no log)"

    def reason(self) -> str:
        """The last error line of its log (``SomeError: what``), or ''."""
        errors = [ln.strip() for ln in self.tail(40).splitlines() if _ERROR.match(ln.strip())]
        return errors[-1] if errors else ""


def exit_line(n) -> str:
    """``KIND node ID on host HOST exited with code C (its last error line)``: a local
    NodeProcess or a launched RemoteNode (launch/remote/streams.py), which have the same face."""
    why = n.reason()
    return (f"{n.kind} node {n.node_id} on host {n.host} exited with code {n.returncode}"
            + (f" ({why})" if why else ""))


def exit_report(n, consequence: str = "stopping every node") -> str:
    """What a run that fails because node ``n`` exited says: who, where, the code, what
    follows and the last lines of its log."""
    return f"{exit_line(n)}; {consequence}. Last lines of {n.log_path}:\n{n.tail()}"


def node_env() -> dict:
    """The environment of a node process: one thread per math library, unbuffered output, and
    the checkout on the path."""
    env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", PYTHONUNBUFFERED="1")
    root = str(Path(__file__).resolve().parent.parent)
    env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "") if env.get("PYTHONPATH") else root
    return env


def start_node(kind: str, opts, run_dir: Path, server=None) -> NodeProcess:
    """Start ``python -m stagger.launch.node KIND OPTS`` (``opts``: the node's nodes.options object,
    written to ``nodes/<node>.json``) with stdout/stderr to ``logs/<node>.log``; forked from
    ``server`` (launch.forkserver.ForkServer) if given, else a fresh interpreter."""
    from stagger.nodes.options import to_dict
    node_id = opts.node_id
    (run_dir / "nodes").mkdir(parents=True, exist_ok=True)
    (run_dir / "logs").mkdir(parents=True, exist_ok=True)
    opts_path = run_dir / "nodes" / f"{node_id}.json"
    opts_path.write_text(json.dumps(to_dict(opts), indent=1))
    log_path = run_dir / "logs" / f"{node_id}.log"
    if server is not None:
        return NodeProcess(node_id, kind, server.start(kind, str(opts_path), str(log_path), {}), log_path)
    env = node_env()
    with open(log_path, "ab") as log:
        proc = subprocess.Popen([sys.executable, "-m", "stagger.launch.node", kind, str(opts_path)],
                                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                env=env, start_new_session=True)
    return NodeProcess(node_id, kind, proc, log_path)


def stop_nodes(nodes: list[NodeProcess], timeout_s: float = STOP_TIMEOUT_S) -> dict[str, int]:
    """SIGTERM every node, wait, SIGKILL what is left. Returns exit codes by node."""
    for n in nodes:
        if n.alive():
            n.proc.terminate()
    deadline = time.monotonic() + timeout_s
    codes = {}
    for n in nodes:
        try:
            codes[n.node_id] = n.proc.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            n.proc.kill()
            codes[n.node_id] = n.proc.wait()
    return codes
