"""Realtime: --algorithm none (free-running nodes collide) and --mode sequential-async."""
from stagger.launch.run import RunConfig, Supervisor


def test_unstaggered_nodes_collide_and_sequential_async_acts_when_free(tmp_path):
    latency = 3.5 / 59.7275  # lands 4 frames after its observation (3.5 + overhead)
    s = Supervisor(RunConfig(game="catcher", inference_nodes=3, inference_latency=latency, algorithm="none",
                             duration=4.0, run_dir=str(tmp_path / "none"), learner=False)).run()
    # three nodes started together collide: far below the 1.0 three staggered nodes give
    assert s["algorithm"] == "none" and 0.15 <= s["coverage"] <= 0.6, s
    a = Supervisor(RunConfig(game="catcher", mode="sequential-async", inference_latency=latency, duration=4.0,
                             run_dir=str(tmp_path / "sa"))).run()
    # one node, a fresh action every ~3.5-4 frames, no frame lost to learning (sequential: ~1/5)
    assert a["mode"] == "sequential-async" and a["inference_nodes"] == 1, a
    assert 0.18 <= a["coverage"] <= 0.34 and a["learner_updates"] > 0, a
