"""Options `stagger run` and `stagger launch` share: one definition, one help text."""
from __future__ import annotations

import click

ALGORITHM = click.option("--algorithm", type=click.Choice(["max_time", "exp_time"]), default="max_time",
                         show_default=True, help="Staggering algorithm (the paper's Algorithm 1 or 2).")
ACTION_EVERY = click.option("--action-every", type=int, default=1, show_default=True,
                            help="Action cadence k in frames.")
DEFAULT_ACTION = click.option("--default-action", type=click.Choice(["noop", "repeat"]), default="noop",
                              show_default=True, help="What the env applies on a slot with no fresh action.")
DURATION = click.option("--duration", type=float, default=60.0, show_default=True,
                        help="Seconds to run after every node has joined and warmed up.")
SEED = click.option("--seed", type=int, default=0, show_default=True,
                    help="Seed of the env, model and exploration.")
LEARN_EVERY = click.option("--learn-every", type=int, default=4, show_default=True,
                           help="Env frames per learner update.")
