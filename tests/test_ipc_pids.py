"""The run's private socket directory (nodes/ipc.py), RUN_DIR/pids.json (launch/pids.py),
`--transport tcp` refused without `--insecure`, and the transport benchmark on tiny budgets."""
import os
import stat

import pytest
from click.testing import CliRunner

from stagger.launch import pids
from stagger.nodes import ipc


def test_the_private_directory_is_ours_0700_and_short():
    d = ipc.private_dir()
    try:
        st = os.stat(d)
        assert stat.S_IMODE(st.st_mode) == 0o700 and st.st_uid == os.getuid()
        ep = ipc.endpoint(d, "inference-somehost-123456", "weights")
        assert ep == f"ipc://{d}/inference-somehost-123456-weights"
        assert len(ep[len("ipc://"):].encode()) <= ipc.MAX_PATH
        ipc.check_private(d)
    finally:
        ipc.remove(d)
    assert not os.path.exists(d)


def test_a_path_too_long_for_a_unix_socket_and_a_shared_directory_are_refused(tmp_path):
    with pytest.raises(ValueError, match="at most 107"):
        ipc.endpoint(str(tmp_path / ("x" * 100)), "env", "obs")
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    os.chmod(shared, 0o755)
    with pytest.raises(PermissionError, match="0700"):
        ipc.check_private(str(shared))


def test_an_unusable_xdg_runtime_dir_falls_back_to_tmp(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path / ("y" * 90)))  # missing and too long
    d = ipc.private_dir()
    try:
        assert os.path.dirname(d) == "/tmp"
    finally:
        ipc.remove(d)


def test_pids_json_records_starts_and_counts_restarts(tmp_path):
    assert pids.read(tmp_path) == {}
    pids.record_start(tmp_path, "env", 100, "vm")
    pids.record_start(tmp_path, "learner", 101, "gpu01")
    again = pids.record_start(tmp_path, "learner", 202, "gpu01")  # restarted: one more than recorded
    doc = pids.read(tmp_path)
    assert doc["env"]["pid"] == 100 and doc["env"]["restarts"] == 0 and doc["env"]["host"] == "vm"
    assert again == doc["learner"] and doc["learner"]["pid"] == 202 and doc["learner"]["restarts"] == 1
    assert pids.record_start(tmp_path, "learner", 303, "gpu01", restarts=5)["restarts"] == 5
    assert doc["env"]["started_utc"].endswith("Z") and doc["env"]["started"] > 0
    pids.reset(tmp_path)
    assert pids.read(tmp_path) == {}


def test_tcp_without_insecure_is_refused_with_what_to_do(tmp_path):
    from stagger.launch.cli import main
    r = CliRunner().invoke(main, ["run", "--transport", "tcp", "--inference-nodes", "1", "--inference-latency",
                                  "0.02", "--run-dir", str(tmp_path / "run"), "--quiet"])
    assert r.exit_code != 0
    assert "add --insecure" in r.output and "--transport ipc" in r.output, r.output
    assert not (tmp_path / "run" / "pids.json").read_text().strip("{} \n")  # no node was started


@pytest.mark.parametrize("transport", ["ipc", "curve"])
def test_the_transport_benchmark_measures_on_tiny_budgets(transport):
    from stagger.benchmarks.transport import measure
    r = measure(transport, rounds=20, paced_rounds=10, burst=200)
    assert r["obs_bytes"] > 84 * 84 > r["action_bytes"] > 0
    assert 0 < r["obs_rtt"]["p50_us"] <= r["obs_rtt"]["p99_us"] and r["obs_per_s"] > 0
