"""`stagger bench scaling`: inference nodes needed for coverage >= 0.99 against inference time.

For each simulated inference time (in frames of catcher, 59.7275 frames/s) and staggering
algorithm it runs short realtime timing runs (no learner) and searches the smallest N whose
coverage reaches 0.99: it starts at the theory's N = ceil(t_theta / (k t_m)), steps down while
the coverage holds (to show the smaller N fails) or up until it holds. Coverage is assumed to
grow with N. Each row is printed beside the theory and beside the same formula with the
framework's measured overhead (observation published -> action received, minus inference;
median over the runs of their p50 and p99) added to t_theta.

Latency jitter: every inference is padded to t_theta +- U(jitter) (default 1 ms, 6 % of a
frame). ``max_time`` schedules from the maximum, ``exp_time`` from the mean, so with zero
jitter they would be identical; with a small jitter they differ only where t_theta lies within
jitter + margin (1.5 ms) under a frame boundary. Elsewhere, once N >= the landing frames, both
space the nodes one frame apart and need the same N; they differ at smaller N (coverage vs N).
Measured consequence: at an exact multiple of a frame, a jitter larger than the smallest
overhead (~0.8 ms here) lets some actions arrive just before the boundary and land a frame
early; each early one supersedes its predecessor and leaves a hole, so coverage stays near
0.93 whatever N ("not reached"); ``--jitter-ms 0`` gives theory + 1 there.

Budget (measured on the 2-core machine, others' jobs running): a run costs about 10 s plus
0.6-1.3 s per inference node (each imports torch) plus its duration, e.g. 12.6 s for N = 2 and
29.6 s for N = 15 with 3 s runs. The search needs 2 runs per point, so ``--quick`` searches
1, 2.5, 6, 14.5 frames with max_time and 1, 2.5, 6 with exp_time (14 runs, about 4 minutes).
"""
from __future__ import annotations

import json
import math
import shutil
import statistics
import time
from pathlib import Path

import click

FPS = 59.7275  # catcher
ALGORITHMS = ("max_time", "exp_time")
CHOICES = (*ALGORITHMS, "none")  # none: unstaggered, run at the theory's N only (it never reaches 0.99)
TARGET = 0.99
ROW_KEYS = ("algorithm", "inference_frames", "theory_n", "needed_n", "coverage_at_needed",
            "coverage_at_theory", "delay_p50_at_theory")
QUICK_GRID = (1.0, 2.5, 6.0, 14.5)  # 1 and 6: exact multiples of a frame (theory one short)
FULL_GRID = (1.0, 2.0, 2.5, 4.0, 6.0, 9.5, 9.9, 10.0, 14.5, 20.0, 29.5, 30.0, 44.5, 59.5, 60.0)
QUICK_SKIP = {("exp_time", 14.5)}  # budget: 15 torch processes start in ~20 s here (see below)
QUICK_SWEEP: dict[float, tuple[int, ...]] = {}  # extra coverage-vs-N points (none in --quick)
FULL_SWEEP = {2.5: tuple(range(1, 5)), 6.0: tuple(range(1, 9)), 14.5: tuple(range(2, 18, 2))}
ABOVE = 2  # the search gives up this many nodes above theory + 1


def theory_n(frames: float, k: int = 1) -> int:
    """The paper's N = ceil(t_theta / (k t_m)), t_theta in frames."""
    from stagger.nodes.stagger import theory_nodes
    return theory_nodes(frames, 1.0, k)


def theory_with_overhead(frames: float, overhead_ms: float | None, fps: float = FPS, k: int = 1):
    """ceil((t_theta + overhead) / (k t_m)), or None without a measured overhead."""
    if overhead_ms is None:
        return None
    return max(1, math.ceil((frames + overhead_ms * fps / 1e3) / k - 1e-9))


def search_needed(coverage, start: int, cap: int, target: float = TARGET):
    """Smallest N in [1, cap] with ``coverage(N) >= target`` (None if none), and every coverage
    measured on the way {N: coverage}. Starts at ``start``; coverage is assumed monotone in N."""
    seen: dict[int, float] = {}

    def ok(n: int) -> bool:
        if n not in seen:
            seen[n] = float(coverage(n))
        return seen[n] >= target

    n = max(1, start)
    if ok(n):
        while n > 1 and ok(n - 1):
            n -= 1
        return n, seen
    while n < cap:
        n += 1
        if ok(n):
            return n, seen
    return None, seen


