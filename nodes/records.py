"""Per-frame records of the env node, and the measures computed from them.

Definitions (../shared/DESIGN.md, "Words and measures"):
- coverage: fresh actions applied / action slots due, in the measured window;
- action delay: frame applied minus frame of the observation the action was computed from;
- interval jitter: standard deviation of the time between the arrivals (at the env) of
  consecutive applied fresh actions, ms;
- env lateness: how late each frame started against its ideal deadline, ms;
- overhead: observation published -> action received at the env, minus the inference time
  the inference node reported (which includes any simulated latency), ms;
- inference time of the applied fresh actions: the real compute (``inference_real_s``, the
  model's forward pass) and the total the node reported (``inference_s``: real + padding).
"""
from __future__ import annotations

import numpy as np

FIELDS = {
    "frame": np.int64, "deadline": np.float64, "start": np.float64, "action": np.int16,
    "fresh": np.bool_, "action_frame": np.int64, "arrival": np.float64, "source": str,
    "inference_s": np.float64, "overhead": np.float64, "reward": np.float32, "episode": np.int32,
    "inference_real_s": np.float64, "land": np.int64,
}
DEFAULTS = {"inference_real_s": np.nan, "land": -1}  # columns added later: older callers omit them


class FrameRecorder:
    """Column lists, appended once per frame (cheap), turned into arrays on demand."""

    def __init__(self):
        self.cols: dict[str, list] = {k: [] for k in FIELDS}

    def add(self, **row) -> None:
        for k, col in self.cols.items():
            col.append(row[k] if k in row else DEFAULTS[k])

    def __len__(self) -> int:
        return len(self.cols["frame"])

    def arrays(self) -> dict[str, np.ndarray]:
        return {k: np.asarray(v, dtype=FIELDS[k] if FIELDS[k] is not str else object)
                for k, v in self.cols.items()}

    def recent(self, n: int) -> dict:
        fresh = self.cols["fresh"][-n:]
        if not fresh:
            return {"coverage": None, "delay_p50": None, "lateness_p99_ms": None, "overhead_p50_ms": None}
        frames = self.cols["frame"][-n:]
        af = self.cols["action_frame"][-n:]
        delays = [f - a for f, a, ok in zip(frames, af, fresh) if ok]
        late = np.subtract(self.cols["start"][-n:], self.cols["deadline"][-n:]) * 1e3
        over = [o for o, ok in zip(self.cols["overhead"][-n:], fresh) if ok and np.isfinite(o)]
        return {"coverage": sum(fresh) / len(fresh),
                "delay_p50": float(np.median(delays)) if delays else None,
                "lateness_p99_ms": float(np.percentile(late, 99)),
                "overhead_p50_ms": float(np.median(over)) * 1e3 if over else None}

    def save(self, path) -> None:
        arrays = self.arrays()
        arrays["source"] = arrays["source"].astype(str)
        np.savez_compressed(path, **arrays)


def load(path) -> dict[str, np.ndarray]:
    with np.load(path, allow_pickle=False) as z:
        return {k: z[k] for k in z.files}


def _pct(values: np.ndarray, qs) -> dict:
    if values.size == 0:
        return {f"p{q}": None for q in qs}
    return {f"p{q}": float(np.percentile(values, q)) for q in qs}


def measure(rec: dict[str, np.ndarray], from_frame: int = 0, action_every: int = 1) -> dict:
    """The summary measures over frames >= ``from_frame``."""
    sel = rec["frame"] >= from_frame
    frames = rec["frame"][sel]
    fresh = rec["fresh"][sel]
    due = (frames % action_every) == 0
    slots = int(due.sum())
    n_fresh = int((fresh & due).sum())
    delays = (frames - rec["action_frame"][sel])[fresh]
    arrivals = rec["arrival"][sel][fresh]
    intervals = np.diff(arrivals)
    late_ms = (rec["start"][sel] - rec["deadline"][sel]) * 1e3
    overhead_ms = rec["overhead"][sel][fresh] * 1e3
    overhead_ms = overhead_ms[np.isfinite(overhead_ms)]
    delay = _pct(delays, (50, 99))
    delay["max"] = int(delays.max()) if delays.size else None
    late = _pct(late_ms, (50, 99))
    late["max"] = float(late_ms.max()) if late_ms.size else None
    nan = np.full(rec["frame"].size, np.nan)
    real_ms = rec.get("inference_real_s", nan)[sel][fresh] * 1e3
    total_ms = rec["inference_s"][sel][fresh] * 1e3
    return {
        "frames": int(frames.size), "action_slots": slots, "fresh_actions": n_fresh,
        "coverage": (n_fresh / slots) if slots else 0.0,
        "action_delay_frames": delay,
        "interval_jitter_ms": float(np.std(intervals) * 1e3) if intervals.size > 1 else None,
        "env_lateness_ms": late,
        "overhead_ms": _pct(overhead_ms, (50, 99)),
        "inference_real_ms": _pct(real_ms[np.isfinite(real_ms)], (50, 99)),
        "inference_ms": _pct(total_ms[np.isfinite(total_ms)], (50, 99)),
    }
