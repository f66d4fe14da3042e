"""The REAL clock node (its process, its loop, real sockets) with 1,000 simulated members.

A harness (stagger.benchmarks.clock_harness) says Hello for 1,000 member ids from 10 DEALER
"processes", heartbeats for them with one aggregated Heartbeats per process and period,
plays the env and reports each member's inferences. Checked: every member welcomed with its
own number, the compact PhaseMap schedules all of them exactly as the pure schedule function
does, a join of 20 more and a drop of 30 silent ones make the right new epochs, nothing is
rejected. Time bounds are generous (a loaded 2-core machine); no figure is asserted.
"""
import math

import pytest

from stagger.benchmarks.clock_harness import Harness
from stagger.nodes.membership import HEARTBEAT_TIMEOUT_S
from stagger.nodes.options import ClockPart, default_of
from stagger.nodes.stagger import make_schedule, ticks_needed

N, MORE, SILENT = 1000, 20, 30
LEAD = 2  # ClockConfig.lead
MARGIN_S = default_of(ClockPart, "margin_s")


def expected_map(h, prev, final):
    """The schedule the clock must publish after ``prev``: make_schedule over the members of
    ``final``, each free when the clock's rule says (PROTOCOL.md PhaseMap: on the tick its
    previous action lands, unless it reported that start already)."""
    tick = h.frame
    needed = ticks_needed(h.latency_s, 1.0 / h.fps, MARGIN_S)
    free = {}
    for node in h.schedule(final).order:
        start = None
        if prev is not None and node in prev.position and tick >= prev.anchor:
            nxt = prev.next_start(node, max(tick - int(prev.period) - 1, prev.anchor))
            while nxt is not None and nxt <= tick:
                start, nxt = nxt, prev.next_start(node, nxt + 1)
        free[node] = tick + 1 if start is None or h.reported.get(node, -1) >= start else start + needed
    return make_schedule(final.epoch, free, tick, needed, 1, LEAD)


def same_schedule(got, want):
    assert got.order == want.order
    assert (got.anchor, got.needed) == (want.anchor, want.needed)
    assert got.spacing == pytest.approx(want.spacing, abs=1e-12)


def settle(h, seconds=0.4):
    """Pause the env and let every report in flight reach the clock (its tick stands still)."""
    h.frames_on = False
    h.pump(seconds)


@pytest.fixture(scope="module")
def harness():
    h = Harness(N + MORE, processes=10, spacing=1.5)
    try:
        h.start()
        yield h
    finally:
        h.close()


def test_a_thousand_members_join_are_scheduled_join_and_drop(harness):
    h = harness
    first = h.ids[:N]
    settle(h, 0.2)  # no frames yet: the join is decided at tick -1
    h.hello(first)
    assert h.pump(60, until=lambda: len(h.welcomes) == N and h.newest() is not None
                  and len(h.schedule(h.newest()).order) == N), h.log_text()
    # every member welcomed, each with its own member number
    assert sorted(h.welcomes) == first and all(w.accepted and w.reason == "" for w in h.welcomes.values())
    assert sorted(w.member for w in h.welcomes.values()) == list(range(N))
    assert h.rejoins == []
    # a compact map (every member declared it reads them): 2 bytes a member, no ids
    m = h.newest()
    assert m.order == [] and len(m.order_index) == 2 * N and m.index_width == 2
    assert h.map_bytes[-1] < 3 * N  # a map naming 1,000 ids "w0000".. takes > 6 bytes each
    s = h.schedule(m)
    prev = h.schedule(h.maps[-2]) if len(h.maps) > 1 else None
    same_schedule(s, expected_map(h, prev, m))
    assert s.spacing == pytest.approx(max(s.needed / N, 1.0))
    # phases: over one period every member starts exactly once, starts `spacing` apart
    starts = sorted((s.next_start(node, s.anchor), node) for node in s.order)
    assert [node for _, node in starts] == list(s.order)
    assert [t for t, _ in starts] == [s.anchor + math.floor(r * s.spacing + 1e-9) for r in range(N)]

    # running: frames and inference reports; the estimate equals the hint, nothing re-phases
    h.frames_on = True
    epoch = h.newest().epoch
    h.pump(2.0)
    assert h.newest().epoch == epoch and h.reported  # members started and reported
    assert h.last_stats.get("members") == sorted(first)

    # 20 more join: one new epoch with all 1,020, the running members free when they land
    settle(h)
    before = h.schedule(h.newest())
    h.hello(h.ids[N:])
    assert h.pump(20, until=lambda: len(h.schedule(h.newest()).order) == N + MORE), h.log_text()
    assert sorted(w.member for w in h.welcomes.values()) == list(range(N + MORE))
    joined = h.newest()
    assert joined.epoch > epoch
    same_schedule(h.schedule(joined), expected_map(h, h.schedule(h.maps[-2]), joined))
    assert h.schedule(h.maps[-2]) is not None and len(before.order) == N

    # 30 fall silent: dropped within the timeout (generous slack), the others re-phased
    h.frames_on = True
    h.pump(1.0)
    settle(h)
    silent = set(h.ids[5:5 + SILENT])
    h.silent |= silent
    want = N + MORE - SILENT
    assert h.pump(HEARTBEAT_TIMEOUT_S + 10, until=lambda: len(h.schedule(h.newest()).order) == want), h.log_text()
    dropped = h.newest()
    assert set(h.schedule(dropped).order) == set(h.ids) - silent
    same_schedule(h.schedule(dropped), expected_map(h, h.schedule(h.maps[-2]), dropped))
    h.pump(0.5)
    assert set(h.last_stats.get("drops", {})) == silent

    final = h.stop()
    assert final["rejected"] == {} and final["send_dropped"] == {}
    control = final["received"]["control"]
    assert control["dropped"] == 0 and control["duplicates"] == 0
    assert final["cpu_per_s"] > 0 and final["wall_s"] > 0  # its CPU per second (details.json)
