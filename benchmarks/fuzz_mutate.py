"""Mutations for benchmarks/fuzz_protocol.py: structure-aware (a header field set to an edge
value of any type, a field deleted, another type or version named, an array descriptor or a
frame changed) and plain bytes (flips, inserts, deletes, splices). The structural half keeps
the header msgpack, so inputs get past the decoder into the cores' value checks; the byte
half tests the decoder itself.
"""
from __future__ import annotations

import functools
import math
import random

SEP = b"\xfe\xfdFRAME\xfd\xfe"  # between the frames of one input
EDGE_INTS = [0, -1, 1, 2, 3, 255, 2**31 - 1, 2**31, 2**53, 2**62 - 1, 2**62, 2**63 - 1, -2**63, 2**64 - 1]
EDGE_FLOATS = [0.0, -0.0, 0.5, 1.0, 1e-300, 1e300, 3600.0, 3600.1, -1.0, math.inf, -math.inf, math.nan]
EDGE_OTHER = [None, True, False, "", "inf00", "x" * 300, "max_time", "none", [], [1, 2], ["inf00", "inf01"],
              [[]], {}, {"latency_s": math.inf}, {"latency_s": "fast"}, {"latency_s": None}, b"\x00"]
DESCRIPTORS = [["|u1", [4, 4]], ["|u1", [16]], ["<f4", [2, 2]], ["|b1", [4, 4]], ["|O", [1]], ["U1", [1]],
               ["|u1", [0, 2**63]], ["|u1", [1] * 40], ["|u1", [-1]], ["|u1", "4"], [], "u1"]
INTERESTING = [b"\x00", b"\xff", b"\x7f", b"\x80", b"\xcf" + b"\xff" * 8, b"\xd3\x80" + b"\x00" * 7,
               b"\xcb\x7f\xf0\x00\x00\x00\x00\x00\x00", b"\xcb\x7f\xf8\x00\x00\x00\x00\x00\x00", b"\xc0"]


@functools.cache
def _protocol():
    """codec, the type names and every field name; imported late, so that the fuzz script can
    import this module before atheris instruments the protocol's."""
    from stagger.protocol import codec
    from stagger.protocol.messages import REGISTRY, SCHEMA
    return codec, sorted(REGISTRY), sorted({name for schema in SCHEMA.values() for name, _ in schema})


def to_input(target_index: int, frames: list[bytes]) -> bytes:
    return bytes([target_index]) + SEP.join(frames)


def edge_value(rng: random.Random):
    pick = rng.randrange(5)
    if pick == 0:
        return rng.choice(EDGE_INTS) * rng.choice((1, 1, -1)) if rng.random() < 0.9 else rng.getrandbits(64)
    if pick == 1:
        return rng.choice(EDGE_FLOATS) if rng.random() < 0.8 else rng.uniform(-1e6, 1e6)
    if pick == 2:
        return rng.choice(EDGE_OTHER)
    if pick == 3:
        return rng.randint(-5, 100)
    return rng.uniform(0.0, 100.0)


def structural(data: bytes, rng: random.Random) -> bytes | None:
    """``data`` with one change to its header or frames, or None if its header is no map."""
    codec, types, fields = _protocol()
    frames = data[1:].split(SEP)
    try:
        header = codec.unpack(frames[0])
    except Exception:  # noqa: BLE001 - not msgpack: leave it to the byte mutations
        return None
    if not isinstance(header, dict):
        return None
    op = rng.randrange(8)
    if op <= 2:  # a field (own, common or any type's) to an edge value
        header[rng.choice([*header, *fields])] = edge_value(rng)
    elif op == 3 and header:
        del header[rng.choice(list(header))]
    elif op == 4:
        header["type"] = rng.choice([*types, "Launch", "", 7])
    elif op == 5:
        header["v"] = rng.choice(["1.3", "1.0", "1.99", "2.0", "0.9", "1", "1.x", "１.3", 1.3, None])
    elif op == 6:
        header[codec.ARRAYS_KEY] = [rng.choice(DESCRIPTORS) for _ in range(rng.randint(0, 2))]
    else:  # a frame more, fewer or of another size
        if rng.random() < 0.5 and len(frames) > 1:
            frames[rng.randrange(1, len(frames))] = rng.randbytes(rng.choice((0, 1, 15, 16, 17, 64)))
        elif rng.random() < 0.5:
            frames.append(rng.randbytes(16))
        else:
            frames = frames[:-1] or frames
    try:
        frames[0] = codec.pack(header)
    except (TypeError, ValueError, OverflowError):
        return None
    return data[:1] + SEP.join(frames)


def bytewise(data: bytes, rng: random.Random, corpus: list[bytes]) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        op, pos = rng.randrange(6), rng.randrange(len(out) + 1)
        if op == 0 and pos < len(out):
            out[pos] ^= 1 << rng.randrange(8)
        elif op == 1:
            out[pos:pos] = rng.randbytes(rng.randint(1, 8))
        elif op == 2:
            del out[pos:pos + rng.randint(1, 16)]
        elif op == 3:
            out[pos:pos + rng.randint(0, 9)] = rng.choice(INTERESTING)
        elif op == 4:  # splice another seed's tail
            other = rng.choice(corpus)
            out[pos:] = other[rng.randrange(len(other)):]
        else:
            out[pos:pos] = SEP
    return bytes(out)


def mutate(data: bytes, rng: random.Random, corpus: list[bytes]) -> bytes:
    """One mutant of ``data``: structural (one to three changes) half the time, else bytewise."""
    if rng.random() < 0.5:
        out = data
        for _ in range(rng.randint(1, 3)):
            out = structural(out, rng) or out
        if out != data:
            return out
    return bytewise(data, rng, corpus)
