"""Fuzz the decoder and every node core: ``python -m stagger.benchmarks.fuzz_protocol --runs 100000``.

Each input is one message for one target (benchmarks/fuzz_targets.py: the env's actions,
the clock's control, the inference node's ticks, control and observations, the learner's
experience): its first byte picks the target, the rest is split into frames at ``SEP``. The
frames go through ``Runtime.accept`` (decode, value checks, counting) into the core, as a
running node takes them; then the nodes advance one frame and their invariants are checked.
A crash is any exception (or broken invariant) out of that: it is counted, its traceback
kept, the cores reset, and the run goes on. At the end it prints the inputs run, the crashes
(must be 0) and the rejections by reason; the exit status is 1 if anything crashed.

Engines: ``atheris`` (default; coverage-guided, libFuzzer, ``pip install -e .[fuzz]``) mutates
from the well-formed seeds with the coverage of stagger's protocol and node modules as its
guide, half with libFuzzer's byte mutations, half with the structure-aware ones of
benchmarks/fuzz_mutate.py; ``mutate`` applies those same mutations at random, with no
coverage guidance, for machines without atheris.
"""
from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
import traceback
from collections import Counter

from stagger.benchmarks.fuzz_mutate import SEP, mutate, to_input

RESET_EVERY = 1000  # inputs between resets of the cores (state accumulates in between)


class Fuzz:
    """Runs inputs, counts outcomes; ``report`` prints the figures."""

    def __init__(self, runs: int, engine: str):
        import logging

        from stagger.benchmarks.fuzz_targets import TARGETS, Nodes  # after atheris instruments them
        logging.getLogger("stagger").setLevel(logging.ERROR)  # each rejection is counted, not logged
        self.targets = list(TARGETS)
        self.nodes = Nodes()
        self.runs, self.engine = runs, engine
        self.done = self.crashes = self.accepted = 0
        self.rejected: Counter = Counter()
        self.per_target: Counter = Counter()
        self.tracebacks: dict[str, str] = {}
        self.t0 = time.perf_counter()

    def one(self, data: bytes) -> None:
        if not data:
            data = b"\x00"
        target = self.targets[data[0] % len(self.targets)]
        frames = data[1:].split(SEP)  # the frames of one message
        self.done += 1
        self.per_target[target] += 1
        try:
            reason = self.nodes.feed(target, frames)
            self.nodes.advance()
            self.nodes.check()
        except Exception as exc:  # noqa: BLE001 - a crash is what this counts
            self.crashes += 1
            key = f"{target}: {type(exc).__name__}: {exc}"[:200]
            self.tracebacks.setdefault(key, traceback.format_exc())
            self.nodes.reset()
        else:
            if reason is None:
                self.accepted += 1
            else:
                self.rejected[reason] += 1
        if self.done % RESET_EVERY == 0:
            self.nodes.reset()

    def report(self) -> int:
        wall = time.perf_counter() - self.t0
        name = {"atheris": "atheris (coverage-guided, libFuzzer)",
                "mutate": "mutate (random mutational, not coverage-guided)"}[self.engine]
        print(f"fuzz_protocol: engine {name}")
        print(f"inputs run: {self.done} in {wall:.1f} s ({self.done / max(wall, 1e-9):.0f}/s)")
        print(f"crashes: {self.crashes}")
        print(f"accepted: {self.accepted}")
        print(f"rejected: {sum(self.rejected.values())}")
        for reason, n in sorted(self.rejected.items(), key=lambda kv: -kv[1]):
            print(f"  {reason}: {n}")
        print("inputs by target: " + ", ".join(f"{t} {n}" for t, n in sorted(self.per_target.items())))
        for key, tb in list(self.tracebacks.items())[:5]:
            print(f"--- crash {key}\n{tb}", file=sys.stderr)
        sys.stdout.flush()
        return 1 if self.crashes else 0


def corpus_of(fuzz: Fuzz) -> list[bytes]:
    from stagger.benchmarks.fuzz_targets import seeds
    return [to_input(fuzz.targets.index(t), frames) for t, frames in seeds()]


def run_mutate(fuzz: Fuzz, seed: int) -> int:
    rng = random.Random(seed)
    corpus = corpus_of(fuzz)
    while fuzz.done < fuzz.runs:
        fuzz.one(mutate(rng.choice(corpus), rng, corpus))
    return fuzz.report()


def run_atheris(runs: int, seed: int, max_len: int) -> int:
    try:
        import atheris
    except ImportError:
        print("atheris is not installed: pip install -e .[fuzz] (or atheris), or use --engine mutate",
              file=sys.stderr)
        return 2
    with atheris.instrument_imports(include=["stagger.protocol", "stagger.nodes", "stagger.agents.transitions",
                                             "stagger.benchmarks.fuzz_targets"]):
        fuzz = Fuzz(runs, "atheris")
    seeds = corpus_of(fuzz)
    corpus = tempfile.mkdtemp(prefix="stagger-fuzz-")
    for i, data in enumerate(seeds):
        with open(os.path.join(corpus, f"seed{i:02d}"), "wb") as f:
            f.write(data)

    def one_input(data: bytes) -> None:
        fuzz.one(data)
        if fuzz.done >= runs:  # libFuzzer never returns: report and leave here
            code = fuzz.report()
            fuzz.nodes.close()
            os._exit(code)
    def custom_mutator(data: bytes, max_size: int, mseed: int) -> bytes:
        """Half libFuzzer's own byte mutations, half ours (structure-aware: fuzz_mutate)."""
        if mseed % 2:
            return atheris.Mutate(data, max_size)
        return mutate(data, random.Random(mseed), seeds)[:max_size]
    atheris.Setup([sys.argv[0], corpus, f"-seed={seed}", f"-max_len={max_len}", "-timeout=30",
                   "-print_final_stats=0"], one_input, custom_mutator=custom_mutator)
    atheris.Fuzz()
    return 0  # not reached


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m stagger.benchmarks.fuzz_protocol",
                                description=__doc__.split("\n\n")[0])
    p.add_argument("--runs", type=int, default=100_000, help="inputs to run (default 100000)")
    p.add_argument("--engine", choices=("atheris", "mutate"), default="atheris",
                   help="atheris: coverage-guided (libFuzzer); mutate: random mutational, no coverage")
    p.add_argument("--seed", type=int, default=1, help="random seed of the engine")
    p.add_argument("--max-len", type=int, default=4096, help="largest input, bytes (atheris)")
    args = p.parse_args(argv)
    if args.engine == "atheris":
        return run_atheris(args.runs, args.seed, args.max_len)
    fuzz = Fuzz(args.runs, "mutate")
    try:
        return run_mutate(fuzz, args.seed)
    finally:
        fuzz.nodes.close()


if __name__ == "__main__":
    sys.exit(main())
