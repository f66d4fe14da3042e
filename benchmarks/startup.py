"""`stagger bench startup`: how long a run takes to start, and what a node costs in memory, by
how its nodes start (``--start fork``: forked from one warm interpreter; ``exec``: a fresh
interpreter each).

For each N it runs catcher with N inference nodes (a simulated 1-frame model, no learner, a
short measured window) and reports the start-up time (supervisor start to every node joined
and the env's first frames: the summary's ``startup_s``), and each inference node's resident
(RSS) and proportional (PSS: shared pages split between their users) memory at the end of the
window, MB. PSS is what a node really adds to the machine; RSS counts shared pages in full.
With ``--workers-per-process K`` the N inference workers run K to a process: memory is then
reported per process and per worker (all inference PSS / N). ``startup.png`` plots start-up
time and PSS per worker against N, one line per start method and K.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import click

FPS = 59.7275


def run_point(out: Path, start: str, n: int, duration: float, k: int = 1) -> dict:
    from stagger.launch.run import RunConfig, Supervisor
    run_dir = out / "runs" / f"{start}_n{n}_k{k}"
    shutil.rmtree(run_dir, ignore_errors=True)
    cfg = RunConfig(game="catcher", inference_nodes=n, inference_latency=1.0 / FPS, duration=duration,
                    run_dir=str(run_dir), learner=False, start=start, workers_per_process=k,
                    join_timeout_s=60.0 + 3.0 * min(n, 100))
    sup = Supervisor(cfg)
    s = sup.run()
    mem = [m for node, m in sup.memory.items() if m["kind"] == "inference"]
    row = {"start": start, "n": n, "workers_per_process": k, "processes": len(mem),
           "startup_s": round(sup.startup_s, 2), "coverage": round(s["coverage"], 4),
           "inference_rss_mb": round(sum(m["rss_mb"] for m in mem) / max(1, len(mem)), 1),
           "inference_pss_mb": round(sum(m["pss_mb"] for m in mem) / max(1, len(mem)), 1),
           "pss_per_worker_mb": round(sum(m["pss_mb"] for m in mem) / n, 2),
           "all_nodes_pss_mb": round(sum(m["pss_mb"] for m in sup.memory.values()), 1)}
    shutil.rmtree(run_dir, ignore_errors=True)  # records of a timing run: not kept
    return row


def plot(rows: list[dict], path: Path) -> None:
    """Start-up time and PSS per worker against N, a line per (start method, K)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 4))
    for key in sorted({(r["start"], r["workers_per_process"]) for r in rows}):
        pts = sorted((r["n"], r["startup_s"], r["pss_per_worker_mb"]) for r in rows
                     if (r["start"], r["workers_per_process"]) == key)
        label = f"--start {key[0]}, K = {key[1]}"
        a.plot([p[0] for p in pts], [p[1] for p in pts], "o-", label=label)
        b.plot([p[0] for p in pts], [p[2] for p in pts], "o-", label=label)
    a.set(xlabel="inference workers N", ylabel="start-up (s)", title="start to every worker joined")
    b.set(xlabel="inference workers N", ylabel="PSS per worker (MB)", yscale="log",
          title="memory per worker (inference PSS / N)")
    for ax in (a, b):
        ax.set_xscale("log")
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


@click.command("startup")
@click.option("--nodes", default="10,30,60", show_default=True, help="Comma-separated N.")
@click.option("--start", "starts", default="fork,exec", show_default=True, help="Start methods to compare.")
@click.option("--workers-per-process", "ks", default="1", show_default=True,
              help="Comma-separated K (inference workers per process) to compare.")
@click.option("--duration", default=3.0, show_default=True, help="Measured seconds per run.")
@click.option("--out", type=click.Path(file_okay=False), default="docs/results/startup", show_default=True)
def startup(nodes, starts, ks, duration, out):
    """Start-up time and memory per worker against N: fork server against fresh interpreters,
    and K workers per process."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    try:
        ks = [int(x) for x in ks.split(",")]
        ns = [int(x) for x in nodes.split(",")]
    except ValueError:
        raise click.BadParameter("comma-separated integers, e.g. 10,60") from None
    for k in ks:
        for start in starts.split(","):
            for n in ns:
                row = run_point(out, start, n, duration, k)
                rows.append(row)
                click.echo(f"{start:5s} K={k:3d} N={n:3d}: {row['processes']} processes, start-up "
                           f"{row['startup_s']:6.2f} s, inference process RSS {row['inference_rss_mb']:6.1f} MB, "
                           f"PSS {row['inference_pss_mb']:6.1f} MB, per worker {row['pss_per_worker_mb']:6.2f} MB; "
                           f"all nodes PSS {row['all_nodes_pss_mb']:7.1f} MB; coverage {row['coverage']:.3f}")
    (out / "startup.json").write_text(json.dumps(rows, indent=1))
    plot(rows, out / "startup.png")
    click.echo(f"wrote {out / 'startup.json'}, {out / 'startup.png'}")
