"""Test models named by `--model tests.slow_model:...` (not test files themselves).

``slow``: a real computation, a chain of 512x512 matrix products, sized when built to take
about ``SLOW_S`` seconds on one thread here: longer than the clock's 1 s heartbeat timeout.
Nothing in it sleeps; torch releases the GIL inside every product.
"""
import math

import torch
from torch import nn

from stagger.benchmarks.long_pass import chain_steps

SLOW_S = 1.6  # > 1.5 s on an idle machine (calibrated on the fastest try); longer under load
SIZE = 512


class MatmulChain(nn.Module):
    def __init__(self, obs_shape, n_actions, seconds: float = SLOW_S):
        super().__init__()
        self.w = nn.Parameter(torch.randn(SIZE, SIZE) / math.sqrt(SIZE))
        self.head = nn.Linear(SIZE, n_actions)
        self.inp = nn.Linear(int(torch.Size(obs_shape).numel()), SIZE)
        self.steps = chain_steps(self.w, seconds)  # calibrated on the fastest try: at least `seconds`

    def forward(self, obs):
        b = obs.shape[0]
        h = self.inp(obs.float().flatten(1) / 255.0)  # (B, SIZE)
        x = h.unsqueeze(2) * self.w.unsqueeze(0) / SIZE  # (B, SIZE, SIZE): the obs flows through
        for _ in range(self.steps):
            x = torch.tanh(x @ self.w)
        return self.head(x.mean(dim=1).reshape(b, SIZE))


def slow(obs_shape, n_actions):
    return MatmulChain(obs_shape, n_actions)


class _OneTooMany(nn.Module):
    def __init__(self, obs_shape, n_actions):
        super().__init__()
        self.fc = nn.Linear(int(torch.Size(obs_shape).numel()), n_actions + 1)

    def forward(self, obs):
        return self.fc(obs.float().flatten(1))


def wrong_shape(obs_shape, n_actions):
    """Output (B, n_actions + 1): must be refused before any node starts."""
    return _OneTooMany(obs_shape, n_actions)


def not_a_module(obs_shape, n_actions):
    return "a string"
