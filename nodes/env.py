"""The env node: steps the world on its own realtime clock and never waits for anyone.

At each frame deadline it publishes the observation of that frame (first: it does not depend
on the frame's action), applies, on a due slot, the newest fresh action computed from a
newer observation than the last one applied and meant for this frame or an earlier one
(``Action.land``: early arrivals are held, so jitter never makes an action land early),
else the default action, steps the world one frame, and pushes the frame's experience.
Everything it does is recorded per frame (:mod:`nodes.records`) for the summary and plots.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from stagger.nodes.core import Out
from stagger.nodes.options import EnvOptions, EnvPart, RunWide, default_of
from stagger.nodes.records import FrameRecorder
from stagger.protocol.messages import Action, Experience, Observation, Stats

DEFAULT_ACTIONS = ("noop", "repeat")
PUB_RING = 4096  # frames whose publish time is remembered (for overhead)


@dataclass
class EnvConfig:
    fps: float
    action_every: int = default_of(RunWide, "action_every")
    default_action: str = default_of(EnvPart, "default_action")
    seed: int = default_of(RunWide, "seed")

    def __post_init__(self):
        if self.default_action not in DEFAULT_ACTIONS:
            raise ValueError(f"default action {self.default_action!r}; allowed: {', '.join(DEFAULT_ACTIONS)}")
        if self.action_every < 1:
            raise ValueError(f"action cadence must be >= 1 frame, got {self.action_every}")


class EnvCore:
    """Pure frame logic around a Gymnasium env: actions and deadlines in, messages out."""

    def __init__(self, env, cfg: EnvConfig):
        self.env = env
        self.cfg = cfg
        u = env.unwrapped
        self.noop = int(getattr(u, "noop_action", 0))
        self.n_actions = int(env.action_space.n)
        self.frame = 0
        self.episode = 0
        self.obs, _ = env.reset(seed=cfg.seed)
        self.obs = np.ascontiguousarray(self.obs)
        self.ep_return = 0.0
        self.returns: list[float] = []
        self.pending: list[tuple[Action, float]] = []  # fresh actions not applied yet, with arrival
        self.last_obs_applied = -1
        self.current = self.noop  # action held through the current slot
        self.pub_time = np.full(PUB_RING, np.nan)
        self.rec = FrameRecorder()
        self.counts = {"stale": 0, "superseded": 0, "bad_action": 0}

    # -- inputs ---------------------------------------------------------------------------
    def on_action(self, msg: Action, now: float) -> tuple[str, str] | None:
        """Keep a fresh action until its landing frame; count what is stale. An invalid one is
        counted in ``bad_action`` and returned as a rejection ``(reason, detail)`` for the
        node's ``rejected`` counters and log: ``action_range`` (not in [0, n_actions), the
        range the Welcome gives) or ``action_frame`` (computed from a frame not yet published)."""
        if not (0 <= msg.action < self.n_actions):
            self.counts["bad_action"] += 1
            return "action_range", (f"{msg.node}: action {msg.action} outside [0, {self.n_actions}) "
                                    f"(obs frame {msg.frame})")
        if msg.frame >= self.frame:
            self.counts["bad_action"] += 1
            return "action_frame", f"{msg.node}: action from frame {msg.frame}, newest published {self.frame - 1}"
        if msg.frame <= self.last_obs_applied:
            self.counts["stale"] += 1
            return None
        self.pending.append((msg, now))
        return None

    def _take(self, f: int) -> tuple[Action, float] | None:
        """The newest fresh action meant for frame ``f`` or earlier; older ones it supersedes
        are counted and dropped, ones meant for later frames are kept."""
        ready = [p for p in self.pending if p[0].land <= f]
        if not ready:
            return None
        best = max(ready, key=lambda p: p[0].frame)
        self.counts["superseded"] += len(ready) - 1
        later = [p for p in self.pending if p[0].land > f]
        self.pending = [p for p in later if p[0].frame > best[0].frame]
        self.counts["stale"] += len(later) - len(self.pending)
        return best

    def step(self, now: float, deadline: float) -> list[Out]:
        """Run the frame due at ``deadline`` (``now`` is when it actually starts)."""
        return self.begin(now, deadline) + self.finish()

    def begin(self, now: float, deadline: float) -> list[Out]:
        """Choose the frame's action and publish its observation (sent before the world steps)."""
        out = self.observe(now)
        self.choose(now, deadline)
        return out

    def observe(self, now: float) -> list[Out]:
        """The frame's observation (the run loop sends it first: it does not depend on the
        frame's action); ``now`` is its publish time, from which the overhead is measured."""
        self.pub_time[self.frame % PUB_RING] = now
        return [Out("obs", Observation(frame=self.frame, episode=self.episode, arrays=(self.obs,)))]

    def choose(self, now: float, deadline: float) -> None:
        """The action applied at this frame: the newest fresh one due, else the default."""
        f = self.frame
        act_msg, arrival = None, float("nan")
        if f % self.cfg.action_every == 0:
            taken = self._take(f)
            if taken is not None:
                act_msg, arrival = taken
                self.current = act_msg.action
                self.last_obs_applied = act_msg.frame
            elif self.cfg.default_action == "noop":
                self.current = self.noop
        self._pending = (now, deadline, act_msg, arrival)

    def finish(self) -> list[Out]:
        """Step the world one frame with the chosen action; the frame's experience."""
        now, deadline, act_msg, arrival = self._pending
        f, obs, action = self.frame, self.obs, self.current
        fresh = act_msg is not None
        nobs, reward, terminated, truncated, _ = self.env.step(action)
        reward = float(reward)
        self.ep_return += reward
        out = [Out("experience", Experience(
            frame=f, episode=self.episode, action=int(action), fresh=fresh,
            action_frame=act_msg.frame if fresh else -1, reward=reward,
            terminated=bool(terminated), truncated=bool(truncated), arrays=(obs,)))]
        overhead = float("nan")
        if fresh and f - act_msg.frame < PUB_RING:
            overhead = arrival - self.pub_time[act_msg.frame % PUB_RING] - act_msg.inference_s
        self.rec.add(frame=f, deadline=deadline, start=now, action=action, fresh=fresh,
                     action_frame=act_msg.frame if fresh else -1, arrival=arrival,
                     source=act_msg.node if fresh else "", inference_s=act_msg.inference_s if fresh else np.nan,
                     overhead=overhead, reward=reward, episode=self.episode,
                     inference_real_s=act_msg.inference_real_s if fresh else np.nan,
                     land=act_msg.land if fresh else -1)
        if terminated or truncated:
            self.returns.append(self.ep_return)
            self.ep_return = 0.0
            self.episode += 1
            nobs, _ = self.env.reset()
        self.obs = np.array(nobs, order="C")  # our own copy: it travels zero-copy
        self.frame += 1
        return out

    def stats(self) -> Stats:
        recent = self.rec.recent(120)
        return Stats(kind="env", data={
            "frame": self.frame, "episodes": len(self.returns),
            "last_return": self.returns[-1] if self.returns else None,
            "coverage_recent": recent["coverage"], "delay_recent": recent["delay_p50"],
            "lateness_recent_ms": recent["lateness_p99_ms"], "overhead_recent_ms": recent["overhead_p50_ms"],
            **self.counts})


