"""Every registered message type round-trips through the codec and is documented."""

import dataclasses
import pathlib
import re

import numpy as np
import pytest

from stagger.protocol import PROTOCOL_VERSION, ProtocolError, decode, encode, messages
from stagger.nodes.phasemaps import pack_numbers
from stagger.protocol.messages import COMMON, REGISTRY, SCHEMA

DOC = (pathlib.Path(messages.__file__).parent / "PROTOCOL.md").read_text()
OBS = np.arange(84 * 84, dtype=np.uint8).reshape(84, 84)

SAMPLES = {
    "Hello": messages.Hello(kind="inference", host="box", pid=1234, info={"model": "impala", "k": 1.5}),
    "Welcome": messages.Welcome(to="inf03", accepted=True, reason="", info={"fps": 59.7275},
                                n_actions=3, policy_actions=3, obs_shape=[84, 84], obs_dtype="uint8",
                                endpoints={"obs": "tcp://127.0.0.1:5555"}, heartbeat_s=0.2, timeout_s=1.0),
    "Heartbeat": messages.Heartbeat(busy=True, last_tick=77, inference_s=0.1, inference_mean_s=0.09,
                                    inference_max_s=0.2, count=12),
    "Heartbeats": messages.Heartbeats(alive=["w0003", "w0004"],
                                      entries=[{"node": "w0001"}, {"node": "w0002", "busy": True, "last_tick": 77,
                                                                   "inference_s": 0.1, "count": 3}]),
    "Bye": messages.Bye(reason="shutdown"),
    "Tick": messages.Tick(frame=1001, epoch=4),
    "PhaseMap": messages.PhaseMap(epoch=4, anchor=990, spacing=1.5, order=["inference-0", "inference-1"],
                                  period=3.0, algorithm="max_time", t_estimate_s=0.05, needed=3),
    "Observation": messages.Observation(frame=42, episode=2, arrays=(OBS,)),
    "Action": messages.Action(frame=40, action=2, inference_s=0.03, weights_version=7, greedy=True),
    "Experience": messages.Experience(frame=42, episode=2, action=1, fresh=True, action_frame=39, reward=-1.0,
                                      terminated=True, truncated=False, arrays=(OBS,)),
    "Weights": messages.Weights(version=3, updates=300, names=["conv.weight", "fc.bias"],
                                arrays=(np.linspace(0, 1, 16 * 3 * 8 * 8, dtype=np.float32).reshape(16, 3, 8, 8),
                                        np.full(6, -2.5, dtype=np.float32))),
    "Stop": messages.Stop(reason="end of run", frame=1200),
    "Stats": messages.Stats(kind="env", data={"fps": 59.7, "frames": 600, "lateness_ms": [0.1, 0.2]}),
}


def test_every_type_has_a_sample():
    assert set(SAMPLES) == set(REGISTRY)
    assert all(cls.TYPE == name for name, cls in REGISTRY.items())


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_round_trip(name):
    msg = SAMPLES[name].stamped("node-1", 17, 123.25)
    frames = encode(msg)
    assert isinstance(frames[0], bytes) and len(frames) == 1 + len(msg.arrays)
    out = decode([bytes(f) for f in frames])
    assert type(out) is REGISTRY[name]
    assert out == msg  # every field except arrays
    assert (out.node, out.seq, out.t) == ("node-1", 17, 123.25)
    assert len(out.arrays) == len(msg.arrays)
    for got, sent in zip(out.arrays, msg.arrays):
        assert got.dtype == sent.dtype and got.shape == sent.shape
        np.testing.assert_array_equal(got, sent)


def _section(name: str) -> str:
    match = re.search(rf"^### {name}\n(.*?)(?=^#{{2,3}} |\Z)", DOC, re.M | re.S)
    assert match, f"PROTOCOL.md has no '### {name}' section"
    return match.group(1)


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_documented(name):
    section = _section(name)
    for field, _kind in SCHEMA[REGISTRY[name]]:
        if field not in COMMON:
            assert f"| `{field}` |" in section, f"{name}.{field} missing from its PROTOCOL.md section"
    assert f"version {PROTOCOL_VERSION}" in DOC.splitlines()[0]


