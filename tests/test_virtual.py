"""Virtual time: the node cores in one process, time in frames (nodes/virtual.py)."""
import json

import numpy as np
import pytest

from stagger.nodes.virtual import VirtualConfig, delay_from_latency, run_virtual

GAME = {"obs_type": "ram", "speed": "fast", "max_frames": 150}


def cfg(**kw):
    base = dict(game_options=GAME, frames=400, seed=3, learning_starts=32, epsilon_steps=200,
                learn_every=2, publish_every=5)
    return VirtualConfig(**{**base, **kw})


def fresh_frames(res):
    rec = res.records
    return rec["frame"][rec["fresh"]], rec["action_frame"][rec["fresh"]]


def test_same_seed_same_run_other_seed_other_run():
    a, b = run_virtual(cfg(delay_frames=3)), run_virtual(cfg(delay_frames=3))
    assert a.updates > 50 and len(a.episodes) >= 2  # learning and greedy actions shape the run
    assert a.episodes == b.episodes
    np.testing.assert_array_equal(a.records["action"], b.records["action"])
    np.testing.assert_array_equal(a.records["reward"], b.records["reward"])
    c = run_virtual(cfg(delay_frames=3, seed=4))
    assert not np.array_equal(a.records["action"], c.records["action"])


@pytest.mark.parametrize("d", [1, 4, 7])
def test_staggered_action_from_frame_f_lands_at_f_plus_d_every_frame(d):
    res = run_virtual(cfg(delay_frames=d, frames=120, learner=False))
    frames, origin = fresh_frames(res)
    assert res.nodes == d
    assert np.all(frames - origin == d)
    np.testing.assert_array_equal(frames, np.arange(d, 120))  # nothing before d, then every frame
    assert res.measures["coverage"] == 1.0
    assert res.measures["action_delay_frames"] == {"p50": d, "p99": d, "max": d}
    assert res.counts["missed"] == 0 and res.counts["stale"] == 0 and res.counts["superseded"] == 0


def test_fewer_staggered_nodes_space_their_actions_evenly():
    res = run_virtual(cfg(delay_frames=6, nodes=2, frames=120, learner=False))
    frames, origin = fresh_frames(res)
    assert np.all(frames - origin == 6)
    assert set(np.diff(frames)) == {3}
    assert res.measures["coverage"] == pytest.approx(1 / 3, abs=0.01)


@pytest.mark.parametrize("d", [1, 5, 8])
def test_sequential_acts_every_d_frames_with_delay_d(d):
    res = run_virtual(cfg(mode="sequential", delay_frames=d, frames=300))
    frames, origin = fresh_frames(res)
    assert np.all(frames - origin == d)
    assert set(np.diff(frames)) == {d}
    assert frames[0] == d
    assert res.measures["coverage"] == pytest.approx(1 / d, abs=0.01)
    rec = res.records  # the frames in between get the default action (catcher: 0)
    assert np.all(rec["action"][~rec["fresh"]] == 0)
    assert res.updates == pytest.approx(300 // 2, abs=d)  # the same update budget as staggered


def test_episodes_carry_the_frame_they_ended_on():
    res = run_virtual(cfg(delay_frames=2, learner=False))
    ends = [f for f, _ in res.episodes]
    assert ends == sorted(ends) and len(ends) >= 2
    ep = res.records["episode"]
    assert ends == [int(i) + 1 for i in np.flatnonzero(np.diff(ep))]


def test_delay_from_latency_and_bad_config():
    assert delay_from_latency(0.1, 59.7275) == 6
    assert delay_from_latency(5 / 59.7275, 59.7275) == 5
    assert delay_from_latency(0.0, 60.0) == 1
    with pytest.raises(ValueError):
        VirtualConfig(delay_frames=0)
    with pytest.raises(ValueError):
        VirtualConfig(mode="lockstep")


def test_cli_virtual_run_writes_the_realtime_summary_keys(tmp_path):
    from click.testing import CliRunner

    from stagger.launch.cli import main
    out = tmp_path / "run"
    res = CliRunner().invoke(main, ["run", "--time", "virtual", "--delay-frames", "4", "--frames", "200",
                                    "--max-frames", "100", "--run-dir", str(out), "--no-learner",
                                    "--quiet"])
    assert res.exit_code == 0, res.output
    summary = json.loads((out / "summary.json").read_text())
    assert set(summary) == {
        "mode", "algorithm", "inference_nodes", "inference_latency_s", "frames", "action_slots",
        "fresh_actions", "coverage", "action_delay_frames", "interval_jitter_ms", "env_lateness_ms",
        "overhead_ms", "inference_real_ms", "inference_ms", "dropped", "learner_updates", "episodes", "mean_return",
        "experience"}
    assert summary["coverage"] == 1.0 and summary["inference_nodes"] == 4
    assert summary["inference_latency_s"] == pytest.approx(4 / 59.7275)
    details = json.loads((out / "details.json").read_text())
    assert details["time"] == "virtual" and details["latency_simulated"] is True
    assert "simulated" in res.output and (out / "env_frames.npz").exists()
