"""Replay buffer: fixed capacity, reservoir (or FIFO) replacement, uniform sampling.

Fixes D6: the filled count is tracked apart from the write position, so after the buffer
fills, sampling covers every slot. Arrays are preallocated on the first transition; pixel
observations stay uint8 (7 KB per 84x84 frame instead of 28 KB as float32).
"""
from __future__ import annotations

import numpy as np

FIELDS = ("obs", "action", "reward", "next_obs", "done", "discount")


class ReplayBuffer:
    """`mode="reservoir"`: once full, item number `seen` replaces a random slot with
    probability capacity/seen (a uniform sample of everything seen). `mode="fifo"`: ring."""

    def __init__(self, capacity: int = 10_000, mode: str = "reservoir", seed: int | None = None):
        if capacity < 1:
            raise ValueError(f"replay capacity must be >= 1, got {capacity}")
        if mode not in ("reservoir", "fifo"):
            raise ValueError(f"replay mode must be 'reservoir' or 'fifo', got {mode!r}")
        self.capacity, self.mode = int(capacity), mode
        self.rng = np.random.default_rng(seed)
        self.filled = 0  # slots holding data (D6)
        self.seen = 0  # transitions offered
        self.cursor = 0  # next FIFO slot
        self.arrays: dict[str, np.ndarray] = {}

    def __len__(self) -> int:
        return self.filled

    def _allocate(self, obs: np.ndarray) -> None:
        obs = np.asarray(obs)
        dtype = np.uint8 if obs.dtype == np.uint8 else np.float32
        n = self.capacity
        self.arrays = {
            "obs": np.zeros((n, *obs.shape), dtype), "next_obs": np.zeros((n, *obs.shape), dtype),
            "action": np.zeros(n, np.int64), "reward": np.zeros(n, np.float32),
            "done": np.zeros(n, np.float32), "discount": np.zeros(n, np.float32),
        }

    def _slot(self) -> int | None:
        self.seen += 1
        if self.filled < self.capacity:
            self.filled += 1
            return self.filled - 1
        if self.mode == "fifo":
            slot, self.cursor = self.cursor, (self.cursor + 1) % self.capacity
            return slot
        j = int(self.rng.integers(self.seen))  # kept with probability capacity/seen
        return j if j < self.capacity else None

    def add(self, obs, action: int, reward: float, next_obs, done: bool, discount: float = 0.99) -> int | None:
        """Offer one transition; returns the slot written, or None if reservoir skipped it."""
        if not self.arrays:
            self._allocate(obs)
        slot = self._slot()
        if slot is not None:
            a = self.arrays
            a["obs"][slot], a["next_obs"][slot] = obs, next_obs
            a["action"][slot], a["reward"][slot] = action, reward
            a["done"][slot], a["discount"][slot] = float(done), discount
        return slot

    def sample(self, batch_size: int, rng: np.random.Generator | None = None) -> dict[str, np.ndarray]:
        """Uniform with replacement over the filled slots (copies, one array per field)."""
        if self.filled == 0:
            raise ValueError("cannot sample from an empty replay buffer")
        idx = (rng or self.rng).integers(self.filled, size=batch_size)
        return {name: self.arrays[name][idx] for name in FIELDS} | {"index": idx}

    def state_dict(self) -> dict:
        """Filled part and counters; arrays as numpy (the learner converts for torch.save)."""
        return {"capacity": self.capacity, "mode": self.mode, "filled": self.filled, "seen": self.seen,
                "cursor": self.cursor, "rng": self.rng.bit_generator.state,
                "arrays": {k: v[: self.filled].copy() for k, v in self.arrays.items()}}

    def load_state_dict(self, state: dict) -> None:
        if state["capacity"] != self.capacity:
            raise ValueError(f"replay checkpoint has capacity {state['capacity']}, this buffer {self.capacity}")
        self.mode, self.filled, self.seen = state["mode"], int(state["filled"]), int(state["seen"])
        self.cursor = int(state["cursor"])
        self.rng.bit_generator.state = state["rng"]
        self.arrays = {}
        if state["arrays"]:
            saved = {k: np.asarray(v) for k, v in state["arrays"].items()}
            self._allocate(saved["obs"][0])
            for name, values in saved.items():
                self.arrays[name][: len(values)] = values
