"""Nodes forked from a warm interpreter (``--start fork``, launch/forkserver.py)."""
import json
import os

import pytest

from stagger.launch.forkserver import ForkServer
from stagger.launch.procs import node_env
from stagger.launch.run import RunConfig, Supervisor


def test_a_node_that_fails_reports_its_exit_code_and_its_log(tmp_path):
    server = ForkServer(node_env())
    try:
        (tmp_path / "bad.json").write_text(json.dumps({"node_id": "x", "no_such_option": 1}))
        p = server.start("clock", str(tmp_path / "bad.json"), str(tmp_path / "x.log"), {})
        assert p.wait(60) != 0 and p.returncode == p.poll() != 0
        assert "no_such_option" in (tmp_path / "x.log").read_text()
        assert os.getppid() != p.pid  # forked by the server, not by us
        with pytest.raises(ProcessLookupError):
            os.kill(p.pid, 0)  # reaped by its parent, the server
    finally:
        server.close()
    assert not server.alive()


@pytest.mark.system
def test_a_forked_run_shares_its_pages_and_covers_the_frames(tmp_path):
    cfg = RunConfig(game="catcher", inference_nodes=3, inference_latency=1.5 / 59.7275, duration=4.0,
                    run_dir=str(tmp_path / "run"), learner=False, start="fork")
    sup = Supervisor(cfg)
    s = sup.run()
    # 1.0 on a quiet machine; loose: forked nodes sometimes stall once early under load
    # (README, "--start fork"), which the clock's max_time estimate keeps for the run
    assert s["coverage"] >= 0.3 and s["dropped"] == 0, s
    mem = [m for m in sup.memory.values() if m["kind"] == "inference"]
    assert len(mem) == 3 and all(m["pss_mb"] < 0.5 * m["rss_mb"] for m in mem), sup.memory  # torch's pages shared
    details = json.loads((tmp_path / "run" / "details.json").read_text())
    assert all(details["nodes"][n]["byes"] == 1 for n in ("inf00", "inf01", "inf02")), details["nodes"]
    assert sup.forks is None  # closed with the run
