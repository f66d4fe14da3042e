"""The supervisor's monitor PUB (launch.monitor) and `stagger top`'s side of it (launch.top):
sockets in one process, plain and CurveZMQ, no nodes."""
import json
import time
from types import SimpleNamespace

import click
import pytest
import zmq

from stagger.launch.monitor import Watch, node_state, run_info
from stagger.launch.top import monitor_address, receive, subscribe
from stagger.measure.live import LiveState
from stagger.nodes.runtime import Runtime
from stagger.protocol.messages import Stats


def fake_supervisor(run_dir, nodes):
    return SimpleNamespace(latest={"clock": {"clock": {"members": ["inf00"], "drops": {"inf01": 1}}}},
                           nodes=nodes, cfg=SimpleNamespace(game="catcher", mode="staggered"),
                           run_dir=run_dir, phase="measuring", end=time.monotonic() + 5.0)


def node(node_id, kind, alive=True, code=None):
    return SimpleNamespace(node_id=node_id, kind=kind, alive=lambda: alive, returncode=code, host="h1")


def pump_until(watch, sock, state, pred, send, timeout_s=5.0):
    """Publish until the subscriber has what ``pred`` wants (PUB/SUB joins are not instant)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        send()
        if sock.poll(50):
            receive(sock, state)
        if pred(state):
            return True
    return False


def test_node_states():
    clock = {"members": ["inf00"], "drops": {"inf01": 1}}
    assert node_state(node("inf00", "inference"), clock, True) == "joined"
    assert node_state(node("inf01", "inference"), clock, True) == "stale"
    assert node_state(node("inf02", "inference"), clock, False) == "starting"
    assert node_state(node("env", "env"), clock, True) == "running"
    assert node_state(node("learner", "learner", alive=False, code=-9), clock, True) == "exited -9"


@pytest.mark.timeout(30)
def test_stats_are_republished_unchanged_and_the_run_info_follows(tmp_path):
    rt = Runtime("supervisor", "supervisor")
    watch = Watch(rt, tmp_path)
    ctx = zmq.Context()
    try:
        endpoint, keys = monitor_address(str(tmp_path), None, None, 1.0)
        assert endpoint == watch.endpoint and keys is None
        sock, state = subscribe(ctx, endpoint, None), LiveState()
        msg = Stats(kind="inference", data={"missed": 2, "runtime": {"host": "gpu7"}}).stamped("inf03", 41, 12.5)
        assert pump_until(watch, sock, state, lambda s: "inf03" in s.latest, lambda: watch.stats(msg))
        assert state.latest["inf03"]["inference"] == {"missed": 2, "runtime": {"host": "gpu7"}}
        sup = fake_supervisor(tmp_path, [node("env", "env"), node("inf00", "inference")])
        watch.next_run = 0.0
        assert pump_until(watch, sock, state, lambda s: s.run, lambda: watch.tick(sup))
        assert state.run["nodes"]["inf00"] == {"kind": "inference", "host": "h1", "state": "joined"}
        assert state.run["phase"] == "measuring" and 0 < state.run["left_s"] <= 5.0
        assert run_info(sup, time.monotonic())["game"] == "catcher"
        sock.close(linger=0)
    finally:
        ctx.term()
        watch.close()
        rt.close()


@pytest.mark.timeout(30)
def test_curve_monitor_admits_the_runs_key_only(tmp_path):
    from stagger.nodes.security import CurveKeys, generate_keys
    keys = generate_keys(tmp_path / "keys")
    rt = Runtime("supervisor", "supervisor", security=CurveKeys.load(keys))
    watch = Watch(rt, tmp_path, keys_dir=str(keys))
    ctx = zmq.Context()
    try:
        doc = json.loads((tmp_path / "monitor.json").read_text())
        assert doc["security"] == "curve"
        endpoint, keys_dir = monitor_address(str(tmp_path), None, None, 1.0)
        assert keys_dir == str(keys)
        good, stranger = subscribe(ctx, endpoint, keys_dir), subscribe(ctx, endpoint, None)
        msg = Stats(kind="env", data={"frame": 9}).stamped("env", 0, 1.0)
        state = LiveState()
        assert pump_until(watch, good, state, lambda s: "env" in s.latest, lambda: watch.stats(msg))
        assert not stranger.poll(300) and receive(stranger, LiveState()) == 0
        good.close(linger=0)
        stranger.close(linger=0)
    finally:
        ctx.term()
        watch.close()
        rt.close()


def test_connection_file_names_the_monitor(tmp_path):
    from stagger.launch.remote import connection
    eps = {ch: f"tcp://10.0.0.1:{5000 + i}" for i, ch in
           enumerate(("obs", "actions", "ticks", "control", "stats", "monitor"))}
    (tmp_path / "keys").mkdir()
    sec = {"mechanism": "curve", "server_public": "x", "client_public": "y", "keys_dir": str(tmp_path / "keys")}
    path = connection.write(tmp_path / "connection.json", connection.make(
        "r1", eps, security=sec, kinds={}, launcher_address="10.0.0.1", placement={}))
    assert monitor_address(None, str(path), None, 0) == ("tcp://10.0.0.1:5005", str(tmp_path / "keys"))
    with pytest.raises(click.ClickException, match="keys directory"):
        monitor_address(None, str(path), str(tmp_path / "nope"), 0)
    eps.pop("monitor")
    old = connection.write(tmp_path / "old.json", connection.make(
        "r1", eps, security={"mechanism": "none"}, kinds={}, launcher_address="x", placement={}))
    with pytest.raises(click.ClickException, match="no monitor endpoint"):
        monitor_address(None, str(old), None, 0)


def test_a_missing_run_dir_is_a_clear_error(tmp_path):
    with pytest.raises(click.ClickException, match="monitor.json is missing"):
        monitor_address(str(tmp_path / "nothing"), None, None, 0.2)
