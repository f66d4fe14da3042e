"""Epsilon-greedy policy, weight loading and the epsilon schedule."""
import random

import numpy as np
import pytest
import torch
from torch import nn

from stagger.agents.models import build_model
from stagger.agents.policy import Policy, choose
from stagger.agents.schedule import EpsilonSchedule, epsilon


@pytest.fixture(autouse=True)
def _one_thread():
    torch.set_num_threads(1)


class Counting(nn.Module):
    n_actions = 4

    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.randn(3, 4))
        self.calls = 0

    def forward(self, x):
        self.calls += 1
        return x.float() @ self.w


def test_epsilon_one_still_runs_the_model_every_time():
    """Exploration is applied to the model's result: the timing is always the model's."""
    model = Counting()
    policy = Policy(model)
    rng = np.random.default_rng(0)
    picks = [policy.act(np.ones(3, np.float32), 1.0, rng) for _ in range(400)]
    assert model.calls == 400 and policy.forward_passes == 400
    assert {a for a, _ in picks} == {0, 1, 2, 3}
    assert not any(greedy for _, greedy in picks)


def test_explore_then_choose_equals_act():
    """The coin drawn before the pass plus the pass's result give act()'s answer, and the same
    random numbers are used in the same order (recorded traces still replay)."""
    policy = Policy(Counting())
    a, b = np.random.default_rng(5), np.random.default_rng(5)
    obs = np.array([1.0, -2.0, 0.5], np.float32)
    for eps in (0.0, 0.3, 0.7, 1.0) * 25:
        coin = policy.explore(eps, a)
        assert choose(policy.q_values(obs), coin) == policy.act(obs, eps, b)


@pytest.mark.parametrize("rng", [np.random.default_rng(1), random.Random(1)])
def test_epsilon_zero_is_argmax(rng):
    model = Counting()
    policy = Policy(model)
    for _ in range(50):
        obs = np.random.default_rng(len(str(_))).standard_normal(3).astype(np.float32) * (_ + 1)
        action, greedy = policy.act(obs, 0.0, rng)
        expected = int(torch.argmax(model(torch.from_numpy(obs)[None])[0]))
        assert greedy and action == expected
    assert policy.forward_passes == 50


def test_mixed_epsilon_rate():
    policy = Policy(Counting())
    rng = np.random.default_rng(2)
    greedy = sum(policy.act(np.ones(3, np.float32), 0.3, rng)[1] for _ in range(2000))
    assert 1250 < greedy < 1550  # about 70 % greedy


def test_load_arrays_read_only_and_mismatch():
    src, dst = build_model((84, 84), 6, k=0.0625), build_model((84, 84), 6, k=0.0625)
    arrays = {k: v.detach().numpy().copy() for k, v in src.state_dict().items()}
    for a in arrays.values():
        a.setflags(write=False)  # as received from zmq frames
    policy = Policy(dst)
    policy.load_arrays(arrays, version=7)
    obs = np.random.default_rng(0).integers(0, 256, (84, 84), dtype=np.uint8)
    assert np.array_equal(policy.q_values(obs), src(torch.from_numpy(obs)[None])[0].detach().numpy())
    assert policy.version == 7
    with pytest.raises(ValueError, match="another model"):
        policy.load_arrays({k: v for k, v in list(arrays.items())[:-1]})
    wide = {k: v.detach().numpy() for k, v in build_model((84, 84), 6, k=0.125).state_dict().items()}
    with pytest.raises(ValueError, match="shape"):
        policy.load_arrays(wide)


def test_epsilon_schedule_values():
    assert epsilon(0) == 1.0
    assert epsilon(20_000) == 0.81
    assert epsilon(100_000) == 0.05 and epsilon(10**7) == 0.05
    for step in range(0, 120_000, 997):
        assert epsilon(step) == round(1 - 0.95 * min(step / 100_000, 1), 2)
    assert EpsilonSchedule(start=0.5, end=0.1, steps=10)(5) == 0.3
    assert epsilon(3, decimals=None, steps=7) == pytest.approx(1 - 0.95 * 3 / 7)
