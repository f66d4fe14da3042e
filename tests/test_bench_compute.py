"""`stagger bench compute`: the choice of k and the saturation read-out (the runs are the
benchmark's, not a test's)."""
from click.testing import CliRunner

from stagger.benchmarks.compute import FPS, pick_k, saturation
from stagger.launch.cli import main


def test_pick_k_lands_in_two_to_four_frames():
    calls = []

    def measure(k):  # conv cost grows with k^2: 4.1 ms at k = 1, as measured here
        calls.append(k)
        return 0.0041 * k * k
    k, t = pick_k(measure)
    assert 2.0 <= t * FPS <= 4.0 and t == measure(k) and len(calls) <= 6


def row(n, cov, real, cores):
    return {"model": "m", "n": n, "coverage": cov, "inference_real_ms": {"p50": real}, "inference_cores": cores}


def test_saturation_is_where_the_cores_are_used_up_or_passes_slow_down():
    rows = [row(1, 0.25, 50.0, 0.98), row(2, 0.5, 52.0, 1.95), row(3, 0.5, 78.0, 1.97)]
    assert saturation(rows, 2) == {"m": {"saturates_at_n": 2, "coverage_by_n": {1: 0.25, 2: 0.5, 3: 0.5},
                                         "machine_saturated_at_n": None}}
    rows = [row(1, 0.25, 50.0, 0.5), row(2, 0.3, 90.0, 0.6)]  # someone else's load: slower passes
    assert saturation(rows, 4)["m"]["saturates_at_n"] == 2


def test_command_is_registered():
    res = CliRunner().invoke(main, ["bench", "compute", "--help"])
    assert res.exit_code == 0 and "no padding" in res.output
