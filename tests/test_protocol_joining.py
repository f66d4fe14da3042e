"""What a node joining a run needs from the protocol (issue 16, points 1-4 and 6), at the level
of the node cores and one runtime: the action range and its rejection, the Welcome's contents,
heartbeats before the first inference, the clock's answer to a new ticks subscriber and the
filtered subscriber's rule, and the end-of-run Stop."""
import logging
import pathlib
import re
import time

import gymnasium as gym
import numpy as np

from stagger.nodes.clock import ClockConfig, ClockCore, JoinInfo
from stagger.nodes.env import EnvConfig, EnvCore
from stagger.nodes.inference import HEARTBEAT_EVERY_S, InferenceConfig, InferenceCore
from stagger.nodes.membership import HEARTBEAT_INTERVAL_S, HEARTBEAT_TIMEOUT_S
from stagger.nodes.runtime import Runtime
from stagger.nodes.timebase import FakeClock
from stagger.protocol import codec, messages
from stagger.protocol.messages import Bye, Heartbeat, Hello, PhaseMap, Stop, Tick, Welcome
from stagger.protocol.topology import decode_on, make_socket

FPS = 59.7275
FRAME = 1 / FPS
DOC = (pathlib.Path(messages.__file__).parent / "PROTOCOL.md").read_text()
PROSE = " ".join(DOC.split())  # line breaks as spaces
JOIN = JoinInfo(n_actions=3, policy_actions=3, obs_shape=(84, 84), obs_dtype="uint8",
                endpoints={"obs": "tcp://127.0.0.1:5000", "control": "tcp://127.0.0.1:5004"})


class Three(gym.Env):
    """Three actions, a constant 4x4 screen."""

    observation_space = gym.spaces.Box(0, 255, (4, 4), np.uint8)
    action_space = gym.spaces.Discrete(3)

    def reset(self, *, seed=None, options=None):
        return np.zeros((4, 4), np.uint8), {}

    def step(self, action):
        return np.zeros((4, 4), np.uint8), 0.0, False, False, {}


def clock_with(nodes=("inf00",), tick=10):
    clock = FakeClock(100.0)
    core = ClockCore(ClockConfig(fps=FPS), join=JOIN)
    core.on_frame(tick, clock.now())
    outs = []
    for node in nodes:
        outs += core.handle(Hello(node=node, kind="inference", info={"latency_s": 2.5 * FRAME}),
                            clock.now(), node.encode())
    return clock, core, outs


def section(name):
    return re.search(rf"^### {name}\n(.*?)(?=^#{{2,3}} |\Z)", DOC, re.M | re.S).group(1)


# -- point 1: the action range is on the wire; an action outside it is a counted, logged rejection
def test_out_of_range_action_is_rejected_by_reason_counted_and_logged(caplog):
    """The env core names the reason; the runtime counts it under ``rejected`` (what env.json and
    details.json show) and logs a line (rate-limited)."""
    env = EnvCore(Three(), EnvConfig(fps=60.0))
    for f in range(3):
        env.step(f / 60, f / 60)
    reason, detail = env.on_action(messages.Action(node="rogue", frame=1, action=env.n_actions), 0.0)
    assert reason == "action_range" and "outside [0, 3)" in detail and env.counts["bad_action"] == 1
    rt = Runtime("env", "env")
    try:
        with caplog.at_level(logging.WARNING, logger="stagger"):
            for _ in range(12):
                rt.reject("actions", reason, detail)
        assert rt.counters()["rejected"] == {"action_range": 12}
        lines = [r.getMessage() for r in caplog.records if "action_range" in r.getMessage()]
        assert len(lines) == 10 and "rogue: action 3 outside [0, 3)" in lines[0]  # then 1 in 1000
    finally:
        rt.close()
    assert "`action_range`" in section("Action") and "| `action_range` | env, `actions` |" in DOC


# -- point 2: the Welcome carries what a joining node needs ----------------------------------
def test_welcome_carries_action_range_observation_endpoints_and_heartbeat():
    _, core, outs = clock_with()
    w = outs[0].msg
    assert isinstance(w, Welcome) and w.accepted and w.to == "inf00"
    assert (w.n_actions, w.policy_actions, w.obs_shape, w.obs_dtype) == (3, 3, [84, 84], "uint8")
    assert w.endpoints == JOIN.endpoints
    assert (w.heartbeat_s, w.timeout_s) == (HEARTBEAT_INTERVAL_S, HEARTBEAT_TIMEOUT_S)
    assert w.info == {"fps": FPS, "action_every": 1, "algorithm": "max_time"}
    rejoin = core.handle(Heartbeat(node="ghost"), 100.0, b"ghost")[0].msg  # every Welcome has them
    assert rejoin.reason == "rejoin" and rejoin.n_actions == 3 and rejoin.endpoints == JOIN.endpoints
    sent = w.stamped("clock", 0, 1.0)
    assert codec.decode(codec.encode(sent)) == sent


