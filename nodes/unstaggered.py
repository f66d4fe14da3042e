"""The unstaggered baseline (``--algorithm none``) as pure functions, in tick terms.

The paper's "asynchronous inference and parallel learning" without staggering: N inference
processes, each of which starts on the newest observation as soon as it is free, with no
phases. They are started together (the clock's ``none`` PhaseMap names one anchor tick,
after every member is free), so they all take the same observation, land on the same
frame and supersede one another: one fresh action per cycle of ``needed`` ticks whatever
N, i.e. a coverage of about ``1 / needed = 1 / ceil(t_theta / t_m)`` (the paper's claim that
unstaggered processes collide). Nodes that start on different ticks (a late joiner) keep
their offset, because every node's cycle is the same ``needed`` ticks.

One tick = one env frame; an inference started on the observation of tick ``s`` lands at
``s + needed`` and its node is free again on that tick (it takes that tick's observation).
In realtime "free" means: it has sent its action, and it starts on the next observation that
arrives, never on one that queued while it was busy (so nodes that finish within the same
frame take the same observation and stay together, as here). Starting on the queued one
instead lets the nodes' phases drift apart with the machine's timing noise (measured: README).
"""
from __future__ import annotations

ALGORITHM = "none"  # the PhaseMap.algorithm value that means "free-running" (PROTOCOL.md 1.1)


def anchor_tick(free_at: dict[str, int], now: int, lead: int = 2) -> int:
    """The tick every member starts on together: no earlier than ``now + lead`` (time for the
    map to reach every node) and no node starts before it is free."""
    return max([now + lead, *free_at.values()])


def free_running_starts(free_at: dict[str, int], needed: int, frames: int,
                        anchor: int = 0) -> list[tuple[int, str]]:
    """Every (tick, node) start in ticks [0, frames): each node starts at
    ``max(anchor, free_at[node])`` and then again every ``needed`` ticks (free on its landing
    tick, it takes the newest observation: that tick's). Sorted by tick, then node."""
    if needed < 1:
        raise ValueError(f"needed must be >= 1 tick, got {needed}")
    starts = []
    for node, free in free_at.items():
        starts += [(t, node) for t in range(max(anchor, free), frames, needed)]
    return sorted(starts)


def landings(starts: list[tuple[int, str]], needed: int) -> dict[int, list[str]]:
    """Landing tick -> the nodes whose actions land on it (more than one: they collide and
    all but one are superseded)."""
    out: dict[int, list[str]] = {}
    for t, node in starts:
        out.setdefault(t + needed, []).append(node)
    return out


def coverage(starts: list[tuple[int, str]], needed: int, first: int, last: int) -> float:
    """Fraction of the ticks in [first, last) on which at least one fresh action lands."""
    if last <= first:
        return 0.0
    hit = {t for t in landings(starts, needed) if first <= t < last}
    return len(hit) / (last - first)


def expected_coverage(needed: int, n: int = 1) -> float:
    """Coverage of N nodes started together: one landing per ``needed`` ticks, whatever N."""
    return 1.0 / max(1, needed) if n >= 1 else 0.0


class FreeRunning:
    """An inference node's state under ``none`` maps (PROTOCOL.md 1.3), kept by InferenceCore."""

    def __init__(self):
        self.epochs: set[int] = set()  # epochs of the "none" maps received
        self.backlog_through = -1  # newest frame that queued while the node was busy

    def on_map(self, epoch: int, algorithm: str) -> None:
        if algorithm == ALGORITHM:
            self.epochs.add(epoch)

    def active(self, schedule) -> bool:
        return schedule is not None and schedule.epoch in self.epochs

    def pick(self, node: str, schedule, frames: list[int]) -> int | None:
        """The newest frame, if ``node`` is a member, the anchor has come and it did not queue
        while the node was busy (all members start together on the anchor's observation)."""
        ok = node in schedule.order and frames[-1] >= schedule.anchor and frames[-1] > self.backlog_through
        return len(frames) - 1 if ok else None

    def skip(self, frames: list[int]) -> list:
        """Observations that queued while busy are never started on: nodes that finish within
        the same frame take the same next observation. Returns [] (nothing left to pick)."""
        if frames:
            self.backlog_through = max(self.backlog_through, max(frames))
        return []
