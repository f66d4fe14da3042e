"""`pokemon-red|blue|yellow`: battles or catching from the user's own ROM and states (PAPER.md 5.2).

Each episode starts from the current encounter's PyBoy save state (the `--states` directory,
in story order), with no randomisation, and returns the first frame. Rewards and episode ends
come from RAM (`games.pokemon_rules`). An encounter is replayed until an episode of it is won
(last non-zero reward positive), then the walk moves on; `progress()` reports how far it got.
"""

from __future__ import annotations

from stagger.games.encounters import EncounterWalk, list_states
from stagger.games.gb_env import GameBoyEnv
from stagger.games.pokemon_rules import GAMES, PokemonRam, addresses, make_rules


class PokemonEnv(GameBoyEnv):
    """One of Red, Blue, Yellow; attributes fps 59.7275, noop_action 6, policy_actions 6."""

    def __init__(self, rom, *, game: str = "pokemon-red", states, setting: str = "battles",
                 cgb: bool | None = None, render_mode: str | None = None,
                 max_frames: int | None = None):
        if game not in GAMES:
            raise ValueError(f"unknown Pokémon game {game!r}; allowed: {', '.join(GAMES)}")
        self.game = game
        self.setting = setting
        self.rules = make_rules(setting)
        self.addrs = addresses(game)
        self.walk = EncounterWalk(list_states(states))
        # cgb=None: PyBoy's choice from the header (Yellow in colour); states made with the
        # other mode do not load.
        super().__init__(rom, cgb=cgb, render_mode=render_mode, max_frames=max_frames)

    def _ram(self) -> PokemonRam:
        return PokemonRam.read(self.emu.read, self.addrs)

    def _load(self, path) -> None:
        data = path.read_bytes()
        try:
            self.emu.load_state(data)
        except Exception as e:
            from importlib.metadata import version
            raise ValueError(
                f"{path}: PyBoy {version('pyboy')} could not load this save state ({e}). "
                f"States must be saved with pyboy.save_state() by this PyBoy version (or an "
                f"older one), from this ROM, in the same colour mode (Yellow runs in CGB mode "
                f"unless cgb=False).") from None

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        if options and options.get("encounter") is not None:
            self.walk.jump(int(options["encounter"]))
        path = self.walk.current
        self._load(path)
        self.emu.tick(1, render=True)
        self.frames = 0
        ram = self._ram()
        if ram.in_battle == 0:
            raise ValueError(f"{path}: not in a battle (wIsInBattle is 0 one frame after "
                             f"loading). Save each encounter's state during its battle.")
        self.rules.reset(ram)
        return self.emu.screen84(), self.progress()

    def step(self, action):
        obs = self._frame(action)
        reward, terminated = self.rules.step(self._ram())
        truncated = self._truncated(terminated)
        info = {}
        if terminated or truncated:          # a truncated episode is an attempt not won
            won = terminated and self.rules.won
            self.walk.record(won)
            info = {"won": won, **self.progress()}
        return obs, reward, terminated, truncated, info

    def progress(self) -> dict:
        """Encounters completed and where the walk is (for the run summary)."""
        return self.walk.progress()
