"""The shared I/O runtime of every node: context, sockets, send/receive, shutdown, stats.

One zmq Context per process, made after the process starts. Sends never block (a full
queue is a counted drop, never a stall); receives decode through the protocol, and a bad
message is rejected, counted by reason and logged, never raised into the node. Signal
handlers only set a flag. A node whose parent is gone stops.
"""
from __future__ import annotations

import logging
import os
import signal
import socket as pysocket
from collections import Counter

import zmq

from stagger.nodes import checks
from stagger.nodes.core import Out
from stagger.nodes.stats_totals import with_totals
from stagger.nodes.timebase import Clock
from stagger.protocol.seq import SeqCounter
from stagger.protocol.topology import CHANNELS, bind, make_socket, new_subscriptions
from stagger.protocol import codec

log = logging.getLogger("stagger")
TOPIC_CHANNELS = frozenset(name for name, ch in CHANNELS.items() if ch.topic)
REJECT_LOG, REJECT_LOG_EVERY = 10, 1000  # rejections logged per reason: the first 10, then 1 in 1000


# Realtime first: the env (and the nodes whose wake-ups time the actions) get a realtime
# scheduling class when the OS allows it (root or CAP_SYS_NICE); the learner yields.
# (an inference node's forward passes run in a worker thread at normal class, nice -10: nodes/compute.py)
RT_PRIORITY = {"env": 30, "inference": 20, "sequential": 20, "clock": 10}  # the clock is off the action path
LEARNER_NICE = 10


def set_priority(kind: str) -> str:
    """Give this process its kind's scheduling class; returns what was set (for the log)."""
    prio = RT_PRIORITY.get(kind)
    try:
        if prio is not None:
            os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(prio))
            return f"SCHED_FIFO {prio}"
        os.sched_setscheduler(0, os.SCHED_BATCH, os.sched_param(0))
        os.nice(LEARNER_NICE)
        return f"SCHED_BATCH nice {LEARNER_NICE}"
    except (OSError, AttributeError) as exc:
        log.warning("no realtime scheduling for %s (%s): timing will be noisier", kind, exc)
        return "default"


