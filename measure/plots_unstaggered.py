"""Scaling plot of the unstaggered baseline: coverage and delay at the theory's N vs t_theta,
beside max_time and exp_time, with the theory 1 / ceil(t_theta / t_m) (all start together)."""
from __future__ import annotations

import math

import numpy as np

from stagger.measure.plots import DPI, SIZE, _save

STYLE = {"max_time": ("o", "tab:blue"), "exp_time": ("x", "tab:green"), "none": ("s", "tab:red")}  # points: no line between t_theta


def coverage_delay_vs_inference(rows: list[dict], path) -> str:
    """Two panels: coverage at N = theory, and the delay p50 (frames) of the fresh actions."""
    from matplotlib.figure import Figure
    fig = Figure(figsize=(SIZE[0], SIZE[1] * 1.4), dpi=DPI)
    ax_c, ax_d = fig.subplots(2, 1, sharex=True)
    xs = sorted({r["inference_frames"] for r in rows}) or [1.0]
    grid = np.linspace(min(xs) * 0.9, max(xs) * 1.05, 400)
    ax_c.plot(grid, 1.0 / np.ceil(grid - 1e-9), color="grey", lw=1,
              label="unstaggered theory 1 / ceil(t_theta / t_m)")
    ax_d.plot(grid, np.ceil(grid - 1e-9), color="grey", lw=1, label="ceil(t_theta / t_m)")
    for algo, (style, color) in STYLE.items():
        pts = sorted((r["inference_frames"], r["coverage_at_theory"], r["delay_p50_at_theory"]) for r in rows
                     if r["algorithm"] == algo and r["coverage_at_theory"] is not None)
        if not pts:
            continue
        x, c, d = zip(*pts)
        label = "none (unstaggered)" if algo == "none" else algo
        ax_c.plot(x, c, style, color=color, ms=6, fillstyle="none", label=label)
        ax_d.plot(x, [math.nan if v is None else v for v in d], style, color=color, ms=6, fillstyle="none",
                  label=label)
    ax_c.set_ylabel("coverage at N = ceil(t_theta / t_m)")
    ax_c.set_ylim(0, 1.05)
    ax_c.legend(fontsize=7, loc="upper right")
    ax_d.set_ylabel("action delay p50 (frames)")
    ax_d.set_xlabel("simulated inference time t_theta (frames)")
    ax_d.legend(fontsize=7, loc="upper left")
    return _save(fig, path)
