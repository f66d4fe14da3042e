"""The inference node: on its phase ticks, runs the policy on the newest observation.

Every action is a real forward pass of the run's model on that observation (exploration is
applied to its result). Simulated model size: the pass is padded with a wait to
``latency_s`` (+- uniform ``jitter_s``) in total, measured from the moment the observation
was received; a pass that takes longer is not padded. ``inference_s`` is the total (real +
padding), ``inference_real_s`` the pass alone; both travel in the Action and the Heartbeat.
A pass longer than 5 ms runs in a worker thread (nodes/compute.py); the node's I/O thread
spends the pass and the wait in poll, heart-beating and handling PhaseMaps, weights and
control messages, so a pass of any length never silences it. A shorter one (the warm-up
decides) runs in the I/O thread itself: the hand-off would cost more than the pass. The
node says "simulated" when a latency is set.
"""
from __future__ import annotations

from dataclasses import dataclass, field
import numpy as np

from stagger.nodes.phasemaps import COMPACT_KEY, msg_to_schedule
from stagger.nodes.core import Out
from stagger.nodes.membership import HEARTBEAT_INTERVAL_S as HEARTBEAT_EVERY_S
from stagger.nodes.stagger import Schedule
from stagger.nodes.unstaggered import FreeRunning
from stagger.protocol.messages import Action, Heartbeat, Hello, PhaseMap, Stats, Stop, Tick, Welcome
from stagger.protocol.topology import frame_topic

KEEP_SCHEDULES = 8  # phase maps remembered (a newer one may take effect later than an older)


@dataclass
class InferenceConfig:
    latency_s: float = 0.0  # simulated total inference time (0 = the real forward pass only)
    jitter_s: float = 0.0  # uniform +- on the simulated latency
    seed: int = 0


