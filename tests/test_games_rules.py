"""Tetris and Pokémon reward/done rules driven by synthetic RAM sequences (no ROM)."""

import pytest

from stagger.games.pokemon_rules import (BattleRules, CatchingRules, PokemonRam, addresses,
                                 make_rules)
from stagger.games.tetris_rules import (GAME_STATE_ADDR, SCORE_ADDR, TetrisRam, TetrisRules,
                                bcd_decode)


# --- Tetris ------------------------------------------------------------------------------

def bcd3(n: int) -> bytes:
    """int -> 3-byte little-endian BCD (test helper, the inverse of bcd_decode)."""
    digits = f"{n:06d}"
    return bytes(int(digits[i:i + 2], 16) for i in (4, 2, 0))


def test_bcd_decode():
    assert bcd_decode(bytes([0x00, 0x00, 0x00])) == 0
    assert bcd_decode(bytes([0x40, 0x00, 0x00])) == 40
    assert bcd_decode(bytes([0x56, 0x34, 0x12])) == 123456
    assert bcd_decode(bcd3(999999)) == 999999
    with pytest.raises(ValueError):
        bcd_decode(bytes([0x0A, 0, 0]))


def test_tetris_reward_is_bcd_score_change_and_done_on_state():
    rules = TetrisRules()
    rules.reset(TetrisRam(bcd3(0), 0))
    seq = [(bcd3(0), 0x00), (bcd3(3), 0x00), (bcd3(43), 0x00), (bcd3(1243), 0x00),
           (bcd3(1243), 0x01)]
    out = [rules.step(TetrisRam(s, g)) for s, g in seq]
    assert out == [(0.0, False), (3.0, False), (40.0, False), (1200.0, False), (0.0, True)]
    assert rules.score == 1243


@pytest.mark.parametrize("state", [0x01, 0x04, 0x0D, 0x07])
def test_tetris_any_non_game_state_ends(state):
    rules = TetrisRules()
    rules.reset(TetrisRam(bcd3(10), 0))
    assert rules.step(TetrisRam(bcd3(10), state)) == (0.0, True)


def test_tetris_score_carry_across_bytes_and_invalid_bcd_held():
    rules = TetrisRules()
    rules.reset(TetrisRam(bcd3(99), 0))
    assert rules.step(TetrisRam(bytes([0x0A, 0x01, 0x00]), 0)) == (0.0, False)  # mid-write
    assert rules.step(TetrisRam(bcd3(100), 0)) == (1.0, False)


def test_tetris_ram_read_from_addresses():
    mem = {SCORE_ADDR: 0x56, SCORE_ADDR + 1: 0x34, SCORE_ADDR + 2: 0x12, GAME_STATE_ADDR: 4}
    ram = TetrisRam.read(mem.__getitem__)
    assert ram == TetrisRam(bytes([0x56, 0x34, 0x12]), 4)


# --- Pokémon -----------------------------------------------------------------------------

def ram(my=(20, 0, 0, 0, 0, 0), opp=(15, 0, 0, 0, 0, 0), battle=2, party=1, box=0,
        owned=bytes(19)):
    return PokemonRam(tuple(my), tuple(opp), battle, party, box, owned)


def test_addresses_red_blue_and_yellow_one_lower():
    red, blue, yellow = (addresses(g) for g in ("pokemon-red", "pokemon-blue", "pokemon-yellow"))
    assert red == blue
    assert red["my_hp"] == 0xD16C and red["opp_hp"] == 0xD8A5 and red["in_battle"] == 0xD057
    assert red["box_count"] == 0xDA80 and red["owned"] == 0xD2F7 and red["party_count"] == 0xD163
    assert all(yellow[k] == red[k] - 1 for k in red)
    with pytest.raises(ValueError, match="pokemon-red"):
        addresses("pokemon-green")


def test_pokemon_ram_read_big_endian_hp_and_signed_battle():
    a = addresses("pokemon-yellow")
    mem = {i: 0 for i in range(0xC000, 0xE000)}
    mem[a["my_hp"]], mem[a["my_hp"] + 1] = 0x01, 0x2C            # 300
    mem[a["my_hp"] + 44 * 5 + 1] = 7                              # sixth mon
    mem[a["opp_hp"] + 44 + 1] = 9                                 # enemy's second mon
    mem[a["in_battle"]] = 0xFF                                     # -1: lost
    mem[a["box_count"]], mem[a["party_count"]], mem[a["owned"] + 18] = 3, 6, 0x80
    r = PokemonRam.read(mem.__getitem__, a)
    assert r.my_hp == (300, 0, 0, 0, 0, 7) and r.opp_hp == (0, 9, 0, 0, 0, 0)
    assert r.in_battle == -1 and r.box_count == 3 and r.party_count == 6
    assert r.owned[18] == 0x80 and len(r.owned) == 19


