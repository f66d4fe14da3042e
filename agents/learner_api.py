"""The Learner interface: what a learning algorithm gives the learner node, the sequential
agent and virtual time. DQN (:class:`agents.dqn.DQNLearner`) is the default implementation;
``--learner module:Class`` names any other (examples/double_dqn.py is one).

The framework owns everything around it: it turns the env's per-frame experience into
transitions over agent decisions (:mod:`agents.transitions`, with ``settings.gamma`` and
``settings.n_step``), calls :meth:`update` once per ``--learn-every`` frames, publishes
:meth:`weights_arrays` to the inference nodes every ``publish_every`` updates (they load them
into their own copy of the same model, so names and shapes must be the model's
``state_dict``), and checkpoints with :meth:`checkpoint` / :meth:`resume`.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

DEFAULT_LEARNER = "stagger.agents.dqn:DQNLearner"
METHODS = ("observe", "ready", "update", "weights_arrays", "checkpoint", "resume")


@dataclass
class LearnerSettings:
    """What the run tells every learner (each uses what it needs)."""

    gamma: float = 0.99
    lr: float = 1e-3
    batch_size: int = 16
    replay_capacity: int = 10_000
    replay_mode: str = "reservoir"  # or "fifo"
    learning_starts: int = 16  # transitions before the first update
    target_every: int = 10_000  # updates between target copies (for learners that have one)
    n_step: int = 1  # agent decisions per transition (the framework builds them)
    seed: int | None = 0
    device: str = "cpu"


class Learner:
    """Subclass this (or provide the same methods and ``updates``).

    ``__init__(model_factory, n_actions, settings)``: ``model_factory()`` builds a fresh copy
    of the run's model (seeded: call it first for the same initial weights as the inference
    nodes), ``n_actions`` the number of Q-values/logits, ``settings`` a LearnerSettings.
    """

    updates: int = 0  # learning steps done; weights are published with this as their version

    def __init__(self, model_factory: Callable, n_actions: int, settings: LearnerSettings):
        self.settings, self.n_actions = settings, int(n_actions)

    def observe(self, transition) -> None:
        """One transition: ``.obs .action .reward .next_obs .done .discount`` (gamma^n)."""
        raise NotImplementedError

    def ready(self) -> bool:
        """Enough experience for :meth:`update`."""
        raise NotImplementedError

    def update(self) -> dict | None:
        """One learning step; its metrics (e.g. ``{"loss": 0.1}``), None if not ready."""
        raise NotImplementedError

    def weights_arrays(self) -> dict[str, np.ndarray]:
        """The acting model's ``state_dict`` as named CPU numpy arrays."""
        raise NotImplementedError

    def checkpoint(self) -> dict:
        """Everything needed to continue, ``torch.save``-able and loadable with ``weights_only=True``
        (tensors, numbers, strings, lists and dicts of them)."""
        raise NotImplementedError

    def resume(self, state: dict) -> None:
        """Continue from a :meth:`checkpoint` (tensors arrive on the CPU)."""
        raise NotImplementedError

    def stats(self) -> dict:
        """Extra metrics for the run's stats (JSON-compatible)."""
        return {}


def settings_from(opts) -> LearnerSettings:
    """The LearnerSettings of a node's options (their LearningPart and ModelPart fields)."""
    return LearnerSettings(
        batch_size=opts.batch_size, replay_capacity=opts.replay, replay_mode=opts.replay_mode,
        learning_starts=opts.learning_starts, target_every=opts.target_every, n_step=opts.n_step,
        seed=opts.seed, device=opts.learner_device or opts.device)


def make_learner(spec: str, model_factory: Callable, n_actions: int, settings: LearnerSettings):
    """Build the learner ``spec`` names (DQN by default), with a clear error if it is not one."""
    from stagger.agents.custom import LEARNER_EXPECTED, SpecError, load_object
    cls = load_object(spec or DEFAULT_LEARNER, "--learner", LEARNER_EXPECTED)
    if not isinstance(cls, type):
        raise SpecError(f"--learner {spec!r} is a {type(cls).__name__}, not a class; expected {LEARNER_EXPECTED}")
    missing = [m for m in METHODS if not callable(getattr(cls, m, None))
               or getattr(cls, m) is getattr(Learner, m)]  # absent, or the interface's stub
    if missing:
        raise SpecError(f"--learner {spec!r}: {cls.__name__} has no {', '.join(missing)}; expected "
                        f"{LEARNER_EXPECTED}")
    learner = cls(model_factory, int(n_actions), settings)
    if not isinstance(getattr(learner, "updates", None), int):
        raise SpecError(f"--learner {spec!r}: {cls.__name__}.updates must be an int (learning steps "
                        f"done); expected {LEARNER_EXPECTED}")
    return learner
