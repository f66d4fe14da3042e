"""Forward passes in their own thread, so a node's I/O thread never waits for one.

The I/O thread (the only one that touches zmq sockets) :meth:`~ComputeWorker.submit`\\ s an
observation and goes on polling: heartbeats, PhaseMaps, weights and control are handled while
a pass of any length runs. The worker thread runs the pass (torch releases the GIL inside its
kernels) and posts a :class:`Result`, then makes :attr:`~ComputeWorker.fd` readable, so the
I/O loop's poll wakes the moment the pass ends (register the fd with ``Runtime.watch``).
Weights are handed over the same way and applied between passes (the newest wins), so a pass
never runs on half-loaded weights and the I/O thread never blocks on a copy.

Priorities: the I/O thread keeps the node's realtime class (it decides when an action is
sent); the worker moves its own thread (and the torch threads it starts) to the normal class
at nice ``COMPUTE_NICE``: ahead of ordinary processes and of the learner (nice 10), behind
every realtime node. Not realtime itself: passes that saturate the CPUs under SCHED_FIFO would
trip the kernel's realtime throttling (95% of each second by default), which stalls every
realtime task, the env included, and would starve the learner outright. ``threads`` sets
torch's intra-op threads for it.
Reusable by any node that runs a policy: one worker per model, no sockets inside.
"""
from __future__ import annotations

import os
import select
import threading
import time
from collections import deque
from dataclasses import dataclass

import numpy as np

from stagger.nodes.timebase import Clock

# A pass up to this long runs in the I/O thread itself (its realtime class), without the
# hand-off to the worker thread: handed over, it made the I/O thread wait for the GIL behind a
# thread the loaded machine did not schedule (obs read 150 ms late, measured), and even on a
# quiet machine the hand-off cost ~0.3 ms of every action (counted in its inference time).
# Longer passes go to the worker thread, so heartbeats and deadlines never wait for them.
INLINE_MAX_S = 0.005
COMPUTE_NICE = -10  # the worker thread's niceness (0 where the OS refuses a negative one)
WARMUP_PASSES = 3
WARMUP_BUDGET_S = 2.0


@dataclass
class Result:
    """One finished job: the pass's output (None for a weights load), its real seconds, the
    weights version it ran with, or the exception it raised."""

    tag: object
    q: np.ndarray | None
    real_s: float
    version: int
    error: BaseException | None = None
    cpu_s: float = 0.0  # CPU time of the worker thread in the pass (< real_s when it waited for a core)


