"""The clock node: the scheduling authority.

It follows the env's frames (its ticks), tracks which inference nodes are alive, estimates
the inference time with the chosen algorithm and publishes a :class:`PhaseMap` whenever
membership or the needed ticks change (and every ``RESEND_S``, and at once to every new
subscriber of ``ticks``), each with a Tick carrying the env frame it was decided at. When the
run ends it sends every node a Stop and waits for their Byes (:mod:`nodes.end_of_run`).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from stagger.nodes import checks
from stagger.nodes.core import Out
from stagger.nodes.membership import HEARTBEAT_INTERVAL_S, Membership, describe
from stagger.nodes.options import ClockOptions, ClockPart, RunWide, default_of
from stagger.nodes.clock_scale import ClockScale, CpuMeter, with_load
from stagger.nodes.phasemaps import msg_to_schedule, schedule_to_msg  # noqa: F401 (used by others)
from stagger.nodes.stagger import Estimator, Schedule, make_schedule, ticks_needed
from stagger.nodes.unstaggered import ALGORITHM as FREE_RUNNING, anchor_tick
from stagger.protocol.messages import Bye, Heartbeat, Heartbeats, Hello, Stats, Stop, Tick, Welcome

RESEND_S = 0.5  # PhaseMap re-broadcast period
REPHASE_DOWN_MIN_S = 2.0  # a falling estimate re-phases at most this often (a rising one at once)
# max_time forgets an outlier after this many reports (None: the paper's never-decaying
# maximum, defect D4: one hiccup of a shared machine would cost coverage for good)
DEFAULT_WINDOW = default_of(ClockPart, "max_window")


@dataclass
class ClockConfig:
    fps: float
    action_every: int = default_of(RunWide, "action_every")
    algorithm: str = default_of(ClockPart, "algorithm")
    margin_s: float = default_of(ClockPart, "margin_s")  # transport + wake-up allowance added to t_theta
    initial_s: float = 0.0  # initial inference-time estimate (the paper's --t_theta_max)
    warmup: int = 2
    window: int | None = DEFAULT_WINDOW
    lead: int = 2  # ticks between publishing a schedule and its first start
    timeout_s: float = 1.0
    first_epoch: int = 0  # a restarted clock (nodes/clock_restart.py): epochs above the dead one's
    rejoin_grace_s: float = 0.0  # and no map for this long after the first node is heard


@dataclass
class JoinInfo:
    """What every Welcome tells a joining node besides the run options (protocol 1.1): the
    env's action range and observation, and every channel's endpoint."""

    n_actions: int = 0
    policy_actions: int = 0
    obs_shape: tuple = ()
    obs_dtype: str = ""
    endpoints: dict = field(default_factory=dict)


class ClockCore(ClockScale):
    """Pure scheduling state machine: messages and time in, messages out (1,000 members: ClockScale)."""

    def __init__(self, cfg: ClockConfig, node_id: str = "clock", join: JoinInfo | None = None):
        self.cfg = cfg
        self.node_id = node_id
        self.join = join or JoinInfo()
        self.stopping = False  # the run is over: Stop sent, Byes awaited, nobody re-phased
        self.frame_s = 1.0 / cfg.fps
        # "none" (unstaggered): the estimate is only reported (max_time's), membership re-phases
        self.free_running = cfg.algorithm == FREE_RUNNING
        self.est = Estimator("max_time" if self.free_running else cfg.algorithm, cfg.initial_s, cfg.warmup,
                             cfg.window)
        self.members = Membership(cfg.timeout_s)
        self.tick = -1
        self.schedule = Schedule(0, 0, float(cfg.action_every), (), self.needed())
        self.reported: dict[str, int] = {}  # node -> last tick it reported finishing
        self.last_rephase_t = 0.0
        self.last_resend_t = 0.0
        self.rephases = 0
        self.events: list[dict] = []  # joins and drops, for the summary
        self.holding, self.hold_until = cfg.rejoin_grace_s > 0, None  # a restarted clock: re-hellos first
        self.rejects: list[tuple[str, str]] = []  # (reason, detail) of messages refused, for the runtime

    def needed(self) -> int:
        return ticks_needed(self.est.estimate(), self.frame_s, self.cfg.margin_s)

    # -- inputs ---------------------------------------------------------------------------
    def on_frame(self, frame: int, now: float) -> list[Out]:
        """Follow the env's frames. Ticks are not published per frame: inference nodes start on
        the observation of their tick itself (one hop less), and 60 nodes woken every frame for
        nothing cost a 2-core machine its realtime margin. A Tick goes out with every PhaseMap."""
        self.tick = max(self.tick, frame)
        return []

    def handle(self, msg, now: float, identity: bytes = b"") -> list[Out]:
        if rejected := checks.control(msg):  # values no schedule can use: counted, nothing changes
            self.rejects.append(rejected)
            return []
        if self.holding and self.hold_until is None:
            self.hold_until = now + self.cfg.rejoin_grace_s
        if isinstance(msg, Hello):
            return self._hello(msg, now, identity)
        if isinstance(msg, Heartbeat):
            return self._heartbeat(msg, now, identity)
        if isinstance(msg, Heartbeats):
            return self._heartbeats(msg, now, identity)
        if isinstance(msg, Bye):
            if self.members.bye(msg.node) is not None:
                self.events.append({"event": "bye", "node": msg.node, "tick": self.tick, "t": now,
                                    "reason": msg.reason})
                return [] if self.stopping or self.holding else self._rephase(now)
        return []

    def on_subscribed(self, now: float) -> list[Out]:
        """A node subscribed to ``ticks``: the current Tick and PhaseMap, so a newcomer has
        its phase at once (a map published before its subscription never reached it)."""
        return [] if self.stopping or self.holding else self._phase_outs()

    def stop(self, reason: str, now: float) -> list[Out]:
        """The run is over: a Stop to every subscriber of ticks (sent again while members
        remain, :mod:`nodes.end_of_run`). Byes that follow are counted but
        re-phase nothing; a Hello is answered "stopping"."""
        self.stopping = True
        return [Out("ticks", Stop(reason=reason, frame=self.tick))]

    def on_timer(self, now: float) -> list[Out]:
        out: list[Out] = []
        if self.holding:  # a restarted clock: one PhaseMap once the re-hellos are in
            self.holding = self.hold_until is None or now < self.hold_until
            return out if self.holding or not self.members.members else self._rephase(now)
        gone = self.members.expire(now)
        for m in gone:
            self.events.append({"event": "drop", "node": m.node, "host": m.host, "tick": self.tick,
                                "last_tick": self.reported.get(m.node, -1), "t": now})
        if gone:
            out += self._rephase(now)
        if now - self.last_resend_t >= RESEND_S:
            self.last_resend_t = now
            out += self._phase_outs()
        return out

    # -- internals ------------------------------------------------------------------------
    def _hello(self, msg: Hello, now: float, identity: bytes) -> list[Out]:
        if self.stopping:
            return [Out("control", self._welcome(msg.node, False, "stopping"), identity)]
        if msg.kind not in ("inference",):
            return [Out("control", self._welcome(msg.node, True, "observer"), identity)]
        if msg.node in self.members.members:
            # a member's Hello again: it was answered "rejoin" once per heartbeat queued while it
            # was cut off, and hellos once per answer; the first one re-joined it, this one is
            # only a sign of life (no new join, no re-phase)
            self.members.seen(msg.node, now)
            return [Out("control", self._welcome(msg.node, True, ""), identity)]
        hint = float(msg.info.get("latency_s", 0.0) or 0.0)
        if hint > self.est.initial_s:
            self.est.initial_s = hint
        if msg.info.get("warmed_up"):  # its first calls were made before hello (D4 is done)
            self.est.warmed(msg.node)
        self.members.hello(msg.node, msg.kind, now, host=msg.host, identity=identity,
                           info=msg.info, free_at=self.tick + 1)
        self.reported.pop(msg.node, None)
        self.events.append({"event": "join", "node": msg.node, "host": msg.host, "tick": self.tick,
                            "t": now})
        welcome = [Out("control", self._welcome(msg.node, True, ""), identity)]
        return welcome if self.holding else welcome + self._rephase(now)

    def _heartbeat(self, msg: Heartbeat, now: float, identity: bytes) -> list[Out]:
        m = self.members.seen(msg.node, now)
        if m is None:  # dropped earlier or the clock restarted: ask it to say hello again
            if self.stopping:
                return []
            return [Out("control", self._welcome(msg.node, False, "rejoin"), identity)]
        if msg.count and self.reported.get(msg.node) != msg.last_tick and msg.last_tick >= 0:
            self.reported[msg.node] = msg.last_tick
            m.last_tick = msg.last_tick
            self.est.observe(msg.node, msg.inference_s)
            needed = self.needed()
            if self.free_running or self.holding:  # free-running nodes need no new phases when the
                return []  # estimate moves; a restarted clock's first map waits for the re-hellos
            if needed > self.schedule.needed or (
                    needed < self.schedule.needed and now - self.last_rephase_t >= REPHASE_DOWN_MIN_S):
                return self._rephase(now)
        return []

    def _free_at(self, node: str, needed: int) -> int:
        """First tick ``node`` can start: now if it reported its last start, else after it."""
        s = self.schedule
        start = None
        if node in s.position and self.tick >= s.anchor:
            # most recent tick <= now on which it was scheduled
            nxt = s.next_start(node, max(self.tick - int(s.period) - 1, s.anchor))
            while nxt is not None and nxt <= self.tick:
                start, nxt = nxt, s.next_start(node, nxt + 1)
        if start is None and node not in s.position and self.reported.get(node, -1) >= 0:  # a restarted
            return max(self.tick + 1, self.reported[node] + needed)  # clock's first map: busy since then
        if start is None or self.reported.get(node, -1) >= start:
            return self.tick + 1
        return start + needed

    def _rephase(self, now: float) -> list[Out]:
        if self._batch:  # inside handle_all: once, at its end
            self._pending = True
            return []
        needed = self.needed()
        inference = self.members.of_kind("inference")
        free = {m.node: self._free_at(m.node, needed) for m in inference}
        if self.free_running:  # a running member may have just started: free within `needed`
            free = {n: self.tick + (needed if n in self.schedule.position else 1) for n in free}
        epoch = max(self.schedule.epoch, self.cfg.first_epoch) + 1
        s = make_schedule(epoch, free, self.tick, needed, self.cfg.action_every, self.cfg.lead)
        if self.free_running:  # one anchor for all: they start together, then run free
            s = Schedule(s.epoch, anchor_tick(free, self.tick, self.cfg.lead), s.spacing, s.order, s.needed)
        self.schedule = s
        self.last_rephase_t = now
        self.last_resend_t = now
        self.rephases += 1
        return self._phase_outs()

    def _phase_outs(self) -> list[Out]:
        numbers = self.members.numbers if self._compact() else None
        return [Out("ticks", Tick(frame=self.tick, epoch=self.schedule.epoch)),
                Out("ticks", schedule_to_msg(self.schedule, self.cfg.algorithm, self.est.estimate(), numbers))]

    def _welcome(self, to: str, accepted: bool, reason: str) -> Welcome:
        j = self.join
        return Welcome(to=to, accepted=accepted, reason=reason,
                       info={"fps": self.cfg.fps, "action_every": self.cfg.action_every,
                             "algorithm": self.cfg.algorithm},
                       n_actions=j.n_actions, policy_actions=j.policy_actions or j.n_actions,
                       obs_shape=list(j.obs_shape), obs_dtype=j.obs_dtype, endpoints=dict(j.endpoints),
                       heartbeat_s=HEARTBEAT_INTERVAL_S, timeout_s=self.cfg.timeout_s,
                       member=self.members.numbers.get(to, -1) if accepted else -1)

    def stats(self) -> Stats:
        return Stats(kind="clock", data={
            "tick": self.tick, "members": self._sorted_members(),
            "epoch": self.schedule.epoch, "anchor": self.schedule.anchor,
            "needed": self.schedule.needed, "spacing": self.schedule.spacing,
            "estimate_s": self.est.estimate(), "rephases": self.rephases,
            "joins": dict(self.members.joins), "drops": dict(self.members.drops),
            "recent_events": self.events[-8:],
        })


TIMER_S = 0.05


def run(opts: ClockOptions) -> int:
    """The clock node's I/O loop."""
    from stagger.nodes import clock_restart as restart
    from stagger.nodes.end_of_run import end_of_run
    from stagger.nodes.runtime import Runtime, log

    rt = Runtime.for_node(opts, "clock")
    core = ClockCore(ClockConfig(
        fps=opts.fps, action_every=opts.action_every, algorithm=opts.algorithm, margin_s=opts.margin_s,
        initial_s=opts.initial_estimate_s, window=opts.max_window or None, **restart.config(opts)), opts.node_id,
        JoinInfo(opts.n_actions, opts.policy_actions, tuple(opts.obs_shape), opts.obs_dtype))
    clock = rt.clock
    load = CpuMeter(clock)
    try:
        restart.before_bind(rt, opts, log)  # a restarted clock: the dead clock's endpoints
        rt.bind("ticks", opts.ports.get("ticks", 0))
        rt.bind("control", opts.ports.get("control", 0))
        restart.after_bind(rt, opts)
        for ch in ("obs", "stats"):
            if opts.connect.get(ch):
                rt.connect(ch, opts.connect[ch])
        core.join.endpoints = {**opts.connect, **rt.endpoints}
        rt.send(Out("stats", Stats(kind="endpoints", data={"endpoints": rt.endpoints})))
        next_timer = clock.now()
        next_stats = clock.now()
        logged = 0
        while not rt.should_stop():
            ready = rt.poll(max(0.0, next_timer - clock.now()))
            now = clock.now()
            for msg, _ in rt.drain("obs") if "obs" in rt.sockets else ():
                rt.send_all(core.on_frame(msg.frame, now))
            rt.send_all(core.handle_all(rt.drain("control"), now))
            while core.rejects:
                rt.reject("control", *core.rejects.pop(0))
            if "ticks" in ready and rt.new_subscribers("ticks"):
                rt.send_all(core.on_subscribed(now))
            if now >= next_timer:
                next_timer = now + TIMER_S
                rt.send_all(core.on_timer(now))
            for ev in core.events[logged:]:
                (log.warning if ev["event"] == "drop" else log.info)("%s", describe(ev))
            logged = len(core.events)
            if now >= next_stats:
                next_stats = now + 0.25
                rt.send(Out("stats", with_load(core.stats(), load)))
        end_of_run(rt, core, log, logged)
    finally:
        data = {**with_load(core.stats(), load).data, "events": core.events, **rt.counters(),
                "max_silence_s": core.members.max_silences()}
        rt.send(Out("stats", Stats(kind="clock_final", data=data)))
        rt.close()
        log.info("clock stopped at tick %d", core.tick)
    return 0