class Runtime:
    """Sockets by channel name, sequence numbers, reject and drop counters."""

    @classmethod
    def for_node(cls, opts, kind: str) -> "Runtime":
        """The runtime a node's ``run(opts)`` uses (``opts``: its nodes.options object): its
        id, bind host, trace file if asked."""
        trace = None
        if opts.trace:
            from pathlib import Path
            from stagger.nodes.options import to_dict
            from stagger.protocol.trace import TraceWriter
            path = Path(opts.run_dir) / "traces" / f"{opts.node_id}.trace"
            path.parent.mkdir(parents=True, exist_ok=True)
            trace = TraceWriter(path, meta={"node": opts.node_id, "kind": kind,
                                            "opts": {k: v for k, v in to_dict(opts).items() if k != "connect"}})
        # before the zmq context: its I/O thread inherits the scheduling class
        priority = set_priority(kind) if opts.realtime_priority else "default"
        from stagger.nodes.security import from_opts  # CurveZMQ in a launched run
        rt = cls(opts.node_id, kind, host=opts.bind_host, trace=trace,
                 security=from_opts(opts), advertise=opts.advertise_host or None)
        rt.hostname = opts.host_label or rt.hostname  # the host as the launcher names it
        rt.install_signal_handlers()
        rt.priority = priority
        rt.ipc = opts.transport == "ipc"
        rt.ipc_dir = opts.ipc_dir or None  # the run's private directory (nodes/ipc.py); else one of its own
        return rt

    def __init__(self, node_id: str, kind: str, *, clock: Clock | None = None, trace=None,
                 host: str = "127.0.0.1", security=None, advertise: str | None = None):
        self.node_id = node_id
        self.kind = kind
        self.clock = clock or Clock()
        self.host = host
        self.hostname = pysocket.gethostname()
        self.ctx = zmq.Context()
        self.sockets: dict[str, zmq.Socket] = {}
        self.endpoints: dict[str, str] = {}
        self.next_seq: Counter = Counter()  # per (channel, peer); consumed only on success
        self.seq_in: dict[str, SeqCounter] = {}
        self.rejected: Counter = Counter()
        self.send_dropped: Counter = Counter()
        self.trace = trace
        self.stop_requested = False
        self._parent = os.getppid()
        self.poller = zmq.Poller()
        self._pollers: dict[tuple, zmq.Poller] = {}
        self.topics: dict[str, set[bytes]] = {}
        self.fds: dict[str, int] = {}  # plain file descriptors polled like channels (watch)
        self.priority = "default"
        self.ipc = False  # bind ipc:// endpoints instead of TCP (single-machine runs)
        self.ipc_dir: str | None = None  # where (nodes/ipc.py); made (and removed) here if not given
        self._own_ipc_dir = False
        self.security = security  # nodes.security.CurveKeys or None (plain TCP)
        self.auth = None  # its ZAP handler, started at the first bind
        self.advertise = advertise  # the address others connect to, when binding 0.0.0.0

    # -- sockets --------------------------------------------------------------------------
    def bind(self, channel: str, port: int = 0) -> str:
        sock = make_socket(self.ctx, channel, "bind")
        if sock.type == zmq.ROUTER:  # a node reconnecting after a cut link takes its id back
            sock.setsockopt(zmq.ROUTER_HANDOVER, 1)
        if self.security is not None:
            if self.auth is None:
                self.auth = self.security.authenticator(self.ctx, log)
            self.security.server(sock)
        try:
            ep = self._bind_ipc(sock, channel) if self.ipc else bind(sock, self.host, port)
        except zmq.ZMQError as exc:
            sock.close(linger=0)
            hint = {zmq.EADDRINUSE: "the port is already in use on this host: free it or choose "
                                    "other ports (stagger launch --base-port)",
                    zmq.EADDRNOTAVAIL: "the address is not one of this host's: check the host's "
                                       "address or bind every interface (--bind-all)"}.get(exc.errno, "")
            raise RuntimeError(f"{self.node_id}: cannot bind {channel} on {self.host}:{port or 'random'}: "
                               f"{exc.strerror}. {hint}") from None
        if self.advertise:
            ep = ep.replace(f"//{self.host}:", f"//{self.advertise}:")
        self.endpoints[channel] = ep
        self._add(channel, sock)
        return self.endpoints[channel]

    def _bind_ipc(self, sock: zmq.Socket, channel: str) -> str:
        """Bind ``ipc://DIR/<node>-<channel>`` in the run's private 0700 directory: reachable
        by this user only (nodes/ipc.py), and about half the latency of TCP loopback."""
        from stagger.nodes import ipc
        if self.ipc_dir is None:
            self.ipc_dir, self._own_ipc_dir = ipc.private_dir(), True
        ipc.check_private(self.ipc_dir)
        ep = ipc.endpoint(self.ipc_dir, self.node_id, channel)
        sock.bind(ep)
        return ep

    def connect(self, channel: str, endpoint: str, *, subscribe_all: bool = True) -> zmq.Socket:
        """Connect to ``channel``. A SUB with ``subscribe_all=False`` receives only the topics
        given to :meth:`subscribe`; its gaps are by design, so it keeps no sequence counter."""
        sock = make_socket(self.ctx, channel, "connect", subscribe=subscribe_all,
                           identity=self.node_id if CHANNELS[channel].connect_type == zmq.DEALER else None)
        if self.security is not None:
            self.security.client(sock)
        sock.connect(endpoint)
        self._add(channel, sock, count=subscribe_all)
        return sock

    def subscribe(self, channel: str, topics: set[bytes]) -> None:
        """Make the SUB on ``channel`` receive exactly ``topics`` (b"" = everything)."""
        sock, have = self.sockets[channel], self.topics.setdefault(channel, set())
        for t in topics - have:
            sock.setsockopt(zmq.SUBSCRIBE, t)
        for t in have - topics:
            sock.setsockopt(zmq.UNSUBSCRIBE, t)
        self.topics[channel] = set(topics)

    def watch(self, name: str, fd: int) -> None:
        """Poll a plain file descriptor (e.g. a compute worker's) as if it were channel ``name``."""
        self.fds[name] = fd
        self.poller.register(fd, zmq.POLLIN)
        self._pollers.clear()

    def _add(self, channel: str, sock: zmq.Socket, count: bool = True) -> None:
        self.sockets[channel] = sock
        if sock.type == zmq.XPUB:  # subscription notices (``new_subscribers``)
            self.poller.register(sock, zmq.POLLIN)
        if sock.type in (zmq.SUB, zmq.PULL, zmq.ROUTER, zmq.DEALER):
            self.poller.register(sock, zmq.POLLIN)
            if count:  # PUB subscribers may join late: the first message seen is the baseline
                self.seq_in[channel] = SeqCounter(start=None if sock.type == zmq.SUB else 0)
            if sock.type == zmq.SUB and count:
                self.topics[channel] = {b""}

    # -- send / receive -------------------------------------------------------------------
    def send(self, out: Out) -> bool:
        """Stamp, encode and send without blocking. False (and counted) if it was dropped."""
        sock = self.sockets.get(channel := out.channel)
        if sock is None:
            return False
        seq_key = (channel, out.to) if out.node is None else (channel, out.to, out.node)  # per id
        msg = with_totals(self, out.msg) if channel == "stats" else out.msg  # + host, losses
        msg = msg.stamped(out.node or self.node_id, self.next_seq[seq_key], self.clock.now())
        frames = codec.encode(msg)
        wire = frames if out.to is None else [out.to] + frames
        if channel in TOPIC_CHANNELS:
            wire = [CHANNELS[channel].topic_of(msg)] + wire
        try:
            sock.send_multipart(wire, flags=zmq.NOBLOCK, copy=False)
        except (zmq.Again, zmq.ZMQError):
            self.send_dropped[out.channel] += 1
            return False
        self.next_seq[seq_key] += 1
        if self.trace is not None:
            self.trace.write("out", out.channel, self.clock.now(), frames)
        return True

    def send_all(self, outs: list[Out]) -> None:
        for out in outs:
            self.send(out)

    def recv(self, channel: str, now: float | None = None):
        """One message from ``channel`` without blocking: (msg, identity), or None if none is waiting;
        a bad one is counted and skipped. ``now``: the receive time for the trace (one per drain)."""
        sock = self.sockets[channel]
        while True:
            if not sock.getsockopt(zmq.EVENTS) & zmq.POLLIN:  # cheaper than a recv raising Again
                return None
            try:
                frames = sock.recv_multipart(flags=zmq.NOBLOCK, copy=False)
            except zmq.Again:
                return None
            now = self.clock.now() if now is None else now
            identity = b""
            if sock.type == zmq.ROUTER:
                identity, frames = frames[0].bytes, frames[1:]
            elif CHANNELS[channel].topic:
                frames = frames[1:]
            if self.trace is not None:
                self.trace.write("in", channel, now, frames)
            if (msg := self.accept(channel, frames)) is not None:
                return msg, identity

    def accept(self, channel: str, frames) -> object | None:
        """Frames received on ``channel`` to a message (seq counted), or None: rejected, counted."""
        msg, rejected = checks.receive(channel, frames)
        if rejected:
            self.reject(channel, *rejected)
        elif channel in self.seq_in:
            self.seq_in[channel].observe(msg.node, msg.seq)
        return None if rejected else msg

    def reject(self, channel: str, reason: str, detail) -> None:
        """Count a rejected message by reason and log it: the first REJECT_LOG of each reason,
        then every REJECT_LOG_EVERY-th (a flood must not cost a realtime node its deadlines)."""
        self.rejected[reason] += 1
        n = self.rejected[reason]
        if n <= REJECT_LOG or n % REJECT_LOG_EVERY == 0:
            log.warning("%s: rejected a message on %s (%s, %d so far): %s", self.node_id, channel,
                        reason, n, detail)

    def new_subscribers(self, channel: str) -> int:
        """Subscriptions that arrived on the XPUB of ``channel`` since the last call."""
        return new_subscriptions(self.sockets[channel])

    def drain(self, channel: str):
        """Every message waiting on ``channel`` (oldest first)."""
        now = self.clock.now()
        return list(iter(lambda: self.recv(channel, now), None))

    def poll(self, timeout_s: float, channels: tuple[str, ...] | None = None) -> set[str]:
        """Wait up to ``timeout_s`` for input (on ``channels`` only, if given); return the
        channels that have some. Input left unread on a polled channel makes this return at
        once: poll only what you will drain."""
        poller = self.poller
        if channels is not None:
            poller = self._pollers.get(channels)
            if poller is None:
                poller = self._pollers[channels] = zmq.Poller()
                for ch in channels:
                    if ch in self.sockets or ch in self.fds:
                        poller.register(self.sockets.get(ch, self.fds.get(ch)), zmq.POLLIN)
        ready = dict(poller.poll(max(0.0, timeout_s) * 1000.0))
        return {ch for ch, s in self.sockets.items() if s in ready} | {n for n, fd in self.fds.items() if fd in ready}

    # -- lifecycle ------------------------------------------------------------------------
    def install_signal_handlers(self) -> None:
        def _flag(signum, frame):
            self.stop_requested = True
        signal.signal(signal.SIGINT, _flag)
        signal.signal(signal.SIGTERM, _flag)

    def should_stop(self) -> bool:
        if os.getppid() != self._parent:  # parent gone: do not outlive it
            self.stop_requested = True
        return self.stop_requested

    def counters(self) -> dict:
        return {"rejected": dict(self.rejected), "send_dropped": dict(self.send_dropped),
                "received": {ch: c.snapshot() for ch, c in self.seq_in.items()}}

    def close(self) -> None:
        for sock in self.sockets.values():
            sock.close()
        if self.auth is not None:
            self.auth.stop()
        self.ctx.term()
        if self.trace is not None:
            self.trace.close()
        if self._own_ipc_dir:
            from stagger.nodes import ipc
            ipc.remove(self.ipc_dir)
