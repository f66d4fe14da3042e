"""Fuzz targets: raw frames into a node's decoder (``Runtime.accept``, no sockets) and on into
its pure core, as the node's I/O loop does it. Shared by the property tests
(tests/test_fuzz_cores.py) and the fuzz script (benchmarks/fuzz_protocol.py).

One core of each kind (env, clock, inference, learner; the sequential agent is an inference
core and a learner core) is put in a state worth attacking: the env has published frames,
the clock has two inference members and a schedule, the inference node follows it, the
learner has taken a few frames. ``feed`` returns what happened (None: accepted, else the
rejection reason); ``check`` raises AssertionError if a core is in a state no input may
put it in (an applied action out of range, a schedule no node can follow).
"""
from __future__ import annotations

import math

import gymnasium as gym
import numpy as np

from stagger.agents.learner_api import Learner, LearnerSettings
from stagger.nodes import checks
from stagger.nodes.clock import ClockConfig, ClockCore, schedule_to_msg
from stagger.nodes.env import EnvConfig, EnvCore
from stagger.nodes.inference import InferenceConfig, InferenceCore
from stagger.nodes.learner import LearnerConfig, LearnerCore
from stagger.nodes.runtime import Runtime
from stagger.protocol import codec
from stagger.protocol.messages import (Action, Bye, Experience, Heartbeat, Hello, Observation, PhaseMap, Stop,
                                       Tick, Welcome)
from stagger.protocol.seq import SeqCounter

FPS = 60.0
OBS_SHAPE = (4, 4)
N_ACTIONS = 3
MEMBERS = ("inf00", "inf01")
# target -> the channel its frames arrive on (each is what one node's I/O loop reads)
TARGETS = {"env/actions": "actions", "clock/control": "control", "inference/ticks": "ticks",
           "inference/control": "control", "inference/obs": "obs", "learner/experience": "experience"}


class TinyEnv(gym.Env):
    """Observation = the frame count; 3 actions; never ends."""

    observation_space = gym.spaces.Box(0, 255, OBS_SHAPE, np.uint8)
    action_space = gym.spaces.Discrete(N_ACTIONS)
    fps, noop_action, policy_actions = FPS, 0, N_ACTIONS

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.t = 0
        return np.zeros(OBS_SHAPE, np.uint8), {}

    def step(self, action):
        assert 0 <= action < N_ACTIONS, f"the env applied action {action}"
        self.t += 1
        return np.full(OBS_SHAPE, self.t % 256, np.uint8), 1.0, False, False, {}


class TinyLearner(Learner):
    """Takes transitions and checks them; never ready to learn (fuzzing is about input)."""

    def __init__(self, model_factory=None, n_actions: int = N_ACTIONS, settings=None):
        super().__init__(model_factory, n_actions, settings or LearnerSettings())
        self.observed = 0

    def observe(self, tr) -> None:
        assert 0 <= tr.action < self.n_actions and tr.obs.shape == OBS_SHAPE, tr
        assert math.isfinite(tr.reward), tr
        self.observed += 1

    def ready(self) -> bool:
        return False

    def update(self):
        return None

    def weights_arrays(self) -> dict:
        return {}

    def checkpoint(self) -> dict:
        return {}

    def resume(self, state: dict) -> None:
        pass


def experience(frame: int, **kw) -> Experience:
    return Experience(node="env", seq=frame, frame=frame, arrays=(np.full(OBS_SHAPE, frame % 256, np.uint8),), **kw)


