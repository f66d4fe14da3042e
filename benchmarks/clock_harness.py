"""Many simulated members against the REAL clock node (a subprocess, real sockets).

Not 1,000 processes: a few DEALER sockets ("processes", ``processes``) say Hello for many
member ids, heartbeat for them (one aggregated ``Heartbeats`` per process and period, or one
``Heartbeat`` per member, as a pre-1.4 node does) and report an inference for the member that
the map in force starts on each frame (``REPORT_AFTER`` frames later, with the hint as its
inference time). A PUB plays the env (one
small Observation per frame at ``fps``), a PULL the supervisor (the clock's Stats). Used by
tests/test_clock_scale.py and ``python -m stagger.benchmarks.clock_scale``.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import zmq

from stagger.nodes.clock import msg_to_schedule
from stagger.nodes.stagger import Schedule
from stagger.protocol import codec
from stagger.protocol.messages import PhaseMap, Stats, Tick, Welcome
from stagger.protocol.topology import decode_on, frame_topic, make_socket
from stagger.protocol.version import PROTOCOL_VERSION

HEARTBEAT_S = 0.2
REPORT_AFTER = 6  # frames from a start to its report (not the hint's `needed`: tests stay short)


class Harness:
    def __init__(self, n: int, processes: int = 10, fps: float = 60.0, spacing: float = 1.5,
                 aggregate: bool = True, compact: bool = True, transport: str = "tcp"):
        self.n, self.fps, self.aggregate, self.compact = n, fps, aggregate, compact
        self.latency_s = spacing * n / fps  # the members' hint: spacing = needed / n, about `spacing`
        self.ids = [f"w{i:04d}" for i in range(n)]
        self.procs = [f"proc{p:02d}" for p in range(processes)]
        self.proc_of = {m: self.procs[i % processes] for i, m in enumerate(self.ids)}
        self.tmp = tempfile.mkdtemp(prefix="clockscale-")
        self.ctx = zmq.Context()
        ep = (lambda ch: f"ipc://{self.tmp}/{ch}") if transport == "ipc" else (lambda ch: "tcp://127.0.0.1:*")
        self.obs = make_socket(self.ctx, "obs", "bind")
        self.obs.bind(ep("obs"))
        self.stats = make_socket(self.ctx, "stats", "bind")
        self.stats.bind(ep("stats"))
        self.seq: dict[str, int] = {}
        self.frame = -1
        self.maps: list[PhaseMap] = []  # every PhaseMap received, in order
        self.map_bytes: list[int] = []
        self.map_tick: list[int] = []  # the Tick frame just before each map
        self.welcomes: dict[str, Welcome] = {}
        self.numbers: dict[int, str] = {}  # member number (Welcome.member) -> id
        self.rejoins: list[str] = []
        self.silent: set[str] = set()  # members that no longer heartbeat or report
        self.joined: set[str] = set()  # members that said Hello
        self.reports: list[tuple[int, str, int]] = []  # (due frame, member, start tick)
        self.counts: dict[str, int] = {}
        self.reported: dict[str, int] = {}  # member -> last start tick it reported
        self.frames_on = True  # False: the env pauses (the clock's tick stands still)
        self.last_stats: dict = {}
        self.final: dict | None = None
        self.sent_bytes = 0

    # -- the clock process --------------------------------------------------------------
    def start(self) -> None:
        opts = {"node_id": "clock", "fps": self.fps, "run_dir": self.tmp, "realtime_priority": False,
                "connect": {"obs": self.obs.getsockopt_string(zmq.LAST_ENDPOINT),
                            "stats": self.stats.getsockopt_string(zmq.LAST_ENDPOINT)},
                "n_actions": 3, "obs_shape": [4], "obs_dtype": "uint8"}
        path = Path(self.tmp) / "clock.json"
        path.write_text(json.dumps(opts))
        self.log = open(Path(self.tmp) / "clock.log", "wb")
        self.proc = subprocess.Popen([sys.executable, "-m", "stagger.launch.node", "clock", str(path)],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        endpoints = None
        deadline = time.monotonic() + 60
        while endpoints is None:
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise RuntimeError(f"the clock did not start: {self.log_text()}")
            if self.stats.poll(100):
                msg = decode_on("stats", self.stats.recv_multipart())
                if msg.kind == "endpoints":
                    endpoints = msg.data["endpoints"]
        self.dealers = {}
        for p in self.procs:
            self.dealers[p] = make_socket(self.ctx, "control", "connect", identity=p)
            self.dealers[p].connect(endpoints["control"])
        self.ticks = make_socket(self.ctx, "ticks", "connect")
        self.ticks.connect(endpoints["ticks"])
        self.poller = zmq.Poller()
        for s in (self.ticks, self.stats, *self.dealers.values()):
            self.poller.register(s, zmq.POLLIN)
        self.t0 = time.monotonic()
        self.next_frame = self.next_beat = self.t0

    def log_text(self) -> str:
        self.log.flush()
        return (Path(self.tmp) / "clock.log").read_text(errors="replace")[-3000:]

    def cpu_s(self) -> float:
        """The clock process's user + system CPU seconds so far (/proc)."""
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self, timeout_s: float = 20.0) -> dict:
        """SIGTERM the clock (as stagger run does) and collect its final Stats."""
        self.proc.terminate()
        deadline = time.monotonic() + timeout_s
        while self.final is None and time.monotonic() < deadline:
            self.pump(0.1)
        self.proc.wait(timeout=max(1.0, deadline - time.monotonic()))
        return self.final or {}

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.log.close()
        self.ctx.destroy(linger=0)

    # -- sending ------------------------------------------------------------------------
    def _send(self, proc: str, sender: str, msg_type: str, **fields) -> None:
        seq = self.seq.get(sender, 0)
        self.seq[sender] = seq + 1
        header = {"v": PROTOCOL_VERSION, "type": msg_type, "node": sender, "seq": seq,
                  "t": time.monotonic(), **fields}
        data = codec.pack(header)
        self.sent_bytes += len(data)
        self.dealers[proc].send(data)

    def hello(self, members) -> None:
        info = {"latency_s": self.latency_s, "warmed_up": True}
        if self.compact:
            info["compact_maps"] = True
        for m in members:
            self.joined.add(m)
            self.silent.discard(m)
            self._send(self.proc_of[m], m, "Hello", kind="inference", host="harness", pid=os.getpid(), info=info)

    def _beat(self) -> None:
        live = [m for m in self.ids if m in self.joined and m not in self.silent]
        if self.aggregate:
            by_proc: dict[str, list] = {}
            for m in live:
                by_proc.setdefault(self.proc_of[m], []).append(m)
            for p, alive in by_proc.items():
                self._send(p, p, "Heartbeats", alive=alive)
        else:
            for m in live:
                self._send(self.proc_of[m], m, "Heartbeat")

    def _report(self, member: str, start: int) -> None:
        count = self.counts[member] = self.counts.get(member, 0) + 1
        self.reported[member] = start
        entry = {"busy": False, "last_tick": start, "inference_s": self.latency_s, "count": count}
        if self.aggregate:
            self._send(self.proc_of[member], self.proc_of[member], "Heartbeats",
                       entries=[{"node": member, **entry}])
        else:
            self._send(self.proc_of[member], member, "Heartbeat", **entry)

    def _publish_frame(self) -> None:
        self.frame += 1
        obs = np.zeros(4, np.uint8)
        header = {"v": PROTOCOL_VERSION, "type": "Observation", "node": "env", "seq": self.frame,
                  "t": time.monotonic(), "frame": self.frame, "episode": 0, "arrays": [["|u1", [4]]]}
        self.obs.send_multipart([frame_topic(self.frame), codec.pack(header), obs.tobytes()])
        s = self.schedule_at(self.frame)
        starter = s.starter(self.frame) if s is not None else None
        if starter in self.joined and starter not in self.silent:
            self.reports.append((self.frame + min(s.needed, REPORT_AFTER), starter, self.frame))
        due = [r for r in self.reports if r[0] <= self.frame]
        if due:
            self.reports = [r for r in self.reports if r[0] > self.frame]
            for _, member, start in due:
                if member not in self.silent:
                    self._report(member, start)

    # -- receiving ----------------------------------------------------------------------
    def schedule(self, m: PhaseMap):
        """The Schedule a map describes, with member ids (a compact map's numbers resolved)."""
        if not getattr(m, "order_index", b""):  # a map that names its members (pre-1.4, or mixed)
            return Schedule(m.epoch, m.anchor, m.spacing, tuple(m.order), m.needed)
        return msg_to_schedule(m, names=self.numbers)

    def schedule_at(self, frame: int):
        for m in reversed(self.maps[-8:]):
            if m.anchor <= frame:
                return self.schedule(m)
        return None

    def _receive(self, ready: dict) -> None:
        if self.ticks in ready:
            while self.ticks.poll(0):
                frames = self.ticks.recv_multipart()
                msg = decode_on("ticks", frames)
                if isinstance(msg, Tick):
                    self._tick = msg.frame
                elif isinstance(msg, PhaseMap) and (not self.maps or msg.epoch > self.maps[-1].epoch):
                    self.maps.append(msg)
                    self.map_bytes.append(sum(len(f) for f in frames))
                    self.map_tick.append(getattr(self, "_tick", -1))
        for p, sock in self.dealers.items():
            if sock in ready:
                while sock.poll(0):
                    w = decode_on("control", sock.recv_multipart())
                    if isinstance(w, Welcome) and w.accepted:
                        self.welcomes[w.to] = w
                        if getattr(w, "member", -1) >= 0:
                            self.numbers[w.member] = w.to
                    elif isinstance(w, Welcome) and w.reason == "rejoin":
                        self.rejoins.append(w.to)
        if self.stats in ready:
            while self.stats.poll(0):
                msg = decode_on("stats", self.stats.recv_multipart())
                if isinstance(msg, Stats) and msg.kind == "clock":
                    self.last_stats = msg.data
                elif isinstance(msg, Stats) and msg.kind == "clock_final":
                    self.final = msg.data

    def pump(self, seconds: float, until=None) -> bool:
        """Run the members and the env for up to ``seconds`` (or until ``until()`` is true)."""
        end = time.monotonic() + seconds
        while True:
            now = time.monotonic()
            if until is not None and until():
                return True
            if now >= end:
                return until is None
            if now >= self.next_frame:
                self.next_frame += 1.0 / self.fps
                if self.proc.poll() is None and self.frames_on:
                    self._publish_frame()
            if now >= self.next_beat:
                self.next_beat += HEARTBEAT_S
                if self.proc.poll() is None:
                    self._beat()
            wait = max(0.0, min(self.next_frame, self.next_beat, end) - time.monotonic())
            self._receive(dict(self.poller.poll(wait * 1000)))

    def newest(self) -> PhaseMap | None:
        return self.maps[-1] if self.maps else None

    def members_of(self, m: PhaseMap) -> list[str]:
        return list(self.schedule(m).order)
