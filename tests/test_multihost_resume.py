"""Fault: SIGKILL the learner mid-run. The launcher restarts it with --resume: it continues
from its last checkpoint (updates carry on from there), rebinds the weights port the
inference nodes know, and the experience it missed is counted as dropped, exactly: every env
frame is in the checkpoint, a failed send at the env, a sequence gap at the learner, or
received."""
import json
import os
import signal
import time

import pytest
import torch
from multihost_netns import hosts_fixture
from multihost_runs import abort, finish, members, node_pid, start_launch, wait_until

pytestmark = pytest.mark.system


@pytest.fixture(scope="module")
def hosts(tmp_path_factory):
    yield from hosts_fixture(tmp_path_factory)


def checkpoint_updates(run):
    try:
        return torch.load(run / "checkpoint.pt", weights_only=True)["learner"]["updates"]
    except (OSError, RuntimeError, EOFError, KeyError):
        return 0


def test_killed_learner_resumes_from_its_checkpoint_and_missed_experience_is_counted(hosts, tmp_path):
    a, b, c = hosts.addrs
    run = tmp_path / "run"
    proc, out = start_launch(hosts, run, "--hosts", f"{a}:0,{b}:3,{c}:0", "--env-host", a, "--learner-host", c,
                             "--duration", 18, "--inference-latency", 2.5 / 59.7275, "--checkpoint-every", 25,
                             "--algorithm", "exp_time")
    try:
        wait_until(lambda: len(members(run)) == 3, 120, "3 inference nodes to join", proc, out)
        wait_until(lambda: checkpoint_updates(run) >= 50, 60, "a checkpoint with 50 updates", proc, out)
        killed = node_pid(run, "learner")  # from RUN_DIR/pids.json
        os.kill(killed, signal.SIGKILL)
        t_kill = time.monotonic()
        wait_until(lambda: "resumed from" in (run / "logs" / "learner.log").read_text(), 90,
                   "the learner to resume", proc, out)
        print(f"learner resumed {time.monotonic() - t_kill:.1f} s after the kill")
        s = finish(proc, out)
    except BaseException:
        abort(proc)
        raise
    assert "restarting it from its last checkpoint (restart 1 of 1)" in out.read_text()
    restarted = json.loads((run / "pids.json").read_text())["learner"]
    assert restarted["restarts"] == 1 and restarted["pid"] != killed, restarted
    details = json.loads((run / "details.json").read_text())
    exp = details["experience"]
    resume = exp["resume"]
    print("experience accounting:", json.dumps(exp))
    assert resume["same_run"] and resume["updates"] >= 50  # it started from the checkpoint, not from 0
    assert s["learner_updates"] > resume["updates"]  # and trained on from there
    assert exp["env_send_failed"] > 0  # frames stepped while no learner was connected
    assert resume["lost_in_transit"] >= 0 and exp["learner_seq_gaps"] >= resume["lost_in_transit"]
    assert exp["missed"] == exp["env_send_failed"] + exp["learner_seq_gaps"]
    # every frame's experience is accounted for exactly once
    assert exp["env_frames"] == exp["resumed_from_seq"] + exp["missed"] + exp["learner_received"]
    assert exp["unaccounted"] == 0 and details["dropped_by_node"]["experience_unreceived"] == 0
    assert details["dropped_by_node"]["env"] == exp["env_send_failed"]
    assert s["dropped"] >= exp["missed"] and s["coverage"] >= 0.8  # generous: the point is the accounting
