"""The pure core of an inference process hosting several workers (nodes/workers.py), driven
by hand with no sockets and no clock: each worker starts on its own ticks only, the passes
queue for the one model one at a time, each action goes out at its own deadline in its own
worker's name, and the process's Heartbeats speaks for every worker."""
from dataclasses import dataclass

import numpy as np

from stagger.launch import worker_groups
from stagger.nodes.compute import Result
from stagger.nodes.inference import InferenceConfig, InferenceCore
from stagger.nodes.phasemaps import schedule_to_msg
from stagger.nodes.stagger import Schedule
from stagger.nodes.workers import WorkerGroup
from stagger.protocol.messages import Action, Heartbeats, Stop, Welcome
from stagger.protocol.topology import frame_topic

IDS = ["inf00", "inf01", "inf02"]
LATENCY = 0.5


@dataclass
class Obs:  # what the group reads of an Observation
    frame: int
    obs: np.ndarray


def make(latency=LATENCY, needed=2):
    cores = [InferenceCore(w, InferenceConfig(latency_s=latency, seed=j)) for j, w in enumerate(IDS)]
    group = WorkerGroup("inf00+2", cores, lambda i, f: (False, 0))  # greedy: argmax of the pass
    for j, w in enumerate(IDS):
        assert group.on_welcome(Welcome(to=w, accepted=True, member=j), "h", 1) == []
    # inf00 starts on 10, 13, 16, ...; inf01 on 11, 14, ...; inf02 on 12, 15, ...
    group.on_ticks(schedule_to_msg(Schedule(1, 10, 1.0, tuple(IDS), needed), "max_time", LATENCY))
    return group


def result(tag, best: int) -> Result:
    q = np.zeros(4, dtype=np.float32)
    q[best] = 1.0
    return Result(tag, q, 0.001, 0)


def test_the_subscription_is_every_workers_next_two_start_ticks():
    group = make()
    assert group.topics() == {frame_topic(f) for f in (10, 11, 12, 13, 14, 15)}
    group.on_obs([Obs(10, np.zeros(4))], now=0.0)
    assert frame_topic(10) not in group.topics() and frame_topic(16) in group.topics()


def test_each_worker_starts_on_its_own_tick_and_the_passes_queue_for_one_model():
    group = make()
    group.on_obs([Obs(10, np.zeros(4))], now=1.0)
    group.on_obs([Obs(11, np.ones(4)), Obs(12, np.zeros(4))], now=1.1)  # one drain: two workers
    assert [j is not None for j in group.jobs] == [True, True, True]
    first = group.next_pass()
    assert first[0] == (0, 10) and group.next_pass() is None  # one pass at a time
    group.on_result(result(first[0], 2))
    assert group.next_wake() == 1.0 + LATENCY  # the deadline: a timer of the loop, no sleep
    second = group.next_pass()
    assert second[0] == (1, 11)
    group.on_result(result(second[0], 3))
    third = group.next_pass()
    assert third[0] == (2, 12)
    assert group.due(1.2) == []  # nothing before its deadline
    outs = group.due(1.0 + LATENCY)  # inf00's action only, in its own name
    acts = [o for o in outs if isinstance(o.msg, Action)]
    assert [(o.node, o.msg.frame, o.msg.action, o.msg.land) for o in acts] == [("inf00", 10, 2, 12)]
    beat = next(o.msg for o in outs if isinstance(o.msg, Heartbeats))
    assert [e["node"] for e in beat.entries] == ["inf00"] and beat.entries[0]["count"] == 1
    group.on_result(result(third[0], 1))
    outs = group.due(1.1 + LATENCY)
    assert [(o.node, o.msg.frame) for o in outs if isinstance(o.msg, Action)] == [("inf01", 11), ("inf02", 12)]
    assert [c.count for c in group.cores] == [1, 1, 1] and not group.busy()


def test_a_start_tick_while_its_own_pass_is_in_flight_waits_and_others_are_not_held():
    group = make(needed=4)  # inf00's action from 10 lands on 14: its start on 13 waits for it
    group.on_obs([Obs(10, np.zeros(4))], now=0.0)
    group.on_result(result(group.next_pass()[0], 0))
    group.on_obs([Obs(13, np.zeros(4))], now=0.4)  # inf00's next tick before its action is due
    assert group.deferred[0] is not None and group.next_pass() is None
    group.on_obs([Obs(11, np.zeros(4))], now=0.45)  # inf01 starts at once
    assert group.next_pass()[0] == (1, 11)
    outs = group.due(LATENCY)
    assert [o.msg.frame for o in outs if isinstance(o.msg, Action)] == [10]
    assert group.jobs[0].frame == 13 and group.jobs[0].start == LATENCY  # started when it could


def test_the_period_heartbeats_names_every_worker_once():
    group = make()
    beat = group.heartbeats().msg
    assert sorted(beat.alive) == IDS and beat.entries == []
    group.on_obs([Obs(11, np.zeros(4))], now=0.0)
    beat = group.heartbeats().msg
    assert sorted(beat.alive) == ["inf00", "inf02"] and [e["node"] for e in beat.entries] == ["inf01"]
    assert beat.entries[0]["busy"] is True


def test_a_welcome_to_rejoin_says_hello_for_that_worker_only_and_a_stop_stops_all():
    group = make()
    outs = group.on_welcome(Welcome(to="inf01", accepted=False, reason="rejoin"), "h", 1)
    assert [(o.node, o.msg.kind) for o in outs] == [("inf01", "inference")]
    assert group.on_welcome(Welcome(to="other", accepted=False), "h", 1) == []
    group.on_ticks(Stop(frame=20))
    assert group.stopped


def test_workers_are_grouped_k_a_process_and_keep_their_ids():
    ids = [f"inf{i:02d}" for i in range(7)]
    assert worker_groups.group(ids, 1) == [(w, []) for w in ids]
    assert worker_groups.group(ids, 3) == [("inf00+2", ids[:3]), ("inf03+2", ids[3:6]), ("inf06", [])]
    assert len(worker_groups.group([f"w{i}" for i in range(600)], 100)) == 6


def test_a_pass_whose_action_can_no_longer_land_is_abandoned_for_the_new_start():
    group = make(needed=3)  # inf00's action from 10 lands on 13, its next start tick
    group.on_obs([Obs(10, np.zeros(4))], now=0.0)
    group.on_result(result(group.next_pass()[0], 0))
    group.on_obs([Obs(13, np.zeros(4))], now=0.45)  # the env took frame 13's action already
    assert group.abandoned == [1, 0, 0] and group.deferred[0] is None
    assert group.jobs[0].frame == 13 and group.jobs[0].start == 0.45  # starts at once, not 1.8 s late
    assert group.due(LATENCY) == []  # the abandoned action is never sent
    group.on_result(result(group.next_pass()[0], 1))
    assert [o.msg.frame for o in group.due(0.45 + LATENCY) if isinstance(o.msg, Action)] == [13]
