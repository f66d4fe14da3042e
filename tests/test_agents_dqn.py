"""DQN learner: real learning on a tiny chain, the D5 fixes, target sync, checkpoints, weights."""
import io

import numpy as np
import pytest
import torch

from stagger.agents.dqn import DQNConfig, DQNLearner
from stagger.agents.models import build_model
from stagger.agents.policy import Policy
from stagger.agents.transitions import Transition

S0, S1, END = (np.eye(3, dtype=np.float32)[i] for i in range(3))


@pytest.fixture(autouse=True)
def _one_thread():
    torch.set_num_threads(1)


def mlp_learner(**cfg):
    cfg.setdefault("learning_starts", cfg.get("batch_size", 16))
    return DQNLearner(lambda: build_model((3,), 2, hidden=(32,)), 2, DQNConfig(**cfg))


def q(learner, obs):
    with torch.no_grad():
        return learner.model(torch.from_numpy(obs)[None])[0].numpy()


def test_learns_the_true_q_values_of_a_two_state_chain():
    # s0 -a-> s1 (reward 0); s1 -0-> end (reward 1, done); s1 -1-> end (reward 0, done);
    # plus a truncated step from s0 that must bootstrap. True Q: s1 = (1, 0), s0 = (0.99, 0.99).
    learner = mlp_learner(lr=3e-3, target_every=100, seed=0)
    for _ in range(20):
        learner.observe(Transition(S0, 0, 0.0, S1, False, 0.99))
        learner.observe({"obs": S0, "action": 1, "reward": 0.0, "next_obs": S1, "done": False})
        learner.observe((S1, 0, 1.0, END, True))
        learner.observe((S1, 1, 0.0, END, True, 0.99))
    for _ in range(1500):
        learner.update()
    assert np.allclose(q(learner, S1), [1.0, 0.0], atol=0.05)
    assert np.allclose(q(learner, S0), [0.99, 0.99], atol=0.05)


def test_n_step_discount_is_used():
    learner = mlp_learner(lr=3e-3, target_every=100, seed=1)
    for _ in range(10):  # a 2-step transition s0 -> end with discount gamma^2, bootstrapping END
        learner.observe(Transition(S0, 0, 0.5, END, False, 0.25))
        learner.observe(Transition(END, 0, 1.0, S1, True, 0.25))
        learner.observe(Transition(END, 1, 1.0, S1, True, 0.25))
    for _ in range(1500):
        learner.update()
    assert q(learner, S0)[0] == pytest.approx(0.5 + 0.25 * 1.0, abs=0.05)


def test_no_update_before_learning_starts():
    learner = mlp_learner(batch_size=4, learning_starts=10)
    for i in range(9):
        learner.observe((S0, 0, 0.0, S1, False))
        assert learner.update() is None
    learner.observe((S0, 0, 0.0, S1, False))
    stats = learner.update()
    assert stats["updates"] == 1 == learner.updates and np.isfinite(stats["loss"])
    with pytest.raises(ValueError, match="outside"):
        learner.observe((S0, 2, 0.0, S1, False))


def grads(learner):
    return [p.grad.clone() for p in learner.model.parameters()]


def test_gradients_do_not_accumulate_across_updates_d5():
    # one transition and lr 0: every update sees the same batch and the same weights,
    # so the gradient of update 2 equals that of update 1 (the official code had twice it)
    learner = mlp_learner(lr=0.0, batch_size=4, grad_clip=1e9)
    for _ in range(4):
        learner.observe((S0, 1, 3.0, S1, False))
    n1, g1 = learner.update()["grad_norm"], grads(learner)
    n2, g2 = learner.update()["grad_norm"], grads(learner)
    assert n1 > 0 and n2 == pytest.approx(n1)
    assert all(torch.allclose(a, b) for a, b in zip(g1, g2))


def test_real_gradients_are_clipped_d5b():
    learner = mlp_learner(batch_size=4, grad_clip=1e-3)
    for _ in range(4):
        learner.observe((S0, 1, 50.0, S1, False))
    raw = learner.update()["grad_norm"]
    clipped = torch.linalg.vector_norm(torch.stack([g.norm() for g in grads(learner)]))
    assert raw > 1e-2 and float(clipped) == pytest.approx(1e-3, rel=1e-3)


def test_target_network_syncs_every_target_every_updates():
    learner = mlp_learner(batch_size=4, target_every=3)
    for _ in range(4):
        learner.observe((S0, 1, 1.0, S1, False))

    def same():
        return all(torch.equal(a, b) for a, b in zip(learner.model.parameters(), learner.target.parameters()))

    assert same()
    flags = [learner.update()["target_synced"] for _ in range(6)]
    assert flags == [False, False, True, False, False, True] and same()
    learner.update()
    assert not same()


def test_checkpoint_round_trip_continues_identically():
    a = mlp_learner(batch_size=4, seed=5)
    for i in range(30):
        a.observe((S0 * i, i % 2, float(i), S1, i % 5 == 0))
    for _ in range(5):
        a.update()
    buffer = io.BytesIO()
    torch.save(a.state_dict(), buffer)
    buffer.seek(0)
    b = mlp_learner(batch_size=4, seed=99)
    b.load_state_dict(torch.load(buffer, weights_only=True))
    assert b.updates == 5 and b.observed == 30 and len(b.replay) == 30
    sa, sb = a.update(), b.update()
    assert sa["loss"] == sb["loss"]
    assert all(torch.equal(x, y) for x, y in zip(a.model.parameters(), b.model.parameters()))
    light = a.state_dict(include_replay=False)
    assert light["replay"] is None


def test_weights_arrays_load_into_policy_with_identical_outputs():
    learner = DQNLearner(lambda: build_model((84, 84), 6, k=0.0625), 6, DQNConfig(batch_size=2))
    rng = np.random.default_rng(0)
    for _ in range(4):
        learner.observe((rng.integers(0, 256, (84, 84), dtype=np.uint8), 1, 1.0,
                         rng.integers(0, 256, (84, 84), dtype=np.uint8), False))
    learner.cfg.learning_starts = 2
    learner.update()
    arrays = learner.weights_arrays()
    assert list(arrays) == list(learner.model.state_dict())
    assert all(a.dtype == np.float32 and a.flags.c_contiguous for a in arrays.values())
    policy = Policy(build_model((84, 84), 6, k=0.0625))
    policy.load_arrays(arrays, version=learner.updates)
    obs = rng.integers(0, 256, (84, 84), dtype=np.uint8)
    with torch.no_grad():
        expected = learner.model(torch.from_numpy(obs)[None])[0].numpy()
    assert np.array_equal(policy.q_values(obs), expected) and policy.version == 1
    learner.update()  # the published arrays are copies: training does not change them
    assert np.array_equal(policy.q_values(obs), expected)
