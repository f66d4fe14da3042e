"""`stagger run --workers-per-process`: 6 inference workers in 2 processes at a simulated
latency. Each worker is a member of its own (joined, phased, counted, its Bye) under its own
id, both processes send their workers' actions, and the run covers far more frames than 2
nodes could (2 nodes at this latency: at most 2/5 of them)."""
import json
import subprocess
import sys

import numpy as np
import pytest

from multihost_runs import ROOT

pytestmark = pytest.mark.system

LATENCY = 3.5 / 59.7275  # 4 ticks (5 with the overhead): 6 workers cover every frame, 2 nodes <= 0.4
WORKERS = [f"inf{i:02d}" for i in range(6)]
PROCESSES = {"inf00+2": WORKERS[:3], "inf03+2": WORKERS[3:]}


def test_six_workers_in_two_processes_are_six_members(tmp_path):
    run = tmp_path / "run"
    r = subprocess.run([sys.executable, "-m", "stagger.launch.cli", "run", "--run-dir", str(run),
                        "--inference-nodes", "6", "--workers-per-process", "3", "--inference-latency", str(LATENCY),
                        "--duration", "5", "--no-learner", "--algorithm", "exp_time", "--quiet", "--join-timeout", "150"],
                       cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert r.returncode == 0, r.stderr[-3000:]
    summary = json.loads((run / "summary.json").read_text())
    details = json.loads((run / "details.json").read_text())
    assert sorted((run / "logs").glob("inf*.log")) == [run / "logs" / f"{p}.log" for p in sorted(PROCESSES)]
    assert summary["inference_nodes"] == 6 and summary["dropped"] == 0
    assert summary["coverage"] > 0.6  # 2 nodes: <= 0.4
    clock = details["finals"]["clock"]
    assert sorted(clock["joins"]) == WORKERS and clock["drops"] == {}
    byes = sorted(e["node"] for e in clock["events"] if e["event"] == "bye")
    assert byes == WORKERS
    senders = clock["received"]["control"]["senders"]  # Hellos per worker, Heartbeats per process
    assert set(PROCESSES) <= set(senders) and senders[PROCESSES["inf00+2"][0]]["dropped"] == 0
    for proc, ids in PROCESSES.items():
        for w in ids:
            final = details["finals"][w]
            assert final["process"] == proc and final["workers_in_process"] == 3
            assert final["count"] > 0
            node = details["nodes"][w]  # from the env's records: actions applied in its name
            assert node["joins"] == 1 and node["byes"] == 1 and node["fresh_actions"] > 0
    shares = [details["nodes"][w]["coverage_share"] for w in WORKERS]
    assert min(shares) > 0.05  # staggered: every worker has frames of its own
    with np.load(run / "env_frames.npz") as z:
        sources = {str(s) for s in z["source"] if str(s)}
    assert sources == set(WORKERS)
