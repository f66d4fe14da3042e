"""Real hosts on one machine, for the multi-host tests (imported by tests/test_multihost_*.py).

``Hosts`` makes N network namespaces joined by a bridge, each with its own address in a
private test subnet (10.213.S.0/24, S chosen free), its own sshd (Debian's openssh-server,
``ip netns exec NS /usr/sbin/sshd -f CONFIG``) and a throw-away key; the ssh client config
for them is a ``-F`` file. The bridge has 10.213.S.254, the launcher's address. The file
system (repo, venv, run directories) is the same in every namespace. Everything is torn
down at exit, also when a test fails. Needs root, iproute2 and openssh-server.
"""
from __future__ import annotations

import fcntl
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path


SSHD = "/usr/sbin/sshd"


def missing() -> str | None:
    """Why these tests cannot run here (None: they can)."""
    if os.geteuid() != 0:
        return "needs root (network namespaces)"
    for tool in ("ip", "ssh", "ssh-keygen"):
        if shutil.which(tool) is None:
            return f"needs {tool} (apt-get install iproute2 openssh-client)"
    if not Path(SSHD).exists():
        return "needs sshd (apt-get install openssh-server)"
    return None


def sh(*argv, check=True, **kw):
    return subprocess.run([str(a) for a in argv], check=check, capture_output=True, text=True, **kw)


def _free_subnet() -> int:
    used = sh("ip", "-4", "-o", "addr").stdout + sh("ip", "-o", "link").stdout + sh("ip", "netns", "list").stdout
    for s in list(range(os.getpid() % 200 + 20, 250)) + list(range(20, 250)):
        if f"10.213.{s}." not in used and f"stg{s}" not in used and f"stgbr{s}" not in used:
            return s
    raise RuntimeError("no free 10.213.S.0/24 test subnet")


class Hosts:
    def __init__(self, tmp: Path, n: int = 3):
        self.tmp = Path(tmp)
        self.sshd: list[subprocess.Popen] = []
        self.ns: list[str] = []
        self.veths: list[str] = []
        self.bridge = None
        try:
            self._setup(n)
        except BaseException:
            self.close()
            raise

    def _setup(self, n: int) -> None:
        with open("/tmp/stagger-netns.lock", "w") as lock:  # two test runs at once pick apart
            fcntl.flock(lock, fcntl.LOCK_EX)
            self.s = _free_subnet()
            sh("ip", "link", "add", f"stgbr{self.s}", "type", "bridge")
            self.bridge = f"stgbr{self.s}"
            sh("ip", "addr", "add", f"10.213.{self.s}.254/24", "dev", self.bridge)
            sh("ip", "link", "set", self.bridge, "up")
        self.addrs = [f"10.213.{self.s}.{i + 1}" for i in range(n)]
        self.launcher_address = f"10.213.{self.s}.254"
        for i in range(n):
            ns, veth = f"stg{self.s}n{i}", f"stg{self.s}v{i}"
            sh("ip", "netns", "add", ns)
            self.ns.append(ns)
            sh("ip", "link", "add", veth, "type", "veth", "peer", "name", f"{veth}p")
            self.veths.append(veth)
            sh("ip", "link", "set", f"{veth}p", "netns", ns)
            sh("ip", "-n", ns, "link", "set", f"{veth}p", "name", "eth0")
            sh("ip", "-n", ns, "addr", "add", f"{self.addrs[i]}/24", "dev", "eth0")
            sh("ip", "-n", ns, "link", "set", "eth0", "up")
            sh("ip", "-n", ns, "link", "set", "lo", "up")
            sh("ip", "link", "set", veth, "master", self.bridge, "up")
        self._ssh_setup()

    def _ssh_setup(self) -> None:
        k = self.tmp / "ssh"
        k.mkdir(mode=0o700)
        sh("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", k / "host_key")
        sh("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", k / "id_ed25519")
        (k / "authorized_keys").write_text((k / "id_ed25519.pub").read_text())
        Path("/run/sshd").mkdir(exist_ok=True)  # sshd's privilege separation directory
        for i, (ns, addr) in enumerate(zip(self.ns, self.addrs)):
            cfg = k / f"sshd{i}.conf"
            cfg.write_text(f"ListenAddress {addr}\nPort 22\nHostKey {k}/host_key\nPidFile {k}/sshd{i}.pid\n"
                           f"AuthorizedKeysFile {k}/authorized_keys\nPermitRootLogin prohibit-password\n"
                           "PasswordAuthentication no\nKbdInteractiveAuthentication no\nUsePAM no\n"
                           "StrictModes no\nPrintMotd no\nLogLevel ERROR\n")
            self.sshd.append(subprocess.Popen(["ip", "netns", "exec", ns, SSHD, "-D", "-e", "-f", str(cfg)],
                                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        self.ssh_config = k / "config"
        self.ssh_config.write_text(
            f"Host 10.213.{self.s}.*\n  User root\n  IdentityFile {k}/id_ed25519\n  IdentitiesOnly yes\n"
            "  StrictHostKeyChecking no\n  UserKnownHostsFile /dev/null\n  GlobalKnownHostsFile /dev/null\n"
            "  LogLevel ERROR\n")
        deadline = time.monotonic() + 15
        for addr in self.addrs:
            while True:
                try:
                    socket.create_connection((addr, 22), timeout=1).close()
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"sshd on {addr} did not come up")
                    time.sleep(0.1)

    def link(self, i: int, up: bool) -> None:
        sh("ip", "-n", self.ns[i], "link", "set", "eth0", "up" if up else "down")

    def popen(self, i: int, argv, **kw) -> subprocess.Popen:
        """A process in namespace ``i`` (as if started by hand on that host)."""
        return subprocess.Popen(["ip", "netns", "exec", self.ns[i], *map(str, argv)], **kw)

    def close(self) -> None:
        for p in self.sshd:
            p.kill()
            p.wait()
        for veth in self.veths:  # deleting a namespace frees its veth only later
            sh("ip", "link", "del", veth, check=False)
        for ns in self.ns:
            pids = sh("ip", "netns", "pids", ns, check=False).stdout.split()
            for pid in pids:
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except (ProcessLookupError, ValueError):
                    pass
            sh("ip", "netns", "del", ns, check=False)
        if self.bridge:
            sh("ip", "link", "del", self.bridge, check=False)


def hosts_fixture(tmp_path_factory, n: int = 3):
    """The body of each test file's module-scoped ``hosts`` fixture (torn down on failure)."""
    import pytest
    why = missing()
    if why:
        pytest.skip(why)
    h = Hosts(tmp_path_factory.mktemp("netns"), n)
    try:
        yield h
    finally:
        h.close()