class ComputeWorker:
    """One forward pass at a time on ``policy`` (an :class:`agents.policy.Policy`)."""

    def __init__(self, policy, *, threads: int = 1, clock: Clock | None = None,
                 normal_priority: bool = True, name: str = "compute"):
        self.policy = policy
        self.threads = int(threads)
        self.clock = clock or Clock()
        self.normal_priority = normal_priority
        self._cv = threading.Condition()
        self._job: tuple | None = None
        self._weights: tuple | None = None
        self._running = False
        self._stop = False
        self._results: deque[Result] = deque()
        self._r, self._w = os.pipe()
        os.set_blocking(self._r, False)
        os.set_blocking(self._w, False)
        self._thread = threading.Thread(target=self._main, name=name, daemon=True)
        self.torch_threads = 0
        self.cpu_times: deque[float] = deque(maxlen=200)  # per pass, a diagnostic for shared machines

    @property
    def fd(self) -> int:
        """Readable while a result waits to be taken."""
        return self._r

    @property
    def busy(self) -> bool:
        """A pass is queued or running."""
        with self._cv:
            return self._job is not None or self._running

    def start(self) -> "ComputeWorker":
        self._thread.start()
        return self

    def submit(self, tag, obs: np.ndarray) -> None:
        """Queue one forward pass of ``obs``; its Result carries ``tag``. One at a time."""
        with self._cv:
            if self._job is not None or self._running:
                raise RuntimeError("ComputeWorker: a pass is still running; wait for its result")
            self._job = (tag, obs)
            self._cv.notify()

    def load(self, arrays, version: int) -> None:
        """Weights to apply before the next pass (a newer load replaces one not applied yet)."""
        with self._cv:
            self._weights = (arrays, int(version))
            self._cv.notify()

    def results(self) -> list[Result]:
        """Every result posted so far (oldest first), without waiting."""
        try:
            while os.read(self._r, 4096):
                pass
        except BlockingIOError:
            pass
        with self._cv:
            out = list(self._results)
            self._results.clear()
        return out

    def run_here(self, tag, obs: np.ndarray) -> Result:
        """One pass in the calling thread (a short pass, ``warm <= INLINE_MAX_S``: the I/O
        thread runs it itself, under its realtime class, with no hand-off); the same Result,
        timing and ``cpu_times`` as a pass in the worker thread. Only while no pass is queued."""
        with self._cv:
            if self._job is not None or self._running:
                raise RuntimeError("ComputeWorker: a pass is still running; wait for its result")
        return self._run(None, (tag, obs))

    def call(self, obs: np.ndarray, timeout_s: float | None = None) -> Result:
        """One pass, waiting for it (warm-up before the node says hello). Raises its error."""
        self.submit("call", obs)
        deadline = None if timeout_s is None else self.clock.now() + timeout_s
        while True:
            for r in self.results():
                if r.error is not None:
                    raise r.error
                if r.tag == "call":
                    return r
            left = None if deadline is None else max(0.0, deadline - self.clock.now())
            if left == 0.0:
                raise TimeoutError(f"forward pass not done after {timeout_s} s")
            select.select([self._r], [], [], left)

    def warm_up(self, obs: np.ndarray, passes: int = WARMUP_PASSES,
                budget_s: float = WARMUP_BUDGET_S) -> float:
        """A few passes before the node says hello: the first calls of a torch model are
        slow (allocation, kernel selection) and would overrun the schedule (the paper's D4).
        Stops early once ``budget_s`` is spent (a slow model is warm after one pass).
        Returns the real seconds of the last pass: the node's first estimate of its time."""
        began, took = self.clock.now(), 0.0
        for _ in range(passes):
            took = self.call(obs).real_s
            if self.clock.now() - began > budget_s:
                break
        return took

    def close(self, timeout_s: float = 1.0) -> None:
        """Stop after the current pass (not waited for beyond ``timeout_s``: the thread is a
        daemon, a long pass does not hold the process)."""
        with self._cv:
            self._stop = True
            self._cv.notify()
        if self._thread.is_alive():
            self._thread.join(timeout_s)
        if not self._thread.is_alive():
            os.close(self._r)
            os.close(self._w)

    # -- the worker thread ------------------------------------------------------------------
    def _setup(self) -> None:
        import torch
        if self.normal_priority:  # Linux: this thread only (scheduling is per thread)
            try:
                os.sched_setscheduler(0, os.SCHED_OTHER, os.sched_param(0))
                os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), COMPUTE_NICE)
            except (OSError, AttributeError):
                pass
        torch.set_num_threads(self.threads)
        self.torch_threads = torch.get_num_threads()  # what torch really uses here (for stats)

    def _main(self) -> None:
        self._setup()
        while True:
            with self._cv:
                while not self._stop and self._job is None and self._weights is None:
                    self._cv.wait()
                if self._stop:
                    return
                weights, self._weights = self._weights, None
                job, self._job = self._job, None
                self._running = job is not None
            self._post(self._run(weights, job))

    def _run(self, weights, job) -> Result:
        tag = job[0] if job is not None else "weights"
        try:
            if weights is not None:
                self.policy.load_arrays(weights[0], version=weights[1])
            if job is None:
                return Result(tag, None, 0.0, self.policy.version)
            t0, c0 = self.clock.now(), time.thread_time()  # (torch's own threads not counted)
            q = self.policy.q_values(job[1])
            real_s, cpu_s = self.clock.now() - t0, time.thread_time() - c0
            self.cpu_times.append(cpu_s)
            return Result(tag, q, real_s, self.policy.version, cpu_s=cpu_s)
        except Exception as exc:  # handed to the I/O thread, which decides
            return Result(tag, None, 0.0, self.policy.version, exc)

    def _post(self, result: Result) -> None:
        with self._cv:
            self._results.append(result)
            self._running = False
        try:
            os.write(self._w, b"\x01")
        except BlockingIOError:  # the pipe is full of wake-ups already: the reader will look
            pass
