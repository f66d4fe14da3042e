"""`stagger bench startup`: the plot of start-up time and memory per worker against N."""
from stagger.benchmarks.startup import plot


def test_plot_draws_a_line_per_start_method_and_k(tmp_path):
    rows = [{"start": s, "workers_per_process": k, "n": n, "startup_s": 1.0 + n / 100,
             "pss_per_worker_mb": 150.0 / k} for s in ("fork", "exec") for k in (1, 100) for n in (10, 60)]
    path = tmp_path / "startup.png"
    plot(rows, path)
    assert path.stat().st_size > 10_000 and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