def make_row(algorithm: str, frames: float, needed: int | None, seen: dict[int, float],
             delay_at_theory: float | None = None) -> dict:
    """One scaling.json row (exactly ROW_KEYS); "none" is not searched (needed_n None)."""
    th = theory_n(frames)
    return {"algorithm": algorithm, "inference_frames": frames, "theory_n": th,
            "needed_n": needed, "coverage_at_needed": seen.get(needed) if needed else None,
            "coverage_at_theory": seen.get(th), "delay_p50_at_theory": delay_at_theory}


def delay_p50(summary: dict) -> float | None:
    return (summary.get("action_delay_frames") or {}).get("p50")


def overhead(summaries: list[dict]) -> dict:
    """Median over the runs of their overhead p50 and p99 (ms)."""
    out = {}
    for q in ("p50", "p99"):
        vals = [s["overhead_ms"][q] for s in summaries if (s.get("overhead_ms") or {}).get(q) is not None]
        out[q] = statistics.median(vals) if vals else None
    return out


def run_scaling(run_point, grid, algorithms=ALGORITHMS, sweep=None, log=print, skip=()) -> dict:
    """The benchmark, given ``run_point(algorithm, frames, n) -> summary dict``; ``skip``:
    (algorithm, frames) pairs left out of the search."""
    summaries: dict[tuple, dict] = {}

    def point(algo, frames, n):
        key = (algo, frames, n)
        if key not in summaries:
            summaries[key] = run_point(algo, frames, n)
            s = summaries[key]
            log(f"  {algo:8s} {frames:5g} frames  N={n:3d}  coverage {s['coverage']:.3f}"
                f"  ({s.get('wall_s', 0):.0f} s)")
        return summaries[key]

    rows = []
    for frames in grid:
        th = theory_n(frames)
        for algo in (a for a in algorithms if (a, frames) not in skip):
            if algo == "none":  # the unstaggered baseline at the theory's N, beside the others
                s = point(algo, frames, th)
                rows.append(make_row(algo, frames, None, {th: s["coverage"]}, delay_p50(s)))
                continue
            needed, seen = search_needed(lambda n: point(algo, frames, n)["coverage"], th,
                                         cap=th + 1 + ABOVE)
            rows.append(make_row(algo, frames, needed, seen, delay_p50(point(algo, frames, th))))
    for frames, ns in (sweep or {}).items():
        for algo in algorithms:
            for n in ns:
                point(algo, frames, n)
    points = [{"algorithm": a, "inference_frames": f, "n": n, "coverage": s["coverage"],
               "delay_p50": delay_p50(s),
               "overhead_ms": s.get("overhead_ms"), "wall_s": s.get("wall_s"),
               "startup_s": s.get("startup_s"), "run_dir": s.get("run_dir"), "error": s.get("error")}
              for (a, f, n), s in sorted(summaries.items())]
    return {"rows": rows, "points": points, "overhead_ms": overhead(list(summaries.values()))}


