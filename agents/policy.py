"""Acting: epsilon-greedy over a Q-network, with weights loaded from the learner's arrays.

Every action is computed by a forward pass: exploration is applied to the model's result
(the paper's code skipped the pass when it explored, so with epsilon near 1 a large model was
almost never run and every timing described a random-action generator). The exploration coin
is drawn before the pass (:meth:`Policy.explore`), the pass runs (:meth:`Policy.q_values`,
possibly in another thread), and :func:`choose` combines them. Threads are the caller's business
(`torch.set_num_threads` at node start); the device is the Policy's (``device=``).
"""
from __future__ import annotations

import random
import warnings
from collections.abc import Mapping

import numpy as np
import torch
from torch import nn


def _random_action(rng, n: int) -> tuple[float, int]:
    """(uniform draw, random action) from a numpy Generator or a `random.Random`."""
    if isinstance(rng, np.random.Generator):
        return float(rng.random()), int(rng.integers(n))
    if isinstance(rng, random.Random):
        return rng.random(), rng.randrange(n)
    raise TypeError(f"rng must be numpy.random.Generator or random.Random, got {type(rng).__name__}")


def _as_tensor(array: np.ndarray) -> torch.Tensor:
    """Zero-copy tensor view; read-only buffers (zmq frames) are fine because we only read."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*not writable.*", category=UserWarning)
        return torch.from_numpy(np.ascontiguousarray(array))


def choose(q: np.ndarray, explore: tuple[bool, int]) -> tuple[int, bool]:
    """(action, greedy) from the model's output and the exploration coin drawn for it."""
    explored, random_action = explore
    if explored:
        return random_action, False
    return int(np.argmax(q)), True


class Policy:
    """Epsilon-greedy policy around a Q-network (eval mode, no gradients)."""

    def __init__(self, model: nn.Module, n_actions: int | None = None, device: str = "cpu"):
        self.device = torch.device(device)
        self.model = model.to(self.device).eval().requires_grad_(False)
        self.n_actions = int(n_actions if n_actions is not None else model.n_actions)
        self.version = 0  # weights version last loaded (the learner's update count)
        self.forward_passes = 0

    def q_values(self, obs: np.ndarray) -> np.ndarray:
        """Q-values of one observation, shape (n_actions,), on the CPU (from a GPU the copy
        waits for the kernels, so timing this call times the whole pass)."""
        with torch.inference_mode():
            x = _as_tensor(obs).unsqueeze(0).to(self.device)
            q = self.model(x)[0, : self.n_actions].to("cpu")
        self.forward_passes += 1
        return q.numpy()

    def explore(self, epsilon: float, rng) -> tuple[bool, int]:
        """The epsilon-greedy coin for one action: (explore?, the random action if so)."""
        draw, action = _random_action(rng, self.n_actions)
        return draw < epsilon, action

    def act(self, obs: np.ndarray, epsilon: float, rng) -> tuple[int, bool]:
        """(action, greedy): always a forward pass; random with probability epsilon, else argmax Q."""
        coin = self.explore(epsilon, rng)
        return choose(self.q_values(obs), coin)

    def load_arrays(self, arrays: Mapping[str, np.ndarray], version: int | None = None) -> None:
        """Copy the learner's `weights_arrays()` into the model (names and shapes must match)."""
        state = self.model.state_dict()
        missing, extra = set(state) - set(arrays), set(arrays) - set(state)
        if missing or extra:
            raise ValueError(f"weights do not match the model: missing {sorted(missing)[:5]}, "
                             f"unexpected {sorted(extra)[:5]}; were they made for another model or k?")
        with torch.no_grad():
            for name, target in state.items():
                source = arrays[name]
                if tuple(source.shape) != tuple(target.shape):
                    raise ValueError(f"weights {name!r}: shape {tuple(source.shape)}, model expects "
                                     f"{tuple(target.shape)}; were they made for another model or k?")
                target.copy_(_as_tensor(source))
        if version is not None:
            self.version = int(version)
