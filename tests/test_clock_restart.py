"""A clock that exits is restarted (launch/clock_restart.py): the new clock core rebuilds
membership from the nodes' re-hellos and publishes one PhaseMap, with an epoch above the dead
clock's, that the inference nodes adopt; the supervisor's options and records of a restart;
and a node that exits is reported with its name, host, exit code and last log lines."""
import subprocess
import sys

import pytest

from stagger.launch.clock_restart import EPOCH_GAP, REJOIN_GRACE_S, ClockRestarts, bound_at
from stagger.launch.procs import NodeProcess, exit_report
from stagger.nodes.clock import ClockConfig, ClockCore
from stagger.nodes.inference import InferenceConfig, InferenceCore
from stagger.nodes.timebase import FakeClock
from stagger.protocol.messages import Heartbeat, Hello, PhaseMap, Welcome

FPS = 59.7275
NODES = ("n0", "n1", "n2")


def maps(outs):
    return [o.msg for o in outs if isinstance(o.msg, PhaseMap)]


def welcomes(outs):
    return [o.msg for o in outs if isinstance(o.msg, Welcome)]


def hello(node):
    return Hello(node=node, kind="inference", host="h", info={"latency_s": 2.5 / FPS})


def running_clock(clock):
    """A first clock with three members, and the inference cores following its map."""
    core = ClockCore(ClockConfig(fps=FPS))
    core.on_frame(10, clock.now())
    nodes = {n: InferenceCore(n, InferenceConfig()) for n in NODES}
    for n in NODES:
        core.handle(hello(n), clock.now(), n.encode())
    for m in maps(core.on_subscribed(clock.now())):
        for inf in nodes.values():
            inf.on_phase_map(m)
    return core, nodes


def test_a_restarted_clock_gathers_the_rehellos_then_publishes_one_map_the_nodes_adopt():
    clock = FakeClock(100.0)
    old, nodes = running_clock(clock)
    old_epoch = old.schedule.epoch
    assert all(inf.schedule.epoch == old_epoch for inf in nodes.values())
    new = ClockCore(ClockConfig(fps=FPS, first_epoch=old_epoch + EPOCH_GAP, rejoin_grace_s=REJOIN_GRACE_S))
    clock.advance(1.0)
    new.on_frame(70, clock.now())
    assert new.on_subscribed(clock.now()) == []  # no empty map would replace the nodes' last one
    published = []
    for n, inf in nodes.items():  # each node's next heartbeat reaches a clock that does not know it
        outs = new.handle(Heartbeat(node=n, last_tick=60 + NODES.index(n), count=5), clock.now(), n.encode())
        [w] = welcomes(outs)
        assert not w.accepted and w.reason == "rejoin"
        assert inf.on_welcome(w)  # the node says hello again
        outs = new.handle(hello(n), clock.now(), n.encode())
        assert welcomes(outs)[0].accepted
        published += maps(outs)
        clock.advance(0.05)
        published += maps(new.on_timer(clock.now()))
    assert published == []  # inside the grace: the nodes keep following the dead clock's map
    clock.advance(REJOIN_GRACE_S)
    new.on_frame(100, clock.now())
    [m] = maps(new.on_timer(clock.now()))
    assert m.epoch == old_epoch + EPOCH_GAP + 1 and sorted(m.order) == list(NODES)
    assert m.anchor > 100
    for inf in nodes.values():
        inf.on_phase_map(m)
        assert inf.schedule.epoch == m.epoch
    assert sorted(new.members.members) == list(NODES) and new.stats().data["members"] == list(NODES)
    clock.advance(0.1)  # from now on it is an ordinary clock: a drop re-phases
    new.handle(hello("n3"), clock.now(), b"n3")
    assert "n3" in new.schedule.order and new.schedule.epoch == m.epoch + 1


def test_a_first_start_publishes_at_once():
    core = ClockCore(ClockConfig(fps=FPS))
    core.on_frame(10, 0.0)
    assert maps(core.handle(hello("n0"), 0.0, b"n0"))[0].epoch == 1


