"""`stagger plan`: the paper's formulas."""
from click.testing import CliRunner

from stagger.launch.cli import main
from stagger.launch.plan import plan

FPS = 59.7275


def test_plan_numbers():
    p = plan(0.1, FPS)
    assert p["inference_nodes"] == 6  # ceil(0.1 * 59.7275) = ceil(5.97)
    # 0.1 s = 5.97 frames: with 1.5 ms of framework overhead it lands 7 frames later
    assert p["action_delay_frames"] == 7 and p["delay_lower_bound_frames"] == 6
    assert p["inference_nodes_with_overhead"] == 7
    exact = plan(6 / FPS, FPS)
    assert exact["inference_nodes"] == 6 and exact["inference_nodes_with_overhead"] == 7
    assert plan(0.1, FPS, action_every=2)["inference_nodes"] == 3
    assert plan(0.1, FPS, learn_s=0.05)["learner_nodes_one_update_per_action"] == 3


def test_plan_cli_prints_and_rejects_bad_values():
    r = CliRunner().invoke(main, ["plan", "--inference-time", "0.25"])
    assert r.exit_code == 0 and "inference_nodes" in r.output and " 15" in r.output
    bad = CliRunner().invoke(main, ["plan", "--inference-time", "-1"])
    assert bad.exit_code == 1 and "inference time >= 0" in bad.output
