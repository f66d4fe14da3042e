"""`stagger bench compute`: real compute, no padding at all.

Every inference is the forward pass of a real IMPALA CNN, ``--inference-latency 0``: for a
width k chosen so that one single-thread pass takes about 3 frames here (2-4 accepted), and
for the 10m preset (k = 7), it runs N = 1 .. cores + 1 inference nodes (no learner) and
reports coverage, action delay, env lateness, the real pass time the nodes measured (wall
time; beside it the CPU time of one pass, smaller when the pass waited for a core), and the CPU
the inference nodes used in the measured window (in cores; the machine's busy CPU beside it,
other users' work included on a shared machine). With the passes alone on the cores, N
nodes give N fresh actions per pass time; once they share the cores (N > cores, or other load)
each pass slows by the same factor and coverage stops growing: the CPU saturates (the paper
found memory bandwidth the primary bottleneck on its GPUs). A run costs its start-up (each
node imports torch and warms the model up) plus ``--duration``.
"""
from __future__ import annotations

import json
import math
import os
import shutil
import time
from pathlib import Path

import click

FPS = 59.7275  # catcher
PRESET_10M = 7.0
TARGET_FRAMES, LOW_FRAMES, HIGH_FRAMES = 3.0, 2.0, 4.0


def cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def pick_k(measure, target: float = TARGET_FRAMES, fps: float = FPS, tries: int = 4) -> tuple[float, float]:
    """(k, seconds): a width whose pass takes ``target`` frames, by the k^2 law of the conv
    layers, refined on ``measure(k) -> seconds``; k on a 0.25 grid."""
    k, t = 1.0, measure(1.0)
    for _ in range(tries):
        if LOW_FRAMES <= t * fps <= HIGH_FRAMES and abs(t * fps - target) < 0.5:
            break
        k = max(0.25, round(k * math.sqrt(target / (t * fps)) * 4) / 4)
        t = measure(k)
    return k, t


def run_point(out: Path, name: str, k: float, n: int, duration: float, seed: int = 0) -> dict:
    """One realtime run: catcher, N inference nodes, the real model, no padding, no learner."""
    from stagger.launch.run import RunConfig, RunError, Supervisor
    run_dir = out / "runs" / f"{name}_n{n}"
    shutil.rmtree(run_dir, ignore_errors=True)
    cfg = RunConfig(game="catcher", inference_nodes=n, inference_latency=0.0, model="impala", model_k=k,
                    duration=duration, run_dir=str(run_dir), seed=seed, learner=False,
                    join_timeout_s=60.0 + 20.0 * n)  # each node imports torch, builds and warms its model
    t = time.monotonic()
    try:
        s = Supervisor(cfg).run()
    except RunError as exc:
        click.echo(f"warning: run {run_dir} failed: {exc}", err=True)
        return {"model": name, "k": k, "n": n, "error": str(exc), "run_dir": str(run_dir)}
    details = json.loads((run_dir / "details.json").read_text())
    cpu = details.get("cpu") or {}
    per_pass = [f["inference_cpu_p50_s"] for node, f in details["finals"].items()
                if node.startswith("inf") and f.get("inference_cpu_p50_s") is not None]
    return {"model": name, "k": k, "n": n, "coverage": s["coverage"], "fresh_actions": s["fresh_actions"],
            "delay_frames": s["action_delay_frames"], "env_lateness_ms": s["env_lateness_ms"],
            "inference_real_ms": s["inference_real_ms"], "inference_ms": s["inference_ms"],
            "inference_cores": cpu.get("inference_cores"), "machine_busy_cores": cpu.get("machine_busy_cores"),
            "cpu_per_pass_ms": 1e3 * sum(per_pass) / len(per_pass) if per_pass else None,
            "dropped": s["dropped"], "wall_s": time.monotonic() - t, "run_dir": str(run_dir)}


def saturation(rows: list[dict], n_cores: int) -> dict:
    """Per model: the smallest N whose inference nodes use >= 90% of the cores (or whose real
    pass is >= 1.5x the single-node one), and the coverage reached there and at the largest N."""
    out = {}
    for name in dict.fromkeys(r["model"] for r in rows):
        rs = sorted((r for r in rows if r["model"] == name and "error" not in r), key=lambda r: r["n"])
        if not rs:
            continue
        alone = rs[0]["inference_real_ms"]["p50"] or 0.0
        hit = next((r["n"] for r in rs if (r.get("inference_cores") or 0) >= 0.9 * n_cores
                    or (alone and (r["inference_real_ms"]["p50"] or 0) >= 1.5 * alone)), None)
        busy = [r["n"] for r in rs if (r.get("machine_busy_cores") or 0) >= 0.95 * n_cores]
        out[name] = {"saturates_at_n": hit, "coverage_by_n": {r["n"]: r["coverage"] for r in rs},
                     "machine_saturated_at_n": busy[0] if busy else None}
    return out


