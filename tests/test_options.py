"""Typed node options: the CLI and the fields cannot drift, bad options are refused with the
allowed ones named, and every JSON form (config.json, opts files, connection file, the agent's
stdin, traces) reads back to the same options."""
from __future__ import annotations

import dataclasses
import io
import json
import re
import typing
from pathlib import Path
from types import SimpleNamespace

import click
import pytest

from stagger.launch.cli import RUN_CLI_ONLY, main
from stagger.launch.cli_fields import NOT_ON_CLI, NOT_ON_LAUNCH
from stagger.launch.remote.command import LAUNCH_CLI_ONLY
from stagger.launch.remote.options import LaunchOptions
from stagger.launch.run import Supervisor
from stagger.launch.run_config import RECORDED, RunConfig, config_doc, read_config
from stagger.nodes.options import (
    KINDS, RUN_GROUPS, GameFacts, InferenceOptions, LearnerOptions, OptionsError, fields_of, from_dict, load,
    load_trace, to_dict,
)
from stagger.protocol.trace import TraceReader

ROOT = Path(__file__).resolve().parents[1]
FACTS = {"fps": 59.7275, "obs_shape": [4], "obs_dtype": "float32", "n_actions": 2, "policy_actions": 2,
         "noop_action": 0}


def _params(name: str) -> set[str]:
    return {p.name for p in main.commands[name].params if isinstance(p, click.Option) and p.name != "help"}


def test_every_option_of_stagger_run_is_a_field_and_every_field_an_option():
    params, fields = _params("run"), set(fields_of(RunConfig))
    assert params - fields == set(RUN_CLI_ONLY), "an option of stagger run that is no RunConfig field: make it " \
        "a field (nodes/options/groups.py) or list it in launch.cli.RUN_CLI_ONLY"
    assert fields - params == set(NOT_ON_CLI), "a RunConfig field stagger run has no option for: list it in " \
        "launch.cli_fields.NOT_ON_CLI with the reason"


def test_every_option_of_stagger_launch_is_a_field_and_every_field_an_option():
    params = _params("launch")
    fields = set(fields_of(RunConfig)) | set(fields_of(LaunchOptions))
    assert params - fields == set(LAUNCH_CLI_ONLY)
    assert fields - params == set(NOT_ON_CLI) | set(NOT_ON_LAUNCH)


def test_run_config_has_every_run_group_field_and_nodes_get_only_their_own():
    run_fields = set(fields_of(RunConfig))
    for group in RUN_GROUPS:
        assert set(fields_of(group)) <= run_fields, group
    node_fields = set().union(*(fields_of(c) for c in KINDS.values()))
    only_run = {"mode", "inference_nodes", "duration", "warmup_s", "learner", "join_timeout_s", "tensorboard",
                "start", "clock_restarts", "insecure", "workers_per_process"}
    assert run_fields - node_fields == only_run  # a new run field reaches some node, or is listed here


@pytest.mark.parametrize("cls", [*KINDS.values(), RunConfig, LaunchOptions])
def test_every_field_has_a_type_a_default_and_a_one_line_help(cls):
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        assert f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING, f.name
        assert f.name in hints
        help = f.metadata.get("help", "")
        assert help and "\n" not in help and help.endswith((".", ")")), (cls.__name__, f.name)
        if hints[f.name] is bool and (f.default is True):
            assert f.metadata.get("off_help"), f"{f.name}: a --no-{f.name} flag needs an off_help"


def test_an_unknown_key_names_the_allowed_ones_and_a_near_miss():
    with pytest.raises(OptionsError) as e:
        load("learner", {"batch_szie": 8})
    msg = str(e.value)
    assert "'batch_szie'" in msg and "did you mean 'batch_size'" in msg and "LearnerOptions" in msg
    allowed = msg.split("allowed: ")[1].split(", ")
    assert allowed == sorted(fields_of(LearnerOptions))
    with pytest.raises(OptionsError, match="unknown option 'algorithm' for EnvOptions"):
        load("env", {"algorithm": "max_time"})  # a clock option given to the env
    with pytest.raises(OptionsError, match="unknown node kind 'gpu'; allowed: env, clock"):
        load("gpu", {})