# -- point 3: heartbeat period, and the heartbeat before the first inference ------------------
def test_heartbeat_period_and_values_before_the_first_inference():
    assert HEARTBEAT_EVERY_S == HEARTBEAT_INTERVAL_S  # what the inference node does = what Welcome says
    assert f"every `heartbeat_s` (Welcome; {HEARTBEAT_INTERVAL_S:g} s)" in " ".join(section("Heartbeat").split())
    hb = InferenceCore("inf00", InferenceConfig()).heartbeat()
    documented = {"busy": False, "last_tick": -1, "inference_s": 0.0, "inference_mean_s": 0.0,
                  "inference_max_s": 0.0, "count": 0}
    assert {k: getattr(hb, k) for k in documented} == documented
    clock, core, _ = clock_with(("inf00", "inf01"))
    before = (core.est.estimate(), core.schedule.epoch)
    for _ in range(5):  # a member beating before its first inference changes no estimate
        clock.advance(HEARTBEAT_INTERVAL_S)
        assert core.handle(hb.stamped("inf00", 0, clock.now()), clock.now(), b"inf00") == []
    assert (core.est.estimate(), core.schedule.epoch) == before
    assert "inf00" in core.members.members


# -- point 4: a new ticks subscriber gets its phase at once; the filtered subscriber's rule ---
def test_new_ticks_subscriber_gets_the_current_tick_and_map_at_once():
    """The clock's ticks socket is an XPUB: a subscriber that connects after the map was
    published gets it on its subscription, not at the next periodic resend (no timer runs)."""
    clock, core, outs = clock_with(("late",), tick=500)
    rt = Runtime("clock", "clock", clock=clock)
    sub = make_socket(rt.ctx, "ticks", "connect")
    try:
        ep = rt.bind("ticks")
        rt.send_all([o for o in outs if o.channel == "ticks"])  # before anyone subscribed: lost
        sub.connect(ep)
        deadline = time.monotonic() + 5
        while not ("ticks" in rt.poll(0.1) and rt.new_subscribers("ticks")):
            assert time.monotonic() < deadline, "no subscription notice"
        rt.send_all(core.on_subscribed(clock.now()))
        got = [decode_on("ticks", sub.recv_multipart()) for _ in range(2) if sub.poll(5000)]
        assert [type(m) for m in got] == [Tick, PhaseMap]
        assert got[0].frame == 500 and got[1].order == ["late"] and got[1].anchor > 500
    finally:
        sub.close(linger=0)
        rt.close()


def test_filtered_subscriber_resubscribes_when_its_wanted_ticks_fall_behind_the_newest_tick():
    _, clock_core, outs = clock_with(("inf00", "inf01", "inf02"))
    node = InferenceCore("inf01", InferenceConfig())
    node.on_phase_map(next(o.msg for o in outs[::-1] if isinstance(o.msg, PhaseMap)))
    wanted = node.wanted_frames()
    assert len(wanted) == 2
    newest = max(wanted) + 7  # both passed unseen (a late map, a dropped observation)
    node.on_tick(Tick(frame=newest, epoch=1))
    after = node.wanted_frames()
    assert len(after) == 2 and min(after) > newest
    assert all(clock_core.schedule.starter(f) == "inf01" for f in after)
    assert "after every Observation, every PhaseMap and every Tick" in PROSE


# -- point 6: the end of the run -------------------------------------------------------------
def test_stop_is_published_byes_are_counted_and_nothing_is_rephased():
    clock, core, _ = clock_with(("inf00", "inf01"), tick=900)
    outs = core.stop("end of run", clock.now())
    assert [(o.channel, type(o.msg)) for o in outs] == [("ticks", Stop)]
    assert (outs[0].msg.reason, outs[0].msg.frame) == ("end of run", 900)
    epoch = core.schedule.epoch
    assert core.handle(Bye(node="inf00", reason="end of run"), clock.now(), b"inf00") == []
    assert core.schedule.epoch == epoch and list(core.members.members) == ["inf01"]
    assert core.events[-1] == {"event": "bye", "node": "inf00", "tick": 900, "t": clock.now(),
                               "reason": "end of run"}
    late = core.handle(Hello(node="inf09", kind="inference"), clock.now(), b"inf09")[0].msg
    assert not late.accepted and late.reason == "stopping"
    assert core.on_subscribed(clock.now()) == []
    node = InferenceCore("inf01", InferenceConfig())
    node.on_tick(outs[0].msg)
    assert node.stopped
