"""`stagger bench learning`: statistics, the job grid, and one tiny end-to-end run."""
import json
import math

import pytest

from stagger.benchmarks.learning import MODES, ROW_KEYS, make_jobs, mean_ci, t_quantile, table


def test_t_interval():
    assert t_quantile(2) == pytest.approx(4.303)
    assert t_quantile(11) == pytest.approx(2.228)  # the nearest tabulated df below: wider, never narrower
    assert t_quantile(100) == 1.96
    m, hw, n = mean_ci([1.0, 2.0, 3.0])
    assert (m, n) == (2.0, 3)
    assert hw == pytest.approx(4.303 * 1.0 / math.sqrt(3))
    assert math.isnan(mean_ci([5.0])[1]) and mean_ci([])[2] == 0


def test_jobs_pair_modes_on_the_same_seeds_and_frames():
    p = {"obs": "ram", "episode_frames": 500, "last_k": 3, "learn_every": 4, "target_every": 100,
         "n_step": 1, "explore": 0.5, "learning_starts": 100, "batch_size": 16, "replay": 1000}
    jobs = make_jobs(("catcher",), ("slow", "fast"), (1, 70), 3, 2000, p)
    train = [j for j in jobs if not j.get("reference")]
    assert len(train) == 2 * 2 * len(MODES) * 3 and len(jobs) - len(train) == 2 * 2 * 3
    for j in train:
        assert j["cfg"]["frames"] == 2000 and j["cfg"]["epsilon_steps"] == 1000
    keys = {(j["speed"], j["cfg"]["delay_frames"], j["cfg"]["seed"]) for j in train if j["mode"] == "staggered"}
    assert keys == {(j["speed"], j["cfg"]["delay_frames"], j["cfg"]["seed"]) for j in train
                    if j["mode"] == "sequential"}


def test_table_groups_by_configuration():
    res = [{"row": {"game": "catcher", "speed": "fast", "delay_frames": 5, "mode": "staggered", "final_return": v}}
           for v in (1.0, 3.0)]
    rows = table(res)
    assert len(rows) == 1 and rows[0]["mean"] == 2.0 and rows[0]["seeds"] == 2


def test_tiny_benchmark_writes_rows_and_plots(tmp_path):
    from click.testing import CliRunner
    import matplotlib.pyplot as plt

    from stagger.benchmarks.learning import learning
    res = CliRunner().invoke(learning, ["--out", str(tmp_path), "--frames", "300", "--delays", "1,4",
                                        "--seeds", "1", "--speeds", "fast", "--workers", "1",
                                        "--episode-frames", "120", "--last-k", "2"])
    assert res.exit_code == 0, res.output
    rows = json.loads((tmp_path / "learning.json").read_text())
    assert len(rows) == 2 * 3 and all(tuple(r) == ROW_KEYS for r in rows)
    assert {r["mode"] for r in rows} == {"staggered", "sequential", "sequential-async"}
    assert all(r["cpu_s"] > 0 for r in rows)
    assert all(r["frames"] == 300 and math.isfinite(r["final_return"]) for r in rows)
    sizes = {"learning_curves.png": (340, 840), "learning_final.png": (420, 550)}  # 1 x 2 panels, 1 panel
    for name, size in sizes.items():
        path = tmp_path / name
        assert path.stat().st_size > 10_000
        assert plt.imread(path).shape[:2] == size
    assert "random" in res.output and "noop" in res.output
    from stagger.benchmarks.learning_cost import COST_KEYS
    costs = json.loads((tmp_path / "learning_cost.json").read_text())
    assert len(costs) == 2 * 3 and all(tuple(c) == COST_KEYS for c in costs)
    by = {(c["delay_frames"], c["mode"]): c for c in costs}
    # staggered runs d cores (an inference per frame, d frames long); sequential one per d frames
    assert by[(4, "staggered")]["inference_core_s"] > 3 * by[(4, "sequential")]["inference_core_s"]
    assert (tmp_path / "learning_cost.png").stat().st_size > 10_000
    again = CliRunner().invoke(learning, ["--out", str(tmp_path), "--frames", "300", "--delays", "1,4",
                                          "--seeds", "1", "--speeds", "fast", "--workers", "1",
                                          "--episode-frames", "120", "--last-k", "2"])
    assert again.exit_code == 0 and "0 virtual-time runs" in again.output  # resumed: all stored
