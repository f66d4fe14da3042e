"""Tetris and Pokémon envs on the user's own ROM: these run only when STAGGER_ROM_DIR holds the
ROM (found by checksum) and are skipped, with the reason, otherwise. stagger ships no ROMs.
"""

import os

import numpy as np
import pytest

from stagger.games.roms import RomError, find_rom


def rom_or_skip(game: str):
    if not os.environ.get("STAGGER_ROM_DIR"):
        pytest.skip(f"needs the {game} ROM: STAGGER_ROM_DIR is not set")
    try:
        return find_rom(game)
    except RomError as e:
        pytest.skip(f"needs the {game} ROM: {e}")


@pytest.fixture(scope="module")
def tetris_rom():
    return rom_or_skip("tetris")


@pytest.fixture
def tetris(tetris_rom):
    from stagger.games.tetris import TetrisEnv
    env = TetrisEnv(tetris_rom)
    yield env
    env.close()


def test_tetris_spaces_and_attributes(tetris):
    assert tetris.action_space.n == 7
    assert tetris.fps == pytest.approx(59.7275)
    assert tetris.noop_action == 6 and tetris.policy_actions == 6
    obs, info = tetris.reset(seed=0)
    assert obs.shape == (84, 84) and obs.dtype == np.uint8 and obs.std() > 0
    assert 0 <= info["start_noops"] <= 40 and 0 <= info["timer_div"] < 256


def test_tetris_reset_and_steps_are_deterministic_from_seed(tetris):
    def run(seed):
        obs, info = tetris.reset(seed=seed)
        frames = [obs]
        for t in range(300):
            frames.append(tetris.step((t // 7) % 7)[0])
        return info, frames
    (i1, a), (i2, b) = run(5), run(5)
    assert i1 == i2 and all(np.array_equal(x, y) for x, y in zip(a, b))


def test_tetris_soft_drop_until_game_over(tetris):
    tetris.reset(seed=1)
    total, terminated = 0.0, False
    for _ in range(20000):
        _, reward, terminated, truncated, info = tetris.step(5)     # DOWN
        total += reward
        if terminated:
            break
    assert terminated and not truncated
    assert total > 0 and total == info["score"]                  # soft-drop points


def test_tetris_level_option(tetris_rom):
    from stagger.games.tetris import TetrisEnv
    from stagger.games.tetris_rules import LEVEL_ADDR
    env = TetrisEnv(tetris_rom, level=5)
    try:
        env.reset(seed=0)
        assert env.read(LEVEL_ADDR) == 5
    finally:
        env.close()


@pytest.fixture(scope="module")
def pokemon_states(tmp_path_factory):
    """One wild-battle state made here with PyBoy's Gen 1 wrapper (Red or Blue)."""
    game = rom = None
    for name in ("pokemon-red", "pokemon-blue"):
        try:
            game, rom = name, find_rom(name)
            break
        except RomError:
            continue
    if rom is None:
        pytest.skip("needs the Pokémon Red or Blue ROM in STAGGER_ROM_DIR")
    from stagger.games.pokemon_rules import addresses
    from stagger.games.pyboy_game import PyBoyGame
    emu = PyBoyGame(rom)
    try:
        wrapper = emu.pyboy.game_wrapper
        wrapper.start_game()
        wrapper.add_pokemon("PIKACHU", level=20)
        wrapper.start_wild_battle("RATTATA", level=3)
        in_battle = addresses(game)["in_battle"]
        for _ in range(1200):
            emu.tick(1, render=False)
            if emu.read(in_battle) != 0:
                break
        assert emu.read(in_battle) == 1, "the wild battle did not start"
        emu.tick(300, render=False)                  # through the battle intro
        d = tmp_path_factory.mktemp("states")
        (d / "001_rattata.state").write_bytes(emu.save_state())
    finally:
        emu.close()
    return game, rom, d


def test_pokemon_catching_env_from_state(pokemon_states):
    from stagger.games.pokemon import PokemonEnv
    from stagger.games.pokemon_rules import addresses
    game, rom, states = pokemon_states
    env = PokemonEnv(rom, game=game, states=states, setting="catching")
    try:
        assert env.action_space.n == 7 and env.noop_action == 6 and env.policy_actions == 6
        obs, info = env.reset(seed=0)
        again, _ = env.reset(seed=0)
        assert obs.shape == (84, 84) and np.array_equal(obs, again)
        assert info["encounters_total"] == 1 and info["encounters_completed"] == 0
        for _ in range(120):                         # idle in the battle menu: nothing happens
            _, reward, terminated, truncated, _ = env.step(6)
            assert reward == 0.0 and not terminated
        env.emu.write(addresses(game)["in_battle"], 0)   # the battle ends without a catch
        _, reward, terminated, _, info = env.step(6)
        assert (reward, terminated) == (-1.0, True)
        assert info["won"] is False and info["attempts"] == 1
    finally:
        env.close()
