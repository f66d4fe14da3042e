"""The clock core with a fake clock: membership, heartbeats, re-phasing on overruns."""
from stagger.nodes.clock import ClockConfig, ClockCore, msg_to_schedule
from stagger.nodes.timebase import FakeClock
from stagger.protocol.messages import Bye, Heartbeat, Heartbeats, Hello, PhaseMap, Welcome

FPS = 59.7275
FRAME = 1 / FPS


def phase_maps(outs):
    return [o.msg for o in outs if isinstance(o.msg, PhaseMap)]


def make(n=3, latency_frames=2.5, algorithm="max_time"):
    clock = FakeClock(100.0)
    core = ClockCore(ClockConfig(fps=FPS, algorithm=algorithm))
    core.on_frame(10, clock.now())
    for i in range(n):
        outs = core.handle(Hello(node=f"n{i}", kind="inference", host="h",
                                 info={"latency_s": latency_frames * FRAME}), clock.now(), f"n{i}".encode())
        assert isinstance(outs[0].msg, Welcome) and outs[0].msg.accepted and outs[0].to == f"n{i}".encode()
    return clock, core


def test_join_gives_every_node_a_phase_and_spreads_them():
    clock, core = make(3)
    s = core.schedule
    assert sorted(s.order) == ["n0", "n1", "n2"]
    assert s.needed == 3  # 2.5 frames + margin -> lands 3 frames later
    ticks = [t for t in range(s.anchor, s.anchor + 30) if s.starter(t)]
    assert ticks == list(range(s.anchor, s.anchor + 30))


def test_silent_node_is_dropped_after_one_second_and_the_rest_rephased():
    clock, core = make(3)
    epoch = core.schedule.epoch
    outs = []
    for step in range(30):  # 1.5 s: n0 and n1 keep beating, n2 is silent
        clock.advance(0.05)
        core.on_frame(11 + step, clock.now())
        for node in ("n0", "n1"):
            core.handle(Heartbeat(node=node), clock.now(), node.encode())
        outs += core.on_timer(clock.now())
    assert sorted(core.schedule.order) == ["n0", "n1"]
    assert core.schedule.epoch > epoch
    assert core.members.drops == {"n2": 1}
    assert any(e["event"] == "drop" and e["node"] == "n2" for e in core.events)
    assert phase_maps(outs)  # the map is re-broadcast periodically


def test_bye_rephases_at_once():
    clock, core = make(3)
    outs = core.handle(Bye(node="n1"), clock.now(), b"n1")
    assert phase_maps(outs) and "n1" not in phase_maps(outs)[0].order


def test_overrun_grows_the_estimate_and_rephases_max_time():
    clock, core = make(3, latency_frames=2.5)
    before = core.schedule
    for count in range(1, 4):  # past the warm-up: a 5.5-frame inference
        outs = core.handle(Heartbeat(node="n0", last_tick=20 + count, inference_s=5.5 * FRAME, count=count),
                           clock.now(), b"n0")
    maps = phase_maps(outs)
    assert maps and maps[0].needed == 6 and maps[0].epoch > before.epoch
    s = msg_to_schedule(maps[0])
    assert s.spacing == 2.0  # 6 ticks needed over 3 nodes


def test_a_node_that_warmed_up_counts_from_its_first_report():
    """An inference node warms its model up before hello (a real pass of a slow model is the
    same from the first call on): its first overrun re-phases at once, not after two more."""
    clock = FakeClock(100.0)
    core = ClockCore(ClockConfig(fps=FPS))
    core.on_frame(10, clock.now())
    for node, warm in (("w", True), ("c", False)):
        core.handle(Hello(node=node, kind="inference", info={"latency_s": 2.5 * FRAME, "warmed_up": warm}),
                    clock.now(), node.encode())
    assert core.schedule.needed == 3
    assert not phase_maps(core.handle(Heartbeat(node="c", last_tick=20, inference_s=5.5 * FRAME, count=1),
                                      clock.now(), b"c"))  # cold: its first report is warm-up
    maps = phase_maps(core.handle(Heartbeat(node="w", last_tick=21, inference_s=5.5 * FRAME, count=1),
                                  clock.now(), b"w"))
    assert maps and maps[0].needed == 6


