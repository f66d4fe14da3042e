"""What a clock started in place of one that exited does differently (launch/clock_restart.py
starts it; PROTOCOL.md, "When the clock restarts"): it binds the dead clock's endpoints, so
every node's sockets reconnect by themselves; it numbers its PhaseMap epochs from
``first_epoch`` (above every epoch the dead clock published); it takes the first message of
each node on ``control`` as that node's sequence baseline (their numbering began with the dead
clock); and its core publishes no map until ``rejoin_grace_s`` after the first node was heard
(``ClockCore.holding``), so the nodes keep the dead clock's last map until a full new one.
"""
from __future__ import annotations

import os

from stagger.protocol.seq import SeqCounter


def config(opts) -> dict:
    """The ClockConfig fields of a restart."""
    return {"first_epoch": opts.first_epoch, "rejoin_grace_s": opts.rejoin_grace_s}


def before_bind(rt, opts, log) -> None:
    """A restarted clock binds in the dead clock's ipc directory (tcp: ``opts.ports``); libzmq
    replaces a socket file a killed process left behind."""
    if opts.ipc_dir:
        os.makedirs(opts.ipc_dir, mode=0o700, exist_ok=True)
        rt._ipc_dir = opts.ipc_dir  # where Runtime._bind_ipc binds (and what it removes at close)
    if opts.first_epoch:
        log.info("restarted clock: epochs from %d; the nodes' re-hellos gathered for %.2f s, then a "
                 "new PhaseMap", opts.first_epoch + 1, opts.rejoin_grace_s)


def after_bind(rt, opts) -> None:
    """The nodes' numbering on ``control`` began with the dead clock: a baseline each."""
    if opts.first_epoch:
        rt.seq_in["control"] = SeqCounter(start=None)
