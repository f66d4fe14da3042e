"""A Gymnasium wrapper that turns image observations into one (84, 84) uint8 grayscale frame.

Grayscale with the ITU-R 601 weights (as OpenCV's RGB2GRAY), then area averaging (as OpenCV's
INTER_AREA, which the paper's WarpFrame uses), in numpy: no OpenCV needed.
"""

from __future__ import annotations

import gymnasium as gym
import numpy as np

SIZE = 84
_GRAY = np.array([0.299, 0.587, 0.114], dtype=np.float32)


def area_matrix(n_in: int, n_out: int) -> np.ndarray:
    """(n_out, n_in) float32 M with M @ v = v area-averaged to n_out samples (rows sum to 1).

    An input cell partly covered by an output cell counts by the covered fraction.
    """
    edges = np.arange(n_out + 1) * (n_in / n_out)
    lo, hi = edges[:-1, None], edges[1:, None]
    cells = np.arange(n_in)[None, :]
    m = np.clip(np.minimum(hi, cells + 1) - np.maximum(lo, cells), 0, None)
    return (m / m.sum(axis=1, keepdims=True)).astype(np.float32)


def is_image_space(space) -> bool:
    """(H, W) or (H, W, 3|4) uint8 Box."""
    return (isinstance(space, gym.spaces.Box) and space.dtype == np.uint8
            and (len(space.shape) == 2 or (len(space.shape) == 3 and space.shape[2] in (1, 3, 4))))


class Screen84(gym.ObservationWrapper):
    """(H, W) or (H, W, C) uint8 observations -> (84, 84) uint8 grayscale."""

    def __init__(self, env: gym.Env, size: int = SIZE):
        super().__init__(env)
        space = env.observation_space
        if not is_image_space(space):
            raise ValueError(f"Screen84 needs an (H, W) or (H, W, 3) uint8 image space, "
                             f"got {space}")
        h, w = space.shape[:2]
        self._rows = area_matrix(h, size)          # (size, H)
        self._cols_t = area_matrix(w, size).T      # (W, size)
        self.observation_space = gym.spaces.Box(0, 255, (size, size), np.uint8)

    def observation(self, obs: np.ndarray) -> np.ndarray:
        if obs.ndim == 3:
            if obs.shape[2] == 1:
                gray = obs[:, :, 0].astype(np.float32)
            else:
                gray = obs[:, :, :3].astype(np.float32) @ _GRAY
        else:
            gray = obs.astype(np.float32)
        out = self._rows @ gray @ self._cols_t
        return np.clip(np.rint(out, out=out), 0, 255).astype(np.uint8)
