"""Wire codec: one msgpack header frame, then one raw frame per array. Never pickle.

This is the only module that imports msgpack; its options are pinned here.
Array frames are zero-copy both ways: ``encode`` returns memoryviews of C-contiguous
arrays, ``decode`` wraps the received buffers with ``np.frombuffer`` (read-only views
that keep the frames alive).
"""

import math
import re
import threading
from typing import Any, BinaryIO, Iterable, Iterator

import msgpack
import numpy as np

from .errors import ProtocolError
from .messages import REGISTRY, Message
from .version import check_version

DEFAULT_MAX_BYTES = 64 << 20  # whole message (all frames); channels set their own
ARRAYS_KEY = "arrays"  # header key: [[dtype.str, [dim, ...]], ...], one per array frame
ARRAY_KINDS = frozenset("biufc")  # bool, int, uint, float, complex: no object, void or text dtypes
_DTYPE = re.compile(r"[<>|=]?[biufc][0-9]{1,2}")  # the form of dtype.str for those kinds
MAX_STREAM_BYTES = 2**32 - 1  # largest record a trace stream may hold
MAX_DIMS = 32  # dimensions an array may have (numpy's own limit is 64)


def _no_ext(code: int, data: bytes) -> Any:
    raise ValueError(f"msgpack extension type {code} is not allowed")


_PACK = {"use_bin_type": True, "datetime": False}
_UNPACK = {"raw": False, "strict_map_key": True, "use_list": True, "timestamp": 0, "ext_hook": _no_ext}


_packers = threading.local()  # one reusable Packer per thread (a Packer is not shared between threads)


def pack(obj: Any) -> bytes:
    """msgpack with the pinned options (headers, trace records)."""
    packer = getattr(_packers, "packer", None)
    if packer is None:
        packer = _packers.packer = msgpack.Packer(**_PACK)
    return packer.pack(obj)  # resets itself, also after a failed pack


def unpack(data: Any) -> Any:
    """Inverse of pack; raises whatever msgpack raises."""
    return msgpack.unpackb(data, **_UNPACK)


def unpack_stream(file: BinaryIO) -> Iterator[Any]:
    """Objects from a stream of concatenated pack() outputs; stops at a truncated tail."""
    return iter(msgpack.Unpacker(file, max_buffer_size=MAX_STREAM_BYTES, **_UNPACK))


def encode(msg: Message) -> list:
    """Frames for ``send_multipart``: [header bytes, *array memoryviews]."""
    header = msg.to_wire()
    frames: list = [b""]
    if msg.arrays:
        descriptors = []
        for array in msg.arrays:
            array = array if type(array) is np.ndarray else np.asarray(array)
            dtype = array.dtype
            if dtype.kind not in ARRAY_KINDS:
                raise ProtocolError("malformed", f"{msg.TYPE}: dtype {dtype} cannot travel (numeric and bool only)")
            descriptors.append([dtype.str, list(array.shape)])
            if not array.flags.c_contiguous:
                array = np.ascontiguousarray(array)  # the only copy, and only then
            frames.append(memoryview(array.reshape(-1).view(np.uint8)))
        header[ARRAYS_KEY] = descriptors
    try:
        frames[0] = pack(header)
    except (TypeError, ValueError, OverflowError) as exc:
        raise ProtocolError("malformed", f"{msg.TYPE}: header cannot be packed: {exc}") from None
    return frames


