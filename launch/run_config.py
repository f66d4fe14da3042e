"""The options of one run (``stagger run`` and ``stagger launch``), and config.json read back.

Kept apart from launch/run.py (the supervisor) so the CLI imports it without numpy.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from stagger.nodes.options import (
    ActingPart, ClockPart, EnvPart, GameFacts, LearningPart, ModelPart, RunWide, fields_of, from_dict, opt, project,
    to_dict,
)

MODES = ("staggered", "sequential", "sequential-async")  # sequential-async: 1 free-running node + learner
# config.json keys besides RunConfig's and GameFacts' fields: what the run recorded
RECORDED = ("stats_endpoint", "endpoints", "run_id", "placement", "via", "versions", "security",
            "launcher_address")


@dataclass(frozen=True)
class RunConfig(LearningPart, ActingPart, ModelPart, ClockPart, EnvPart, RunWide):
    """The options of one run: the fields of every (run) group of nodes.options, which its
    nodes' options are projected from, and what only the supervisor uses (below)."""
    mode: str = opt("staggered", "staggered: N inference nodes + learner; sequential: one agent infers then "
                                 "learns in turn; sequential-async: one inference node that starts whenever it "
                                 "is free (algorithm none) while a learner trains in the background.",
                    choices=MODES)
    inference_nodes: int = opt(1, "Number of inference nodes (staggered mode).", min=0)
    workers_per_process: int = opt(1, "Inference workers K per inference process: N workers run in ceil(N/K) "
                                      "processes, one model copy and one pass at a time each (for simulated "
                                      "latency or batched/GPU compute; 1 for CPU-bound real models, README).", min=1)
    duration: float = opt(60.0, "Seconds to run after every node has joined and warmed up.", min=0.0)
    warmup_s: float = opt(1.0, "Seconds of warm-up before the measured window starts.", min=0.0)
    learner: bool = opt(True, "Run a learner (staggered mode).", off_help="Staggered mode without a learner "
                                                                          "(timing runs).")
    join_timeout_s: float = opt(0.0, "Seconds to wait for the inference nodes (0: 30 + 1 per node).", min=0.0,
                                flag="--join-timeout")
    start: str = opt("exec", "How nodes start: exec (a fresh interpreter each: about a second of imports "
                             "per node) or fork (from one warm interpreter with torch imported: milliseconds "
                             "per node, a fifth of the memory; new, see the README).", choices=("exec", "fork"))
    clock_restarts: int = opt(1, "Times a clock that exits is restarted on the same endpoints (the env and the "
                                 "inference nodes keep running meanwhile; 0: its exit fails the run).", min=0)
    insecure: bool = opt(False, "No authentication, warned about loudly: stagger run --transport tcp binds plain "
                                "TCP on 127.0.0.1; stagger launch turns CurveZMQ off. Anyone who reaches a port "
                                "reads observations and weights and sends actions.")
    tensorboard: bool = opt(True, "Write coverage, delay, lateness, overhead, return, loss and updates as "
                                  "TensorBoard scalars into RUN_DIR/tb.",
                            off_help="Write no TensorBoard scalars (default: into RUN_DIR/tb, for "
                                     "tensorboard --logdir runs).")

    def __post_init__(self):
        super().__post_init__()
        if self.mode == "staggered" and self.inference_nodes < 1:
            raise ValueError("staggered mode needs at least 1 inference node")


def config_doc(cfg: RunConfig, facts: dict, **recorded) -> dict:
    """The content of config.json: the run's options, the game's facts and what the run
    recorded (each key listed in RECORDED, so read_config knows it)."""
    unknown = sorted(set(recorded) - set(RECORDED))
    if unknown:
        raise ValueError(f"config.json keys {unknown} are not in launch.run_config.RECORDED")
    return {**to_dict(cfg), **to_dict(project(GameFacts, facts)), **recorded}


def read_config(path) -> RunConfig:
    """The RunConfig a run's config.json was written from (validated: an unknown key is an error)."""
    doc = json.loads(Path(path).read_text())
    facts = fields_of(GameFacts)
    return from_dict(RunConfig, {k: v for k, v in doc.items() if k not in facts}, ignore=RECORDED)


