"""Host lists and placement: which node of a run goes to which machine.

Host lists follow the conventions of ipyparallel / dask-ssh and Slurm: ``h1,h2:4`` (``:n``
gives a host n inference nodes), a hostfile with one ``host[:n]`` (or ``host slots=n``) a
line, and Slurm hostlists such as ``node[01-03],gpu7``. ``host:n@DEVICES`` spreads that
host's inference nodes over devices, round robin (``gpu01:8@cuda:0-3``: two per GPU; ``@cpu``,
``@cuda``, ``@cuda:N``, ``@cuda:N-M``); a host without ``@`` uses the run's ``--device``. A
placement puts the env and clock on one host, the learner on one host and inference nodes on
every host, from options or a small TOML file::

    env = "node01"          # env and clock
    learner = "gpu02"
    [inference]             # inference nodes per host
    gpu01 = {count = 8, devices = "cuda:0-3"}
    gpu02 = 4
    cpu03 = {count = 200, workers_per_process = 100}   # K workers a process on that host
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

_RANGE = re.compile(r"\[([^\]]*)\]")


class HostError(ValueError):
    """A host list, hostfile or placement that cannot be used; the message says why."""


@dataclass(frozen=True)
class HostSpec:
    name: str
    slots: int | None = None  # inference nodes asked for on this host (None: the default)
    devices: tuple[str, ...] = ()  # its inference nodes' devices, round robin (): the run's --device


def split_top(text: str) -> list[str]:
    """Split on commas that are not inside brackets: ``a[1,3],b`` -> ``['a[1,3]', 'b']``."""
    out, depth, cur = [], 0, ""
    for ch in text:
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
            if depth < 0:
                raise HostError(f"unbalanced ']' in host list {text!r}")
        if ch == "," and depth == 0:
            out.append(cur)
            cur = ""
        else:
            cur += ch
    if depth:
        raise HostError(f"unbalanced '[' in host list {text!r}")
    return [p.strip() for p in out + [cur] if p.strip()]


def _expand_range(body: str, text: str) -> list[str]:
    out = []
    for part in body.split(","):
        m = re.fullmatch(r"\s*(\d+)\s*(?:-\s*(\d+)\s*)?", part)
        if not m:
            raise HostError(f"bad range {part!r} in {text!r}: expected N or N-M (e.g. node[01-03,07])")
        lo, hi = m.group(1), m.group(2) or m.group(1)
        if int(hi) < int(lo):
            raise HostError(f"range {part!r} in {text!r} goes backwards")
        width = len(lo) if lo.startswith("0") else 0
        out += [str(i).zfill(width) for i in range(int(lo), int(hi) + 1)]
    return out


def expand_nodelist(text: str) -> list[str]:
    """A Slurm hostlist as host names, in order: ``node[01-03],gpu7`` ->
    ``['node01', 'node02', 'node03', 'gpu7']`` (several bracket groups multiply)."""
    hosts: list[str] = []
    for item in split_top(text):
        names = [""]
        pos = 0
        for m in _RANGE.finditer(item):
            names = [n + item[pos:m.start()] + r for n in names for r in _expand_range(m.group(1), text)]
            pos = m.end()
        hosts += [n + item[pos:] for n in names]
    return hosts


def _devices(text: str, where: str) -> tuple[str, ...]:
    from stagger.agents.device import DeviceError, expand_devices
    try:
        return tuple(expand_devices(text))
    except DeviceError as exc:
        raise HostError(f"{where}: {exc}") from None


def _spec(item: str, where: str) -> list[HostSpec]:
    hosts, at, devs = item.partition("@")
    name, _, n = hosts.partition(":")
    if n and not n.isdigit():
        raise HostError(f"{where}: {item!r}: after ':' comes the number of inference nodes (host:4)")
    devices = _devices(devs, f"{where}: {item!r}") if at else ()
    return [HostSpec(h, int(n) if n else None, devices) for h in expand_nodelist(name.strip())]


def parse_hosts(text: str) -> list[HostSpec]:
    """``h1,h2:4,node[01-02]:2`` -> host specs (a bracket range shares its ``:n``)."""
    specs = [s for item in split_top(text) for s in _spec(item, "--hosts")]
    if not specs:
        raise HostError("--hosts is empty: give at least one host (e.g. --hosts gpu01,gpu02:4)")
    return _unique(specs)


def read_hostfile(path) -> list[HostSpec]:
    """One ``host[:n]`` or ``host slots=n`` a line; ``#`` starts a comment."""
    specs = []
    for i, line in enumerate(Path(path).read_text().splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        m = re.fullmatch(r"(\S+)\s+slots\s*=\s*(\d+)", line)
        item = f"{m.group(1)}:{m.group(2)}" if m else line
        if " " in item:
            raise HostError(f"{path}:{i}: {line!r}: expected host[:n] or 'host slots=n'")
        specs += _spec(item, f"{path}:{i}")
    if not specs:
        raise HostError(f"hostfile {path} names no host")
    return _unique(specs)


def slurm_hosts(environ, nodelist: str | None = None) -> list[HostSpec]:
    """The hosts of the current Slurm allocation: ``nodelist`` (the job's, from slurmctld),
    else ``SLURM_JOB_NODELIST``."""
    text = nodelist or environ.get("SLURM_JOB_NODELIST") or environ.get("SLURM_NODELIST")
    if not text:
        raise HostError("--via slurm without --hosts needs a Slurm allocation (SLURM_JOB_NODELIST "
                        "is not set): run inside sbatch/salloc, or give --hosts")
    return [HostSpec(h) for h in expand_nodelist(text)]


def _unique(specs: list[HostSpec]) -> list[HostSpec]:
    seen = {}
    for s in specs:
        if s.name in seen:
            raise HostError(f"host {s.name!r} is listed twice")
        seen[s.name] = s
    return specs


@dataclass
class Placement:
    """Where every node goes. ``inference`` is ``(host, count)`` in host-list order."""

    env: str
    learner: str
    inference: list[tuple[str, int]] = field(default_factory=list)
    devices: dict[str, list[str]] = field(default_factory=dict)  # host -> its inference devices
    workers: dict[str, int] = field(default_factory=dict)  # host -> workers per process (else the run's)

    def inference_devices(self) -> dict[str, str]:
        """``node_id -> device`` for the inference nodes on hosts with a device list (round robin)."""
        out, on_host = {}, {}
        for node_id, host in self.inference_nodes():
            i = on_host[host] = on_host.get(host, -1) + 1
            if self.devices.get(host):
                out[node_id] = self.devices[host][i % len(self.devices[host])]
        return out

    def inference_nodes(self) -> list[tuple[str, str]]:
        """``(node_id, host)`` of every inference node: inf00, inf01, ... across hosts."""
        out = []
        for host, count in self.inference:
            out += [(f"inf{len(out) + i:02d}", host) for i in range(count)]
        return out

    def hosts(self) -> list[str]:
        """Every host that runs something, in first-use order."""
        return list(dict.fromkeys([self.env, self.learner] + [h for h, n in self.inference if n]))

    def describe(self) -> str:
        inf = ", ".join(f"{h}: {n}" + (f" on {'/'.join(self.devices[h])}" if self.devices.get(h) else "")
                        for h, n in self.inference if n) or "none"
        return f"env+clock on {self.env}, learner on {self.learner}, inference nodes {inf}"


def _pick(specs: list[HostSpec], want: str | None, what: str) -> str:
    if want is None:
        return specs[0].name
    if want.startswith("@") and want[1:].isdigit():
        i = int(want[1:])
        if i >= len(specs):
            raise HostError(f"--{what}-host {want}: the host list has only {len(specs)} hosts")
        return specs[i].name
    return want


def make_placement(specs: list[HostSpec], env_host: str | None = None, learner_host: str | None = None,
                   per_host: int = 1) -> Placement:
    """Env and clock on ``env_host`` (default: the first host), the learner on ``learner_host``
    (default: the env's host; ``@N`` is the N-th host), ``host:n`` inference nodes on each host
    (``per_host`` where no ``:n`` is given)."""
    if not specs:
        raise HostError("no hosts: give --hosts, --hostfile or --placement")
    if per_host < 0:
        raise HostError(f"--inference-per-host must be >= 0, got {per_host}")
    env = _pick(specs, env_host, "env")
    learner = _pick(specs, learner_host, "learner") if learner_host else env
    inference = [(s.name, per_host if s.slots is None else s.slots) for s in specs]
    p = Placement(env, learner, inference, {s.name: list(s.devices) for s in specs if s.devices})
    if not p.inference_nodes():
        raise HostError("the placement has no inference node: give a host ':n' with n > 0 "
                        "or --inference-per-host >= 1")
    return p


def load_placement(path) -> Placement:
    """A TOML placement file: ``env``, ``learner`` (host names) and an ``[inference]`` table."""
    import tomllib
    try:
        data = tomllib.loads(Path(path).read_text())
    except tomllib.TOMLDecodeError as exc:
        raise HostError(f"placement file {path}: {exc}") from None
    unknown = set(data) - {"env", "learner", "inference"}
    if unknown or "env" not in data or not isinstance(data.get("inference"), dict):
        raise HostError(f"placement file {path}: expected keys env = \"host\", learner = \"host\" "
                        f"(optional) and an [inference] table of host = count (or host = "
                        f"{{count = n, devices = \"cuda:0-3\"}})"
                        + (f"; unknown: {', '.join(sorted(unknown))}" if unknown else ""))
    inference, devices, workers = [], {}, {}
    for h, v in data["inference"].items():
        if isinstance(v, dict):
            k = v.get("workers_per_process", 1)
            if set(v) - {"count", "devices", "workers_per_process"} or not isinstance(v.get("count"), int) \
                    or not isinstance(k, int) or k < 1:
                raise HostError(f"placement file {path}: [inference] {h} = {v!r}: expected "
                                f"{{count = n, devices = \"cuda:0-3\" or [\"cuda:0\", ...], "
                                f"workers_per_process = K >= 1 (optional)}}")
            if "workers_per_process" in v:
                workers[str(h)] = k
            devs = v.get("devices", [])
            devs = [devs] if isinstance(devs, str) else list(devs)
            devices[str(h)] = [d for spec in devs for d in _devices(str(spec), f"placement file {path}: {h}")]
            v = v["count"]
        inference.append((str(h), int(v)))
    p = Placement(str(data["env"]), str(data.get("learner", data["env"])), inference,
                  {h: d for h, d in devices.items() if d}, workers)
    if not p.inference_nodes():
        raise HostError(f"placement file {path} places no inference node")
    return p