def table(result: dict, fps: float = FPS) -> str:
    """The scaling table as text (one line per row)."""
    oh = result["overhead_ms"]
    cov = {(p["algorithm"], p["inference_frames"], p["n"]): p["coverage"] for p in result["points"]}
    lines = [f"overhead measured: p50 {_f(oh['p50'])} ms, p99 {_f(oh['p99'])} ms (median over runs)",
             f"{'algorithm':9s} {'t_theta':>7s} {'ms':>7s} {'theory':>6s} {'+oh50':>5s} {'+oh99':>5s} "
             f"{'needed':>6s} {'cov@needed':>10s} {'cov@N-1':>7s} {'cov@theory':>10s} {'delay p50':>9s}  note"]
    for r in result["rows"]:
        fr, n = r["inference_frames"], r["needed_n"]
        below = cov.get((r["algorithm"], fr, n - 1)) if n else None
        best = max((c for (a, f, _), c in cov.items() if (a, f) == (r["algorithm"], fr)), default=None)
        note = (f"unstaggered: 1/ceil(t_theta/t_m) = {1 / math.ceil(fr - 1e-9):.3f}" if r["algorithm"] == "none"
                else "" if n == r["theory_n"] else f"not reached (best {_f(best)})" if n is None else
                f"theory{n - r['theory_n']:+d}" + (": exact multiple of a frame, overhead lands it a frame later"
                                                  if float(fr).is_integer() and n == r["theory_n"] + 1 else ""))
        lines.append(f"{r['algorithm']:9s} {fr:7g} {fr * 1e3 / fps:7.2f} {r['theory_n']:6d} "
                     f"{_f(theory_with_overhead(fr, oh['p50'], fps)):>5s} {_f(theory_with_overhead(fr, oh['p99'], fps)):>5s} "
                     f"{_f(n):>6s} {_f(r['coverage_at_needed']):>10s} {_f(below):>7s} "
                     f"{_f(r['coverage_at_theory']):>10s} {_f(r['delay_p50_at_theory']):>9s}  {note}".rstrip())
    lines.append("coverage vs N:")
    for (a, f) in sorted({(p["algorithm"], p["inference_frames"]) for p in result["points"]}):
        pts = sorted((p["n"], "failed" if p.get("error") else f"{p['coverage']:.3f}") for p in result["points"]
                     if (p["algorithm"], p["inference_frames"]) == (a, f))
        lines.append(f"  {a:9s} {f:5g} frames: " + ", ".join(f"N={n} {c}" for n, c in pts))
    return "\n".join(lines)


def _f(v) -> str:
    return "-" if v is None else f"{v:.3f}" if isinstance(v, float) else str(v)


def real_run_point(out: Path, duration: float, jitter_s: float, seed: int = 0, workers_per_process: int = 1):
    """``run_point`` doing a realtime run of catcher (no learner) into OUT/runs/ (K workers a
    process, ``--workers-per-process``)."""
    def run_point(algo: str, frames: float, n: int) -> dict:
        from stagger.launch.run import RunConfig, RunError, Supervisor
        run_dir = out / "runs" / f"{algo}_{frames:g}f_n{n:02d}"
        shutil.rmtree(run_dir, ignore_errors=True)
        cfg = RunConfig(game="catcher", inference_nodes=n, inference_latency=frames / FPS,
                        latency_jitter=jitter_s, algorithm=algo, duration=duration, warmup_s=1.0,
                        run_dir=str(run_dir), seed=seed, learner=False,
                        workers_per_process=workers_per_process)
        t = time.monotonic()
        try:
            s = Supervisor(cfg).run()
        except RunError as exc:  # a failed run counts as no coverage; the benchmark goes on
            click.echo(f"warning: run {run_dir} failed: {exc}", err=True)
            s = {"coverage": 0.0, "error": str(exc)}
        details = run_dir / "details.json"
        startup = json.loads(details.read_text()).get("startup_s") if details.exists() else None
        return {**s, "wall_s": time.monotonic() - t, "startup_s": startup, "run_dir": str(run_dir)}
    return run_point


def write_outputs(result: dict, out: Path, fps: float = FPS, extra: dict | None = None) -> list[str]:
    """scaling.json (rows only), scaling_details.json, and the PNG plots."""
    from stagger.measure import plots
    from stagger.measure.report import load_run
    out.mkdir(parents=True, exist_ok=True)
    (out / "scaling.json").write_text(json.dumps([{k: r[k] for k in ROW_KEYS} for r in result["rows"]], indent=1))
    (out / "scaling_details.json").write_text(json.dumps({**(extra or {}), **result}, indent=1))
    files = [plots.needed_vs_inference(result["rows"], out / "needed_vs_inference.png",
                                       result["overhead_ms"]["p99"], fps),
             plots.coverage_vs_n(result["points"], out / "coverage_vs_n.png",
                                 (result["overhead_ms"]["p99"] or 1.5) * fps / 1e3)]
    if any(r["algorithm"] == "none" for r in result["rows"]):
        from stagger.measure.plots_unstaggered import coverage_delay_vs_inference
        files.append(coverage_delay_vs_inference(result["rows"], out / "unstaggered_vs_inference.png"))
    pick = timeline_run(result)
    if pick is not None:
        run = load_run(pick["run_dir"])
        label = (f"{pick['algorithm']}, simulated inference {pick['inference_frames']:g} frames, "
                 f"N = {pick['n']}, coverage {pick['coverage']:.3f}")
        files.append(plots.timeline(run["rec"], out / "timeline.png", run["fps"],
                                    plots.pick_window(run["rec"], run["from_frame"], 30), 30, label))
    return files


