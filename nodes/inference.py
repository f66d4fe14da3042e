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
from stagger.nodes.inflight import Job
from stagger.nodes.options import InferenceOptions
from stagger.nodes.membership import HEARTBEAT_INTERVAL_S as HEARTBEAT_EVERY_S
from stagger.nodes.stagger import Schedule
from stagger.nodes.unstaggered import FreeRunning
from stagger.protocol.messages import Action, Bye, Heartbeat, Hello, PhaseMap, Stats, Stop, Tick, Welcome
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


def run(opts: InferenceOptions) -> int:
    """The inference node's I/O loop. A forward pass longer than ``INLINE_MAX_S`` (5 ms,
    judged by the warm-up) runs in a worker thread (nodes/compute.py): this thread keeps
    heart-beating and handling PhaseMaps, weights and control however long a pass takes, and
    sends the action the moment it is due. A shorter pass runs here, with no hand-off (a
    process of several workers, ``opts.members``: nodes/workers_run.py)."""
    if opts.members:
        from stagger.nodes.workers_run import run as run_workers
        return run_workers(opts)
    import gc
    import os

    import torch
    from stagger.agents.device import check_device
    from stagger.agents.policy import choose
    from stagger.nodes.compute import INLINE_MAX_S, ComputeWorker
    from stagger.nodes.runtime import Runtime, log
    torch.set_num_threads(1)  # this I/O thread; the compute worker sets its own (--threads)
    check_device(opts.device)
    rt = Runtime.for_node(opts, "inference")
    core, policy, eps = make_agent(opts)
    clock = rt.clock
    worker = ComputeWorker(policy, threads=opts.threads, clock=clock).start()
    # warm up before saying hello; the last pass's real time is the clock's first estimate
    core.warm_s = worker.warm_up(np.zeros(tuple(opts.obs_shape), dtype=opts.obs_dtype))
    inline = core.warm_s <= INLINE_MAX_S  # a short pass runs here, with no hand-off to the worker
    load = (lambda arrays, v: policy.load_arrays(arrays, version=v)) if inline else worker.load
    log.info("%s: forward passes of %.1f ms %s", opts.node_id, core.warm_s * 1e3,
             "in the I/O thread" if inline else "in the compute thread")
    rt.watch("compute", worker.fd)
    gc.collect()
    gc.freeze()  # torch's objects out of every later collection (a full one stalls ~100 ms)
    conn = opts.connect
    job: Job | None = None
    deferred = None  # a start tick's observation that came while a pass ran (nodes/inflight.py)

    def start(m) -> Job:
        new = Job(m.frame, clock.now(), 0.0, policy.explore(eps(m.frame), core.rng))
        new.target = core.target_time(new.start)
        if inline:
            r = worker.run_here(m.frame, m.obs)
            if r.error is not None:
                raise r.error
            new.result = r
        else:
            worker.submit(m.frame, m.obs)
        return new

    def finish_due() -> bool:
        """Send the action of a pass that is done and due; start the deferred one, if any."""
        nonlocal job, deferred
        if job is None or job.result is None or clock.now() < job.target:
            return False
        action, greedy = choose(job.result.q, job.coin)
        rt.send_all(core.finished(job.frame, action, greedy, job.start, clock.now(),
                                  job.result.version, job.result.real_s))
        if core.free_running:  # what queued while busy is stale: wait for the next one
            core.free.skip([m.frame for m, _ in rt.drain("obs")])
        job, deferred = (start(deferred), None) if deferred is not None else (None, None)
        return True
    try:
        for ch in ("obs", "actions", "ticks", "control", "weights", "stats"):
            if conn.get(ch):
                rt.connect(ch, conn[ch], subscribe_all=ch != "obs")
        rt.send(Out("control", core.hello(rt.hostname, os.getpid())))
        next_hb = clock.now() + HEARTBEAT_EVERY_S
        next_stats = clock.now()
        while not rt.should_stop() and not core.stopped:
            # only the observations of our own next ticks travel to us (topic per frame)
            rt.subscribe("obs", core.obs_topics())
            wake = min(next_hb, job.target) if job is not None and job.result is not None else next_hb
            ready = rt.poll(min(wake - clock.now(), 0.05))
            if "compute" in ready:
                for r in worker.results():
                    if r.error is not None:
                        raise r.error
                    if job is not None and r.tag == job.frame:
                        job.result = r
            while finish_due():
                pass
            if "obs" in ready:  # our start tick's observation: the action's timing starts here
                got = rt.drain("obs")
                if core.free_running and job is not None:  # queued while busy: never started on
                    got = core.free.skip([m.frame for m, _ in got])
                i = core.pick([m.frame for m, _ in got])
                if i is not None and job is not None:  # a start tick while a pass runs: after its action
                    core.missed += deferred is not None  # a newer one replaces one already waiting
                    deferred = got[i][0]
                elif i is not None:
                    job = start(got[i][0])
                    while finish_due():  # an inline pass with no padding: its action at once
                        pass
            _control(rt, core, load, ready)
            if clock.now() >= next_hb:  # also while a pass runs: a long inference is not death
                next_hb = clock.now() + HEARTBEAT_EVERY_S
                rt.send(Out("control", core.heartbeat(busy=job is not None)))
            if clock.now() >= next_stats:
                next_stats += 1.0
                rt.send(Out("stats", core.stats()))
    finally:
        worker.close()
        rt.send(Out("control", Bye(reason="end of run" if core.stopped else "stopped")))
        rt.send(Out("stats", Stats(kind="inference_final", data={
            **core.stats().data, "device": str(policy.device), "threads": worker.torch_threads,
            "inference_cpu_p50_s": float(np.median(worker.cpu_times)) if worker.cpu_times else None,
            **rt.counters()})))
        rt.close()
        log.info("%s stopped after %d inferences%s", opts.node_id, core.count,
                 " (Stop from the clock: end of run)" if core.stopped else "")
    return 0


def _control(rt, core: InferenceCore, load, ready: set[str]) -> None:
    """Handle the schedule, control and weights messages on the ``ready`` channels (never
    observations); channels poll did not report are not read (no empty reads). Weights go to
    ``load``: the compute worker, which applies them between passes, or the policy itself
    when passes run inline (between them too: this thread runs them)."""
    import os
    for msg, _ in rt.drain("ticks") if "ticks" in ready else ():
        if isinstance(msg, PhaseMap):
            core.on_phase_map(msg)
        else:
            core.on_tick(msg)
    for msg, _ in rt.drain("control") if "control" in ready else ():
        if isinstance(msg, Welcome) and core.on_welcome(msg):
            rt.send(Out("control", core.hello(rt.hostname, os.getpid())))
    if "weights" in ready:
        got = rt.drain("weights")
        if got:
            w = got[-1][0]
            load(w.as_dict(), w.version)


from stagger.nodes.inference_agent import make_agent, model_factory  # noqa: E402,F401 (this module's interface)