def table(rows: list[dict], n_cores: int, alone: dict) -> str:
    lines = [f"cores: {n_cores}; one pass on one thread (CPU time, median of 10): " +
             ", ".join(f"{m} {t * 1e3:.1f} ms = {t * FPS:.2f} frames" for m, t in alone.items()),
             f"{'model':6s} {'k':>5s} {'N':>2s} {'coverage':>8s} {'fresh':>5s} {'delay p50/p99':>13s} "
             f"{'lateness p99/max ms':>19s} {'real pass p50/p99 ms':>20s} {'cpu/pass':>8s} {'inf cores':>9s} "
             f"{'busy':>5s}"]
    for r in rows:
        if "error" in r:
            lines.append(f"{r['model']:6s} {r['k']:5g} {r['n']:2d} failed: {r['error'][:60]}")
            continue
        d, lt, ir = r["delay_frames"], r["env_lateness_ms"], r["inference_real_ms"]
        lines.append(f"{r['model']:6s} {r['k']:5g} {r['n']:2d} {r['coverage']:8.3f} {r['fresh_actions']:5d} "
                     f"{_f(d['p50']):>6s}/{_f(d['p99']):<6s} {_f(lt['p99'], 2):>9s}/{_f(lt['max'], 2):<9s} "
                     f"{_f(ir['p50'], 1):>9s}/{_f(ir['p99'], 1):<10s} {_f(r.get('cpu_per_pass_ms'), 1):>8s} "
                     f"{_f(r['inference_cores'], 2):>9s} "
                     f"{_f(r['machine_busy_cores'], 2):>5s}")
    return "\n".join(lines)


def _f(v, digits: int = 0) -> str:
    return "-" if v is None else f"{v:.{digits}f}"


@click.command("compute")
@click.option("--out", type=click.Path(file_okay=False), default="bench/compute", show_default=True,
              help="Directory for compute.json and the runs.")
@click.option("--duration", type=float, default=8.0, show_default=True, help="Measured seconds per run.")
@click.option("--k", "k_fixed", type=float, default=None,
              help="IMPALA width k of the first model (default: chosen so a pass takes ~3 frames here).")
@click.option("--max-n", type=click.IntRange(min=1), default=None, help="Largest N (default: cores + 1).")
@click.option("--no-10m", is_flag=True, help="Only the chosen k, not the 10m preset.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of every run.")
def compute(out, duration, k_fixed, max_n, no_10m, seed):
    """Real compute, no padding: coverage, delay and lateness for N = 1 .. cores + 1."""
    import torch

    from stagger.agents.timing import measure_inference_time
    torch.set_num_threads(1)
    out, n_cores = Path(out), cores()
    max_n = max_n or n_cores + 1

    def measure(k):  # CPU time of one pass on one thread: on a busy machine wall time says more about the others
        return measure_inference_time(k, n_actions=3, repeats=10, warmup=2, timer=time.thread_time)
    k, t = (k_fixed, measure(k_fixed)) if k_fixed else pick_k(measure)
    models = {f"k{k:g}": (k, t)}
    if not no_10m and k == PRESET_10M:  # here the ~3-frame width is the 10m preset itself
        models = {"10m": (k, t)}
    elif not no_10m:
        models["10m"] = (PRESET_10M, measure(PRESET_10M))
    click.echo(f"stagger bench compute: catcher at {FPS} frames/s, REAL compute (no padding), {n_cores} cores, "
               f"N = 1..{max_n}, {duration:g} s runs without learner; models "
               + ", ".join(f"{m} (k={kk:g}, {tt * 1e3:.1f} ms = {tt * FPS:.2f} frames of CPU a pass)"
                           for m, (kk, tt) in models.items()), err=True)
    rows, t0 = [], time.monotonic()
    for name, (kk, _) in models.items():
        for n in range(1, max_n + 1):
            rows.append(run_point(out, name, kk, n, duration, seed))
            r = rows[-1]
            click.echo(f"  {name} N={n}: coverage {r.get('coverage', 0):.3f}, real pass p50 "
                       f"{_f((r.get('inference_real_ms') or {}).get('p50'), 1)} ms, inference cores "
                       f"{_f(r.get('inference_cores'), 2)} ({r.get('wall_s', 0):.0f} s)", err=True)
    alone = {m: tt for m, (_, tt) in models.items()}
    result = {"cores": n_cores, "fps": FPS, "duration_s": duration, "alone_s": alone,
              "k": {m: kk for m, (kk, _) in models.items()}, "rows": rows,
              "saturation": saturation(rows, n_cores), "wall_s": time.monotonic() - t0,
              "load_avg_at_end": os.getloadavg()}
    out.mkdir(parents=True, exist_ok=True)
    (out / "compute.json").write_text(json.dumps(result, indent=1))
    click.echo(table(rows, n_cores, alone))
    for name, sat in result["saturation"].items():
        click.echo(f"{name}: the inference nodes saturate the CPU at N = {sat['saturates_at_n']} ({n_cores} "
                   f"cores); the machine (everything on it) was >= 95% busy from N = {sat['machine_saturated_at_n']}")
    click.echo(f"load average at the end {result['load_avg_at_end'][0]:.1f} (other work on the machine "
               f"counts in 'busy'); wrote {out / 'compute.json'}")
