"""`stagger bench overhead`: the observation -> action round trip it reports beside the overhead."""
import math

import numpy as np

from stagger.benchmarks.overhead import medians, round_trip_ms


def test_round_trip_is_overhead_plus_inference_of_fresh_actions(tmp_path):
    fresh = np.array([True, True, False, True, True])
    overhead = np.array([0.001, 0.002, 0.5, np.nan, 0.001])
    inference = np.array([0.002, 0.002, 0.5, 0.002, 0.004])
    np.savez(tmp_path / "env_frames.npz", fresh=fresh, overhead=overhead, inference_s=inference)
    r = round_trip_ms(tmp_path)
    assert math.isclose(r["round_trip_p50_ms"], 4.0)  # 3, 4, 5 ms: the stale frame and the NaN left out
    assert 4.9 < r["round_trip_p99_ms"] <= 5.0


def test_no_fresh_action_gives_none_and_medians_skip_it(tmp_path):
    np.savez(tmp_path / "env_frames.npz", fresh=np.zeros(3, bool), overhead=np.zeros(3), inference_s=np.zeros(3))
    r = round_trip_ms(tmp_path)
    assert r == {"round_trip_p50_ms": None, "round_trip_p99_ms": None}
    row = {"overhead_p50_ms": 1.0, "overhead_p99_ms": 2.0, "coverage": 1.0, "lateness_p99_ms": 0.1,
           "load_1min": 0.3, "dropped": 0}
    m = medians([{**row, "round_trip_p50_ms": 3.0, "round_trip_p99_ms": 4.0}, {**row, **r}])
    assert m["round_trip_p50_ms"] == 3.0 and m["runs"] == 2 and m["dropped"] == 0
