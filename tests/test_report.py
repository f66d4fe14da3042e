"""`stagger report` plots and page, and the scaling benchmark's logic, on synthetic runs
(no processes, no sockets)."""
import json
import math

import matplotlib.image as mpimg
import numpy as np
import pytest
from click.testing import CliRunner

from stagger.benchmarks import scaling as bs
from stagger.measure.plots import PIXELS
from stagger.measure.report import PLOTS, make_report
from stagger.nodes.records import FrameRecorder, measure

FPS = 60.0
LAT = 2.5  # frames


def fake_run(run_dir, frames=600, nodes=3, episode_len=150, config=False):
    """A run dir as `stagger run` leaves it: N nodes, a 2.5-frame model, a few gaps."""
    run_dir.mkdir(parents=True, exist_ok=True)
    rec, t0, fs = FrameRecorder(), 100.0, 1.0 / FPS
    for f in range(frames):
        fresh = f >= 30 and f % 50 != 0
        s = f - nodes
        rec.add(frame=f, deadline=t0 + f * fs, start=t0 + f * fs + 1e-5, action=f % 3 if fresh else 0,
                fresh=fresh, action_frame=s if fresh else -1,
                arrival=t0 + s * fs + LAT * fs + 3e-4 if fresh else np.nan,
                source=f"inf{f % nodes:02d}" if fresh else "", inference_s=LAT * fs if fresh else np.nan,
                overhead=3e-4 if fresh else np.nan, reward=1.0 if f % 20 == 0 else 0.0,
                episode=f // episode_len)
    rec.save(run_dir / "env_frames.npz")
    m = measure(rec.arrays(), 30)
    summary = {"mode": "staggered", "algorithm": "max_time", "inference_nodes": nodes,
               "inference_latency_s": LAT * fs, **m, "dropped": 0, "learner_updates": 0,
               "episodes": frames // episode_len, "mean_return": 7.5}
    (run_dir / "summary.json").write_text(json.dumps(summary))
    with open(run_dir / "metrics.jsonl", "w") as fh:
        for f in range(0, frames, 30):
            fh.write(json.dumps({"t": t0 + f * fs, "node": "env", "kind": "env", "frame": f,
                                 "coverage_recent": 1.0, "episodes": f // episode_len}) + "\n")
    if config:
        (run_dir / "config.json").write_text(json.dumps({"fps": FPS, "game": "catcher", "action_every": 1}))
        (run_dir / "details.json").write_text(json.dumps({"measured_from_frame": 30}))
    return run_dir


def check_png(path):
    img = mpimg.imread(path)
    assert path.stat().st_size > 1000
    assert img.shape[:2] == (PIXELS[1], PIXELS[0])
    assert img[..., :3].std() > 0.01  # something is drawn


@pytest.mark.parametrize("config", [False, True])
def test_report_writes_every_plot_and_the_page(tmp_path, config):
    run = fake_run(tmp_path / "run", config=config)
    out = make_report(run)
    assert set(out) == set(PLOTS) | {"html"}
    for name in PLOTS:
        check_png(run / f"{name}.png")
    page = (run / "report.html").read_text()
    for name in PLOTS:
        assert f'src="{name}.png"' in page
    assert "coverage" in page and "60 frames/s" in page  # fps inferred from deadlines or config


def test_report_without_finished_episode_or_fresh_action(tmp_path):
    run = tmp_path / "run"
    rec = FrameRecorder()
    for f in range(50):
        rec.add(frame=f, deadline=f / FPS, start=f / FPS, action=0, fresh=False, action_frame=-1,
                arrival=np.nan, source="", inference_s=np.nan, overhead=np.nan, reward=0.0, episode=0)
    run.mkdir()
    rec.save(run / "env_frames.npz")
    make_report(run)
    for name in PLOTS:
        assert mpimg.imread(run / f"{name}.png").shape[:2] == (PIXELS[1], PIXELS[0])


def test_report_command(tmp_path):
    from stagger.launch.cli import main
    run = fake_run(tmp_path / "run")
    res = CliRunner().invoke(main, ["report", str(run)])
    assert res.exit_code == 0, res.output
    assert "report.html" in res.output
    res = CliRunner().invoke(main, ["report", str(tmp_path)])  # not a run dir
    assert res.exit_code != 0 and "env_frames.npz" in res.output


# -- scaling benchmark logic ---------------------------------------------------------------
def landing(frames):  # frames from observation to landing with a little overhead
    return math.ceil(frames + 0.05)


@pytest.mark.parametrize("d,start", [(1, 1), (3, 3), (7, 6), (7, 2), (4, 6)])
def test_search_finds_the_smallest_n_and_shows_the_one_below_fails(d, start):
    calls = []

    def coverage(n):
        calls.append(n)
        return min(1.0, n / d)

    needed, seen = bs.search_needed(coverage, start, cap=20)
    assert needed == d
    assert seen[d] >= bs.TARGET and (d == 1 or seen[d - 1] < bs.TARGET)
    assert len(calls) == len(set(calls))  # no run twice


def test_search_gives_up_at_the_cap():
    needed, seen = bs.search_needed(lambda n: 0.5, 3, cap=5)
    assert needed is None and sorted(seen) == [3, 4, 5]


def test_theory_columns():
    assert [bs.theory_n(x) for x in (1.0, 2.5, 6.0, 14.5)] == [1, 3, 6, 15]
    assert bs.theory_with_overhead(6.0, 0.5, 59.7275) == 7
    assert bs.theory_with_overhead(2.5, 0.5, 59.7275) == 3
    assert bs.theory_with_overhead(2.5, None) is None


def test_scaling_rows_files_and_table(tmp_path):
    run = fake_run(tmp_path / "run", config=True)
    runs = []

    def run_point(algo, frames, n):
        runs.append((algo, frames, n))
        if (algo, frames, n) == ("exp_time", 2.5, 2):
            return {"coverage": 0.0, "error": "timed out waiting for 2 inference nodes to join"}
        return {"coverage": min(1.0, n / landing(frames)), "overhead_ms": {"p50": 0.4, "p99": 1.2}, "wall_s": 0.0, "run_dir": str(run)}

    res = bs.run_scaling(run_point, (1.0, 2.5, 6.0), sweep={6.0: (3,)}, log=lambda m: None)
    assert len(runs) == len(set(runs)) == len(res["points"])
    assert [(r["algorithm"], r["inference_frames"], r["theory_n"], r["needed_n"]) for r in res["rows"]] == [
        ("max_time", 1.0, 1, 2), ("exp_time", 1.0, 1, 2), ("max_time", 2.5, 3, 3), ("exp_time", 2.5, 3, 3),
        ("max_time", 6.0, 6, 7), ("exp_time", 6.0, 6, 7)]
    assert res["overhead_ms"] == {"p50": 0.4, "p99": 1.2}
    files = bs.write_outputs(res, tmp_path / "out", FPS)
    rows = json.loads((tmp_path / "out" / "scaling.json").read_text())
    assert len(rows) == 6 and all(list(r) == list(bs.ROW_KEYS) for r in rows)
    assert all(r["coverage_at_needed"] >= bs.TARGET for r in rows)
    names = sorted(p.rsplit("/", 1)[-1] for p in files)
    assert names == ["coverage_vs_n.png", "needed_vs_inference.png", "timeline.png"]
    for name in names:
        check_png(tmp_path / "out" / name)
    text = bs.table(res, FPS)
    assert "theory+1: exact multiple of a frame" in text
    line = next(l for l in text.splitlines() if l.startswith("max_time") and " 6 " in l)
    assert line.split()[3:7] == ["6", "7", "7", "7"]  # theory, +oh p50, +oh p99, needed
    assert "N=3 " in text  # the sweep point is in the coverage-vs-N lines
    assert "exp_time    2.5 frames: N=2 failed, N=3 1.000" in text
