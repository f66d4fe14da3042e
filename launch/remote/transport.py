"""How the launcher reaches a host: ssh and srun command lines, pre-flight checks, fetching.

Every remote node is ``<remote-cmd> agent`` started on its host through OpenSSH (``ssh -o
BatchMode=yes``, the user's keys and ``~/.ssh/config`` or ``--ssh-config``) or ``srun``
inside a Slurm allocation; ``localhost`` runs without either. Before anything starts, every
host is checked in parallel (``<remote-cmd> --version``) so that an unreachable host or a host
without stagger fails the launch at once with a message that says what to do.
"""
from __future__ import annotations

import shlex
import socket
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

LOCAL_NAMES = ("localhost", "127.0.0.1")
VIAS = ("ssh", "slurm")


class LaunchError(RuntimeError):
    """A launch that cannot go on; the message names the host and what to do."""


@dataclass(frozen=True)
class Transport:
    via: str = "ssh"
    remote_cmd: str = "stagger"  # shell words that run stagger on a host
    ssh_config: str | None = None  # ssh -F FILE
    ssh_options: tuple[str, ...] = ()  # ssh -o OPTION, each
    connect_timeout_s: int = 10

    def __post_init__(self):
        if self.via not in VIAS:
            raise ValueError(f"--via {self.via!r}; allowed: {', '.join(VIAS)}")

    def ssh_base(self) -> list[str]:
        argv = ["ssh", "-o", "BatchMode=yes", "-o", f"ConnectTimeout={self.connect_timeout_s}",
                "-o", "ServerAliveInterval=5", "-o", "ServerAliveCountMax=6"]
        if self.ssh_config:
            argv += ["-F", self.ssh_config]
        for opt in self.ssh_options:
            argv += ["-o", opt]
        return argv

    def argv(self, host: str, command: str, name: str = "stagger") -> list[str]:
        """The local command line that runs the shell ``command`` on ``host``."""
        if host in LOCAL_NAMES:
            return ["sh", "-c", command]
        if self.via == "slurm":
            from stagger.launch.remote.slurm import srun_argv
            return srun_argv(host, command, name)
        return self.ssh_base() + [host, command]

    def agent_argv(self, host: str, node_id: str) -> list[str]:
        return self.argv(host, f"{self.remote_cmd} agent", f"stagger-{node_id}")

    def check_argv(self, host: str) -> list[str]:
        return self.argv(host, f"{self.remote_cmd} --version", "stagger-check")

    def fetch_argv(self, host: str, path: str) -> list[str]:
        return self.argv(host, f"cat {shlex.quote(path)}", "stagger-fetch")


def _last(text: str) -> str:
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    return lines[-1].strip() if lines else "(no output)"


def explain_check(t: Transport, host: str, rc: int, out: str) -> str | None:
    """None if ``<remote-cmd> --version`` worked on ``host``, else what went wrong and what to do."""
    if rc == 0:
        return None
    if t.via == "ssh" and host not in LOCAL_NAMES and rc == 255:
        return (f"host {host} is unreachable over ssh: {_last(out)}. Check the host name, that sshd "
                f"runs there, and that `ssh -o BatchMode=yes {host} true` logs in without a password "
                "(keys, not passwords: the launcher cannot type one).")
    if rc == 127 or "command not found" in out or "No such file or directory" in out:
        return (f"stagger is missing on host {host}: `{t.remote_cmd}` was not found there ({_last(out)}). "
                f"Install stagger on {host} (e.g. `pip install stagger` in a venv), or pass "
                "--remote-cmd with the full path of its `stagger` (e.g. /opt/venv/bin/stagger).")
    return f"host {host}: `{t.remote_cmd} --version` failed with exit code {rc}: {_last(out)}"


def check_hosts(t: Transport, hosts: list[str], timeout_s: float = 30.0) -> dict[str, str]:
    """Run ``<remote-cmd> --version`` on every host at once. Returns the version text of each;
    raises LaunchError naming every host that failed."""

    def one(host):
        try:
            p = subprocess.run(t.check_argv(host), capture_output=True, text=True, timeout=timeout_s,
                               stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            return host, None, (f"host {host} did not answer within {timeout_s:.0f} s "
                                f"(`{t.remote_cmd} --version` over {t.via}): is it up and reachable?")
        except FileNotFoundError as exc:
            return host, None, f"cannot run {exc.filename!r} to reach {host}: install it on this machine"
        return host, p.stdout.strip(), explain_check(t, host, p.returncode, p.stdout + p.stderr)

    with ThreadPoolExecutor(max_workers=min(32, max(1, len(hosts)))) as pool:
        results = list(pool.map(one, hosts))
    errors = [err for _, _, err in results if err]
    if errors:
        raise LaunchError("cannot start the run:\n  " + "\n  ".join(errors))
    return {h: v for h, v, _ in results}


def ssh_hostname(t: Transport, host: str) -> str:
    """The name or address ssh really connects to for ``host`` (its ``~/.ssh/config`` alias)."""
    if t.via != "ssh" or host in LOCAL_NAMES:
        return host
    try:
        p = subprocess.run(t.ssh_base() + ["-G", host], capture_output=True, text=True, timeout=10,
                           stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired):
        return host
    for line in p.stdout.splitlines():
        key, _, value = line.partition(" ")
        if key == "hostname" and value.strip():
            return value.strip()
    return host


def resolve(t: Transport, host: str) -> str:
    """The IPv4 address of ``host`` as seen from here (through its ssh alias or Slurm NodeAddr)."""
    if t.via == "slurm" and host not in LOCAL_NAMES:
        from stagger.launch.remote.slurm import node_address
        name = node_address(host)
    else:
        name = ssh_hostname(t, host)
    try:
        return socket.gethostbyname(name)
    except OSError as exc:
        raise LaunchError(f"cannot resolve host {host!r} ({name}): {exc}; give its address, "
                          "or --launcher-address") from None


def route_source(address: str) -> str:
    """This machine's address on the route to ``address`` (no packet is sent)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect((address, 9))
        except OSError as exc:
            raise LaunchError(f"no route from this machine to {address}: {exc}") from None
        return s.getsockname()[0]


def fetch(t: Transport, host: str, path: str, timeout_s: float = 60.0) -> bytes:
    """The bytes of ``path`` on ``host`` (for files a node wrote where the launcher cannot see)."""
    p = subprocess.run(t.fetch_argv(host, path), capture_output=True, timeout=timeout_s,
                       stdin=subprocess.DEVNULL)
    if p.returncode != 0:
        raise LaunchError(f"cannot fetch {path} from {host}: {_last(p.stderr.decode(errors='replace'))}")
    return p.stdout
