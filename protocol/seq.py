"""Sequence numbers: the only way to count what PUB, HWMs and full queues lose.

A sender numbers its messages 0, 1, 2, ... separately on each channel (``Sequencer``).
A receiver keeps one ``SeqCounter`` per channel (or passes ``(sender, channel)`` keys) and
feeds it every decoded message: gaps are drops, a number seen again is a duplicate, a
missing number arriving late is reordered (and no longer a drop).
"""

from dataclasses import dataclass, field
from typing import Hashable

MAX_TRACKED = 4096  # missing numbers remembered per sender, to recognise late arrivals


class Sequencer:
    """Sender side: the next sequence number per channel, starting at 0."""

    def __init__(self) -> None:
        self._next: dict[Hashable, int] = {}

    def next(self, channel: Hashable) -> int:
        seq = self._next.get(channel, 0)
        self._next[channel] = seq + 1
        return seq


@dataclass(slots=True)
class SenderState:
    expected: int | None  # next sequence number due; None until the first message sets it
    received: int = 0
    dropped: int = 0
    duplicates: int = 0
    reordered: int = 0
    restarts: int = 0
    missing: dict = field(default_factory=dict)  # insertion-ordered set of recent gaps

    def as_dict(self) -> dict:
        return {"received": self.received, "dropped": self.dropped, "duplicates": self.duplicates,
                "reordered": self.reordered, "restarts": self.restarts}


class SeqCounter:
    """Receiver side: per-sender expected sequence numbers and exact loss accounting.

    ``start=0`` (default) counts messages missing before the first one seen as dropped:
    right for PUSH/PULL and for anything sent after a Hello/Welcome handshake.
    ``start=None`` takes the first message seen as the baseline: for a subscriber that
    joined a publisher already running (the slow joiner misses an unknown prefix).
    """

    def __init__(self, start: int | None = 0) -> None:
        self.start = start
        self.senders: dict[Hashable, SenderState] = {}

    def observe(self, sender: Hashable, seq: int) -> int:
        """Account one message; return how many messages this one shows to be missing."""
        state = self.senders.get(sender)
        if state is None:
            state = self.senders[sender] = SenderState(expected=self.start)
        state.received += 1
        if state.expected is None or seq == state.expected:
            state.expected = seq + 1
            return 0
        if seq > state.expected:
            gap = seq - state.expected
            state.dropped += gap
            for lost in range(max(state.expected, seq - MAX_TRACKED), seq):
                state.missing[lost] = None
            while len(state.missing) > MAX_TRACKED:
                del state.missing[next(iter(state.missing))]
            state.expected = seq + 1
            return gap
        if seq in state.missing:  # late, not lost after all
            del state.missing[seq]
            state.dropped -= 1
            state.reordered += 1
        else:
            state.duplicates += 1
        return 0

    def reset(self, sender: Hashable) -> None:
        """The sender restarted (a new Hello): its numbering begins again; counts are kept."""
        state = self.senders.get(sender)
        if state is None:
            self.senders[sender] = SenderState(expected=self.start)
            return
        state.expected = self.start
        state.missing.clear()
        state.restarts += 1

    def _total(self, name: str) -> int:
        return sum(getattr(state, name) for state in self.senders.values())

    @property
    def dropped(self) -> int:
        return self._total("dropped")

    @property
    def duplicates(self) -> int:
        return self._total("duplicates")

    @property
    def reordered(self) -> int:
        return self._total("reordered")

    @property
    def received(self) -> int:
        return self._total("received")

    def snapshot(self) -> dict:
        """Totals and per-sender counts, ready for a Stats message."""
        return {"received": self.received, "dropped": self.dropped, "duplicates": self.duplicates,
                "reordered": self.reordered,
                "senders": {str(sender): state.as_dict() for sender, state in self.senders.items()}}
