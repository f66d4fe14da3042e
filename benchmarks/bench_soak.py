"""Soak: one long staggered catcher run, learner on, N at the theory for a 0.1 s model
(7: 0.1 s is 5.97 frames, and the framework's ~1 ms overhead takes the trip past 6).

    .venv/bin/python benchmarks/bench_soak.py --minutes 60 [--out docs/results/soak]

It prints and writes ``soak.json``: every node's resident memory (RSS, from /proc/PID/status,
sampled once a minute; reading VmRSS does not walk page tables, so it does not stall a node)
at the start of the measured window, after ``--settle-min`` minutes (the learner's replay
is full by then: its growth before that is the buffer filling, by design) and at the end;
env frames against wall time (drift of the frame clock); coverage, delay and lateness in
1-minute buckets; drops and rejections by node. The model's latency is simulated (a 0.1 s
sleep around a real forward pass of the small default network): the figures describe the
framework over an hour, not a large model.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
import threading
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from stagger.launch.run import RunConfig, Supervisor  # noqa: E402
from stagger.nodes.records import load  # noqa: E402

FPS = 59.7275
OVERHEAD_ALLOWANCE_S = 0.002


def rss_mb(pid: int) -> float | None:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


class Sampler(threading.Thread):
    """Every node's RSS once a ``period_s``, from when the run is measuring."""

    def __init__(self, sup: Supervisor, period_s: float = 60.0):
        super().__init__(daemon=True)
        self.sup, self.period_s = sup, period_s
        self.samples: list[dict] = []  # {"t": monotonic, "rss": {node: MB}}
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set() and self.sup.phase != "measuring":
            self.stop.wait(0.5)
        while not self.stop.is_set() and self.sup.phase == "measuring":
            rss = {n.node_id: rss_mb(n.proc.pid) for n in list(self.sup.nodes)}
            self.samples.append({"t": time.monotonic(), "rss": {k: v for k, v in rss.items() if v}})
            self.stop.wait(self.period_s)


def buckets(rec: dict, from_frame: int, minutes: float) -> list[dict]:
    """Coverage, delay p50 and lateness p99 of each minute of the measured window."""
    keep = rec["frame"] >= from_frame
    start, fresh = rec["start"][keep], rec["fresh"][keep]
    late = (rec["start"][keep] - rec["deadline"][keep]) * 1e3
    delay = (rec["frame"] - rec["action_frame"])[keep]
    out = []
    t0 = start[0]
    for i in range(int(math.ceil(minutes))):
        m = (start >= t0 + 60 * i) & (start < t0 + 60 * (i + 1))
        if not m.any():
            break
        f = m & fresh
        out.append({"minute": i, "frames": int(m.sum()), "coverage": round(float(f.sum() / m.sum()), 4),
                    "delay_p50": float(np.median(delay[f])) if f.any() else None,
                    "lateness_p99_ms": round(float(np.percentile(late[m], 99)), 3)})
    return out


def drift(rec: dict, from_frame: int) -> dict:
    """Frames stepped against the frames the wall clock allows over the measured window."""
    keep = rec["frame"] >= from_frame
    start = rec["start"][keep]
    wall = float(start[-1] - start[0])
    expected = wall * FPS
    return {"wall_s": round(wall, 3), "frames": int(keep.sum() - 1), "expected": round(expected, 1),
            "drift_frames": round(float(keep.sum() - 1 - expected), 2),
            "fps": round(float((keep.sum() - 1) / wall), 5)}


def memory(samples: list[dict], settle_min: float) -> dict:
    if not samples:
        return {}
    first, last = samples[0], samples[-1]
    settled = next((s for s in samples if s["t"] - first["t"] >= 60 * settle_min), first)
    out = {}
    for node, end in last["rss"].items():
        a, b = first["rss"].get(node), settled["rss"].get(node)
        out[node] = {"start_mb": round(a, 1) if a else None, "settled_mb": round(b, 1) if b else None,
                     "end_mb": round(end, 1),
                     "growth_from_start": round(end / a - 1, 4) if a else None,
                     "growth_from_settled": round(end / b - 1, 4) if b else None}
    return out