SPIN_S = 0.001  # sleep in poll until this close to a deadline, then spin (DESIGN pitfalls)
# ... but never more than this share of a frame: the env spins under SCHED_FIFO, and Linux
# lets realtime tasks have 95 % of a second (sched_rt_runtime_us); at 500 frames/s a 1 ms spin
# was half of every frame, and with the inference nodes' realtime threads the kernel
# throttled the env for 50 ms once a second ("sched: RT throttling activated", measured).
SPIN_SHARE = 0.1


def spin_window(frame_s: float) -> float:
    """Seconds before a deadline the env stops sleeping in poll and spins."""
    return min(SPIN_S, SPIN_SHARE * frame_s)

STATS_EVERY_S = 0.5


def make_core(opts: EnvOptions):
    """(EnvCore, env) from a node's options; run and replay share it."""
    from stagger.games.registry import make_game
    env = make_game(opts.game, **opts.game_options)
    fps = float(opts.fps or env.unwrapped.fps)
    return EnvCore(env, EnvConfig(fps, opts.action_every, opts.default_action, opts.seed)), env


def run(opts: EnvOptions) -> int:
    """The env node's I/O loop (realtime)."""
    import gc
    import json
    from pathlib import Path

    import zmq

    from stagger.nodes.runtime import Runtime, log

    rt = Runtime.for_node(opts, "env")
    core, env = make_core(opts)
    fps = core.cfg.fps
    run_dir = Path(opts.run_dir)
    core.rec.spill_to(run_dir / f"{rt.node_id}_frames.chunks")  # full record chunks go to disk
    try:
        for ch in ("obs", "actions", "experience"):
            rt.bind(ch, opts.ports.get(ch, 0))
        if opts.connect.get("stats"):
            rt.connect("stats", opts.connect["stats"])
        rt.send(Out("stats", Stats(kind="endpoints", data={"endpoints": rt.endpoints, "fps": fps})))
        learner = opts.expect_learner
        if learner:  # before the world starts: wait for the learner to connect
            while not rt.should_stop() and not rt.sockets["experience"].poll(100, zmq.POLLOUT):
                pass
        gc.collect()
        gc.freeze()
        gc.disable()  # collected between frames below, where it cannot delay a deadline
        frame_s = 1.0 / fps
        spin_s = spin_window(frame_s)
        max_frames = opts.max_frames
        t0 = rt.clock.now() + 0.05
        next_stats = t0
        f = 0
        while not rt.should_stop() and not (max_frames and f >= max_frames):
            deadline = t0 + f * frame_s
            _wait(rt, core, deadline, spin_s)
            now = rt.clock.now()
            rt.send_all(core.observe(now))  # first: nothing else in the frame delays it
            core.choose(now, deadline)
            experience = core.finish()
            if learner:  # a run without a learner has nobody to send experience to
                rt.send_all(experience)
            f += 1
            if now >= next_stats:
                next_stats += STATS_EVERY_S
                rt.send(Out("stats", core.stats()))
            if deadline + frame_s - rt.clock.now() > 0.004:
                gc.collect(0)
            if deadline + frame_s - rt.clock.now() > 0.008:  # a full chunk to disk (~380 KB write)
                core.rec.spill()
    finally:
        gc.enable()
        core.rec.save(run_dir / f"{rt.node_id}_frames.npz")
        progress = getattr(env.unwrapped, "progress", None)  # Pokemon: encounters completed
        info = {"fps": fps, "frames": core.frame, "returns": core.returns, "episodes": len(core.returns),
                **({"progress": progress()} if callable(progress) else {}),
                **core.counts, **rt.counters(), "experience_sent": rt.next_seq[("experience", None)]}
        (run_dir / f"{rt.node_id}.json").write_text(json.dumps(info, default=str))
        rt.send(Out("stats", Stats(kind="final", data={"frames": core.frame})))
        env.close()
        rt.close()
        log.info("env stopped after %d frames", core.frame)
    return 0


def _wait(rt, core: EnvCore, deadline: float, spin_s: float = SPIN_S) -> None:
    """Until ``deadline``: sleep in poll, spin the last ``spin_s``, take actions as they come."""
    clock = rt.clock
    while True:
        for msg, _ in rt.drain("actions"):
            rejected = core.on_action(msg, clock.now())
            if rejected:
                rt.reject("actions", *rejected)
        remaining = deadline - clock.now()
        if remaining <= 0:
            return
        if remaining > spin_s:
            rt.poll(remaining - spin_s)
