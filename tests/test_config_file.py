"""`--config FILE` (launch/config_file.py): options of `stagger run` / `stagger launch` from a
TOML or JSON file, the command line winning, a run's config.json read back to the same
options, unknown keys refused with the allowed ones named."""
import json
import subprocess
import sys
from pathlib import Path

import click
import pytest

from stagger.launch.cli import main
from stagger.launch.cli_fields import field_values
from stagger.launch.remote.command import forward_args
from stagger.launch.run_config import RunConfig, config_doc
from stagger.nodes.options import to_dict

FACTS = {"fps": 59.7275, "obs_shape": [84, 84], "obs_dtype": "uint8", "n_actions": 3, "policy_actions": 3,
         "noop_action": 0}


def params(command: str, *args) -> dict:
    """The command's parameters after parsing ``args`` (options processed, nothing run)."""
    ctx = main.commands[command].make_context(command, [str(a) for a in args])
    return ctx


def write(tmp_path, text: str, name="exp.toml") -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


def test_a_toml_file_sets_options_and_the_command_line_wins(tmp_path):
    f = write(tmp_path, 'inference-latency = 0.25\ninference_nodes = 4\nalgorithm = "exp_time"\nduration = 90\n'
                        'learner = false\ntime = "virtual"\n[game_options]\nspeed = "fast"\n')
    p = params("run", "--config", f, "--duration", 3).params
    assert p["inference_latency"] == 0.25 and p["inference_nodes"] == "4" and p["algorithm"] == "exp_time"
    assert p["learner"] is False and p["time_mode"] == "virtual" and p["speed"] == "fast"
    assert p["duration"] == 3.0  # the command line wins
    assert params("run", "--config", f, "--algorithm", "max_time").params["algorithm"] == "max_time"
    assert params("run").params["algorithm"] == "max_time" and params("run").params["learner"] is True


def test_unknown_keys_are_an_error_naming_the_allowed_ones(tmp_path):
    f = write(tmp_path, 'algoritm = "exp_time"\nbogus = 1\n')
    with pytest.raises(click.BadParameter) as e:
        params("run", "--config", f)
    msg = str(e.value)
    assert "unknown key(s) algoritm, bogus" in msg and "did you mean algoritm -> algorithm?" in msg
    assert "Allowed: action_every, algorithm," in msg and "warmup_s" in msg
    with pytest.raises(click.BadParameter, match="no_learner"):  # a --no-x flag name is no key
        params("run", "--config", write(tmp_path, "no_learner = true\n", "n.toml"))


def test_bad_values_and_files_are_refused_as_the_options_are(tmp_path):
    with pytest.raises(click.BadParameter, match="'nope' is not one of"):
        params("run", "--config", write(tmp_path, 'algorithm = "nope"\n'))
    with pytest.raises(click.BadParameter, match="not valid TOML"):
        params("run", "--config", write(tmp_path, "duration = = 3\n", "broken.toml"))
    with pytest.raises(click.BadParameter, match="not valid JSON"):
        params("run", "--config", write(tmp_path, "{", "broken.json"))


def test_a_runs_config_json_reads_back_to_the_same_options(tmp_path):
    cfg = RunConfig(game="catcher", game_options={"speed": "slow"}, inference_nodes=5, inference_latency=0.08,
                    algorithm="exp_time", seed=7, learner=False, warmup_s=2.0, margin_s=0.002, max_window=30,
                    batch_size=32, trace=True, tensorboard=False, run_dir="runs/old")
    doc = config_doc(cfg, FACTS, stats_endpoint="tcp://127.0.0.1:1", endpoints={"obs": "tcp://127.0.0.1:2"})
    f = write(tmp_path, json.dumps(doc), "config.json")
    p = dict(params("run", "--config", f).params)
    assert p["run_dir"] is None and p["fps"] is None  # a new run dir; the probed fps is no --fps
    assert p["speed"] == "slow"
    got = field_values(RunConfig, p)
    want = to_dict(cfg)
    for k in ("run_dir", "game_options"):
        want.pop(k)
    assert {k: got[k] for k in want} == {**want, "inference_nodes": "5"}


def test_launch_skips_what_a_launch_decides_and_forwards_the_file_to_sbatch(tmp_path):
    cfg = RunConfig(inference_nodes=6, inference_latency=0.05, duration=30)
    doc = config_doc(cfg, FACTS, stats_endpoint="tcp://10.0.0.1:1", endpoints={}, placement={"env": "a"})
    ctx = params("launch", "--config", write(tmp_path, json.dumps(doc), "config.json"), "--seed", 3)
    assert ctx.params["duration"] == 30.0 and ctx.params["inference_latency"] == 0.05
    args = forward_args(ctx)
    assert args[args.index("--duration") + 1] == "30.0" and args[args.index("--seed") + 1] == "3"
    assert "--config" not in args and "--no-learner" not in args
    with pytest.raises(click.BadParameter, match="mode: a launch is staggered"):
        params("launch", "--config", write(tmp_path, 'mode = "sequential"\n'))


@pytest.mark.system
@pytest.mark.timeout(180)
def test_stagger_run_config_json_runs_the_same_run_again(tmp_path):
    stagger = Path(sys.executable).parent / "stagger"
    common = dict(cwd=tmp_path, capture_output=True, text=True, timeout=150)
    r = subprocess.run([stagger, "run", "--duration", "1", "--inference-nodes", "2", "--inference-latency", "0.02",
                        "--no-learner", "--seed", "4", "--speed", "slow", "--run-dir", "a", "--quiet"], **common)
    assert r.returncode == 0, r.stderr
    r = subprocess.run([stagger, "run", "--config", "a/config.json", "--run-dir", "b", "--quiet"], **common)
    assert r.returncode == 0, r.stderr
    a, b = (json.loads((tmp_path / d / "config.json").read_text()) for d in "ab")
    differ = {k for k in set(a) | set(b) if a.get(k) != b.get(k)}
    assert differ == {"run_dir", "endpoints", "stats_endpoint"}, differ
    assert b["game_options"] == {"speed": "slow"} and b["seed"] == 4 and b["learner"] is False
