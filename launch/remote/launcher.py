"""`stagger launch`: one run spread over several machines.

The same run as ``stagger run`` (same start order, measured window and summary), but every
node is started on its host through ``stagger agent`` over ssh or srun (``launch.remote.transport``),
binds that host's address, and speaks CurveZMQ with the run's keys (on loopback too: other users of
the machine reach 127.0.0.1; ``--insecure`` turns it off). Policy:
- the env is required: if it exits, every node is stopped and the launch fails with its name,
  host, exit code and last log lines; so does any node that exits before the measured window
  starts (but a clock that had bound);
- a clock that exits is restarted on the same host and ports (``--clock-restarts``,
  launch/clock_restart.py); the env and the inference nodes keep running meanwhile;
- an inference node may die or be cut off: the clock drops it by heartbeat timeout and
  re-phases the others; a node that comes back (or one started by hand with
  ``stagger node inference --connection RUN_DIR/connection.json``) is given a phase again;
- a learner that exits is restarted from its last checkpoint (``--learner-restarts``); the
  experience it missed is counted as dropped, exactly.
"""
from __future__ import annotations

import json
import secrets
import time
from dataclasses import asdict
from pathlib import Path

from stagger.launch import pids, worker_groups
from stagger.launch.remote import connection
from stagger.launch.remote.hosts import Placement
from stagger.launch.remote.options import LaunchOptions
from stagger.launch.remote.transport import Transport, check_hosts, fetch, resolve, route_source
from stagger.launch.procs import exit_line, exit_report
from stagger.launch.run import RunError, Supervisor, config_doc, probe_game
from stagger.launch.remote.streams import Printer, RemoteNode, stop_remote
from stagger.measure.summary import write_summary
from stagger.nodes.options import to_dict
from stagger.nodes.security import CurveKeys, generate_keys, is_loopback, key_files

REQUIRED = ("env", "clock")  # a clock is restarted while restarts are left
PORT_OFFSETS = {"obs": 0, "actions": 1, "experience": 2, "ticks": 3, "control": 4, "weights": 5, "stats": 6,
                "monitor": 7}


