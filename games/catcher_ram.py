"""Catcher's fixed WRAM block: the Python mirror of games/catcher/catcher_ram.h.

Keep the two in step (tests/test_catcher_rom.py parses the header and compares). All x
are centres in screen pixels, y the top of an 8x8 object; multi-byte values little-endian.
"""

from __future__ import annotations

import numpy as np

BASE = 0xC000            # start of the block
MAGIC = 0xC000           # u8  0x43 once booted
VERSION = 0xC001         # u8  layout version
COMMAND = 0xC002         # u8  env -> game: CMD_*
STATE = 0xC003           # u8  game -> env: STATE_*
# config (written before CMD_START)
SEED = 0xC004            # u16
FALL_SPEED = 0xC006      # u8  1/16 px per frame, 1..64
SPAWN_INTERVAL = 0xC007  # u8  frames, 1..255
MAX_OBJECTS = 0xC008     # u8  1..OBJECTS
MISSES_ALLOWED = 0xC009  # u8  1..255
MAX_FRAMES = 0xC00A      # u16 0 = no limit
BASKET_SPEED = 0xC00C    # u8  px per frame, 1..8
# state (written by the game)
FRAME = 0xC010           # u16
SCORE = 0xC012           # i16
CAUGHT = 0xC014          # u16
MISSED = 0xC016          # u16
BASKET_X = 0xC018        # u8
OVER_REASON = 0xC019     # u8  0 playing, 1 misses, 2 frame limit
SPAWNED = 0xC01A         # u16
RNG = 0xC01C             # u16
SPAWN_TIMER = 0xC01E     # u8
ACTIVE_COUNT = 0xC01F    # u8
OBJ_X = 0xC020           # u8[OBJECTS]
OBJ_Y = 0xC028           # u8[OBJECTS]
OBJ_ACTIVE = 0xC030      # u8[OBJECTS]
OVERRUNS = 0xC038        # u8  frames whose logic or drawing overran (should stay 0)
OBJ_Y16 = 0xC040         # u16[OBJECTS]
END = 0xC050

OBJECTS = 8
LAYOUT_VERSION = 1
MAGIC_VALUE = 0x43
CMD_NONE, CMD_START = 0, 1
STATE_BOOT, STATE_TITLE, STATE_PLAYING, STATE_OVER = 0, 1, 2, 3

SPAWN_Y = 8
CATCH_Y = 112
GROUND_Y = 120
CATCH_DX = 10
BASKET_MIN_X = 8
BASKET_MAX_X = 152
COLUMNS = 20

# Ranges the game accepts for its config (it clamps; the env rejects values outside).
RANGES = {
    "fall_speed": (1, 64),
    "spawn_interval": (1, 255),
    "max_objects": (1, OBJECTS),
    "misses_allowed": (1, 255),
    "max_frames": (0, 0xFFFF),
    "basket_speed": (1, 8),
}


def u16(block: bytes, addr: int) -> int:
    """Little-endian u16 at `addr` from a block read starting at MAGIC."""
    i = addr - MAGIC
    return block[i] | block[i + 1] << 8


def i16(block: bytes, addr: int) -> int:
    v = u16(block, addr)
    return v - 0x10000 if v & 0x8000 else v


class Snapshot:
    """Decoded game state from one read of MAGIC..END."""

    __slots__ = ("state", "frame", "score", "caught", "missed", "basket_x", "over_reason",
                 "spawned", "obj_x", "obj_y", "obj_active", "overruns", "misses_allowed")

    def __init__(self, block: bytes):
        b = block
        self.state = b[STATE - MAGIC]
        self.frame = u16(b, FRAME)
        self.score = i16(b, SCORE)
        self.caught = u16(b, CAUGHT)
        self.missed = u16(b, MISSED)
        self.basket_x = b[BASKET_X - MAGIC]
        self.over_reason = b[OVER_REASON - MAGIC]
        self.spawned = u16(b, SPAWNED)
        self.obj_x = b[OBJ_X - MAGIC:OBJ_X - MAGIC + OBJECTS]
        self.obj_y = b[OBJ_Y - MAGIC:OBJ_Y - MAGIC + OBJECTS]
        self.obj_active = b[OBJ_ACTIVE - MAGIC:OBJ_ACTIVE - MAGIC + OBJECTS]
        self.overruns = b[OVERRUNS - MAGIC]
        self.misses_allowed = b[MISSES_ALLOWED - MAGIC]

    def target(self) -> tuple[int, int]:
        """(x, y) of the lowest falling object, or (-1, -1) if none falls."""
        best_y, best_x = -1, -1
        for x, y, a in zip(self.obj_x, self.obj_y, self.obj_active):
            if a and y > best_y:
                best_y, best_x = y, x
        return best_x, best_y

    def vector(self) -> np.ndarray:
        """The "ram" observation: 2 + 3*OBJECTS float32 in [0, 1]:
        basket x, misses left fraction, then (x, y, active) per object slot."""
        v = np.zeros(2 + 3 * OBJECTS, dtype=np.float32)
        v[0] = self.basket_x / 160.0
        left = max(self.misses_allowed - self.missed, 0)
        v[1] = left / self.misses_allowed if self.misses_allowed else 0.0
        for k in range(OBJECTS):
            if self.obj_active[k]:
                v[2 + 3 * k] = self.obj_x[k] / 160.0
                v[3 + 3 * k] = self.obj_y[k] / 144.0
                v[4 + 3 * k] = 1.0
        return v
