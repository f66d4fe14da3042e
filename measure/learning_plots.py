"""The learning benchmark's pictures (matplotlib, Agg): learning curves and final return vs delay."""
from __future__ import annotations

import math
import warnings

import numpy as np

POINTS = 24  # points of a learning curve


def curve(episodes, frames: int, points: int = POINTS) -> tuple[np.ndarray, np.ndarray]:
    """(grid, mean return of the episodes that ended in the window before each grid frame)."""
    grid = np.linspace(frames / points, frames, points)
    window = 2 * frames / points
    ends = np.array([f for f, _ in episodes], float)
    rets = np.array([r for _, r in episodes], float)
    ys = np.full(points, np.nan)
    for i, x in enumerate(grid):
        sel = (ends > x - window) & (ends <= x)
        if sel.any():
            ys[i] = rets[sel].mean()
    return grid, ys


def _panels(keys):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    n = max(1, len(keys))
    fig, axes = plt.subplots(1, n, figsize=(5.5 * n, 4.2), squeeze=False)
    return plt, fig, axes[0]


def curves_plot(results: list[dict], path) -> str:
    """One panel per (game, speed): mean over seeds of each (delay, mode) learning curve."""
    keys = sorted({(r["row"]["game"], r["row"]["speed"]) for r in results})
    plt, fig, axes = _panels(keys)
    delays = sorted({r["row"]["delay_frames"] for r in results if not r.get("reference")})
    colors = {d: plt.cm.viridis(i / max(1, len(delays) - 1)) for i, d in enumerate(delays)}
    for ax, key in zip(axes, keys):
        runs = [r for r in results if (r["row"]["game"], r["row"]["speed"]) == key]
        groups: dict = {}
        for r in runs:
            d = None if r.get("reference") else r["row"]["delay_frames"]
            groups.setdefault((d, r["row"]["mode"]), []).append(r)
        for (d, mode), rs in sorted(groups.items(), key=lambda kv: (kv[0][0] is None, kv[0][0] or 0, kv[0][1])):
            frames = rs[0]["row"]["frames"]
            with warnings.catch_warnings():  # a window with no episode in any seed stays NaN
                warnings.simplefilter("ignore", RuntimeWarning)
                ys = np.nanmean([curve(r["episodes"], frames)[1] for r in rs], axis=0)
            xs = curve([], frames)[0]
            if d is None:
                ax.plot(xs, ys, color="grey", ls=":" if mode == "noop" else "-.", lw=1, label=mode)
            else:
                ax.plot(xs, ys, color=colors[d], ls="-" if mode == "staggered" else "--", lw=1.5,
                        label=f"{mode} d={d}")
        ax.set_title(f"{key[0]} {key[1]}")
        ax.set_xlabel("frames")
        ax.set_ylabel("episode return (mean over seeds)")
        ax.grid(alpha=0.3)
    axes[-1].legend(fontsize=7, loc="best", ncol=2)
    fig.suptitle("Learning curves, virtual time\n(solid: staggered, dashed: sequential; delays simulated)",
                 fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return str(path)


def final_plot(rows: list[dict], path) -> str:
    """Final return vs delay (log axis), one panel per (game, speed), 95 % CI error bars."""
    keys = sorted({(r["game"], r["speed"]) for r in rows})
    plt, fig, axes = _panels(keys)
    for ax, key in zip(axes, keys):
        sub = [r for r in rows if (r["game"], r["speed"]) == key]
        for mode, style in (("staggered", "o-"), ("sequential", "s--")):
            pts = sorted((r["delay_frames"], r["mean"], r["ci95"]) for r in sub
                         if r["mode"] == mode and r["delay_frames"] is not None)
            if pts:
                x, y, e = zip(*pts)
                ax.errorbar(x, y, yerr=[0 if math.isnan(v) else v for v in e], fmt=style, capsize=3, label=mode)
        for r in sub:
            if r["delay_frames"] is None:
                ax.axhline(r["mean"], color="grey", ls=":" if r["mode"] == "noop" else "-.", lw=1,
                           label=f"{r['mode']} policy")
        ax.set_xscale("log")
        from matplotlib.ticker import NullFormatter, ScalarFormatter
        ticks = sorted({r["delay_frames"] for r in sub if r["delay_frames"] is not None})
        ax.set_xticks(ticks)
        ax.xaxis.set_major_formatter(ScalarFormatter())
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_title(f"{key[0]} {key[1]}")
        ax.set_xlabel("inference delay d (frames, simulated)")
        ax.set_ylabel("final return (mean of last episodes)")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle("Final return vs inference delay\n(mean over seeds, 95 % CI)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return str(path)
