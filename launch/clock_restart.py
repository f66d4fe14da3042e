"""Restarting a clock that exited (`stagger run` and `stagger launch`, ``--clock-restarts``).

The clock is off the action path: while it is gone the env keeps stepping at its frame rate
(it never waits for the clock) and every inference node keeps following the last PhaseMap it
has (phases are in env frames, which the nodes get from the env itself). The new clock binds
the dead one's endpoints (the same tcp ports, the same ipc paths), so every node's sockets
reconnect by themselves; a node's next heartbeat reaches a clock that does not know it, which
answers ``rejoin``, and the node says hello again (PROTOCOL.md, "When the clock restarts"). The
new clock gathers those hellos for ``REJOIN_GRACE_S`` and then publishes one PhaseMap whose
epoch is above every epoch the dead clock could have published, which every node adopts.

Each restart is recorded for details.json (``clock_restarts``): when it was noticed, the
exit code, and the downtime (noticed until the new clock's first PhaseMap was seen in its
Stats, which come every 0.25 s).
"""
from __future__ import annotations

import os
import time

from stagger.nodes.membership import HEARTBEAT_INTERVAL_S

EPOCH_GAP = 1000  # epochs a clock could publish between two of its Stats (0.25 s): far fewer
REJOIN_GRACE_S = 2 * HEARTBEAT_INTERVAL_S  # every live node heart-beats within one interval
BINDS = ("ticks", "control")


def bound_at(endpoints: dict[str, str]) -> dict:
    """The clock options that bind the endpoints in ``endpoints`` again: ``ports`` for tcp,
    ``ipc_dir`` for ipc."""
    ports, ipc_dir = {}, ""
    for ch in BINDS:
        ep = endpoints[ch]
        if ep.startswith("ipc://"):
            ipc_dir = os.path.dirname(ep[len("ipc://"):])
        else:
            ports[ch] = int(ep.rsplit(":", 1)[1])
    return {"ports": ports, "ipc_dir": ipc_dir} if ipc_dir else {"ports": ports}


class ClockRestarts:
    """How many restarts are left, the options of the next one, and the record of each."""

    def __init__(self, allowed: int):
        self.allowed = allowed
        self.records: list[dict] = []
        self.floor = 0  # the highest first epoch given so far
        self.last_stats_t: float | None = None

    def possible(self, endpoints: dict[str, str]) -> bool:
        """A restart is left and the dead clock had bound (its endpoints are known)."""
        return len(self.records) < self.allowed and all(ch in endpoints for ch in BINDS)

    def restart(self, endpoints: dict[str, str], last_epoch: int, exit_code, now: float | None = None) -> dict:
        """Record the exit of the clock and return the option values of its replacement."""
        now = time.monotonic() if now is None else now
        first = max(int(last_epoch), self.floor) + EPOCH_GAP
        self.floor = first
        self.records.append({
            "restart": len(self.records) + 1, "exit_code": exit_code, "t": now, "time_unix": time.time(),
            "last_stats_before_s": None if self.last_stats_t is None else now - self.last_stats_t,
            "first_epoch": first + 1, "downtime_s": None, "members_after": None})
        return {**bound_at(endpoints), "first_epoch": first, "rejoin_grace_s": REJOIN_GRACE_S}

    def stats(self, data: dict, now: float | None = None) -> None:
        """A "clock" Stats: the first one with the new clock's own epoch ends the downtime."""
        now = time.monotonic() if now is None else now
        self.last_stats_t = now
        rec = self.records[-1] if self.records else None
        if rec is not None and rec["downtime_s"] is None and int(data.get("epoch", 0)) >= rec["first_epoch"]:
            rec["downtime_s"] = now - rec["t"]
            rec["members_after"] = list(data.get("members", []))

    def message(self, what: str) -> str:
        return (f"{what}; restarting it on the same endpoints (restart {len(self.records)} of "
                f"{self.allowed}, --clock-restarts): the env keeps its frame rate, the inference nodes "
                f"keep their phases and say hello to the new clock")
