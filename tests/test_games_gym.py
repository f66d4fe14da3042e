"""gym:<id or module:callable> and the 84x84 grayscale image wrapper."""

import gymnasium as gym
import numpy as np
import pytest

from stagger.games.registry import make_game
from stagger.games.screen84 import Screen84, area_matrix


class ImageEnv(gym.Env):
    """A tiny env with (60, 80, 3) RGB frames: a bright square that moves with the action."""

    metadata = {"render_modes": []}

    def __init__(self, size=(60, 80)):
        self.size = size
        self.observation_space = gym.spaces.Box(0, 255, (*size, 3), np.uint8)
        self.action_space = gym.spaces.Discrete(3)
        self.x = 0

    def _obs(self):
        img = np.zeros((*self.size, 3), np.uint8)
        img[10:30, self.x:self.x + 20] = (255, 128, 0)
        return img

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.x = 0
        return self._obs(), {}

    def step(self, action):
        self.x = int(np.clip(self.x + int(action) - 1, 0, self.size[1] - 20))
        return self._obs(), 0.0, False, False, {}


def make_image_env(**kwargs):
    return ImageEnv(**kwargs)


def test_cartpole_by_id():
    env = make_game("gym:CartPole-v1")
    try:
        base = env.unwrapped
        assert base.fps == 30.0 and base.noop_action == 0 and base.policy_actions == 2
        obs, _ = env.reset(seed=0)
        assert obs.dtype == np.float32 and obs.shape == (4,)
        assert env.observation_space.dtype == np.float32
        obs, reward, terminated, truncated, _ = env.step(1)
        assert obs.dtype == np.float32 and reward == 1.0
    finally:
        env.close()


def test_fps_and_noop_options():
    env = make_game("gym:CartPole-v1", fps=50, noop_action=1, render_mode=None)
    try:
        assert env.unwrapped.fps == 50.0 and env.unwrapped.noop_action == 1
    finally:
        env.close()
    with pytest.raises(ValueError, match="noop_action 2"):
        make_game("gym:CartPole-v1", noop_action=2)
    with pytest.raises(ValueError, match="fps must be positive"):
        make_game("gym:CartPole-v1", fps=0)


def test_module_callable_with_image_observations():
    env = make_game(f"gym:{__name__}:make_image_env", env_kwargs={"size": (90, 120)})
    try:
        assert env.observation_space.shape == (84, 84)
        obs, _ = env.reset(seed=0)
        assert obs.shape == (84, 84) and obs.dtype == np.uint8
        moved, *_ = env.step(2)
        assert moved.max() > 100 and not np.array_equal(obs, moved)
        assert env.unwrapped.policy_actions == 3
    finally:
        env.close()


def test_class_path_callable():
    env = make_game("gym:gymnasium.envs.classic_control.cartpole:CartPoleEnv")
    try:
        assert env.action_space.n == 2
    finally:
        env.close()


def test_non_discrete_and_unsupported_spaces_are_refused():
    with pytest.raises(ValueError, match="Discrete"):
        make_game("gym:Pendulum-v1")
    with pytest.raises(ValueError, match="observation space"):
        make_game("gym:FrozenLake-v1")


def test_unknown_id_and_module():
    with pytest.raises(ValueError, match="CartPole-v1"):
        make_game("gym:NoSuchEnv-v0")
    with pytest.raises(ValueError, match="cannot import"):
        make_game("gym:no_such_module_xyz:make")


def test_area_matrix_is_fractional_area_average():
    # As OpenCV's INTER_AREA: 5 -> 2 covers 2.5 input cells each, the middle one half each.
    np.testing.assert_allclose(area_matrix(5, 2), [[.4, .4, .2, 0, 0], [0, 0, .2, .4, .4]],
                               atol=1e-6)
    img = np.random.default_rng(0).integers(0, 256, (168, 168)).astype(np.float32)
    blocks = img.reshape(84, 2, 84, 2).mean(axis=(1, 3))
    np.testing.assert_allclose(area_matrix(168, 84) @ img @ area_matrix(168, 84).T, blocks,
                               rtol=1e-5)
    np.testing.assert_allclose(area_matrix(210, 84).sum(axis=1), 1.0, rtol=1e-6)


def test_screen84_gray_weights_and_constant_image():
    env = Screen84(ImageEnv())
    flat = np.full((60, 80, 3), (100, 200, 50), np.uint8)
    out = env.observation(flat)
    assert out.shape == (84, 84) and (out == round(0.299 * 100 + 0.587 * 200 + 0.114 * 50)).all()
    with pytest.raises(ValueError, match="image space"):
        Screen84(gym.make("CartPole-v1"))