def test_battle_enemy_faint_is_plus_one_and_all_enemies_fainted_wins():
    rules = BattleRules()
    rules.reset(ram(opp=(15, 12, 0, 0, 0, 0)))
    assert rules.step(ram(opp=(7, 12, 0, 0, 0, 0))) == (0.0, False)
    assert rules.step(ram(opp=(0, 12, 0, 0, 0, 0))) == (1.0, False)
    assert rules.step(ram(opp=(0, 12, 0, 0, 0, 0))) == (0.0, False)   # counted once
    assert rules.step(ram(opp=(0, 0, 0, 0, 0, 0))) == (1.0, True)
    assert rules.won


def test_battle_faint_of_mine_then_theirs_in_one_frame_counts_mine():
    rules = BattleRules()
    rules.reset(ram(my=(5, 30, 0, 0, 0, 0), opp=(3, 10, 0, 0, 0, 0)))
    reward, done = rules.step(ram(my=(0, 30, 0, 0, 0, 0), opp=(0, 10, 0, 0, 0, 0)))
    assert (reward, done) == (-1.0, False)
    assert not rules.won


def test_battle_all_six_of_mine_fainted_ends_lost():
    rules = BattleRules()
    six = (9, 9, 9, 9, 9, 9)
    rules.reset(ram(my=six, opp=(50, 0, 0, 0, 0, 0)))
    assert rules.step(ram(my=(0, 9, 9, 9, 9, 9), opp=(50,) + (0,) * 5)) == (-1.0, False)
    assert rules.step(ram(my=(0, 0, 0, 0, 0, 9), opp=(50,) + (0,) * 5)) == (-1.0, False)
    assert rules.step(ram(my=(0,) * 6, opp=(50,) + (0,) * 5)) == (-1.0, True)
    assert not rules.won


def test_battle_reset_forgets_previous_episode():
    rules = BattleRules()
    rules.reset(ram())
    rules.step(ram(opp=(0,) * 6))
    assert rules.won
    rules.reset(ram())
    assert not rules.won and not rules.done


def test_catching_box_count_plus_one_then_battle_end_is_a_win():
    rules = CatchingRules()
    rules.reset(ram(battle=1, party=6, box=4))
    assert rules.step(ram(battle=1, party=6, box=4)) == (0.0, False)
    assert rules.step(ram(battle=1, party=6, box=5)) == (1.0, False)
    assert rules.step(ram(battle=1, party=6, box=6)) == (0.0, False)  # once per episode
    assert rules.step(ram(battle=0, party=6, box=6)) == (0.0, True)   # caught - 1 = 0
    assert rules.won


def test_catching_party_count_plus_one_counts_as_catch():
    rules = CatchingRules()
    rules.reset(ram(battle=1, party=2))
    assert rules.step(ram(battle=1, party=3)) == (1.0, False)
    assert rules.step(ram(battle=0, party=3)) == (0.0, True)
    assert rules.won


def test_catching_pokedex_owned_change_counts_as_catch():
    rules = CatchingRules()
    rules.reset(ram(battle=1))
    owned = bytes(5) + b"\x04" + bytes(13)
    assert rules.step(ram(battle=1, owned=owned)) == (1.0, False)


def test_catching_battle_end_without_catch_is_minus_one_and_done():
    rules = CatchingRules()
    rules.reset(ram(battle=1, box=4))
    assert rules.step(ram(battle=1, box=4)) == (0.0, False)
    assert rules.step(ram(battle=0, box=4)) == (-1.0, True)
    assert not rules.won


def test_catching_box_jump_by_two_is_not_a_catch():
    rules = CatchingRules()
    rules.reset(ram(battle=1, box=4))
    assert rules.step(ram(battle=1, box=6)) == (0.0, False)


def test_catching_blackout_then_zero():
    rules = CatchingRules()
    rules.reset(ram(battle=1))
    assert rules.step(ram(battle=-1)) == (-1.0, False)    # lost: decrease, not yet 0
    assert rules.step(ram(battle=0)) == (0.0, True)


def test_make_rules():
    assert isinstance(make_rules("battles"), BattleRules)
    assert isinstance(make_rules("catching"), CatchingRules)
    with pytest.raises(ValueError, match="battles, catching"):
        make_rules("racing")
