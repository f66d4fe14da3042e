"""`stagger run` game and model options, `--inference-latency from-model`, `stagger models`."""
import json
import subprocess
import sys
import time
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from stagger.launch import models_cmd
from stagger.launch.cli import main
from stagger.launch.models_cmd import LATENCY, SIZES, model_and_latency
from stagger.launch.plan import plan

ROOT = Path(__file__).resolve().parent.parent
COUNTS_6 = {"55k": "54,178", "1m": "903,718", "10m": "10,368,742", "100m": "104,682,918",
            "1b": "1,008,092,742"}


@pytest.fixture
def cache_home(tmp_path, monkeypatch):
    """An empty inference-time cache (never the user's ~/.cache)."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "cache" / "stagger" / "inference_times.json"


def invoke(*args):
    return CliRunner().invoke(main, list(args))


def test_sizes_are_the_presets():
    from stagger.agents.models import PRESETS
    assert SIZES == tuple(PRESETS)


def test_unknown_game_lists_the_allowed_ones():
    r = invoke("run", "--game", "zelda", "--run-dir", "unused")
    assert r.exit_code != 0
    for name in ("zelda", "catcher", "tetris", "pokemon-red", "atari/<game>", "gym:"):
        assert name in r.output


def test_bad_size_lists_the_presets():
    r = invoke("run", "--size", "2m")
    assert r.exit_code == 2
    assert "--size" in r.output and all(f"'{s}'" in r.output for s in SIZES)


@pytest.mark.parametrize("value", ["fast", "0.1s", "from-model:2b", "-0.5", "nan"])
def test_bad_inference_latency_is_a_clear_error(value):
    r = invoke("run", "--inference-latency", value)
    assert r.exit_code == 2
    assert "--inference-latency" in r.output and repr(value) in r.output


def test_latency_param_accepts_seconds_and_from_model():
    assert LATENCY.convert("0.25", None, None) == 0.25
    assert LATENCY.convert(0.0, None, None) == 0.0
    assert LATENCY.convert("From-Model", None, None) == "from-model"
    assert LATENCY.convert("from-model:1B", None, None) == "from-model:1b"
    with pytest.raises(click.BadParameter, match="unknown size"):
        LATENCY.convert("from-model:3m", None, None)


def test_game_options_reach_preflight(monkeypatch):
    seen = {}

    def fake_preflight(name, options):
        seen.update(name=name, options=options)
        raise ValueError("stopped here")
    monkeypatch.setattr("stagger.games.registry.preflight", fake_preflight)
    r = invoke("run", "--game", "pokemon-yellow", "--states", "st", "--setting", "catching",
               "--rom-dir", "roms", "--allow-unknown-rom")
    assert r.exit_code == 1 and "stopped here" in r.output
    assert seen == {"name": "pokemon-yellow", "options": {
        "states": "st", "setting": "catching", "rom_dir": "roms", "allow_unknown_rom": True}}
    r = invoke("run", "--game", "tetris", "--level", "5")
    assert seen["options"] == {"level": 5}
    assert invoke("run", "--setting", "fishing").exit_code == 2
    assert invoke("run", "--level", "12").exit_code == 2


def test_option_of_another_game_is_refused():
    r = invoke("run", "--game", "atari/boxing", "--level", "3")
    assert r.exit_code == 1 and "level" in r.output and "atari/boxing" in r.output


def test_tetris_without_rom_exits_at_once_and_starts_nothing(tmp_path):
    empty = tmp_path / "roms"
    empty.mkdir()
    run_dir = tmp_path / "run"
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "STAGGER_ROM_DIR": str(empty),
           "PYTHONPATH": str(ROOT)}
    t0 = time.monotonic()
    p = subprocess.run([sys.executable, "-m", "stagger.launch.cli", "run", "--game", "tetris", "--run-dir",
                        str(run_dir), "--duration", "5"], cwd=ROOT, env=env, capture_output=True,
                       text=True, timeout=60)
    elapsed = time.monotonic() - t0
    assert p.returncode != 0
    assert "Traceback" not in p.stderr and p.stderr.startswith("Error: No ROM for tetris found")
    assert "0d6535aef23969c7e5af2b077acaddb4a445b3d0df7bf34c8acef07b51b015c3" in p.stderr
    assert str(empty) in p.stderr and "--rom" in p.stderr
    assert elapsed < 5.0, elapsed                 # generous bound; about 0.5 s here
    assert not (run_dir / "nodes").exists() and not run_dir.exists()   # no node was started
    assert p.stdout == ""


def test_models_lists_presets_with_exact_counts(cache_home):
    r = invoke("models", "--no-measure")
    assert r.exit_code == 0, r.output
    for size, count in COUNTS_6.items():
        row = next(line for line in r.output.splitlines() if line.strip("│┃ ").startswith(size + " "))
        assert count in row, row
    assert "1,008,098,898" in r.output          # 1b with 18 actions: + 6,156
    assert not cache_home.exists()                # --no-measure measured nothing


def test_models_shows_cached_times_and_the_plans_n(cache_home):
    cache_home.parent.mkdir(parents=True)
    key = models_cmd.cache_key("impala", 1.0, (84, 84))
    cache_home.write_text(json.dumps({key: {"seconds": 0.1}}))
    r = invoke("models", "--no-measure")
    assert r.exit_code == 0, r.output
    row = next(line for line in r.output.splitlines() if line.strip("│┃ ").startswith("1m "))
    p = plan(0.1, 59.7275)
    cells = [c.strip() for c in row.split("│") if c.strip()]
    assert cells[5:] == ["100.00", str(p["inference_nodes"]), str(p["inference_nodes_with_overhead"])]
    row55 = next(line for line in r.output.splitlines() if line.strip("│┃ ").startswith("55k "))
    assert [c.strip() for c in row55.split("│") if c.strip()][5:] == ["-", "-", "-"]


def test_inference_time_is_measured_once_and_cached(cache_home, monkeypatch):
    first = models_cmd.inference_time("impala", 0.0625, (84, 84), 6)
    assert first > 0 and cache_home.exists()
    entry = json.loads(cache_home.read_text())[models_cmd.cache_key("impala", 0.0625, (84, 84))]
    assert entry["seconds"] == first

    def boom(*a, **k):
        raise AssertionError("measured again")
    monkeypatch.setattr("stagger.agents.timing.measure_inference_time", boom)
    assert models_cmd.inference_time("impala", 0.0625, (84, 84), 6) == first


def test_size_sets_k_and_model_k_wins():
    assert model_and_latency("catcher", {}, "auto", "10m", None, 0.1) == (7.0, 0.1, "simulated")
    assert model_and_latency("catcher", {}, "auto", "10m", 2.0, 0.1)[0] == 2.0
    assert model_and_latency("catcher", {}, "auto", None, None, 0.0)[0] == 0.0625


def test_from_model_uses_the_cached_time_of_the_chosen_model(cache_home, capsys):
    cache_home.parent.mkdir(parents=True)
    cache_home.write_text(json.dumps({models_cmd.cache_key("impala", 7.0, (84, 84)): {"seconds": 0.042},
                                      models_cmd.cache_key("impala", 98.0, (84, 84)): {"seconds": 9.5}}))
    k, seconds, label = model_and_latency("catcher", {}, "auto", "10m", None, "from-model")
    assert (k, seconds) == (7.0, 0.042) and label.startswith("simulated (from-model: impala k=7")
    # another preset's time, while the nodes run the 55k network
    k, seconds, label = model_and_latency("catcher", {}, "auto", None, None, "from-model:1b")
    assert (k, seconds) == (0.0625, 9.5) and "preset 1b" in label
    assert "warning" not in capsys.readouterr().err
    # the 1b network itself in every node: allowed, with a warning that shows the other way
    assert model_and_latency("catcher", {}, "auto", "1b", None, "from-model")[:2] == (98.0, 9.5)
    assert "from-model:SIZE" in capsys.readouterr().err
