"""Per-frame experience -> DQN transitions over agent decisions (macro steps; fixes D7).

Conventions (the env node's contract):
- Experience for frame f carries the observation the env published as Observation frame f,
  the action applied at frame f, the reward of that frame and the episode-end flags.
- A fresh action applied at frame g, computed from the obs of frame s (`action_frame`),
  opens a macro step. The macro step runs until the frame before the next fresh action g'
  (default actions in between), or to the episode end. Its transition is
  (obs=o_s, action, reward=sum of r_g..r_{g'-1} (undiscounted over frames),
   next_obs=o_{s'} (the input of the next decision), done=terminated inside the step).
  A step cut by the episode end gets next_obs = the last obs of that episode; truncation is
  not done (D13).
- n-step (default 1) combines n consecutive macro transitions of one episode: gamma is applied
  per agent decision, not per frame (as the paper's code); `discount` = gamma^m with m the
  number combined, so the learner's target is reward + discount * (1 - done) * max Q(next).
Records that cannot be used are counted in `stats`, never silently lost.
"""
from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, slots=True)
class Transition:
    obs: np.ndarray
    action: int
    reward: float
    next_obs: np.ndarray
    done: bool
    discount: float
    obs_frame: int = -1  # frame of obs (the decision's input)
    applied_frame: int = -1  # frame the action was first applied
    next_frame: int = -1  # frame of next_obs
    steps: int = 1  # macro steps combined (n-step)


@dataclass(slots=True)
class _Open:  # the decision whose macro step is running
    obs: np.ndarray
    obs_frame: int
    action: int
    applied_frame: int
    reward: float = 0.0


def _field(record, name: str):
    return record[name] if isinstance(record, Mapping) else getattr(record, name)


