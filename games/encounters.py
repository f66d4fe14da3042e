"""The encounter list: user-made PyBoy save states walked in story order (PAPER.md 5.2).

Each episode starts from the current encounter's state; an encounter is repeated until an
episode of it is won, then the walk moves to the next. After the last one it starts over
(`laps` counts full passes). `progress()` is what a run summary reports.
"""

from __future__ import annotations

import re
from pathlib import Path

STATE_SUFFIX = ".state"


def natural_key(name: str) -> tuple:
    """Sort key that orders 'B2' before 'B10' (digit runs compare as numbers)."""
    parts = [(0, int(part), "") if part.isdigit() else (1, 0, part.lower())
             for part in re.split(r"(\d+)", name) if part]
    return parts, name                # the exact name breaks ties ("01" vs "1")


def list_states(states_dir: str | Path, suffix: str = STATE_SUFFIX) -> list[Path]:
    """The `*.state` files directly in `states_dir`, in natural name order."""
    root = Path(states_dir).expanduser()
    if not root.is_dir():
        raise ValueError(f"--states {root}: not a directory. Give a directory of PyBoy save "
                         f"states (one per encounter, named in story order, e.g. 001_rival"
                         f"{suffix}, 002_brock{suffix}).")
    files = [p for p in root.iterdir()
             if p.is_file() and p.name.endswith(suffix) and not p.name.startswith(".")]
    if not files:
        others = sorted(p.name for p in root.iterdir())[:5]
        raise ValueError(f"--states {root}: no *{suffix} files found (first entries: "
                         f"{others or 'none'}). Save one PyBoy state per encounter with "
                         f"pyboy.save_state(f), named in story order.")
    return sorted(files, key=lambda p: natural_key(p.name))


class EncounterWalk:
    """Which encounter to play next. Pure bookkeeping: no emulator, no file reads."""

    def __init__(self, states: list[Path]):
        if not states:
            raise ValueError("the encounter list is empty")
        self.states = list(states)
        self.index = 0          # current encounter, 0-based
        self.completed = 0      # encounters won, over all laps
        self.attempts = 0       # finished episodes on the current encounter
        self.episodes = 0       # finished episodes in all
        self.laps = 0

    @property
    def current(self) -> Path:
        return self.states[self.index]

    def jump(self, index: int) -> None:
        """Start the walk at `index` (e.g. to resume a run)."""
        if not 0 <= index < len(self.states):
            raise ValueError(f"encounter {index} out of range 0..{len(self.states) - 1}")
        self.index, self.attempts = index, 0

    def record(self, won: bool) -> bool:
        """Record a finished episode of the current encounter; True if the walk moved on."""
        self.episodes += 1
        self.attempts += 1
        if not won:
            return False
        self.completed += 1
        self.attempts = 0
        self.index += 1
        if self.index == len(self.states):
            self.index, self.laps = 0, self.laps + 1
        return True

    def progress(self) -> dict:
        return {
            "encounters_completed": self.completed,
            "encounters_total": len(self.states),
            "encounter": self.index,
            "encounter_name": self.current.name,
            "attempts": self.attempts,
            "episodes": self.episodes,
            "laps": self.laps,
        }
