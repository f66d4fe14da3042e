"""Who is alive: membership by Hello / Heartbeat / Bye, the Paranoid Pirate way.

A member that sends nothing for ``HEARTBEAT_TIMEOUT_S`` is dropped. Pure: the caller passes
the current time; nothing here reads a clock.
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


@dataclass
class Membership:
    timeout_s: float = HEARTBEAT_TIMEOUT_S
    members: dict[str, Member] = field(default_factory=dict)
    drops: dict[str, int] = field(default_factory=dict)
    joins: dict[str, int] = field(default_factory=dict)

    def hello(self, node: str, kind: str, now: float, *, host: str = "", identity: bytes = b"",
              info: dict | None = None, free_at: int = 0) -> Member:
        """Add (or re-add) a member. Returns it."""
        self.joins[node] = self.joins.get(node, 0) + 1
        m = Member(node, kind, host, identity, now, now, free_at=free_at, joins=self.joins[node],
                   info=dict(info or {}))
        self.members[node] = m
        return m

    def seen(self, node: str, now: float) -> Member | None:
        m = self.members.get(node)
        if m is not None:
            m.last_seen = now
        return m

    def bye(self, node: str) -> Member | None:
        return self.members.pop(node, None)

    def expire(self, now: float) -> list[Member]:
        """Drop and return the members silent for longer than the timeout."""
        gone = [m for m in self.members.values() if now - m.last_seen > self.timeout_s]
        for m in gone:
            del self.members[m.node]
            self.drops[m.node] = self.drops.get(m.node, 0) + 1
        return gone

    def of_kind(self, kind: str) -> list[Member]:
        return [m for m in self.members.values() if m.kind == kind]
