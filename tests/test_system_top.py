"""`stagger run` and `stagger top` in real terminals (tmux): the live panel of the run, the
same panel watched from outside, and the run's TensorBoard scalars read back."""
import re
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

pytestmark = pytest.mark.system
STAGGER = Path(sys.executable).parent / "stagger"


class Tmux:
    """A private tmux server (its own socket), killed at the end."""

    def __init__(self):
        self.socket = f"stagger-test-{uuid.uuid4().hex[:8]}"

    def __call__(self, *args) -> str:
        return subprocess.run(["tmux", "-L", self.socket, *args], check=True, capture_output=True,
                              text=True, timeout=10).stdout

    def start(self, name: str, command: str) -> None:
        self("-f", "/dev/null", "new-session", "-d", "-s", name, "-x", "150", "-y", "40", command)
        assert self("display", "-p", "-t", name, "#{window_width}").strip() == "150"

    def screen(self, name: str) -> str:
        return self("capture-pane", "-p", "-t", name)

    def wait_for(self, name: str, pred, timeout_s: float) -> str:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            text = self.screen(name)
            if pred(text):
                return text
            time.sleep(0.5)
        raise AssertionError(f"screen {name} after {timeout_s:.0f} s "
                             f"({self('display', '-p', '-t', name, '#{window_width}').strip()} wide):\n"
                             f"{self.screen(name)}")

    def wait_for_each(self, preds: dict, timeout_s: float) -> list[str]:
        """Poll every named screen until each has once satisfied its predicate; the screens
        as they were then."""
        found: dict[str, str] = {}
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and len(found) < len(preds):
            for name, pred in preds.items():
                if name not in found and pred(text := self.screen(name)):
                    found[name] = text
            time.sleep(0.25)
        missing = [n for n in preds if n not in found]
        assert not missing, "\n".join(f"screen {n} after {timeout_s:.0f} s:\n{self.screen(n)}" for n in missing)
        return [found[n] for n in preds]

    def kill(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True, timeout=10)


@pytest.fixture
def tmux():
    if shutil.which("tmux") is None:
        pytest.skip("tmux is not installed (bash launch/test.sh installs it: launch/system_packages.txt)")
    t = Tmux()
    yield t
    t.kill()


COVERAGE = re.compile(r"coverage (0\.\d{3}|1\.000)")


@pytest.mark.timeout(240)
def test_top_and_the_run_panel_in_real_terminals(tmp_path, tmux):
    run = tmp_path / "run"
    tmux.start("run", f"cd {tmp_path} && {STAGGER} run --inference-nodes 2 --inference-latency 0.03 "
                      f"--duration 15 --run-dir {run}; sleep 120")
    tmux.start("top", f"cd {tmp_path} && {STAGGER} top {run} --keep --wait 60; sleep 120")

    def full(text):  # every node listed with its kind, host, state and last tick; a coverage figure
        rows = [re.search(rf"{n}\s+inference\s+\S+\s+joined\s+\d+", text) for n in ("inf00", "inf01")]
        return all(n in text for n in ("env", "clock", "learner")) and all(rows) \
            and COVERAGE.search(text) is not None
    # both screens watched together: stagger top's view, and stagger run's own panel in place
    # of a status line (each may be full only for a while; the run ends after 15 s)
    seen, panel = tmux.wait_for_each(
        {"top": lambda t: full(t) and "measuring" in t, "run": full}, 120)
    assert "stagger top ipc:///" in seen and "/supervisor-monitor" in seen  # the default: the run's private dir
    assert "inf p50" in panel and "stagger run" in panel

    assert tmux.wait_for("run", lambda t: '"coverage"' in t, 90)  # the summary: the run is over
    assert (run / "summary.json").exists()
    assert "done" in tmux.wait_for("top", lambda t: "| done" in t, 30)

    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    acc = EventAccumulator(str(run / "tb"))
    acc.Reload()
    tags = set(acc.Tags()["scalars"])
    assert {"env/coverage", "env/delay_p50_frames", "env/lateness_p99_ms", "env/overhead_p50_ms",
            "learner/loss", "learner/updates", "clock/estimate_ms"} <= tags, tags
    cov = [e.value for e in acc.Scalars("env/coverage")]
    assert len(cov) >= 10 and all(0.0 <= v <= 1.0 for v in cov)
    frames = [e.step for e in acc.Scalars("env/coverage")]
    assert frames == sorted(frames) and frames[-1] > 600
