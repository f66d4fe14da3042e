"""The socket topology as data: who binds, who connects, socket options, what may travel.

Nodes get sockets only through ``make_socket``; the owner binds a random port with
``bind`` and reports the endpoint (no free-port races). See PROTOCOL.md for the picture.
"""

from dataclasses import dataclass
from typing import Iterable

import zmq

from . import codec
from .errors import ProtocolError
from .messages import KINDS, Message

GiB = 1 << 30
MiB = 1 << 20


@dataclass(frozen=True, slots=True)
class Channel:
    """One logical channel: socket types, node kinds on each side, limits and policy."""

    name: str
    bind_type: int  # zmq socket type of the binding side
    connect_type: int  # zmq socket type of the connecting side
    binders: tuple[str, ...]  # node kinds that may bind it (exactly one per run)
    connectors: tuple[str, ...]  # node kinds that connect to it
    hwm: int  # SNDHWM and RCVHWM, in messages
    linger_ms: int
    types: frozenset[str]  # message types allowed on it
    max_bytes: int  # largest message a receiver accepts
    drop_ok: bool  # True: losing a message is normal (still counted); False: every loss is a fault
    topic: bool = False  # a topic frame (see ``topic_of``) precedes the message frames

    def topic_of(self, msg: Message) -> bytes:
        """The topic frame of ``msg`` on this channel: its env frame as 8 bytes, big-endian,
        so a subscriber can take the frames it starts on and nothing else."""
        return frame_topic(msg.frame)

    def socket_type(self, role: str) -> int:
        if role == "bind":
            return self.bind_type
        if role == "connect":
            return self.connect_type
        raise ValueError(f"role must be 'bind' or 'connect', got {role!r}")


LINGER_MS = 200  # a few hundred ms: unsent messages never hang ctx.term()

CHANNELS: dict[str, Channel] = {
    c.name: c
    for c in (
        # hwm 256: PUB drops the *newest* message at its HWM, so the queue must hold every frame
        # that arrives while a subscriber is busy (60 frames at 1 s inference), or the drained
        # "newest" observation is stale. Measured: hwm 4 lost frames 581-599 of 600.
        Channel("obs", zmq.PUB, zmq.SUB, ("env",), ("inference", "clock", "sequential"),
                256, LINGER_MS, frozenset({"Observation"}), 16 * MiB, True, topic=True),
        Channel("actions", zmq.PULL, zmq.PUSH, ("env",), ("inference", "sequential"),
                256, LINGER_MS, frozenset({"Action"}), 1 * MiB, False),
        # XPUB (a PUB to its subscribers): the clock sees every new subscription and publishes
        # the current Tick and PhaseMap to it at once, instead of at the next periodic resend
        Channel("ticks", zmq.XPUB, zmq.SUB, ("clock",), ("inference", "sequential"),
                4096, LINGER_MS, frozenset({"Tick", "PhaseMap", "Stop"}), 1 * MiB, True),
        Channel("control", zmq.ROUTER, zmq.DEALER, ("clock",),
                ("env", "inference", "learner", "sequential", "supervisor"),
                1024, LINGER_MS, frozenset({"Hello", "Welcome", "Heartbeat", "Heartbeats", "Bye"}), 1 * MiB, False),
        # bound by the env (PUSH) so the env owns every port of its own and starts first;
        # its frame loop waits for the learner's connection (POLLOUT), never afterwards
        Channel("experience", zmq.PUSH, zmq.PULL, ("env",), ("learner", "sequential"),
                4096, LINGER_MS, frozenset({"Experience"}), 16 * MiB, False),
        Channel("weights", zmq.PUB, zmq.SUB, ("learner",), ("inference",),
                4, LINGER_MS, frozenset({"Weights"}), 4 * GiB, False),
        Channel("stats", zmq.PULL, zmq.PUSH, ("supervisor",), tuple(k for k in KINDS if k != "supervisor"),
                1024, LINGER_MS, frozenset({"Stats"}), 16 * MiB, True),
        # the supervisor's fan-out of every Stats it receives, plus its own "run" Stats, for
        # watchers (`stagger top`); nothing subscribed costs nothing, a slow watcher is dropped
        Channel("monitor", zmq.PUB, zmq.SUB, ("supervisor",), ("top",),
                1024, LINGER_MS, frozenset({"Stats"}), 16 * MiB, True),
    )
}


