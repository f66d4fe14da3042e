"""PNG plots of runs and benchmarks (matplotlib, Agg, no pyplot state), shared by
`stagger report` and `stagger bench scaling`.

Every figure is ``SIZE`` inches at ``DPI`` (800 x 450 pixels) so tests can check the files.
Inputs are plain data: ``rec`` is the env's per-frame records (:mod:`nodes.records`).
"""
from __future__ import annotations

import math

import numpy as np

SIZE = (8.0, 4.5)
DPI = 100
PIXELS = (int(SIZE[0] * DPI), int(SIZE[1] * DPI))  # width, height
COVERAGE_TARGET = 0.99


def _figure():
    from matplotlib.figure import Figure
    fig = Figure(figsize=SIZE, dpi=DPI)
    return fig, fig.subplots()


def _save(fig, path) -> str:
    fig.tight_layout()
    fig.savefig(path, dpi=DPI, format="png")  # no bbox_inches: the pixel size stays fixed
    return str(path)


def _empty(ax, text: str) -> None:
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes)


def _colors(names):
    from matplotlib import colormaps
    names = sorted(names)
    cmap, m = (colormaps["tab10"], 10) if len(names) <= 10 else (colormaps["tab20"], 20)
    return {n: cmap(i % m) for i, n in enumerate(names)}


