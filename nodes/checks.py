"""What a node core accepts beyond the codec's types: the values a well-formed message can still
get wrong (found by fuzzing: tests/test_fuzz_cores.py, benchmarks/fuzz_protocol.py).

Each check returns None (fine) or a rejection ``(reason, detail)``; the core returns it to its
I/O loop, which counts it by reason in the runtime's ``rejected`` counters and logs it
(PROTOCOL.md, Errors). A rejected message changes nothing in the core.
"""
from __future__ import annotations

import math

from stagger.protocol.errors import ProtocolError
from stagger.protocol.topology import decode_on

MAX_FRAME = 2**62  # frames, ticks, anchors, epochs: int64 in the records, 8-byte topics
MAX_SECONDS = 3600.0  # an inference time or latency above an hour is no inference time
MAX_TICKS = 2**31  # a schedule's spacing and needed ticks (2**31 frames: a year at 60 fps)

def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def seconds(value, what: str) -> str | None:
    """Why ``value`` is no time in seconds (finite, 0 to MAX_SECONDS), or None."""
    if not _number(value) or not math.isfinite(value) or not 0.0 <= value <= MAX_SECONDS:
        return f"{what} must be a number of seconds in [0, {MAX_SECONDS:g}], got {value!r}"
    return None


FRAME_FIELDS = ("frame", "action_frame", "land", "last_tick")  # env frames, -1 for "none"


def receive(channel: str, frames) -> tuple[object, tuple | None]:
    """Frames received on ``channel``: (message, None), or (None, (reason, detail)) if the decoder
    or ``on_receipt`` rejects them (Runtime.accept counts it)."""
    try:
        msg = decode_on(channel, frames)
    except ProtocolError as exc:
        return None, (exc.reason, exc)
    rejected = on_receipt(msg)
    return (None, rejected) if rejected else (msg, None)


def on_receipt(msg) -> tuple[str, str] | None:
    """Any message, on receipt (Runtime.accept): its frame numbers are env frames or -1, and a
    PhaseMap is one a Schedule can follow (every receiver's, whatever its state)."""
    if msg.TYPE == "PhaseMap":
        return phase_map(msg)
    if msg.TYPE == "Heartbeats":  # its entries' frames too: each is a Heartbeat on the wire's behalf
        return next((r for beat in msg.beats() if (r := _frames(beat))), None) or _frames(msg)
    return _frames(msg)


def _frames(msg) -> tuple[str, str] | None:
    for name in FRAME_FIELDS:
        value = getattr(msg, name, None)
        if value is not None and not -1 <= value < MAX_FRAME:
            return "frame_range", f"{msg.node}: {msg.TYPE}.{name} must be in [-1, 2**62), got {value}"
    return None


def hello(msg) -> tuple[str, str] | None:
    """A Hello's latency hint (``info.latency_s``: seconds, or absent/None)."""
    hint = msg.info.get("latency_s")
    problem = None if hint is None else seconds(hint, "info.latency_s")
    return ("hello_info", f"{msg.node}: {problem}") if problem else None


def heartbeat(msg) -> tuple[str, str] | None:
    problem = seconds(msg.inference_s, "inference_s")
    return ("heartbeat_value", f"{msg.node}: {problem}") if problem else None


def control(msg) -> tuple[str, str] | None:
    """What the clock checks of a control message (Hello and Heartbeat carry times; a Heartbeats
    is rejected whole if one of its entries would be)."""
    if msg.TYPE == "Heartbeats":
        return next((r for beat in msg.beats() if (r := heartbeat(beat))), None)
    return hello(msg) if msg.TYPE == "Hello" else heartbeat(msg) if msg.TYPE == "Heartbeat" else None


def phase_map(msg) -> tuple[str, str] | None:
    """A PhaseMap a Schedule can follow: ticks in range, 1 <= spacing and needed <= MAX_TICKS."""
    problem = next((f"{name} must be in [0, 2**62), got {value}" for name, value in
                    (("epoch", msg.epoch), ("anchor", msg.anchor)) if not 0 <= value < MAX_FRAME), None)
    if problem is None and not (math.isfinite(msg.spacing) and 1.0 <= msg.spacing <= MAX_TICKS):
        problem = f"spacing must be in [1, 2**31] ticks, got {msg.spacing!r}"
    if problem is None and not 1 <= msg.needed <= MAX_TICKS:
        problem = f"needed must be in [1, 2**31] ticks, got {msg.needed}"
    return ("phase_map_value", f"{msg.node}: PhaseMap {problem}") if problem else None


def experience(msg, first_obs, n_actions: int | None) -> tuple[str, str] | None:
    """An Experience a TransitionBuilder can take: a finite reward, the
    observation's shape and dtype those of the first one taken (``first_obs``), a fresh action
    in [0, n_actions) (the learner's, if it says)."""
    problem = None
    if not math.isfinite(msg.reward):
        problem = f"reward must be finite, got {msg.reward!r}"
    obs = msg.obs
    if problem is None and first_obs is not None and (obs.shape, obs.dtype) != (first_obs.shape, first_obs.dtype):
        problem = (f"observation {obs.dtype}{tuple(obs.shape)}, the first one taken was "
                   f"{first_obs.dtype}{tuple(first_obs.shape)}")
    if problem is None and msg.fresh and n_actions and not 0 <= msg.action < n_actions:
        problem = f"fresh action {msg.action} outside [0, {n_actions})"
    return ("experience_value", f"{msg.node}: Experience {problem}") if problem else None
