"""The learner node: experience in, updates, weights out, checkpoints.

It pulls per-frame experience (every gap in the env's sequence numbers is counted as
dropped), builds macro-step transitions (:class:`agents.transitions.TransitionBuilder`),
runs one update per ``learn_every`` frames received (so it cannot starve the realtime
nodes on a small machine) and publishes the weights every ``publish_every`` updates. The
learning algorithm is any :class:`agents.learner_api.Learner` (``--learner module:Class``;
DQN by default).
"""
from __future__ import annotations

from dataclasses import dataclass

from stagger.nodes import checks
from stagger.nodes.core import Out
from stagger.nodes.options import LearnerOptions, LearningPart, default_of
from stagger.protocol.messages import Stats, Weights


@dataclass
class LearnerConfig:
    learn_every: int = default_of(LearningPart, "learn_every")  # env frames of experience per update
    publish_every: int = default_of(LearningPart, "publish_every")  # updates between weight broadcasts
    checkpoint_every: int = default_of(LearningPart, "checkpoint_every")  # updates between checkpoints (0: at the end)
    gamma: float = 0.99  # of the transitions built for the learner (per agent decision)
    n_step: int = default_of(LearningPart, "n_step")


class LearnerCore:
    """Pure learning bookkeeping around a Learner (agents/learner_api.py)."""

    def __init__(self, learner, cfg: LearnerConfig, ring_frames: int = 1280):
        from stagger.agents.transitions import TransitionBuilder
        self.learner = learner
        self.cfg = cfg
        self.builder = TransitionBuilder(cfg.gamma, cfg.n_step, ring_frames)
        self.frames = 0
        self.transitions = 0
        self.version = 0
        self.last: dict = {}
        self.next_seq = 0  # sequence number after the last experience taken (for --resume)
        self.first_seq: int | None = None  # of the first experience this process took
        self.first_obs = None  # the first observation taken: every later one has its shape and dtype

    def on_experience(self, msg) -> tuple[str, str] | None:
        """Take one frame's experience; one the transition builder cannot use is returned as a
        rejection ``(reason, detail)`` for the runtime's counters and changes nothing."""
        rejected = checks.experience(msg, self.first_obs, getattr(self.learner, "n_actions", None))
        if rejected:
            return rejected
        if self.first_obs is None:
            self.first_obs = msg.obs
        self.frames += 1
        self.next_seq = msg.seq + 1
        if self.first_seq is None:
            self.first_seq = msg.seq
        for tr in self.builder.add(msg):
            self.learner.observe(tr)
            self.transitions += 1
        return None

    def owed(self) -> bool:
        return self.learner.ready() and self.learner.updates < self.frames // max(1, self.cfg.learn_every)

    def learn(self) -> list[Out]:
        info = self.learner.update()
        if info is None:
            return []
        self.last = info
        if self.learner.updates % self.cfg.publish_every == 0:
            return [self.weights()]
        return []

    def weights(self) -> Out:
        arrays = self.learner.weights_arrays()
        self.version = self.learner.updates
        return Out("weights", Weights(version=self.version, updates=self.learner.updates,
                                      names=list(arrays), arrays=tuple(arrays.values())))

    def checkpoint_due(self) -> bool:
        every = self.cfg.checkpoint_every
        return bool(every) and self.learner.updates > 0 and self.learner.updates % every == 0

    def stats(self, kind: str = "learner") -> Stats:
        return Stats(kind=kind, data={
            "updates": self.learner.updates, "frames": self.frames, "transitions": self.transitions,
            "loss": self.last.get("loss"), "weights_version": self.version,
            "builder": dict(self.builder.stats), **self.learner.stats()})


INTAKE_S = 0.05  # experience taken per loop turn at most this long: a slow learner still learns and stops
FINAL_INTAKE_S = 2.0  # at the end (the supervisor waits 5 s before SIGKILL); the rest is in flight


def take_experience(rt, core: LearnerCore, budget_s: float) -> None:
    """Experience waiting on the socket into the core, for up to ``budget_s``: what is left waits
    for the next turn, or at the end is counted in flight (details.json ``experience``)."""
    end = rt.clock.now() + budget_s
    while rt.clock.now() < end and (got := rt.recv("experience")) is not None:
        if rejected := core.on_experience(got[0]):
            rt.reject("experience", *rejected)


