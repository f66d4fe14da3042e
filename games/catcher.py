"""CatcherEnv: the project's own Game Boy game (games/catcher/) as a Gymnasium env.

One step is exactly one Game Boy frame. Actions: 0 noop, 1 left, 2 right (held for that
frame). Reward +1 per catch, -1 per miss, read from the game's RAM. The episode terminates
after `misses_allowed` misses and is truncated after `max_frames` steps (0: never).

Reset is deterministic: the emulator is booted once to the title screen and that state is
kept in memory; reset loads it, writes the config and a seed drawn from `np_random` into the
game's RAM (games/catcher_ram.py), starts the game and runs 2 frames so the observation
shows the playfield. The screen lags the RAM by one frame, as in any Game Boy game.

Options (constructor, or per episode in `reset(options=...)`): speed (SPEEDS name or fall
speed 1..64 in 1/16 px per frame), spawn_interval, max_objects, misses_allowed, max_frames,
basket_speed; constructor only: obs_type "screen84" (84x84 uint8), "screen" (144x160x3 RGB)
or "ram" (float32 vector, see catcher_ram.Snapshot.vector), render_mode, rom_path.
info: frame (steps since reset), score, caught, missed, basket_x, target_x/target_y (lowest
falling object, -1 if none; x are centres in screen pixels), game_frame.
"""

from __future__ import annotations

from pathlib import Path

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from stagger.games import catcher_ram as cr
from stagger.games.pyboy_game import GB_FPS, PyBoyGame

ROM_PATH = Path(__file__).resolve().parent / "catcher" / "catcher.gb"
OBS_TYPES = ("screen84", "screen", "ram")
# preset name -> fall speed in 1/16 px per frame (the basket moves 2 px per frame)
SPEEDS = {"slow": 8, "normal": 16, "fast": 32, "fastest": 64}
DEFAULTS = {"speed": "normal", "spawn_interval": None, "max_objects": 4, "misses_allowed": 5,
            "max_frames": 18000, "basket_speed": 2}
_BUTTONS = (frozenset(), frozenset({"left"}), frozenset({"right"}))
_BOOT_FRAMES = 600  # the game reaches its title screen in about 75


def resolve_speed(speed) -> tuple[int, int]:
    """(fall_speed, default spawn_interval) for a preset name (SPEEDS) or a fall speed 1..64
    (an int, or a string of digits as a command line gives it).

    The default spawn interval is half the fall time (about two objects in the air), at least
    20 frames: slow 112, normal 56, fast 28, fastest 20.
    """
    lo, hi = cr.RANGES["fall_speed"]
    if isinstance(speed, str) and speed.strip().isdigit():  # "24" from a command line
        speed = int(speed)
    if isinstance(speed, str):
        if speed not in SPEEDS:
            raise ValueError(f"unknown speed {speed!r}: use one of {list(SPEEDS)} "
                             f"or an int fall speed in {lo}..{hi} (1/16 px per frame)")
        speed = SPEEDS[speed]
    elif isinstance(speed, bool) or not isinstance(speed, (int, np.integer)) or not lo <= speed <= hi:
        raise ValueError(f"speed must be one of {list(SPEEDS)} or an int in {lo}..{hi} "
                         f"(1/16 px per frame), got {speed!r}")
    fall_frames = (cr.GROUND_Y - cr.SPAWN_Y) * 16 / int(speed)
    return int(speed), int(min(255, max(20, round(fall_frames / 2))))


def resolve_config(options: dict) -> dict:
    """Validate env options; return the game config (ints) plus obs-independent settings."""
    unknown = set(options) - set(DEFAULTS)
    if unknown:
        raise ValueError(f"unknown catcher options {sorted(unknown)}; allowed: {sorted(DEFAULTS)}")
    opts = {**DEFAULTS, **options}
    fall_speed, spawn_default = resolve_speed(opts["speed"])
    cfg = {"fall_speed": fall_speed,
           "spawn_interval": spawn_default if opts["spawn_interval"] is None else opts["spawn_interval"]}
    for key in ("spawn_interval", "max_objects", "misses_allowed", "max_frames", "basket_speed"):
        value = cfg.get(key, opts[key])
        lo, hi = cr.RANGES[key]
        if key == "max_frames":
            hi -= 1  # the game counts one frame more than the env (see reset)
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not lo <= value <= hi:
            raise ValueError(f"{key} must be an int in {lo}..{hi}, got {value!r}")
        cfg[key] = int(value)
    return cfg


