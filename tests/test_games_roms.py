"""ROM finder: by checksum under any name, clear errors, the allow-unknown path.

Never a real ROM: tiny fake files whose sha256 is registered by monkeypatching the table.
"""

import hashlib

import pytest

from stagger.games import roms
from stagger.games.roms import RomError, find_rom, locate_rom

FAKE = b"not a rom, just 32 KiB of test bytes " * 886
FAKE = FAKE[:32 * 1024]
OTHER = bytes(32 * 1024)
FAKE_SHA = hashlib.sha256(FAKE).hexdigest()
OTHER_SHA = hashlib.sha256(OTHER).hexdigest()


@pytest.fixture
def table(monkeypatch):
    monkeypatch.setitem(roms.KNOWN_SHA256, "tetris", (FAKE_SHA,))
    return FAKE_SHA


def test_table_has_the_paper_checksums():
    assert set(roms.KNOWN_SHA256) == {"pokemon-red", "pokemon-blue", "pokemon-yellow", "tetris"}
    assert roms.KNOWN_SHA256["tetris"] == (
        "0d6535aef23969c7e5af2b077acaddb4a445b3d0df7bf34c8acef07b51b015c3",)
    # Blue battles' official checksum is Red's (a copy error): Red is not accepted as Blue.
    assert not set(roms.KNOWN_SHA256["pokemon-red"]) & set(roms.KNOWN_SHA256["pokemon-blue"])
    for shas in roms.KNOWN_SHA256.values():
        assert all(len(s) == 64 and int(s, 16) >= 0 for s in shas)


def test_found_by_checksum_under_any_name(tmp_path, table):
    deep = tmp_path / "my games" / "gb"
    deep.mkdir(parents=True)
    (tmp_path / "decoy.gb").write_bytes(OTHER)           # right name pattern, wrong content
    (deep / "whatever.bin").write_bytes(FAKE)
    match = locate_rom("tetris", rom_dir=tmp_path, env={})
    assert match.path == deep / "whatever.bin"
    assert match.sha256 == FAKE_SHA and match.warning is None
    assert find_rom("tetris", rom_dir=tmp_path, env={}) == deep / "whatever.bin"


def test_env_var_directory(tmp_path, table):
    (tmp_path / "x").write_bytes(FAKE)
    assert find_rom("tetris", env={"STAGGER_ROM_DIR": str(tmp_path)}) == tmp_path / "x"


def test_missing_names_game_sha_and_every_place(tmp_path, table):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    (a / "tetris.gb").write_bytes(OTHER)
    env = {"STAGGER_ROM_DIR": f"{a}:{b}"}
    with pytest.raises(RomError) as err:
        find_rom("tetris", env=env)
    text = str(err.value)
    assert "tetris" in text and FAKE_SHA in text
    assert str(a) in text and str(b) in text
    assert "--rom" in text and "STAGGER_ROM_DIR" in text
    assert isinstance(err.value, ValueError)


def test_missing_without_any_directory(table):
    with pytest.raises(RomError, match="STAGGER_ROM_DIR is not set") as err:
        find_rom("tetris", env={})
    assert FAKE_SHA in str(err.value)


def test_missing_directory_is_reported(tmp_path, table):
    with pytest.raises(RomError, match="not a directory"):
        find_rom("tetris", rom_dir=tmp_path / "nope", env={})


def test_explicit_rom_right_and_wrong(tmp_path, table):
    good, bad = tmp_path / "good.gb", tmp_path / "bad.gb"
    good.write_bytes(FAKE)
    bad.write_bytes(OTHER)
    assert find_rom("tetris", rom=good, env={}) == good
    with pytest.raises(RomError) as err:
        find_rom("tetris", rom=bad, env={})
    text = str(err.value)
    assert "tetris" in text and FAKE_SHA in text and OTHER_SHA in text and str(bad) in text
    assert "--allow-unknown-rom" in text


def test_allow_unknown_returns_rom_with_warning_text(tmp_path, table):
    bad = tmp_path / "bad.gb"
    bad.write_bytes(OTHER)
    match = locate_rom("tetris", rom=bad, env={}, allow_unknown=True)
    assert match.path == bad and match.sha256 == OTHER_SHA
    assert match.warning and OTHER_SHA in match.warning and "tetris" in match.warning


def test_explicit_rom_missing_file(tmp_path, table):
    with pytest.raises(RomError, match="not a file"):
        find_rom("tetris", rom=tmp_path / "absent.gb", env={})


def test_explicit_rom_wins_over_directory(tmp_path, table):
    (tmp_path / "x.gb").write_bytes(FAKE)
    bad = tmp_path / "sub" / "bad.gb"
    bad.parent.mkdir()
    bad.write_bytes(OTHER)
    with pytest.raises(RomError):
        find_rom("tetris", rom=bad, rom_dir=tmp_path, env={})


def test_search_is_bounded(tmp_path, table, monkeypatch):
    monkeypatch.setattr(roms, "MAX_DEPTH", 1)
    deep = tmp_path / "1" / "2" / "3"
    deep.mkdir(parents=True)
    (deep / "rom").write_bytes(FAKE)
    with pytest.raises(RomError, match="up to 1 levels deep"):
        find_rom("tetris", rom_dir=tmp_path, env={})


def test_unknown_game():
    with pytest.raises(ValueError, match="pokemon-red"):
        find_rom("zelda", env={})
