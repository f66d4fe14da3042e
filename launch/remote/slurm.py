"""Slurm: the ``srun`` line that starts one node on one host of the allocation, and the
sbatch script ``stagger launch --via slurm --print-sbatch`` writes for a user to submit.

Inside an allocation the launcher runs on the batch host and starts every node as its own
job step, pinned to its host with ``--nodelist``. Steps share the allocated nodes
(``--overlap``: several nodes run on one host), stream their output unbuffered (the launcher
prefixes it with host and node) and get the node's payload on stdin (srun forwards it).
"""
from __future__ import annotations

import math
import shlex
import subprocess

STARTUP_ALLOWANCE_S = 600  # time for the allocation's nodes to start and stop, in the job limit


def srun_argv(host: str, command: str, name: str) -> list[str]:
    """One job step of one task on ``host`` running the shell ``command``."""
    return ["srun", "--nodes=1", "--ntasks=1", f"--nodelist={host}", f"--job-name={name}",
            "--overlap", "--unbuffered", "--kill-on-bad-exit=1", "sh", "-c", command]


def job_nodelist(environ) -> str | None:
    """The node list of the allocation this process runs in, as slurmctld has it (None: not in
    one, or no answer). Not the environment's alone: in a step started from outside the
    allocation (``srun --jobid J -N 1 stagger launch ...``) Slurm 22.05 sets
    SLURM_JOB_NODELIST to that step's node, not the job's."""
    job = environ.get("SLURM_JOB_ID") or environ.get("SLURM_JOBID")
    if not job:
        return None
    try:
        p = subprocess.run(["squeue", "-h", "-j", job, "-o", "%N"], capture_output=True, text=True, timeout=30,
                           stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired):
        return None
    lines = p.stdout.split() if p.returncode == 0 else []
    return lines[0] if lines else None


def node_address(host: str) -> str:
    """The address Slurm reaches ``host`` at (its ``NodeAddr``, which may differ from the node
    name, e.g. a name only slurm.conf knows); ``host`` itself when scontrol does not know it."""
    try:
        p = subprocess.run(["scontrol", "show", "node", "-o", host], capture_output=True, text=True,
                           timeout=30, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired):
        return host
    for word in p.stdout.split() if p.returncode == 0 else []:
        key, _, value = word.partition("=")
        if key == "NodeAddr" and value and value != "(null)":
            return value
    return host


def time_limit(seconds: float) -> str:
    """A Slurm time limit (``H:MM:SS`` or ``D-HH:MM:SS``), rounded up to whole minutes."""
    minutes = math.ceil(max(seconds, 60.0) / 60.0)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    return f"{days}-{hours:02d}:{mins:02d}:00" if days else f"{hours}:{mins:02d}:00"


def sbatch_script(launch_args: list[str], *, nodes: int, duration_s: float, remote_cmd: str = "stagger",
                  job_name: str = "stagger", options: tuple[str, ...] = ()) -> str:
    """The batch script: whole nodes (realtime nodes want their cores), a time limit of the
    run's duration plus start-up, and ``stagger launch --via slurm`` with the user's options
    (the hosts come from the allocation)."""
    if nodes < 1:
        raise ValueError(f"an allocation needs at least 1 node, got {nodes}")
    lines = ["#!/bin/bash",
             f"#SBATCH --job-name={job_name}",
             f"#SBATCH --nodes={nodes}",
             "#SBATCH --exclusive",
             f"#SBATCH --time={time_limit(duration_s + STARTUP_ALLOWANCE_S)}",
             "#SBATCH --output=stagger-%j.out"]
    lines += [f"#SBATCH {opt}" for opt in options]
    lines += ["",
              "# stagger launch runs on the first host of the allocation and starts every node",
              "# with srun on the hosts in SLURM_JOB_NODELIST (placement: --env-host/--learner-host",
              "# take a host name or @N, the N-th host of the allocation).",
              "set -euo pipefail",
              " ".join([remote_cmd, "launch", "--via", "slurm"] + [shlex.quote(a) for a in launch_args]),
              ""]
    return "\n".join(lines)
