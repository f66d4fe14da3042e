"""Exploration schedule: epsilon from 1 to 0.05 linearly over 100k steps, rounded (PAPER.md 4.1)."""
from __future__ import annotations

from dataclasses import dataclass


def epsilon(step: int, start: float = 1.0, end: float = 0.05, steps: int = 100_000,
            decimals: int | None = 2) -> float:
    """The paper's 1 - 0.95 * min(step / 100000, 1), rounded to 2 decimals.

    `step` is what the caller counts (the paper: min(actions taken, env frames)).
    `decimals=None` disables the rounding.
    """
    frac = min(max(step, 0) / steps, 1.0) if steps > 0 else 1.0
    value = start - (start - end) * frac
    return value if decimals is None else round(value, decimals)


@dataclass(frozen=True)
class EpsilonSchedule:
    """The same schedule as a configurable callable: `EpsilonSchedule(steps=5000)(step)`."""

    start: float = 1.0
    end: float = 0.05
    steps: int = 100_000
    decimals: int | None = 2

    def __call__(self, step: int) -> float:
        return epsilon(step, self.start, self.end, self.steps, self.decimals)
