"""Schedules to PhaseMaps and back, naming members by id or (protocol 1.4) by number.

A map that names its members (``order``: ids) costs about the length of every id; a compact
map (``order_index``: 2 bytes per member number, the numbers each member learnt from its
Welcome) stays about 2 bytes per member, so 1,000 members fit in ~2 KB. The clock sends
compact maps only while every member said it reads them (Hello ``info.compact_maps``), so
a node written for 1.3 or earlier keeps getting maps it understands.
"""
from __future__ import annotations

import numpy as np

from stagger.nodes.stagger import Schedule
from stagger.protocol.messages import PhaseMap

COMPACT_KEY = "compact_maps"  # Hello info key: true when the node reads compact maps


def pack_numbers(numbers) -> tuple[bytes, int]:
    """``order_index`` and ``index_width`` for member numbers in phase order."""
    width = 2 if max(numbers, default=0) < 1 << 16 else 4
    return np.asarray(numbers, dtype=f"<u{width}").tobytes(), width


def schedule_to_msg(s: Schedule, algorithm: str, estimate: float, numbers: dict[str, int] | None = None) -> PhaseMap:
    """The PhaseMap of ``s``; compact (member numbers from ``numbers``) when it is given."""
    order, index, width = list(s.order), b"", 2
    if numbers is not None:
        index, width = pack_numbers([numbers[n] for n in s.order])
        order = []
    return PhaseMap(epoch=s.epoch, anchor=s.anchor, spacing=s.spacing, order=order,
                    period=s.period, algorithm=algorithm, t_estimate_s=estimate, needed=s.needed,
                    order_index=index, index_width=width)


def msg_to_schedule(m: PhaseMap, names: dict[int, str] | None = None) -> Schedule:
    """The Schedule of a map. A compact map's numbers become ids through ``names`` (number ->
    id; a member needs only its own), any other number a placeholder ``#<number>`` that is
    no node id (ids are what a node's Hello says; '#' names no stagger node)."""
    if m.order or not m.order_index:
        return Schedule(m.epoch, m.anchor, m.spacing, tuple(m.order), m.needed)
    names = names or {}
    order = tuple(names.get(x) or f"#{x}" for x in m.numbers().tolist())
    return Schedule(m.epoch, m.anchor, m.spacing, order, m.needed)
