"""Time as a dependency: the real monotonic clock and a fake one for tests.

Schedules advance by absolute deadlines (``next = start + n * period``); nothing in
``nodes/`` calls ``time.time()`` or ``time.sleep()`` directly.
"""
from __future__ import annotations

import time


class Clock:
    """The real clock: monotonic seconds."""

    def now(self) -> float:
        return time.monotonic()

    def sleep_until(self, deadline: float, spin_s: float = 0.0) -> None:
        """Sleep until ``deadline``; spin for the last ``spin_s`` seconds for precision."""
        remaining = deadline - time.monotonic()
        if remaining > spin_s:
            time.sleep(remaining - spin_s)
        while time.monotonic() < deadline:
            pass


class FakeClock(Clock):
    """A clock that moves only when told to (or when something sleeps on it)."""

    def __init__(self, start: float = 0.0):
        self.t = start

    def now(self) -> float:
        return self.t

    def advance(self, dt: float) -> None:
        self.t += dt

    def sleep_until(self, deadline: float, spin_s: float = 0.0) -> None:
        self.t = max(self.t, deadline)
