"""Entry point of one node process: ``python -m stagger.launch.node KIND OPTS.json``.

Every node is started this way (by ``stagger run``, ``stagger launch`` or by hand through
``stagger node``): a fresh interpreter, so no zmq context or torch state crosses a fork.
"""
from __future__ import annotations

import importlib
import json
import logging
import sys

KINDS = ("env", "clock", "inference", "learner", "sequential")


def run_node(kind: str, opts) -> int:
    """Run a ``kind`` node with its options (the nodes.options object of its kind)."""
    if kind not in KINDS:
        raise SystemExit(f"unknown node kind {kind!r}; allowed: {', '.join(KINDS)}")
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format=f"%(asctime)s {opts.node_id or kind} %(levelname)s %(message)s")
    module = importlib.import_module(f"stagger.nodes.{kind}")
    return int(module.run(opts) or 0)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 2:
        raise SystemExit("usage: python -m stagger.launch.node KIND OPTS.json")
    from stagger.nodes.options import OptionsError, load
    with open(argv[1]) as f:
        data = json.load(f)
    try:
        opts = load(argv[0], data)
    except OptionsError as exc:
        raise SystemExit(f"{argv[1]}: {exc}")
    return run_node(argv[0], opts)


if __name__ == "__main__":
    sys.exit(main())
