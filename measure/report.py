"""`stagger report RUN_DIR`: the plots of one run as PNG files in the run directory and a
one-page ``report.html`` showing them with the summary.

Reads ``env_frames.npz`` (required), ``summary.json``, and if present ``config.json``
(frame rate, cadence) and ``details.json`` (first measured frame).
"""
from __future__ import annotations

import html
import json
from pathlib import Path

import click
import numpy as np

PLOTS = {
    "timeline": "Which inference node is busy when (bars: from the observation's publication to the "
                "action's arrival) and the frame each action lands on (bottom row; grey = default action).",
    "intervals": "Time between consecutive fresh actions arriving at the env (ideal: one frame).",
    "coverage": "Coverage (fresh actions per due slot) over a sliding window of 60 frames.",
    "returns": "Return of every finished episode.",
}
DEFAULT_FPS = 59.7275


def _json(path: Path) -> dict:
    return json.loads(path.read_text()) if path.exists() else {}


def load_run(run_dir) -> dict:
    """Records, summary, config and the derived frame rate and first measured frame."""
    from stagger.nodes.records import load
    run_dir = Path(run_dir)
    npz = run_dir / "env_frames.npz"
    if not npz.exists():
        raise FileNotFoundError(f"{npz} not found: RUN_DIR must be a run directory written by "
                                "`stagger run` (it holds env_frames.npz and summary.json)")
    rec = load(npz)
    config = _json(run_dir / "config.json")
    details = _json(run_dir / "details.json")
    fps = config.get("fps")
    if not fps and rec["deadline"].size > 1:
        fps = 1.0 / float(np.median(np.diff(rec["deadline"])))
    return {"rec": rec, "summary": _json(run_dir / "summary.json"), "config": config,
            "fps": float(fps or DEFAULT_FPS), "from_frame": int(details.get("measured_from_frame", 0)),
            "action_every": int(config.get("action_every", 1))}


def make_plots(run: dict, out_dir) -> dict[str, str]:
    """The four PNGs of one run into ``out_dir``; returns name -> path."""
    from stagger.measure import plots
    out_dir = Path(out_dir)
    rec, fps, ff = run["rec"], run["fps"], run["from_frame"]
    s = run["summary"]
    label = (f"{s.get('mode', '')} {s.get('algorithm') or ''}, N = {s.get('inference_nodes')}, simulated "
             f"inference {float(s.get('inference_latency_s') or 0) * fps:.2f} frames")
    return {
        "timeline": plots.timeline(rec, out_dir / "timeline.png", fps, plots.pick_window(rec, ff),
                                   title=label),
        "intervals": plots.interval_histogram(rec, out_dir / "intervals.png", fps, ff),
        "coverage": plots.coverage_over_time(rec, out_dir / "coverage.png", fps, ff,
                                             action_every=run["action_every"]),
        "returns": plots.episode_returns(rec, out_dir / "returns.png", fps),
    }


def _fmt(v) -> str:
    if isinstance(v, dict):
        return ", ".join(f"{k} {_fmt(x)}" for k, x in v.items())
    if isinstance(v, float):
        return f"{v:.4g}"
    return "-" if v is None else str(v)


def render_html(run_dir, run: dict, images: dict[str, str]) -> str:
    """The one-page report (images referenced by file name, next to it)."""
    run_dir = Path(run_dir)
    c, s = run["config"], run["summary"]
    head = {k: c[k] for k in ("game", "mode", "algorithm", "inference_nodes", "inference_latency",
                              "latency_jitter", "action_every", "duration", "seed") if k in c}
    rows = "".join(f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(_fmt(v))}</td></tr>"
                   for k, v in s.items())
    conf = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(_fmt(v))}</td></tr>"
                   for k, v in head.items())
    figs = "".join(f'<figure><img src="{html.escape(Path(p).name)}" alt="{n}">'
                   f"<figcaption>{html.escape(PLOTS[n])}</figcaption></figure>" for n, p in images.items())
    sim = " (inference latency simulated)" if float(s.get("inference_latency_s") or 0) > 0 else ""
    return f"""<!doctype html>
<html><head><meta charset="utf-8"><title>stagger report: {html.escape(run_dir.name)}</title>
<style>body{{font-family:sans-serif;max-width:1000px;margin:auto}} table{{border-collapse:collapse}}
th,td{{border:1px solid #ccc;padding:2px 8px;text-align:left;font-size:13px}}
figure{{margin:12px 0}} figcaption{{font-size:13px;color:#444}}
.cols{{display:flex;gap:24px;align-items:flex-start}}</style></head><body>
<h1>stagger run {html.escape(run_dir.name)}</h1>
<p>{html.escape(str(run_dir.resolve()))}{sim}; {run['rec']['frame'].size} frames recorded at
{run['fps']:.4g} frames/s, measured from frame {run['from_frame']}.</p>
<div class="cols"><div><h2>summary</h2><table>{rows}</table></div>
<div><h2>configuration</h2><table>{conf}</table></div></div>
<h2>plots</h2>{figs}
</body></html>
"""


def make_report(run_dir) -> dict[str, str]:
    """Plots and ``report.html`` into ``run_dir``; returns name -> path (``html`` included)."""
    run = load_run(run_dir)
    images = make_plots(run, run_dir)
    page = Path(run_dir) / "report.html"
    page.write_text(render_html(run_dir, run, images))
    return {**images, "html": str(page)}


@click.command("report")
@click.argument("run_dir", type=click.Path(exists=True, file_okay=False))
def report(run_dir):
    """The plots of one run (PNG) and RUN_DIR/report.html showing them with the summary."""
    try:
        out = make_report(run_dir)
    except FileNotFoundError as exc:
        raise click.ClickException(str(exc))
    for name, path in out.items():
        click.echo(f"{name:10s} {path}")

