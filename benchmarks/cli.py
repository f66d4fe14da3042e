"""`stagger bench`: the benchmarks, one module each (they print their figures and write JSON
and PNG files into ``--out``). Their commands are added at the end of this file."""
from __future__ import annotations

import click


@click.group()
def bench():
    """The benchmarks (they print their figures)."""


# Benchmarks defined in their own modules register here, one line each.
from stagger.benchmarks.compute import compute  # noqa: E402
from stagger.benchmarks.learning import learning  # noqa: E402
from stagger.benchmarks.overhead import overhead  # noqa: E402
from stagger.benchmarks.scaling import scaling  # noqa: E402
from stagger.benchmarks.startup import startup  # noqa: E402
from stagger.benchmarks.transport import transport  # noqa: E402

bench.add_command(scaling)
bench.add_command(learning)
bench.add_command(compute)
bench.add_command(startup)
bench.add_command(transport)
bench.add_command(overhead)