@dataclass
class InferenceCore:
    """Schedule-following logic: which observation to start on, what to report."""

    node_id: str
    cfg: InferenceConfig
    schedules: list = field(default_factory=list)  # known schedules, oldest epoch first
    welcomed: bool = False
    count: int = 0
    last_tick: int = -1
    last_inference_s: float = 0.0
    last_real_s: float = 0.0
    warm_s: float = 0.0  # the real time of the last warm-up pass (the clock's first estimate)
    missed: int = 0  # own start ticks passed while busy or not yet seen
    seen: int = -1  # newest env frame known (from observations and ticks)
    times: list = field(default_factory=list)
    real_times: list = field(default_factory=list)
    stopped: bool = False  # a Stop arrived: the run is over, say Bye and exit
    free: FreeRunning = field(default_factory=FreeRunning)  # under "none" maps (nodes/unstaggered.py)
    member: int = -1  # its member number in compact PhaseMaps (1.4), from the Welcome
    maps: list = field(default_factory=list)  # the PhaseMaps behind `schedules` (read again if `member` changes)

    def __post_init__(self):
        self.rng = np.random.default_rng(self.cfg.seed)

    def hello(self, host: str, pid: int) -> Hello:
        return Hello(kind="inference", host=host, pid=pid,
                     info={"latency_s": max(self.cfg.latency_s + self.cfg.jitter_s, self.warm_s),
                           "simulated": self.cfg.latency_s > 0, "real_s": self.warm_s,
                           "warmed_up": self.warm_s > 0, COMPACT_KEY: True})

    def on_welcome(self, msg: Welcome) -> bool:
        """True if the node must say hello (again)."""
        if msg.to != self.node_id:
            return False
        self.welcomed = msg.accepted
        if msg.accepted and self.member < 0 <= msg.member:  # maps that came before the Welcome: again
            self.member = msg.member  # (a restarted clock's numbers are not the dead one's: kept)
            self.schedules = [msg_to_schedule(m, {self.member: self.node_id}) for m in self.maps]
        return not msg.accepted

    def on_tick(self, msg: Tick | Stop) -> None:
        """A Tick moves the newest known frame on, so ``wanted_frames`` (and with it the obs
        subscription) never stays on ticks that already passed unseen; a Stop ends the run."""
        if isinstance(msg, Stop):
            self.stopped = True
        else:
            self.seen = max(self.seen, msg.frame)

    def on_phase_map(self, msg: PhaseMap) -> None:
        s = msg_to_schedule(msg, {self.member: self.node_id})
        if not self.schedules or s.epoch > self.schedules[-1].epoch:
            self.schedules = self.schedules[-(KEEP_SCHEDULES - 1):] + [s]
            self.maps = self.maps[-(KEEP_SCHEDULES - 1):] + [msg]
            self.free.on_map(s.epoch, msg.algorithm)

    @property
    def free_running(self) -> bool:  # the newest map says "none"
        return self.free.active(self.schedule)

    @property
    def schedule(self) -> Schedule | None:
        """The newest schedule known (in force from its anchor on)."""
        return self.schedules[-1] if self.schedules else None

    def _schedule_at(self, tick: int) -> Schedule | None:
        """The schedule in force at ``tick``: the newest one whose anchor is not after it.
        A pure function of the tick and the maps received, so replay decides the same."""
        for s in reversed(self.schedules):
            if s.anchor <= tick:
                return s
        return None

    def pick(self, frames: list[int]) -> int | None:
        """Given the frames just received (oldest first), the index of the one to start on:
        the newest, if it is one of this node's start ticks. Own ticks that are older than the
        newest were missed (the node was busy) and are counted."""
        if not frames:
            return None
        self.seen = max(self.seen, frames[-1])
        if self.free_running:
            return self.free.pick(self.node_id, self.schedule, frames)
        chosen = None
        for i, f in enumerate(frames):
            s = self._schedule_at(f)
            if s is not None and s.starts_at(self.node_id, f):
                if i == len(frames) - 1:
                    chosen = i
                else:
                    self.missed += 1
        return chosen

    def next_start(self, after: int) -> int | None:
        """This node's first start tick >= ``after``, under the schedule in effect then."""
        best = None
        for s in self.schedules:
            t = s.next_start(self.node_id, max(after, s.anchor))
            if t is not None and self._schedule_at(t) is s and (best is None or t < best):
                best = t
        return best

    def wanted_frames(self) -> set[int]:
        """The frames whose observations this node needs: its next two start ticks after the
        newest frame it knows (from its observations and from Ticks)."""
        first = self.next_start(self.seen + 1)
        if first is None:
            return set()
        second = self.next_start(first + 1)
        return {first} if second is None else {first, second}

    def obs_topics(self) -> set[bytes]:  # free-running: every frame; else the next two start ticks
        return {b""} if self.free_running else {frame_topic(f) for f in self.wanted_frames()}

    def target_time(self, start: float) -> float:
        """When to send: the observation's arrival plus the simulated latency (+- jitter)."""
        lat = self.cfg.latency_s
        if self.cfg.jitter_s > 0:
            lat += self.rng.uniform(-self.cfg.jitter_s, self.cfg.jitter_s)
        return start + max(lat, 0.0)

    def finished(self, frame: int, action: int, greedy: bool, start: float, now: float,
                 weights_version: int, real_s: float = 0.0) -> list[Out]:
        """The Action (and a Heartbeat) for an inference started at ``start`` (observation
        received) and sent ``now``; ``real_s`` of it was the forward pass, the rest padding."""
        took = now - start
        self.count += 1
        self.last_tick = frame
        self.last_inference_s = took
        self.last_real_s = real_s
        self.times.append(took)
        self.real_times.append(real_s)
        sched = self._schedule_at(frame)
        free = sched is None or self.free.active(sched)  # free-running: apply on arrival
        act = Action(frame=frame, action=int(action), inference_s=took,
                     weights_version=weights_version, greedy=bool(greedy),
                     land=-1 if free else frame + sched.needed, inference_real_s=real_s)
        return [Out("actions", act), Out("control", self.heartbeat())]

    def heartbeat(self, busy: bool = False) -> Heartbeat:
        t = self.times[-200:]
        return Heartbeat(busy=busy, last_tick=self.last_tick, inference_s=self.last_inference_s,
                         inference_mean_s=sum(t) / len(t) if t else 0.0,  # plain floats: no numpy on the
                         inference_max_s=max(t) if t else 0.0, count=self.count,  # action's path
                         inference_real_s=self.last_real_s)

    def stats(self) -> Stats:
        t, r = np.asarray(self.times[-200:]), np.asarray(self.real_times[-200:])
        return Stats(kind="inference", data={
            "count": self.count, "missed": self.missed, "last_tick": self.last_tick,
            "simulated": self.cfg.latency_s > 0,
            "latency_s": self.cfg.latency_s, "inference_p50_s": float(np.median(t)) if t.size else None,
            "inference_real_p50_s": float(np.median(r)) if r.size else None, "warm_s": self.warm_s,
            "epoch": self.schedule.epoch if self.schedule else -1})


from stagger.nodes.inference_agent import make_agent, model_factory  # noqa: E402,F401 (this module's interface)
from stagger.nodes.inference_run import run  # noqa: E402,F401 (the node's entry point: launch/node.py)
