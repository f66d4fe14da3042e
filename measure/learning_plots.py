"""The learning benchmark's pictures (matplotlib, Agg): learning curves and final return vs delay."""
from __future__ import annotations

import math
import warnings

import numpy as np

POINTS = 24  # points of a learning curve
LINES = {"staggered": "-", "sequential": "--", "sequential-async": ":"}
MARKERS = {"staggered": "o-", "sequential": "s--", "sequential-async": "^:"}


def band(curves) -> tuple[np.ndarray, np.ndarray]:
    """Mean over seeds and the 95 % t half-width (0 where fewer than 2 seeds have a value)."""
    from stagger.measure.stats import t_quantile
    a = np.asarray(curves, float)
    n = np.sum(~np.isnan(a), axis=0)
    with warnings.catch_warnings():  # a window with no episode in any seed stays NaN
        warnings.simplefilter("ignore", RuntimeWarning)
        m = np.nanmean(a, axis=0)
        sd = np.nanstd(a, axis=0, ddof=1)
    t = np.array([t_quantile(int(k) - 1) if k >= 2 else 0.0 for k in n])
    half = np.where(n >= 2, t * sd / np.sqrt(np.maximum(n, 1)), 0.0)
    return m, np.nan_to_num(half)


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
    """One panel per (game and speed, delay): each mode's learning curve, mean over seeds with
    a shaded 95 % t-interval, and the random and no-op policies of that game and speed."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    keys = sorted({(r["row"]["game"], r["row"]["speed"]) for r in results})
    delays = sorted({r["row"]["delay_frames"] for r in results if not r.get("reference")}) or [None]
    fig, grid = plt.subplots(len(keys) or 1, len(delays), figsize=(4.2 * len(delays), 3.4 * max(1, len(keys))),
                             squeeze=False, sharey="row")
    colors = {"staggered": "tab:blue", "sequential": "tab:orange", "sequential-async": "tab:green"}
    for row, key in zip(grid, keys):
        runs = [r for r in results if (r["row"]["game"], r["row"]["speed"]) == key]
        for ax, d in zip(row, delays):
            groups: dict = {}
            for r in runs:
                if r.get("reference") or r["row"]["delay_frames"] == d:
                    groups.setdefault(r["row"]["mode"], []).append(r)
            for mode, rs in sorted(groups.items()):
                frames = rs[0]["row"]["frames"]
                ys, half = band([curve(r["episodes"], frames)[1] for r in rs])
                xs = curve([], frames)[0]
                ok = ~np.isnan(ys)  # windows without an episode: joined over, not left as gaps
                xs, ys, half = xs[ok], ys[ok], half[ok]
                mark = "o" if len(xs) < POINTS // 3 else None  # few episodes (Atari): show each point
                if rs[0].get("reference"):
                    ax.plot(xs, ys, color="grey", ls=":" if mode == "noop" else "-.", lw=1, marker=mark, ms=3,
                            label=f"{mode} policy")
                    continue
                c = colors.get(mode, "black")
                ax.plot(xs, ys, color=c, ls=LINES.get(mode, "-"), lw=1.5, marker=mark, ms=4,
                        label=f"{mode} (n={len(rs)})")
                ax.fill_between(xs, ys - half, ys + half, color=c, alpha=0.15, lw=0)
            ax.set_title(f"{key[0]} {key[1]}, d = {d}", fontsize=9)
            ax.set_xlabel("frames", fontsize=8)
            ax.grid(alpha=0.3)
            ax.tick_params(labelsize=7)
        row[0].set_ylabel("episode return", fontsize=8)
    grid[0][0].legend(fontsize=7, loc="upper left")
    fig.suptitle("Learning curves, virtual time\nmean over seeds, shaded 95 % t-interval\n(delays simulated)"
                 if len(delays) < 2 else  # one narrow panel: three short lines
                 "Learning curves, virtual time\nmean over seeds, shaded 95 % t-interval (delays simulated)",
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
        for mode, style in MARKERS.items():
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
        ax.legend(fontsize=8, loc="upper right")  # "best" warns when the machine is slow
    fig.suptitle("Final return vs inference delay\n(mean over seeds, 95 % CI)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return str(path)
