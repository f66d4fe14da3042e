"""The soak benchmark's measures on synthetic records (the hour-long run is a benchmark)."""
import importlib.util
from pathlib import Path

import numpy as np
import pytest

spec = importlib.util.spec_from_file_location("bench_soak", Path(__file__).parent.parent / "benchmarks" / "bench_soak.py")
soak = importlib.util.module_from_spec(spec)
spec.loader.exec_module(soak)


def records(minutes: float, fps: float = soak.FPS, miss_minute: int | None = None):
    n = int(minutes * 60 * fps)
    frame = np.arange(n)
    deadline = frame / fps
    start = deadline + 0.0001
    fresh = np.ones(n, bool)
    if miss_minute is not None:
        fresh[(start >= 60 * miss_minute) & (start < 60 * (miss_minute + 1)) & (frame % 2 == 0)] = False
    return {"frame": frame, "deadline": deadline, "start": start, "fresh": fresh, "action_frame": frame - 7}


def test_buckets_give_each_minute_its_own_coverage():
    b = soak.buckets(records(3, miss_minute=1), from_frame=0, minutes=3)
    assert [x["minute"] for x in b] == [0, 1, 2]
    assert b[0]["coverage"] == 1.0 and b[2]["coverage"] == 1.0 and b[1]["coverage"] == pytest.approx(0.5, abs=0.01)
    assert all(x["delay_p50"] == 7 for x in b) and all(x["lateness_p99_ms"] == pytest.approx(0.1) for x in b)


def test_drift_is_frames_against_the_wall_clock():
    assert abs(soak.drift(records(2), 0)["drift_frames"]) < 0.01
    slow = records(2, fps=soak.FPS * 0.99)
    slow["start"] = slow["frame"] / (soak.FPS * 0.99)
    d = soak.drift(slow, 0)
    assert d["fps"] == pytest.approx(soak.FPS * 0.99, rel=1e-4) and d["drift_frames"] < -70  # fewer frames than the wall clock allows


def test_memory_growth_from_the_first_and_the_settled_sample():
    samples = [{"t": 0.0, "rss": {"learner": 100.0, "env": 50.0}},
               {"t": 300.0, "rss": {"learner": 200.0, "env": 50.0}},
               {"t": 3600.0, "rss": {"learner": 210.0, "env": 51.0}}]
    m = soak.memory(samples, settle_min=5)
    assert m["learner"]["growth_from_start"] == pytest.approx(1.1) and m["learner"]["growth_from_settled"] == pytest.approx(0.05)
    assert m["env"]["growth_from_settled"] == pytest.approx(0.02)
