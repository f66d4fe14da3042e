"""The env core: which action each frame gets, what is published, what is recorded."""
import gymnasium as gym
import numpy as np
import pytest

from stagger.nodes.env import EnvConfig, EnvCore
from stagger.nodes.inference import InferenceConfig, InferenceCore
from stagger.nodes.records import measure
from stagger.nodes.stagger import make_schedule
from stagger.nodes.clock import schedule_to_msg
from stagger.protocol.messages import Action, Experience, Observation


class Counter(gym.Env):
    """Observation = frame count; reward = the action taken; ends after `length` frames."""

    observation_space = gym.spaces.Box(0, 255, (4, 4), np.uint8)
    action_space = gym.spaces.Discrete(3)
    fps = 60.0
    noop_action = 0
    policy_actions = 3

    def __init__(self, length=1000):
        self.length = length
        self.t = 0

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.t = 0
        return np.full((4, 4), 0, np.uint8), {}

    def step(self, action):
        self.t += 1
        return np.full((4, 4), self.t % 256, np.uint8), float(action), self.t >= self.length, False, {}


def core(**kw):
    length = kw.pop("length", 1000)
    return EnvCore(Counter(length), EnvConfig(fps=60.0, **kw))


def run_frames(c, n, t=0.0):
    outs = []
    for _ in range(n):
        outs += c.step(t, t)
        t += 1 / 60
    return outs


def test_newest_fresh_action_is_applied_once_then_default():
    c = core()
    run_frames(c, 5)
    c.on_action(Action(node="a", frame=2, action=1), 0.0)
    c.on_action(Action(node="b", frame=3, action=2), 0.0)  # newer: supersedes
    c.on_action(Action(node="c", frame=1, action=1), 0.0)  # older than the candidate
    outs = run_frames(c, 2)
    exp = [o.msg for o in outs if isinstance(o.msg, Experience)]
    assert [e.action for e in exp] == [2, 0]
    assert exp[0].fresh and exp[0].action_frame == 3 and not exp[1].fresh
    assert c.counts["superseded"] == 2
    c.on_action(Action(node="a", frame=3, action=1), 0.0)  # not newer than the last applied
    assert c.counts["stale"] == 1


def test_an_early_action_is_held_until_its_landing_frame():
    """Jitter must not let an action land early and supersede the one before it."""
    c = core()
    run_frames(c, 10)  # frames 0..9 done; the next is frame 10
    c.on_action(Action(node="a", frame=7, action=1, land=10), 0.0)
    c.on_action(Action(node="b", frame=8, action=2, land=11), 0.0)  # arrived early
    outs = run_frames(c, 2)
    exp = [o.msg for o in outs if isinstance(o.msg, Experience)]
    assert [(e.frame, e.action, e.action_frame) for e in exp] == [(10, 1, 7), (11, 2, 8)]
    assert c.counts["superseded"] == 0


def test_repeat_default_holds_the_last_action():
    c = core(default_action="repeat")
    run_frames(c, 3)
    c.on_action(Action(node="a", frame=2, action=2), 0.0)
    outs = run_frames(c, 3)
    assert [o.msg.action for o in outs if isinstance(o.msg, Experience)] == [2, 2, 2]


def test_invalid_action_is_rejected_and_counted():
    c = core()
    run_frames(c, 3)
    assert c.on_action(Action(node="a", frame=2, action=7), 0.0)[0] == "action_range"
    assert c.on_action(Action(node="a", frame=2, action=-1), 0.0)[0] == "action_range"
    assert c.on_action(Action(node="a", frame=9, action=1), 0.0)[0] == "action_frame"  # from the future
    assert c.counts["bad_action"] == 3 and c.pending == []
    assert c.on_action(Action(node="a", frame=2, action=2), 0.0) is None and len(c.pending) == 1


def test_observation_published_each_frame_matches_experience():
    c = core()
    outs = run_frames(c, 4)
    obs = [o.msg for o in outs if isinstance(o.msg, Observation)]
    exp = [o.msg for o in outs if isinstance(o.msg, Experience)]
    assert [m.frame for m in obs] == [0, 1, 2, 3]
    for o, e in zip(obs, exp):
        assert np.array_equal(o.obs, e.obs)


def test_episode_end_resets_and_records_return():
    c = core(length=5)
    for f in range(12):
        c.on_action(Action(node="a", frame=f - 1, action=1), 0.0) if f else None
        c.step(0.0, 0.0)
    assert c.returns[:2] == [4.0, 5.0] and c.episode == 2


def test_bad_default_action_option():
    with pytest.raises(ValueError, match="noop, repeat"):
        EnvConfig(fps=60, default_action="random")


def test_staggered_inference_cores_cover_every_frame_with_fake_time():
    """Env core + N inference cores + a schedule, all in one process, time in frames."""
    d = 3  # every inference lands 3 frames after its observation
    c = core()
    sched = make_schedule(1, {f"n{i}": 0 for i in range(d)}, now=0, needed=d)
    infs = [InferenceCore(f"n{i}", InferenceConfig()) for i in range(d)]
    for inf in infs:
        inf.on_phase_map(schedule_to_msg(sched, "max_time", 0.0))
    inflight = []  # (frame it lands, Action)
    for f in range(200):
        for land, act in [x for x in inflight if x[0] == f]:
            c.on_action(act, f / 60)
        inflight = [x for x in inflight if x[0] > f]
        obs = c.begin(f / 60, f / 60)[0].msg
        c.finish()
        for inf in infs:
            if inf.pick([obs.frame]) is not None:
                act = Action(node=inf.node_id, frame=obs.frame, action=1, inference_s=0.0)
                inflight.append((obs.frame + d, act))
    m = measure(c.rec.arrays(), from_frame=sched.anchor + d)
    assert m["coverage"] == 1.0
    assert m["action_delay_frames"]["p50"] == d and m["action_delay_frames"]["max"] == d


def test_the_spin_before_a_deadline_is_at_most_a_tenth_of_a_frame():
    """1 ms at Game Boy and Atari rates; at 500 frames/s a tenth of the 2 ms frame (a 1 ms spin
    under SCHED_FIFO was half of every frame and got the env throttled by the kernel)."""
    from stagger.nodes.env import SPIN_S, spin_window
    assert spin_window(1 / 59.7275) == SPIN_S == 0.001
    assert spin_window(1 / 60) == 0.001
    assert abs(spin_window(1 / 500) - 0.0002) < 1e-12
    assert abs(spin_window(1 / 1000) - 0.0001) < 1e-12
