"""Traces: every message a node sends or receives, byte for byte as it was on the wire.

A trace file is a msgpack stream: one header record
``{"format": "stagger-trace", "version": 1, "protocol": "1.4", "meta": {...}}`` then one
record per message ``{"dir": "in"|"out", "ch": channel, "t": local monotonic s,
"frames": [bytes, ...]}`` (message frames only, without a ROUTER's routing id). Replay
decodes the frames through the same codec, so it also replays what was rejected.
"""

from dataclasses import dataclass
from typing import Iterable, Iterator

from . import codec
from .messages import Message
from .version import PROTOCOL_VERSION

FORMAT = "stagger-trace"
TRACE_VERSION = 1
DIRECTIONS = ("in", "out")


@dataclass(frozen=True, slots=True)
class TraceRecord:
    dir: str  # "in" (received) or "out" (sent)
    ch: str  # channel name (protocol.topology.CHANNELS)
    t: float  # the recording node's monotonic time, seconds
    frames: list  # list[bytes], as on the wire

    def message(self, max_bytes: int = codec.MAX_STREAM_BYTES) -> Message:
        """Decode the frames (raises ProtocolError for a message that was bad on the wire)."""
        return codec.decode(self.frames, max_bytes=max_bytes)


class TraceWriter:
    """Append records to ``path``; flushed every ``flush_every`` records and on close."""

    def __init__(self, path, *, meta: dict | None = None, flush_every: int = 256) -> None:
        self.path = path
        self.flush_every = flush_every
        self.count = 0
        self._file = open(path, "wb")
        self._file.write(codec.pack({"format": FORMAT, "version": TRACE_VERSION,
                                     "protocol": PROTOCOL_VERSION, "meta": meta or {}}))

    def write(self, direction: str, channel: str, t: float, frames: Iterable) -> None:
        """Record one message; ``t`` is the local monotonic send or receive time."""
        if direction not in DIRECTIONS:
            raise ValueError(f"direction must be 'in' or 'out', got {direction!r}")
        record = {"dir": direction, "ch": channel, "t": float(t),
                  "frames": [bytes(codec.as_buffer(frame)) for frame in frames]}
        self._file.write(codec.pack(record))
        self.count += 1
        if self.count % self.flush_every == 0:
            self._file.flush()

    def write_message(self, direction: str, channel: str, t: float, msg: Message) -> None:
        self.write(direction, channel, t, codec.encode(msg))

    def flush(self) -> None:
        self._file.flush()

    def close(self) -> None:
        if not self._file.closed:
            self._file.close()

    def __enter__(self) -> "TraceWriter":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class TraceReader:
    """Iterate the records of a trace file; a truncated last record is ignored."""

    def __init__(self, path) -> None:
        self.path = path
        self._file = open(path, "rb")
        self._stream = codec.unpack_stream(self._file)
        header = next(self._stream, None)
        if not (isinstance(header, dict) and header.get("format") == FORMAT):
            self._file.close()
            raise ValueError(f"{path} is not a stagger trace (no {FORMAT!r} header record)")
        if header.get("version") != TRACE_VERSION:
            self._file.close()
            raise ValueError(f"{path}: trace format version {header.get('version')}, expected {TRACE_VERSION}")
        self.header = header
        self.meta = header.get("meta", {})

    def __iter__(self) -> Iterator[TraceRecord]:
        for index, raw in enumerate(self._stream):
            try:
                record = TraceRecord(raw["dir"], raw["ch"], raw["t"], raw["frames"])
            except (TypeError, KeyError):
                raise ValueError(f"{self.path}: record {index} is not a trace record") from None
            yield record

    def messages(self, direction: str | None = None) -> Iterator[tuple[TraceRecord, Message]]:
        """(record, decoded message) pairs, optionally only one direction."""
        for record in self:
            if direction is None or record.dir == direction:
                yield record, record.message()

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> "TraceReader":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
