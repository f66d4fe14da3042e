"""`stagger bench startup`: how long a run takes to start, and what a node costs in memory, by
how its nodes start (``--start fork``: forked from one warm interpreter; ``exec``: a fresh
interpreter each).

For each N it runs catcher with N inference nodes (a simulated 1-frame model, no learner, a
short measured window) and reports the start-up time (supervisor start to every node joined
and the env's first frames: the summary's ``startup_s``), and each inference node's resident
(RSS) and proportional (PSS: shared pages split between their users) memory at the end of the
window, MB. PSS is what a node really adds to the machine; RSS counts shared pages in full.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import click

FPS = 59.7275


def run_point(out: Path, start: str, n: int, duration: float) -> dict:
    from stagger.launch.run import RunConfig, Supervisor
    run_dir = out / "runs" / f"{start}_n{n}"
    shutil.rmtree(run_dir, ignore_errors=True)
    cfg = RunConfig(game="catcher", inference_nodes=n, inference_latency=1.0 / FPS, duration=duration,
                    run_dir=str(run_dir), learner=False, start=start, join_timeout_s=60.0 + 3.0 * n)
    sup = Supervisor(cfg)
    s = sup.run()
    mem = [m for node, m in sup.memory.items() if m["kind"] == "inference"]
    row = {"start": start, "n": n, "startup_s": round(sup.startup_s, 2), "coverage": round(s["coverage"], 4),
           "inference_rss_mb": round(sum(m["rss_mb"] for m in mem) / max(1, len(mem)), 1),
           "inference_pss_mb": round(sum(m["pss_mb"] for m in mem) / max(1, len(mem)), 1),
           "all_nodes_pss_mb": round(sum(m["pss_mb"] for m in sup.memory.values()), 1)}
    shutil.rmtree(run_dir, ignore_errors=True)  # records of a timing run: not kept
    return row


@click.command("startup")
@click.option("--nodes", default="10,30,60", show_default=True, help="Comma-separated N.")
@click.option("--start", "starts", default="fork,exec", show_default=True, help="Start methods to compare.")
@click.option("--duration", default=3.0, show_default=True, help="Measured seconds per run.")
@click.option("--out", type=click.Path(file_okay=False), default="docs/results/startup", show_default=True)
def startup(nodes, starts, duration, out):
    """Start-up time and memory per node against N, fork server against fresh interpreters."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    for start in starts.split(","):
        for n in (int(x) for x in nodes.split(",")):
            row = run_point(out, start, n, duration)
            rows.append(row)
            click.echo(f"{start:5s} N={n:3d}: start-up {row['startup_s']:6.2f} s, inference node RSS "
                       f"{row['inference_rss_mb']:6.1f} MB, PSS {row['inference_pss_mb']:6.1f} MB; all nodes "
                       f"PSS {row['all_nodes_pss_mb']:7.1f} MB; coverage {row['coverage']:.3f}")
    (out / "startup.json").write_text(json.dumps(rows, indent=1))
    click.echo(f"wrote {out / 'startup.json'}")
