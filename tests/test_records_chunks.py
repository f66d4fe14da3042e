"""The env's chunked frame recorder (issue 11): the same columns and summary figures as the
list-based recorder it replaced, for the same input, with a bounded number of chunks in memory
when full chunks are spilled to disk."""
import numpy as np
import pytest

from stagger.nodes.records import DEFAULTS, FIELDS, FrameRecorder, load, measure


class ListRecorder:
    """The recorder before issue 11 (Python lists per column), kept here as the reference."""

    def __init__(self):
        self.cols = {k: [] for k in FIELDS}

    def add(self, **row):
        for k, col in self.cols.items():
            col.append(row[k] if k in row else DEFAULTS[k])

    def arrays(self):
        return {k: np.asarray(v, dtype=FIELDS[k] if FIELDS[k] is not str else object)
                for k, v in self.cols.items()}


def rows(n, seed=0):
    rng = np.random.default_rng(seed)
    t0, fs = 10.0, 1 / 60
    for f in range(n):
        fresh = bool(rng.random() < 0.7)
        a = f - int(rng.integers(1, 9))
        row = dict(frame=f, deadline=t0 + f * fs, start=t0 + f * fs + float(rng.exponential(1e-4)),
                   action=int(rng.integers(0, 3)), fresh=fresh, action_frame=a if fresh else -1,
                   arrival=t0 + f * fs - 1e-3 if fresh else np.nan,
                   source=f"inf{f % 5:02d}" if fresh else "", inference_s=0.1 if fresh else np.nan,
                   overhead=float(rng.normal(1e-3, 1e-4)) if fresh and f % 7 else np.nan,
                   reward=float(f % 13 == 0), episode=f // 1000)
        if f % 3:  # later columns, which older callers omit
            row.update(inference_real_s=0.01 if fresh else np.nan, land=f if fresh else -1)
        yield row


def recent_ref(cols, n):
    fresh = cols["fresh"][-n:]
    delays = [f - a for f, a, ok in zip(cols["frame"][-n:], cols["action_frame"][-n:], fresh) if ok]
    late = np.subtract(cols["start"][-n:], cols["deadline"][-n:]) * 1e3
    over = [o for o, ok in zip(cols["overhead"][-n:], fresh) if ok and np.isfinite(o)]
    return {"coverage": sum(fresh) / len(fresh), "delay_p50": float(np.median(delays)) if delays else None,
            "lateness_p99_ms": float(np.percentile(late, 99)),
            "overhead_p50_ms": float(np.median(over)) * 1e3 if over else None}


@pytest.mark.parametrize("spill", [False, True])
def test_chunked_records_equal_the_list_records(tmp_path, spill):
    ref, rec = ListRecorder(), FrameRecorder(chunk=256)
    if spill:
        rec.spill_to(tmp_path / "chunks")
    for i, row in enumerate(rows(3000)):
        ref.add(**dict(row))
        rec.add(**row)
        if spill:
            rec.spill()
        if i in (10, 255, 256, 300, 2999):  # recent() across a chunk boundary too
            assert rec.recent(120) == recent_ref(ref.cols, 120)
    a, b = ref.arrays(), rec.arrays()
    assert set(a) == set(b) and len(rec) == 3000
    for k in a:
        assert a[k].dtype == b[k].dtype, k
        np.testing.assert_array_equal(a[k], b[k], err_msg=k)
    for start, every in ((0, 1), (500, 1), (500, 2)):
        assert measure(b, start, every) == measure(a, start, every)
    rec.save(tmp_path / "env_frames.npz")
    back = load(tmp_path / "env_frames.npz")
    np.testing.assert_array_equal(back["source"], a["source"].astype(str))
    assert measure(back, 500) == measure(a, 500)
    assert not (tmp_path / "chunks").exists()  # spilled chunks removed once saved


def test_memory_is_bounded_when_chunks_are_spilled(tmp_path):
    rec = FrameRecorder(chunk=100)
    rec.spill_to(tmp_path / "chunks")
    most = 0
    for row in rows(5000):
        rec.add(**row)
        rec.spill()
        most = max(most, rec.chunks_in_memory())
    assert most <= 2 and rec.spilled == 50  # current + previous; the rest on disk
    assert len(list((tmp_path / "chunks").glob("chunk_*.npy"))) == 50
    unspilled = FrameRecorder(chunk=100)  # without a spill dir every chunk stays (virtual runs)
    for row in rows(1000):
        unspilled.add(**row)
    assert not unspilled.spill() and unspilled.chunks_in_memory() == 11


def test_recent_and_last_on_an_empty_and_a_short_record():
    rec = FrameRecorder(chunk=8)
    assert rec.recent(120)["coverage"] is None
    for row in rows(3):
        rec.add(**row)
    assert rec.last("frame") == 2 and rec.recent(120)["coverage"] is not None
