"""The encounter-list walk: natural order, repeat until won, progress."""

import pytest

from stagger.games.encounters import EncounterWalk, list_states, natural_key


def test_natural_order(tmp_path):
    for name in ["B10.state", "B2.state", "b1.state", "B11_brock.state", "notes.txt",
                 ".hidden.state"]:
        (tmp_path / name).write_bytes(b"x")
    (tmp_path / "sub.state").mkdir()
    names = [p.name for p in list_states(tmp_path)]
    assert names == ["b1.state", "B2.state", "B10.state", "B11_brock.state"]
    assert sorted(["x10", "x9", "x09a"], key=natural_key) == ["x9", "x09a", "x10"]


def test_list_states_errors(tmp_path):
    with pytest.raises(ValueError, match="not a directory"):
        list_states(tmp_path / "absent")
    (tmp_path / "readme.txt").write_text("hi")
    with pytest.raises(ValueError, match=r"no \*\.state files.*readme\.txt"):
        list_states(tmp_path)


def test_walk_repeats_until_won_then_moves_on(tmp_path):
    walk = EncounterWalk([tmp_path / "1.state", tmp_path / "2.state", tmp_path / "3.state"])
    assert walk.current.name == "1.state"
    assert walk.record(False) is False and walk.current.name == "1.state"
    assert walk.record(False) is False and walk.progress()["attempts"] == 2
    assert walk.record(True) is True and walk.current.name == "2.state"
    p = walk.progress()
    assert p["encounters_completed"] == 1 and p["encounter"] == 1 and p["attempts"] == 0
    assert p["episodes"] == 3 and p["encounters_total"] == 3
    walk.record(True)
    walk.record(False)
    walk.record(True)                   # last one won: start over, one lap done
    p = walk.progress()
    assert p["encounter"] == 0 and p["laps"] == 1 and p["encounters_completed"] == 3
    assert p["episodes"] == 6 and p["encounter_name"] == "1.state"


def test_walk_jump_and_empty(tmp_path):
    walk = EncounterWalk([tmp_path / "a.state", tmp_path / "b.state"])
    walk.jump(1)
    assert walk.current.name == "b.state"
    with pytest.raises(ValueError, match="out of range"):
        walk.jump(2)
    with pytest.raises(ValueError, match="empty"):
        EncounterWalk([])