def test_heartbeat_from_unknown_node_asks_it_to_rejoin():
    clock, core = make(1)
    outs = core.handle(Heartbeat(node="ghost"), clock.now(), b"ghost")
    assert isinstance(outs[0].msg, Welcome) and not outs[0].msg.accepted and outs[0].msg.reason == "rejoin"


def test_ticks_follow_env_frames_and_go_out_with_each_phase_map():
    clock, core = make(1)
    assert core.on_frame(42, clock.now()) == []
    clock.advance(1.0)
    outs = core.on_timer(clock.now())
    ticks = [o.msg for o in outs if o.msg.TYPE == "Tick"]
    assert ticks and ticks[0].frame == 42 and ticks[0].epoch == core.schedule.epoch
    assert phase_maps(outs)


def test_inference_core_wants_its_next_ticks_even_with_schedules_it_never_used():
    """A node that has seen no observation yet follows the newest schedule in force."""
    from stagger.nodes.clock import schedule_to_msg
    from stagger.nodes.inference import InferenceConfig, InferenceCore
    from stagger.nodes.stagger import make_schedule
    core = InferenceCore("b", InferenceConfig())
    old = make_schedule(1, {"a": 0, "b": 0}, now=0, needed=2)
    new = make_schedule(2, {"b": 0, "a": 0, "c": 0}, now=100, needed=3)
    core.on_phase_map(schedule_to_msg(old, "max_time", 0.0))
    core.on_phase_map(schedule_to_msg(new, "max_time", 0.0))
    core.seen = 200
    want = core.wanted_frames()
    assert want and all(new.starter(f) == "b" for f in want) and min(want) > 200


def test_max_time_forgets_an_outlier_and_rephases_back_down():
    clock, core = make(3, latency_frames=2.5)
    core.est.window = 10
    count = 0

    def report(frames):
        nonlocal count
        count += 1
        return core.handle(Heartbeat(node="n0", last_tick=100 + count, inference_s=frames * FRAME,
                                     count=count), clock.now(), b"n0")

    for _ in range(3):
        report(2.5)
    assert core.schedule.needed == 3
    report(5.5)  # one hiccup: Algorithm 1 reacts at once
    assert core.schedule.needed == 6
    for _ in range(12):
        clock.advance(0.25)
        report(2.5)
    assert core.schedule.needed == 3  # the outlier left the window: back to 3 ticks


# -- protocol 1.4: the parts that serve 1,000 members (nodes/clock_scale.py) --------------
def compact_hello(node):
    return Hello(node=node, kind="inference", info={"latency_s": 2.5 * FRAME, "compact_maps": True})


def test_one_drain_of_hellos_makes_one_epoch_and_welcomes_go_first():
    clock = FakeClock(100.0)
    core = ClockCore(ClockConfig(fps=FPS))
    core.on_frame(10, clock.now())
    outs = core.handle_all([(compact_hello(f"w{i}"), b"p0") for i in range(50)], clock.now())
    assert [type(o.msg).__name__ for o in outs] == ["Welcome"] * 50 + ["Tick", "PhaseMap"]
    assert [o.msg.member for o in outs[:50]] == list(range(50))
    assert core.schedule.epoch == 1 and len(core.schedule.order) == 50


def test_compact_maps_only_while_every_member_reads_them():
    clock = FakeClock(100.0)
    core = ClockCore(ClockConfig(fps=FPS))
    core.on_frame(10, clock.now())
    m = phase_maps(core.handle_all([(compact_hello("a"), b"a"), (compact_hello("b"), b"b")], clock.now()))[-1]
    assert m.order == [] and m.numbers().tolist() == [0, 1]
    # each member decodes its own position from its number alone
    assert msg_to_schedule(m, {1: "b"}).position["b"] == 1
    # a node that names no compact_maps (1.3, or written from an older PROTOCOL.md) joins: ids again
    m = phase_maps(core.handle(Hello(node="old", kind="inference"), clock.now(), b"old"))[-1]
    assert sorted(m.order) == ["a", "b", "old"] and m.order_index == b""
    m = phase_maps(core.handle(Bye(node="old"), clock.now(), b"old"))[-1]
    assert m.order == [] and sorted(m.numbers().tolist()) == [0, 1]


