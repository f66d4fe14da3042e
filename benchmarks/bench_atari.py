"""Atari for real: a realtime `stagger run --game atari/boxing` with staggered inference nodes.

    .venv/bin/python benchmarks/bench_atari.py [--duration 20] [--nodes 3] [--latency-frames 2.5]
                                               [--game atari/boxing] [--no-learner] [--run-dir DIR]

Every node is its own process (launch.run.Supervisor, as `stagger run`). Prints the coverage
(target >= 0.98), the env's frame rate measured from its own per-frame records over the
measured window ((frames - 1) / (last start - first start); the ALE's rate is 60 frames/s),
the action delay and the env's lateness.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from stagger.launch.run import RunConfig, Supervisor  # noqa: E402
from stagger.nodes.records import load  # noqa: E402


def env_fps(run_dir: Path) -> tuple[float, int, float]:
    """(frames/s, frames, seconds) from env_frames.npz over the measured window."""
    rec = load(run_dir / "env_frames.npz")
    first = json.loads((run_dir / "details.json").read_text())["measured_from_frame"]
    starts = rec["start"][rec["frame"] >= first]
    span = float(starts[-1] - starts[0])
    return (starts.size - 1) / span, int(starts.size), span


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--game", default="atari/boxing")
    parser.add_argument("--duration", type=float, default=20.0, help="measured seconds")
    parser.add_argument("--nodes", type=int, default=3, help="inference nodes")
    parser.add_argument("--latency-frames", type=float, default=2.5,
                        help="simulated inference time in ALE frames (1/60 s)")
    parser.add_argument("--no-learner", action="store_true")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--run-dir", default=None, help="default: a temporary directory")
    args = parser.parse_args(argv)
    run_dir = Path(args.run_dir or tempfile.mkdtemp(prefix="bench_atari_"))
    latency = args.latency_frames / 60.0
    cfg = RunConfig(game=args.game, inference_nodes=args.nodes, inference_latency=latency,
                    duration=args.duration, learner=not args.no_learner, run_dir=str(run_dir),
                    seed=args.seed)
    s = Supervisor(cfg).run()
    fps, frames, span = env_fps(run_dir)
    d, late = s["action_delay_frames"], s["env_lateness_ms"]
    print(f"{args.game}: {args.nodes} inference nodes, simulated latency {latency * 1e3:.1f} ms "
          f"({args.latency_frames:g} frames), learner {'off' if args.no_learner else 'on'}, "
          f"{args.duration:g} s measured, run dir {run_dir}")
    print(f"coverage        {s['coverage']:.4f}  ({s['fresh_actions']} fresh / {s['action_slots']} slots; "
          f"target >= 0.98)")
    print(f"env fps         {fps:.3f}  ({frames} frames in {span:.2f} s; ALE rate 60)")
    print(f"action delay    p50 {d['p50']}  p99 {d['p99']}  max {d['max']} frames")
    print(f"env lateness    p50 {late['p50']:.3f}  p99 {late['p99']:.3f}  max {late['max']:.3f} ms")
    print(f"dropped         {s['dropped']}   learner updates {s['learner_updates']}   "
          f"episodes {s['episodes']}")


if __name__ == "__main__":
    main()