class TransitionBuilder:
    """Feed frames in order with `add()`; it returns the transitions they complete."""

    STATS = ("frames", "transitions", "missing_obs", "cross_episode", "gaps", "out_of_order",
             "dropped_steps", "skipped_frames", "unattributed_frames")

    def __init__(self, gamma: float = 0.99, n_step: int = 1, ring_frames: int = 1280):
        if n_step < 1 or ring_frames < 1:
            raise ValueError(f"need n_step >= 1 and ring_frames >= 1, got {n_step}, {ring_frames}")
        self.gamma, self.n_step, self.ring_frames = float(gamma), int(n_step), int(ring_frames)
        self.stats = dict.fromkeys(self.STATS, 0)
        self._ring: np.ndarray | None = None
        self._ring_frame = np.full(self.ring_frames, -1, np.int64)
        self._ring_episode = np.full(self.ring_frames, -1, np.int64)
        self._last_frame: int | None = None
        self._episode: int | None = None
        self._open: _Open | None = None
        self._chain: deque[Transition] = deque()  # macro transitions waiting for n-step
        self._open_frames = 0  # frames in the open macro step (for skipped_frames)
        self._skipping = False  # after a gap or a missing obs, until the next usable decision

    # ----- observation ring -----
    def _store(self, frame: int, episode: int, obs: np.ndarray) -> None:
        obs = np.asarray(obs)
        if self._ring is None:
            self._ring = np.zeros((self.ring_frames, *obs.shape), obs.dtype)
        elif obs.shape != self._ring.shape[1:]:
            raise ValueError(f"observation shape changed from {self._ring.shape[1:]} to {obs.shape}")
        i = frame % self.ring_frames
        self._ring[i], self._ring_frame[i], self._ring_episode[i] = obs, frame, episode

    def _lookup(self, frame: int) -> tuple[np.ndarray, int] | None:
        i = frame % self.ring_frames
        if frame < 0 or self._ring is None or self._ring_frame[i] != frame:
            return None
        return self._ring[i].copy(), int(self._ring_episode[i])

    # ----- transitions -----
    def _emit_macro(self, out: list, next_obs: np.ndarray, next_frame: int, done: bool) -> None:
        o = self._open
        self._chain.append(Transition(o.obs, o.action, o.reward, next_obs, done, self.gamma,
                                      o.obs_frame, o.applied_frame, next_frame, 1))
        self._open, self._open_frames = None, 0
        if len(self._chain) == self.n_step:
            out.append(self._combine())
            self._chain.popleft()

    def _combine(self) -> Transition:
        chain, g = self._chain, self.gamma
        first, last = chain[0], chain[-1]
        reward = sum(t.reward * g**j for j, t in enumerate(chain))
        self.stats["transitions"] += 1
        return Transition(first.obs, first.action, float(reward), last.next_obs, last.done,
                          g ** len(chain), first.obs_frame, first.applied_frame, last.next_frame, len(chain))

    def _flush_chain(self, out: list) -> None:
        while self._chain:  # shorter horizons: still valid m-step targets
            out.append(self._combine())
            self._chain.popleft()

    def _drop_open(self) -> None:
        if self._open is not None:
            self.stats["dropped_steps"] += 1
            self.stats["skipped_frames"] += self._open_frames
        self._open, self._open_frames = None, 0

    def _end_episode(self, out: list, last_obs: np.ndarray, last_frame: int, done: bool) -> None:
        if self._open is not None:
            self._emit_macro(out, last_obs, last_frame, done)
        self._flush_chain(out)

    def add(self, record) -> list[Transition]:
        """Add one frame: a protocol Experience (obs in `arrays[0]`), a mapping or an object
        with fields frame, episode, obs, action, fresh, action_frame, reward, terminated, truncated."""
        has_obs = "obs" in record if isinstance(record, Mapping) else hasattr(record, "obs")
        obs = _field(record, "obs") if has_obs else _field(record, "arrays")[0]
        return self.push(int(_field(record, "frame")), int(_field(record, "episode")), obs,
                         int(_field(record, "action")), bool(_field(record, "fresh")),
                         int(_field(record, "action_frame")), float(_field(record, "reward")),
                         bool(_field(record, "terminated")), bool(_field(record, "truncated")))

    def push(self, frame: int, episode: int, obs, action: int, fresh: bool, action_frame: int,
             reward: float, terminated: bool, truncated: bool) -> list[Transition]:
        out: list[Transition] = []
        if self._last_frame is not None and frame <= self._last_frame:
            self.stats["out_of_order"] += 1
            return out
        self.stats["frames"] += 1
        if self._last_frame is not None and frame != self._last_frame + 1:
            self.stats["gaps"] += 1  # frames lost: the open step's reward sum is unknown
            self._drop_open()
            self._flush_chain(out)
            self._skipping = True
        if self._episode is not None and episode != self._episode:
            # a new episode without an end flag on the last one (lost or reset): truncated
            last = self._lookup(self._last_frame)
            if self._open is not None and last is not None:
                self._end_episode(out, last[0], self._last_frame, False)
            self._flush_chain(out)
        if self._episode != episode:
            self._skipping = False  # frames before the first decision of an episode: unattributed
        self._last_frame, self._episode = frame, episode
        self._store(frame, episode, obs)

        if fresh:
            found = self._lookup(action_frame)
            if found is None:
                self.stats["missing_obs"] += 1  # drops the step ending here and the one starting here
                self._drop_open()
                self._flush_chain(out)
                self._skipping = True
            elif found[1] != episode:
                self.stats["cross_episode"] += 1  # computed in an earlier episode: counts as a default
            else:
                if self._open is not None:
                    self._emit_macro(out, found[0], action_frame, False)
                self._open = _Open(found[0], action_frame, action, frame)
                self._skipping = False
        if self._open is not None:
            self._open.reward += reward
            self._open_frames += 1
        else:
            self.stats["skipped_frames" if self._skipping else "unattributed_frames"] += 1
        if terminated or truncated:
            self._end_episode(out, np.asarray(obs).copy(), frame, bool(terminated))
            self._episode, self._skipping = None, False  # next frame: a new episode, whatever its id
        return out

    def flush(self) -> list[Transition]:
        """End of stream: emit the completed macro steps still waiting for n-step; drop the open one."""
        out: list[Transition] = []
        self._drop_open()
        self._flush_chain(out)
        return out
