"""CPU use of a run's nodes and of the whole machine over the measured window (Linux /proc).

``usage(before, after)`` gives, in cores (1.0 = one core busy all the time): the machine's busy
CPU (every process, other users' included: on a shared machine say so), and each node's own
(user + system time of all its threads). Elsewhere (no /proc) it gives nothing.
"""
from __future__ import annotations

import os
import time


def _proc_times(pid: int) -> float | None:
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rpartition(")")[2].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def snapshot(pids: dict[str, int]) -> dict:
    """Now: the machine's busy and total CPU seconds, and each node's CPU seconds."""
    try:
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:]]
    except OSError:
        return {}
    tick = os.sysconf("SC_CLK_TCK")
    idle = v[3] + (v[4] if len(v) > 4 else 0)  # idle + iowait
    return {"t": time.monotonic(), "busy": (sum(v[:8]) - idle) / tick, "total": sum(v[:8]) / tick,
            "nodes": {n: s for n, pid in pids.items() if (s := _proc_times(pid)) is not None}}


def usage(before: dict, after: dict) -> dict:
    """Cores used between two snapshots: machine busy, per node, and by kind prefix."""
    if not before or not after:
        return {}
    wall = after["t"] - before["t"]
    cores = os.cpu_count() or 1
    total = after["total"] - before["total"] or 1.0
    nodes = {n: (after["nodes"][n] - s) / wall for n, s in before["nodes"].items() if n in after["nodes"]}
    return {"cores": cores, "window_s": wall,
            "machine_busy_cores": cores * (after["busy"] - before["busy"]) / total,
            "nodes_cores": nodes,
            "inference_cores": sum(c for n, c in nodes.items() if n.startswith("inf"))}
