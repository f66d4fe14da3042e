"""Codec: zero-copy arrays, version rules and rejection of every kind of bad message."""

import numpy as np
import pytest

from stagger.protocol import ProtocolError, codec, decode, encode, messages

OBS = np.arange(84 * 84, dtype=np.uint8).reshape(84, 84)


def header(**fields):
    base = {"v": "1.0", "type": "Tick", "node": "clock", "seq": 0, "t": 0.0, "frame": 5, "epoch": 1}
    base.update(fields)
    return {k: v for k, v in base.items() if v is not ...}


def reason(frames, **kwargs):
    with pytest.raises(ProtocolError) as err:
        decode(frames, **kwargs)
    return err.value.reason


def obs_frames():
    return [bytes(f) for f in encode(messages.Observation(frame=1, arrays=(OBS,)))]


def test_zero_copy_decode():
    frames = obs_frames()
    buf = bytearray(frames[1])
    msg = decode([frames[0], buf])
    assert np.shares_memory(msg.obs, np.frombuffer(buf, np.uint8))
    buf[0] = 99  # the array is a view of the frame, not a copy
    assert msg.obs[0, 0] == 99


def test_zero_copy_encode_and_contiguity():
    frames = encode(messages.Observation(arrays=(OBS,)))
    assert np.shares_memory(np.frombuffer(frames[1], np.uint8), OBS)
    strided = np.asfortranarray(np.arange(12, dtype=np.int32).reshape(3, 4))
    out = decode(encode(messages.Observation(arrays=(strided,))))
    np.testing.assert_array_equal(out.obs, strided)


def test_decode_accepts_memoryviews_and_zero_dim_and_empty_arrays():
    arrays = (np.float64(3.5) * np.ones(()), np.zeros((0, 4), np.int16), np.array([True, False]))
    msg = messages.Weights(names=["s", "e", "b"], arrays=arrays)
    out = decode(encode(msg))  # memoryview frames straight from encode
    assert out.arrays[0].shape == () and out.arrays[0] == 3.5
    assert out.arrays[1].shape == (0, 4) and out.arrays[1].dtype == np.int16
    assert out.arrays[2].tolist() == [True, False]


def test_big_endian_arrays_keep_their_byte_order():
    big = np.arange(5, dtype=">f4")
    out = decode(encode(messages.Observation(arrays=(big,))))
    assert out.obs.dtype == np.dtype(">f4") and out.obs.tolist() == [0, 1, 2, 3, 4]


def test_higher_minor_accepted_and_unknown_fields_ignored():
    msg = decode([codec.pack(header(v="1.7", future_field=[1, 2], another={"x": 1}))])
    assert isinstance(msg, messages.Tick) and msg.frame == 5


def test_missing_own_field_takes_default():
    msg = decode([codec.pack(header(epoch=...))])
    assert msg.epoch == 0 and msg.frame == 5


@pytest.mark.parametrize("v", ["2.0", "0.9", "1", "one.zero", 1.0, None])
def test_other_major_or_bad_version_rejected(v):
    assert reason([codec.pack(header(v=v))]) == "version"


def test_unknown_type():
    assert reason([codec.pack(header(type="Teleport"))]) == "unknown_type"


@pytest.mark.parametrize("frames", [
    [b"\xc1"],  # never-used msgpack byte
    [b"\x92\x01"],  # truncated array
    [codec.pack(header()) + b"\x00"],  # trailing bytes
    [codec.pack([1, 2, 3])],  # not a map
    [codec.pack({1: 2})],  # non-string key
    [codec.pack({**header(), 5: "x"})],  # header keys are strings
    [codec.pack(header(v=...))],  # no version
    [codec.pack(header(type=...))],  # no type
    [codec.pack(header(type=7))],
    [codec.pack(header(node=...))],  # missing common field
    [codec.pack(header(seq=...))],
    [codec.pack(header(frame="5"))],  # wrong field types
    [codec.pack(header(frame=5.0))],
    [codec.pack(header(frame=True))],
    [codec.pack(header(t="now"))],
    [codec.pack(header(type="Heartbeat", inference_s=False))],  # bool is not a float
    [codec.pack(header(type="PhaseMap", order="ab"))],
    [codec.pack(header(type="Hello", info=[1]))],
    [codec.pack(header(type="Experience", fresh=1, arrays=[["|u1", [2]]])), b"ab"],
    [codec.pack(header(type="Observation"))],  # Observation without its array
    [codec.pack(header(arrays="no"))],
    [codec.pack(header(arrays=[["|O", [1]]])), b"12345678"],  # object dtype
    [codec.pack(header(arrays=[["<U1", [1]]])), b"abcd"],  # text dtype
    [codec.pack(header(arrays=[["|u1", [-1]]])), b""],  # negative dim
    [codec.pack(header(arrays=[["|u1"]])), b"a"],
])
def test_malformed(frames):
    assert reason(frames) == "malformed"


def test_ext_types_rejected():
    import msgpack  # building a hostile frame only

    frames = [msgpack.packb(header(extra=msgpack.ExtType(5, b"x")), use_bin_type=True)]
    assert reason(frames) == "malformed"


def test_frame_count_mismatch():
    frames = obs_frames()
    assert reason(frames[:1]) == "frames"
    assert reason(frames + [b"extra"]) == "frames"
    assert reason([]) == "frames"


def test_byte_size_mismatch():
    frames = obs_frames()
    assert reason([frames[0], frames[1][:-1]]) == "frames"
    assert reason([frames[0], frames[1] + b"x"]) == "frames"


def test_over_size_limit():
    frames = obs_frames()
    total = sum(len(f) for f in frames)
    assert decode(frames, max_bytes=total).frame == 1
    assert reason(frames, max_bytes=total - 1) == "size"


def test_error_reasons_are_closed():
    with pytest.raises(ValueError):
        ProtocolError("whatever")
    err = ProtocolError("size", "too big")
    assert (err.reason, err.detail, str(err)) == ("size", "too big", "size: too big")
