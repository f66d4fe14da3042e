"""The inference node's one pass in flight, and the start that waits behind it.

One pass runs at a time (one compute worker). An observation of one of the node's start
ticks that arrives while a pass is still in flight is not dropped: the finished action goes
out first (PROTOCOL.md, Action: send a finished action before handling any newer
observation), then a pass starts on the observation that waited. A re-phase can put a node's
next start on the very frame its previous action lands, and that frame's observation can
arrive a little before the padded action is due. A second start tick arriving while one
waits replaces it (the older one is counted ``missed``). Replay (nodes/replay.py) does the
same.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Job:
    """The one inference in flight: started on ``frame``'s observation at ``start`` (its
    arrival, or for one that waited, the moment the previous action went out); sent at
    ``target`` (the simulated latency) or when the pass ends, whichever is later."""

    frame: int
    start: float
    target: float
    coin: tuple  # the exploration coin, drawn before the pass (Policy.explore)
    result: object = None  # nodes.compute.Result once the pass is done
