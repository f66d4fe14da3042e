"""`stagger bench learning`: staggered vs sequential learning against inference delay.

Virtual time (nodes/virtual.py): an inference of d frames lands exactly d frames after its
observation; learning time is not simulated, as the paper's delay scripts (PAPER.md 5.5).
For each game speed, delay d (the paper's frames per model size: 1, 5, 8, 70, 596 for
55K, 1M, 10M, 100M, 1B) and seed it trains ``staggered`` (N = d cores: a fresh action every
frame, each d frames old), ``sequential`` (a fresh action every d frames, no-op in
between, learning in turn) and ``sequential-async`` (the same actions, the learner in the
background: in virtual time it differs from sequential only in when weights arrive) for the
same frames with the same DQN and update budget (one update per ``learn_every`` frames).
Final return = mean of a run's last K episodes; the table shows the mean over seeds with a
95 % t-interval. References: a random policy and the no-op policy. Every finished run is
appended to OUT/runs.jsonl at once (benchmarks/learning_store.py): a stopped benchmark keeps
what it finished and a rerun skips it; OUT/learning_cost.json is the cost-normalised view
(benchmarks/learning_cost.py: return against CPU seconds and simulated inference core-seconds).

Catcher uses its RAM vector observation and an MLP by default (``--obs screen84`` for the
pixels and the paper's IMPALA CNN, about 20x slower to train here); slow = fall speed 8
(an object falls 208 frames), fast = fall speed 32 (52 frames: a 70-frame delay is longer
than a whole fall). ``--game atari/boxing`` runs the same grid on pixels (one speed).
"""
from __future__ import annotations

import json
import math
import time
from pathlib import Path

import click

from stagger.measure.stats import mean_ci, t_quantile  # noqa: F401 (part of this module's interface)

ROW_KEYS = ("game", "speed", "delay_frames", "mode", "seed", "frames", "final_return", "cpu_s")
MODES = ("staggered", "sequential", "sequential-async")
PAPER_DELAYS = (1, 5, 8, 70, 596)  # PAPER.md 5.5, Game Boy: 55K, 1M, 10M, 100M, 1B
QUICK = {"frames": 10_000, "seeds": 3, "delays": (1, 5, 8, 70), "last_k": 5}
FULL = {"frames": 150_000, "seeds": 3, "delays": PAPER_DELAYS, "last_k": 10}
def game_options(game: str, speed: str, obs: str, episode_frames: int) -> dict:
    if game == "catcher":
        return {"obs_type": obs, "speed": speed, "max_frames": episode_frames}
    return {"max_frames": episode_frames}


def run_job(job: dict) -> dict:
    """One virtual-time training run (in a pool worker): its row and its episodes."""
    import torch
    torch.set_num_threads(1)
    from stagger.nodes.virtual import VirtualConfig, run_virtual
    t0, c0 = time.perf_counter(), time.process_time()
    res = run_virtual(VirtualConfig(**job["cfg"]))
    cpu = time.process_time() - c0  # this worker's CPU seconds for the run (one torch thread)
    returns = [r for _, r in res.episodes]
    tail = returns[-job["last_k"]:]
    final = sum(tail) / len(tail) if tail else math.nan
    row = {"game": job["game"], "speed": job["speed"], "delay_frames": job["cfg"]["delay_frames"],
           "mode": job["mode"], "seed": job["cfg"]["seed"], "frames": job["cfg"]["frames"],
           "final_return": final, "cpu_s": round(cpu, 2)}
    return {"row": row, "episodes": res.episodes, "coverage": res.measures["coverage"],
            "seconds": time.perf_counter() - t0, "reference": job.get("reference")}


def make_jobs(games, speeds, delays, seeds, frames, p: dict, modes=MODES, references=True) -> list[dict]:
    """Training runs plus reference runs (random, no-op) for every game and speed; ``seeds``
    is a count (0..n-1) or an iterable of seed numbers."""
    seeds = range(seeds) if isinstance(seeds, int) else tuple(seeds)
    jobs = []
    for game in games:
        for speed in (speeds if game == "catcher" else ("default",)):
            opts = game_options(game, speed, p["obs"], p["episode_frames"])
            pixels = game != "catcher" or p["obs"] != "ram"  # 7 KB per observation: a smaller replay
            base = dict(game=game, game_options=opts, frames=frames, learn_every=p["learn_every"],
                        target_every=p["target_every"], n_step=p["n_step"], learning_starts=p["learning_starts"],
                        epsilon_steps=max(1, int(frames * p["explore"])), batch_size=p["batch_size"],
                        replay=min(p["replay"], 20_000) if pixels else p["replay"],
                        replay_mode="fifo")
            for seed in seeds:
                common = dict(game=game, speed=speed, last_k=p["last_k"])
                for d in delays:
                    for mode in modes:
                        jobs.append({**common, "mode": mode,
                                     "cfg": {**base, "mode": mode, "delay_frames": d, "seed": seed}})
                if not references:
                    continue
                jobs.append({**common, "mode": "random", "reference": "random", "cfg": {
                    **base, "delay_frames": 1, "seed": seed, "learner": False, "epsilon_end": 1.0}})
                jobs.append({**common, "mode": "noop", "reference": "noop", "cfg": {
                    **base, "mode": "sequential", "delay_frames": frames + 1, "seed": seed, "learner": False}})
    return jobs


