"""Staggering as pure functions, in tick terms (one tick = one env frame).

The paper's Algorithm 1 (``max_time``) and Algorithm 2 (``exp_time``) decide how far apart
N inference processes start. Here time is counted in env frames, so nodes on other
machines need no synchronised clocks:

* an inference of ``t`` seconds started on the observation of frame ``s`` lands at frame
  ``s + D`` with ``D = ceil((t + margin) / t_m)`` (the first deadline after it is sent);
* a node is free again at ``s + D``, so N nodes spaced ``max(D / N, k)`` ticks apart give a
  fresh action every ``k`` frames as soon as ``N >= D / k``;
* ``max_time`` takes ``t`` as the maximum inference time seen after warm-up (optionally
  over a sliding window, fixing D4), ``exp_time`` as the mean.

Re-phasing (fixes D3/D3b): every change of membership or of ``D`` produces a new
:class:`Schedule` whose order is the nodes sorted by the tick they become free, i.e. the
cyclic firing order is kept and every node behind the one that overran shifts by its
distance times the growth of the spacing, exactly as Algorithm 1 with
``dist(x, p) = (x - p) mod N``. No node is ever scheduled before it is free (no lost
increments, no negative sleeps: D2).
"""
from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field
from functools import cached_property

EPS = 1e-9
ALGORITHMS = ("max_time", "exp_time")


@dataclass(frozen=True)
class Schedule:
    """Who starts on which tick. Effective from tick ``anchor`` on."""

    epoch: int
    anchor: int
    spacing: float  # ticks between consecutive starts (>= action cadence k)
    order: tuple[str, ...]
    needed: int = 1  # D: ticks from observation to landing

    @property
    def period(self) -> float:
        """Ticks between two starts of the same node."""
        return self.spacing * len(self.order)

    @cached_property
    def position(self) -> dict[str, int]:
        """node -> its index in ``order``, computed once per schedule (1,000 members: a lookup
        per node instead of a scan of the order)."""
        return {node: r for r, node in enumerate(self.order)}

    def slot_tick(self, j: int) -> int:
        return self.anchor + int(math.floor(j * self.spacing + EPS))

    def starter(self, tick: int) -> str | None:
        """The node that starts on ``tick``, or None."""
        n = len(self.order)
        x = tick - self.anchor
        if n == 0 or x < 0:
            return None
        j0 = int(math.floor(x / self.spacing))
        for j in (j0 - 1, j0, j0 + 1):
            if j >= 0 and self.slot_tick(j) == tick:
                return self.order[j % n]
        return None

    def starts_at(self, node: str, tick: int) -> bool:
        return self.starter(tick) == node

    def next_start(self, node: str, after: int) -> int | None:
        """First tick >= ``after`` on which ``node`` starts."""
        r = self.position.get(node)
        if r is None:
            return None
        n = len(self.order)
        x = max(after - self.anchor, 0)
        m = max(int(math.floor((x / self.spacing - r) / n)) - 1, 0)
        while True:
            t = self.slot_tick(r + m * n)
            if t >= after:
                return t
            m += 1


def ticks_needed(seconds: float, frame_s: float, margin_s: float) -> int:
    """Frames from an observation to the first deadline after its action is sent."""
    return max(1, int(math.ceil((seconds + margin_s) / frame_s - EPS)))


def theory_nodes(seconds: float, frame_s: float, action_every: int = 1) -> int:
    """The paper's N = ceil(t_theta / (k t_m))."""
    return max(1, int(math.ceil(seconds / (action_every * frame_s) - EPS)))


def make_schedule(epoch: int, free_at: dict[str, int], now: int, needed: int,
                  action_every: int = 1, lead: int = 2) -> Schedule:
    """A schedule for the nodes in ``free_at`` (node -> first tick it can start).

    Order: by free tick (ties by id), which keeps the cyclic firing order. Anchor: no
    earlier than ``now + lead`` (time for the schedule to reach every node), shifted so
    that no node starts before it is free, and aligned so actions land on due slots.
    """
    k = max(1, int(action_every))
    order = tuple(sorted(free_at, key=lambda n: (free_at[n], n)))
    n = len(order)
    if n == 0:
        return Schedule(epoch, now + lead, float(k), (), needed)
    spacing = max(needed / n, float(k))
    anchor = now + lead
    for r, node in enumerate(order):
        start = anchor + int(math.floor(r * spacing + EPS))
        if start < free_at[node]:
            anchor += free_at[node] - start
    if k > 1:  # land on a due slot: (anchor + needed) % k == 0
        anchor += (-(anchor + needed)) % k
    return Schedule(epoch, anchor, spacing, order, needed)


@dataclass
class Estimator:
    """Inference-time estimate for one algorithm.

    ``max_time``: maximum over reports after each node's first ``warmup`` inferences (D4),
    over the last ``window`` reports if given (None = the paper's never-decaying maximum).
    ``exp_time``: mean over the last ``window`` reports (default 100).
    """

    algorithm: str = "max_time"
    initial_s: float = 0.0
    warmup: int = 2
    window: int | None = None
    _seen: dict = field(default_factory=dict)
    _samples: deque = field(default_factory=deque)
    _max: float = 0.0

    def __post_init__(self):
        if self.algorithm not in ALGORITHMS:
            raise ValueError(f"unknown algorithm {self.algorithm!r}; allowed: {', '.join(ALGORITHMS)}")
        if self.algorithm == "exp_time" and self.window is None:
            self.window = 100

    def observe(self, node: str, seconds: float) -> None:
        count = self._seen.get(node, 0)
        self._seen[node] = count + 1
        if count < self.warmup:
            return
        self._samples.append(seconds)
        if self.window is not None and len(self._samples) > self.window:
            self._samples.popleft()
        if self.window is None:
            self._max = max(self._max, seconds)

    def warmed(self, node: str) -> None:
        """``node`` warmed its model up before joining: its reports count from the first."""
        self._seen[node] = max(self._seen.get(node, 0), self.warmup)

    def estimate(self) -> float:
        if not self._samples:
            return self.initial_s
        if self.algorithm == "exp_time":
            return sum(self._samples) / len(self._samples)
        if self.window is None:
            return max(self._max, self.initial_s)
        return max(self._samples)
