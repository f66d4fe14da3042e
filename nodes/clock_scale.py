"""What lets the clock serve 1,000 members (a mixin of :class:`nodes.clock.ClockCore`).

- ``handle_all``: one drain of ``control`` at a time, re-phased at most once at its end
  (1,000 Hellos arriving together make one new epoch, not 1,000 maps of growing size);
- ``Heartbeats`` (protocol 1.4) are unpacked by ``ClockCore.handle`` into one Heartbeat per
  entry: a process hosting K members sends one message per period instead of K;
- ``_compact``: compact PhaseMaps (member numbers, ~2 bytes a member) while every member
  reads them (Hello ``info.compact_maps``), maps naming ids otherwise;
- ``_sorted_members``: the sorted member list of the Stats, computed once per change.

The rest of the per-N cost is gone from the hot paths: ``Membership.expire`` looks only at
the members that may be stale, ``Schedule.position`` replaces scans of the order.
"""
from __future__ import annotations

from stagger.nodes.phasemaps import COMPACT_KEY
from stagger.nodes.timebase import CpuMeter  # noqa: F401 (the clock loop's, with with_load)
from stagger.protocol.messages import Heartbeat, Heartbeats


class ClockScale:
    _batch = False  # inside handle_all: _rephase only marks _pending
    _pending = False
    _sorted: tuple = (-1, [])

    def handle_all(self, batch, now: float) -> list:
        """``handle`` for every (msg, identity) of ``batch``, with at most one re-phase at
        the end. Welcomes go out first, then the map."""
        self._batch, self._pending, outs = True, False, []
        try:
            for msg, identity in batch:
                outs += self.handle(msg, now, identity)
        finally:
            self._batch = False
        if self._pending:
            outs += self._rephase(now)
        return outs

    def _heartbeats(self, msg: Heartbeats, now: float, identity: bytes) -> list:
        """A process's Heartbeats: each member in ``alive`` only seen (an unknown one is told
        to re-join, as for its own Heartbeat), each entry handled as that member's Heartbeat."""
        outs = []
        for node in msg.alive:
            if self.members.seen(node, now) is None:
                outs += self._heartbeat(Heartbeat(node=node), now, identity)
        for beat in msg.beats():
            outs += self._heartbeat(beat, now, identity)
        return outs

    def _compact(self) -> bool:
        """True while every member of the schedule reads compact maps, and never for a
        restarted clock (its numbers are not the dead clock's, whose maps nodes still hold)."""
        if self.cfg.first_epoch or self.cfg.rejoin_grace_s:
            return False
        members = self.members.members
        return all(members[n].info.get(COMPACT_KEY) for n in self.schedule.order if n in members)

    def _sorted_members(self) -> list[str]:
        if self._sorted[0] != self.members.version:
            self._sorted = (self.members.version, sorted(self.members.members))
        return self._sorted[1]


def with_load(stats, meter):
    """The clock's Stats with its CPU use so far (``cpu_s``, ``wall_s``, ``cpu_per_s``)."""
    return type(stats)(kind=stats.kind, data={**stats.data, **meter.snapshot()})