def run_pool(jobs: list[dict], workers: int, echo, on_result=None) -> list[dict]:
    """Run the jobs on a spawn pool of ``workers`` processes (1: in this process);
    ``on_result(result)`` is called as each one finishes (the run store)."""
    out = []
    if workers <= 1:
        results = map(run_job, jobs)
        pool = None
    else:
        import multiprocessing as mp
        pool = mp.get_context("spawn").Pool(workers)
        results = pool.imap_unordered(run_job, jobs)
    try:
        for i, r in enumerate(results, 1):
            w = r["row"]
            what = f"{w['mode']} policy" if r.get("reference") else f"d={w['delay_frames']} {w['mode']}"
            echo(f"[{i}/{len(jobs)}] {w['game']} {w['speed']} {what} seed {w['seed']}: "
                 f"final return {w['final_return']:.2f}, {len(r['episodes'])} episodes, coverage "
                 f"{r['coverage']:.3f}, {r['seconds']:.0f} s, {w['cpu_s']:.0f} CPU-s")
            out.append(r)
            if on_result is not None:
                on_result(r)
    finally:
        if pool is not None:
            pool.close()
            pool.join()
    return out


def table(results: list[dict]) -> list[dict]:
    """Mean final return and 95 % CI per (game, speed, delay, mode), references included."""
    groups: dict[tuple, list] = {}
    for r in results:
        w = r["row"]
        d = None if r.get("reference") else w["delay_frames"]
        groups.setdefault((w["game"], w["speed"], d, w["mode"]), []).append(w["final_return"])
    rows = []
    for (game, speed, d, mode), vals in sorted(groups.items(), key=lambda kv: (
            kv[0][0], kv[0][1], kv[0][2] is None, kv[0][2] or 0, kv[0][3])):
        m, hw, n = mean_ci(vals)
        rows.append({"game": game, "speed": speed, "delay_frames": d, "mode": mode, "mean": m, "ci95": hw,
                     "seeds": n})
    return rows


def format_table(rows: list[dict]) -> str:
    lines = [f"{'game':10s} {'speed':8s} {'delay':>6s} {'mode':11s} {'final return (95% CI)':>24s} seeds"]
    for r in rows:
        d = "-" if r["delay_frames"] is None else str(r["delay_frames"])
        ci = "n/a" if math.isnan(r["ci95"]) else f"{r['ci95']:.2f}"
        lines.append(f"{r['game']:10s} {r['speed']:8s} {d:>6s} {r['mode']:11s} {r['mean']:14.2f} +- {ci:>6s} "
                     f"{r['seeds']:5d}")
    return "\n".join(lines)


@click.command("learning")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default="bench/learning", show_default=True,
              help="Directory for learning.json and the PNG plots.")
@click.option("--quick", is_flag=True, help=f"Short version: {QUICK['frames']} frames, delays 1 5 8 70, 3 seeds "
              "(a smoke test: too few frames for DQN to learn catcher).")
@click.option("--game", "games", multiple=True, default=("catcher",), show_default=True,
              help="catcher (two speeds) and/or atari/<game> (pixels, one speed). Repeatable.")
@click.option("--speeds", default="slow,fast", show_default=True, help="Catcher speeds (names or 1-64).")
@click.option("--delays", default=None, help="Delays in frames, comma-separated (default 1,5,8,70,596; "
              "--quick 1,5,8,70).")
@click.option("--frames", type=click.IntRange(min=100), default=None, help="Frames per run.")
@click.option("--seeds", type=click.IntRange(min=1), default=None, help="Seeds per configuration (first..first+n-1).")
@click.option("--first-seed", type=click.IntRange(min=0), default=0, show_default=True, help="First seed.")
@click.option("--modes", default=",".join(MODES), show_default=True,
              help="Modes to train, comma-separated (staggered, sequential, sequential-async).")
@click.option("--references/--no-references", default=True, show_default=True,
              help="Also run the random and no-op policies (one per seed).")
@click.option("--resume/--fresh", default=True, show_default=True,
              help="Skip the runs already in OUT/runs.jsonl with the same parameters (and table them all).")
