"""What every Stats message a node sends carries besides its own figures: its runtime's totals
so far (host, messages rejected, sends dropped, sequence gaps), for `stagger top`."""
from __future__ import annotations

import dataclasses


def with_totals(rt, msg):
    """``msg`` (a Stats) with ``data["runtime"]``: the totals of runtime ``rt`` so far."""
    totals = {"host": rt.hostname, "rejected": sum(rt.rejected.values()),
              "send_dropped": sum(rt.send_dropped.values()),
              "gaps": sum(c.dropped for c in rt.seq_in.values())}
    return dataclasses.replace(msg, data={**msg.data, "runtime": totals})
