"""The script `stagger launch --via slurm --print-sbatch` writes, submitted with the real sbatch
to a real Slurm cluster (tests/multihost_slurm.py): the launcher runs in the batch step on the
first host and starts every node with srun; the job's state and exit code (scontrol show job,
and the job completion log: this cluster has no accounting database for sacct) are the run's."""
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from multihost_netns import hosts_fixture
from multihost_runs import REMOTE_CMD, ROOT, members, wait_until
from multihost_slurm import cluster_fixture, stray_processes

pytestmark = pytest.mark.system

LATENCY = 2.5 / 59.7275
STAGGER = Path(sys.executable).with_name("stagger")  # the venv's: what a user puts in --remote-cmd
REMOTE = str(STAGGER) if STAGGER.exists() else REMOTE_CMD


@pytest.fixture(scope="module")
def hosts(tmp_path_factory):
    yield from hosts_fixture(tmp_path_factory)


@pytest.fixture(scope="module")
def cluster(hosts, tmp_path_factory):
    yield from cluster_fixture(hosts, tmp_path_factory)


def submit(cluster, tmp_path: Path, *args) -> str:
    """Print the sbatch script for these launch options, submit it from ``tmp_path``; the job id."""
    p = subprocess.run([sys.executable, "-m", "stagger.launch.cli", "launch", "--via", "slurm", "--print-sbatch",
                        "--sbatch-nodes", "3", "--remote-cmd", REMOTE, "--join-timeout", "150", *map(str, args)],
                       cwd=ROOT, capture_output=True, text=True, env=cluster.env(), check=True)
    script = tmp_path / "stagger.sbatch"
    script.write_text(p.stdout)
    sub = subprocess.run(["sbatch", "--parsable", str(script)], cwd=tmp_path, capture_output=True, text=True,
                         env=cluster.env(), timeout=30)
    assert sub.returncode == 0, sub.stderr + p.stdout
    return sub.stdout.strip().split(";")[0]


def completion_record(cluster, job: str) -> str:
    lines = [ln for ln in (cluster.tmp / "jobcomp.txt").read_text().splitlines() if ln.startswith(f"JobId={job} ")]
    assert len(lines) == 1, lines
    return lines[0]


def test_the_printed_sbatch_script_runs_to_completion_under_sbatch(cluster, tmp_path):
    run = tmp_path / "run"
    job = submit(cluster, tmp_path, "--env-host", "@0", "--learner-host", "@2", "--duration", 5,
                 "--inference-latency", LATENCY, "--algorithm", "exp_time", "--run-dir", run)
    info = cluster.finished_job(job, timeout_s=180)
    out = (tmp_path / f"stagger-{job}.out").read_text()
    assert info["JobState"] == "COMPLETED" and info["ExitCode"] == "0:0", (info, out[-4000:])
    assert info["BatchHost"] == "h0" and info["NodeList"] == "h[0-2]"
    record = completion_record(cluster, job)
    assert "JobState=COMPLETED" in record and " ExitCode=0:0" in record, record
    s = json.JSONDecoder().raw_decode(out[out.rindex("\n{") + 1:])[0]
    print("sbatch summary:", json.dumps(s))
    assert json.loads((run / "summary.json").read_text()) == s
    # the nodes srun started did the run (its realtime figures are test_multihost_slurm_alloc's:
    # a 5 s window on a loaded 2-core machine measured 0.75-1.0)
    assert s["coverage"] >= 0.5 and s["inference_nodes"] == 3 and s["learner_updates"] > 0, s
    details = json.loads((run / "details.json").read_text())
    assert details["launch"]["placement"]["env"] == "h0" and details["launch"]["placement"]["learner"] == "h2"
    # every step ended by its lifeline (srun forwards stdin's end); a learner saving its last
    # checkpoint on a loaded machine may take longer than the agent's 5 s and be killed (137)
    assert all(p["exit_code"] == 0 for p in details["launch"]["processes"] if p["node"] != "learner"), details["launch"]["processes"]
    for node, host, addr in zip(("inf00", "inf01", "inf02"), cluster.names, cluster.hosts.addrs):
        assert re.search(rf"\[{host} {node}\] stagger agent: {node} \(inference\) started as pid \d+ on \S+, "
                         rf"address {re.escape(addr)}\n", out), node
    wait_until(lambda: not stray_processes(cluster, job), 15, "every process of the job to exit")


def test_a_failed_run_fails_its_batch_job(cluster, tmp_path):
    run = tmp_path / "run"
    job = submit(cluster, tmp_path, "--duration", 120, "--inference-latency", 0.02, "--no-learner", "--run-dir", run,
                 "--clock-restarts", 0)
    wait_until(lambda: len(members(run)) == 3, 150, "3 inference nodes to join")
    step, host = cluster.steps(job)["stagger-clock"]
    cluster.run("scancel", step)  # a required node dies (no clock restart allowed): the launch fails
    info = cluster.finished_job(job, timeout_s=60)
    out = (tmp_path / f"stagger-{job}.out").read_text()
    assert info["JobState"] == "FAILED" and info["ExitCode"] == "1:0", (info, out[-4000:])
    assert "JobState=FAILED" in completion_record(cluster, job)
    assert f"clock node clock on host h0 exited with code 137 (slurmstepd-h0: error: *** STEP {step} " in out
    assert "; stopping every node" in out and host == "h0"
    wait_until(lambda: not stray_processes(cluster, job), 15, "every process of the job to exit")
