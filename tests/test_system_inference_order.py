"""The real inference node (a process) against a scripted clock and env in this test (issue 16,
point 5, and the node's side of point 6): when the observation of its next start tick (the
very frame its previous action lands on) arrives while the previous pass is still running,
the finished action goes out first and the next pass starts on that observation right after
it (it is neither dropped nor started early); a Stop ends the node with a Bye."""
import time

import numpy as np
import pytest
import zmq

from stagger.launch.procs import start_node
from stagger.nodes.options import InferenceOptions
from stagger.protocol import codec
from stagger.protocol.messages import Bye, Hello, Observation, PhaseMap, Stop, Tick, Welcome
from stagger.protocol.topology import decode_on, frame_topic, make_socket
from stagger.protocol.trace import TraceReader

pytestmark = pytest.mark.system
LATENCY_S = 0.4  # simulated inference: long enough to publish newer frames during it
NEEDED = 3  # one node, spacing 3: each start tick is the landing frame of the action before


class Scripted:
    """The clock's and the env's sockets, driven by hand."""

    def __init__(self):
        self.ctx = zmq.Context()
        self.control = make_socket(self.ctx, "control", "bind")
        self.ticks = make_socket(self.ctx, "ticks", "bind")  # an XPUB: we see the node subscribe
        self.obs = self.ctx.socket(zmq.XPUB)
        self.obs.setsockopt(zmq.XPUB_VERBOSE, 1)
        self.obs.setsockopt(zmq.LINGER, 0)
        self.actions = make_socket(self.ctx, "actions", "bind")
        self.endpoints = {name: self._bind(getattr(self, name)) for name in ("control", "ticks", "obs", "actions")}
        self.seq = {}

    def _bind(self, sock):
        port = sock.bind_to_random_port("tcp://127.0.0.1")
        return f"tcp://127.0.0.1:{port}"

    def send(self, sock, msg, prefix=()):
        seq = self.seq.get(id(sock), 0)
        self.seq[id(sock)] = seq + 1
        sock.send_multipart([*prefix, *codec.encode(msg.stamped("test", seq, time.monotonic()))])

    def publish_obs(self, frame):
        obs = np.full((84, 84), frame % 256, np.uint8)
        self.send(self.obs, Observation(frame=frame, episode=0, arrays=(obs,)), (frame_topic(frame),))

    def close(self):
        for s in (self.control, self.ticks, self.obs, self.actions):
            s.close(linger=0)
        self.ctx.term()


def wait_for(what, pred, proc, timeout=120.0):
    deadline = time.monotonic() + timeout
    while True:
        got = pred()
        if got:
            return got
        assert proc.poll() is None, f"the node exited ({proc.returncode}) while waiting for {what}"
        assert time.monotonic() < deadline, f"timed out waiting for {what}"


def subscriptions(sock, timeout_ms=100):
    out = set()
    while sock.poll(timeout_ms):
        notice = sock.recv()
        if notice[:1] == b"\x01":
            out.add(notice[1:])
        timeout_ms = 0
    return out


def test_inference_node_sends_its_action_before_it_starts_on_a_newer_observation(tmp_path):
    env = Scripted()
    opts = InferenceOptions(node_id="inf00", connect=env.endpoints, run_dir=str(tmp_path), obs_shape=(84, 84),
                            obs_dtype="uint8", policy_actions=3, n_actions=3, inference_latency=LATENCY_S,
                            trace=True, realtime_priority=False, seed=0)
    node = start_node("inference", opts, tmp_path)
    try:
        def hello():
            if env.control.poll(100):
                identity, *frames = env.control.recv_multipart()
                msg = decode_on("control", frames)
                return (identity, msg) if isinstance(msg, Hello) else None
        identity, msg = wait_for("the node's Hello", hello, node.proc)
        assert msg.node == "inf00" and identity == b"inf00"
        env.send(env.control, Welcome(to="inf00", accepted=True, n_actions=3, policy_actions=3), (identity,))
        wait_for("the ticks subscription", lambda: subscriptions(env.ticks), node.proc, 30)
        start = 103
        env.send(env.ticks, Tick(frame=100, epoch=1))
        env.send(env.ticks, PhaseMap(epoch=1, anchor=start, spacing=float(NEEDED), order=["inf00"],
                                     period=float(NEEDED), algorithm="max_time", needed=NEEDED))
        wanted = set()
        wait_for("obs subscriptions to its two next start ticks",
                 lambda: wanted.update(subscriptions(env.obs)) or wanted >= {frame_topic(start),
                                                                            frame_topic(start + NEEDED)},
                 node.proc, 30)
        env.publish_obs(start)
        time.sleep(LATENCY_S / 4)  # the node is inside its inference on frame 103 now
        for f in range(start + 1, start + NEEDED + 1):  # 106: its next start, where 103's action lands
            env.publish_obs(f)
        actions = []

        def two_actions():
            while env.actions.poll(50):
                actions.append(decode_on("actions", env.actions.recv_multipart()))
            return len(actions) >= 2
        wait_for("two actions", two_actions, node.proc, 30)
        assert [(a.frame, a.land) for a in actions] == [(start, start + NEEDED), (start + NEEDED, start + 2 * NEEDED)]
        assert all(0 <= a.action < 3 for a in actions)
        env.send(env.ticks, Stop(reason="end of run", frame=start + NEEDED))

        def bye():
            while env.control.poll(100):
                msg = decode_on("control", env.control.recv_multipart()[1:])
                if isinstance(msg, Bye):
                    return msg
        assert wait_for("the Bye", bye, node.proc, 30).reason == "end of run"
        assert node.proc.wait(30) == 0
    finally:
        if node.proc.poll() is None:
            node.proc.kill()
            node.proc.wait()
        env.close()
    # what the node itself recorded: 106 arrived during the pass on 103, the action of 103 left
    # first, and the pass on 106 started only then (its action a whole latency after 103's)
    with TraceReader(tmp_path / "traces" / "inf00.trace") as reader:
        events = {(r.dir, r.ch, m.frame): r.t for r, m in reader.messages() if r.ch in ("obs", "actions")}
    sent_103, sent_106 = events[("out", "actions", start)], events[("out", "actions", start + NEEDED)]
    assert events[("in", "obs", start + NEEDED)] < sent_103 < sent_106, events
    assert sent_106 - sent_103 >= LATENCY_S, events
    assert actions[1].inference_s >= LATENCY_S and actions[1].inference_s < sent_106 - events[("in", "obs", start + NEEDED)]
    assert "Stop from the clock" in (tmp_path / "logs" / "inf00.log").read_text()
