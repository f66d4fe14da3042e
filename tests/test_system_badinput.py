"""Bad input: every malformed or wrong-version message is rejected and counted; nodes keep running."""
import json
import threading
import time

import msgpack
import numpy as np
import pytest
import zmq

from stagger.launch.run import RunConfig, Supervisor
from stagger.nodes.core import Out
from stagger.nodes.runtime import Runtime
from stagger.protocol import codec
from stagger.protocol.messages import Action, Heartbeat

FPS = 59.7275


def bad_messages():
    good = codec.encode(Action(node="rogue", seq=0, t=0.0, frame=1, action=1))
    header = msgpack.unpackb(good[0])
    wrong_version = msgpack.packb({**header, "v": "2.0"})
    unknown_type = msgpack.packb({**header, "type": "Launch"})
    extra_frame = [good[0], b"\x00" * 10]
    huge = [good[0], np.zeros(2 << 20, np.uint8).tobytes()]  # over the actions limit (1 MiB)
    return {"malformed": [b"\xc1 not msgpack"], "version": [wrong_version], "unknown_type": [unknown_type],
            "frames": extra_frame, "size": huge}


def test_runtime_rejects_each_kind_and_counts_it():
    rt = Runtime("env", "env")
    try:
        ep = rt.bind("actions")
        sender = rt.ctx.socket(zmq.PUSH)
        sender.setsockopt(zmq.LINGER, 0)
        sender.connect(ep)
        for frames in bad_messages().values():
            sender.send_multipart(frames)
        sender.send_multipart(codec.encode(Action(node="ok", seq=0, t=0.0, frame=1, action=2)))
        got = []
        deadline = time.monotonic() + 5
        while not got and time.monotonic() < deadline:
            rt.poll(0.1)
            got = rt.drain("actions")
        assert [m.action for m, _ in got] == [2]  # the good one still arrives
        assert dict(rt.rejected) == {"malformed": 1, "version": 1, "unknown_type": 1, "frames": 1, "size": 1}
        sender.close()
    finally:
        rt.close()


@pytest.mark.system
def test_running_nodes_reject_bad_messages_and_keep_going(tmp_path):
    run = tmp_path / "run"
    cfg = RunConfig(game="catcher", inference_nodes=3, inference_latency=1.5 / FPS, duration=6.0,
                    run_dir=str(run))
    result = {}
    th = threading.Thread(target=lambda: result.setdefault("summary", Supervisor(cfg).run()))
    th.start()
    deadline = time.monotonic() + 90
    while not (run / "config.json").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    eps = json.loads((run / "config.json").read_text())["endpoints"]
    ctx = zmq.Context()
    bad = bad_messages()
    for channel, kind in (("actions", zmq.PUSH), ("control", zmq.DEALER), ("stats", zmq.PUSH)):
        s = ctx.socket(kind)
        s.setsockopt(zmq.LINGER, 500)
        s.connect(eps[channel])
        for frames in bad.values():
            s.send_multipart(frames)
        if channel == "actions":  # well formed, but outside the action range the Welcome gives
            s.send_multipart(codec.encode(Action(node="rogue", seq=0, t=0.0, frame=1, action=99)))
            s.send_multipart(codec.encode(Action(node="rogue", seq=1, t=0.0, frame=2**63 - 1, action=1)))
        if channel == "control":  # well formed, but no inference time
            s.send_multipart(codec.encode(Heartbeat(node="rogue", seq=0, t=0.0, inference_s=float("inf"))))
        s.close()
    ctx.term()
    th.join(120)
    s = result["summary"]
    env = json.loads((run / "env.json").read_text())
    assert env["rejected"] == {"malformed": 1, "version": 1, "unknown_type": 1, "frames": 1, "size": 1,
                               "action_range": 1, "frame_range": 1}
    assert env["bad_action"] == 1
    assert "rejected a message on actions (action_range, 1 so far): rogue: action 99 outside [0, 3)" \
        in (run / "logs" / "env.log").read_text()
    details = json.loads((run / "details.json").read_text())
    assert details["env"]["rejected"]["action_range"] == 1
    clock = details["finals"]["clock"]["rejected"]
    assert clock.get("malformed") == 1 and clock.get("version") == 1 and clock.get("unknown_type") == 1
    assert clock.get("heartbeat_value") == 1 and sum(clock.values()) == 6
    # every rejection of every node, by node and by reason, in one place (the supervisor's own:
    # the bad messages sent to its stats channel)
    rejected = details["rejected"]
    assert rejected["by_node"]["env"] == env["rejected"] and rejected["by_node"]["clock"] == clock
    assert sum(rejected["by_node"]["supervisor"].values()) == 5
    assert rejected["total"] == sum(rejected["by_reason"].values()) == sum(
        sum(counts.values()) for counts in rejected["by_node"].values()) >= 7 + 6 + 5
    # nobody stopped: every inference node's actions were applied to the end
    assert all(details["nodes"][n]["fresh_actions"] > 0 for n in ("inf00", "inf01", "inf02")), details["nodes"]
    assert s["coverage"] >= 0.7, s  # (1.0 quiet; 3 nodes for 1.5 frames leave slack)
