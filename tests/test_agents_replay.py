"""Replay buffer: capacity, reservoir replacement, D6 (sampling after the wrap), checkpoints."""
import numpy as np
import pytest

from stagger.agents.replay import ReplayBuffer


def fill(buf, n, start=0):
    for i in range(start, start + n):
        buf.add(np.full((84, 84), i % 256, np.uint8), i % 6, float(i), np.zeros((84, 84), np.uint8), False)


def test_capacity_and_filled_count_after_wrap():
    buf = ReplayBuffer(100, seed=0)
    fill(buf, 60)
    assert len(buf) == 60 and buf.seen == 60
    fill(buf, 240, start=60)
    assert len(buf) == 100 and buf.seen == 300
    assert buf.arrays["obs"].shape == (100, 84, 84) and buf.arrays["obs"].dtype == np.uint8


def test_sampling_covers_every_slot_after_wrap_d6():
    buf = ReplayBuffer(100, mode="fifo", seed=0)
    fill(buf, 150)  # the write cursor is at slot 50: the official code would sample [0, 50) only
    idx = buf.sample(5000)["index"]
    assert set(idx.tolist()) == set(range(100))


def test_reservoir_keeps_a_uniform_sample_of_everything_seen():
    buf = ReplayBuffer(100, seed=3)
    fill(buf, 1000)
    kept = buf.arrays["reward"]
    assert len(set(kept.tolist())) == 100  # no duplicates: each slot holds one seen item
    old, new = np.sum(kept < 200), np.sum(kept >= 800)
    assert 8 <= old <= 35 and 8 <= new <= 35  # about 20 each: old items survive, new ones enter
    batch = buf.sample(2000, np.random.default_rng(0))["reward"]
    assert batch.min() < 200 and batch.max() >= 800


def test_fifo_keeps_the_latest():
    buf = ReplayBuffer(50, mode="fifo")
    fill(buf, 130)
    assert sorted(buf.arrays["reward"].tolist()) == list(range(80, 130))


def test_reservoir_skips_are_reported():
    buf = ReplayBuffer(10, seed=0)
    slots = [buf.add(np.zeros(2, np.float32), 0, 0.0, np.zeros(2, np.float32), False) for _ in range(200)]
    assert all(s is not None for s in slots[:10])
    assert slots.count(None) > 100
    assert buf.arrays["obs"].dtype == np.float32


def test_fields_and_state_round_trip():
    buf = ReplayBuffer(20, seed=1)
    for i in range(30):
        buf.add(np.full(3, i, np.float32), i % 2, i * 0.5, np.full(3, i + 1, np.float32), i % 3 == 0, 0.99**2)
    b = buf.sample(8)
    assert np.all(b["next_obs"][:, 0] == b["obs"][:, 0] + 1)
    assert np.allclose(b["reward"], b["obs"][:, 0] * 0.5) and np.allclose(b["discount"], 0.9801)
    assert np.array_equal(b["done"], (b["obs"][:, 0] % 3 == 0).astype(np.float32))
    copy = ReplayBuffer(20)
    copy.load_state_dict(buf.state_dict())
    assert len(copy) == 20 and copy.seen == 30
    assert np.array_equal(copy.sample(8)["index"], buf.sample(8)["index"])  # rng restored too
    with pytest.raises(ValueError, match="capacity"):
        ReplayBuffer(5).load_state_dict(buf.state_dict())


def test_bad_arguments():
    with pytest.raises(ValueError, match="mode"):
        ReplayBuffer(10, mode="lifo")
    with pytest.raises(ValueError, match="empty"):
        ReplayBuffer(10).sample(4)
