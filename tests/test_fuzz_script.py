"""benchmarks/fuzz_protocol.py runs and reports its figures (a few hundred inputs here; the
10^5-input figures are in the README)."""
import importlib.util
import subprocess
import sys

import pytest

from stagger.benchmarks import fuzz_protocol


def test_mutational_engine_reports_inputs_crashes_and_rejections(capsys):
    import logging
    logger = logging.getLogger("stagger")
    level = logger.level
    try:  # the script silences stagger's logger (rejections are counted): not for the tests after this one
        assert fuzz_protocol.main(["--runs", "400", "--engine", "mutate", "--seed", "3"]) == 0
    finally:
        logger.setLevel(level)
    out = capsys.readouterr().out
    assert "inputs run: 400 in" in out and "crashes: 0" in out
    assert "rejected:" in out and "  malformed:" in out  # by reason


@pytest.mark.skipif(importlib.util.find_spec("atheris") is None, reason="atheris not installed (.[fuzz])")
def test_atheris_engine_reports_the_same_figures():
    res = subprocess.run([sys.executable, "-m", "stagger.benchmarks.fuzz_protocol", "--runs", "300"],
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr[-2000:]
    assert "engine atheris (coverage-guided" in res.stdout and "inputs run: 300 in" in res.stdout
    assert "crashes: 0" in res.stdout
