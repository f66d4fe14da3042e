"""launch/system_packages.sh, the Debian packages the tests need, against fake dpkg-query, id
and apt-get on PATH (no package is touched)."""
import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "launch" / "system_packages.sh"
WANTED = [line.split("#")[0].strip() for line in (ROOT / "launch" / "system_packages.txt").read_text().splitlines()]
WANTED = [w for w in WANTED if w]


def fake_bin(tmp_path, installed: set[str], uid: int) -> Path:
    b = tmp_path / "bin"
    b.mkdir()
    log = tmp_path / "apt.log"
    scripts = {
        "dpkg-query": "case \" %s \" in *\" ${@: -1} \"*) printf 'install ok installed';; *) exit 1;; esac"
                      % " ".join(sorted(installed)),
        "id": f"echo {uid}",
        "apt-get": f"echo \"$@\" >> {log}",
    }
    for name, body in scripts.items():
        p = b / name
        p.write_text("#!/bin/bash\n" + body + "\n")
        p.chmod(0o755)
    return b


def run(tmp_path, installed, uid, *args, **env):
    b = fake_bin(tmp_path, installed, uid)
    e = {"PATH": f"{b}:/usr/bin:/bin", **env}
    return subprocess.run(["/bin/bash", str(SCRIPT), *args], env=e, capture_output=True, text=True, timeout=30)


def apt_log(tmp_path) -> list[str]:
    p = tmp_path / "apt.log"
    return p.read_text().splitlines() if p.exists() else []


def test_the_list_has_what_the_suite_needs():
    assert {"sdcc", "openssh-server", "iproute2", "slurmctld", "slurmd", "slurm-client", "munge", "tmux"} \
        <= set(WANTED)


def test_nothing_missing_does_nothing(tmp_path):
    r = run(tmp_path, set(WANTED), 1000)
    assert r.returncode == 0 and r.stderr == "" and apt_log(tmp_path) == []


def test_not_root_stops_with_the_exact_command(tmp_path):
    r = run(tmp_path, set(WANTED) - {"sdcc", "tmux"}, 1000)
    assert r.returncode == 1
    assert "missing: sdcc tmux" in r.stderr
    assert "sudo sh -c 'apt-get update && apt-get install -y sdcc tmux'" in r.stderr
    assert apt_log(tmp_path) == []


def test_root_installs_exactly_the_missing_ones(tmp_path):
    r = run(tmp_path, set(WANTED) - {"openssh-server", "munge"}, 0)
    assert r.returncode == 0, r.stderr
    assert apt_log(tmp_path) == ["update -qq", "install -y -qq openssh-server munge"]


def test_dry_run_and_skip_change_nothing(tmp_path):
    r = run(tmp_path, set(), 0, "--dry-run")
    assert r.returncode == 0 and "would run: apt-get update && apt-get install -y " + " ".join(WANTED) in r.stderr
    assert apt_log(tmp_path) == []
    (tmp_path / "skip").mkdir()
    r = run(tmp_path / "skip", set(), 1000, STAGGER_SKIP_SYSTEM_PACKAGES="1")
    assert r.returncode == 0 and r.stderr == ""


def test_test_sh_stops_before_pytest_when_a_package_is_missing(tmp_path):
    """launch/test.sh passes the non-zero exit on: no venv is made, no test runs."""
    b = fake_bin(tmp_path, set(), 1000)
    r = subprocess.run(["/bin/bash", str(ROOT / "launch" / "test.sh"), "--co"],
                       env={**os.environ, "PATH": f"{b}:/usr/bin:/bin", "PYTHON": "/nonexistent"},
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 1 and "sudo sh -c" in r.stderr and "creating" not in r.stderr
