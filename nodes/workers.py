"""K inference workers in one process (``--workers-per-process``), each a member of its own.

Each worker is an :class:`~nodes.inference.InferenceCore`: its own id (``inf07`` stays worker
7 however the workers are grouped), its own phase in the PhaseMap, start ticks, observation
handling, missed and counts, its own exploration rng. The group only shares what one process
has once: the ``obs`` subscription (the union of the workers' next start ticks), the one model
copy (its forward passes queue FIFO and run one at a time, nodes/compute.py), and one
Heartbeats per period for all of them (protocol 1.4).

Every action is still a real forward pass of the model on that worker's own observation. A
simulated latency (``--inference-latency``) is a deadline per worker held here and waited for
by the I/O loop's poll (:meth:`WorkerGroup.next_wake`), never a sleep, so one process keeps
100+ workers in flight at once. With real compute the passes queue behind each other: the
time a worker's observation waits for the model counts in its inference time (honest), so
CPU-bound real models want one worker per process (README, scaling).

Pure: no sockets, every time is an argument (tests/test_workers.py drives it with no clock).
"""
from __future__ import annotations

import heapq
from collections import deque

from stagger.agents.policy import choose
from stagger.nodes.core import Out
from stagger.nodes.inflight import Job
from stagger.protocol.messages import BEAT_FIELDS, Heartbeats, PhaseMap, Stop, Tick, Welcome
from stagger.protocol.topology import frame_topic


