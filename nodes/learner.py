"""The learner node: experience in, DQN updates, weights out, checkpoints.

It pulls per-frame experience (every gap in the env's sequence numbers is counted as
dropped), builds macro-step transitions (:class:`agents.transitions.TransitionBuilder`),
runs one update per ``learn_every`` frames received (so it cannot starve the realtime
nodes on a small machine) and publishes the weights every ``publish_every`` updates.
"""
from __future__ import annotations

from dataclasses import dataclass

from nodes.core import Out
from protocol.messages import Stats, Weights


@dataclass
class LearnerConfig:
    learn_every: int = 4  # env frames of experience per update
    publish_every: int = 50  # updates between weight broadcasts
    checkpoint_every: int = 2000  # updates between checkpoints (0: only at the end)


class LearnerCore:
    """Pure learning bookkeeping around a DQNLearner."""

    def __init__(self, dqn, cfg: LearnerConfig, ring_frames: int = 1280):
        self.dqn = dqn
        self.cfg = cfg
        self.builder = dqn.transition_builder(ring_frames)
        self.frames = 0
        self.transitions = 0
        self.version = 0
        self.last: dict = {}

    def on_experience(self, msg) -> None:
        self.frames += 1
        for tr in self.builder.add(msg):
            self.dqn.observe(tr)
            self.transitions += 1

    def owed(self) -> bool:
        return self.dqn.ready() and self.dqn.updates < self.frames // max(1, self.cfg.learn_every)

    def learn(self) -> list[Out]:
        info = self.dqn.update()
        if info is None:
            return []
        self.last = info
        if self.dqn.updates % self.cfg.publish_every == 0:
            return [self.weights()]
        return []

    def weights(self) -> Out:
        arrays = self.dqn.weights_arrays()
        self.version = self.dqn.updates
        return Out("weights", Weights(version=self.version, updates=self.dqn.updates,
                                      names=list(arrays), arrays=tuple(arrays.values())))

    def checkpoint_due(self) -> bool:
        every = self.cfg.checkpoint_every
        return bool(every) and self.dqn.updates > 0 and self.dqn.updates % every == 0

    def stats(self, kind: str = "learner") -> Stats:
        return Stats(kind=kind, data={
            "updates": self.dqn.updates, "frames": self.frames, "transitions": self.transitions,
            "replay": len(self.dqn.replay), "loss": self.last.get("loss"),
            "weights_version": self.version, "builder": dict(self.builder.stats)})


def make_dqn(opts: dict):
    from agents.dqn import DQNConfig, DQNLearner
    from nodes.inference import model_factory
    cfg = DQNConfig(batch_size=int(opts.get("batch_size", 16)), n_step=int(opts.get("n_step", 1)),
                    replay_capacity=int(opts.get("replay", 10_000)), seed=int(opts.get("seed", 0)),
                    learning_starts=int(opts.get("learning_starts", 16)))
    return DQNLearner(model_factory(opts), int(opts["policy_actions"]), cfg)


def save_checkpoint(core: LearnerCore, run_dir) -> None:
    import torch
    from pathlib import Path
    path = Path(run_dir) / "checkpoint.pt"
    tmp = path.with_suffix(".tmp")
    torch.save({"learner": core.dqn.state_dict(include_replay=False), "frames": core.frames}, tmp)
    tmp.replace(path)


def run(opts: dict) -> int:
    """The learner node's I/O loop."""
    import torch

    from nodes.runtime import Runtime, log

    torch.set_num_threads(1)
    rt = Runtime.for_node(opts, "learner")
    core = LearnerCore(make_dqn(opts), LearnerConfig(
        int(opts.get("learn_every", 4)), int(opts.get("publish_every", 50)),
        int(opts.get("checkpoint_every", 2000))))
    clock = rt.clock
    try:
        rt.bind("weights")
        for ch in ("experience", "stats"):
            if opts.get("connect", {}).get(ch):
                rt.connect(ch, opts["connect"][ch])
        rt.send(Out("stats", Stats(kind="endpoints", data={"endpoints": rt.endpoints})))
        next_stats = clock.now()
        next_weights = clock.now()
        while not rt.should_stop():
            rt.poll(0.0 if core.owed() else 0.05)
            for msg, _ in rt.drain("experience"):
                core.on_experience(msg)
            if core.owed():
                rt.send_all(core.learn())
                if core.checkpoint_due():
                    save_checkpoint(core, opts["run_dir"])
            now = clock.now()
            if now >= next_weights:  # late joiners get the current weights too
                next_weights = now + 2.0
                rt.send(core.weights())
            if now >= next_stats:
                next_stats = now + 0.5
                rt.send(Out("stats", core.stats()))
    finally:
        if "experience" in rt.sockets:  # take what the env sent before it stopped: nothing unaccounted
            for msg, _ in rt.drain("experience"):
                core.on_experience(msg)
        save_checkpoint(core, opts["run_dir"])
        data = {**core.stats().data, "dropped": rt.seq_in["experience"].dropped
                if "experience" in rt.seq_in else 0, **rt.counters()}
        rt.send(Out("stats", Stats(kind="learner_final", data=data)))
        rt.close()
        log.info("learner stopped after %d updates", core.dqn.updates)
    return 0