class CatcherEnv(gym.Env):
    """Catch falling objects with a basket; see the module docstring."""

    metadata = {"render_modes": ["rgb_array"], "render_fps": GB_FPS}
    fps = GB_FPS
    noop_action = 0
    policy_actions = 3

    def __init__(self, obs_type: str = "screen84", render_mode: str | None = None,
                 rom_path: str | Path | None = None, **options):
        if obs_type not in OBS_TYPES:
            raise ValueError(f"unknown obs_type {obs_type!r}: use one of {list(OBS_TYPES)}")
        if render_mode not in (None, "rgb_array"):
            raise ValueError(f"unknown render_mode {render_mode!r}: use None or 'rgb_array'")
        self.obs_type = obs_type
        self.render_mode = render_mode
        self.options = dict(options)
        self.config = resolve_config(self.options)
        self.rom_path = Path(rom_path) if rom_path is not None else ROM_PATH
        self.action_space = spaces.Discrete(3)
        if obs_type == "screen84":
            self.observation_space = spaces.Box(0, 255, (84, 84), np.uint8)
        elif obs_type == "screen":
            self.observation_space = spaces.Box(0, 255, (144, 160, 3), np.uint8)
        else:
            self.observation_space = spaces.Box(0.0, 1.0, (2 + 3 * cr.OBJECTS,), np.float32)
        self._render_frames = obs_type != "ram" or render_mode == "rgb_array"
        self._game: PyBoyGame | None = None
        self._title_state: bytes | None = None
        self._snap: cr.Snapshot | None = None
        self._t = 0

    # --- gymnasium API ---------------------------------------------------------------------
    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        cfg = self.config if not options else resolve_config({**self.options, **options})
        game = self._boot()
        game.load_state(self._title_state)
        game_seed = int(self.np_random.integers(1, 1 << 16))
        game.write_bytes(cr.SEED, (game_seed & 0xFF, game_seed >> 8))
        game.write(cr.FALL_SPEED, cfg["fall_speed"])
        game.write(cr.SPAWN_INTERVAL, cfg["spawn_interval"])
        game.write(cr.MAX_OBJECTS, cfg["max_objects"])
        game.write(cr.MISSES_ALLOWED, cfg["misses_allowed"])
        # The game's frame counter is 1 when the env's is 0 (two start-up frames below).
        limit = cfg["max_frames"] + 1 if cfg["max_frames"] else 0
        game.write_bytes(cr.MAX_FRAMES, (limit & 0xFF, limit >> 8))
        game.write(cr.BASKET_SPEED, cfg["basket_speed"])
        game.write(cr.COMMAND, cr.CMD_START)
        game.tick(1, render=False)  # the game starts (RAM); the screen still shows the title
        game.tick(1, render=True)   # the first frame of play is drawn
        self._t = 0
        self._snap = self._read()
        if self._snap.state != cr.STATE_PLAYING:
            raise RuntimeError(f"catcher did not start (state {self._snap.state}); is {self.rom_path} the catcher ROM?")
        return self._obs(), self._info()

    def step(self, action):
        if action not in (0, 1, 2) or isinstance(action, (bool, float, np.floating)):  # fast contains()
            raise ValueError(f"action must be 0 (noop), 1 (left) or 2 (right), got {action!r}")
        if self._snap is None:
            raise RuntimeError("call reset() before step()")
        prev = self._snap
        self._game.hold(_BUTTONS[int(action)])
        self._game.tick(1, render=self._render_frames)
        self._t += 1
        snap = self._snap = self._read()
        reward = float((snap.caught - prev.caught) - (snap.missed - prev.missed))
        over = snap.state == cr.STATE_OVER
        terminated = over and snap.over_reason == 1
        truncated = over and snap.over_reason == 2
        return self._obs(), reward, terminated, truncated, self._info()

    def render(self):
        """The last frame as (144, 160, 3) uint8 RGB."""
        if self._game is None:
            raise RuntimeError("call reset() before render()")
        return self._game.screen_rgb()

    def close(self):
        if self._game is not None:
            self._game.close()
            self._game = None
        self._snap = None

    # --- helpers -------------------------------------------------------------------------
    @property
    def game(self) -> PyBoyGame | None:
        """The emulator helper (after the first reset)."""
        return self._game

    def _boot(self) -> PyBoyGame:
        if self._game is None:
            if not self.rom_path.is_file():
                raise FileNotFoundError(f"catcher ROM not found at {self.rom_path}; build it with "
                                        f"`make -C games/catcher` (needs sdcc)")
            game = PyBoyGame(self.rom_path)
            for _ in range(_BOOT_FRAMES):
                game.tick(1, render=False)
                if game.read(cr.MAGIC) == cr.MAGIC_VALUE and game.read(cr.STATE) == cr.STATE_TITLE:
                    break
            else:
                game.close()
                raise RuntimeError(f"{self.rom_path} did not reach catcher's title screen")
            if game.read(cr.VERSION) != cr.LAYOUT_VERSION:
                game.close()
                raise RuntimeError(f"{self.rom_path} has RAM layout {game.read(cr.VERSION)}, "
                                   f"games/catcher_ram.py expects {cr.LAYOUT_VERSION}")
            game.tick(1, render=True)
            self._title_state = game.save_state()
            self._game = game
        return self._game

    def _read(self) -> cr.Snapshot:
        return cr.Snapshot(self._game.read_bytes(cr.MAGIC, cr.END - cr.MAGIC))

    def _obs(self):
        if self.obs_type == "screen84":
            return self._game.screen84()
        if self.obs_type == "screen":
            return self._game.screen_rgb()
        return self._snap.vector()

    def _info(self) -> dict:
        s = self._snap
        target_x, target_y = s.target()
        return {"frame": self._t, "score": s.score, "caught": s.caught, "missed": s.missed,
                "basket_x": s.basket_x, "target_x": target_x, "target_y": target_y,
                "game_frame": s.frame}
