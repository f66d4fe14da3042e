"""Traces record the wire bytes and decode again through the codec."""

import numpy as np
import pytest

from stagger.protocol import PROTOCOL_VERSION, ProtocolError, encode, messages
from stagger.protocol.trace import TraceReader, TraceWriter
from stagger.protocol.version import PROTOCOL_VERSION

OBS = np.arange(84 * 84, dtype=np.uint8).reshape(84, 84)


def test_write_read_round_trip(tmp_path):
    path = tmp_path / "node.trace"
    sent = [messages.Tick(frame=1).stamped("clock", 0, 1.0),
            messages.Observation(frame=1, episode=0, arrays=(OBS,)).stamped("env-0", 0, 1.01),
            messages.Action(frame=1, action=2).stamped("inference-0", 0, 1.05)]
    with TraceWriter(path, meta={"node": "inference-0"}, flush_every=2) as writer:
        writer.write("in", "ticks", 10.0, encode(sent[0]))
        writer.write("in", "obs", 10.5, encode(sent[1]))  # memoryview frames
        writer.write_message("out", "actions", 11.0, sent[2])
        writer.write("in", "obs", 11.5, [b"\xc1"])  # a bad message is recorded as received
    with TraceReader(path) as reader:
        assert reader.meta == {"node": "inference-0"} and reader.header["protocol"] == PROTOCOL_VERSION
        records = list(reader)
    assert [(r.dir, r.ch, r.t) for r in records] == [("in", "ticks", 10.0), ("in", "obs", 10.5),
                                                       ("out", "actions", 11.0), ("in", "obs", 11.5)]
    decoded = [r.message() for r in records[:3]]
    assert decoded == sent
    np.testing.assert_array_equal(decoded[1].obs, OBS)
    with pytest.raises(ProtocolError):
        records[3].message()


def test_messages_filter_by_direction(tmp_path):
    path = tmp_path / "t.trace"
    with TraceWriter(path) as writer:
        for frame in range(3):
            writer.write_message("in", "ticks", frame, messages.Tick(frame=frame))
        writer.write_message("out", "actions", 3, messages.Action(frame=2))
    with TraceReader(path) as reader:
        assert [m.frame for _, m in reader.messages("in")] == [0, 1, 2]


def test_truncated_tail_is_ignored(tmp_path):
    path = tmp_path / "t.trace"
    with TraceWriter(path) as writer:
        for frame in range(5):
            writer.write_message("in", "ticks", frame, messages.Tick(frame=frame))
    path.write_bytes(path.read_bytes()[:-3])  # killed mid-write
    with TraceReader(path) as reader:
        assert [m.frame for _, m in reader.messages()] == [0, 1, 2, 3]


def test_flush_every(tmp_path):
    path = tmp_path / "t.trace"
    writer = TraceWriter(path, flush_every=2)
    writer.write_message("in", "ticks", 0, messages.Tick(frame=0))
    writer.write_message("in", "ticks", 1, messages.Tick(frame=1))
    with TraceReader(path) as reader:  # readable before close
        assert len(list(reader)) == 2
    writer.close()
    writer.close()


def test_bad_inputs(tmp_path):
    path = tmp_path / "t.trace"
    with TraceWriter(path) as writer, pytest.raises(ValueError):
        writer.write("sideways", "obs", 0.0, [b""])
    other = tmp_path / "other.bin"
    other.write_bytes(b"\x93\x01\x02\x03")
    with pytest.raises(ValueError):
        TraceReader(other)
