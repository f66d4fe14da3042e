"""DQN learner as the paper's realtime code ran it (PAPER.md 4.1), with D5, D6, D13 fixed.

Huber loss, gamma 0.99, hard target update every 10k learner updates, Adam lr 1e-3,
batch 16, 10k reservoir replay. Fixes: gradients zeroed every update and the real
gradients clipped to norm 10 (D5); sampling over the filled part (D6); a done mask, and
n-step through the per-transition discount gamma^n (D13). Truncation is not done.
"""
from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from stagger.agents.learner_api import Learner, LearnerSettings
from stagger.agents.replay import ReplayBuffer
from stagger.agents.transitions import TransitionBuilder


@dataclass
class DQNConfig:
    gamma: float = 0.99
    lr: float = 1e-3
    betas: tuple[float, float] = (0.9, 0.999)
    adam_eps: float = 1e-8
    batch_size: int = 16
    target_every: int = 10_000  # learner updates between hard target copies
    grad_clip: float = 10.0  # max global grad norm; 0 or None disables
    replay_capacity: int = 10_000
    replay_mode: str = "reservoir"  # or "fifo"
    learning_starts: int = 16  # transitions in replay before the first update
    n_step: int = 1  # for transition_builder(); the learner reads each transition's discount
    seed: int | None = 0
    device: str = "cpu"


class DQNLearner(Learner):
    """`observe()` transitions, `update()` once per learning step, publish `weights_arrays()`:
    the default implementation of :class:`agents.learner_api.Learner` (``cfg`` may be that
    interface's LearnerSettings, or a DQNConfig with the DQN-only fields too)."""

    def __init__(self, model_factory: Callable[[], nn.Module], n_actions: int,
                 cfg: DQNConfig | LearnerSettings | None = None):
        if isinstance(cfg, LearnerSettings):
            cfg = DQNConfig(**asdict(cfg))
        self.cfg = cfg = cfg or DQNConfig()
        self.settings = cfg
        self.n_actions = int(n_actions)
        self.device = torch.device(cfg.device)
        with torch.random.fork_rng(devices=[]):  # seeded init without touching the global RNG
            if cfg.seed is not None:
                torch.manual_seed(cfg.seed)
            self.model = model_factory().to(self.device)
        self.model.train()
        self.target = copy.deepcopy(self.model).eval().requires_grad_(False)
        # fused: the same Adam in one kernel per step (a third less time per update on this CPU)
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=cfg.lr, betas=tuple(cfg.betas),
                                          eps=cfg.adam_eps, fused=self.device.type in ("cpu", "cuda"))
        self.replay = ReplayBuffer(cfg.replay_capacity, cfg.replay_mode, cfg.seed)
        self.updates = 0
        self.observed = 0

    def transition_builder(self, ring_frames: int = 1280) -> TransitionBuilder:
        return TransitionBuilder(self.cfg.gamma, self.cfg.n_step, ring_frames)

    def observe(self, transition) -> None:
        """Store a Transition, a mapping with the same fields, or (obs, a, r, next_obs, done[, discount])."""
        if isinstance(transition, tuple):
            obs, action, reward, next_obs, done, *rest = transition
            discount = rest[0] if rest else self.cfg.gamma
        else:
            get = transition.get if isinstance(transition, Mapping) else \
                (lambda name, default=None: getattr(transition, name, default))
            obs, action, reward = get("obs"), get("action"), get("reward")
            next_obs, done, discount = get("next_obs"), get("done"), get("discount", self.cfg.gamma)
        if not 0 <= int(action) < self.n_actions:
            raise ValueError(f"transition action {action} outside 0..{self.n_actions - 1}")
        self.replay.add(obs, int(action), float(reward), next_obs, bool(done), float(discount))
        self.observed += 1

    def ready(self) -> bool:
        return len(self.replay) >= max(self.cfg.batch_size, self.cfg.learning_starts)

    def update(self) -> dict | None:
        """One gradient step on a uniform batch; None until the replay holds enough."""
        if not self.ready():
            return None
        batch = self.replay.sample(self.cfg.batch_size)
        t = {k: torch.from_numpy(v).to(self.device) for k, v in batch.items() if k != "index"}
        q = self.model(t["obs"]).gather(1, t["action"].unsqueeze(1)).squeeze(1)
        with torch.no_grad():
            next_q = self.target(t["next_obs"]).max(dim=1).values
            target = t["reward"] + t["discount"] * (1.0 - t["done"]) * next_q
        loss = F.smooth_l1_loss(q, target)
        self.optimizer.zero_grad(set_to_none=True)  # D5: never accumulate across updates
        loss.backward()
        params = [p for p in self.model.parameters() if p.grad is not None]
        if self.cfg.grad_clip:
            grad_norm = float(nn.utils.clip_grad_norm_(params, self.cfg.grad_clip, foreach=True))  # D5b: real grads
        else:
            grad_norm = float(torch.linalg.vector_norm(torch.stack([p.grad.norm() for p in params])))
        self.optimizer.step()
        self.updates += 1
        synced = self.updates % self.cfg.target_every == 0
        if synced:
            self.sync_target()
        return {"loss": float(loss.detach()), "q_mean": float(q.detach().mean()), "grad_norm": grad_norm,
                "updates": self.updates, "target_synced": synced}

    def sync_target(self) -> None:
        self.target.load_state_dict(self.model.state_dict())

    def weights_arrays(self) -> dict[str, np.ndarray]:
        """The online network's state_dict as contiguous float32 copies, in state_dict order."""
        return {name: np.ascontiguousarray(t.detach().to("cpu", torch.float32).numpy().copy())
                for name, t in self.model.state_dict().items()}

    def state_dict(self, include_replay: bool = True) -> dict:
        """Full checkpoint (tensors and plain values only, so `torch.load(weights_only=True)` works)."""
        replay = None
        if include_replay:
            replay = self.replay.state_dict()
            replay["arrays"] = {k: torch.from_numpy(v) for k, v in replay["arrays"].items()}
        return {"format": 1, "config": asdict(self.cfg), "n_actions": self.n_actions,
                "model": self.model.state_dict(), "target": self.target.state_dict(),
                "optimizer": self.optimizer.state_dict(), "updates": self.updates,
                "observed": self.observed, "replay": replay}

    def checkpoint(self) -> dict:
        """The Learner interface's checkpoint: everything but the replay (10k frames are 140 MB)."""
        return self.state_dict(include_replay=False)

    def resume(self, state: dict) -> None:
        self.load_state_dict(state)

    def stats(self) -> dict:
        return {"replay": len(self.replay)}

    def load_state_dict(self, state: dict) -> None:
        if state.get("format") != 1:
            raise ValueError(f"unknown learner checkpoint format {state.get('format')!r}; expected 1")
        self.model.load_state_dict(state["model"])
        self.target.load_state_dict(state["target"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.updates, self.observed = int(state["updates"]), int(state["observed"])
        if state.get("replay") is not None:
            replay = dict(state["replay"])
            replay["arrays"] = {k: np.asarray(v) for k, v in replay["arrays"].items()}
            self.replay.load_state_dict(replay)
