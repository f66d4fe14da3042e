"""Your own learner: double DQN (van Hasselt et al., 2016), written against the Learner interface.

    stagger run --game catcher --learner examples.double_dqn:DoubleDQN --inference-latency 0.1

The online network picks the next action, the target network values it (plain DQN lets the
target network do both, which overestimates). Everything else the framework does: it builds
the transitions, calls ``update()`` once per ``--learn-every`` frames, publishes
``weights_arrays()`` to the inference nodes and checkpoints with ``checkpoint()``/``resume()``.
"""
import copy

import numpy as np
import torch
import torch.nn.functional as F

from stagger.agents.learner_api import Learner
from stagger.agents.replay import ReplayBuffer


class DoubleDQN(Learner):
    def __init__(self, model_factory, n_actions, settings):
        super().__init__(model_factory, n_actions, settings)
        self.device = torch.device(settings.device)
        with torch.random.fork_rng(devices=[]):  # the same initial weights as the inference nodes
            torch.manual_seed(settings.seed or 0)
            self.model = model_factory().to(self.device).train()
        self.target = copy.deepcopy(self.model).eval().requires_grad_(False)
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=settings.lr)
        self.replay = ReplayBuffer(settings.replay_capacity, settings.replay_mode, settings.seed)
        self.updates = 0

    def observe(self, t) -> None:
        self.replay.add(t.obs, int(t.action), float(t.reward), t.next_obs, bool(t.done), float(t.discount))

    def ready(self) -> bool:
        return len(self.replay) >= max(self.settings.batch_size, self.settings.learning_starts)

    def update(self) -> dict | None:
        if not self.ready():
            return None
        b = {k: torch.from_numpy(v).to(self.device)
             for k, v in self.replay.sample(self.settings.batch_size).items() if k != "index"}
        q = self.model(b["obs"]).gather(1, b["action"].unsqueeze(1)).squeeze(1)
        with torch.no_grad():
            pick = self.model(b["next_obs"]).argmax(dim=1, keepdim=True)  # online net chooses
            next_q = self.target(b["next_obs"]).gather(1, pick).squeeze(1)  # target net values
            target = b["reward"] + b["discount"] * (1.0 - b["done"]) * next_q
        loss = F.smooth_l1_loss(q, target)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.model.parameters(), 10.0)
        self.optimizer.step()
        self.updates += 1
        if self.updates % self.settings.target_every == 0:
            self.target.load_state_dict(self.model.state_dict())
        return {"loss": float(loss.detach())}

    def weights_arrays(self) -> dict[str, np.ndarray]:
        return {k: v.detach().to("cpu", torch.float32).numpy().copy() for k, v in self.model.state_dict().items()}

    def checkpoint(self) -> dict:
        return {"model": self.model.state_dict(), "target": self.target.state_dict(),
                "optimizer": self.optimizer.state_dict(), "updates": self.updates}

    def resume(self, state: dict) -> None:
        self.model.load_state_dict(state["model"])
        self.target.load_state_dict(state["target"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.updates = int(state["updates"])

    def stats(self) -> dict:
        return {"replay": len(self.replay), "algorithm": "double_dqn"}
