"""Staggering as pure functions: spacing, overruns (Algorithm 1), estimators, membership."""
import math

import pytest

from stagger.nodes.stagger import Estimator, Schedule, make_schedule, theory_nodes, ticks_needed

FPS = 59.7275
FRAME = 1 / FPS


def starts(s: Schedule, lo: int, hi: int) -> list[tuple[int, str]]:
    return [(t, s.starter(t)) for t in range(lo, hi) if s.starter(t) is not None]


@pytest.mark.parametrize("n,needed", [(1, 1), (3, 3), (6, 6), (15, 15), (60, 60), (7, 6)])
def test_enough_nodes_cover_every_tick_evenly(n, needed):
    s = make_schedule(1, {f"n{i}": 0 for i in range(n)}, now=100, needed=needed)
    ticks = starts(s, s.anchor, s.anchor + 10 * n)
    assert [t for t, _ in ticks] == list(range(s.anchor, s.anchor + 10 * n))
    # each node waits at least `needed` ticks between starts (it is never started while busy)
    for node in s.order:
        mine = [t for t, who in ticks if who == node]
        assert min(b - a for a, b in zip(mine, mine[1:])) >= needed
    assert s.anchor >= 102  # lead time for the map to reach the nodes


def test_too_few_nodes_spread_evenly_over_the_period():
    s = make_schedule(1, {"a": 0, "b": 0, "c": 0}, now=0, needed=6)
    assert s.spacing == 2.0
    ticks = [t for t, _ in starts(s, s.anchor, s.anchor + 60)]
    assert all(b - a == 2 for a, b in zip(ticks, ticks[1:]))


def test_fractional_spacing_one_short_leaves_exactly_one_gap_per_period():
    # 6 nodes, 7 ticks needed (inference at an exact multiple of a frame + overhead)
    s = make_schedule(1, {f"n{i}": 0 for i in range(6)}, now=0, needed=7)
    covered = len(starts(s, s.anchor, s.anchor + 700))
    assert covered == 600  # coverage 6/7


def test_action_cadence_k_spaces_starts_k_apart_and_lands_on_due_slots():
    s = make_schedule(1, {"a": 0, "b": 0}, now=0, needed=3, action_every=2)
    ticks = [t for t, _ in starts(s, s.anchor, s.anchor + 40)]
    assert all(b - a == 2 for a, b in zip(ticks, ticks[1:]))
    assert all((t + 3) % 2 == 0 for t in ticks)


def test_no_node_is_scheduled_before_it_is_free():
    free = {"a": 50, "b": 10, "c": 30}
    s = make_schedule(1, free, now=5, needed=3)
    assert s.order == ("b", "c", "a")
    for node, f in free.items():
        assert s.next_start(node, 0) >= f


def test_overrun_reorders_nothing_and_shifts_the_nodes_behind_by_their_distance():
    """Algorithm 1 with dist(x, p) = (x - p) mod N: after an overrun of p the cyclic order
    is kept, the spacing grows to D'/N and every node keeps at least D' between starts."""
    n, d = 4, 4
    old = make_schedule(1, {f"n{i}": 0 for i in range(n)}, now=0, needed=d)
    # at tick `now`, every node last started on its most recent scheduled tick
    now = old.anchor + 40
    last = {node: max(t for t in range(old.anchor, now + 1) if old.starter(t) == node)
            for node in old.order}
    d_new = 8  # p's inference took twice as long
    free = {node: t + d_new for node, t in last.items()}
    new = make_schedule(2, free, now=now, needed=d_new)
    # cyclic order preserved: the new order is a rotation of the old one
    i = old.order.index(new.order[0])
    assert new.order == old.order[i:] + old.order[:i]
    assert new.spacing == d_new / n
    ticks = starts(new, new.anchor, new.anchor + 80)
    assert all(b[0] - a[0] == 2 for a, b in zip(ticks, ticks[1:]))
    for node in new.order:
        assert new.next_start(node, 0) >= free[node]


def test_starter_and_next_start_agree():
    s = make_schedule(3, {f"n{i}": 0 for i in range(5)}, now=7, needed=13)
    for node in s.order:
        t = s.next_start(node, s.anchor)
        for _ in range(5):
            assert s.starter(t) == node
            t = s.next_start(node, t + 1)


def test_ticks_needed_and_theory():
    assert ticks_needed(0.5 * FRAME, FRAME, 0.0015) == 1
    assert ticks_needed(6.0 * FRAME, FRAME, 0.0015) == 7  # any overhead: one frame later
    assert ticks_needed(59.5 * FRAME, FRAME, 0.0015) == 60
    assert theory_nodes(6.0 * FRAME, FRAME) == 6
    assert theory_nodes(14.5 * FRAME, FRAME) == 15
    assert theory_nodes(14.5 * FRAME, FRAME, action_every=2) == 8


def test_max_time_ignores_warmup_and_never_decreases():
    e = Estimator("max_time", initial_s=0.01, warmup=2)
    e.observe("a", 5.0)  # first call warm-up (D4): ignored
    e.observe("a", 5.0)
    assert e.estimate() == 0.01
    e.observe("a", 0.10)
    e.observe("a", 0.05)
    assert e.estimate() == pytest.approx(0.10)


def test_max_time_window_forgets_an_outlier():
    e = Estimator("max_time", warmup=0, window=3)
    for x in (0.5, 0.1, 0.1, 0.1):
        e.observe("a", x)
    assert e.estimate() == pytest.approx(0.1)


def test_exp_time_uses_the_mean():
    e = Estimator("exp_time", warmup=0)
    for x in (0.1, 0.2, 0.3):
        e.observe("a", x)
    assert e.estimate() == pytest.approx(0.2)
    assert math.isclose(e.estimate(), 0.2)


def test_unknown_algorithm_names_the_allowed_ones():
    with pytest.raises(ValueError, match="max_time, exp_time"):
        Estimator("fastest")
