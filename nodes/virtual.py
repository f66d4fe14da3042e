"""Virtual time: the same node cores in one process, time counted in frames.

The world advances as fast as the computation allows. An inference of ``d`` frames started
on the observation of frame ``s`` lands exactly at frame ``s + d`` (our definition of the
paper's "delay d", PAPER.md 5.5, D14): ``d = 1`` means the action computed from frame s is
applied at the next frame, the unavoidable minimum; an inference of t seconds is
``d = ceil(t * fps)`` frames. Learning time is not simulated (as the paper's delay scripts).

* staggered: N inference cores (default N = d) follow a schedule from
  :func:`nodes.stagger.make_schedule` (``needed = d``), so with N = d a fresh action lands
  every frame (coverage 1.0). The learner's weights reach the policy every
  ``publish_every`` updates, as in realtime.
* sequential: one agent takes the newest observation at frame s, its action lands at
  s + d, then it does its owed learning steps and takes the observation of frame s + d: a
  fresh action every d frames, the default action in between.
* sequential-async (the reviewers' baseline): the same single agent, a fresh action every d
  frames, while a learner trains in the background (its updates after every frame, its
  weights reaching the agent every ``publish_every`` updates, as staggered). Learning time is
  not simulated, so here it differs from sequential only in when the weights arrive; in
  realtime it is the one that does not lose a frame per cycle to its learning step.
* staggered with ``algorithm="none"`` (the unstaggered baseline): N cores that each start
  on the newest observation as soon as they are free, all from frame 0
  (:func:`nodes.unstaggered.free_running_starts`): they collide, a fresh action every d
  frames whatever N.

Both modes: the env's default action, one DQN update per ``learn_every`` frames, the same
seeds (env reset, model init, replay, exploration), hence the same run for the same seed.
The cores share one policy network (all of them load every weights broadcast at once here,
so a copy per core would hold the same numbers).
"""
from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, replace

import numpy as np

from stagger.nodes.options import ActingPart, EnvPart, LearningPart, ModelPart, RunWide, like

MODES = ("staggered", "sequential", "sequential-async")
ALGORITHMS = ("max_time", "exp_time", "none")  # none: unstaggered (nodes/unstaggered.py)


@dataclass
class VirtualConfig:
    """The defaults shared with realtime runs are the node options' (``like``)."""
    game: str = like(RunWide, "game")
    game_options: dict = like(RunWide, "game_options")
    mode: str = "staggered"
    algorithm: str = "max_time"  # staggered only; "none" = free-running cores (unstaggered)
    delay_frames: int = 1  # d: an action computed from frame s is applied at frame s + d
    nodes: int = 0  # staggered inference cores; 0 = d (a fresh action every frame)
    frames: int = 10_000
    seed: int = like(RunWide, "seed")
    action_every: int = like(RunWide, "action_every")
    default_action: str = like(EnvPart, "default_action")
    model: str = like(ModelPart, "model")
    model_k: float = like(ModelPart, "model_k")
    learner: bool = True
    learner_spec: str = like(LearningPart, "learner_spec")
    learn_every: int = like(LearningPart, "learn_every")  # frames per DQN update (both modes)
    publish_every: int = like(LearningPart, "publish_every")  # updates between weight broadcasts (staggered)
    batch_size: int = like(LearningPart, "batch_size")
    replay: int = like(LearningPart, "replay")
    replay_mode: str = like(LearningPart, "replay_mode")  # "fifo": the paper's delay scripts
    learning_starts: int = like(LearningPart, "learning_starts")
    target_every: int = like(LearningPart, "target_every")  # the paper's 10k
    n_step: int = like(LearningPart, "n_step")  # agent decisions combined per transition (the paper: 1)
    epsilon_steps: int = like(ActingPart, "epsilon_steps")
    epsilon_end: float = like(ActingPart, "epsilon_end")
    warmup_frames: int | None = None  # measures from this frame (default: d)

    def __post_init__(self):
        if self.mode not in MODES:
            raise ValueError(f"mode {self.mode!r}; allowed: {', '.join(MODES)}")
        if self.algorithm not in ALGORITHMS:
            raise ValueError(f"algorithm {self.algorithm!r}; allowed: {', '.join(ALGORITHMS)}")
        if int(self.delay_frames) < 1:
            raise ValueError(f"delay must be >= 1 frame, got {self.delay_frames}")
        if self.nodes < 0 or self.frames < 1:
            raise ValueError("need nodes >= 0 (0 = d) and frames >= 1")


def delay_from_latency(latency_s: float, fps: float) -> int:
    """Frames an inference of ``latency_s`` takes: ceil(latency * fps), at least 1."""
    return max(1, int(math.ceil(latency_s * fps - 1e-9)))


