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


class CpuMeter:
    """CPU seconds this process used per second of ``clock`` time since it was made (the
    clock node reports it in its Stats; details.json ``clock.cpu_per_s``)."""

    def __init__(self, clock: Clock):
        self.clock = clock
        self.cpu0, self.wall0 = time.process_time(), clock.now()

    def snapshot(self) -> dict:
        cpu, wall = time.process_time() - self.cpu0, self.clock.now() - self.wall0
        return {"cpu_s": cpu, "wall_s": wall, "cpu_per_s": cpu / wall if wall > 0 else 0.0}
