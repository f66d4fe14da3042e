"""Message types: frozen slotted dataclasses, one per wire type, registered in REGISTRY.

Schema evolution (see PROTOCOL.md): new fields are appended with a default and a field's
type never changes. On receipt unknown header keys are ignored and a missing own field
takes its default; the common fields ``node``, ``seq``, ``t`` are required.
"""

import dataclasses
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from .errors import ProtocolError
from .fields import DICT_LIST, INT_LIST, STR_LIST, check as _check, plain as _plain  # noqa: F401 (re-exported)
from .version import PROTOCOL_VERSION

KINDS = ("env", "clock", "inference", "learner", "sequential", "supervisor")
COMMON = ("node", "seq", "t")


@dataclass(frozen=True, slots=True, kw_only=True)
class Message:
    """Common header fields; ``arrays`` travel as raw frames after the header."""

    TYPE: ClassVar[str] = ""
    N_ARRAYS: ClassVar[int | None] = 0  # arrays a type carries; None: the type checks itself

    node: str = ""
    seq: int = 0
    t: float = 0.0
    arrays: tuple = field(default=(), compare=False, repr=False)

    def stamped(self, node: str, seq: int, t: float) -> "Message":
        """A copy with the sender's id, sequence number and monotonic time filled in."""
        return dataclasses.replace(self, node=node, seq=seq, t=t)

    def to_wire(self) -> dict:
        """The header map (without array descriptors): ``v``, ``type`` and every field."""
        cls = type(self)
        header = {"v": PROTOCOL_VERSION, "type": cls.TYPE}
        for name, kind, exact in FAST[cls]:  # a value of the field's exact type needs no check
            value = getattr(self, name)
            header[name] = value if type(value) is exact else _check(cls, name, kind, _plain(kind, value))
        self._check_arrays()
        return header

    @classmethod
    def from_wire(cls, header: dict, arrays: tuple = ()) -> "Message":
        """Build from a decoded header; ProtocolError("malformed") on a missing or mistyped field."""
        kwargs = {}
        for name, kind, exact in FAST[cls]:
            if name in header:
                value = header[name]
                kwargs[name] = value if type(value) is exact else _check(cls, name, kind, value)
            elif name in COMMON:
                raise ProtocolError("malformed", f"{cls.TYPE}: missing field {name!r}")
        msg = cls(arrays=tuple(arrays), **kwargs)
        msg._check_arrays()
        return msg

    def _check_arrays(self) -> None:
        expected = self.N_ARRAYS
        if expected is not None and len(self.arrays) != expected:
            raise ProtocolError("malformed", f"{self.TYPE} carries {expected} array(s), got {len(self.arrays)}")


@dataclass(frozen=True, slots=True, kw_only=True)
class Hello(Message):
    """A node announces itself on the control channel (kind is one of KINDS)."""

    kind: str = ""
    host: str = ""
    pid: int = 0
    info: dict = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class Welcome(Message):
    """The clock's answer to a Hello: accepted or rejected with a reason, and what a joining
    node needs to take part (1.2: the env's action range and observation, every endpoint,
    the heartbeat period and timeout)."""

    to: str = ""
    accepted: bool = True
    reason: str = ""
    info: dict = field(default_factory=dict)
    n_actions: int = 0
    policy_actions: int = 0
    obs_shape: list[int] = field(default_factory=list)
    obs_dtype: str = ""
    endpoints: dict = field(default_factory=dict)
    heartbeat_s: float = 0.0
    timeout_s: float = 0.0
    member: int = -1  # 1.4: the member's number in compact PhaseMaps (-1: none given)


@dataclass(frozen=True, slots=True, kw_only=True)
class Heartbeat(Message):
    """Liveness plus the inference timings the staggering algorithms need (seconds)."""

    busy: bool = False
    last_tick: int = -1
    inference_s: float = 0.0
    inference_mean_s: float = 0.0
    inference_max_s: float = 0.0
    count: int = 0
    inference_real_s: float = 0.0  # 1.1: the real compute part of inference_s (the rest is padding)


@dataclass(frozen=True, slots=True, kw_only=True)
class Heartbeats(Message):
    """(1.4) Heartbeats of several members of one process: ``alive``, ids with nothing new (a
    Heartbeat at its defaults); ``entries``, one map per reporting member: ``node`` (its id) and
    any Heartbeat field (defaults for the rest). Its own ``node`` and ``seq`` are the process's."""

    alive: list[str] = field(default_factory=list)
    entries: list[dict] = field(default_factory=list)

    def _check_arrays(self) -> None:  # the hook both from_wire and to_wire call
        Message._check_arrays(self)
        for entry in self.entries:
            if not isinstance(entry.get("node"), str):
                raise ProtocolError("malformed", "Heartbeats: every entry needs a str 'node'")
            for name, kind in BEAT_FIELDS:
                if name in entry:
                    _check(Heartbeat, name, kind, entry[name])

    def beats(self) -> list[Heartbeat]:
        """One Heartbeat per entry, as if each member had sent its own (unknown keys ignored)."""
        return [Heartbeat(node=e["node"], seq=self.seq, t=self.t,
                          **{name: e[name] for name, _ in BEAT_FIELDS if name in e}) for e in self.entries]


