"""Your own model and learner: the examples run end to end through `stagger run`, and a wrong
--model/--learner stops before any node starts, naming what was expected."""
import json
import re

import pytest
import torch
from click.testing import CliRunner

from stagger.agents.learner_api import LearnerSettings, make_learner
from stagger.agents.models import build_model
from stagger.launch.cli import main

SHORT = ["run", "--game", "catcher", "--inference-latency", "0.03", "--inference-nodes", "2",
         "--duration", "4", "--quiet", "--learn-every", "2"]


def stagger(args, run_dir):
    return CliRunner().invoke(main, [*args, "--run-dir", str(run_dir)], catch_exceptions=False)


@pytest.mark.system
def test_custom_model_runs_end_to_end(tmp_path):
    res = stagger([*SHORT, "--model", "examples.patch_transformer:build"], tmp_path / "vit")
    assert res.exit_code == 0, res.output
    s = json.loads((tmp_path / "vit" / "summary.json").read_text())
    assert s["fresh_actions"] > 0 and s["learner_updates"] > 0, s
    assert s["inference_real_ms"]["p50"] > 0 and s["dropped"] == 0, s
    cfg = json.loads((tmp_path / "vit" / "config.json").read_text())
    assert cfg["model"] == "examples.patch_transformer:build"


@pytest.mark.system
def test_custom_learner_runs_end_to_end_and_resumes(tmp_path):
    res = stagger([*SHORT, "--learner", "examples.double_dqn:DoubleDQN"], tmp_path / "ddqn")
    assert res.exit_code == 0, res.output
    run = tmp_path / "ddqn"
    s = json.loads((run / "summary.json").read_text())
    assert s["learner_updates"] > 0 and s["fresh_actions"] > 0, s
    final = json.loads((run / "details.json").read_text())["finals"]["learner"]
    assert final["algorithm"] == "double_dqn" and final["updates"] == s["learner_updates"]
    assert final["weights_version"] > 0  # weights were published to the inference nodes
    ck = torch.load(run / "checkpoint.pt", weights_only=True)
    again = make_learner("examples.double_dqn:DoubleDQN", lambda: build_model((84, 84), 3, k=0.0625), 3,
                         LearnerSettings())
    again.resume(ck["learner"])
    assert again.updates == s["learner_updates"]


@pytest.mark.parametrize("args, expected", [
    (["--model", "no_such_module:build"], "no module named 'no_such_module'.*expected a function "
                                          r"\(obs_shape, n_actions\) -> torch.nn.Module"),
    (["--model", "tests.slow_model:nothing"], "has no attribute 'nothing'.*expected a function"),
    (["--model", "tests.slow_model:wrong_shape"], r"gave \(2, 4\); expected a tensor of shape \(2, 3\)"),
    (["--model", "tests.slow_model:not_a_module"], "returned a str, not a torch.nn.Module"),
    (["--model", "resnet"], "expected auto, impala, mlp or module:callable"),
    (["--learner", "no_such_module:L"], "no module named 'no_such_module'.*expected a class implementing"),
    (["--learner", "examples.double_dqn:Nope"], "has no attribute 'Nope'.*expected a class implementing"),
    (["--learner", "examples.double_dqn:copy"], "is a module, not a class"),
    (["--learner", "tests.slow_model:MatmulChain"], "MatmulChain has no observe, ready, update"),
])
def test_a_wrong_model_or_learner_stops_before_any_node(tmp_path, args, expected):
    res = stagger([*SHORT, *args], tmp_path / "bad")
    assert res.exit_code != 0
    assert re.search(expected, " ".join(res.output.split())), res.output
    assert not (tmp_path / "bad" / "logs").exists()  # no node was started