class WorkerGroup:
    """The workers of one inference process. ``explore(i, frame)`` draws worker ``i``'s
    exploration coin for an action on ``frame`` (Policy.explore with that worker's rng)."""

    def __init__(self, process_id: str, cores: list, explore):
        if not cores:
            raise ValueError("an inference process hosts at least one worker")
        self.process_id = process_id
        self.cores = cores
        self.explore = explore
        self.by_id = {c.node_id: i for i, c in enumerate(cores)}
        self.jobs: list[Job | None] = [None] * len(cores)  # each worker's pass in flight
        self.deferred: list = [None] * len(cores)  # a start tick's observation waiting behind it
        self.queue: deque = deque()  # ((worker, frame), obs) for the one model, oldest first
        self.computing = False  # a pass is on the model now
        self.due_heap: list = []  # (deadline, worker, frame) of passes whose result is in
        self.want: dict[int, set[int]] = {}  # frame -> workers that start on it
        self.wanted: list[set[int]] = [set() for _ in cores]
        self.abandoned: list[int] = [0] * len(cores)  # passes whose action could no longer land
        self.dirty: set[int] = set(range(len(cores)))  # workers whose wanted frames may have moved
        self.free: set[int] = set()  # free-running workers (a "none" map): every frame is theirs
        self.epoch = -1  # the newest PhaseMap epoch every worker has (the clock re-sends each map)

    # -- what to receive ------------------------------------------------------------------
    def refresh(self) -> None:
        """Recompute the wanted frames of the workers whose knowledge changed."""
        for i in self.dirty:
            core = self.cores[i]
            (self.free.add if core.free_running else self.free.discard)(i)
            new = set() if i in self.free else core.wanted_frames()
            for f in self.wanted[i] - new:
                s = self.want.get(f)
                if s is not None:
                    s.discard(i)
                    if not s:
                        del self.want[f]
            for f in new - self.wanted[i]:
                self.want.setdefault(f, set()).add(i)
            self.wanted[i] = new
        self.dirty.clear()

    def topics(self) -> set[bytes]:
        """The process's obs subscription: every worker's next two start ticks (b"": all)."""
        self.refresh()
        if self.free:
            return {b""}
        return {frame_topic(f) for f in self.want}

    # -- inputs -----------------------------------------------------------------------------
    def on_obs(self, observations: list, now: float) -> None:
        """Observations just drained (oldest first): each goes to the workers starting on it
        (to every free-running one); each worker picks as a node of its own would."""
        self.refresh()
        free = sorted(self.free)
        mine: dict[int, list] = {}
        for m in observations:
            for i in self.want.get(m.frame, ()):
                mine.setdefault(i, []).append(m)
            for i in free:
                mine.setdefault(i, []).append(m)
        for i, got in mine.items():
            core = self.cores[i]
            self.dirty.add(i)
            k = core.pick([m.frame for m in got])
            if k is None:
                continue
            if self.jobs[i] is not None and not self._too_late(i, got[k].frame):
                core.missed += self.deferred[i] is not None  # its own pass in flight: after its action
                self.deferred[i] = got[k]
            else:
                if self.jobs[i] is not None:
                    self.abandoned[i] += 1
                self.jobs[i], self.deferred[i] = None, None
                self._start(i, got[k], now)

    def _too_late(self, i: int, frame: int) -> bool:
        """Worker ``i``'s action in flight was to land at ``frame`` or before: the env took
        that frame's action before it published the observation that just came, so it can
        only arrive late and be superseded. Waiting for it would start the new pass late, and
        (a period of exactly D ticks) every pass after it, for good (seen once under load:
        7 of 121 workers stuck 1.8 s late). It is abandoned, its action never sent, and the
        new pass starts now (``abandoned`` in the worker's stats). Free-running: never."""
        job, core = self.jobs[i], self.cores[i]
        sched = core._schedule_at(job.frame)
        return sched is not None and not core.free.active(sched) and job.frame + sched.needed <= frame

    def _start(self, i: int, m, now: float) -> None:
        job = Job(m.frame, now, 0.0, self.explore(i, m.frame))
        job.target = self.cores[i].target_time(now)
        self.jobs[i] = job
        self.queue.append(((i, m.frame), m.obs))

    def next_pass(self):
        """(tag, obs) of the next forward pass for the model, or None (one at a time)."""
        if self.computing or not self.queue:
            return None
        self.computing = True
        return self.queue.popleft()

    def on_result(self, result) -> None:
        """A finished pass (nodes.compute.Result, ``tag`` (worker, frame)); its error raises."""
        self.computing = False
        if result.error is not None:
            raise result.error
        i, frame = result.tag
        job = self.jobs[i]
        if job is not None and job.frame == frame:
            job.result = result
            heapq.heappush(self.due_heap, (job.target, i, frame))

    def next_wake(self) -> float | None:
        """The earliest deadline of an action whose pass is done (None: none waits)."""
        return self.due_heap[0][0] if self.due_heap else None

    def due(self, now: float) -> list[Out]:
        """The Action (in its worker's name) and a one-entry Heartbeats for every action due
        by ``now``; a start that waited behind it begins now."""
        outs: list[Out] = []
        while self.due_heap and self.due_heap[0][0] <= now:
            _, i, frame = heapq.heappop(self.due_heap)
            job, core = self.jobs[i], self.cores[i]
            if job is None or job.frame != frame or job.result is None:
                continue
            action, greedy = choose(job.result.q, job.coin)
            act, _beat = core.finished(job.frame, action, greedy, job.start, now,
                                       job.result.version, job.result.real_s)
            outs.append(Out(act.channel, act.msg, node=core.node_id))
            outs.append(Out("control", Heartbeats(entries=[self.entry(i)])))
            self.jobs[i] = None
            if self.deferred[i] is not None:
                waiting, self.deferred[i] = self.deferred[i], None
                self._start(i, waiting, now)
        return outs

    def entry(self, i: int) -> dict:
        """Worker ``i``'s Heartbeat as a Heartbeats entry."""
        beat = self.cores[i].heartbeat(busy=self.jobs[i] is not None)
        return {"node": self.cores[i].node_id,
                **{name: getattr(beat, name) for name, _ in BEAT_FIELDS}}

    def heartbeats(self) -> Out:
        """The period's one Heartbeats of the process: workers that have done nothing yet are
        only ``alive``; the others report their timings."""
        alive = [c.node_id for i, c in enumerate(self.cores) if c.count == 0 and self.jobs[i] is None]
        entries = [self.entry(i) for i, c in enumerate(self.cores) if c.count or self.jobs[i] is not None]
        return Out("control", Heartbeats(alive=alive, entries=entries))

    def on_ticks(self, msg) -> None:
        """A PhaseMap, Tick or Stop on ``ticks``: for every worker (a map the workers have
        already, re-sent every 0.5 s, is not read K times again)."""
        if isinstance(msg, PhaseMap):
            if msg.epoch <= self.epoch:
                return
            self.epoch = msg.epoch
        for core in self.cores:
            if isinstance(msg, PhaseMap):
                core.on_phase_map(msg)
            elif isinstance(msg, (Tick, Stop)):
                core.on_tick(msg)
        self.dirty.update(range(len(self.cores)))

    def on_welcome(self, msg: Welcome, host: str, pid: int) -> list[Out]:
        """A Welcome to one of the workers; a Hello again if it must re-join."""
        i = self.by_id.get(msg.to)
        if i is None:
            return []
        core = self.cores[i]
        again = core.on_welcome(msg)
        self.dirty.add(i)
        return [Out("control", core.hello(host, pid), node=core.node_id)] if again else []

    def hellos(self, host: str, pid: int) -> list[Out]:
        return [Out("control", c.hello(host, pid), node=c.node_id) for c in self.cores]

    @property
    def stopped(self) -> bool:
        return any(c.stopped for c in self.cores)

    def busy(self) -> bool:
        return any(j is not None for j in self.jobs)
