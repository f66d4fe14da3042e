"""A real small Slurm cluster on the hosts of ``multihost_netns.Hosts``, for the real-Slurm
tests (imported by tests/test_multihost_slurm_*.py).

One slurmd per network namespace (``NodeName=h0..h{n-1}``, ``NodeAddr`` the namespace's
address, ``slurmd -D -N hI`` run with ``ip netns exec``), slurmctld on the bridge side (the
launcher's address, a free port), one munged whose socket every daemon and command reaches
through the shared file system. Everything (munge key, socket, pid and log files, state and
spool directories, slurm.conf) lives in the test's temporary directory; the commands find the
cluster through ``SLURM_CONF`` (``env()``). ``close()`` stops every daemon and, before that,
cancels every job still there. Needs root, Debian's slurmctld, slurmd, slurm-client and munge.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

from multihost_runs import REMOTE_CMD, ROOT

TOOLS = ("munged", "slurmctld", "slurmd", "srun", "salloc", "sbatch", "scontrol", "scancel", "squeue", "sinfo")


def missing() -> str | None:
    """Why a real Slurm cluster cannot be started here (None: it can)."""
    for tool in TOOLS:
        if shutil.which(tool) is None and not Path(f"/usr/sbin/{tool}").exists():
            return (f"needs {tool}: apt-get install slurmctld slurmd slurm-client munge "
                    "(as .ci/run does)")
    return None


def cluster_fixture(hosts, tmp_path_factory):
    """The body of each test file's module-scoped ``cluster`` fixture (on the ``hosts`` one).
    Without Slurm the tests skip, except in CI, which installs it (.ci/run): there they fail."""
    import pytest
    why = missing()
    if why:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the real-Slurm tests: {why}")
        pytest.skip(why)
    c = Cluster(hosts, tmp_path_factory.mktemp("slurm"))
    try:
        yield c
    finally:
        c.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("", 0))
        return s.getsockname()[1]


def _which(tool: str) -> str:
    return shutil.which(tool) or f"/usr/sbin/{tool}"


class Cluster:
    """``names[i]`` is the Slurm node in namespace ``i`` of ``hosts``."""

    def __init__(self, hosts, tmp: Path):
        self.hosts, self.tmp = hosts, Path(tmp)
        self.names = [f"h{i}" for i in range(len(hosts.addrs))]
        self.logs = self.tmp / "log"
        self.munged: subprocess.Popen | None = None
        self.slurmctld: subprocess.Popen | None = None
        self.slurmds: list[subprocess.Popen] = []
        try:
            self._munge()
            self._config()
            self._start()
        except BaseException:
            self.close()
            raise

    # -- set-up ---------------------------------------------------------------------------
    def _munge(self) -> None:
        m = self.tmp / "munge"
        m.mkdir(mode=0o711)  # munged wants the socket's directory open to all (x)
        self.logs.mkdir()
        key = m / "munge.key"
        key.write_bytes(os.urandom(1024))
        key.chmod(0o400)
        self.munge_socket = m / "munge.socket"
        with open(self.logs / "munged.out", "w") as log:  # --force: the pytest base dir is 0700
            self.munged = subprocess.Popen(
                [_which("munged"), "--foreground", "--force", f"--key-file={key}",
                 f"--socket={self.munge_socket}", f"--pid-file={m}/munged.pid",
                 f"--log-file={self.logs}/munged.log", f"--seed-file={m}/munged.seed"],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        self._wait(lambda: self.munge_socket.exists(), 15, "munged's socket")

    def _config(self) -> None:
        t = self.tmp
        for d in ("state", "spool"):
            (t / d).mkdir()
        self.port = _free_port()
        nodes = "\n".join(f"NodeName={n} NodeAddr={a} CPUs={os.cpu_count()} State=UNKNOWN"
                          for n, a in zip(self.names, self.hosts.addrs))
        (t / "plugstack.conf").write_text("")
        # next to slurm.conf: slurmd 22.05 always loads a cgroup plugin, and the default
        # (autodetect) fails where no cgroup file system is mounted (this sandbox, containers);
        # cgroup/v1 loads without one, and nothing uses it (proctrack/linuxproc, task/none)
        (t / "cgroup.conf").write_text("CgroupPlugin=cgroup/v1\n")
        for name in self.names:
            (t / "spool" / name).mkdir()
        self.conf = t / "slurm.conf"
        self.conf.write_text(f"""\