class Nodes:
    """The cores behind one runtime; ``reset`` puts them back in their starting state."""

    def __init__(self):
        self.rt = Runtime("fuzz", "fuzz")
        self.reset()

    def reset(self) -> None:
        self.rt.rejected.clear()
        self.rt.seq_in = {ch: SeqCounter() for ch in set(TARGETS.values())}
        self.now = 100.0
        self.env = EnvCore(TinyEnv(), EnvConfig(fps=FPS))
        for _ in range(5):  # frames 0-4 published
            self.env.step(self.now, self.now)
        self.clock = ClockCore(ClockConfig(fps=FPS))
        self.clock.on_frame(10, self.now)
        for node in MEMBERS:
            self.clock.handle(Hello(node=node, kind="inference", info={"latency_s": 0.04}), self.now, node.encode())
        self.inference = InferenceCore(MEMBERS[0], InferenceConfig())
        self.inference.on_phase_map(schedule_to_msg(self.clock.schedule, "max_time", 0.04))
        self.learner = LearnerCore(TinyLearner(), LearnerConfig(), ring_frames=64)
        for f in range(4):
            self.learner.on_experience(experience(f, fresh=f > 0, action=f % N_ACTIONS, action_frame=f - 1))

    def close(self) -> None:
        self.rt.close()

    # -- one input --------------------------------------------------------------------------
    def feed(self, target: str, frames) -> str | None:
        """Frames into ``target``'s decoder and core: None if accepted, else the reason it was
        rejected (counted once, in the runtime's ``rejected``). Raises only on a bug."""
        channel = TARGETS[target]
        before = dict(self.rt.rejected)
        msg = self.rt.accept(channel, frames)
        if msg is not None:
            rejected = getattr(self, "_" + target.replace("/", "_"))(msg)
            if rejected:
                self.rt.reject(channel, *rejected)
        grew = [r for r, n in self.rt.rejected.items() if n != before.get(r, 0)]
        assert len(grew) <= 1 and sum(self.rt.rejected.values()) - sum(before.values()) == len(grew), grew
        return grew[0] if grew else None

    def _env_actions(self, msg):
        return self.env.on_action(msg, self.now)

    def _clock_control(self, msg):
        self.clock.handle(msg, self.now, msg.node.encode("utf-8", "replace"))
        rejected = self.clock.rejects[-1] if self.clock.rejects else None
        self.clock.rejects.clear()
        return rejected

    def _inference_ticks(self, msg):
        if isinstance(msg, PhaseMap):
            self.inference.on_phase_map(msg)
        else:
            self.inference.on_tick(msg)

    def _inference_control(self, msg):
        if isinstance(msg, Welcome):
            self.inference.on_welcome(msg)

    def _inference_obs(self, msg):
        self.inference.pick([msg.frame])

    def _learner_experience(self, msg):
        return self.learner.on_experience(msg)

    # -- time passes, invariants --------------------------------------------------------------
    def advance(self) -> None:
        """What the nodes do next whatever came in: the env runs a frame, the clock's timer and
        the inference node's subscription (its next start ticks) are computed."""
        self.now += 1.0 / FPS
        self.env.step(self.now, self.now)
        self.clock.on_timer(self.now)
        self.inference.obs_topics()
        self.inference.pick([self.inference.seen + 1])

    def check(self) -> None:
        assert 0 <= self.env.rec.last("action") < N_ACTIONS
        s = self.clock.schedule
        assert 1.0 <= s.spacing <= checks.MAX_TICKS and 1 <= s.needed <= checks.MAX_TICKS, s
        inference = {m.node for m in self.clock.members.of_kind("inference")}
        assert set(s.order) <= inference | set(MEMBERS), (s.order, inference)  # members, or ones just expired
        assert math.isfinite(self.clock.est.estimate())
        for sched in self.inference.schedules:
            assert 1.0 <= sched.spacing <= checks.MAX_TICKS and 0 <= sched.anchor < checks.MAX_FRAME, sched
        ring = self.learner.builder._ring
        assert ring is None or ring.shape[1:] == OBS_SHAPE


def seeds() -> list[tuple[str, list[bytes]]]:
    """One well-formed message per target and type it takes: where a fuzzer starts."""
    obs = np.zeros(OBS_SHAPE, np.uint8)
    msgs = {
        "env/actions": [Action(node="inf00", seq=0, frame=3, action=1, land=4)],
        "clock/control": [Hello(node="inf02", kind="inference", info={"latency_s": 0.05}),
                          Heartbeat(node="inf00", last_tick=12, inference_s=0.05, count=3), Bye(node="inf01")],
        "inference/ticks": [Tick(frame=20, epoch=2), Stop(reason="end", frame=30),
                            PhaseMap(epoch=3, anchor=20, spacing=1.5, order=list(MEMBERS), period=3.0,
                                     algorithm="max_time", needed=3)],
        "inference/control": [Welcome(to="inf00", accepted=False, reason="rejoin")],
        "inference/obs": [Observation(node="env", frame=13, arrays=(obs,))],
        "learner/experience": [experience(4, fresh=True, action=2, action_frame=3)],
    }
    return [(target, [bytes(f) for f in codec.encode(m)]) for target, ms in msgs.items() for m in ms]
