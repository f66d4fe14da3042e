"""Sockets made from the topology table, on a real zmq context over loopback."""

import numpy as np
import pytest
import zmq

from stagger.protocol import ProtocolError, codec, encode, messages, topology
from stagger.protocol.messages import REGISTRY
from stagger.protocol.topology import CHANNELS

TIMEOUT_MS = 5000


class Net:
    """One context per test; every socket closed with linger 0, then the context terminated."""

    def __init__(self):
        self.ctx = zmq.Context()
        self.sockets = []

    def make(self, name, role, **kwargs):
        sock = topology.make_socket(self.ctx, name, role, **kwargs)
        self.sockets.append(sock)
        return sock

    def close(self):
        for sock in self.sockets:
            sock.close(linger=0)
        self.ctx.term()


@pytest.fixture
def ctx():
    net = Net()
    yield net
    net.close()


def make(net, name, role, **kwargs):
    return net.make(name, role, **kwargs)


def pair(ctx, name, **kwargs):
    server = make(ctx, name, "bind")
    client = make(ctx, name, "connect", **kwargs)
    address = topology.bind(server, "127.0.0.1")
    client.connect(address)
    return server, client, address


def recv(sock):
    assert sock.poll(TIMEOUT_MS), "nothing received before the timeout"
    return sock.recv_multipart(copy=False)


def test_every_type_travels_somewhere_and_every_channel_is_complete():
    carried = set().union(*(c.types for c in CHANNELS.values()))
    assert carried == set(REGISTRY)
    for c in CHANNELS.values():
        assert c.binders and c.connectors and c.hwm > 0 and c.linger_ms > 0 and c.max_bytes > 0
    assert CHANNELS["weights"].max_bytes >= 4 << 30
    assert not CHANNELS["experience"].drop_ok and CHANNELS["obs"].drop_ok


@pytest.mark.parametrize("name", sorted(CHANNELS))
def test_socket_options(ctx, name):
    c = CHANNELS[name]
    for role, expected in (("bind", c.bind_type), ("connect", c.connect_type)):
        sock = make(ctx, name, role)
        assert sock.type == expected
        assert sock.getsockopt(zmq.LINGER) == c.linger_ms
        assert sock.getsockopt(zmq.SNDHWM) == c.hwm and sock.getsockopt(zmq.RCVHWM) == c.hwm


def test_bad_role_and_channel():
    with pytest.raises(ValueError):
        CHANNELS["obs"].socket_type("both")
    with pytest.raises(ValueError):
        topology.channel("nope")
    assert topology.endpoint("10.0.0.2", 5555) == "tcp://10.0.0.2:5555"


def test_push_pull_experience(ctx):
    env, learner, address = pair(ctx, "experience")
    assert address.startswith("tcp://127.0.0.1:")
    obs = np.full((84, 84), 7, np.uint8)
    sent = messages.Experience(frame=3, action=1, fresh=True, action_frame=1, reward=1.0, arrays=(obs,))
    env.send_multipart(encode(sent.stamped("env-0", 0, 1.0)), copy=False)
    frames = recv(learner)
    msg = topology.decode_on("experience", frames)
    assert msg == sent.stamped("env-0", 0, 1.0)
    np.testing.assert_array_equal(msg.obs, obs)
    assert np.shares_memory(msg.obs, np.frombuffer(frames[1].buffer, np.uint8))  # zero copy from zmq.Frame


def test_pub_sub_obs(ctx):
    env, sub, _ = pair(ctx, "obs")
    obs = np.arange(84 * 84, dtype=np.uint8).reshape(84, 84)
    for seq in range(10_000):  # publish until the slow joiner is connected
        env.send_multipart(encode(messages.Observation(frame=seq, arrays=(obs,)).stamped("env-0", seq, 0.0)))
        if sub.poll(10):
            break
    msg = topology.decode_on("obs", recv(sub))
    assert isinstance(msg, messages.Observation) and msg.frame == msg.seq
    np.testing.assert_array_equal(msg.obs, obs)


def test_router_dealer_control(ctx):
    clock, node, _ = pair(ctx, "control", identity="inference-0")
    node.send_multipart(encode(messages.Hello(kind="inference", pid=1).stamped("inference-0", 0, 0.0)))
    identity, *frames = recv(clock)
    hello = topology.decode_on("control", frames)
    assert identity.bytes == b"inference-0" and hello.kind == "inference"
    clock.send_multipart([identity.bytes, *encode(messages.Welcome(to=hello.node).stamped("clock", 0, 0.0))])
    welcome = topology.decode_on("control", recv(node))
    assert welcome.accepted and welcome.to == "inference-0"
    with pytest.raises(zmq.ZMQError):  # ROUTER_MANDATORY: unroutable raises, never vanishes
        clock.send_multipart([b"nobody", *encode(messages.Welcome(to="nobody"))])


def test_decode_on_checks_channel_types_and_size():
    frames = encode(messages.Tick(frame=1))
    with pytest.raises(ProtocolError) as err:
        topology.decode_on("actions", frames)
    assert err.value.reason == "unknown_type"
    assert topology.allowed("ticks", "Tick") and not topology.allowed("ticks", "Action")
    big = encode(messages.Observation(arrays=(np.zeros(2 << 20, np.uint8),)))
    with pytest.raises(ProtocolError) as err:
        topology.decode_on("actions", [codec.pack({"v": "1.0", "type": "Action"}), *big[1:]])
    assert err.value.reason == "size"


def test_sub_without_subscription_receives_nothing(ctx):
    pub, sub, _ = pair(ctx, "ticks", subscribe=False)
    for seq in range(20):
        pub.send_multipart(encode(messages.Tick(frame=seq)))
    assert not sub.poll(100)
