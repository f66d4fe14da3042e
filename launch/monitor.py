"""Watching a run from the supervisor's side: what `stagger top`, the live panel of
`stagger run` and TensorBoard are fed from.

The nodes push their Stats to the supervisor alone (``stats`` is PUSH -> PULL: a second
puller would take messages away from it, not copy them). So the supervisor re-publishes
every Stats it receives, unchanged, on a PUB of its own (channel ``monitor``), plus a "run"
Stats of its own (every node's kind, host and state; the phase; time left), and writes the
endpoint to ``RUN_DIR/monitor.json``. Why this and not a SUB on the nodes or a tail of
``metrics.jsonl``: no node changes or gains a socket, so the realtime path (env, inference)
never sees a watcher; a PUB with no subscriber discards at once and drops for a slow one at
its HWM, never waiting, so a watcher cannot slow the supervisor either; and it works from
another machine (with the run's CurveZMQ keys), which a file on the launcher's disk does not.
"""
from __future__ import annotations

import json
import socket
import time
from pathlib import Path

import zmq

from stagger.measure.live import LiveState, render
from stagger.nodes.core import Out
from stagger.protocol import codec
from stagger.protocol.messages import Stats

RUN_EVERY_S = 0.25  # how often the "run" Stats goes out


class Watch:
    """The supervisor's monitor PUB, its live panel state and its TensorBoard writer."""

    def __init__(self, rt, run_dir: Path, *, tensorboard: bool = False, port: int = 0,
                 keys_dir: str | None = None):
        self.rt = rt
        self.endpoint = rt.bind("monitor", port)
        self.sock = rt.sockets["monitor"]
        self.dropped = 0
        self.state = LiveState()
        self.next_run = 0.0
        self.tb = None
        self.tb_dir = run_dir / "tb" if tensorboard else None  # opened at the first Stats
        doc = {"endpoint": self.endpoint, "security": "curve" if rt.security is not None else "none",
               "keys_dir": keys_dir}
        (run_dir / "monitor.json").write_text(json.dumps(doc, indent=1))

    def stats(self, msg) -> None:
        """One Stats from a node: re-published as it came (its node, seq and time), folded
        into the panel's state and into TensorBoard."""
        try:
            self.sock.send_multipart(codec.encode(msg), flags=zmq.NOBLOCK, copy=False)
        except zmq.Again:
            self.dropped += 1
        self.state.ingest(msg.node, msg.kind, msg.data, time.monotonic())
        if self.tb is None and self.tb_dir is not None:
            from stagger.measure.tensorboard import TensorBoardWriter
            self.tb = TensorBoardWriter(self.tb_dir)
        if self.tb is not None:
            self.tb.ingest(msg.node, msg.kind, msg.data)

    def tick(self, sup) -> None:
        """Publish the supervisor's "run" Stats when due (call it as often as you like)."""
        now = time.monotonic()
        if now < self.next_run:
            return
        self.next_run = now + RUN_EVERY_S
        data = run_info(sup, now)
        self.state.ingest("supervisor", "run", data, now)
        self.rt.send(Out("monitor", Stats(kind="run", data=data)))

    def panel(self, title: str = "stagger run"):
        return render(self.state, time.monotonic(), title)

    def close(self) -> None:
        """Stop writing TensorBoard (the socket closes with its runtime)."""
        self.tb_dir = None
        if self.tb is not None:
            self.tb.close()
            self.tb = None

    def done(self, sup) -> None:
        """The run's last "run" Stats (phase done), then the TensorBoard file closed."""
        self.next_run = 0.0
        sup.phase = "done"
        self.tick(sup)
        self.close()


def node_state(n, clock: dict, seen: bool) -> str:
    """starting / joined / running / stale / exited CODE, from the process and the clock."""
    if not n.alive():
        code = getattr(n, "returncode", None)
        if code is None and hasattr(n, "proc"):
            code = n.proc.returncode
        return f"exited {code}"
    if n.kind == "inference":
        if n.node_id in clock.get("members", []):
            return "joined"
        return "stale" if n.node_id in clock.get("drops", {}) else "starting"
    return "running" if seen else "starting"


def run_info(sup, now: float) -> dict:
    clock = sup.latest.get("clock", {}).get("clock", {})
    here = socket.gethostname()
    nodes = {n.node_id: {"kind": n.kind, "host": getattr(n, "host", here),
                         "state": node_state(n, clock, n.node_id in sup.latest)} for n in sup.nodes}
    end = getattr(sup, "end", None)
    return {"game": sup.cfg.game, "mode": sup.cfg.mode, "phase": getattr(sup, "phase", "starting"),
            "left_s": None if end is None else max(0.0, end - now), "nodes": nodes,
            "run_dir": str(sup.run_dir)}
