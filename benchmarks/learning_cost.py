"""The learning benchmark's cost-normalised view: final return against CPU seconds, per mode.

Two costs per (game, speed, delay, mode), mean over seeds:

* ``cpu_s``: CPU seconds the virtual-time run took on this machine (``time.process_time`` in
  its worker: env, forward passes, learner; one torch thread);
* ``inference_core_s``: what the simulated inferences would cost in realtime, each d frames
  long: fresh actions x d / fps (staggered: about one per frame, so N = d cores busy all the
  time; sequential and sequential-async: one per d frames, one core). Learning costs the same
  in every mode (one update per ``learn_every`` frames) and is in ``cpu_s``.
"""
from __future__ import annotations

import math

COST_KEYS = ("game", "speed", "delay_frames", "mode", "final_return", "cpu_s", "inference_core_s", "seeds")


def cost_rows(results: list[dict], fps: dict[str, float]) -> list[dict]:
    """One row per (game, speed, delay, mode) of the training runs (exactly COST_KEYS)."""
    groups: dict[tuple, list] = {}
    for r in results:
        if r.get("reference"):
            continue
        w = r["row"]
        groups.setdefault((w["game"], w["speed"], w["delay_frames"], w["mode"]), []).append(r)
    rows = []
    for (game, speed, d, mode), rs in sorted(groups.items()):
        f = fps.get(game, 60.0)
        finals = [r["row"]["final_return"] for r in rs if not math.isnan(r["row"]["final_return"])]
        inf = [r["coverage"] * r["row"]["frames"] * d / f for r in rs]
        rows.append({"game": game, "speed": speed, "delay_frames": d, "mode": mode,
                     "final_return": sum(finals) / len(finals) if finals else math.nan,
                     "cpu_s": sum(r["row"]["cpu_s"] for r in rs) / len(rs),
                     "inference_core_s": sum(inf) / len(inf), "seeds": len(rs)})
    return rows


def format_cost(rows: list[dict]) -> str:
    lines = [f"{'game':10s} {'speed':6s} {'d':>4s} {'mode':16s} {'return':>7s} {'CPU-s':>7s} {'infer core-s':>12s}"]
    for r in rows:
        lines.append(f"{r['game']:10s} {r['speed']:6s} {r['delay_frames']:4d} {r['mode']:16s} "
                     f"{r['final_return']:7.2f} {r['cpu_s']:7.0f} {r['inference_core_s']:12.0f}")
    return "\n".join(lines)


def cost_plot(rows: list[dict], path) -> str:
    """Final return against simulated inference core-seconds (left) and measured CPU-s (right),
    one marker per mode, labelled with the delay."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from stagger.measure.learning_plots import MARKERS
    keys = sorted({(r["game"], r["speed"]) for r in rows}) or [("", "")]
    fig, axes = plt.subplots(len(keys), 2, figsize=(11, 3.8 * len(keys)), squeeze=False)
    for (ax_i, ax_c), key in zip(axes, keys):
        sub = [r for r in rows if (r["game"], r["speed"]) == key]
        for mode, style in MARKERS.items():
            pts = sorted((r["inference_core_s"], r["cpu_s"], r["final_return"], r["delay_frames"])
                         for r in sub if r["mode"] == mode)
            if not pts:
                continue
            xi, xc, y, d = zip(*pts)
            ax_i.plot(xi, y, style[0], label=mode, ms=6, fillstyle="none")
            ax_c.plot(xc, y, style[0], label=mode, ms=6, fillstyle="none")
            for a, b, dd in zip(xi, y, d):
                ax_i.annotate(f"d={dd}", (a, b), fontsize=6, xytext=(3, 3), textcoords="offset points")
        ax_i.set_xscale("log")
        ax_i.set_xlabel("simulated inference core-seconds per run (realtime equivalent)")
        ax_c.set_xlabel("measured CPU seconds per run (virtual time, this machine)")
        for ax in (ax_i, ax_c):
            ax.set_ylabel("final return")
            ax.set_title(f"{key[0]} {key[1]}", fontsize=9)
            ax.grid(alpha=0.3)
        ax_i.legend(fontsize=7, loc="upper right")
    fig.suptitle("Return against compute, per mode (mean over seeds)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return str(path)
