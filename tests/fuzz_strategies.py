"""Hypothesis strategies for the fuzz tests: wire values, messages of every registered type with
arbitrary field values of the right types (biased to edge values and to values a core's state
makes interesting), and whole inputs for the fuzz targets (typed, header-mutated or raw)."""
import math

import msgpack
import numpy as np
from hypothesis import HealthCheck, settings, strategies as st
from hypothesis.extra import numpy as hnp

from stagger.benchmarks.fuzz_targets import MEMBERS, OBS_SHAPE
from stagger.protocol import codec
from stagger.protocol.errors import ProtocolError
from stagger.protocol.messages import INT_LIST, REGISTRY, SCHEMA, STR_LIST
from stagger.protocol.topology import CHANNELS


def bounded(n: int) -> settings:
    return settings(max_examples=n, deadline=None, database=None, suppress_health_check=list(HealthCheck))


INT64 = st.integers(-2**63, 2**63 - 1)
WIRE_INT = st.integers(-2**63, 2**64 - 1)  # what msgpack can carry
SCALARS = (st.none() | st.booleans() | WIRE_INT | st.floats(allow_nan=False) | st.text(max_size=20)
           | st.binary(max_size=20))
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4)
                      | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=12)
EDGE_INTS = st.sampled_from([0, -1, 1, 2, 3, 4, 5, 10, 11, 12, 13, 20, 2**31, 2**62 - 1, 2**62, 2**63 - 1, -2**63])
EDGE_FLOATS = st.sampled_from([0.0, -0.0, 1e-9, 0.05, 1.0, 1.5, 3600.0, 3600.5, 1e300, -1.0, math.inf, -math.inf,
                               math.nan])
NODES = st.sampled_from([*MEMBERS, "inf02", "env", "", "clock"]) | st.text(max_size=8)
DTYPES = st.sampled_from(["|u1", "|i1", "<i2", ">i4", "<u8", "<f4", ">f8", "<c8", "|b1", "<f2"])


def field_values(kind, edges: bool = True):
    """Values of one field type; ``edges``: also the values where cores draw their lines."""
    ints = st.one_of(EDGE_INTS, INT64) if edges else INT64
    floats = st.one_of(EDGE_FLOATS, st.floats()) if edges else st.floats(allow_nan=False)
    if kind is int:
        return ints
    if kind is float:
        return floats
    if kind is bool:
        return st.booleans()
    if kind is str:
        return NODES | st.sampled_from(["inference", "env", "max_time", "exp_time", "none"]) if edges \
            else st.text(max_size=30)
    if kind == STR_LIST:
        return st.lists(NODES if edges else st.text(max_size=10), max_size=5)
    if kind == INT_LIST:
        return st.lists(ints, max_size=5)
    if kind is dict:
        hints = st.fixed_dictionaries({}, optional={"latency_s": floats | VALUES, "warmed_up": VALUES})
        return (hints | st.dictionaries(st.text(max_size=8), VALUES, max_size=5)) if edges else \
            st.dictionaries(st.text(max_size=8), VALUES, max_size=5)
    if kind is bytes:
        return st.binary(max_size=64)
    if kind == list[dict]:  # Heartbeats entries (1.4): a str node and Heartbeat fields
        return st.lists(st.fixed_dictionaries({"node": NODES}, optional={
            "inference_s": floats, "last_tick": ints, "count": ints, "busy": st.booleans()}), max_size=4)
    raise AssertionError(f"no strategy for field type {kind}")


def arrays(n: int, obs_like: bool = False):
    one = hnp.arrays(DTYPES, hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=5))
    if obs_like:  # mostly what the cores expect, so the values behind the array get tested
        one = hnp.arrays(np.uint8, OBS_SHAPE) | one
    return st.lists(one, min_size=n, max_size=n).map(tuple)


@st.composite
def messages(draw, cls, edges: bool = True):
    kwargs = {name: draw(field_values(kind, edges)) for name, kind in SCHEMA[cls]}
    if edges:
        kwargs["node"] = draw(NODES)
    if cls.TYPE == "PhaseMap":  # 1.4 compact order: index_width 2 or 4, whole numbers of it
        kwargs["index_width"] = width = draw(st.sampled_from([2, 4]))
        kwargs["order_index"] = draw(st.binary(max_size=8).map(lambda b: b[:len(b) - len(b) % width]))
    n = len(kwargs["names"]) if cls.N_ARRAYS is None else cls.N_ARRAYS
    kwargs["arrays"] = draw(arrays(n, obs_like=edges))
    return cls(**kwargs)


def encoded(msg) -> list[bytes] | None:
    """The frames of ``msg``, or None if the sender's own checks refuse it (encode raises)."""
    try:
        return [bytes(f) for f in codec.encode(msg)]
    except ProtocolError:
        return None


@st.composite
def mutated(draw, frames):
    """``frames`` with the header changed: a key set to any value, or deleted."""
    header = msgpack.unpackb(frames[0], raw=False)
    key = draw(st.sampled_from([*header, "v", "type", "arrays"]) | st.text(max_size=6))
    if draw(st.booleans()) and key in header:
        del header[key]
    else:
        header[key] = draw(VALUES)
    return [msgpack.packb(header, use_bin_type=True), *frames[1:]]


def one_input(channel: str):
    """One message's frames for ``channel``: well typed (any type, mostly the channel's), with a
    mutated header, or raw bytes."""
    allowed = sorted(CHANNELS[channel].types)
    typed = st.sampled_from(allowed + allowed + sorted(REGISTRY)).flatmap(
        lambda name: messages(REGISTRY[name])).map(encoded).filter(lambda frames: frames is not None)
    return st.one_of(typed, typed, typed.flatmap(mutated), st.lists(st.binary(max_size=100), max_size=3))