def timeline_run(result: dict) -> dict | None:
    """The configuration drawn as a timeline: max_time at its needed N, fractional t preferred."""
    cands = [(not float(r["inference_frames"]).is_integer(), r["inference_frames"] <= 8, r)
             for r in result["rows"] if r["needed_n"] and r["algorithm"] == "max_time"]
    if not cands:
        return None
    r = max(cands, key=lambda c: c[:2])[2]
    return next((p for p in result["points"] if (p["algorithm"], p["inference_frames"], p["n"])
                 == ("max_time", r["inference_frames"], r["needed_n"]) and p.get("run_dir")), None)


@click.command("scaling")
@click.option("--out", type=click.Path(file_okay=False), default="bench/scaling", show_default=True,
              help="Directory for scaling.json, scaling_details.json, the PNGs and the runs.")
@click.option("--quick", is_flag=True, help="Grid 1, 2.5, 6, 14.5 frames (exp_time without 14.5), 3 s runs "
              "(about 4 minutes on 2 cores).")
@click.option("--frames", "grid", type=float, multiple=True,
              help="Simulated inference times in frames (repeatable; replaces the grid).")
@click.option("--algorithm", "algorithms", type=click.Choice(CHOICES), multiple=True,
              help="Staggering algorithm(s) (default max_time and exp_time); none: the unstaggered "
                   "baseline, run at the theory's N only.")
@click.option("--duration", type=float, default=None, help="Measured seconds per run (default 3 quick, 10 full).")
@click.option("--jitter-ms", type=float, default=1.0, show_default=True,
              help="Uniform +- jitter of the simulated inference time, ms (non-zero so exp_time's mean "
                   "differs from max_time's maximum).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of every run.")
@click.option("--workers-per-process", type=click.IntRange(min=1), default=1, show_default=True,
              help="Inference workers per process (stagger run --workers-per-process): large N in few processes.")
def scaling(out, quick, grid, algorithms, duration, jitter_ms, seed, workers_per_process):
    """Inference nodes needed for coverage >= 0.99 against simulated inference time."""
    out = Path(out)
    user_grid = tuple(grid)
    grid = user_grid or (QUICK_GRID if quick else FULL_GRID)
    sweep = {} if user_grid else QUICK_SWEEP if quick else FULL_SWEEP
    skip = QUICK_SKIP if quick and not user_grid else set()
    duration = duration or (3.0 if quick else 10.0)
    click.echo(f"stagger bench scaling: catcher at {FPS} frames/s, SIMULATED inference times {list(grid)} "
               f"frames (+- {jitter_ms} ms), {duration:g} s runs without learner, into {out}", err=True)
    t0 = time.monotonic()
    result = run_scaling(real_run_point(out, duration, jitter_ms / 1e3, seed, workers_per_process), grid,
                         tuple(algorithms) or ALGORITHMS, sweep, lambda m: click.echo(m, err=True), skip)
    wall = time.monotonic() - t0
    extra = {"fps": FPS, "duration_s": duration, "jitter_ms": jitter_ms, "seed": seed,
             "latency": "simulated", "wall_s": wall, "workers_per_process": workers_per_process,
             "skipped": sorted(map(list, skip))}
    files = write_outputs(result, out, FPS, extra)
    click.echo(table(result))
    click.echo(f"{len(result['points'])} runs in {wall:.0f} s; wrote {out / 'scaling.json'}, "
               + ", ".join(Path(f).name for f in files))
