"""Property tests of the codec (hypothesis, bounded to seconds): decoding anything raises only
ProtocolError with one of its reasons, and every registered type round-trips with arbitrary
field values of the right types."""
import math

import msgpack
import numpy as np
import pytest
from fuzz_strategies import VALUES, bounded, encoded, messages
from hypothesis import assume, given, strategies as st

from stagger.protocol import codec
from stagger.protocol.errors import REASONS, ProtocolError
from stagger.protocol.messages import REGISTRY, SCHEMA

FAST = bounded(100)


def rejects_only(frames):
    """decode(frames) returns a message or raises ProtocolError with a known reason; nothing else."""
    try:
        return codec.decode(frames)
    except ProtocolError as exc:
        assert exc.reason in REASONS
        return None


@FAST
@given(st.lists(st.binary(max_size=300), max_size=5))
def test_arbitrary_bytes_only_ever_raise_protocol_error(frames):
    rejects_only(frames)


def descriptors():
    shape = st.lists(st.integers(-2, 2**64 - 1) | st.sampled_from([0, 1, 4, 16]), max_size=40) | VALUES
    return st.lists(st.tuples(st.sampled_from(["|u1", "<f4", "|O", "U3", "V8", "<i8", "", "|b1"]) | VALUES, shape)
                    .map(list) | VALUES, max_size=3)


@st.composite
def array_frames(draw):
    """Array descriptors and frames that often match in size, with shapes numpy may not hold."""
    pairs = []
    for _ in range(draw(st.integers(0, 2))):
        dtype = draw(st.sampled_from(["|u1", "<f4", "|b1", ">i8"]))
        dims = st.sampled_from([0, 1, 2, 3, 4, 16, 2**31, 2**62, 2**63, 2**64 - 1]) | st.integers(-1, 5)
        shape = draw(st.lists(dims, max_size=draw(st.sampled_from([3, 8, 70]))))
        size = math.prod(shape) * np.dtype(dtype).itemsize
        frame = draw(st.binary(min_size=size, max_size=size) if 0 <= size <= 256 else st.binary(max_size=32))
        pairs.append(([dtype, shape], frame))
    return [d for d, _ in pairs], [f for _, f in pairs]


@FAST
@given(st.sampled_from([*REGISTRY, "Launch"]), st.sampled_from(["1.3", "1.0", "2.0", "1", "x.y"]) | VALUES,
       st.dictionaries(st.sampled_from(sorted({n for s in SCHEMA.values() for n, _ in s})) | st.text(max_size=6),
                       VALUES, max_size=8),
       array_frames() | st.tuples(descriptors(), st.lists(st.binary(max_size=64), max_size=3)))
def test_arbitrary_headers_and_frames_only_ever_raise_protocol_error(name, v, fields, arrays):
    descriptors_, frames = arrays
    header = {"v": v, "type": name, "node": "x", "seq": 0, "t": 0.0, **fields, codec.ARRAYS_KEY: descriptors_}
    rejects_only([msgpack.packb(header, use_bin_type=True), *frames])


@FAST
@given(st.sampled_from(sorted(REGISTRY)), array_frames())
def test_arbitrary_array_descriptors_only_ever_raise_protocol_error(name, arrays):
    descriptors_, frames = arrays
    header = {"v": "1.3", "type": name, "node": "x", "seq": 0, "t": 0.0, "names": ["w"] * len(frames),
              codec.ARRAYS_KEY: descriptors_}
    rejects_only([msgpack.packb(header, use_bin_type=True), *frames])


def test_array_shapes_numpy_cannot_hold_are_malformed_not_a_crash():
    """Regression (found by the fuzz tests): a zero-size array with a dimension of 2**63, or
    more than numpy's 64 dimensions, raised ValueError out of decode."""
    for shape, data in (([0, 2**63], b""), ([0] * 70, b""), ([1] * 70, b"\0"), ([0, 2**40, 2**40], b"")):
        header = codec.pack({"v": "1.3", "type": "Observation", "node": "e", "seq": 0, "t": 0.0,
                             "arrays": [["|u1", shape]]})
        with pytest.raises(ProtocolError) as err:
            codec.decode([header, data])
        assert err.value.reason == "malformed"


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_every_type_round_trips_with_arbitrary_values(name):
    @bounded(40)
    @given(messages(REGISTRY[name], edges=False))
    def round_trip(msg):
        frames = encoded(msg)
        assume(frames is not None)  # the sender's own checks refused it (PhaseMap index widths)
        back = codec.decode(frames)
        assert type(back) is type(msg) and back == msg
        assert len(back.arrays) == len(msg.arrays)
        for a, b in zip(msg.arrays, back.arrays):
            a = np.asarray(a)
            assert a.dtype == b.dtype and a.shape == b.shape
            assert np.array_equal(a, b, equal_nan=a.dtype.kind in "fc")
    round_trip()


def test_nan_fields_travel_as_nan():
    msg = REGISTRY["Heartbeat"](node="n", inference_s=math.nan)
    assert math.isnan(codec.decode(codec.encode(msg)).inference_s)
