"""What a clock started in place of one that exited does differently (launch/clock_restart.py
starts it; PROTOCOL.md, "When the clock restarts"): it binds the dead clock's endpoints, so
every node's sockets reconnect by themselves; it numbers its PhaseMap epochs from
``first_epoch`` (above every epoch the dead clock published); it takes the first message of
each node on ``control`` as that node's sequence baseline (their numbering began with the dead
clock); and its core publishes no map until ``rejoin_grace_s`` after the first node was heard
(``ClockCore.holding``), so the nodes keep the dead clock's last map until a full new one.
"""
from __future__ import annotations

from stagger.protocol.seq import SeqCounter


def config(opts) -> dict:
    """The ClockConfig fields of a restart."""
    return {"first_epoch": opts.first_epoch, "rejoin_grace_s": opts.rejoin_grace_s}


def before_bind(rt, opts, log) -> None:
    """A restarted clock binds where the dead one did: the same ports (tcp, ``opts.ports``) or
    the same paths in the run's ipc directory (``opts.ipc_dir``, nodes/ipc.py: named by node
    and channel); libzmq replaces a socket file a killed process left behind."""
    if opts.first_epoch:
        log.info("restarted clock: epochs from %d; the nodes' re-hellos gathered for %.2f s, then a "
                 "new PhaseMap", opts.first_epoch + 1, opts.rejoin_grace_s)


def after_bind(rt, opts) -> None:
    """The nodes' numbering on ``control`` began with the dead clock: a baseline each."""
    if opts.first_epoch:
        rt.seq_in["control"] = SeqCounter(start=None)