@dataclass
class VirtualResult:
    episodes: list  # (frame at which the episode ended, its return)
    measures: dict  # nodes.records.measure over frames >= warm-up
    records: dict  # the env's per-frame records (arrays)
    fps: float  # the env's realtime rate (to label delays in seconds)
    nodes: int
    updates: int
    counts: dict  # env counters (stale, superseded, bad_action) and inference misses


def _opts(cfg: VirtualConfig, env):
    """The options of the virtual run's agents (a SequentialOptions has every field they read)."""
    from dataclasses import asdict
    from stagger.nodes.options import SequentialOptions, project
    obs, _ = env.reset(seed=cfg.seed)
    u = env.unwrapped
    return project(SequentialOptions, asdict(cfg), obs_shape=tuple(np.shape(obs)),
                   policy_actions=int(getattr(u, "policy_actions", env.action_space.n)),
                   inference_latency=cfg.delay_frames / float(u.fps), checkpoint_every=0)


def _act(policy, obs, epsilon: float, rng) -> tuple[int, bool, float]:
    """(action, greedy, real seconds of the forward pass): every action is a real pass; its
    wall time is reported (``inference_real_ms``), while virtual time counts d frames."""
    from stagger.agents.policy import choose
    from stagger.nodes.timebase import Clock
    coin = policy.explore(epsilon, rng)
    clock = Clock()
    t0 = clock.now()
    q = policy.q_values(obs)
    return (*choose(q, coin), clock.now() - t0)


class _Staggered:
    """N inference cores on one schedule; returns (landing frame, Action) for each start."""

    def __init__(self, opts, cfg: VirtualConfig, fps: float):
        from stagger.nodes.clock import schedule_to_msg
        from stagger.nodes.inference import InferenceConfig, InferenceCore, make_agent
        from stagger.nodes.stagger import make_schedule
        n = cfg.nodes or cfg.delay_frames
        first, self.policy, self.eps = make_agent(replace(opts, node_id="inf00", node_seed=cfg.seed * 1000))
        self.cores = {"inf00": first}
        for i in range(1, n):
            nid = f"inf{i:02d}"
            self.cores[nid] = InferenceCore(nid, InferenceConfig(opts.inference_latency, 0.0, cfg.seed * 1000 + i))
        self.free = cfg.algorithm == "none"
        if self.free:  # every core free at frame 0: they start together (nodes/unstaggered.py)
            from stagger.nodes.unstaggered import free_running_starts
            starts = free_running_starts(dict.fromkeys(self.cores, 0), cfg.delay_frames, cfg.frames)
            self.starters: dict[int, list] = {}
            for t, nid in starts:
                self.starters.setdefault(t, []).append(nid)
        self.schedule = make_schedule(0, dict.fromkeys(self.cores, 0), 0, cfg.delay_frames, cfg.action_every, lead=0)
        phase_map = schedule_to_msg(self.schedule, cfg.algorithm, opts.inference_latency)
        for core in self.cores.values():
            core.on_phase_map(phase_map)
        self.busy_until = dict.fromkeys(self.cores, 0)
        self.d, self.frame_s = cfg.delay_frames, 1.0 / fps

    def on_obs(self, obs_msg) -> list:
        f = obs_msg.frame
        if self.free:
            return [self._start(nid, obs_msg) for nid in self.starters.pop(f, ())]
        nid = self.schedule.starter(f)  # only the starter can pick this frame (one obs per frame)
        if nid is None:
            return []
        core = self.cores[nid]
        if core.pick([f]) is None or self.busy_until[nid] > f:
            core.missed += 1
            return []
        return [self._start(nid, obs_msg)]

    def _start(self, nid: str, obs_msg) -> tuple:
        f, core = obs_msg.frame, self.cores[nid]
        action, greedy, real_s = _act(self.policy, obs_msg.obs, self.eps(f), core.rng)
        self.busy_until[nid] = f + self.d
        now = f * self.frame_s
        out = core.finished(f, action, greedy, now, now + self.d * self.frame_s, self.policy.version, real_s)
        return (f + self.d, out[0].msg)

    def after_frame(self, learner) -> None:
        while learner is not None and learner.owed():
            for o in learner.learn():
                self.policy.load_arrays(o.msg.as_dict(), version=o.msg.version)

    def missed(self) -> int:
        return sum(c.missed for c in self.cores.values())


