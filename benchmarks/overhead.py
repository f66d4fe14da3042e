"""`stagger bench overhead`: the framework's overhead per action, this code against another.

Overhead (nodes/records.py): observation published by the env -> action received by the env,
minus the inference time the inference node reported. Each run is a short `stagger run`
(catcher unless ``--game``, one inference node, no learner, the default transport: ipc in a
private directory) with ``--inference-latency`` (0: the real 55K forward pass alone; else
padded with a wait, i.e. SIMULATED). With ``--against REF`` the same command also runs on
the code of git revision REF, checked out in a temporary worktree (``git worktree add``),
the runs of both trees interleaved (ABAB...) so that a shared machine's load falls on both
alike. Prints every run and the median of the runs' p50 and p99 per tree.

    stagger bench overhead --runs 3 --duration 10 --against main
"""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import click

HERE = Path(__file__).resolve().parent.parent  # this checkout


def run_once(tree: Path, run_dir: Path, args: list[str]) -> dict:
    """One `stagger run` on the code of ``tree``; its summary plus the load average."""
    env = dict(os.environ, PYTHONPATH=str(tree))
    cmd = [sys.executable, "-m", "stagger.launch.cli", "run", "--no-learner", "--inference-nodes", "1",
           "--quiet", "--no-tensorboard", "--run-dir", str(run_dir), *args]
    load = os.getloadavg()[0]
    proc = subprocess.run(cmd, env=env, cwd=tempfile.gettempdir(), capture_output=True, text=True)
    if proc.returncode != 0:
        raise click.ClickException(f"run failed ({tree}):\n{proc.stderr[-2000:]}")
    s = json.loads((run_dir / "summary.json").read_text())
    return {**round_trip_ms(run_dir), "overhead_p50_ms": s["overhead_ms"]["p50"], "overhead_p99_ms": s["overhead_ms"]["p99"],
            "coverage": s["coverage"], "lateness_p99_ms": s["env_lateness_ms"]["p99"],
            "dropped": s["dropped"], "load_1min": load}


def round_trip_ms(run_dir: Path) -> dict:
    """Observation published -> action received at the env (overhead + inference time), p50
    and p99 over every fresh action of the run (env_frames.npz): what the schedule pays, and
    what the overhead alone hides when part of a node's own work is counted as inference."""
    import numpy as np
    z = np.load(run_dir / "env_frames.npz")
    fresh = z["fresh"]
    t = (z["overhead"][fresh] + z["inference_s"][fresh]) * 1e3
    t = t[np.isfinite(t)]
    if not t.size:
        return {"round_trip_p50_ms": None, "round_trip_p99_ms": None}
    return {"round_trip_p50_ms": float(np.median(t)), "round_trip_p99_ms": float(np.percentile(t, 99))}


def worktree(ref: str, where: Path) -> Path:
    subprocess.run(["git", "-C", str(HERE), "worktree", "add", "--detach", str(where), ref],
                   check=True, capture_output=True)
    return where


def medians(rows: list[dict]) -> dict:
    keys = ("overhead_p50_ms", "overhead_p99_ms", "round_trip_p50_ms", "round_trip_p99_ms", "coverage",
            "lateness_p99_ms", "load_1min")
    return {k: statistics.median(r[k] for r in rows if r[k] is not None) for k in keys} | {
        "dropped": sum(r["dropped"] for r in rows), "runs": len(rows)}


@click.command()
@click.option("--runs", type=click.IntRange(min=1), default=3, show_default=True, help="Runs per tree.")
@click.option("--duration", type=float, default=10.0, show_default=True, help="Measured seconds per run.")
@click.option("--latency", type=float, default=0.0, show_default=True,
              help="--inference-latency of the runs, seconds (0: the real forward pass only).")
@click.option("--game", default="catcher", show_default=True, help="--game of the runs (e.g. gym:CartPole-v1).")
@click.option("--fps", type=float, default=None, help="--fps of the runs (gym: envs).")
@click.option("--against", "ref", default=None, help="Also run the code of this git revision (e.g. main).")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("bench-overhead"),
              show_default=True, help="Run directories and results.json.")
def overhead(runs, duration, latency, game, fps, ref, out):
    """Framework overhead per action (p50/p99), optionally against another git revision."""
    args = ["--game", game, "--inference-latency", repr(latency), "--duration", repr(duration)]
    args += ["--fps", repr(fps)] if fps else []
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="stagger-old-") as tmp:
        trees = {"this": HERE}
        if ref:
            trees[ref] = worktree(ref, Path(tmp) / "tree")
        try:
            rows: dict[str, list] = {name: [] for name in trees}
            for i in range(runs):
                for name, tree in trees.items():
                    r = run_once(tree, (out / f"{name.replace('/', '_')}-{i}").resolve(), args)
                    rows[name].append(r)
                    click.echo(f"{name:>8} run {i}: overhead p50 {r['overhead_p50_ms']:.3f} ms p99 "
                               f"{r['overhead_p99_ms']:.3f} ms, obs->action p50 {r['round_trip_p50_ms'] or 0:.3f} ms, "
                               f"coverage {r['coverage']:.3f}, lateness p99 "
                               f"{r['lateness_p99_ms']:.3f} ms, load {r['load_1min']:.2f}")
        finally:
            if ref:
                subprocess.run(["git", "-C", str(HERE), "worktree", "remove", "--force", str(trees[ref])],
                               capture_output=True)
    result = {name: {"median": medians(r), "runs": r} for name, r in rows.items()}
    click.echo(f"\nstagger run {' '.join(args)} --no-learner --inference-nodes 1; medians of {runs} runs:")
    click.echo("| code | overhead p50 (ms) | overhead p99 (ms) | obs->action p50 (ms) | obs->action p99 (ms) "
               "| coverage | lateness p99 (ms) | load (1 min) |")
    click.echo("|---|---|---|---|---|---|---|---|")
    for name, r in result.items():
        m = r["median"]
        click.echo(f"| {name} | {m['overhead_p50_ms']:.3f} | {m['overhead_p99_ms']:.3f} | {m['round_trip_p50_ms']:.3f} "
                   f"| {m['round_trip_p99_ms']:.3f} | {m['coverage']:.3f} "
                   f"| {m['lateness_p99_ms']:.3f} | {m['load_1min']:.2f} |")
    (out / "results.json").write_text(json.dumps({"args": args, "against": ref, **result}, indent=1))
