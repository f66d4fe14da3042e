"""Who is alive: membership by Hello / Heartbeat / Bye, the Paranoid Pirate way.

A member that sends nothing for ``HEARTBEAT_TIMEOUT_S`` is dropped. Pure: the caller passes
the current time; nothing here reads a clock.

For 1,000 members ``expire`` does not scan them all on every timer: it knows the earliest
time any member can go stale (the oldest ``last_seen`` plus the timeout, from its last scan;
``seen`` only moves times later) and returns at once before it. ``seen`` stays a dict lookup.
Every id gets a member number at its first Hello, kept across re-joins: compact PhaseMaps
(protocol 1.4) name members by it.
"""
from __future__ import annotations

from dataclasses import dataclass, field

HEARTBEAT_INTERVAL_S = 0.2  # how often a node says it is alive
HEARTBEAT_TIMEOUT_S = 1.0  # silence after which it is dropped


@dataclass
class Member:
    node: str
    kind: str
    host: str = ""
    identity: bytes = b""
    joined_at: float = 0.0
    last_seen: float = 0.0
    last_tick: int = -1  # last tick it started an inference on
    free_at: int = 0  # first tick it can start again
    joins: int = 1
    info: dict = field(default_factory=dict)
    max_silence_s: float = 0.0  # the longest time between two of its messages (liveness margin)


@dataclass
class Membership:
    timeout_s: float = HEARTBEAT_TIMEOUT_S
    members: dict[str, Member] = field(default_factory=dict)
    drops: dict[str, int] = field(default_factory=dict)
    joins: dict[str, int] = field(default_factory=dict)
    numbers: dict[str, int] = field(default_factory=dict)  # id -> member number, never reused
    version: int = 0  # changes with every join and leave (cached views of the membership)
    _check_at: float = field(default=float("-inf"), repr=False)  # no member is stale before this
    left_silence_s: dict[str, float] = field(default_factory=dict)  # max_silence_s of members gone

    def hello(self, node: str, kind: str, now: float, *, host: str = "", identity: bytes = b"",
              info: dict | None = None, free_at: int = 0) -> Member:
        """Add (or re-add) a member. Returns it."""
        if node in self.members:
            self._left(self.members[node])
        self.joins[node] = self.joins.get(node, 0) + 1
        self.numbers.setdefault(node, len(self.numbers))
        m = Member(node, kind, host, identity, now, now, free_at=free_at, joins=self.joins[node],
                   info=dict(info or {}))
        self.members[node] = m
        self.version += 1
        return m

    def seen(self, node: str, now: float) -> Member | None:
        m = self.members.get(node)
        if m is not None:
            if now - m.last_seen > m.max_silence_s:
                m.max_silence_s = now - m.last_seen
            m.last_seen = now
        return m

    def max_silences(self) -> dict[str, float]:
        """Each node's longest silence while a member (over all its memberships), seconds."""
        out = dict(self.left_silence_s)
        for m in self.members.values():
            out[m.node] = max(out.get(m.node, 0.0), m.max_silence_s)
        return out

    def _left(self, m: Member) -> None:
        self.left_silence_s[m.node] = max(self.left_silence_s.get(m.node, 0.0), m.max_silence_s)

    def bye(self, node: str) -> Member | None:
        m = self.members.pop(node, None)
        if m is not None:
            self._left(m)
        self.version += m is not None
        return m

    def expire(self, now: float) -> list[Member]:
        """Drop and return the members silent for longer than the timeout (a scan of the
        members only once the oldest one seen at the last scan may have gone stale)."""
        if now <= self._check_at:
            return []
        gone = [m for m in self.members.values() if now - m.last_seen > self.timeout_s]
        for m in gone:
            del self.members[m.node]
            self._left(m)
            self.drops[m.node] = self.drops.get(m.node, 0) + 1
        self.version += bool(gone)
        self._check_at = min((m.last_seen for m in self.members.values()), default=now) + self.timeout_s
        return gone

    def of_kind(self, kind: str) -> list[Member]:
        return [m for m in self.members.values() if m.kind == kind]


def describe(ev: dict) -> str:
    """One membership event as a log line that names the node, its host and its last tick."""
    where = f"{ev['node']} on host {ev.get('host') or '?'}"
    if ev["event"] == "drop":
        return (f"{where} went stale (silent > {HEARTBEAT_TIMEOUT_S:g} s): last tick it answered "
                f"{ev.get('last_tick', -1)}, now tick {ev['tick']}; dropped, the others re-phased")
    if ev["event"] == "join":
        return f"{where} joined at tick {ev['tick']}"
    return f"{ev['node']} said bye at tick {ev['tick']} ({ev.get('reason') or 'no reason'})"
