"""What only the launcher of ``stagger launch`` uses (the run's own options are a RunConfig).
Light on imports: the CLI builds its options from these fields (launch/cli_fields.py)."""
from __future__ import annotations

from dataclasses import dataclass

from stagger.nodes.options import Options, opt


@dataclass(frozen=True)
class LaunchOptions(Options):
    """What only the launcher uses (the run's options are a RunConfig); `stagger launch` has an
    option for every field (launch/cli_fields.py)."""
    keys_dir: str = opt("", "The run's CurveZMQ keys directory (created if empty; default RUN_DIR/keys).",
                        flag="--keys", path="dir")
    bind_all: bool = opt(False, "Bind every interface (0.0.0.0), not just each host's address.")
    base_port: int = opt(0, "Fixed ports BASE..BASE+7 on every host (0: random ports, reported by the nodes).",
                         min=0)
    launcher_address: str = opt("", "This machine's address as the hosts reach it (default: from the route "
                                    "to them).")
    learner_restarts: int = opt(1, "Times a learner that exits is restarted from its last checkpoint.", min=0)
    resume: str = opt("", "Start the learner from RUN_DIR/checkpoint.pt of an earlier run.", path="existing-dir")
    remote_dir: str = opt("", "Run directory on the hosts (default: the absolute --run-dir).")
