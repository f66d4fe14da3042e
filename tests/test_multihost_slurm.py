"""Slurm cannot run here: the srun command lines the launcher builds, and the sbatch script
`stagger launch --via slurm --print-sbatch` writes, against expected strings."""
from click.testing import CliRunner

from launch.cli import main
from launch.remote.transport import Transport
from launch.remote.slurm import sbatch_script, srun_argv, time_limit


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