@click.option("--write-only", is_flag=True, help="Run nothing: rebuild the tables and plots from OUT/runs.jsonl.")
@click.option("--workers", type=click.IntRange(min=1), default=2, show_default=True, help="Pool processes.")
@click.option("--obs", type=click.Choice(["ram", "screen84"]), default="ram", show_default=True,
              help="Catcher observation: RAM vector (MLP) or 84x84 pixels (IMPALA CNN).")
@click.option("--episode-frames", type=int, default=1000, show_default=True, help="Episode frame limit.")
@click.option("--last-k", type=click.IntRange(min=1), default=None,
              help="Episodes averaged for the final return (default 10; --quick 5).")
@click.option("--learn-every", type=int, default=4, show_default=True, help="Frames per DQN update.")
@click.option("--target-every", type=int, default=500, show_default=True, help="Updates per target copy.")
@click.option("--n-step", type=int, default=3, show_default=True, help="Decisions per n-step transition.")
@click.option("--learning-starts", type=click.IntRange(min=1), default=100, show_default=True,
              help="Transitions in replay before the first update (sequential makes one per d frames).")
@click.option("--explore", type=float, default=0.25, show_default=True,
              help="Fraction of the frames over which epsilon falls from 1 to 0.05.")
def learning(out_dir, quick, games, speeds, delays, frames, seeds, first_seed, modes, references, resume,
             write_only, workers, obs, episode_frames, last_k, learn_every, target_every, n_step,
             learning_starts, explore):
    """Staggered vs sequential learning against inference delay (virtual time)."""
    from stagger.benchmarks import learning_store as store
    from stagger.benchmarks.learning_cost import cost_plot, cost_rows, format_cost
    from stagger.measure.learning_plots import curves_plot, final_plot
    grid = QUICK if quick else FULL
    delays = tuple(int(x) for x in delays.split(",")) if delays else grid["delays"]
    frames, seeds, last_k = frames or grid["frames"], seeds or grid["seeds"], last_k or grid["last_k"]
    p = {"obs": obs, "episode_frames": episode_frames, "last_k": last_k, "learn_every": learn_every,
         "target_every": target_every, "n_step": n_step, "explore": explore, "learning_starts": learning_starts,
         "batch_size": 32, "replay": 50_000}
    modes = tuple(m.strip() for m in modes.split(",") if m.strip())
    bad = [m for m in modes if m not in MODES]
    if bad:
        raise click.BadParameter(f"unknown mode(s) {', '.join(bad)}; allowed: {', '.join(MODES)}",
                                 param_hint="--modes")
    jobs = make_jobs(games, tuple(s.strip() for s in speeds.split(",")), delays,
                     range(first_seed, first_seed + seeds), frames, p, modes, references)
    out = Path(out_dir)
    sig = store.signature(p, frames)
    if not resume and (out / store.RUNS_FILE).exists():
        (out / store.RUNS_FILE).unlink()
    done = store.load(out, sig)
    todo = [] if write_only else store.pending(jobs, done)
    click.echo(f"stagger bench learning: {len(todo)} virtual-time runs of {frames} frames on {workers} workers "
               f"(inference delays {', '.join(map(str, delays))} frames, simulated; {len(done)} stored runs "
               f"with these parameters in {out / store.RUNS_FILE})")
    t0 = time.perf_counter()
    run_pool(todo, workers, click.echo, lambda r: store.append(out, sig, r))
    results = store.with_last_k(store.load(out, sig), last_k)
    out.mkdir(parents=True, exist_ok=True)
    rows = [r["row"] for r in results if not r.get("reference")]
    rows.sort(key=lambda w: (w["game"], w["speed"], w["delay_frames"], w["mode"], w["seed"]))
    (out / "learning.json").write_text(json.dumps([{k: w[k] for k in ROW_KEYS} for w in rows], indent=1))
    summary = table(results)
    (out / "learning_table.json").write_text(json.dumps({
        "table": summary, "params": {**p, "frames": frames, "seeds": seeds, "delays": delays},
        "episodes": [{**r["row"], "episodes": r["episodes"]} for r in results]}, indent=1, default=str))
    fps = {g: (59.7275 if g == "catcher" else 60.0) for g in games}  # Game Boy; ALE runs at 60
    costs = cost_rows(results, fps)
    (out / "learning_cost.json").write_text(json.dumps(costs, indent=1))
    pngs = [curves_plot(results, out / "learning_curves.png"), final_plot(summary, out / "learning_final.png"),
            cost_plot(costs, out / "learning_cost.png")]
    click.echo(format_table(summary))
    click.echo(format_cost(costs))
    click.echo(f"{time.perf_counter() - t0:.0f} s; wrote {out / 'learning.json'}, " + ", ".join(map(str, pngs)))
