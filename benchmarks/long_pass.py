"""Long forward passes (issue 9): a pass of ``--seconds`` keeps its node a member; the same node
SIGKILLed is dropped within the heartbeat timeout.

    nice -n 10 python -m stagger.benchmarks.long_pass --seconds 30 [--run-dir DIR]

One real run (catcher, one inference node, no learner, no simulated latency) whose model is
:func:`build`: a chain of 512x512 matrix products on one thread, sized when built to take
``--seconds`` (real compute, nothing sleeps; torch releases the GIL inside each product, so
the node's I/O thread keeps heart-beating). Near the end of the measured window the inference
process is SIGKILLed. It prints and writes ``long_pass.json`` in the run dir: drops of the node
before the kill (the clock's events in details.json: there should be none), the longest
silence the clock saw from it while it was a member (``clock.max_silence_s``: the heartbeats'
max gap, against the timeout), the passes' real times and the actions applied (all frames of
the run), and the time from the SIGKILL to the clock's drop event.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import signal
import threading
import time
from pathlib import Path

import numpy as np

SECONDS_VAR = "STAGGER_LONG_PASS_S"  # the pass length, read by build() in the inference node
SIZE = 512


def chain_steps(w, seconds: float) -> int:
    """How many products ``x = tanh(x @ w)`` take about ``seconds`` on this thread, timed on the
    fastest of 5 tries of 4 products (also tests/slow_model.py's calibration)."""
    import torch
    with torch.inference_mode():
        x, per = torch.randn(w.shape[0], w.shape[1]), float("inf")
        for _ in range(5):
            t0 = time.perf_counter()
            for _ in range(4):
                x = torch.tanh(x @ w)
            per = min(per, (time.perf_counter() - t0) / 4)
    return max(1, int(seconds / per))


def build(obs_shape, n_actions):
    """``--model stagger.benchmarks.long_pass:build``: a pass of ``$STAGGER_LONG_PASS_S`` s."""
    import torch
    from torch import nn

    class MatmulChain(nn.Module):
        """Each observation goes through a linear layer; the chain's cost does not depend on the
        batch (the preflight's batch of 2 takes one pass too) and its result feeds every output."""

        def __init__(self, seconds: float):
            super().__init__()
            self.w = nn.Parameter(torch.randn(SIZE, SIZE) / math.sqrt(SIZE))
            self.inp = nn.Linear(int(torch.Size(obs_shape).numel()), SIZE)
            self.head = nn.Linear(SIZE, n_actions)
            self.steps = chain_steps(self.w, seconds)

        def forward(self, obs):
            h = self.inp(obs.float().flatten(1) / 255.0)  # (B, SIZE)
            x = self.w + h.mean(dim=0)  # the batch flows into the chain
            for _ in range(self.steps):
                x = torch.tanh(x @ self.w)
            return self.head(h + x.mean(dim=0))

    torch.set_num_threads(1)
    return MatmulChain(float(os.environ.get(SECONDS_VAR, "2")))


def run(seconds: float, run_dir: Path, duration_s: float | None = None, kill_before_end_s: float = 6.0) -> dict:
    from stagger.launch.run import RunConfig, Supervisor
    from stagger.nodes.membership import HEARTBEAT_TIMEOUT_S
    from stagger.nodes.records import load

    os.environ[SECONDS_VAR] = str(seconds)  # the nodes inherit it
    duration_s = duration_s or max(20.0, 3 * seconds)  # a few passes in the measured window
    cfg = RunConfig(game="catcher", inference_nodes=1, inference_latency=0.0, duration=duration_s,
                    run_dir=str(run_dir), learner=False, model="stagger.benchmarks.long_pass:build",
                    join_timeout_s=120.0 + 4 * seconds)  # torch import, calibration, a warm-up pass
    sup = Supervisor(cfg)
    killed: dict = {}

    def killer():  # SIGKILL the inference node kill_before_end_s before the end of the window
        while sup.end is None or time.monotonic() < sup.end - kill_before_end_s:
            if sup.phase == "stopping":
                return
            time.sleep(0.05)
        node = next(n for n in sup.nodes if n.kind == "inference")
        sup.handled.add(id(node))  # the supervisor takes its exit as expected, not a failed run
        killed["t"] = time.monotonic()
        os.kill(node.proc.pid, signal.SIGKILL)
        killed["node"] = node.node_id

    threading.Thread(target=killer, daemon=True).start()
    summary = sup.run()
    details = json.loads((run_dir / "details.json").read_text())
    node, t_kill = killed.get("node", "inf00"), killed.get("t", math.inf)
    drops = [e for e in details["clock_events"] if e["event"] == "drop" and e["node"] == node]
    rec = load(run_dir / "env_frames.npz")
    mine = rec["fresh"] & (rec["source"] == node)
    real = rec["inference_real_s"][mine]
    after = [e["t"] - t_kill for e in drops if e["t"] >= t_kill]
    clock = details["finals"].get("clock", {})
    result = {
        "seconds": seconds, "compute": "real (torch matmul chain, 1 thread; no sleep)",
        "heartbeat_timeout_s": HEARTBEAT_TIMEOUT_S, "node": node,
        "dropped_before_kill": [e for e in drops if e["t"] < t_kill],
        "max_silence_s": clock.get("max_silence_s", {}).get(node),
        "actions_applied": int(mine.sum()), "actions_in_window": summary.get("fresh_actions"),
        "pass_real_s": {"min": float(real.min()), "p50": float(np.median(real)), "max": float(real.max())}
        if real.size else None,
        "killed": "t" in killed, "drop_after_kill_s": round(after[0], 3) if after else None,
        "load_avg_1min": round(os.getloadavg()[0], 2), "run_dir": str(run_dir),
    }
    (run_dir / "long_pass.json").write_text(json.dumps(result, indent=1))
    return result


def report(r: dict) -> str:
    p = r["pass_real_s"] or {}
    return "\n".join([
        f"long pass: {r['seconds']:g} s requested, {r['compute']}; heartbeat timeout {r['heartbeat_timeout_s']:g} s",
        f"passes applied: {r['actions_applied']} (in the measured window {r['actions_in_window']}); real time "
        f"min {p.get('min', float('nan')):.2f} p50 {p.get('p50', float('nan')):.2f} max {p.get('max', float('nan')):.2f} s",
        f"dropped before the kill: {len(r['dropped_before_kill'])}; longest silence the clock saw: "
        f"{r['max_silence_s'] if r['max_silence_s'] is None else round(r['max_silence_s'], 3)} s",
        f"SIGKILL -> dropped by the clock after {r['drop_after_kill_s']} s; load average {r['load_avg_1min']}"])


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seconds", type=float, default=30.0, help="length of one forward pass (real compute)")
    p.add_argument("--run-dir", type=Path, default=Path("/tmp/stagger-long-pass"))
    p.add_argument("--duration", type=float, default=None, help="measured window, s (default 3 passes)")
    a = p.parse_args(argv)
    print(report(run(a.seconds, a.run_dir, a.duration)))


if __name__ == "__main__":
    main()
