"""The Game Boy env plumbing (tetris/pokemon) with no commercial ROM.

The project's own catcher ROM stands in for Pokémon: its save states get the Pokémon RAM bytes
poked in, so reset, the rules, the encounter walk, one-frame steps and errors run for real.
Game behaviour itself is tested in test_games_rom_envs.py when the user's ROMs are present.
"""

from pathlib import Path

import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

from stagger.games.pokemon_rules import addresses

CATCHER = Path(__file__).resolve().parents[1] / "games" / "catcher" / "catcher.gb"
RED = addresses("pokemon-red")


@pytest.fixture(scope="module")
def stand_in_states(tmp_path_factory):
    if not CATCHER.is_file():
        pytest.skip(f"the catcher ROM is not built ({CATCHER})")
    from stagger.games.pyboy_game import PyBoyGame
    emu = PyBoyGame(CATCHER)
    try:
        emu.tick(120, render=False)
        emu.write(RED["in_battle"], 1)
        emu.write(RED["my_hp"] + 1, 20)
        emu.write(RED["opp_hp"] + 1, 15)
        d = tmp_path_factory.mktemp("states")
        for name in ("enc10.state", "enc2.state"):
            (d / name).write_bytes(emu.save_state())
    finally:
        emu.close()
    return d


@pytest.fixture
def env(stand_in_states):
    from stagger.games.pokemon import PokemonEnv
    e = PokemonEnv(CATCHER, game="pokemon-red", states=stand_in_states, setting="battles",
                   render_mode="rgb_array")
    yield e
    e.close()
    e.close()                                         # twice is fine


def test_attributes_spaces_and_one_frame_steps(env):
    assert env.action_space.n == 7 and env.noop_action == 6 and env.policy_actions == 6
    assert env.fps == pytest.approx(59.7275)
    obs, info = env.reset(seed=0)
    assert obs.shape == (84, 84) and obs.dtype == np.uint8
    assert info["encounter_name"] == "enc2.state"            # natural order: 2 before 10
    start = env.emu.frame_count
    for a in range(7):
        env.step(a)
    assert env.emu.frame_count - start == 7
    assert env.emu.held == frozenset()                       # noop (6) holds nothing
    env.step(2)
    assert env.emu.held == {"left"}
    assert env.render().shape == (144, 160, 3)
    with pytest.raises(ValueError, match="NOOP"):
        env.step(7)


def test_battle_won_moves_the_walk_on(env):
    env.reset(seed=0)
    assert env.step(6)[1:3] == (0.0, False)
    env.emu.write(RED["opp_hp"] + 1, 0)                       # the enemy faints
    _, reward, terminated, truncated, info = env.step(6)
    assert (reward, terminated, truncated) == (1.0, True, False)
    assert info["won"] and info["encounters_completed"] == 1
    assert info["encounter_name"] == "enc10.state"
    _, info = env.reset()
    assert info["encounter"] == 1


def test_battle_lost_repeats_the_encounter(env):
    env.reset(seed=0)
    env.emu.write(RED["my_hp"] + 1, 0)                        # my only mon faints
    _, reward, terminated, _, info = env.step(6)
    assert (reward, terminated) == (-1.0, True) and not info["won"]
    assert info["encounter"] == 0 and info["attempts"] == 1


def test_max_frames_truncates_as_an_attempt(stand_in_states):
    from stagger.games.pokemon import PokemonEnv
    e = PokemonEnv(CATCHER, game="pokemon-red", states=stand_in_states, max_frames=3)
    try:
        e.reset(seed=0)
        out = [e.step(6)[3] for _ in range(3)]
        assert out == [False, False, True] and e.progress()["attempts"] == 1
    finally:
        e.close()


def test_gymnasium_env_checker(env):
    check_env(env, skip_render_check=True)


def test_state_not_in_battle_and_bad_state_files(tmp_path):
    if not CATCHER.is_file():
        pytest.skip(f"the catcher ROM is not built ({CATCHER})")
    from stagger.games.pokemon import PokemonEnv
    from stagger.games.pyboy_game import PyBoyGame
    emu = PyBoyGame(CATCHER)
    emu.tick(60, render=False)
    (tmp_path / "1.state").write_bytes(emu.save_state())      # wIsInBattle is 0 here
    emu.close()
    (tmp_path / "2.state").write_bytes(b"not a pyboy state")
    e = PokemonEnv(CATCHER, game="pokemon-blue", states=tmp_path, setting="catching")
    try:
        with pytest.raises(ValueError, match="not in a battle"):
            e.reset(seed=0)
        with pytest.raises(ValueError, match="could not load this save state"):
            e.reset(options={"encounter": 1})
    finally:
        e.close()


def test_tetris_refuses_another_game():
    if not CATCHER.is_file():
        pytest.skip(f"the catcher ROM is not built ({CATCHER})")
    from stagger.games.tetris import TetrisEnv
    with pytest.raises(ValueError, match="not 'TETRIS'"):
        TetrisEnv(CATCHER)
    with pytest.raises(ValueError, match="level 12"):
        TetrisEnv(CATCHER, level=12)
