"""A client that is not part of a run: it connects to every endpoint it is given, the way a
node would (SUB to the PUBs, PULL from experience, PUSH Actions and Stats, DEALER Hello to
control), for a few seconds, and prints what it received and what zmq accepted to send.

    python tests/intruder_client.py ENDPOINTS_JSON SECONDS [UID GID] [--passive]

With UID and GID it drops to that user (groups cleared) after importing, before its zmq
Context exists, so every socket is that user's. --passive: SUB channels only (a control
that watches the run without taking part). Prints one JSON line.
"""
from __future__ import annotations

import json
import os
import sys
import time

import zmq

from stagger.protocol import codec
from stagger.protocol.messages import Action, Hello, Stats
from stagger.protocol.topology import CHANNELS

NODE = "intruder"


def main(argv: list[str]) -> int:
    passive = "--passive" in argv
    args = [a for a in argv if a != "--passive"]
    endpoints, seconds = json.loads(args[0]), float(args[1])
    if len(args) > 3:
        os.setgroups([])
        os.setgid(int(args[3]))
        os.setuid(int(args[2]))
    ctx = zmq.Context()
    socks, received, sent, errors = {}, {}, {}, {}
    for ch, ep in endpoints.items():
        kind = CHANNELS[ch].connect_type
        if passive and kind != zmq.SUB:
            continue
        s = ctx.socket(kind)
        s.linger = 0
        if kind == zmq.SUB:
            s.setsockopt(zmq.SUBSCRIBE, b"")
        if kind == zmq.DEALER:
            s.setsockopt(zmq.IDENTITY, NODE.encode())
        try:
            s.connect(ep)
        except zmq.ZMQError as exc:
            errors[ch] = str(exc)
        socks[ch] = s
        received[ch] = sent[ch] = 0
    seq = 0

    def send(ch: str, msg) -> None:
        nonlocal seq
        try:
            socks[ch].send_multipart(codec.encode(msg.stamped(NODE, seq, time.monotonic())), flags=zmq.NOBLOCK)
            sent[ch] += 1
        except zmq.Again:
            pass
        seq += 1

    deadline, next_send = time.monotonic() + seconds, 0.0
    poller = zmq.Poller()
    for ch, s in socks.items():
        if s.type in (zmq.SUB, zmq.PULL, zmq.DEALER):
            poller.register(s, zmq.POLLIN)
    while time.monotonic() < deadline:
        if time.monotonic() >= next_send:  # 20 times a second: actions for any frame, a Hello, Stats
            next_send = time.monotonic() + 0.05
            if "actions" in socks:
                for frame in range(0, 2000, 50):
                    send("actions", Action(frame=frame, action=1))
            if "control" in socks:
                send("control", Hello(kind="inference", host=NODE, pid=os.getpid()))
            if "stats" in socks:
                send("stats", Stats(kind="env", data={"frame": 10**9}))
        for s, _ in poller.poll(10):
            ch = next(c for c, x in socks.items() if x is s)
            while True:
                try:
                    s.recv_multipart(flags=zmq.NOBLOCK)
                except zmq.Again:
                    break
                received[ch] += 1
    for s in socks.values():
        s.close(linger=0)
    ctx.term()
    print(json.dumps({"uid": os.getuid(), "received": received, "sent": sent, "connect_errors": errors}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
