"""The unstaggered baseline (--algorithm none) and sequential-async: pure schedule, clock,
inference core, virtual time."""
import numpy as np
import pytest

from stagger.nodes.clock import ClockConfig, ClockCore
from stagger.nodes.inference import InferenceConfig, InferenceCore
from stagger.nodes.unstaggered import anchor_tick, coverage, expected_coverage, free_running_starts, landings
from stagger.nodes.virtual import VirtualConfig, run_virtual
from stagger.protocol.messages import Hello, PhaseMap

GAME = {"obs_type": "ram", "speed": "fast", "max_frames": 150}


@pytest.mark.parametrize("n,needed", [(1, 1), (6, 6), (7, 6), (3, 5), (15, 15)])
def test_nodes_started_together_collide_one_landing_per_cycle(n, needed):
    nodes = {f"inf{i:02d}": 0 for i in range(n)}
    starts = free_running_starts(nodes, needed, 300)
    assert {t for t, _ in starts} == set(range(0, 300, needed))  # every node on the same ticks
    assert all(len(v) == n for t, v in landings(starts, needed).items())  # all N collide
    cov = coverage(starts, needed, needed, 300)
    assert cov == pytest.approx(expected_coverage(needed, n), abs=1 / 300 + 1e-9)


def test_nodes_free_on_different_ticks_keep_their_offset():
    starts = free_running_starts({"a": 0, "b": 1, "c": 2}, 3, 30)
    assert [t for t, n in starts if n == "b"] == list(range(1, 30, 3))
    assert coverage(starts, 3, 3, 30) == 1.0  # staggered by accident: offsets 0, 1, 2 of 3
    late = free_running_starts({"a": 0, "b": 4}, 6, 40, anchor=2)  # none before the anchor
    assert [t for t, n in late if n == "a"][:2] == [2, 8] and [t for t, n in late if n == "b"][0] == 4


def test_anchor_and_bad_input():
    assert anchor_tick({"a": 3, "b": 9}, now=5, lead=2) == 9
    assert anchor_tick({}, now=5, lead=2) == 7
    with pytest.raises(ValueError, match="needed"):
        free_running_starts({"a": 0}, 0, 10)
    assert coverage([], 3, 10, 10) == 0.0


def test_clock_none_map_one_anchor_no_rephase_on_estimate():
    clock = ClockCore(ClockConfig(fps=60.0, algorithm="none", lead=2, warmup=0))
    clock.on_frame(100, 1.0)
    for i in range(3):
        clock.handle(Hello(node=f"inf{i}", kind="inference", info={"latency_s": 0.05}), 1.0)
    s = clock.schedule
    assert len(s.order) == 3 and s.needed == 4  # 0.05 s + 1.5 ms margin at 60 frames/s
    assert s.anchor == 100 + s.needed  # running members may have just started
    out = clock._phase_outs()
    assert isinstance(out[1].msg, PhaseMap) and out[1].msg.algorithm == "none"
    rephases = clock.rephases
    from stagger.protocol.messages import Heartbeat
    clock.handle(Heartbeat(node="inf0", last_tick=105, inference_s=0.2, count=1), 1.1)
    assert clock.rephases == rephases  # free-running: a larger estimate changes nothing


def test_inference_core_free_running_picks_newest_from_anchor_and_applies_on_arrival():
    core = InferenceCore("inf1", InferenceConfig(0.05))
    core.on_phase_map(PhaseMap(epoch=1, anchor=10, spacing=2.0, order=["inf0", "inf1"], period=4.0,
                               algorithm="none", needed=4))
    assert core.free_running and core.obs_topics() == {b""}
    assert core.pick([7, 8, 9]) is None  # before the anchor: wait for everyone
    assert core.pick([10, 11, 12]) == 2  # the newest, whoever's tick it is
    act = core.finished(12, 1, True, 0.0, 0.05, 0)[0].msg
    assert act.land == -1  # no slot to hold it for: it lands on arrival
    core.free.skip([13, 14, 15])  # queued while it was busy
    assert core.pick([13, 14, 15]) is None and core.pick([16]) == 0  # the next one that arrives
    other = InferenceCore("inf9", InferenceConfig(0.05))
    other.on_phase_map(PhaseMap(epoch=1, anchor=10, spacing=2.0, order=["inf0"], period=2.0,
                                algorithm="none", needed=4))
    assert other.pick([11]) is None  # not a member


@pytest.mark.parametrize("d,n", [(3, 3), (6, 6), (5, 2)])
def test_virtual_none_collides_coverage_one_over_d(d, n):
    res = run_virtual(VirtualConfig(game_options=GAME, frames=240, seed=1, delay_frames=d, nodes=n,
                                    algorithm="none", learner=False))
    rec = res.records
    frames = rec["frame"][rec["fresh"]]
    assert set(np.diff(frames)) == {d} and frames[0] == d
    assert res.measures["coverage"] == pytest.approx(1 / d, abs=0.01)
    assert res.counts["superseded"] == pytest.approx((n - 1) * len(frames), abs=n)


def sa(**kw):
    base = dict(game_options=GAME, frames=400, seed=3, learning_starts=32, epsilon_steps=200,
                learn_every=2, publish_every=5, mode="sequential-async", delay_frames=3)
    return VirtualConfig(**{**base, **kw})


def test_sequential_async_deterministic_for_a_seed_and_acts_every_d():
    a, b = run_virtual(sa()), run_virtual(sa())
    assert a.updates > 50 and len(a.episodes) >= 2
    assert a.episodes == b.episodes
    np.testing.assert_array_equal(a.records["action"], b.records["action"])
    np.testing.assert_array_equal(a.records["reward"], b.records["reward"])
    assert not np.array_equal(a.records["action"], run_virtual(sa(seed=4)).records["action"])
    frames = a.records["frame"][a.records["fresh"]]
    assert set(np.diff(frames)) == {3}
    # the same learning budget (sequential does its owed updates at its next decision)
    assert abs(a.updates - run_virtual(sa(mode="sequential")).updates) <= 2


def test_scaling_rows_with_none_have_exactly_the_documented_keys(tmp_path):
    import json
    import math

    from stagger.benchmarks import scaling as bs

    def run_point(algo, frames, n):
        d = math.ceil(frames + 0.05)
        cov = 1 / d if algo == "none" else min(1.0, n / d)
        return {"coverage": cov, "action_delay_frames": {"p50": float(d)}, "overhead_ms": {"p50": 0.4, "p99": 1.2},
                "wall_s": 0.0}

    res = bs.run_scaling(run_point, (2.5, 5.5), algorithms=("max_time", "none"), log=lambda m: None)
    none = [r for r in res["rows"] if r["algorithm"] == "none"]
    assert [(r["inference_frames"], r["theory_n"], r["needed_n"]) for r in none] == [(2.5, 3, None), (5.5, 6, None)]
    assert none[1]["coverage_at_theory"] == pytest.approx(1 / 6) and none[1]["delay_p50_at_theory"] == 6.0
    stag = [r for r in res["rows"] if r["algorithm"] == "max_time"]
    assert all(r["coverage_at_theory"] == 1.0 for r in stag)  # the same N, staggered
    files = bs.write_outputs(res, tmp_path, bs.FPS)
    rows = json.loads((tmp_path / "scaling.json").read_text())
    assert all(tuple(r) == bs.ROW_KEYS for r in rows) and len(rows) == 4
    assert any(f.endswith("unstaggered_vs_inference.png") for f in files)
    text = bs.table(res)
    assert "unstaggered: 1/ceil(t_theta/t_m) = 0.167" in text