@pytest.mark.parametrize("data, expected", [
    ({"seed": "1"}, "InferenceOptions.seed: expected int, got str '1'"),
    ({"seed": True}, "InferenceOptions.seed: expected int, got bool True"),
    ({"inference_latency": "0.1"}, "InferenceOptions.inference_latency: expected float, got str"),
    ({"trace": 1}, "InferenceOptions.trace: expected bool, got int 1"),
    ({"obs_shape": [4, "x"]}, r"InferenceOptions.obs_shape\[1\]: expected int, got str"),
    ({"connect": {"obs": 5}}, r"InferenceOptions.connect\['obs'\]: expected str, got int 5"),
    ({"game_options": []}, "InferenceOptions.game_options: expected dict, got list"),
    ({"model": "resnet"}, "InferenceOptions.model: 'resnet': expected auto, impala, mlp or module:callable"),
    ({"action_every": 0}, "InferenceOptions.action_every: 0 is below the minimum 1"),
])
def test_a_wrong_type_or_value_says_what_was_expected(data, expected):
    with pytest.raises(OptionsError, match=re.escape(expected) if "\\" not in expected else expected):
        load("inference", data)


def test_json_numbers_are_read_as_their_field_types():
    o = load("inference", {"inference_latency": 0, "obs_shape": [84, 84, 3]})
    assert o.inference_latency == 0.0 and isinstance(o.inference_latency, float) and o.obs_shape == (84, 84, 3)
    with pytest.raises(dataclasses.FrozenInstanceError):
        o.seed = 3


@pytest.mark.parametrize("kind", list(KINDS))
def test_each_kind_round_trips_through_json(kind):
    cls = KINDS[kind]
    o = cls(**{**FACTS, "obs_shape": (4,)}, node_id=f"{kind}7", connect={"stats": "tcp://127.0.0.1:9"})
    assert load(kind, json.loads(json.dumps(to_dict(o)))) == o
    assert load(kind, {}) == cls()  # every key is optional: its default


def test_config_json_round_trips_to_the_same_options(tmp_path):
    cfg = RunConfig(game="gym:CartPole-v1", game_options={"fps": 59.7275}, inference_nodes=3, batch_size=8,
                    inference_latency=0.05, algorithm="exp_time", trace=True, run_dir=str(tmp_path))
    doc = config_doc(cfg, FACTS, stats_endpoint="tcp://127.0.0.1:1", endpoints={"obs": "tcp://127.0.0.1:2"})
    (tmp_path / "config.json").write_text(json.dumps(doc, indent=1))
    assert read_config(tmp_path / "config.json") == cfg
    assert doc["fps"] == 59.7275 and doc["obs_shape"] == (4,)  # readers of config.json find the facts on top
    (tmp_path / "config.json").write_text(json.dumps({**doc, "inference_latncy": 1.0}))
    with pytest.raises(OptionsError, match="inference_latncy"):
        read_config(tmp_path / "config.json")
    with pytest.raises(ValueError, match="RECORDED"):
        config_doc(cfg, FACTS, colour="red")
    assert "endpoints" in RECORDED


def test_each_node_gets_the_runs_values_projected_onto_its_kind(tmp_path):
    cfg = RunConfig(batch_size=8, max_window=7, default_action="repeat", inference_latency=0.02, seed=3)
    sup = SimpleNamespace(cfg=cfg, game=FACTS, run_dir=tmp_path, ipc_dir="/tmp/stagger-x")  # the run's sockets
    learner = Supervisor.node_options(sup, "learner", "learner")
    assert isinstance(learner, LearnerOptions) and learner.batch_size == 8 and learner.seed == 3
    assert learner.run_dir == str(tmp_path) and learner.policy_actions == 2
    assert Supervisor.node_options(sup, "clock", "clock").max_window == 7
    env = Supervisor.node_options(sup, "env", "env", expect_learner=True)
    assert env.default_action == "repeat" and env.expect_learner and not hasattr(env, "batch_size")
    inf = Supervisor.node_options(sup, "inference", "inf02", node_seed=3002)
    assert (inf.node_id, inf.node_seed, inf.inference_latency) == ("inf02", 3002, 0.02)
    assert (inf.transport, inf.ipc_dir) == ("ipc", "/tmp/stagger-x")
    with pytest.raises(OptionsError, match="expect_learner"):
        Supervisor.node_options(sup, "clock", "clock", expect_learner=True)