def test_heartbeats_of_a_process_keep_its_members_and_feed_the_estimate():
    clock, core = make(3)
    before = core.schedule
    for count in range(1, 4):  # an overrun of n1, reported in its process's Heartbeats
        clock.advance(0.2)
        outs = core.handle(Heartbeats(alive=["n0", "n2"], entries=[
            {"node": "n1", "last_tick": 10 + count, "inference_s": 5.5 * FRAME, "count": count}]),
            clock.now(), b"proc")
    assert core.schedule.needed > before.needed and phase_maps(outs)
    clock.advance(0.9)  # 1.1 s after make(): without the Heartbeats they would be dropped
    core.on_timer(clock.now())
    assert sorted(core.members.members) == ["n0", "n1", "n2"]
    outs = core.handle(Heartbeats(alive=["ghost"]), clock.now(), b"proc")
    assert [(o.msg.to, o.msg.reason, o.to) for o in outs] == [("ghost", "rejoin", b"proc")]


def test_expiry_skips_scans_until_a_member_may_be_stale_and_still_drops_on_time():
    clock, core = make(3)  # all seen at t = 100.0
    core.members.expire(clock.now())  # a scan: nobody can be stale before 101.0
    clock.advance(0.6)
    core.handle(Heartbeat(node="n0"), clock.now(), b"n0")
    clock.advance(0.41)  # 101.01: n1, n2 silent 1.01 s
    outs = core.on_timer(clock.now())
    assert sorted(core.members.members) == ["n0"] and core.members.drops == {"n1": 1, "n2": 1}
    assert phase_maps(outs)
    clock.advance(0.55)  # n0 silent 0.96 s: kept; then 1.01 s: dropped
    core.on_timer(clock.now())
    assert list(core.members.members) == ["n0"]
    clock.advance(0.05)
    core.on_timer(clock.now())
    assert core.members.members == {} and core.members.drops["n0"] == 1


def test_an_inference_node_follows_a_compact_map_by_its_member_number():
    from stagger.nodes.inference import InferenceConfig, InferenceCore
    clock = FakeClock(100.0)
    clock_core = ClockCore(ClockConfig(fps=FPS))
    clock_core.on_frame(10, clock.now())
    node = InferenceCore("w1", InferenceConfig())
    assert node.hello("h", 1).info["compact_maps"] is True
    outs = clock_core.handle_all([(compact_hello(n), n.encode()) for n in ("w0", "w1", "w2")], clock.now())
    node.on_phase_map(phase_maps(outs)[-1])  # the map before the Welcome (ticks and control race)
    assert node.wanted_frames() == set()
    node.on_welcome(outs[1].msg)
    assert node.member == 1
    s = clock_core.schedule
    node.seen = s.anchor - 1
    assert node.wanted_frames() == {s.next_start("w1", s.anchor), s.next_start("w1", s.next_start("w1", s.anchor) + 1)}


def test_a_restarted_clock_names_members_by_id_and_a_node_keeps_its_first_number():
    from stagger.nodes.inference import InferenceConfig, InferenceCore
    clock = FakeClock(100.0)
    old = ClockCore(ClockConfig(fps=FPS))
    new = ClockCore(ClockConfig(fps=FPS, first_epoch=1000))
    node = InferenceCore("w1", InferenceConfig())
    for core in (old, new):
        core.on_frame(10, clock.now())
        outs = core.handle_all([(compact_hello(n), n.encode()) for n in (("w0", "w1") if core is old else ("w1",))],
                               clock.now())
        node.on_welcome([o.msg for o in outs if isinstance(o.msg, Welcome) and o.msg.to == "w1"][0])
        node.on_phase_map(phase_maps(outs)[-1])
    assert phase_maps(outs)[-1].order == ["w1"]  # the restarted clock: ids, though w1 reads numbers
    assert node.member == 1  # the dead clock's number: its maps are still read right
    assert node.schedules[0].position["w1"] == 1 and node.schedules[-1].position["w1"] == 0
