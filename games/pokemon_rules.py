"""Pokémon Red/Blue/Yellow rewards and episode ends (PAPER.md 5.2), pure functions of RAM.

Addresses are Red/Blue's (pret/pokered symbols, GAMES.md table); Yellow's are one byte lower
for everything these rules read (GAMES.md: Red - 1 from about 0xCFxx up; PAPER.md 5.2 agrees).
The official data file's mapID 0xD35D is not used by any rule, so the one disagreement between
PAPER.md and GAMES.md (wCurMap is 0xD35E) does not matter here.

- battles: -1 on the frame one of my six HPs drops from >0 to 0, else +1 on the frame one of the
  opponent's six drops to 0 (one event per frame, mine checked first); done when all six of
  mine or all six of theirs are 0 (empty slots read 0).
- catching: +1 once per episode when the PC box count or the party count rises by exactly 1, or
  a Pokédex-owned byte changes; on the frame wIsInBattle decreases the reward is caught - 1
  (-1 when nothing was caught); done when wIsInBattle == 0. The party count is our addition:
  a catch goes to the party while it has room, which the paper's box count would miss for a
  species already owned.
An episode counts as won when its last non-zero reward is positive (as the official script).
"""

from __future__ import annotations

from typing import Callable, NamedTuple

GAMES = ("pokemon-red", "pokemon-blue", "pokemon-yellow")
SETTINGS = ("battles", "catching")
MON_STRIDE = 0x2C    # 44 bytes per party_struct

RED_BLUE = {
    "party_count": 0xD163,   # wPartyCount
    "my_hp": 0xD16C,         # wPartyMon1HP, big-endian u16, + 44 per mon
    "opp_hp": 0xD8A5,        # wEnemyMon1HP, big-endian u16, + 44 per mon
    "in_battle": 0xD057,     # wIsInBattle: -1 lost, 0 none, 1 wild, 2 trainer (int8)
    "owned": 0xD2F7,         # wPokedexOwned, 19 bytes
    "box_count": 0xDA80,     # wBoxCount
}
OWNED_BYTES = 19


def addresses(game: str) -> dict[str, int]:
    """The RAM addresses the rules read, for one game."""
    if game not in GAMES:
        raise ValueError(f"unknown Pokémon game {game!r}; allowed: {', '.join(GAMES)}")
    shift = 1 if game == "pokemon-yellow" else 0
    return {k: v - shift for k, v in RED_BLUE.items()}


class PokemonRam(NamedTuple):
    my_hp: tuple[int, ...]      # six party HPs (0 for empty slots)
    opp_hp: tuple[int, ...]     # six enemy party HPs
    in_battle: int              # signed
    party_count: int
    box_count: int
    owned: bytes                # 19 Pokédex-owned bytes

    @classmethod
    def read(cls, read_byte: Callable[[int], int], addrs: dict[str, int]) -> "PokemonRam":
        """From a `read_byte(addr) -> int` accessor and `addresses(game)`."""
        def u16(a):
            return (read_byte(a) << 8) | read_byte(a + 1)
        battle = read_byte(addrs["in_battle"])
        return cls(
            tuple(u16(addrs["my_hp"] + MON_STRIDE * i) for i in range(6)),
            tuple(u16(addrs["opp_hp"] + MON_STRIDE * i) for i in range(6)),
            battle - 256 if battle >= 128 else battle,
            read_byte(addrs["party_count"]),
            read_byte(addrs["box_count"]),
            bytes(read_byte(addrs["owned"] + i) for i in range(OWNED_BYTES)),
        )


class _Rules:
    """Common episode bookkeeping: `reset(ram)`, then `step(ram) -> (reward, done)`."""

    def __init__(self):
        self.prev: PokemonRam | None = None
        self.last_nonzero = 0.0
        self.done = False

    @property
    def won(self) -> bool:
        return self.last_nonzero > 0

    def reset(self, ram: PokemonRam) -> None:
        self.prev, self.last_nonzero, self.done = ram, 0.0, False
        self._reset()

    def step(self, ram: PokemonRam) -> tuple[float, bool]:
        reward, self.done = self._step(self.prev, ram)
        self.prev = ram
        if reward:
            self.last_nonzero = reward
        return reward, self.done

    def _reset(self):
        pass


class BattleRules(_Rules):
    """Trainer battles: faint events (official `faints()` and `done_check()`)."""

    def _step(self, prev: PokemonRam, ram: PokemonRam) -> tuple[float, bool]:
        if any(p > 0 and h == 0 for p, h in zip(prev.my_hp, ram.my_hp)):
            reward = -1.0
        elif any(p > 0 and h == 0 for p, h in zip(prev.opp_hp, ram.opp_hp)):
            reward = 1.0
        else:
            reward = 0.0
        done = not any(ram.my_hp) or not any(ram.opp_hp)
        return reward, done


class CatchingRules(_Rules):
    """Wild encounters: catch, or the battle ends without one (official `caught()`)."""

    def _reset(self):
        self.caught = False

    def _step(self, prev: PokemonRam, ram: PokemonRam) -> tuple[float, bool]:
        reward = 0.0
        if not self.caught and (ram.box_count == prev.box_count + 1
                                or ram.party_count == prev.party_count + 1
                                or ram.owned != prev.owned):
            self.caught = True
            reward += 1.0
        if ram.in_battle < prev.in_battle:
            reward += float(self.caught) - 1.0
        return reward, ram.in_battle == 0


def make_rules(setting: str) -> _Rules:
    if setting == "battles":
        return BattleRules()
    if setting == "catching":
        return CatchingRules()
    raise ValueError(f"unknown Pokémon setting {setting!r}; allowed: {', '.join(SETTINGS)}")
