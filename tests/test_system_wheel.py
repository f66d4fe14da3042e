"""`pip install .` as a user does it: build the wheel (no packaging warnings; the ROM, PROTOCOL.md
and the shell scripts inside), install it into a fresh venv (torch 2.13.0 first, from this
machine's pip cache or wheel directory; --no-compile: the same files without the .pyc, a
minute less on 2 cores), and run `stagger plan` and a 5 s `stagger run` from a
directory outside the repository. About 1-2 minutes."""
import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.system
ROOT = Path(__file__).resolve().parent.parent
DATA = tuple("stagger/" + f for f in (
    "games/catcher/catcher.gb", "protocol/PROTOCOL.md", "launch/local.sh", "launch/test.sh",
    "launch/bootstrap.sh", "launch/system_packages.sh", "launch/system_packages.txt"))
PACKAGES = ("protocol", "nodes", "games", "agents", "launch", "measure", "benchmarks")


def sh(args, cwd, timeout=600, env=None):
    r = subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=timeout,
                       env=env, stdin=subprocess.DEVNULL)
    assert r.returncode == 0, f"{args}: exit {r.returncode}\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}"
    return r.stdout + r.stderr


@pytest.mark.timeout(900)
def test_the_wheel_installs_into_a_fresh_venv_and_runs_outside_the_repository(tmp_path):
    wheels, venv, elsewhere = tmp_path / "wheels", tmp_path / "venv", tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONWARNINGS")}

    out = sh([sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", wheels, ROOT], cwd=tmp_path, env=env)
    assert not re.search(r"\w+Warning\b|!!", out), out  # setuptools' warnings (pip's own WARNING: lines are about this machine's indexes)
    (whl,) = wheels.glob("stagger-*.whl")
    with zipfile.ZipFile(whl) as z:
        names = set(z.namelist())
        assert set(DATA) <= names, set(DATA) - names
        assert z.read("stagger/games/catcher/catcher.gb") == (ROOT / "games/catcher/catcher.gb").read_bytes()
    # one import namespace: nothing but stagger/ and its .dist-info at the top of the wheel
    assert {n.split("/")[0] for n in names} - {"stagger"} == {whl.name.split("-py")[0] + ".dist-info"}, names

    sh([sys.executable, "-m", "venv", venv], cwd=tmp_path, env=env)
    py, stagger = venv / "bin" / "python", venv / "bin" / "stagger"
    sh([py, "-m", "pip", "install", "-q", "--no-compile", "torch==2.13.0"], cwd=elsewhere, env=env)
    sh([py, "-m", "pip", "install", "-q", "--no-compile", whl], cwd=elsewhere, env=env)

    where = sh([py, "-c", "import stagger.launch; print(stagger.launch.__file__)"], cwd=elsewhere, env=env)
    assert str(venv) in where and str(ROOT) not in where, where
    for name in PACKAGES:  # the generic names are not installed at the top level
        r = subprocess.run([py, "-c", f"import {name}"], cwd=elsewhere, env=env, capture_output=True, text=True)
        assert r.returncode != 0 and "ModuleNotFoundError" in r.stderr, (name, r.stderr)
    plan = sh([stagger, "plan", "--inference-time", "0.1"], cwd=elsewhere, env=env)
    assert re.search(r"inference_nodes\s+6", plan), plan
    run = elsewhere / "run"
    sh([stagger, "run", "--duration", "5", "--inference-nodes", "2", "--inference-latency", "0.03",
        "--run-dir", "run", "--quiet"], cwd=elsewhere, env=env, timeout=300)
    summary = json.loads((run / "summary.json").read_text())
    assert summary["frames"] > 200 and summary["fresh_actions"] > 0, summary
    logs = (run / "logs" / "env.log").read_text()
    assert "Traceback" not in logs
    assert (run / "tb").is_dir() and (run / "monitor.json").exists()
