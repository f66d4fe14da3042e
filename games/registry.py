"""`make_game(name, **options)`: every game stagger runs, by name.

Names: `catcher`, `tetris`, `pokemon-red|blue|yellow`, `atari/<game>`, `gym:<id or
module:callable>`. Options set to None are ignored (so a CLI can pass every flag); an option
that does not apply to the game raises ValueError unless it is None or False. Check ROMs and
states before starting any node with `preflight(name, options)` (or `resolve_rom_for`), then
pass `rom=<the path found>` to `make_game` so the search is not done twice.
"""

from __future__ import annotations

import os
import sys

import gymnasium as gym

from stagger.games.pokemon_rules import GAMES as POKEMON_GAMES
from stagger.games.pokemon_rules import SETTINGS
from stagger.games.roms import KNOWN_SHA256, RomMatch, locate_rom

GAMES = ["catcher", "tetris", *POKEMON_GAMES, "atari/<game>", "gym:<id or module:callable>"]
ROM_OPTIONS = {"rom", "rom_dir", "allow_unknown_rom"}
OPTIONS = {
    "tetris": ROM_OPTIONS | {"level", "max_start_noops", "max_frames", "render_mode"},
    "pokemon": ROM_OPTIONS | {"states", "setting", "cgb", "max_frames", "render_mode"},
    "atari": {"full_action_space", "max_frames", "render_mode"},
    "gym": {"fps", "noop_action", "env_kwargs", "render_mode"},
}


def _kind(name: str) -> str:
    """'catcher' | 'tetris' | 'pokemon' | 'atari' | 'gym'; ValueError for anything else."""
    low = name.lower()
    if low in ("catcher", "tetris"):
        return low
    if low in POKEMON_GAMES:
        return "pokemon"
    if low.startswith("atari/") and len(name) > len("atari/"):
        return "atari"
    if name.startswith("gym:") and len(name) > len("gym:"):
        return "gym"
    raise ValueError(f"unknown game {name!r}; allowed: {', '.join(GAMES)} "
                     f"(e.g. atari/boxing, gym:CartPole-v1)")


def _options(kind: str, name: str, options: dict) -> dict:
    """Drop unset options; refuse set ones that the game does not take."""
    given = {k: v for k, v in options.items() if v is not None}
    if kind == "catcher":
        # The catcher takes its own options; ROM and other games' flags left at False are unset.
        other = set().union(*OPTIONS.values())
        return {k: v for k, v in given.items() if not (k in other and v is False)}
    allowed = OPTIONS[kind]
    wrong = sorted(k for k, v in given.items() if k not in allowed and v is not False)
    if wrong:
        raise ValueError(f"option(s) {', '.join(wrong)} do not apply to {name}; it takes: "
                         f"{', '.join(sorted(allowed))}")
    return {k: v for k, v in given.items() if k in allowed}


def resolve_rom_for(name: str, options: dict | None = None,
                    env=os.environ) -> RomMatch | None:
    """The ROM a game would use (RomError if none), or None for games without a user ROM.

    `RomMatch.warning` is set when an unknown ROM was accepted: print it.
    """
    kind = _kind(name)
    if kind not in ("tetris", "pokemon"):
        return None
    opts = options or {}
    return locate_rom(name.lower(), rom=opts.get("rom"), rom_dir=opts.get("rom_dir"), env=env,
                      allow_unknown=bool(opts.get("allow_unknown_rom")))


def preflight(name: str, options: dict | None = None, env=os.environ) -> tuple[dict, list[str]]:
    """Everything checkable before a node starts: name, options, ROM, states, setting, game.

    Returns (options to pass to make_game, with `rom` resolved to a path; warnings to print).
    `allow_unknown_rom` stays in the options, so make_game accepts the same ROM again.
    Raises ValueError (RomError for ROMs) with a message a user can act on.
    """
    kind = _kind(name)
    opts = _options(kind, name, dict(options or {}))
    warnings_out: list[str] = []
    if kind in ("tetris", "pokemon"):
        match = resolve_rom_for(name, opts, env)
        opts["rom"] = match.path
        opts.pop("rom_dir", None)
        if match.warning:
            warnings_out.append(match.warning)
    if kind == "pokemon":
        from stagger.games.encounters import list_states
        if opts.get("states") is None:
            raise ValueError(f"{name} needs --states DIR: a directory of PyBoy save states, one "
                             f"per encounter, in story order (see the README)")
        if opts.get("setting", "battles") not in SETTINGS:
            raise ValueError(f"--setting {opts['setting']!r}; allowed: {', '.join(SETTINGS)}")
        list_states(opts["states"])
    if kind == "atari":
        from stagger.games.atari import ale_name
        ale_name(name.split("/", 1)[1])
    return opts, warnings_out


def make_game(name: str, **options) -> gym.Env:
    """Build the env for `name`. ROM games find their ROM here unless `rom` is already a path."""
    kind = _kind(name)
    if kind == "catcher":
        from stagger.games.catcher import CatcherEnv
        return CatcherEnv(**_options(kind, name, options))
    if kind == "atari":
        from stagger.games.atari import make_atari
        return make_atari(name.split("/", 1)[1], **_options(kind, name, options))
    if kind == "gym":
        from stagger.games.gym_adapter import make_gym
        opts = _options(kind, name, options)
        return make_gym(name[len("gym:"):], **opts.pop("env_kwargs", {}), **opts)
    opts, warns = preflight(name, options)
    opts.pop("allow_unknown_rom", None)
    for w in warns:                      # also in the env node's log, not only the CLI's
        print(w, file=sys.stderr)
    if kind == "tetris":
        from stagger.games.tetris import TetrisEnv
        return TetrisEnv(**opts)
    from stagger.games.pokemon import PokemonEnv
    return PokemonEnv(game=name.lower(), **opts)


def rom_games() -> list[str]:
    """Games that need the user's own ROM."""
    return sorted(KNOWN_SHA256)
