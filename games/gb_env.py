"""What Tetris and Pokémon share: a Gymnasium env on `PyBoyGame` with the paper's buttons.

Policy actions 0-5 are A, B, LEFT, UP, RIGHT, DOWN (PAPER.md 4.7); action 6 presses nothing
and is the default (no-op), outside what the policy chooses. START and SELECT are never
actions. Each action is held for exactly one frame: one `step` = one frame.
"""

from __future__ import annotations

import gymnasium as gym
import numpy as np

from stagger.games.pyboy_game import GB_FPS, PyBoyGame

ACTION_BUTTONS = (("a",), ("b",), ("left",), ("up",), ("right",), ("down",), ())
ACTION_NAMES = ("A", "B", "LEFT", "UP", "RIGHT", "DOWN", "NOOP")
NOOP = 6
POLICY_ACTIONS = 6


class GameBoyEnv(gym.Env):
    """Base env: spaces, one-frame steps, rendering, closing. Subclasses define the game."""

    metadata = {"render_modes": ["rgb_array"], "render_fps": GB_FPS}
    fps = GB_FPS
    noop_action = NOOP
    policy_actions = POLICY_ACTIONS

    def __init__(self, rom, *, cgb: bool | None = None, render_mode: str | None = None,
                 max_frames: int | None = None):
        if render_mode not in (None, "rgb_array"):
            raise ValueError(f"render_mode {render_mode!r}; allowed: None, 'rgb_array'")
        self.render_mode = render_mode
        self.max_frames = None if max_frames is None else int(max_frames)
        self.action_space = gym.spaces.Discrete(len(ACTION_BUTTONS))
        self.observation_space = gym.spaces.Box(0, 255, (84, 84), np.uint8)
        self.emu = PyBoyGame(rom, cgb=cgb)
        self.frames = 0          # frames stepped in this episode

    def _press(self, action) -> None:
        if not self.action_space.contains(action):
            raise ValueError(f"action {action!r} is not in 0..{self.action_space.n - 1} "
                             f"({', '.join(ACTION_NAMES)})")
        self.emu.hold(ACTION_BUTTONS[int(action)])

    def _tap(self, button: str, after: int = 7) -> None:
        """Press a button for one frame, then wait `after` frames (menu navigation)."""
        self.emu.hold((button,))
        self.emu.tick(1, render=False)
        self.emu.hold(())
        if after:
            self.emu.tick(after, render=False)

    def _frame(self, action) -> np.ndarray:
        """Apply `action` for one frame; the observation of that frame."""
        self._press(action)
        self.emu.tick(1, render=True)
        self.frames += 1
        return self.emu.screen84()

    def _truncated(self, terminated: bool) -> bool:
        return (not terminated and self.max_frames is not None
                and self.frames >= self.max_frames)

    def read(self, addr: int) -> int:
        return self.emu.read(addr)

    def render(self):
        if self.render_mode == "rgb_array":
            return self.emu.screen_rgb()
        return None

    def close(self):
        emu = getattr(self, "emu", None)
        if emu is not None:
            emu.close()