class Launcher(Supervisor):
    """A Supervisor whose nodes run on other hosts (see the module docstring for the policy)."""

    def __init__(self, cfg, placement: Placement, transport: Transport, lo: LaunchOptions,
                 status=None, printer: Printer | None = None):
        super().__init__(cfg, status)
        from stagger.nodes.runtime import Runtime
        self.run_dir = self.run_dir.resolve()
        self.placement, self.transport, self.lo = placement, transport, lo
        self.printer = printer or Printer()
        self.say = lambda text: self.printer("launch", text)
        self.run_id = secrets.token_hex(8)
        self.remote_dir = lo.remote_dir or str(self.run_dir)
        self.restarts = 0
        self.measuring = False
        self.conn: dict | None = None
        self.keys_dir = None
        self.watch.close()
        self.rt.close()  # the supervisor bound loopback; the stats and monitor channels move below
        try:
            self.address, self.loopback = self._addresses()
            self.secure = not cfg.insecure  # CurveZMQ on loopback too: other users of the machine reach it
            if self.secure:
                self.keys_dir = generate_keys(Path(lo.keys_dir) if lo.keys_dir else self.run_dir / "keys")
            self.rt = Runtime("supervisor", "supervisor", host="0.0.0.0" if lo.bind_all else self.address,
                              security=CurveKeys.load(self.keys_dir) if self.secure else None,
                              advertise=self.address if lo.bind_all else None)
        except BaseException:
            self.metrics.close()
            raise
        try:  # on an address every host reaches
            self.stats_ep = self.rt.bind("stats", self._port("stats"))
            self.watch = self._watch(port=self._port("monitor"),
                                     keys_dir=str(self.keys_dir) if self.keys_dir else None)
        except BaseException:
            self.metrics.close()
            self.rt.close()
            raise
        self.endpoints = {"stats": self.stats_ep, "monitor": self.watch.endpoint}
        self.kind_values = {"env": {"expect_learner": cfg.learner}}
        self.host_of = {"env": placement.env, "clock": placement.env, "learner": placement.learner,
                        **dict(placement.inference_nodes())}

    def _transport_dir(self) -> None:
        return None  # TCP between hosts, CurveZMQ unless --insecure (above)

    def _addresses(self) -> tuple[str, bool]:
        ips = {h: resolve(self.transport, h) for h in self.placement.hosts()}
        remote = [ip for ip in ips.values() if not is_loopback(ip)]
        if not remote:
            return "127.0.0.1", True
        return self.lo.launcher_address or route_source(remote[0]), False

    def _port(self, channel: str) -> int:
        return self.lo.base_port + PORT_OFFSETS[channel] if self.lo.base_port else 0

    # -- nodes ----------------------------------------------------------------------------
    def start(self, kind: str, node_id: str, values: dict, binds: tuple[str, ...] = ()) -> None:
        host = self.host_of[node_id]
        o = {**self.kind_values.get(kind, {}), "connect": dict(self.endpoints), "run_dir": self.remote_dir,
             "run_id": self.run_id, "host_label": host, "launcher_address": self.address}
        if self.loopback:
            o["bind_host"] = "127.0.0.1"
        elif self.lo.bind_all:
            o.update(bind_host="0.0.0.0", advertise_host="auto")
        else:
            o["bind_host"] = "auto"
        if self.lo.base_port and kind in connection.BINDS:
            o["ports"] = {ch: self._port(ch) for ch in connection.BINDS[kind]}
        files = {}
        if self.secure:
            o.update(security="curve", keys_dir=f"{self.remote_dir}/keys")
            files = {f"keys/{k}": v for k, v in key_files(self.keys_dir, kind in connection.BINDS).items()}
        if self.conn is not None:
            files["connection.json"] = json.dumps(self.conn, indent=1)
        opts = self.node_options(kind, node_id, **{**o, **values})
        payload = {"kind": kind, "node_id": node_id, "run_dir": self.remote_dir, "opts": to_dict(opts),
                   "files": files}
        restarts = self.restarts if kind == "learner" else 0
        self.nodes.append(RemoteNode(node_id, kind, host, self.transport.agent_argv(host, node_id), payload,
                                     self.run_dir / "logs" / f"{node_id}.log", self.printer,
                                     on_pid=lambda pid: pids.record_start(self.run_dir, node_id, pid, host, restarts)))
        if binds:
            self.wait_for(f"{node_id} on {host} to bind {', '.join(binds)}",
                          lambda: all(b in self.endpoints for b in binds), 60.0)

    def _check_alive(self) -> None:
        for n in list(self.nodes):
            if n.alive() or id(n) in self.handled:
                continue
            self.handled.add(id(n))
            what = exit_line(n)
            if self._restart_clock(n):
                continue
            if not self.measuring or n.kind in REQUIRED:
                raise RunError(exit_report(n))
            if n.kind == "inference":
                self.say(f"{what}; the clock drops it after 1 s without a heartbeat and re-phases the others")
            elif self.restarts < self.lo.learner_restarts:
                self.restarts += 1
                self.say(f"{what}; restarting it from its last checkpoint (restart {self.restarts} of "
                         f"{self.lo.learner_restarts}); the experience it misses is counted as dropped")
                port = connection.split_endpoint(self.endpoints["weights"])[1]
                self.start("learner", "learner", {"resume": self.remote_dir, "ports": {"weights": port}})
            else:
                raise RunError(exit_report(n, f"no learner restart is left (--learner-restarts "
                                              f"{self.lo.learner_restarts}): stopping every node"))

    def stop(self) -> None:
        """Env first (the measured window ends with it), then the clock (its Stop ends the
        inference nodes, their Byes counted), then the inference nodes left, then the learner,
        which takes the last experience before it goes (as ``stagger run``)."""
        self.phase = "stopping"
        expected = {n.node_id for n in self.nodes if n.alive()}
        for kinds in (("env",), ("clock",), ("inference",), ("learner",)):
            stop_remote([n for n in self.nodes if n.kind in kinds and n.alive()])
            self.pump(0.2)
        deadline = time.monotonic() + 1.0
        while time.monotonic() < deadline and not expected <= set(self.finals):
            self.pump(0.05)
        self.watch.done(self)
        self.metrics.close()
        self.rt.close()

    def _fetch_results(self) -> None:
        """The env's records, from its host when this machine does not share its disk."""
        for name in ("env.json", "env_frames.npz"):
            local = self.run_dir / name
            if not local.exists():
                local.write_bytes(fetch(self.transport, self.placement.env, f"{self.remote_dir}/{name}"))

    # -- the run --------------------------------------------------------------------------
    def run(self) -> dict:
        c = self.cfg
        n, from_frame = 0, 0
        try:
            versions = check_hosts(self.transport, self.placement.hosts())
            self.say(f"{self.placement.describe()}; via {self.transport.via}; security "
                     f"{'CurveZMQ' + (' (loopback)' if self.loopback else '') if self.secure else 'NONE (--insecure)'}")
            self.game = probe_game(c.game, c.game_options)
            from stagger.launch.preflight import check_run
            check_run(c, self.game, devices=False)  # your own model and learner, before any node
            config = config_doc(c, self.game, stats_endpoint=self.stats_ep, run_id=self.run_id,
                                placement=asdict(self.placement), via=self.transport.via, versions=versions,
                                security="curve" if self.secure else "none", launcher_address=self.address)
            self.start("env", "env", {}, connection.BINDS["env"])
            if c.learner:
                self.start("learner", "learner", {"resume": self.lo.resume}, ("weights",))
            self.start("clock", "clock", {}, ("ticks", "control"))
            kinds = {k: self.node_options(k, "", **self.kind_values.get(k, {}), run_id=self.run_id)
                     for k in ("env", "clock", "inference", "learner")}
            self.conn = connection.make(self.run_id, self.endpoints, security=self._security_doc(), kinds=kinds,
                                        launcher_address=self.address, placement=asdict(self.placement))
            connection.write(self.run_dir / "connection.json", self.conn)
            inference = self.placement.inference_nodes()
            device_of = self.placement.inference_devices()  # host:n@cuda:0-3; else the run's --device
            index, on_host = {nid: i for i, (nid, _) in enumerate(inference)}, {}
            for node_id, host in inference:  # --workers-per-process: K workers a process, per host
                on_host.setdefault(host, []).append(node_id)
            for host, ids in on_host.items():  # the host's own K from the placement file, else the run's
                k = self.placement.workers.get(host, c.workers_per_process)
                for proc, members in worker_groups.group(ids, k):
                    first = members[0] if members else proc  # its device: the first worker's
                    self.host_of[proc], self.workers[proc] = host, members or [proc]
                    self.start("inference", proc, {"node_seed": c.seed * 1000 + index[first], "members": members,
                                                   **({"device": device_of[first]} if first in device_of else {})})
            n = len(inference)
            timeout = c.join_timeout_s or 30.0 + 1.0 * n
            self.wait_for(f"{n} inference nodes to join", lambda: self._joined() >= n, timeout)
            config["endpoints"] = dict(self.endpoints)
            (self.run_dir / "config.json").write_text(json.dumps(config, indent=1, default=str))
            self.wait_for("the env's first frames", lambda: self._env_frame() > 0, 30.0)
            from_frame = self._env_frame() + int(round(c.warmup_s * self.game["fps"]))
            end = self.end = time.monotonic() + c.warmup_s + c.duration
            self.measuring, self.phase = True, "measuring"
            self.say(f"every node is up; measuring for {c.duration:g} s after {c.warmup_s:g} s of warm-up")
            while time.monotonic() < end:
                self._check_alive()
                self.pump(0.1)
                self._show(end)
        finally:
            self.status.close()
            self.stop()
        self._fetch_results()
        extra = {"launch": {"placement": asdict(self.placement), "via": self.transport.via,
                            "security": config["security"], "learner_restarts": self.restarts,
                            "processes": [{"node": p.node_id, "host": p.host, "exit_code": p.returncode}
                                          for p in self.nodes]}, "clock_restarts": self.clock_restarts.records,
                 "supervisor_rejected": dict(self.rt.rejected)}
        return write_summary(self.run_dir, c, from_frame, self.finals, self.latest, n, extra)

    def _security_doc(self) -> dict:
        if not self.secure:
            return {"mechanism": "none"}
        keys = CurveKeys.load(self.keys_dir)
        return {"mechanism": "curve", "server_public": keys.server_public.decode(),
                "client_public": keys.client_public.decode(), "keys_dir": str(self.keys_dir)}

    def _status_text(self, end: float) -> str:
        text = super()._status_text(end)
        clock = self.latest.get("clock", {}).get("clock", {})
        drops = [e for e in clock.get("recent_events", []) if e.get("event") == "drop"]
        text += f" | members {len(clock.get('members', []))}"
        if drops:
            e = drops[-1]
            text += f" | last stale: {e['node']} on {e.get('host')} (last tick {e.get('last_tick')})"
        return text
