"""examples/minimal_inference_node.py, a node written from PROTOCOL.md with pyzmq, msgpack and
numpy only, joins a real `stagger run` through the connection file it writes: it is welcomed,
phased, its actions are applied, and it leaves with a counted Bye when the clock sends Stop."""
import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest
from supervised import SupervisedRun

from stagger.launch.remote import connection
from stagger.launch.run import RunConfig

pytestmark = pytest.mark.system
ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "minimal_inference_node.py"
FPS = 59.7275


def test_the_example_imports_nothing_from_stagger():
    imported = set()
    for node in ast.walk(ast.parse(EXAMPLE.read_text())):
        if isinstance(node, ast.Import):
            imported |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, "no relative imports"
            imported.add(node.module.split(".")[0])
    assert imported - set(sys.stdlib_module_names) == {"zmq", "msgpack", "numpy"}


def test_minimal_node_joins_a_stagger_run_and_its_actions_are_applied(tmp_path):
    run = tmp_path / "run"
    latency = 2.5 / FPS  # simulated: 3 frames needed, 3 nodes (2 of ours + the example) cover every frame
    cfg = RunConfig(game="catcher", inference_nodes=2, inference_latency=latency, duration=5.0,
                    run_dir=str(run), learner=False, join_timeout_s=120.0)  # a loaded machine starts torch slowly
    sup = SupervisedRun(cfg)
    sup.wait_for(run / "connection.json", 90)
    conn = json.loads((run / "connection.json").read_text())
    assert conn["version"] == connection.VERSION and conn["security"] == {"mechanism": "none"}
    assert set(conn["kinds"]) == {"env", "clock", "inference", "learner"}
    assert {"obs", "actions", "ticks", "control", "stats"} <= set(conn["endpoints"])
    # -I: isolated from PYTHONPATH and the working directory (the import check is the test above)
    example = subprocess.Popen([sys.executable, "-I", str(EXAMPLE), "--connection", str(run / "connection.json"),
                                "--latency", str(latency), "--id", "minimal0"], cwd=tmp_path,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        result = sup.join(180)
        out, _ = example.communicate(timeout=30)  # it exits by itself, on the clock's Stop
    finally:
        if example.poll() is None:
            example.kill()
            example.wait()
    assert "summary" in result, result
    assert example.returncode == 0, out
    assert "welcomed: actions [0, 3) obs [84, 84] uint8 heartbeat 0.2 s timeout 1.0 s" in out, out
    assert "phased: epoch" in out and "stop: end of run" in out and "bye (end of run)" in out, out
    details = json.loads((run / "details.json").read_text())
    mine = details["nodes"]["minimal0"]
    # a node starved past the 1 s timeout on a loaded machine is dropped and rejoins: allowed
    assert mine["joins"] >= 1 and mine["drops"] == mine["joins"] - 1 and mine["byes"] == 1, mine
    assert mine["fresh_actions"] >= 5 and mine["coverage_share"] > 0.1, mine  # ~1/3 when nominal
    byes = {e["node"]: e.get("reason") for e in details["clock_events"] if e["event"] == "bye"}
    assert byes == {"minimal0": "end of run", "inf00": "end of run", "inf01": "end of run"}, byes
    assert details["env"]["rejected"] == {} and details["env"]["bad_action"] == 0
    assert result["summary"]["dropped"] == 0, details["dropped_by_node"]
