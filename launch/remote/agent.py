"""``stagger agent``: the remote end of a launched node (started by ssh or srun).

It reads one JSON line from stdin: ``{"kind", "node_id", "run_dir", "opts", "files"}`` (``opts``:
the JSON form of the node's nodes.options, checked before anything is written),
writes the files (the connection file, the keys a node needs; 0600) under the run directory
of this host, resolves ``"auto"`` addresses (this host's address on the route to the
launcher), and runs ``python -m stagger.launch.node KIND OPTS.json`` with its output on this
process's stdout, which the launcher streams. Stdin stays open as a lifeline: when it closes
(the launcher stops the node, or the launcher or the connection to it died) the node gets
SIGTERM, then SIGKILL after ``STOP_TIMEOUT_S``. The node stops by itself if the agent dies.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import uuid
from pathlib import Path

STOP_TIMEOUT_S = 5.0
EXIT_GRACE_S = 1.0


def write_files(run_dir: Path, files: dict[str, str]) -> None:
    """Write each file (path relative to ``run_dir``) with mode 0600, atomically; a file that
    already holds the same text (a shared file system) is left alone."""
    for rel, text in files.items():
        path = run_dir / rel
        if path.exists() and path.read_text() == text:
            continue
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.replace(tmp, path)


def resolve_addresses(opts):
    """``"auto"`` bind/advertise hosts become this host's address towards the launcher."""
    from dataclasses import replace

    from stagger.launch.remote.transport import route_source
    auto = [key for key in ("bind_host", "advertise_host") if getattr(opts, key) == "auto"]
    return replace(opts, **dict.fromkeys(auto, route_source(opts.launcher_address))) if auto else opts


def main(stdin=None) -> int:
    stdin = stdin or sys.stdin.buffer
    line = stdin.readline()
    if not line:
        print("stagger agent: no payload on stdin (it is started by stagger launch)", flush=True)
        return 2
    from stagger.nodes.options import OptionsError, load, to_dict
    payload = json.loads(line)
    kind, node_id = payload["kind"], payload["node_id"]
    try:
        opts = load(kind, payload["opts"])
    except OptionsError as exc:
        print(f"stagger agent: {node_id}: {exc}", flush=True)
        return 2
    run_dir = Path(payload["run_dir"])
    (run_dir / "nodes").mkdir(parents=True, exist_ok=True)
    write_files(run_dir, payload.get("files", {}))
    opts = resolve_addresses(opts)
    opts_path = run_dir / "nodes" / f"{node_id}.json"
    write_files(run_dir, {f"nodes/{node_id}.json": json.dumps(to_dict(opts), indent=1)})

    env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", PYTHONUNBUFFERED="1")
    root = str(Path(__file__).resolve().parent.parent)
    env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    child = subprocess.Popen([sys.executable, "-m", "stagger.launch.node", kind, str(opts_path)],
                             stdin=subprocess.DEVNULL, stderr=subprocess.STDOUT, env=env)
    print(f"stagger agent: {node_id} ({kind}) started as pid {child.pid} on {os.uname().nodename}, "
          f"address {opts.bind_host}", flush=True)

    stop = threading.Event()

    def _lifeline():  # raw reads: a daemon thread blocked in a buffered read breaks interpreter exit
        fd = stdin.fileno()
        while os.read(fd, 4096):
            pass
        stop.set()

    threading.Thread(target=_lifeline, daemon=True).start()
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, lambda *_: stop.set())
    while child.poll() is None and not stop.wait(0.2):
        pass
    terminated = False
    if child.poll() is None:
        try:  # a node already stopping (the clock's Stop reached it first) finishes on its own
            child.wait(EXIT_GRACE_S)
        except subprocess.TimeoutExpired:
            terminated = True
            child.terminate()
            try:
                child.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                print(f"stagger agent: {node_id} did not stop within {STOP_TIMEOUT_S:.0f} s: killed", flush=True)
                child.kill()
                child.wait()
    rc = child.returncode
    if rc == -signal.SIGTERM and terminated:
        # asked to stop and stopped: the SIGTERM it was sent came after its handlers were
        # restored (interpreter shutdown), so the default action ended it; not a failure
        print(f"stagger agent: {node_id} stopped by the agent's SIGTERM while shutting down", flush=True)
        return 0
    if rc < 0:
        print(f"stagger agent: {node_id} was killed by {signal.Signals(-rc).name}", flush=True)
        return 128 - rc
    return rc


if __name__ == "__main__":
    sys.exit(main())