ClusterName=stagger-test
SlurmctldHost={socket.gethostname()}({self.hosts.launcher_address})
SlurmctldPort={self.port}
SlurmdPort=6818
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket={self.munge_socket}
CredType=cred/munge
StateSaveLocation={t}/state
SlurmdSpoolDir={t}/spool/%n
SlurmctldPidFile={t}/slurmctld.pid
SlurmdPidFile={t}/slurmd-%n.pid
SlurmctldLogFile={self.logs}/slurmctld.log
SlurmdLogFile={self.logs}/slurmd-%n.log
PlugStackConfig={t}/plugstack.conf
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/filetxt
JobCompLoc={t}/jobcomp.txt
ReturnToService=2
SlurmctldTimeout=30
SlurmdTimeout=30
InactiveLimit=0
KillWait=5
MinJobAge=3600
MailProg=/bin/true
{nodes}
PartitionName=test Nodes=ALL Default=YES MaxTime=INFINITE State=UP
""")

    def _start(self) -> None:
        with open(self.logs / "slurmctld.out", "w") as out:
            self.slurmctld = subprocess.Popen([_which("slurmctld"), "-D", "-i", "-f", str(self.conf)],
                                              stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                              env=self.env())
        self._wait(lambda: self.run("scontrol", "ping", check=False).returncode == 0, 30, "slurmctld to answer")
        for i, name in enumerate(self.names):
            with open(self.logs / f"slurmd-{name}.out", "w") as out:
                p = self.hosts.popen(i, [_which("slurmd"), "-D", "-N", name, "-f", self.conf],
                                     stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     env=self.env())
            self.slurmds.append(p)
        self._wait(self._all_idle, 60, "every slurmd to register (nodes idle)")

    def _all_idle(self) -> bool:
        p = self.run("sinfo", "-h", "-N", "-o", "%N %t", check=False)
        states = dict(line.split() for line in p.stdout.splitlines() if line.strip())
        return all(states.get(n) == "idle" for n in self.names)

    def _wait(self, pred, timeout_s: float, what: str) -> None:
        deadline = time.monotonic() + timeout_s
        while not pred():
            dead = [p.args for p in self.daemons() if p.poll() is not None]
            if dead or time.monotonic() > deadline:
                raise RuntimeError(f"Slurm test cluster: {'a daemon exited: ' + str(dead) if dead else 'timed out'}"
                                   f" waiting for {what}\n{self.log_tail()}")
            time.sleep(0.2)

    def daemons(self) -> list[subprocess.Popen]:
        return [p for p in (self.munged, self.slurmctld) if p] + self.slurmds

    # -- use ------------------------------------------------------------------------------
    def env(self, **extra) -> dict:
        """The environment of a Slurm command (or a launcher) on this cluster."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("SLURM_")}
        return {**env, "SLURM_CONF": str(self.conf), **extra}

    def run(self, *argv, check: bool = True, timeout: float = 30, **kw) -> subprocess.CompletedProcess:
        p = subprocess.run([str(a) for a in argv], capture_output=True, text=True, env=self.env(), timeout=timeout,
                           **kw)
        if check and p.returncode != 0:
            raise AssertionError(f"{' '.join(map(str, argv))} failed ({p.returncode}): {p.stdout}{p.stderr}")
        return p

    def job(self, job_id) -> dict[str, str]:
        """``scontrol show job -o`` as a dict (JobState, ExitCode, NodeList, ...)."""
        text = self.run("scontrol", "show", "job", "-o", job_id).stdout
        return dict(kv.split("=", 1) for kv in text.split() if "=" in kv)

    def finished_job(self, job_id, timeout_s: float = 30) -> dict[str, str]:
        """The job once it has ended (JobState COMPLETED, FAILED, CANCELLED, ...)."""
        self._wait(lambda: self.job(job_id)["JobState"] not in ("PENDING", "CONFIGURING", "RUNNING", "COMPLETING"),
                   timeout_s, f"job {job_id} to end")
        return self.job(job_id)

    def steps(self, job_id) -> dict[str, tuple[str, str]]:
        """The job's running steps: name -> (step id, node list)."""
        text = self.run("squeue", "-h", "-s", "-j", job_id, "-o", "%i %j %N").stdout
        return {name: (sid, nodes) for sid, name, nodes in (ln.split() for ln in text.splitlines() if ln.strip())}

    def log_tail(self, n: int = 20) -> str:
        out = []
        for path in sorted(self.logs.glob("*")):
            lines = path.read_text(errors="replace").strip().splitlines()[-n:]
            out.append(f"--- {path.name}\n" + "\n".join(lines))
        return "\n".join(out)

    def close(self) -> None:
        """Cancel the jobs still there, then stop the slurmds, slurmctld and munged."""
        if self.slurmctld and self.slurmctld.poll() is None:
            self.run("scancel", "--user=root", check=False)
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline and self.run("squeue", "-h", check=False).stdout.strip():
                time.sleep(0.2)
        for group in (self.slurmds, [self.slurmctld], [self.munged]):
            group = [p for p in group if p]
            for p in group:
                if p.poll() is None:
                    p.terminate()
            deadline = time.monotonic() + 10
            for p in group:
                try:
                    p.wait(max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()


# -- launches in an allocation ----------------------------------------------------------------
def salloc_launch(cluster: Cluster, run_dir: Path, *args, nodes: int = 3) -> tuple[subprocess.Popen, Path]:
    """``salloc -N nodes stagger launch --via slurm ...`` (in its own session, as from a shell)."""
    out = run_dir.parent / f"{run_dir.name}.out"
    argv = ["salloc", f"--nodes={nodes}", "--job-name=stagger-test", sys.executable, "-m", "stagger.launch.cli", "launch",
            "--via", "slurm", "--remote-cmd", REMOTE_CMD, "--run-dir", str(run_dir), "--join-timeout", "150",
            *map(str, args)]
    with open(out, "w") as f:
        proc = subprocess.Popen(argv, cwd=ROOT, stdout=f, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                env=cluster.env(), start_new_session=True)
    return proc, out


def finish(proc: subprocess.Popen, out: Path, timeout_s: float = 150) -> dict:
    """The summary the launch printed (salloc's own lines come after it)."""
    rc = proc.wait(timeout_s)
    text = out.read_text()
    assert rc == 0, text[-6000:]
    return json.JSONDecoder().raw_decode(text[text.rindex("\n{") + 1:])[0]


def job_id(out: Path) -> str:
    m = re.search(r"Granted job allocation (\d+)", out.read_text())
    assert m, f"no allocation in {out}:\n{out.read_text()[-2000:]}"
    return m.group(1)


def launcher_pid(salloc: subprocess.Popen) -> int:
    """The command salloc runs (``stagger launch``): Ctrl-C in a terminal goes to it."""
    children = Path(f"/proc/{salloc.pid}/task/{salloc.pid}/children").read_text().split()
    assert len(children) == 1, children
    return int(children[0])


def stray_processes(cluster: Cluster, job: str) -> list[str]:
    """Command lines of every process still running for ``job`` (its SLURM_JOB_ID, anywhere on
    this machine: the namespaces share the pid space), and of any process in the namespaces other
    than their sshd and slurmd."""
    daemons = {p.pid for p in cluster.hosts.sshd + cluster.slurmds}
    in_ns = set()
    for ns in cluster.hosts.ns:
        in_ns |= set(subprocess.run(["ip", "netns", "pids", ns], capture_output=True, text=True).stdout.split())
    out = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) in daemons:
            continue
        try:
            env = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if f"SLURM_JOB_ID={job}".encode() in env or (pid in in_ns and "sshd" not in cmd):
            out.append(f"{pid}: {cmd}")
    return out