class _Sequential:
    """One agent: infer (d frames), then learn what is owed, then look at the world again."""

    def __init__(self, opts, cfg: VirtualConfig, fps: float, learner, background: bool = False):
        from stagger.agents.policy import Policy
        from stagger.agents.schedule import EpsilonSchedule
        from stagger.nodes.inference import InferenceConfig, InferenceCore, model_factory
        import torch
        self.core = InferenceCore("agent", InferenceConfig(opts.inference_latency, 0.0, cfg.seed * 1000))
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(cfg.seed)
            self.policy = Policy(model_factory(opts)(), opts.policy_actions)
        if learner is not None:
            self.policy.load_arrays(learner.learner.weights_arrays(), version=0)
        self.eps = EpsilonSchedule(steps=cfg.epsilon_steps, end=cfg.epsilon_end)
        self.learner, self.free_at, self.background = learner, 0, background
        self.d, self.frame_s = cfg.delay_frames, 1.0 / fps

    def on_obs(self, obs_msg) -> list:
        f = obs_msg.frame
        if f < self.free_at:
            return []
        action, greedy, real_s = _act(self.policy, obs_msg.obs, self.eps(f), self.core.rng)
        now = f * self.frame_s
        act = self.core.finished(f, action, greedy, now, now + self.d * self.frame_s, self.policy.version,
                                 real_s)[0].msg
        self.free_at = f + self.d
        if self.learner is not None and not self.background:  # then its learning, in turn (time not simulated)
            while self.learner.owed():
                self.learner.learn()
            if self.learner.learner.updates != self.policy.version:
                self.policy.load_arrays(self.learner.learner.weights_arrays(), version=self.learner.learner.updates)
        return [(f + self.d, act)]

    def after_frame(self, learner) -> None:
        while self.background and learner is not None and learner.owed():  # sequential-async
            for o in learner.learn():
                self.policy.load_arrays(o.msg.as_dict(), version=o.msg.version)

    def missed(self) -> int:
        return 0


def run_virtual(cfg: VirtualConfig) -> VirtualResult:
    """One virtual-time run; deterministic for ``cfg.seed``."""
    import torch

    from stagger.games.registry import make_game
    from stagger.nodes.env import EnvConfig, EnvCore
    from stagger.nodes.learner import LearnerCore, make_learner
    from stagger.nodes.records import measure

    torch.set_num_threads(1)
    torch.manual_seed(cfg.seed)
    env = make_game(cfg.game, **cfg.game_options)
    try:
        fps = float(env.unwrapped.fps)
        opts = _opts(cfg, env)
        core = EnvCore(env, EnvConfig(fps, cfg.action_every, cfg.default_action, cfg.seed))
        learner = LearnerCore(*make_learner(opts)) if cfg.learner else None
        agent = _Staggered(opts, cfg, fps) if cfg.mode == "staggered" else \
            _Sequential(opts, cfg, fps, learner, background=cfg.mode == "sequential-async")
        landing: dict[int, list] = defaultdict(list)
        episodes = []
        frame_s = 1.0 / fps
        for f in range(cfg.frames):
            now = f * frame_s
            for act in landing.pop(f, ()):
                core.on_action(act, now)
            obs_msg = core.begin(now, now)[0].msg
            for at, act in agent.on_obs(obs_msg):
                landing[at].append(act)
            exp = core.finish()[0].msg
            if learner is not None:
                learner.on_experience(exp)
            agent.after_frame(learner)
            if len(core.returns) > len(episodes):
                episodes.append((core.frame, core.returns[-1]))
        rec = core.rec.arrays()
        warm = cfg.delay_frames if cfg.warmup_frames is None else cfg.warmup_frames
        n = len(getattr(agent, "cores", ())) or 1
        return VirtualResult(episodes, measure(rec, warm, cfg.action_every), rec, fps, n,
                             learner.learner.updates if learner is not None else 0,
                             {**core.counts, "missed": agent.missed()})
    finally:
        env.close()


def summary(cfg: VirtualConfig, res: VirtualResult, algorithm: str = "max_time") -> dict:
    """summary.json of a virtual run: the keys of measure/summary.py (latency = d / fps, simulated)."""
    m = res.measures
    returns = [r for _, r in res.episodes]
    return {
        "mode": cfg.mode, "algorithm": (cfg.algorithm if cfg.algorithm == "none" else algorithm)
        if cfg.mode == "staggered" else None,
        "inference_nodes": res.nodes, "inference_latency_s": cfg.delay_frames / res.fps,
        "frames": m["frames"], "action_slots": m["action_slots"], "fresh_actions": m["fresh_actions"],
        "coverage": m["coverage"], "action_delay_frames": m["action_delay_frames"],
        "interval_jitter_ms": m["interval_jitter_ms"], "env_lateness_ms": m["env_lateness_ms"],
        "overhead_ms": m["overhead_ms"], "inference_real_ms": m["inference_real_ms"],
        "inference_ms": m["inference_ms"], "dropped": 0, "learner_updates": res.updates,
        "episodes": len(returns), "mean_return": (sum(returns) / len(returns)) if returns else None,
        "experience": None,  # nothing travels in virtual time
    }