def test_restart_options_bind_the_same_endpoints_and_raise_the_epoch():
    tcp = {"ticks": "tcp://127.0.0.1:40001", "control": "tcp://127.0.0.1:40002", "obs": "tcp://127.0.0.1:3"}
    assert bound_at(tcp) == {"ports": {"ticks": 40001, "control": 40002}}
    ipc = {"ticks": "ipc:///tmp/stagger-abc/ticks", "control": "ipc:///tmp/stagger-abc/control"}
    assert bound_at(ipc) == {"ports": {}, "ipc_dir": "/tmp/stagger-abc"}
    r = ClockRestarts(2)
    assert not r.possible({"ticks": "tcp://x:1"})  # it had not bound yet: nothing to restart on
    assert r.possible(tcp)
    r.stats({"epoch": 7}, now=10.0)
    v = r.restart(tcp, last_epoch=7, exit_code=-9, now=10.2)
    assert v == {"ports": {"ticks": 40001, "control": 40002}, "first_epoch": 7 + EPOCH_GAP,
                 "rejoin_grace_s": REJOIN_GRACE_S}
    r.stats({"epoch": 0, "members": []}, now=10.5)  # the new clock, still gathering
    assert r.records[0]["downtime_s"] is None
    r.stats({"epoch": 7 + EPOCH_GAP + 1, "members": ["n0"]}, now=11.0)
    rec = r.records[0]
    assert rec["exit_code"] == -9 and rec["downtime_s"] == pytest.approx(0.8)
    assert rec["members_after"] == ["n0"] and rec["last_stats_before_s"] == pytest.approx(0.2)
    # the second restart is above the first restarted clock's epochs, even if its Stats never came
    assert r.restart(tcp, last_epoch=7, exit_code=1)["first_epoch"] == 7 + 2 * EPOCH_GAP
    assert not r.possible(tcp)


def test_a_node_that_exits_is_reported_with_name_host_code_and_last_lines(tmp_path):
    log = tmp_path / "inf00.log"
    with open(log, "wb") as f:
        proc = subprocess.Popen([sys.executable, "-c", "print('loading'); raise ValueError('bad weights')"],
                                stdout=f, stderr=subprocess.STDOUT)
    proc.wait(30)
    n = NodeProcess("inf00", "inference", proc, log, host="here")
    text = exit_report(n)
    assert text.startswith("inference node inf00 on host here exited with code 1 (ValueError: bad weights); "
                           "stopping every node. Last lines of ")
    assert "loading" in text and "Traceback" in text


def test_clock_restarts_is_an_option_of_both_commands_and_their_config_files(tmp_path):
    from stagger.launch.cli import main
    f = tmp_path / "exp.toml"
    f.write_text("clock-restarts = 3\n")
    for command in ("run", "launch"):
        assert main.commands[command].make_context(command, ["--config", str(f)]).params["clock_restarts"] == 3
        assert main.commands[command].make_context(command, []).params["clock_restarts"] == 1


def dead(tmp_path, node_id, kind, code):
    log = tmp_path / f"{node_id}.log"
    with open(log, "wb") as f:
        proc = subprocess.Popen([sys.executable, "-c", f"print('{node_id} last words'); raise SystemExit({code})"],
                                stdout=f, stderr=subprocess.STDOUT)
    proc.wait(30)
    return NodeProcess(node_id, kind, proc, log, host="here")


def test_the_supervisor_restarts_a_dead_clock_once_then_fails_naming_it(tmp_path):
    from stagger.launch.run import RunConfig, RunError, Supervisor
    sup = Supervisor(RunConfig(run_dir=str(tmp_path / "run"), clock_restarts=1))
    started = []
    sup.start = lambda kind, node_id, values, binds=(): started.append((kind, node_id, values))
    try:
        sup.nodes = [dead(tmp_path, "clock", "clock", 3)]
        with pytest.raises(RunError, match="^clock node clock on host here exited with code 3; stopping every node"):
            sup._check_alive()  # its endpoints are not known yet: nothing to restart on
        sup.endpoints.update(ticks="tcp://127.0.0.1:41001", control="tcp://127.0.0.1:41002")
        sup.latest["clock"] = {"clock": {"epoch": 12}}
        sup.nodes = [dead(tmp_path, "clock", "clock", 5)]
        sup.handled.clear()
        sup._check_alive()
        [(kind, node_id, values)] = started
        assert (kind, node_id) == ("clock", "clock") and values["ports"] == {"ticks": 41001, "control": 41002}
        assert values["first_epoch"] == 12 + EPOCH_GAP and values["rejoin_grace_s"] == REJOIN_GRACE_S
        sup._check_alive()  # handled: not restarted twice
        assert len(started) == 1 and sup.clock_restarts.records[0]["exit_code"] == 5
        sup.nodes.append(dead(tmp_path, "clock", "clock", 1))  # the restarted one dies too: none left
        with pytest.raises(RunError, match=r"(?s)clock node clock on host here exited with code 1; stopping every "
                                           r"node\. Last lines of .*clock last words"):
            sup._check_alive()
        sup.nodes.append(dead(tmp_path, "inf00", "inference", 2))
        with pytest.raises(RunError, match="inference node inf00 on host here exited with code 2"):
            sup._check_alive()
    finally:
        sup.metrics.close()
        sup.rt.close()
