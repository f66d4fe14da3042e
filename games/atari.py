"""`atari/<game>`: any ALE game through ale-py's bundled ROMs, set up as the paper (PAPER.md 5.4).

One env step is one frame (frameskip 1), no sticky actions, one (84, 84) uint8 grayscale frame
(ALE grayscale, area-resized in numpy), the ALE's 60 frames/s as the realtime rate, NOOP (0)
as the default action. The minimal action set is the paper's for its three games (Boxing 18,
Krull 18, NameThisGame 6); `full_action_space=True` gives all 18 for any game.
"""

from __future__ import annotations

import difflib
import re

import gymnasium as gym

from stagger.games.screen84 import Screen84

FPS = 60.0
NOOP = 0
PAPER_GAMES = ("Boxing", "Krull", "NameThisGame")


def _norm(name: str) -> str:
    return re.sub(r"[\s_\-]", "", name).lower()


def ale_games() -> dict[str, str]:
    """Normalised name -> ALE's own spelling (e.g. 'namethisgame' -> 'NameThisGame')."""
    import ale_py
    gym.register_envs(ale_py)
    out = {}
    for env_id in gym.registry:
        m = re.fullmatch(r"ALE/(\w+)-v5", env_id)
        if m:
            out[_norm(m.group(1))] = m.group(1)
    return out


def ale_name(game: str) -> str:
    """'boxing', 'name_this_game', 'NameThisGame' -> ALE's spelling; ValueError if unknown."""
    games = ale_games()
    key = _norm(game)
    if key in games:
        return games[key]
    close = difflib.get_close_matches(key, list(games), n=5, cutoff=0.6)
    hint = (f"close matches: {', '.join('atari/' + c for c in close)}" if close
            else f"the paper's games: {', '.join('atari/' + g.lower() for g in PAPER_GAMES)}")
    raise ValueError(f"unknown Atari game {game!r}; {hint}. Any of ale-py's {len(games)} games "
                     f"works by name (case and underscores ignored).")


def make_atari(game: str, *, full_action_space: bool = False, max_frames: int | None = None,
               render_mode: str | None = None) -> gym.Env:
    """The env for `atari/<game>`; attributes fps, noop_action, policy_actions on .unwrapped."""
    name = ale_name(game)
    kwargs = dict(frameskip=1, repeat_action_probability=0.0, obs_type="grayscale",
                  full_action_space=bool(full_action_space), render_mode=render_mode)
    if max_frames is not None:
        kwargs["max_num_frames_per_episode"] = int(max_frames)
    env = Screen84(gym.make(f"ALE/{name}-v5", **kwargs))
    base = env.unwrapped
    base.fps = FPS
    base.noop_action = NOOP
    base.policy_actions = int(env.action_space.n)
    base.game_name = f"atari/{name.lower()}"
    return env