def make_learner(opts):
    """The run's Learner (``opts.learner_spec``, DQN by default) and the LearnerConfig it needs;
    ``opts`` has LearningPart, ModelPart and GameFacts fields (a learner's or sequential agent's)."""
    from stagger.agents.learner_api import make_learner as build, settings_from
    from stagger.nodes.inference import model_factory
    settings = settings_from(opts)
    learner = build(opts.learner_spec, model_factory(opts), opts.policy_actions, settings)
    cfg = LearnerConfig(opts.learn_every, opts.publish_every, opts.checkpoint_every, settings.gamma, settings.n_step)
    return learner, cfg


def save_checkpoint(core: LearnerCore, run_dir, run_id: str = "") -> None:
    import torch
    from pathlib import Path
    path = Path(run_dir) / "checkpoint.pt"
    tmp = path.with_suffix(".tmp")
    torch.save({"learner": core.learner.checkpoint(), "frames": core.frames,
                "run_id": run_id, "experience_next_seq": core.next_seq}, tmp)
    tmp.replace(path)


def resume(core: LearnerCore, run_dir, run_id: str = "") -> dict:
    """Continue from ``run_dir/checkpoint.pt``. In the same run (same ``run_id``, the same env
    still numbering its experience) the experience sent after the checkpoint that this learner
    does not receive is counted as dropped: the returned ``next_seq`` is where counting starts."""
    import torch
    from pathlib import Path
    path = Path(run_dir) / "checkpoint.pt"
    if not path.exists():
        raise FileNotFoundError(f"--resume {run_dir}: no checkpoint.pt there (a learner writes it "
                                "every checkpoint_every updates and when it stops)")
    ck = torch.load(path, weights_only=True, map_location="cpu")  # copied onto the learner's device
    core.learner.resume(ck["learner"])
    core.frames = int(ck["frames"])
    same_run = bool(run_id) and ck.get("run_id") == run_id
    core.next_seq = int(ck.get("experience_next_seq", 0)) if same_run else 0
    return {"checkpoint": str(path), "updates": core.learner.updates, "frames": core.frames,
            "same_run": same_run, "next_seq": core.next_seq}


def run(opts: LearnerOptions) -> int:
    """The learner node's I/O loop."""
    import torch

    from stagger.nodes.runtime import Runtime, log

    from stagger.agents.device import check_device
    torch.set_num_threads(opts.threads)
    check_device(opts.learner_device or opts.device)
    rt = Runtime.for_node(opts, "learner")
    core = LearnerCore(*make_learner(opts))
    clock = rt.clock
    resumed = resume(core, opts.resume, opts.run_id) if opts.resume else {}
    if resumed:
        log.info("resumed from %(checkpoint)s: %(updates)d updates, %(frames)d frames; experience "
                 "from seq %(next_seq)d on that does not arrive is counted as dropped", resumed)
    try:
        rt.bind("weights", opts.ports.get("weights", 0))
        for ch in ("experience", "stats"):
            if opts.connect.get(ch):
                rt.connect(ch, opts.connect[ch])
        if "experience" in rt.seq_in:  # after a resume: what the checkpoint has not seen is owed
            rt.seq_in["experience"].start = resumed.get("next_seq", 0)
        rt.send(Out("stats", Stats(kind="endpoints", data={"endpoints": rt.endpoints})))
        next_stats = clock.now()
        next_weights = clock.now()
        while not rt.should_stop():
            rt.poll(0.0 if core.owed() else 0.05)
            take_experience(rt, core, INTAKE_S)
            if core.owed():
                rt.send_all(core.learn())
                if core.checkpoint_due():
                    save_checkpoint(core, opts.run_dir, opts.run_id)
            now = clock.now()
            if now >= next_weights:  # late joiners get the current weights too
                next_weights = now + 2.0
                rt.send(core.weights())
            if now >= next_stats:
                next_stats = now + 0.5
                rt.send(Out("stats", core.stats()))
    finally:
        if "experience" in rt.sockets:  # take what the env sent before it stopped
            take_experience(rt, core, FINAL_INTAKE_S)
        save_checkpoint(core, opts.run_dir, opts.run_id)
        data = {**core.stats().data, "dropped": rt.seq_in["experience"].dropped
                if "experience" in rt.seq_in else 0, **rt.counters()}
        if resumed:
            data["resume"] = {**resumed, "first_seq": core.first_seq}
        rt.send(Out("stats", Stats(kind="learner_final", data=data)))
        rt.close()
        log.info("learner stopped after %d updates", core.learner.updates)
    return 0
