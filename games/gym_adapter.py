"""`gym:<registered id>` or `gym:<module:callable>`: any Gymnasium env with a Discrete action space.

The env runs in realtime at `fps` (default 30: Gymnasium envs have no clock of their own).
Image observations ((H, W) or (H, W, 3) uint8) become one (84, 84) uint8 grayscale frame;
vector observations pass through as float32.
"""

from __future__ import annotations

import importlib

import gymnasium as gym
import numpy as np

from stagger.games.screen84 import Screen84, is_image_space

DEFAULT_FPS = 30.0


class Float32Obs(gym.ObservationWrapper):
    """A 1-D Box observation cast to float32."""

    def __init__(self, env: gym.Env):
        super().__init__(env)
        s = env.observation_space
        self.observation_space = gym.spaces.Box(s.low.astype(np.float32),
                                                s.high.astype(np.float32), s.shape, np.float32)

    def observation(self, obs):
        return np.asarray(obs, dtype=np.float32)


def _callable(spec: str):
    """`module:attr` -> the attribute if it is callable, else None (then spec is an env id)."""
    module, sep, attr = spec.partition(":")
    if not sep or not module or not all(p.isidentifier() for p in attr.split(".")):
        return None
    try:
        obj = importlib.import_module(module)
    except ImportError as e:
        raise ValueError(f"gym:{spec}: cannot import module {module!r} ({e})") from None
    for part in attr.split("."):
        obj = getattr(obj, part, None)
        if obj is None:
            return None
    return obj if callable(obj) else None


def build_env(spec: str, **kwargs) -> gym.Env:
    """The raw env for a spec without the `gym:` prefix."""
    maker = _callable(spec)
    if maker is not None:
        env = maker(**kwargs)
        if not isinstance(env, gym.Env):
            raise ValueError(f"gym:{spec} returned {type(env).__name__}, not a gymnasium.Env")
        return env
    try:
        return gym.make(spec, **kwargs)
    except gym.error.Error as e:
        raise ValueError(f"gym:{spec}: {e}. Give a registered Gymnasium id (e.g. gym:CartPole-v1)"
                         f" or module:callable returning an env.") from None


def make_gym(spec: str, *, fps: float | None = None, noop_action: int | None = None,
             **kwargs) -> gym.Env:
    """The env for `gym:<spec>`; attributes fps, noop_action, policy_actions on .unwrapped."""
    env = build_env(spec, **kwargs)
    if not isinstance(env.action_space, gym.spaces.Discrete):
        env.close()
        raise ValueError(f"gym:{spec} has action space {env.action_space}; stagger needs a "
                         f"Discrete action space (one action index per frame).")
    n = int(env.action_space.n)
    noop = 0 if noop_action is None else int(noop_action)
    if not 0 <= noop < n:
        env.close()
        raise ValueError(f"gym:{spec}: noop_action {noop} is not an action (0..{n - 1})")
    rate = DEFAULT_FPS if fps is None else float(fps)
    if not rate > 0:
        env.close()
        raise ValueError(f"gym:{spec}: fps must be positive, got {fps}")
    space = env.observation_space
    if is_image_space(space):
        env = Screen84(env)
    elif isinstance(space, gym.spaces.Box) and len(space.shape) == 1:
        env = Float32Obs(env)
    else:
        env.close()
        raise ValueError(f"gym:{spec} has observation space {space}; stagger takes images "
                         f"((H, W) or (H, W, 3) uint8) or 1-D Box vectors.")
    base = env.unwrapped
    base.fps = rate
    base.noop_action = noop
    base.policy_actions = n
    return env