def frame_topic(frame: int) -> bytes:
    """Topic of the messages of env frame ``frame`` (a SUB prefix that matches it alone)."""
    return int(frame).to_bytes(8, "big")


def channel(name_or_channel: "str | Channel") -> Channel:
    if isinstance(name_or_channel, Channel):
        return name_or_channel
    try:
        return CHANNELS[name_or_channel]
    except KeyError:
        raise ValueError(f"unknown channel {name_or_channel!r}; expected one of {sorted(CHANNELS)}") from None


def allowed(ch: "str | Channel", msg_type: str) -> bool:
    """May messages of ``msg_type`` travel on this channel?"""
    return msg_type in channel(ch).types


def decode_on(ch: "str | Channel", frames: Iterable) -> Message:
    """decode() with the channel's size limit; a type not allowed here is "unknown_type"."""
    c = channel(ch)
    msg = codec.decode(frames, max_bytes=c.max_bytes)
    if msg.TYPE not in c.types:
        raise ProtocolError("unknown_type", f"{msg.TYPE} is not allowed on channel {c.name!r}")
    return msg


def make_socket(ctx: zmq.Context, ch: "str | Channel", role: str, *, subscribe: bool = True,
                identity: "str | bytes | None" = None) -> zmq.Socket:
    """A socket for one side of a channel with HWM and linger set.

    A SUB is subscribed to everything unless ``subscribe=False``; a ROUTER has
    ROUTER_MANDATORY (unroutable sends raise instead of vanishing); an XPUB has XPUB_VERBOSE
    (see ``new_subscriptions``); ``identity`` sets the
    routing id of a DEALER (use the node id so the clock can address it).
    """
    c = channel(ch)
    sock = ctx.socket(c.socket_type(role))
    try:
        sock.setsockopt(zmq.LINGER, c.linger_ms)
        sock.setsockopt(zmq.SNDHWM, c.hwm)
        sock.setsockopt(zmq.RCVHWM, c.hwm)
        if sock.type == zmq.SUB and subscribe:
            sock.setsockopt(zmq.SUBSCRIBE, b"")
        if sock.type == zmq.ROUTER:
            sock.setsockopt(zmq.ROUTER_MANDATORY, 1)
        if sock.type == zmq.XPUB:  # report every subscription, not only a topic's first
            sock.setsockopt(zmq.XPUB_VERBOSE, 1)
        if identity is not None:
            sock.setsockopt(zmq.ROUTING_ID, identity.encode() if isinstance(identity, str) else identity)
    except Exception:
        sock.close(linger=0)
        raise
    return sock


def new_subscriptions(sock: zmq.Socket) -> int:
    """Read every subscription notice waiting on an XPUB (without blocking); the number of
    subscribe notices (unsubscribes are read and ignored). A subscriber that just subscribed
    receives whatever is sent after this returns it."""
    count = 0
    while True:
        try:
            notice = sock.recv(zmq.NOBLOCK)
        except zmq.Again:
            return count
        count += bool(notice[:1] == b"\x01")


def endpoint(host: str, port: int) -> str:
    return f"tcp://{host}:{port}"


def bind(sock: zmq.Socket, host: str = "127.0.0.1", port: int = 0) -> str:
    """Bind in the owning node (a random free port unless ``port``); return the endpoint to report."""
    if port:
        sock.bind(endpoint(host, port))
    else:
        port = sock.bind_to_random_port(f"tcp://{host}")
    return endpoint(host, port)
