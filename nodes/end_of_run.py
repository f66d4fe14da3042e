"""The clock's side of the end of a run: Stop to every node, then their Byes.

When the clock is told to stop (SIGTERM from the supervisor, once the env has stopped), it
publishes a Stop on ``ticks`` and keeps reading ``control`` until every inference member has
said Bye or ``STOP_GRACE_S`` has passed. ``ticks`` is a PUB (a message may be dropped), so
the Stop is repeated every ``STOP_RESEND_S`` while members remain. The Byes are counted in
the clock's events (``details.json``: ``nodes.<id>.byes``, ``clock_events``).
"""
from __future__ import annotations

from stagger.nodes.clock import ClockCore, describe

STOP_GRACE_S = 1.0  # how long the clock waits for the members' Byes
STOP_RESEND_S = 0.25  # the Stop is repeated this often while members remain


def end_of_run(rt, core: ClockCore, log, logged: int) -> None:
    """Stop to everyone, then take the members' Byes for up to STOP_GRACE_S (they are counted
    in the clock's events, so a node's Bye sent on a Stop is part of the run's record)."""
    clock = rt.clock
    log.info("end of run: Stop to %d member(s)", len(core.members.members))
    now = clock.now()
    end, next_stop = now + STOP_GRACE_S, now
    while True:
        if now >= next_stop:  # at once, then again while members remain (PUB may drop it)
            next_stop = now + STOP_RESEND_S
            rt.send_all(core.stop("end of run", now))
        if not core.members.of_kind("inference") or now >= end:
            break
        if rt.poll(min(end, next_stop) - now, ("control",)):
            for msg, identity in rt.drain("control"):
                rt.send_all(core.handle(msg, clock.now(), identity))
        now = clock.now()
    for rejected in core.rejects:
        rt.reject("control", *rejected)
    core.rejects.clear()
    for ev in core.events[logged:]:
        log.info("%s", describe(ev))
    if core.members.members:
        log.warning("no Bye within %g s from %s", STOP_GRACE_S, ", ".join(sorted(core.members.members)))
