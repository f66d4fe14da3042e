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


CHUNK = 4096  # frames per chunk (~68 s at 60 frames/s, ~380 KB)
_DTYPE = np.dtype([(k, np.int16 if t is str else t) for k, t in FIELDS.items()])  # source: name index


class FrameRecorder:
    """Per-frame records in fixed-size numpy chunks (one structured row per frame, the source
    node's name kept as an index into ``names``). ``add`` only writes a row (and starts a new
    chunk when one is full); with ``spill_to(dir)`` a full chunk is written to ``dir`` as one
    ``.npy`` by ``spill()``, which the env node calls between frames, so the records in memory
    stay at most the current chunk, the previous one (for ``recent``) and any not yet spilled.
    ``arrays()`` and ``save()`` read the spilled chunks back: the same columns as ever."""

    def __init__(self, chunk: int = CHUNK):
        self.chunk = chunk
        self.names: list[str] = []
        self._index: dict[str, int] = {}
        self.cur = np.empty(chunk, _DTYPE)
        self.n = 0  # rows used in cur
        self.prev: np.ndarray | None = None  # the last full chunk (recent() may reach into it)
        self.full: list[np.ndarray] = []  # full chunks in memory, oldest first, not spilled
        self.dir = None
        self.spilled = 0  # chunks on disk, in self.dir
        self.rows = 0

    def spill_to(self, directory) -> None:
        from pathlib import Path
        self.dir = Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)

    def add(self, **row) -> None:
        src = row.get("source", "")
        i = self._index.get(src)
        if i is None:
            i = self._index[src] = len(self.names)
            self.names.append(src)
        row["source"] = i
        self.cur[self.n] = tuple(row[k] if k in row else DEFAULTS[k] for k in FIELDS)
        self.n += 1
        self.rows += 1
        if self.n == self.chunk:
            self.full.append(self.cur)
            self.prev, self.cur, self.n = self.cur, np.empty(self.chunk, _DTYPE), 0

    def spill(self) -> bool:
        """Write the oldest full chunk to disk (one np.save of ~380 KB); False if none is due."""
        if self.dir is None or not self.full:
            return False
        np.save(self.dir / f"chunk_{self.spilled:06d}.npy", self.full.pop(0))
        self.spilled += 1
        return True

    def chunks_in_memory(self) -> int:
        return 1 + len(self.full) + (self.prev is not None and not any(c is self.prev for c in self.full))

    def __len__(self) -> int:
        return self.rows

    def _table(self) -> np.ndarray:
        disk = [np.load(self.dir / f"chunk_{i:06d}.npy") for i in range(self.spilled)]
        return np.concatenate(disk + self.full + [self.cur[:self.n]])

    def _tail(self, n: int) -> np.ndarray:
        if self.n >= n or self.prev is None:
            return self.cur[max(0, self.n - n):self.n]
        return np.concatenate([self.prev[len(self.prev) - (n - self.n):], self.cur[:self.n]])

    def last(self, key: str):
        return self._tail(1)[key][-1]

    def arrays(self) -> dict[str, np.ndarray]:
        t = self._table()
        out = {k: t[k].copy() for k in FIELDS}
        out["source"] = np.array(self.names, dtype=object)[t["source"]]
        return out

    def recent(self, n: int) -> dict:
        """Measures over the last ``n`` frames (at most a chunk)."""
        t = self._tail(min(n, self.chunk))
        fresh = t["fresh"]
        if not fresh.size:
            return {"coverage": None, "delay_p50": None, "lateness_p99_ms": None, "overhead_p50_ms": None}
        delays = (t["frame"] - t["action_frame"])[fresh]
        late = (t["start"] - t["deadline"]) * 1e3
        over = t["overhead"][fresh]
        over = over[np.isfinite(over)]
        return {"coverage": int(fresh.sum()) / fresh.size,
                "delay_p50": float(np.median(delays)) if delays.size else None,
                "lateness_p99_ms": float(np.percentile(late, 99)),
                "overhead_p50_ms": float(np.median(over)) * 1e3 if over.size else None}

    def save(self, path) -> None:
        """Every record (spilled chunks read back) in one .npz; the spilled chunks removed."""
        arrays = self.arrays()
        arrays["source"] = arrays["source"].astype(str)
        np.savez_compressed(path, **arrays)
        if self.dir is not None:
            for i in range(self.spilled):
                (self.dir / f"chunk_{i:06d}.npy").unlink(missing_ok=True)
            try:
                self.dir.rmdir()
            except OSError:
                pass


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