def soak(minutes: float, out: Path, run_dir: Path, latency_s: float = 0.1, settle_min: float = 5.0,
         seed: int = 0) -> dict:
    # the theory's N counts the action's whole trip: the model's latency and the framework's
    # overhead (about 1 ms p50 here); 0.1 s alone is 5.97 frames, with the overhead it is > 6
    n = int(math.ceil((latency_s + OVERHEAD_ALLOWANCE_S) * FPS))
    cfg = RunConfig(game="catcher", inference_nodes=n, inference_latency=latency_s, duration=60.0 * minutes,
                    learner=True, run_dir=str(run_dir), seed=seed)
    sup = Supervisor(cfg)
    sampler = Sampler(sup, period_s=min(60.0, 60.0 * minutes / 4))
    sampler.start()
    t0 = time.monotonic()
    summary = sup.run()
    sampler.stop.set()
    details = json.loads((run_dir / "details.json").read_text())
    rec = load(run_dir / "env_frames.npz")
    rejected = {node: f.get("rejected", {}) for node, f in details["finals"].items() if f.get("rejected")}
    result = {"minutes": minutes, "inference_nodes": n, "inference_latency_s": latency_s,
              "latency_simulated": True, "wall_s": round(time.monotonic() - t0, 1), "summary": summary,
              "memory_mb": memory(sampler.samples, settle_min), "settle_minutes": settle_min,
              "rss_samples": len(sampler.samples), "run_dir": str(run_dir), "drift": drift(rec, details["measured_from_frame"]),
              "per_minute": buckets(rec, details["measured_from_frame"], minutes),
              "dropped_by_node": details["dropped_by_node"], "rejected_by_node": rejected}
    (out / "soak.json").write_text(json.dumps(result, indent=1))
    return result


def report(r: dict) -> str:
    s, d = r["summary"], r["drift"]
    lines = [f"soak: {r['minutes']:g} min, {r['inference_nodes']} inference nodes for a simulated "
             f"{r['inference_latency_s']:g} s model, learner on",
             f"coverage {s['coverage']:.4f}  delay p50 {s['action_delay_frames']['p50']}  lateness p99 "
             f"{s['env_lateness_ms']['p99']:.3f} ms  dropped {s['dropped']}  updates {s['learner_updates']}",
             f"frame clock: {d['frames']} frames in {d['wall_s']:.1f} s = {d['fps']} frames/s "
             f"(drift {d['drift_frames']:+.2f} frames against {FPS})"]
    cov = [b["coverage"] for b in r["per_minute"]]
    if cov:
        lines.append(f"coverage per minute: min {min(cov):.4f}  max {max(cov):.4f}  ({len(cov)} buckets)")
    for node, m in sorted(r["memory_mb"].items()):
        lines.append(f"  {node:8s} RSS {m['start_mb']} -> {m['settled_mb']} (at {r['settle_minutes']:g} min) -> "
                     f"{m['end_mb']} MB; growth since settled {m['growth_from_settled']}")
    lines.append(f"rejected: {r['rejected_by_node'] or 'none'}")
    return "\n".join(lines)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--minutes", type=float, default=60.0, help="length of the measured window")
    p.add_argument("--out", type=Path, default=Path("docs/results/soak"))
    p.add_argument("--run-dir", type=Path, default=Path("/tmp/stagger-soak"),
                   help="the run's own directory (records, logs: large after an hour)")
    p.add_argument("--latency", type=float, default=0.1, help="simulated model latency, s")
    p.add_argument("--settle-min", type=float, default=5.0, help="minutes before the settled memory sample")
    a = p.parse_args(argv)
    a.out.mkdir(parents=True, exist_ok=True)
    print(report(soak(a.minutes, a.out, a.run_dir, a.latency, min(a.settle_min, a.minutes / 2))))


if __name__ == "__main__":
    main()
