"""The core loop's timing benchmark (issue 3): staggered and sequential runs on loopback.

For simulated inference times of 0.5 ... 59.5 frames with N = ceil(t_theta / t_m) nodes it
prints coverage, action delay, interval jitter, env lateness, framework overhead, dropped
messages and the memory of each kind of node; plus 6.0 frames with N = 6 and 7 (at an exact
multiple of a frame the framework's overhead makes every action land one frame later, so the
theory's N falls one short) and the same grid in sequential mode. Latency is SIMULATED: a real
forward pass of the 55K IMPALA CNN padded with a wait.

    python benchmarks/bench_stagger.py --out bench-out [--duration 20] [--quick]
"""
from __future__ import annotations

import argparse
import json
import math
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from stagger.launch.run import RunConfig, Supervisor  # noqa: E402

FPS = 59.7275
GRID = [(0.5, 1), (2.5, 3), (5.5, 6), (14.5, 15), (29.5, 30), (59.5, 60), (6.0, 6), (6.0, 7)]
QUICK = [(0.5, 1), (2.5, 3), (5.5, 6), (6.0, 6), (6.0, 7)]


def one(out: Path, mode: str, frames: float, n: int, duration: float, seed: int) -> dict:
    run_dir = out / f"{mode}-{frames:g}f-{n}n"
    cfg = RunConfig(game="catcher", mode=mode, inference_nodes=n, inference_latency=frames / FPS,
                    duration=duration, run_dir=str(run_dir), seed=seed)
    t0 = time.monotonic()
    s = Supervisor(cfg).run()
    details = json.loads((run_dir / "details.json").read_text())
    mem: dict[str, list] = {}
    for m in details.get("memory", {}).values():
        mem.setdefault(m["kind"], []).append(m)
    return {"mode": mode, "inference_frames": frames, "n": n if mode == "staggered" else 1,
            "theory_n": math.ceil(frames - 1e-9), "summary": s, "startup_s": details.get("startup_s"),
            "wall_s": time.monotonic() - t0,
            "memory_mb": {k: {"rss": max(x["rss_mb"] for x in v), "pss": max(x["pss_mb"] for x in v)}
                          for k, v in mem.items()}}


def fmt(v, spec=".3f"):
    return "-" if v is None else format(v, spec)


def table(rows: list[dict]) -> str:
    head = ("| mode | t_theta (frames) | N | coverage | delay p50/p99 (frames) | bound | jitter (ms) "
            "| lateness p99 (ms) | overhead p50 (ms) | dropped | RSS/PSS per inference node (MB) | start-up (s) |")
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in rows:
        s = r["summary"]
        d = s["action_delay_frames"]
        inf = r["memory_mb"].get("inference") or r["memory_mb"].get("sequential") or {}
        lines.append(
            f"| {r['mode']} | {r['inference_frames']:g} | {r['n']} | {fmt(s['coverage'])} "
            f"| {fmt(d['p50'], '.0f')}/{fmt(d['p99'], '.0f')} | {math.ceil(r['inference_frames'] - 1e-9) + 1} "
            f"| {fmt(s['interval_jitter_ms'], '.2f')} | {fmt(s['env_lateness_ms']['p99'], '.3f')} "
            f"| {fmt(s['overhead_ms']['p50'], '.2f')} | {s['dropped']} "
            f"| {fmt(inf.get('rss'), '.0f')}/{fmt(inf.get('pss'), '.0f')} | {fmt(r['startup_s'], '.1f')} |")
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="bench-stagger", help="directory for the runs and results.json")
    ap.add_argument("--duration", type=float, default=20.0, help="measured seconds per run")
    ap.add_argument("--quick", action="store_true", help="the small grid only")
    ap.add_argument("--no-sequential", action="store_true", help="skip the sequential table")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    grid = QUICK if args.quick else GRID
    rows = []
    for frames, n in grid:
        rows.append(one(out, "staggered", frames, n, args.duration, args.seed))
        print(table(rows[-1:]).splitlines()[-1], flush=True)
    if not args.no_sequential:
        for frames in sorted({f for f, _ in grid}):
            rows.append(one(out, "sequential", frames, 1, args.duration, args.seed))
            print(table(rows[-1:]).splitlines()[-1], flush=True)
    machine = f"{platform.machine()}, {platform.processor() or 'cpu'}, Python {platform.python_version()}"
    text = (f"Measured {time.strftime('%Y-%m-%d')} on {machine} with "
            f"`python benchmarks/bench_stagger.py --duration {args.duration:g}"
            f"{' --quick' if args.quick else ''}` (latency simulated, 55K IMPALA forward pass, catcher):\n\n"
            + table(rows))
    print("\n" + text)
    (out / "results.json").write_text(json.dumps(rows, indent=1, default=str))
    (out / "table.md").write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