def test_the_shipped_traces_read_back_but_only_through_the_trace_path():
    for path in sorted((ROOT / "tests" / "data").glob("*.trace")):
        with TraceReader(path) as r:
            kind, recorded = r.meta["kind"], r.meta["opts"]
        o = load_trace(kind, recorded)  # keys of other kinds (given to every node then) are ignored
        assert o.fps == 59.7275 and o.game == "gym:CartPole-v1"
        with pytest.raises(OptionsError):  # the strict path refuses them
            load(kind, recorded)
        with pytest.raises(OptionsError, match="bogus"):
            load_trace(kind, {**recorded, "bogus": 1})


def test_the_agent_refuses_bad_options_before_writing_anything(tmp_path, capsys):
    from stagger.launch.remote.agent import main as agent_main
    payload = {"kind": "inference", "node_id": "inf00", "run_dir": str(tmp_path / "r"),
               "opts": {"node_id": "inf00", "inferenc_latency": 0.1}, "files": {"connection.json": "{}"}}
    stdin = io.BytesIO((json.dumps(payload) + "\n").encode())
    stdin.fileno = lambda: (_ for _ in ()).throw(AssertionError("no lifeline expected"))
    assert agent_main(stdin) == 2
    assert "inferenc_latency" in capsys.readouterr().out and not (tmp_path / "r").exists()


def test_no_node_or_launcher_code_reads_options_as_a_dict():
    pattern = re.compile(r"opts\.get\(|opts\[")
    hits = [f"{p.relative_to(ROOT)}:{i}" for pkg in ("nodes", "launch") for p in sorted((ROOT / pkg).rglob("*.py"))
            for i, line in enumerate(p.read_text().splitlines(), 1) if pattern.search(line)]
    assert hits == []


def test_facts_and_every_kind_share_one_definition_of_each_field():
    for cls in [*KINDS.values(), RunConfig]:
        for name, f in fields_of(cls).items():
            owners = [g for g in (*RUN_GROUPS, GameFacts) if name in fields_of(g)]
            if owners:  # the same field object (help, default) as its group's
                assert f.metadata is fields_of(owners[0])[name].metadata, (cls.__name__, name)
    assert from_dict(InferenceOptions, {}).inference_latency == RunConfig().inference_latency


def test_stagger_node_refuses_a_misspelt_options_file_and_starts_nothing(tmp_path):
    from click.testing import CliRunner

    from stagger.launch.node import main as node_main
    bad = tmp_path / "env.json"
    bad.write_text(json.dumps({"node_id": "env", "default_acton": "repeat"}))
    r = CliRunner().invoke(main, ["node", "env", "--opts", str(bad), "--run-dir", str(tmp_path / "r")])
    assert r.exit_code == 1 and "did you mean 'default_action'" in r.output and not (tmp_path / "r").exists()
    with pytest.raises(SystemExit, match="default_acton"):
        node_main(["env", str(bad)])
    r = CliRunner().invoke(main, ["node", "inference", "--resume", str(tmp_path)])
    assert r.exit_code == 2 and "only a learner resumes" in r.output


def test_the_node_defaults_agree_with_the_libraries_they_configure():
    """agents/ sits below nodes/ and keeps its own defaults for library use: the options must
    not silently differ from them (a change to one is a change to both)."""
    from stagger.agents.dqn import DQNConfig
    from stagger.agents.schedule import EpsilonSchedule
    from stagger.nodes.options import ActingPart, LearningPart
    lp, dqn = LearningPart(), DQNConfig()
    assert (lp.batch_size, lp.n_step, lp.replay, lp.learning_starts) == (
        dqn.batch_size, dqn.n_step, dqn.replay_capacity, dqn.learning_starts)
    eps, ap = EpsilonSchedule(), ActingPart()
    assert (ap.epsilon_steps, ap.epsilon_end) == (eps.steps, eps.end)