@dataclass(frozen=True, slots=True, kw_only=True)
class Bye(Message):
    """A node leaves on purpose."""

    reason: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Stop(Message):
    """The run is over (1.2): the clock tells every node to send its Bye and exit."""

    reason: str = ""
    frame: int = -1


@dataclass(frozen=True, slots=True, kw_only=True)
class Tick(Message):
    """One scheduling tick, locked to an env frame."""

    frame: int = 0
    epoch: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class PhaseMap(Message):
    """Which ticks each inference node starts on: node order[i] starts at anchor + i*spacing (mod period)."""

    epoch: int = 0
    anchor: int = 0
    spacing: float = 0.0
    order: list[str] = field(default_factory=list)
    period: float = 0.0
    algorithm: str = ""
    t_estimate_s: float = 0.0
    needed: int = 1
    # 1.4, compact maps: the order as member numbers (Welcome.member), ``index_width`` bytes
    # each, little-endian; ``order`` is then empty (sent only when every member reads them)
    order_index: bytes = b""
    index_width: int = 2

    def _check_arrays(self) -> None:
        Message._check_arrays(self)
        if self.index_width not in (2, 4) or len(self.order_index) % self.index_width:
            raise ProtocolError("malformed", f"PhaseMap: order_index of {len(self.order_index)} bytes, "
                                             f"index_width {self.index_width} (2 or 4)")

    def numbers(self) -> np.ndarray:
        """The member numbers of a compact map's order (empty for a map that names its members)."""
        return np.frombuffer(self.order_index, dtype=f"<u{self.index_width}")


@dataclass(frozen=True, slots=True, kw_only=True)
class Observation(Message):
    """The env's newest frame; arrays = (obs,)."""

    N_ARRAYS: ClassVar[int | None] = 1
    frame: int = 0
    episode: int = 0

    @property
    def obs(self) -> np.ndarray:
        return self.arrays[0]


@dataclass(frozen=True, slots=True, kw_only=True)
class Action(Message):
    """A fresh action computed from the observation of ``frame``."""

    frame: int = 0
    action: int = 0
    inference_s: float = 0.0
    weights_version: int = 0
    greedy: bool = False
    land: int = -1
    inference_real_s: float = 0.0  # 1.1: the real compute part of inference_s (the rest is padding)


@dataclass(frozen=True, slots=True, kw_only=True)
class Experience(Message):
    """What happened at one env frame; arrays = (obs of this frame,)."""

    N_ARRAYS: ClassVar[int | None] = 1
    frame: int = 0
    episode: int = 0
    action: int = 0
    fresh: bool = False
    action_frame: int = -1
    reward: float = 0.0
    terminated: bool = False
    truncated: bool = False

    @property
    def obs(self) -> np.ndarray:
        return self.arrays[0]


@dataclass(frozen=True, slots=True, kw_only=True)
class Weights(Message):
    """Model parameters; one array per name, in order."""

    N_ARRAYS: ClassVar[int | None] = None
    version: int = 0
    updates: int = 0
    names: list[str] = field(default_factory=list)

    def _check_arrays(self) -> None:
        if len(self.arrays) != len(self.names):
            raise ProtocolError("malformed", f"Weights: {len(self.names)} names but {len(self.arrays)} arrays")

    def as_dict(self) -> dict[str, np.ndarray]:
        return dict(zip(self.names, self.arrays))


@dataclass(frozen=True, slots=True, kw_only=True)
class Stats(Message):
    """Periodic metrics from any node to the supervisor."""

    kind: str = ""
    data: dict = field(default_factory=dict)


# The one place message types are registered: wire name -> class.
REGISTRY: dict[str, type[Message]] = {}
SCHEMA: dict[type[Message], tuple[tuple[str, object], ...]] = {}
for _cls in (Hello, Welcome, Heartbeat, Bye, Tick, PhaseMap, Observation, Action, Experience, Weights, Stats,
             Stop, Heartbeats):
    _cls.TYPE = _cls.__name__
    REGISTRY[_cls.TYPE] = _cls
    SCHEMA[_cls] = tuple((f.name, f.type) for f in dataclasses.fields(_cls) if f.name != "arrays")
# per field, the one type whose values pass _plain and _check unchanged (None: always checked)
FAST = {c: tuple((n, k, k if k in (int, float, str, bool, bytes) else None) for n, k in s) for c, s in SCHEMA.items()}
BEAT_FIELDS = tuple((name, kind) for name, kind in SCHEMA[Heartbeat] if name not in COMMON)
