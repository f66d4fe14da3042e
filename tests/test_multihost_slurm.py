"""Without a cluster: the srun command lines the launcher builds, the sbatch script
`stagger launch --via slurm --print-sbatch` writes, against expected strings, and how the
launcher reads Slurm's answers (NodeAddr, a cancelled step). The real cluster:
test_multihost_slurm_alloc.py, test_multihost_slurm_sbatch.py."""
from click.testing import CliRunner

from stagger.launch.cli import main
from stagger.launch.remote.slurm import node_address, sbatch_script, srun_argv, time_limit
from stagger.launch.remote.streams import Printer, RemoteNode, stop_remote
from stagger.launch.remote.transport import Transport


def test_srun_line_of_one_node():
    assert srun_argv("node02", "stagger agent", "stagger-inf03") == [
        "srun", "--nodes=1", "--ntasks=1", "--nodelist=node02", "--job-name=stagger-inf03", "--overlap",
        "--unbuffered", "--kill-on-bad-exit=1", "sh", "-c", "stagger agent"]


def test_transport_uses_srun_for_every_node_and_its_checks():
    t = Transport("slurm", remote_cmd="/opt/venv/bin/stagger")
    assert t.agent_argv("gpu7", "learner") == [
        "srun", "--nodes=1", "--ntasks=1", "--nodelist=gpu7", "--job-name=stagger-learner", "--overlap",
        "--unbuffered", "--kill-on-bad-exit=1", "sh", "-c", "/opt/venv/bin/stagger agent"]
    assert " ".join(t.check_argv("node01")) == (
        "srun --nodes=1 --ntasks=1 --nodelist=node01 --job-name=stagger-check --overlap --unbuffered "
        "--kill-on-bad-exit=1 sh -c /opt/venv/bin/stagger --version")
    assert t.fetch_argv("node01", "/runs/a b/env.json")[-1] == "cat '/runs/a b/env.json'"


def test_time_limits():
    assert time_limit(30) == "0:01:00"
    assert time_limit(3600 + 1) == "1:01:00"
    assert time_limit(2 * 86400 + 90) == "2-00:02:00"


EXPECTED = """\
#!/bin/bash
#SBATCH --job-name=stagger
#SBATCH --nodes=3
#SBATCH --exclusive
#SBATCH --time=0:20:00
#SBATCH --output=stagger-%j.out
#SBATCH --partition=gpu

# stagger launch runs on the first host of the allocation and starts every node
# with srun on the hosts in SLURM_JOB_NODELIST (placement: --env-host/--learner-host
# take a host name or @N, the N-th host of the allocation).
set -euo pipefail
stagger launch --via slurm --env-host @0 --learner-host @1 --inference-per-host 4 --duration 600.0 --run-dir 'runs/my run'
"""


def test_sbatch_script_text():
    script = sbatch_script(["--env-host", "@0", "--learner-host", "@1", "--inference-per-host", "4",
                            "--duration", "600.0", "--run-dir", "runs/my run"],
                           nodes=3, duration_s=600, options=("--partition=gpu",))
    assert script == EXPECTED


def test_print_sbatch_forwards_the_given_options_but_not_the_hosts():
    res = CliRunner().invoke(main, [
        "launch", "--via", "slurm", "--print-sbatch", "--sbatch-nodes", "3", "--sbatch-option", "--partition=gpu",
        "--hosts", "ignored[1-2]", "--env-host", "@0", "--learner-host", "@1", "--inference-per-host", "4",
        "--duration", "600", "--run-dir", "runs/my run"])
    assert res.exit_code == 0, res.output
    # forwarded in the order of the command's options (the run's fields: --run-dir before --duration)
    assert res.output == EXPECTED.replace("--duration 600.0 --run-dir 'runs/my run'",
                                          "--run-dir 'runs/my run' --duration 600.0")


def test_node_address_is_slurms_nodeaddr_or_the_name(tmp_path, monkeypatch):
    fake = tmp_path / "scontrol"  # answers as scontrol show node -o does, for h1 only
    fake.write_text('#!/bin/sh\n[ "$4" = h1 ] && echo "NodeName=h1 Arch=x86_64 NodeAddr=10.9.8.7 NodeHostName=h1" '
                    '|| { echo "Node $4 not found" >&2; exit 1; }\n')
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert node_address("h1") == "10.9.8.7"
    assert node_address("gpu7") == "gpu7"  # not a Slurm node: resolved as a host name
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert node_address("h1") == "h1"  # no scontrol here


def test_a_step_cancelled_by_slurm_is_the_reason_a_node_exited(tmp_path):
    lines = ["stagger agent: inf01 (inference) started as pid 7 on vm, address 10.0.0.2",
             "ValueError: something earlier",
             "slurmstepd-h1: error: *** STEP 5.6 ON h1 CANCELLED AT 2026-12-03T12:42:57 ***",
             "srun: error: h1: task 0: Killed"]
    script = "cat >/dev/null; " + "; ".join(f"echo '{ln}'" for ln in lines)  # what srun prints
    node = RemoteNode("inf01", "inference", "h1", ["sh", "-c", script], {}, tmp_path / "inf01.log",
                      Printer(enabled=False))
    stop_remote([node])
    node.proc.stdout.close()
    assert node.reason() == lines[2]
    (tmp_path / "inf01.log").write_text("\n".join(lines[:2]) + "\n")
    assert node.reason() == "ValueError: something earlier"