def pick_window(rec: dict, from_frame: int = 0, frames: int = 40) -> int:
    """First frame of a ``frames``-long window in the measured part of the run (its middle)."""
    f = rec["frame"]
    if f.size == 0:
        return 0
    lo = max(int(from_frame), int(f[0]))
    return max(lo, (lo + int(f[-1])) // 2 - frames // 2)


# -- one run -------------------------------------------------------------------------------
def timeline(rec: dict, path, fps: float, first: int, frames: int = 40, title: str = "") -> str:
    """Which inference node is busy when, and which frame each action lands on (Figure 1b).

    An action computed from the observation of frame s by node X and arriving at time a means
    X was busy from the publication of frame s to a. Only applied actions are in the records.
    """
    fig, ax = _figure()
    frame_s = 1.0 / fps
    f, start = rec["frame"], rec["start"]
    idx = {int(v): i for i, v in enumerate(f)}
    if first not in idx:
        _empty(ax, "no frames in this window")
        return _save(fig, path)
    t0 = rec["deadline"][idx[first]]
    last = first + frames
    fresh = np.flatnonzero(rec["fresh"] & (f >= first) & (f < last))
    nodes = sorted({str(s) for s in rec["source"][fresh]})
    colors, row = _colors(nodes), {n: i + 1 for i, n in enumerate(nodes)}
    for i in fresh:
        s, node = int(rec["action_frame"][i]), str(rec["source"][i])
        if s not in idx:
            continue
        x0 = (start[idx[s]] - t0) / frame_s
        x1 = (rec["arrival"][i] - t0) / frame_s
        y = row[node]
        ax.barh(y, x1 - x0, left=x0, height=0.6, color=colors[node], edgecolor="black", lw=0.4)
        ax.text(x0 + 0.1, y, f"obs {s}", va="center", fontsize=6, clip_on=True)
        land = int(f[i]) - first
        ax.annotate("", xy=(land + 0.5, 0.3), xytext=(x1, y - 0.3),
                    arrowprops={"arrowstyle": "->", "color": colors[node], "lw": 0.7})
    for j in range(frames):  # the env row: one box per frame, coloured by its action's node
        i = idx.get(first + j)
        if i is None:
            continue
        c = colors.get(str(rec["source"][i]), "white") if rec["fresh"][i] else "lightgrey"
        ax.add_patch(_rect(j, -0.3, c))
    ax.set_xlim(-max(4.0, (rec["inference_s"][fresh].max() / frame_s + 1) if fresh.size else 4.0), frames)
    ax.set_ylim(-0.6, len(nodes) + 0.8)
    ax.set_yticks(range(len(nodes) + 1), ["env"] + nodes, fontsize=7)
    ax.set_xlabel(f"time in frames from frame {first} (1 frame = {frame_s * 1e3:.2f} ms); grey = default action")
    ax.set_title(title or "inference nodes busy (bars) and the frame each action lands on", fontsize=10)
    return _save(fig, path)


def _rect(x: float, y: float, color):
    from matplotlib.patches import Rectangle
    return Rectangle((x, y), 1.0, 0.6, facecolor=color, edgecolor="black", lw=0.3)


def interval_histogram(rec: dict, path, fps: float, from_frame: int = 0) -> str:
    """Time between the arrivals of consecutive applied fresh actions, ms."""
    fig, ax = _figure()
    sel = rec["fresh"] & (rec["frame"] >= from_frame)
    gaps = np.diff(rec["arrival"][sel]) * 1e3
    if gaps.size == 0:
        _empty(ax, "fewer than two fresh actions")
    else:
        ax.hist(gaps, bins=min(80, max(10, gaps.size // 5)), color="tab:blue")
        ax.axvline(1e3 / fps, color="black", ls="--", lw=0.8, label=f"one frame {1e3 / fps:.2f} ms")
        ax.set_yscale("log")
        ax.legend(fontsize=8)
        ax.set_title(f"action interval: mean {gaps.mean():.2f} ms, std (jitter) {gaps.std():.2f} ms",
                     fontsize=10)
    ax.set_xlabel("time between consecutive fresh actions at the env (ms)")
    ax.set_ylabel("count")
    return _save(fig, path)


def coverage_over_time(rec: dict, path, fps: float, from_frame: int = 0, window: int = 60,
                       action_every: int = 1) -> str:
    """Fresh actions per due slot over a sliding window of frames."""
    fig, ax = _figure()
    f = rec["frame"]
    due = (f % action_every) == 0
    fresh = (rec["fresh"] & due).astype(float)
    if f.size < 2:
        _empty(ax, "no frames")
        return _save(fig, path)
    w = max(1, min(window, f.size))
    k = np.ones(w)
    cov = np.convolve(fresh, k, "valid") / np.maximum(np.convolve(due.astype(float), k, "valid"), 1)
    ax.plot(f[w - 1:] / fps, cov, lw=0.8, label=f"coverage over {w} frames")
    ax.axhline(COVERAGE_TARGET, color="green", ls=":", lw=0.8, label=f"{COVERAGE_TARGET}")
    ax.axvline(from_frame / fps, color="black", ls="--", lw=0.8, label="measured from")
    ax.set_ylim(-0.02, 1.05)
    ax.set_xlabel("env time (s)")
    ax.set_ylabel("coverage")
    ax.legend(fontsize=8, loc="lower right")
    return _save(fig, path)


def episode_returns(rec: dict, path, fps: float) -> str:
    """The return of every finished episode (its last frame on the x axis)."""
    fig, ax = _figure()
    ep = rec["episode"]
    if ep.size == 0 or ep[-1] == ep[0]:
        _empty(ax, "no finished episode")
    else:
        ends = np.flatnonzero(np.diff(ep))
        sums = np.add.reduceat(rec["reward"].astype(float), np.r_[0, ends + 1])[:-1]
        t = rec["frame"][ends] / fps
        ax.plot(t, sums, "o-", ms=3, lw=0.8, label="episode return")
        if sums.size >= 10:
            w = max(2, sums.size // 10)
            ax.plot(t[w - 1:], np.convolve(sums, np.ones(w) / w, "valid"), lw=1.5,
                    label=f"mean of {w}")
        ax.legend(fontsize=8)
    ax.set_xlabel("env time (s)")
    ax.set_ylabel("return")
    return _save(fig, path)


# -- scaling benchmark ---------------------------------------------------------------------
def needed_vs_inference(rows: list[dict], path, overhead_ms: float | None = None,
                        fps: float = 59.7275) -> str:
    """N needed for coverage >= 0.99 per algorithm, with the theory's ceil(t / t_m)."""
    fig, ax = _figure()
    xs = sorted({r["inference_frames"] for r in rows}) or [1.0]
    grid = np.linspace(min(xs + [1.0]) * 0.9, max(xs) * 1.05, 400)
    ax.plot(grid, np.ceil(grid - 1e-9), color="black", lw=1, label="theory ceil(t_theta / t_m)")
    if overhead_ms is not None:
        ax.plot(grid, np.ceil(grid + overhead_ms * fps / 1e3 - 1e-9), color="grey", ls="--", lw=1,
                label=f"theory with overhead {overhead_ms:.2f} ms added")
    for algo, marker in (("max_time", "o"), ("exp_time", "x")):
        pts = [(r["inference_frames"], r["needed_n"]) for r in rows
               if r["algorithm"] == algo and r["needed_n"] is not None]
        if pts:
            x, y = zip(*pts)
            ax.plot(x, y, marker, ms=8, fillstyle="none", label=f"measured, {algo}")
        for r in rows:
            if r["algorithm"] == algo and r["needed_n"] is None:
                ax.annotate(f"{algo}: not reached", (r["inference_frames"], r["theory_n"]), fontsize=7,
                            xytext=(4, 6 if algo == "max_time" else 16), textcoords="offset points")
    ax.set_xlabel("simulated inference time t_theta (frames)")
    ax.set_ylabel("inference nodes needed for coverage >= 0.99")
    ax.legend(fontsize=8)
    if max(xs) > 10:
        ax.set_xscale("log")
        ax.set_yscale("log")
    return _save(fig, path)


def coverage_vs_n(points: list[dict], path, margin_frames: float = 0.1) -> str:
    """Coverage against N, one line per (inference time, algorithm), with min(1, N / D).
    Points with an ``error`` (the run failed) are left out."""
    fig, ax = _figure()
    points = [p for p in points if not p.get("error")]
    keys = sorted({(p["inference_frames"], p["algorithm"]) for p in points})
    colors = _colors({k[0] for k in keys})
    for fr, algo in keys:
        pts = sorted((p["n"], p["coverage"]) for p in points
                     if p["inference_frames"] == fr and p["algorithm"] == algo)
        n, c = zip(*pts)
        ax.plot(n, c, {"max_time": "o-", "none": "s--"}.get(algo, "x:"), color=colors[fr], ms=5,
                label=f"{fr:g} frames, {algo}")
    for fr in sorted({k[0] for k in keys}):
        d = math.ceil(fr + margin_frames - 1e-9)
        n = np.arange(1, max([p["n"] for p in points] + [d]) + 1)
        ax.plot(n, np.minimum(1.0, n / d), color=colors[fr], lw=0.6, alpha=0.5)
    ax.axhline(COVERAGE_TARGET, color="green", ls=":", lw=0.8)
    ax.set_xlabel("inference nodes N")
    ax.set_ylabel("coverage (thin lines: min(1, N / landing frames))")
    ax.set_ylim(0, 1.05)
    if keys:
        ax.legend(fontsize=7, ncol=2, loc="lower right")
    return _save(fig, path)