def decode(frames: Iterable, max_bytes: int = DEFAULT_MAX_BYTES) -> Message:
    """Frames (bytes, memoryview or zmq.Frame) to a Message, or ProtocolError."""
    buffers = [as_buffer(frame) for frame in frames]
    if not buffers:
        raise ProtocolError("frames", "no frames")
    total = sum(buf.nbytes for buf in buffers)
    if total > max_bytes:
        raise ProtocolError("size", f"{total} bytes over the limit of {max_bytes}")
    try:
        header = unpack(buffers[0])
    except Exception as exc:  # any msgpack failure is the sender's fault, never ours
        raise ProtocolError("malformed", f"header is not msgpack: {exc}") from None
    if not isinstance(header, dict):
        raise ProtocolError("malformed", f"header is a {type(header).__name__}, not a map")
    for key in ("v", "type"):
        if key not in header:
            raise ProtocolError("malformed", f"header has no {key!r}")
    check_version(header["v"])
    name = header["type"]
    if not isinstance(name, str):
        raise ProtocolError("malformed", f"type must be a string, got {type(name).__name__}")
    cls = REGISTRY.get(name)
    if cls is None:
        raise ProtocolError("unknown_type", f"unknown message type {name!r}")
    descriptors = header.get(ARRAYS_KEY, [])
    if not isinstance(descriptors, list):
        raise ProtocolError("malformed", f"{ARRAYS_KEY!r} must be a list")
    if len(descriptors) != len(buffers) - 1:
        raise ProtocolError("frames", f"{name}: header lists {len(descriptors)} arrays, {len(buffers) - 1} frames follow")
    arrays = tuple(_array(name, desc, buf) for desc, buf in zip(descriptors, buffers[1:]))
    return cls.from_wire(header, arrays)


def as_buffer(frame: Any) -> memoryview:
    """A flat byte view of a frame without copying (zmq.Frame exposes ``.buffer``)."""
    try:
        view = frame if isinstance(frame, memoryview) else memoryview(getattr(frame, "buffer", frame))
        if view.ndim != 1 or view.format != "B":
            view = view.cast("B")
    except (TypeError, ValueError) as exc:
        raise ProtocolError("malformed", f"frame is not a contiguous buffer: {exc}") from None
    return view


_CHECKED: dict[tuple, tuple] = {}  # (dtype string, shape) -> (dtype, bytes): descriptors already checked
CHECKED_MAX = 256  # distinct descriptors remembered (a stream of odd ones is checked every time)


def _array(name: str, descriptor: Any, buf: memoryview) -> np.ndarray:
    """The array a frame holds, as its descriptor says; the checks below run once per distinct
    descriptor (an env sends the same one every frame)."""
    if type(descriptor) is list and len(descriptor) == 2 and type(descriptor[0]) is str \
            and type(descriptor[1]) is list and all(type(d) is int for d in descriptor[1]):
        key = (descriptor[0], tuple(descriptor[1]))
        known = _CHECKED.get(key)
        if known is not None:
            dtype, expected = known
            if buf.nbytes == expected and expected:
                return np.frombuffer(buf, dtype=dtype).reshape(key[1])
        array = _checked_array(name, descriptor, buf)
        if len(_CHECKED) < CHECKED_MAX:
            _CHECKED[key] = (array.dtype, array.nbytes)
        return array
    return _checked_array(name, descriptor, buf)


def _checked_array(name: str, descriptor: Any, buf: memoryview) -> np.ndarray:
    try:
        dtype_str, shape = descriptor
        if not (isinstance(dtype_str, str) and isinstance(shape, list)):
            raise TypeError("descriptor must be [dtype string, shape list]")
        if not _DTYPE.fullmatch(dtype_str):
            raise TypeError(f"dtype {dtype_str!r} not allowed (numeric and bool only)")
        if len(shape) > MAX_DIMS or not all(isinstance(dim, int) and not isinstance(dim, bool) and dim >= 0
                                            for dim in shape):
            raise TypeError(f"bad shape {shape!r} (at most {MAX_DIMS} dimensions, each an int >= 0)")
        dtype = np.dtype(dtype_str)
    except (TypeError, ValueError) as exc:
        raise ProtocolError("malformed", f"{name}: bad array descriptor {descriptor!r}: {exc}") from None
    if dtype.kind not in ARRAY_KINDS:
        raise ProtocolError("malformed", f"{name}: dtype {dtype_str!r} not allowed (numeric and bool only)")
    expected = math.prod(shape) * dtype.itemsize
    if buf.nbytes != expected:
        raise ProtocolError("frames", f"{name}: array {dtype_str}{tuple(shape)} needs {expected} bytes, frame has {buf.nbytes}")
    try:  # an empty array can still name dimensions numpy cannot hold ([0, 2**63])
        return np.empty(shape, dtype) if expected == 0 else np.frombuffer(buf, dtype=dtype).reshape(shape)
    except (ValueError, OverflowError) as exc:
        raise ProtocolError("malformed", f"{name}: array {dtype_str}{tuple(shape)}: {exc}") from None
