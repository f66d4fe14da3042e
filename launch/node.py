"""Entry point of one node process: ``python -m launch.node KIND OPTS.json``.

Every node is started this way (by ``stagger run``, ``stagger launch`` or by hand through
``stagger node``): a fresh interpreter, so no zmq context or torch state crosses a fork.
"""
from __future__ import annotations

import importlib
import json
import logging
import sys

KINDS = ("env", "clock", "inference", "learner", "sequential")


def run_node(kind: str, opts: dict) -> int:
    if kind not in KINDS:
        raise SystemExit(f"unknown node kind {kind!r}; allowed: {', '.join(KINDS)}")
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format=f"%(asctime)s {opts.get('node_id', kind)} %(levelname)s %(message)s")
    module = importlib.import_module(f"nodes.{kind}")
    return int(module.run(opts) or 0)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 2:
        raise SystemExit("usage: python -m launch.node KIND OPTS.json")
    with open(argv[1]) as f:
        opts = json.load(f)
    return run_node(argv[0], opts)


if __name__ == "__main__":
    sys.exit(main())
