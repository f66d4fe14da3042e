"""The live panel (measure.live) and the TensorBoard scalars (measure.tensorboard), fed by
hand-made Stats data: no run, no sockets."""
import pytest
from rich.console import Console

from stagger.measure.live import LiveState, render

RT = {"host": "gpu01", "rejected": 2, "send_dropped": 1, "gaps": 3}


def fed() -> LiveState:
    s = LiveState()
    s.ingest("supervisor", "run", {"game": "catcher", "mode": "staggered", "phase": "measuring", "left_s": 4.5,
                                   "nodes": {"env": {"kind": "env", "host": "node01", "state": "running"},
                                             "inf00": {"kind": "inference", "host": "gpu01", "state": "joined"},
                                             "inf01": {"kind": "inference", "host": "gpu01", "state": "starting"}}},
             1.0)
    s.ingest("env", "env", {"frame": 600, "coverage_recent": 0.975, "delay_recent": 6.0, "lateness_recent_ms": 0.03,
                            "overhead_recent_ms": 1.1, "episodes": 2, "last_return": -3.0,
                            "runtime": {**RT, "host": "node01"}}, 1.1)
    s.ingest("inf00", "inference", {"count": 90, "missed": 4, "last_tick": 597, "inference_p50_s": 0.0995,
                                    "runtime": RT}, 1.2)
    s.ingest("clock", "clock", {"tick": 601, "members": ["inf00"], "epoch": 3, "needed": 7, "spacing": 7.0,
                                "estimate_s": 0.1012}, 1.3)
    s.ingest("learner", "learner", {"updates": 150, "loss": 0.0123, "replay": 600, "weights_version": 150}, 1.4)
    return s


def screen(state, now=2.0) -> str:
    console = Console(width=140, record=True, color_system=None)
    console.print(render(state, now, "stagger top"))
    return console.export_text()


def test_rows_take_kind_host_and_state_from_the_run_and_counters_from_the_runtime():
    s = fed()
    assert s.node_names() == ["env", "clock", "learner", "inf00", "inf01"]
    r = s.row("inf00")
    assert r == {"node": "inf00", "kind": "inference", "host": "gpu01", "state": "joined", "last_tick": 597,
                 "inference_p50_ms": pytest.approx(99.5), "missed": 4, "drops": 4, "rejected": 2}
    assert s.row("inf01")["state"] == "starting" and s.row("inf01")["drops"] is None
    assert s.row("clock")["kind"] == "clock" and s.row("clock")["last_tick"] == 601
    assert s.row("env")["host"] == "node01" and s.row("env")["last_tick"] == 600


def test_the_panel_shows_every_node_and_the_env_clock_and_learner():
    text = screen(fed())
    for word in ("inf00", "inf01", "gpu01", "joined", "coverage 0.975", "delay p50 6 fr", "lateness p99 0.030 ms",
                 "epoch 3", "N 1", "estimate 101.2 ms", "spacing 7.00", "updates 150", "loss 0.0123",
                 "replay 600", "weights v150", "left 4.5 s", "measuring", "99.5"):
        assert word in text, word


def test_silence_and_nothing_yet_are_said():
    assert "waiting for the run's stats" in screen(LiveState())
    assert "no stats for 8 s" in screen(fed(), now=9.4)


def test_a_final_stats_marks_a_node_finished_without_run_info():
    s = LiveState()
    s.ingest("inf07", "inference_final", {"count": 3}, 0.0)
    assert s.row("inf07")["state"] == "finished" and s.row("inf07")["kind"] == "inference"


def test_tensorboard_scalars_read_back(tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    from stagger.measure.tensorboard import TensorBoardWriter
    w = TensorBoardWriter(tmp_path / "tb")
    w.ingest("env", "env", {"frame": 100, "coverage_recent": 0.5, "delay_recent": 3.0, "lateness_recent_ms": 0.1,
                            "overhead_recent_ms": 1.2, "episodes": 0, "last_return": None})
    w.ingest("learner", "learner", {"updates": 10, "loss": 0.25, "replay": 64})
    w.ingest("env", "env", {"frame": 160, "coverage_recent": 1.0, "delay_recent": 3.0, "lateness_recent_ms": 0.1,
                            "overhead_recent_ms": None, "episodes": 1, "last_return": -2.0})
    w.ingest("inf00", "inference", {"inference_p50_s": 0.1})
    w.close()
    acc = EventAccumulator(str(tmp_path / "tb"))
    acc.Reload()
    got = {t: [(e.step, e.value) for e in acc.Scalars(t)] for t in acc.Tags()["scalars"]}
    assert got["env/coverage"] == [(100, 0.5), (160, 1.0)]
    assert got["env/overhead_p50_ms"] == [(100, pytest.approx(1.2))]  # None is not written
    assert got["env/return"] == [(160, -2.0)]
    assert got["learner/loss"] == [(100, 0.25)] and got["learner/updates"] == [(100, 10.0)]
    assert got["inference/inf00/p50_ms"] == [(160, pytest.approx(100.0))]
    assert {"env/delay_p50_frames", "env/lateness_p99_ms", "learner/replay_size"} <= set(got)


def test_every_stats_a_node_sends_carries_its_runtime_totals():
    from collections import Counter
    from types import SimpleNamespace

    from stagger.nodes.stats_totals import with_totals
    from stagger.protocol.messages import Stats
    rt = SimpleNamespace(hostname="gpu3", rejected=Counter(version=2, too_big=1), send_dropped=Counter(experience=4),
                         seq_in={"obs": SimpleNamespace(dropped=3), "ticks": SimpleNamespace(dropped=0)})
    msg = Stats(kind="env", data={"frame": 9})
    got = with_totals(rt, msg)
    assert got.data == {"frame": 9, "runtime": {"host": "gpu3", "rejected": 3, "send_dropped": 4, "gaps": 3}}
    assert msg.data == {"frame": 9}  # the core's message is not changed
