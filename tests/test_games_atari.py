"""atari/<game> through ale-py's bundled ROMs, set up as the paper."""

import numpy as np
import pytest

from stagger.games.atari import ale_name, make_atari
from stagger.games.registry import make_game


@pytest.fixture
def boxing():
    env = make_game("atari/boxing")
    yield env
    env.close()


def test_boxing_steps_100_frames_84x84(boxing):
    base = boxing.unwrapped
    assert base.fps == 60.0 and base.noop_action == 0 and base.policy_actions == 18
    assert boxing.action_space.n == 18
    assert boxing.observation_space.shape == (84, 84)
    obs, _ = boxing.reset(seed=0)
    assert obs.shape == (84, 84) and obs.dtype == np.uint8
    frames = []
    for t in range(100):
        obs, reward, terminated, truncated, _ = boxing.step(t % 18)
        assert obs.shape == (84, 84) and obs.dtype == np.uint8
        assert isinstance(reward, float) and not terminated
        frames.append(obs)
    assert obs.std() > 0                                  # a real picture, not blank
    assert any(not np.array_equal(a, b) for a, b in zip(frames, frames[1:]))


def test_one_step_is_one_frame_and_no_sticky_actions(boxing):
    ale = boxing.unwrapped.ale
    boxing.reset(seed=1)
    start = ale.getEpisodeFrameNumber()
    for _ in range(10):
        boxing.step(0)
    assert ale.getEpisodeFrameNumber() - start == 10
    assert ale.getFloat("repeat_action_probability") == 0.0


def test_reset_is_deterministic_from_seed(boxing):
    def run():
        boxing.reset(seed=3)
        return [boxing.step(a)[0] for a in [1, 2, 3, 4, 5] * 8]
    a, b = run(), run()
    assert all(np.array_equal(x, y) for x, y in zip(a, b))


@pytest.mark.parametrize("name,n", [("atari/krull", 18), ("atari/namethisgame", 6),
                                    ("atari/Name_This_Game", 6), ("atari/PONG", 6)])
def test_paper_action_sets_and_names(name, n):
    env = make_game(name)
    try:
        assert env.action_space.n == n and env.unwrapped.policy_actions == n
    finally:
        env.close()


def test_full_action_space_option():
    env = make_atari("pong", full_action_space=True)
    try:
        assert env.action_space.n == 18
    finally:
        env.close()


def test_name_lookup():
    assert ale_name("boxing") == "Boxing"
    assert ale_name("namethisgame") == "NameThisGame"
    assert ale_name("montezuma-revenge") == "MontezumaRevenge"


def test_unknown_game_lists_close_matches():
    with pytest.raises(ValueError) as err:
        make_game("atari/boxin")
    assert "atari/boxing" in str(err.value) and "boxin" in str(err.value)
    with pytest.raises(ValueError, match="atari/namethisgame"):
        make_game("atari/qqqqqqqq")
