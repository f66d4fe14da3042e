"""Tetris (Game Boy, Type A) reward and episode end, as pure functions of RAM snapshots.

Reward = change of the score (3-byte little-endian BCD at 0xC0A0, wScore in the kaspermeerts/
tetris disassembly); done when the game state 0xFFE1 (hGameState) is not 0 (0 = in game,
1 = game over begins, 0x0D curtain, 4 game-over screen): PAPER.md 5.3, GAMES.md 2.
"""

from __future__ import annotations

from typing import Callable, NamedTuple

SCORE_ADDR = 0xC0A0        # 3 bytes, little-endian BCD (low two digits first)
GAME_STATE_ADDR = 0xFFE1   # hGameState
LEVEL_ADDR = 0xFFA9        # hLevel (current level)
TYPE_A_LEVEL_ADDR = 0xFFC2  # hTypeALevel (level chosen on the Type A menu)
IN_GAME = 0x00
LEVEL_SELECT = 0x11        # Type A level selection screen


def bcd_decode(data: bytes | list[int]) -> int:
    """Little-endian packed BCD (first byte = two lowest digits) -> int.

    Raises ValueError if a nibble is not a decimal digit.
    """
    value, scale = 0, 1
    for byte in data:
        lo, hi = byte & 0x0F, byte >> 4
        if lo > 9 or hi > 9:
            raise ValueError(f"not BCD: {bytes(data).hex()}")
        value += (lo + 10 * hi) * scale
        scale *= 100
    return value


class TetrisRam(NamedTuple):
    """The RAM the rules read: the 3 score bytes and the game state byte."""
    score: bytes
    game_state: int

    @classmethod
    def read(cls, read_byte: Callable[[int], int]) -> "TetrisRam":
        """From a `read_byte(addr) -> int` accessor (PyBoyGame.read, or a dict's __getitem__)."""
        return cls(bytes(read_byte(SCORE_ADDR + i) for i in range(3)),
                   read_byte(GAME_STATE_ADDR))


class TetrisRules:
    """`reset(ram)` at the episode's first frame, then `step(ram) -> (reward, done)` per frame."""

    def __init__(self):
        self.score = 0
        self.done = False

    def reset(self, ram: TetrisRam) -> None:
        self.score = self._decode(ram.score, 0)
        self.done = ram.game_state != IN_GAME

    def step(self, ram: TetrisRam) -> tuple[float, bool]:
        score = self._decode(ram.score, self.score)
        reward = float(score - self.score)
        self.score = score
        self.done = ram.game_state != IN_GAME
        return reward, self.done

    @staticmethod
    def _decode(raw: bytes, previous: int) -> int:
        # A half-written score (not BCD) counts as unchanged until it is valid again.
        try:
            return bcd_decode(raw)
        except ValueError:
            return previous
