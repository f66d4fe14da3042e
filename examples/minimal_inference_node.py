"""A minimal stagger inference node, written from protocol/PROTOCOL.md alone.

It imports nothing from stagger: pyzmq, msgpack and numpy only, so it shows what a node in
another codebase (or language) has to do to take part in a run:

    stagger run --inference-nodes 2 --run-dir RUN ...          # writes RUN/connection.json
    python examples/minimal_inference_node.py --connection RUN/connection.json --latency 0.04

It connects to the clock's control channel, says Hello, takes everything else from the
Welcome (endpoints, action range, observation, heartbeat period), follows the PhaseMaps on
``ticks``, takes the observation of each of its start ticks (subscribing to those frames
only), "infers" for ``--latency`` seconds (a stand-in policy: any function of the pixels),
sends the Action, heartbeats, and leaves with a Bye when the clock sends Stop. tcp:// or
ipc:// endpoints (a ``stagger run``'s, as the user who started it); no CurveZMQ. Prints one
line per event on stdout.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import signal
import socket
import sys
import time

import msgpack
import numpy as np
import zmq

PROTOCOL = "1.2"
EPS = 1e-9  # PROTOCOL.md, PhaseMap: slot ticks are anchor + floor(j * spacing + 1e-9)
KEEP_MAPS = 8


def say(text: str) -> None:
    print(text, flush=True)


class Wire:
    """Headers as msgpack maps with the common fields; a sequence number per channel."""

    def __init__(self, node_id: str):
        self.node_id = node_id
        self.seq: dict[str, int] = {}

    def frame(self, channel: str, msg_type: str, **fields) -> bytes:
        seq = self.seq.get(channel, 0)
        self.seq[channel] = seq + 1
        header = {"v": PROTOCOL, "type": msg_type, "node": self.node_id, "seq": seq,
                  "t": time.monotonic(), **fields}
        return msgpack.packb(header, use_bin_type=True)

    @staticmethod
    def header(frame: bytes) -> dict | None:
        """The header, or None for anything we must reject (not a map, another MAJOR)."""
        try:
            h = msgpack.unpackb(frame, raw=False, strict_map_key=True)
        except Exception:
            return None
        if not isinstance(h, dict) or not str(h.get("v", "")).startswith(PROTOCOL.split(".")[0] + "."):
            return None
        return h


# -- the schedule: PROTOCOL.md, PhaseMap ------------------------------------------------------
def slot(m: dict, j: int) -> int:
    return m["anchor"] + math.floor(j * m["spacing"] + EPS)


def first_start(m: dict, me: str, after: int) -> int | None:
    """First tick >= after on which ``me`` starts under map ``m`` (ignoring newer maps)."""
    if me not in m["order"]:
        return None
    n, r = len(m["order"]), m["order"].index(me)
    k = max(math.floor((max(after - m["anchor"], 0) / m["spacing"] - r) / n) - 1, 0)
    while slot(m, r + k * n) < after:
        k += 1
    return slot(m, r + k * n)


def in_force(maps: list[dict], tick: int) -> dict | None:
    """The map in force at ``tick``: the newest epoch whose anchor is not after it."""
    return max((m for m in maps if m["anchor"] <= tick), key=lambda m: m["epoch"], default=None)


def next_start(maps: list[dict], me: str, after: int) -> int | None:
    """Our first start tick >= after, each candidate under the map in force at it."""
    found = [t for m in maps if (t := first_start(m, me, max(after, m["anchor"]))) is not None
             and in_force(maps, t) is m]
    return min(found, default=None)


def policy(obs: np.ndarray, n: int) -> int:
    """A stand-in for a network: any function of the observation into [0, n)."""
    return int(obs.astype(np.int64).sum()) % n


class Node:
    def __init__(self, node_id: str, control_ep: str, latency_s: float):
        self.id, self.latency_s, self.wire = node_id, latency_s, Wire(node_id)
        self.ctx = zmq.Context()
        self.control = self._socket(zmq.DEALER, control_ep, ROUTING_ID=node_id.encode())
        self.maps: list[dict] = []
        self.newest = -1  # newest env frame seen, from observations and Ticks
        self.topics: set[bytes] = set()
        self.count, self.last_tick, self.times = 0, -1, []
        self.stop_reason = ""  # set by the clock's Stop ("end of run") or a signal

    def _socket(self, kind: int, endpoint: str, **options) -> zmq.Socket:
        sock = self.ctx.socket(kind)
        sock.setsockopt(zmq.LINGER, 200)
        for name, value in options.items():
            sock.setsockopt(getattr(zmq, name), value)
        sock.connect(endpoint)
        return sock

    def send_control(self, msg_type: str, **fields) -> None:
        self.control.send(self.wire.frame("control", msg_type, **fields))  # no delimiter frame

    def hello(self) -> None:
        self.send_control("Hello", kind="inference", host=socket.gethostname(), pid=os.getpid(),
                          info={"latency_s": self.latency_s})

    def join(self, timeout_s: float = 30.0) -> dict:
        self.hello()
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and not self.stop_reason:
            if self.control.poll(100):
                w = self.wire.header(self.control.recv_multipart()[0])
                if w and w.get("type") == "Welcome" and w.get("to") == self.id:
                    if not w.get("accepted"):
                        raise SystemExit(f"{self.id}: not welcomed: {w.get('reason')}")
                    self.welcomed_at = time.monotonic()
                    return w
        raise SystemExit(f"{self.id}: no Welcome within {timeout_s:g} s ({self.stop_reason or 'timeout'})")

    def connect(self, w: dict) -> None:
        eps = w["endpoints"]
        self.n_actions, self.policy_actions = w["n_actions"], w.get("policy_actions") or w["n_actions"]
        self.heartbeat_s = w["heartbeat_s"]
        self.ticks = self._socket(zmq.SUB, eps["ticks"], SUBSCRIBE=b"")
        self.obs = self._socket(zmq.SUB, eps["obs"])  # subscribed per frame below
        self.actions = self._socket(zmq.PUSH, eps["actions"], SNDHWM=256)
        say(f"welcomed: actions [0, {self.n_actions}) obs {w['obs_shape']} {w['obs_dtype']} "
            f"heartbeat {self.heartbeat_s} s timeout {w['timeout_s']} s")

    def heartbeat(self, busy: bool = False) -> None:
        t = self.times[-200:]
        self.send_control("Heartbeat", busy=busy, last_tick=self.last_tick,
                          inference_s=t[-1] if t else 0.0, inference_mean_s=float(np.mean(t)) if t else 0.0,
                          inference_max_s=max(t) if t else 0.0, count=self.count)

    def on_ticks(self) -> None:
        while self.ticks.poll(0):
            h = self.wire.header(self.ticks.recv_multipart()[0])
            if h is None:
                continue
            if h["type"] == "PhaseMap" and (not self.maps or h["epoch"] > self.maps[-1]["epoch"]):
                self.maps = self.maps[-(KEEP_MAPS - 1):] + [h]
                if self.id in h["order"]:
                    say(f"phased: epoch {h['epoch']} anchor {h['anchor']} position "
                        f"{h['order'].index(self.id)} of {len(h['order'])} needed {h['needed']}, "
                        f"{time.monotonic() - self.welcomed_at:.3f} s after the Welcome")
            elif h["type"] == "Tick":
                self.newest = max(self.newest, h["frame"])
            elif h["type"] == "Stop" and not self.stop_reason:
                say(f"stop: {h.get('reason')} at frame {h.get('frame')}")
                self.stop_reason = "end of run"

    def on_control(self) -> None:
        while self.control.poll(0):
            h = self.wire.header(self.control.recv_multipart()[0])
            if h and h["type"] == "Welcome" and h.get("reason") == "rejoin":
                self.hello()  # the clock forgot us (we were silent too long): join again

    def subscribe(self) -> None:
        """Exactly our next two start ticks after the newest frame we know."""
        first = next_start(self.maps, self.id, self.newest + 1)
        second = None if first is None else next_start(self.maps, self.id, first + 1)
        want = {f.to_bytes(8, "big") for f in (first, second) if f is not None}
        for t in want - self.topics:
            self.obs.setsockopt(zmq.SUBSCRIBE, t)
        for t in self.topics - want:
            self.obs.setsockopt(zmq.UNSUBSCRIBE, t)
        self.topics = want

    def infer(self, h: dict, frames: list, m: dict) -> None:
        """Inference on the observation of our start tick; the Action goes out before we look
        at any newer observation (the next start may be the very frame it lands on)."""
        start = time.monotonic()
        (dtype, shape), = h["arrays"]
        obs = np.frombuffer(frames[2], dtype=np.dtype(dtype)).reshape(shape)
        action = policy(obs, self.policy_actions)
        while (left := start + self.latency_s - time.monotonic()) > 0 and not self.stop_reason:
            if self.ticks.poll(min(left, self.heartbeat_s) * 1000):
                self.on_ticks()
            if time.monotonic() - self.last_beat >= self.heartbeat_s:
                self.heartbeat(busy=True)
                self.last_beat = time.monotonic()
        if self.stop_reason:
            return
        took = time.monotonic() - start
        self.actions.send(self.wire.frame("actions", "Action", frame=h["frame"], action=action,
                                          inference_s=took, weights_version=0, greedy=True,
                                          land=h["frame"] + m["needed"]))
        self.count, self.last_tick = self.count + 1, h["frame"]
        self.times.append(took)
        self.heartbeat()  # the clock's estimator sees every inference

    def run(self) -> None:
        self.connect(self.join())
        poller = zmq.Poller()
        for sock in (self.obs, self.ticks, self.control):
            poller.register(sock, zmq.POLLIN)
        self.last_beat = time.monotonic()
        while not self.stop_reason:
            self.subscribe()
            ready = dict(poller.poll(max(0.0, self.last_beat + self.heartbeat_s - time.monotonic()) * 1000))
            if self.obs in ready:
                got = []
                while self.obs.poll(0):
                    frames = self.obs.recv_multipart()  # [topic, header, obs array]
                    h = self.wire.header(frames[1]) if len(frames) == 3 else None
                    if h and h.get("type") == "Observation":
                        got.append((h, frames))
                if got:
                    h, frames = got[-1]  # the newest; older own ticks in the batch were missed
                    self.newest = max(self.newest, h["frame"])
                    m = in_force(self.maps, h["frame"])
                    if m and first_start(m, self.id, h["frame"]) == h["frame"]:
                        self.infer(h, frames, m)
            self.on_ticks()
            self.on_control()
            if time.monotonic() - self.last_beat >= self.heartbeat_s:
                self.heartbeat()
                self.last_beat = time.monotonic()

    def close(self) -> None:
        reason = self.stop_reason or "interrupted"
        self.send_control("Bye", reason=reason)
        say(f"bye ({reason}) after {self.count} actions")
        self.ctx.destroy(linger=200)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--connection", help="RUN_DIR/connection.json of the run to join")
    p.add_argument("--control", help="or the clock's control endpoint, e.g. tcp://127.0.0.1:5559")
    p.add_argument("--id", default=f"minimal-{socket.gethostname()}-{os.getpid()}", help="node id (unique)")
    p.add_argument("--latency", type=float, default=0.0, help="simulated inference time, seconds")
    a = p.parse_args(argv)
    if not (a.control or a.connection):
        p.error("give --connection or --control")
    control = a.control
    if not control:
        with open(a.connection) as f:
            control = json.load(f)["endpoints"]["control"]
    node = Node(a.id, control, a.latency)

    def interrupted(signum, frame):
        node.stop_reason = node.stop_reason or f"signal {signum}"
    signal.signal(signal.SIGTERM, interrupted)
    signal.signal(signal.SIGINT, interrupted)
    try:
        node.run()
    finally:
        node.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