def test_common_fields_documented():
    wire = DOC[DOC.index("## Wire format"):DOC.index("## Versions")]
    for key in ("v", "type", *COMMON, "arrays"):
        assert f"| `{key}` |" in wire


def test_messages_are_frozen_and_slotted():
    msg = messages.Tick(frame=1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        msg.frame = 2
    assert not hasattr(msg, "__dict__")


def test_stamped_copies_and_keeps_fields():
    msg = messages.Action(frame=5, action=1)
    stamped = msg.stamped("inference-0", 9, 1.5)
    assert (stamped.node, stamped.seq, stamped.t, stamped.frame, stamped.action) == ("inference-0", 9, 1.5, 5, 1)
    assert msg.seq == 0 and msg.node == ""


def test_sender_conveniences():
    """numpy scalars, ints for floats and tuples for lists are converted on encode."""
    msg = messages.PhaseMap(epoch=np.int64(2), spacing=3, order=("a", "b"), t_estimate_s=np.float32(0.5))
    out = decode(encode(msg))
    assert out.epoch == 2 and type(out.epoch) is int
    assert out.spacing == 3.0 and type(out.spacing) is float
    assert out.order == ["a", "b"] and out.t_estimate_s == 0.5
    welcome = decode(encode(messages.Welcome(obs_shape=(np.int64(84), 84))))
    assert welcome.obs_shape == [84, 84] and all(type(d) is int for d in welcome.obs_shape)


@pytest.mark.parametrize("msg", [
    messages.Action(action="2"),
    messages.Action(action=True),
    messages.Tick(frame=1.0),
    messages.Heartbeat(inference_s=True),
    messages.Experience(fresh=1, arrays=(OBS,)),
    messages.PhaseMap(order=["a", 3]),
    messages.Welcome(obs_shape=[84, "84"]),
    messages.Welcome(obs_shape=[True]),
    messages.Hello(info={1: "x"}),
    messages.Hello(info={"x": object()}),
    messages.Heartbeats(entries=[{"busy": True}]),  # an entry without its member id
    messages.Heartbeats(entries=[{"node": "w1", "count": 1.5}]),
    messages.Heartbeats(entries=["w1"]),
    messages.Heartbeats(alive=["w1", 2]),
    messages.PhaseMap(order_index=b"\x01\x00\x02", index_width=2),
    messages.PhaseMap(order_index=b"\x01\x00\x02", index_width=3),
    messages.Observation(frame=1),  # no array
    messages.Weights(names=["a", "b"], arrays=(np.zeros(2),)),
    messages.Observation(arrays=(np.array(["text"]),)),
    messages.Observation(arrays=(np.array([object()]),)),
])
def test_encode_refuses_bad_messages(msg):
    with pytest.raises(ProtocolError) as err:
        encode(msg)
    assert err.value.reason == "malformed"


def test_weights_as_dict():
    weights = decode(encode(SAMPLES["Weights"])).as_dict()
    assert list(weights) == ["conv.weight", "fc.bias"]
    assert weights["fc.bias"].tolist() == [-2.5] * 6


def test_compact_phase_map_carries_member_numbers():
    """(1.4) A compact map's order is member numbers, 2 bytes each below 65536, else 4."""
    index, width = pack_numbers([7, 2, 999])
    assert (len(index), width) == (6, 2)
    out = decode(encode(messages.PhaseMap(epoch=5, order_index=index, index_width=width)))
    assert out.order == [] and out.numbers().tolist() == [7, 2, 999]
    index, width = pack_numbers([70000, 1])
    assert decode(encode(messages.PhaseMap(order_index=index, index_width=width))).numbers().tolist() == [70000, 1]


def test_heartbeats_unpack_into_one_heartbeat_per_member():
    msg = decode(encode(SAMPLES["Heartbeats"].stamped("proc0", 4, 2.5)))
    beats = msg.beats()
    assert [b.node for b in beats] == ["w0001", "w0002"]
    assert beats[0] == messages.Heartbeat(node="w0001", seq=4, t=2.5)  # left-out fields: defaults
    assert (beats[1].busy, beats[1].last_tick, beats[1].count, beats[1].inference_s) == (True, 77, 3, 0.1)
