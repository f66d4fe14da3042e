"""make_game / preflight / resolve_rom_for: names, options, ROM checks before any node starts."""

import hashlib

import pytest

from stagger.games import roms
from stagger.games.registry import GAMES, make_game, preflight, resolve_rom_for
from stagger.games.roms import RomError

FAKE = bytes(range(256)) * 128          # 32 KiB, not a ROM
FAKE_SHA = hashlib.sha256(FAKE).hexdigest()


@pytest.fixture
def no_rom_dir(tmp_path, monkeypatch):
    empty = tmp_path / "roms"
    empty.mkdir()
    monkeypatch.setenv("STAGGER_ROM_DIR", str(empty))
    return empty


def test_games_list_for_cli_help():
    for name in ("catcher", "tetris", "pokemon-red", "pokemon-blue", "pokemon-yellow"):
        assert name in GAMES
    assert any(g.startswith("atari/") for g in GAMES) and any(g.startswith("gym:") for g in GAMES)


@pytest.mark.parametrize("name", ["zelda", "atari/", "gym:", "pokemon-green", ""])
def test_unknown_names_say_what_is_allowed(name):
    with pytest.raises(ValueError) as err:
        make_game(name)
    assert "allowed" in str(err.value) and "atari/<game>" in str(err.value)


def test_tetris_without_rom_fails_with_clear_message(no_rom_dir):
    with pytest.raises(RomError) as err:
        make_game("tetris", rom=None, states=None, allow_unknown_rom=False)
    text = str(err.value)
    assert "tetris" in text and roms.KNOWN_SHA256["tetris"][0] in text
    assert str(no_rom_dir) in text


@pytest.mark.parametrize("game", ["pokemon-red", "pokemon-blue", "pokemon-yellow"])
def test_pokemon_without_rom_names_its_checksum(no_rom_dir, game):
    with pytest.raises(RomError, match=roms.KNOWN_SHA256[game][0]):
        resolve_rom_for(game, {"setting": "catching"})


def test_resolve_rom_none_for_games_without_user_rom():
    assert resolve_rom_for("atari/boxing", {}) is None
    assert resolve_rom_for("gym:CartPole-v1", {}) is None
    assert resolve_rom_for("catcher", {}) is None


def test_preflight_resolves_rom_and_checks_states(tmp_path, monkeypatch):
    monkeypatch.setitem(roms.KNOWN_SHA256, "pokemon-blue", (FAKE_SHA,))
    romdir, states = tmp_path / "r", tmp_path / "s"
    romdir.mkdir()
    states.mkdir()
    (romdir / "blue").write_bytes(FAKE)
    opts = {"rom_dir": str(romdir), "states": str(states), "setting": "catching", "fps": None}
    with pytest.raises(ValueError, match="no \\*.state files"):
        preflight("pokemon-blue", opts)
    (states / "001_rattata.state").write_bytes(b"x")
    out, warns = preflight("pokemon-blue", opts)
    assert out["rom"] == romdir / "blue" and "rom_dir" not in out and warns == []
    assert out["setting"] == "catching" and "fps" not in out
    with pytest.raises(ValueError, match="needs --states"):
        preflight("pokemon-blue", {"rom_dir": str(romdir)})
    with pytest.raises(ValueError, match="battles, catching"):
        preflight("pokemon-blue", {**opts, "setting": "racing"})


def test_preflight_unknown_rom_allowed_gives_warning(tmp_path, monkeypatch):
    monkeypatch.setitem(roms.KNOWN_SHA256, "tetris", ("0" * 64,))
    rom = tmp_path / "t.gb"
    rom.write_bytes(FAKE)
    with pytest.raises(RomError, match="--allow-unknown-rom"):
        preflight("tetris", {"rom": str(rom)})
    out, warns = preflight("tetris", {"rom": str(rom), "allow_unknown_rom": True})
    assert out["rom"] == rom and out["allow_unknown_rom"] is True
    assert len(warns) == 1 and FAKE_SHA in warns[0]


def test_options_that_do_not_apply_are_refused_unless_unset():
    with pytest.raises(ValueError, match="states do not apply to atari/boxing"):
        make_game("atari/boxing", states="somewhere")
    with pytest.raises(ValueError, match="level"):
        preflight("gym:CartPole-v1", {"level": 3})
    env = make_game("atari/boxing", states=None, allow_unknown_rom=False, fps=None)
    try:
        assert env.unwrapped.fps == 60.0
    finally:
        env.close()


def test_preflight_checks_atari_name():
    with pytest.raises(ValueError, match="atari/boxing"):
        preflight("atari/boxng", {})
    assert preflight("atari/boxing", {}) == ({}, [])


def test_catcher_through_registry():
    catcher = pytest.importorskip("stagger.games.catcher")
    if not hasattr(catcher, "CatcherEnv"):
        pytest.skip("games.catcher.CatcherEnv is not there yet")
    env = make_game("catcher", rom=None, allow_unknown_rom=False)
    try:
        base = env.unwrapped
        assert base.fps == pytest.approx(59.7275) and base.noop_action == 0
        assert base.policy_actions == 3
    finally:
        env.close()
