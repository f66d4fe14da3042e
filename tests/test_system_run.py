"""System tier: every node as a real process on loopback, through the run supervisor."""
import json

import pytest

from stagger.launch.run import RunConfig, Supervisor, read_config
from stagger.nodes.options import load
from stagger.nodes.records import load as load_records
from stagger.nodes.replay import replay

pytestmark = pytest.mark.system

SUMMARY_KEYS = {"mode", "algorithm", "inference_nodes", "inference_latency_s", "frames", "action_slots",
                "fresh_actions", "coverage", "action_delay_frames", "interval_jitter_ms", "env_lateness_ms",
                "overhead_ms", "inference_real_ms", "inference_ms", "dropped", "learner_updates", "episodes", "mean_return",
                "experience"}


def test_staggered_run_on_loopback_covers_the_frames(tmp_path):
    """3 nodes for a simulated 2.5-frame model: a fresh action on (nearly) every frame."""
    cfg = RunConfig(game="catcher", inference_nodes=3, inference_latency=2.5 / 59.7275,
                    duration=10.0, run_dir=str(tmp_path / "run"), seed=1, trace=True)
    s = Supervisor(cfg).run()
    assert set(s) == SUMMARY_KEYS
    assert s["coverage"] >= 0.7, s  # generous: 1.0 quiet, 0.78-0.91 seen on a loaded CI; sequential ~0.33
    assert s["action_delay_frames"]["p50"] == 3
    assert s["dropped"] == 0
    assert s["learner_updates"] > 0
    # every applied fresh action had a real forward pass (epsilon is ~1 this early: exploring
    # actions included), shorter than the padded total the node reported
    assert 0 < s["inference_real_ms"]["p50"] <= s["inference_real_ms"]["p99"] < s["inference_ms"]["p50"]
    rec = load_records(tmp_path / "run" / "env_frames.npz")
    real = rec["inference_real_s"][rec["fresh"]]
    assert real.size and (real > 0).all() and (real <= rec["inference_s"][rec["fresh"]]).all()
    run = tmp_path / "run"
    assert json.loads((run / "summary.json").read_text()) == s
    config = json.loads((run / "config.json").read_text())
    assert {"obs", "actions", "ticks", "control", "experience", "weights"} <= set(config["endpoints"])
    assert read_config(run / "config.json") == cfg  # config.json holds the run's options, every one
    assert load("inference", json.loads((run / "nodes" / "inf01.json").read_text())).node_seed == 1001
    for node in ("env", "clock", "learner", "inf00", "inf01", "inf02"):
        assert (run / "logs" / f"{node}.log").exists()
    assert (run / "metrics.jsonl").stat().st_size > 0
    # the end of the run: the clock's Stop, every inference node's Bye counted
    details = json.loads((run / "details.json").read_text())
    assert all(details["nodes"][n]["byes"] == 1 for n in ("inf00", "inf01", "inf02")), details["nodes"]
    assert {e["node"]: e["reason"] for e in details["clock_events"] if e["event"] == "bye"} == \
        {n: "end of run" for n in ("inf00", "inf01", "inf02")}
    # the recorded traces replay into the node cores: same actions (weights included), same frames
    for node in ("inf01", "env"):
        res = replay(run / "traces" / f"{node}.trace")
        assert res.ok, (node, res.first_difference())


def test_sequential_run_acts_every_ceil_latency_frames(tmp_path):
    latency = 3.5 / 59.7275
    cfg = RunConfig(game="catcher", mode="sequential", inference_latency=latency, duration=6.0,
                    run_dir=str(tmp_path / "seq"))
    s = Supervisor(cfg).run()
    # one fresh action per cycle of ceil(latency + learning step) frames: about 1/4 or 1/5
    assert 0.12 <= s["coverage"] <= 0.3, s
    assert s["mode"] == "sequential" and s["learner_updates"] > 0


def test_ipc_transport_run(tmp_path):
    """--transport ipc: the same run over Unix sockets, nothing bound on TCP; --device and
    --threads reach the inference nodes' compute workers."""
    cfg = RunConfig(game="catcher", inference_nodes=3, inference_latency=1.5 / 59.7275, duration=4.0,
                    run_dir=str(tmp_path / "ipc"), transport="ipc", learner=False, threads=1, device="cpu")
    s = Supervisor(cfg).run()
    eps = json.loads((tmp_path / "ipc" / "config.json").read_text())["endpoints"]
    assert all(ep.startswith("ipc://") for ep in eps.values()), eps
    assert s["coverage"] >= 0.8 and s["dropped"] == 0, s  # 3 nodes for 1.5 frames: slack for a loaded CI
    finals = json.loads((tmp_path / "ipc" / "details.json").read_text())["finals"]
    assert {(finals[n]["device"], finals[n]["threads"]) for n in ("inf00", "inf01")} == {("cpu", 1)}
