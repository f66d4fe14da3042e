"""Worlds: catcher (our own Game Boy game), PyBoy commercial ROMs, Atari, any Gymnasium env.

Importing this package registers "stagger/Catcher-v0" with Gymnasium (nothing else: the
emulator and ROM are loaded only when an env is made and reset).
"""

import gymnasium

CATCHER_ID = "stagger/Catcher-v0"

if CATCHER_ID not in gymnasium.registry:
    gymnasium.register(id=CATCHER_ID, entry_point="stagger.games.catcher:CatcherEnv",
                       max_episode_steps=None, nondeterministic=False)
