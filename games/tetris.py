"""`tetris`: Game Boy Tetris, Type A, on the user's own ROM (PAPER.md 5.3).

At construction the emulator boots and goes through the menus to the Type A level selection
screen (checked through hGameState), and that state is kept by PyBoy's game wrapper. Each
reset reloads it, sets the DIV timer (the piece RNG's seed) from the env's `np_random` (PyBoy
would otherwise draw it from Python's unseeded `random`), waits 0-40 no-op frames (also from
`np_random`), sets the level and presses START. Reward = change of the BCD score; the episode
ends at game over (hGameState != 0).
"""

from __future__ import annotations

from stagger.games.gb_env import GameBoyEnv
from stagger.games.tetris_rules import (GAME_STATE_ADDR, IN_GAME, LEVEL_SELECT, TYPE_A_LEVEL_ADDR,
                                TetrisRam, TetrisRules)

TITLE_SCREEN = 0x07
COPYRIGHT_SCREEN = (0x24, 0x25, 0x35)   # set by the game's own init (HRAM is cleared first)
MAX_START_NOOPS = 40
BOOT_FRAMES = 2000       # bounds for the menu waits: a ROM that is not Tetris fails, never hangs
MENU_FRAMES = 300


class TetrisEnv(GameBoyEnv):
    """Tetris Type A; attributes fps 59.7275, noop_action 6, policy_actions 6."""

    def __init__(self, rom, *, level: int = 0, max_start_noops: int = MAX_START_NOOPS,
                 render_mode: str | None = None, max_frames: int | None = None):
        if not 0 <= int(level) <= 9:
            raise ValueError(f"Tetris level {level} out of range 0..9")
        super().__init__(rom, render_mode=render_mode, max_frames=max_frames)
        self.level = int(level)
        self.max_start_noops = int(max_start_noops)
        self.rules = TetrisRules()
        try:
            self._wrapper = self._to_level_select()
        except Exception:
            self.close()
            raise

    def _wait_state(self, states, limit: int, what: str) -> None:
        states = (states,) if isinstance(states, int) else tuple(states)
        for _ in range(limit):
            if self.read(GAME_STATE_ADDR) in states:
                return
            self.emu.tick(1, render=False)
        raise RuntimeError(f"Tetris did not reach the {what} within {limit} frames (game state "
                           f"0x{self.read(GAME_STATE_ADDR):02X} at 0xFFE1): is this ROM "
                           f"Tetris (World) (Rev 1)?")

    def _to_level_select(self):
        """Boot, START twice (as PyBoy's own start_game), keep the level select state."""
        from pyboy.plugins.base_plugin import PyBoyGameWrapper
        wrapper = self.emu.pyboy.game_wrapper
        if getattr(wrapper, "cartridge_title", None) != "TETRIS":
            raise ValueError(f"the ROM's title is {self.emu.pyboy.cartridge_title!r}, not "
                             f"'TETRIS'; give a Game Boy Tetris ROM")
        self._wait_state(COPYRIGHT_SCREEN, BOOT_FRAMES, "copyright screen")
        self._wait_state(TITLE_SCREEN, BOOT_FRAMES, "title screen")
        self.emu.tick(5, render=False)
        for _ in range(2):
            self._tap("start")
        self._wait_state(LEVEL_SELECT, MENU_FRAMES, "Type A level selection")
        PyBoyGameWrapper.start_game(wrapper, timer_div=0)    # saves this state
        return wrapper

    def reset(self, *, seed=None, options=None):
        from pyboy.plugins.base_plugin import PyBoyGameWrapper
        super().reset(seed=seed)
        self.emu.hold(())
        div = int(self.np_random.integers(256))
        PyBoyGameWrapper.reset_game(self._wrapper, timer_div=div)  # load state, set DIV
        noops = int(self.np_random.integers(self.max_start_noops + 1))
        if noops:
            self.emu.tick(noops, render=False)
        self.emu.write(TYPE_A_LEVEL_ADDR, self.level)  # read by the game when START starts it
        self._tap("start", after=0)
        self._wait_state(IN_GAME, MENU_FRAMES, "game start")
        self.emu.tick(1, render=True)
        self.frames = 0
        self.rules.reset(self._ram())
        return self.emu.screen84(), {"timer_div": div, "start_noops": noops}

    def _ram(self) -> TetrisRam:
        return TetrisRam.read(self.emu.read)

    def step(self, action):
        obs = self._frame(action)
        reward, terminated = self.rules.step(self._ram())
        info = {"score": self.rules.score}
        return obs, reward, terminated, self._truncated(terminated), info
