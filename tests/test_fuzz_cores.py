"""Property tests of every node core behind its decoder (hypothesis, bounded to seconds): for
arbitrary headers, frames, sizes, types, field values and sequence numbers, a core never
crashes; a rejected input is counted once under its reason and changes nothing that matters
(no action pending or applied, schedule and members unchanged, no transition); the cores'
invariants hold after every frame. The cores are those of benchmarks/fuzz_targets.py (the
fuzz script drives the same ones)."""
import math

import pytest
from fuzz_strategies import bounded, encoded, one_input
from hypothesis import given, strategies as st

from stagger.benchmarks.fuzz_targets import MEMBERS, TARGETS, Nodes, experience
from stagger.protocol.errors import REASONS
from stagger.protocol.messages import Action, Heartbeat, Heartbeats, Hello, PhaseMap, Tick

ON_RECEIPT = REASONS | {"frame_range", "phase_map_value"}  # rejected by Runtime.accept, before any core


@pytest.fixture(scope="module")
def nodes():
    import logging
    logger = logging.getLogger("stagger")
    level, _ = logger.level, logger.setLevel(logging.ERROR)  # thousands of rejections: counted, not logged
    n = Nodes()
    yield n
    n.close()
    logger.setLevel(level)


def state(n: Nodes, target: str):
    """What a rejected input must not change, per target."""
    if target == "env/actions":
        e = n.env
        return [id(m) for m, _ in e.pending], e.last_obs_applied, e.frame, e.current
    if target == "clock/control":
        c = n.clock
        return (c.schedule, sorted(c.members.members), c.est.estimate(), dict(c.est._seen), len(c.events),
                dict(c.reported))
    if target.startswith("inference/"):
        i = n.inference
        return list(i.schedules), i.seen, i.stopped, i.welcomed, i.missed
    lc = n.learner
    return lc.frames, lc.transitions, lc.next_seq, dict(lc.builder.stats), lc.learner.observed


def feed_checked(n: Nodes, target: str, frames) -> str | None:
    before, counted = state(n, target), dict(n.rt.rejected)
    received = n.rt.seq_in[TARGETS[target]].received
    reason = n.feed(target, frames)
    if reason is None:
        assert n.rt.seq_in[TARGETS[target]].received == received + 1
    else:
        assert state(n, target) == before, f"rejected ({reason}) but the core changed"
        assert n.rt.rejected[reason] == counted.get(reason, 0) + 1
        # the decoder's rejections are not received messages; a core's are (not lost on the way)
        assert n.rt.seq_in[TARGETS[target]].received == received + (reason not in ON_RECEIPT)
    n.advance()
    n.check()
    return reason


@pytest.mark.parametrize("target", sorted(TARGETS))
def test_core_never_crashes_and_a_rejected_input_changes_nothing(nodes, target):
    @bounded(60)
    @given(st.lists(one_input(TARGETS[target]), min_size=1, max_size=5))
    def prop(inputs):
        nodes.reset()
        for frames in inputs:
            feed_checked(nodes, target, frames)
    prop()


# Regressions: the inputs that crashed or stalled a core before nodes/checks.py (found by the
# property test above); each is rejected by reason now and changes nothing.
BAD = [
    ("inference/ticks", PhaseMap(node="clock", epoch=9, anchor=20, spacing=0.0, order=list(MEMBERS), needed=3),
     "phase_map_value"),  # ZeroDivisionError in Schedule.starter
    ("inference/ticks", PhaseMap(node="clock", epoch=9, anchor=20, spacing=-1.5, order=list(MEMBERS), needed=3),
     "phase_map_value"),  # Schedule.next_start never returned
    ("inference/ticks", PhaseMap(node="clock", epoch=9, anchor=-2, spacing=1.5, order=list(MEMBERS), needed=3),
     "phase_map_value"),
    ("inference/ticks", PhaseMap(node="clock", epoch=9, anchor=20, spacing=math.nan, order=list(MEMBERS)),
     "phase_map_value"),
    ("inference/ticks", Tick(node="clock", frame=2**64 - 1), "frame_range"),  # OverflowError in frame_topic
    ("clock/control", Hello(node="inf02", kind="inference", info={"latency_s": "fast"}), "hello_info"),  # float()
    ("clock/control", Hello(node="inf02", kind="inference", info={"latency_s": math.inf}), "hello_info"),
    ("clock/control", Heartbeat(node="inf00", last_tick=12, inference_s=math.inf, count=5), "heartbeat_value"),
    ("clock/control", Heartbeat(node="inf00", last_tick=12, inference_s=math.nan, count=5), "heartbeat_value"),
    ("clock/control", Heartbeats(node="inf00", entries=[{"node": "inf00", "last_tick": -2}]),
     "frame_range"),  # an entry's frame was checked by the core, after the message was counted received
    ("env/actions", Action(node="inf00", frame=3, action=7), "action_range"),
    ("env/actions", Action(node="inf00", frame=-5, land=2**63 - 1), "frame_range"),
    ("learner/experience", experience(4, reward=math.nan), "experience_value"),
    ("learner/experience", experience(4, fresh=True, action=9, action_frame=3), "experience_value"),
]


@pytest.mark.parametrize("target, msg, reason", BAD, ids=[f"{t}-{r}-{i}" for i, (t, _, r) in enumerate(BAD)])
def test_inputs_that_crashed_a_core_are_rejected_by_reason(nodes, target, msg, reason):
    nodes.reset()
    if target == "clock/control" and isinstance(msg, Heartbeat):  # past the warm-up: the next report counts
        for count in (1, 2, 3):
            nodes.feed(target, encoded(Heartbeat(node="inf00", seq=count - 1, last_tick=count, inference_s=0.05,
                                                 count=count)))
    assert feed_checked(nodes, target, encoded(msg)) == reason


def test_an_observation_of_another_shape_is_rejected_not_a_crash(nodes):
    """Regression: an Experience whose observation differs in shape from the first one raised
    ValueError in the TransitionBuilder's ring."""
    import numpy as np
    nodes.reset()
    odd = experience(4).__class__(node="env", seq=4, frame=4, arrays=(np.zeros((8, 8), np.uint8),))
    assert feed_checked(nodes, "learner/experience", encoded(odd)) == "experience_value"
    assert feed_checked(nodes, "learner/experience", encoded(experience(4))) is None
