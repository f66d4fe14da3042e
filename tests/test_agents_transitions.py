"""TransitionBuilder on synthetic frame streams: staggered, sequential, episode ends, losses."""
from types import SimpleNamespace

import numpy as np
import pytest

from stagger.agents.transitions import TransitionBuilder


def ob(f):
    return np.array([f], np.float32)  # the observation names its frame


def run(builder, frames):
    out = []
    for fr in frames:
        out += builder.push(**fr)
    return out


def frame(f, fresh=False, s=-1, action=0, reward=None, episode=0, terminated=False, truncated=False):
    return dict(frame=f, episode=episode, obs=ob(f), action=action, fresh=fresh, action_frame=s,
                reward=float(f) if reward is None else reward, terminated=terminated, truncated=truncated)


def test_staggered_fresh_every_frame_with_delay():
    d = 3
    frames = [frame(f, fresh=f >= d, s=f - d if f >= d else -1, action=f % 4) for f in range(20)]
    out = run(TransitionBuilder(gamma=0.9), frames)
    assert len(out) == 20 - d - 1  # the last decision is still open
    for t in out:
        g = t.applied_frame
        assert t.obs[0] == g - d and t.obs_frame == g - d
        assert t.action == g % 4 and t.reward == g  # one frame of reward
        assert t.next_obs[0] == g + 1 - d and not t.done and t.discount == pytest.approx(0.9)


def test_sequential_fresh_every_d_frames_sums_rewards():
    d = 4
    frames = [frame(f, fresh=f > 0 and f % d == 0, s=f - d if f % d == 0 else -1, action=1) for f in range(30)]
    b = TransitionBuilder()
    out = run(b, frames)
    assert [t.applied_frame for t in out] == [4, 8, 12, 16, 20, 24]
    for t in out:
        g = t.applied_frame
        assert t.obs[0] == g - d and t.next_obs[0] == g  # next decision's input
        assert t.reward == sum(range(g, g + d))
    assert b.stats["unattributed_frames"] == 4  # frames 0-3 precede the first decision


def test_terminated_ends_the_step_with_done_and_next_episode_starts_clean():
    frames = [frame(f, fresh=f >= 1, s=f - 1, reward=1.0) for f in range(6)]
    frames[-1]["terminated"] = True
    frames += [frame(6, fresh=True, s=5, episode=1), frame(7, fresh=True, s=6, episode=1),
               frame(8, fresh=True, s=7, episode=1, truncated=True)]
    b = TransitionBuilder()
    out = run(b, frames)
    first = [t for t in out if t.applied_frame < 6]
    assert [t.done for t in first] == [False] * 4 + [True]
    assert first[-1].next_obs[0] == 5 and first[-1].next_frame == 5  # last obs of the episode
    assert b.stats["cross_episode"] == 1  # frame 6 acted on frame 5 of the old episode
    second = [t for t in out if t.applied_frame >= 6]
    assert [(t.obs_frame, t.next_frame, t.done) for t in second] == [(6, 7, False), (7, 8, False)]


def test_truncation_is_not_done():
    frames = [frame(0), frame(1, fresh=True, s=0), frame(2), frame(3, truncated=True)]
    (t,) = run(TransitionBuilder(), frames)
    assert not t.done and t.next_obs[0] == 3 and t.reward == 1 + 2 + 3


def test_missing_observations_are_counted():
    b = TransitionBuilder(ring_frames=8)
    frames = [frame(f, fresh=f >= 10, s=f - 10) for f in range(30)]  # delay 10 > ring of 8
    assert run(b, frames) == []
    assert b.stats["missing_obs"] == 20 and b.stats["skipped_frames"] == 20
    assert b.stats["unattributed_frames"] == 10


def test_one_missing_observation_drops_both_neighbouring_steps():
    b = TransitionBuilder(ring_frames=64)
    frames = [frame(f, fresh=f >= 2, s=f - 2) for f in range(12)]
    frames[6]["action_frame"] = 1000  # never seen
    out = run(b, frames)
    assert [t.applied_frame for t in out] == [2, 3, 4, 7, 8, 9, 10]  # 5 (ends at 6) and 6 are lost
    assert b.stats["missing_obs"] == 1 and b.stats["dropped_steps"] == 1
    assert b.stats["skipped_frames"] == 2  # frame 5 (dropped step) and frame 6 (no usable decision)


def test_gap_in_frames_drops_the_open_step():
    b = TransitionBuilder()
    frames = [frame(f, fresh=f >= 1, s=f - 1) for f in range(5)] + \
             [frame(f, fresh=True, s=f - 1) for f in range(8, 11)]
    out = run(b, frames)
    assert b.stats["gaps"] == 1 and b.stats["missing_obs"] == 1  # frame 8 acted on lost frame 7
    assert [t.applied_frame for t in out] == [1, 2, 3, 9]
    assert run(b, [frame(10)]) == [] and b.stats["out_of_order"] == 1


def test_n_step_combines_decisions_with_gamma_per_decision():
    g = 0.5
    frames = [frame(f, fresh=f >= 1, s=f - 1, reward=float(f)) for f in range(7)]
    frames[-1]["terminated"] = True
    out = run(TransitionBuilder(gamma=g, n_step=3), frames)
    by_start = {t.applied_frame: t for t in out}
    t1 = by_start[1]
    assert t1.steps == 3 and t1.reward == pytest.approx(1 + g * 2 + g * g * 3)
    assert t1.discount == pytest.approx(g**3) and t1.next_obs[0] == 3 and not t1.done
    tail = [by_start[f] for f in (4, 5, 6)]  # cut by the episode end: shorter horizons, done
    assert [t.steps for t in tail] == [3, 2, 1] and all(t.done for t in tail)
    assert tail[1].reward == pytest.approx(5 + g * 6) and tail[1].discount == pytest.approx(g**2)
    assert len(out) == 6


def test_flush_and_record_kinds():
    b = TransitionBuilder(n_step=2)
    msg = SimpleNamespace(frame=0, episode=0, action=0, fresh=False, action_frame=-1, reward=0.0,
                          terminated=False, truncated=False, arrays=(np.zeros((84, 84), np.uint8),))
    assert b.add(msg) == []
    rec = dict(frame(1, fresh=True, s=0), obs=np.ones((84, 84), np.uint8))
    assert b.add(rec) == []
    out = b.add(dict(frame(2, fresh=True, s=1), obs=np.ones((84, 84), np.uint8)))
    assert out == []  # waiting for a second step (n=2)
    (t,) = b.flush()
    assert t.steps == 1 and t.obs.dtype == np.uint8 and t.obs.sum() == 0 and t.next_obs.sum() == 84 * 84
    assert b.stats["dropped_steps"] == 1  # the decision at frame 2 had no successor
