"""`stagger run`: every node of a run on this machine, as its own process.

Start order (each binder reports its endpoints on the stats channel before the next
starts, so no port is guessed): env (it waits for the learner's connection before its first
frame), learner (or the sequential agent), clock, inference nodes. The measured window starts once every inference node has joined and a warm-up has
passed; ``--duration`` counts from there. The run directory gets ``config.json``, one log
per node, ``metrics.jsonl``, the env's per-frame records and ``summary.json``.
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from stagger.launch import cpu, memory, pids, worker_groups
from stagger.launch.clock_restart import ClockRestarts
from stagger.launch.monitor import Watch
from stagger.launch.procs import NodeProcess, exit_line, exit_report, start_node, stop_nodes
from stagger.launch.run_config import MODES, RunConfig, config_doc, read_config  # noqa: F401 (RunConfig lives here too)
from stagger.launch.status import StatusLine
from stagger.measure.summary import write_summary
from stagger.nodes.options import KINDS, project


class RunError(RuntimeError):
    """A run could not start or a required node failed; the message says which and why."""


def probe_game(game: str, options: dict) -> dict:
    """Frame rate, observation shape and action counts, from one instance of the game."""
    from stagger.games.registry import make_game
    env = make_game(game, **options)
    try:
        obs, _ = env.reset(seed=0)
        u = env.unwrapped
        return {"fps": float(getattr(u, "fps", 60.0)), "obs_shape": list(obs.shape),
                "obs_dtype": str(obs.dtype), "n_actions": int(env.action_space.n),
                "policy_actions": int(getattr(u, "policy_actions", env.action_space.n)),
                "noop_action": int(getattr(u, "noop_action", 0))}
    finally:
        env.close()


class Supervisor:
    """Starts, watches and stops the nodes of one run; collects their stats."""

    def __init__(self, cfg: RunConfig, status: StatusLine | None = None):
        from stagger.nodes.runtime import Runtime
        self.cfg = cfg
        self.run_dir = Path(cfg.run_dir)
        self.run_dir.mkdir(parents=True, exist_ok=True)
        pids.reset(self.run_dir)
        self.ipc_dir = self._transport_dir()
        self.rt = Runtime("supervisor", "supervisor")
        self.rt.ipc, self.rt.ipc_dir = self.ipc_dir is not None, self.ipc_dir
        self.stats_ep = self.rt.bind("stats")
        self.nodes: list[NodeProcess] = []
        self.latest: dict[str, dict] = {}  # node -> latest Stats data by kind
        self.finals: dict[str, dict] = {}
        self.metrics = open(self.run_dir / "metrics.jsonl", "a")
        self.status = status or StatusLine(enabled=False)
        self.game: dict = {}
        self.phase, self.end = "starting", None
        self.watch = self._watch()
        self.endpoints: dict[str, str] = {"stats": self.stats_ep, "monitor": self.watch.endpoint}
        self.kind_values: dict[str, dict] = {}  # the values of the first node of each kind
        self.forks = None  # the fork server (--start fork), from the first node on
        self.handled: set[int] = set()  # nodes whose exit was dealt with (restarted)
        self.workers: dict[str, list[str]] = {}  # inference process -> the workers it hosts
        self.clock_restarts = ClockRestarts(cfg.clock_restarts)
        self.say = lambda text: print(f"stagger run: {text}", file=sys.stderr, flush=True)

    def _transport_dir(self) -> str | None:
        """The run's private 0700 socket directory (``--transport ipc``, the default: only this
        user reaches the run, nodes/ipc.py); None for plain TCP, which needs ``--insecure``."""
        if self.cfg.transport == "ipc":
            from stagger.nodes import ipc
            return ipc.private_dir()
        if not self.cfg.insecure:
            raise RunError("--transport tcp binds plain TCP on 127.0.0.1, where any user of this machine can "
                           "read the observations and weights and send actions: add --insecure if that is "
                           "what you want, or keep the default --transport ipc (private to your user)")
        return None

    def _watch(self, **kw) -> Watch:
        """The monitor PUB for `stagger top`, the live panel's state, TensorBoard (launch.monitor)."""
        return Watch(self.rt, self.run_dir, tensorboard=self.cfg.tensorboard, **kw)

    # -- stats ----------------------------------------------------------------------------
    def pump(self, timeout_s: float) -> None:
        self.watch.tick(self)  # the supervisor's own "run" Stats for watchers, when due
        if not self.rt.poll(timeout_s):
            return
        for msg, _ in self.rt.drain("stats"):
            rec = {"t": time.monotonic(), "node": msg.node, "kind": msg.kind, **msg.data}
            self.metrics.write(json.dumps(rec, default=str) + "\n")
            if msg.kind == "endpoints":
                self.endpoints.update(msg.data["endpoints"])
            if msg.kind == "clock":
                self.clock_restarts.stats(msg.data, rec["t"])
            if msg.kind.endswith("final"):
                self.finals[msg.node] = msg.data
            self.latest.setdefault(msg.node, {})[msg.kind] = msg.data
            self.watch.stats(msg)

    def _check_alive(self) -> None:
        """A clock that exited is restarted (``--clock-restarts``); any other node that exited
        fails the run, named with its host, exit code and last log lines."""
        for n in list(self.nodes):
            if n.alive() or id(n) in self.handled:
                continue
            self.handled.add(id(n))
            if not self._restart_clock(n):
                raise RunError(exit_report(n))

    def _restart_clock(self, n) -> bool:
        """Start a new clock on the endpoints of ``n``, a clock that exited; False if ``n`` is
        not a clock or no restart is left (launch/clock_restart.py)."""
        if n.kind != "clock" or self.phase == "stopping" or not self.clock_restarts.possible(self.endpoints):
            return False
        epoch = int(self.latest.get("clock", {}).get("clock", {}).get("epoch", 0))
        values = self.clock_restarts.restart(self.endpoints, epoch, n.returncode)
        self.say(self.clock_restarts.message(exit_line(n)))
        self.start("clock", n.node_id, {**self.kind_values.get("clock", {}), **values})
        return True

    def wait_for(self, what: str, pred, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while not pred():
            self._check_alive()
            if time.monotonic() > deadline:
                raise RunError(f"timed out after {timeout_s:.0f} s waiting for {what}")
            self.pump(0.05)
            self._show(self.end)

    def start(self, kind: str, node_id: str, values: dict, binds: tuple[str, ...] = ()) -> None:
        opts = self.node_options(kind, node_id, connect=dict(self.endpoints), **values)
        self.kind_values.setdefault(kind, {k: v for k, v in values.items() if k not in ("node_seed", "members")})
        self.nodes.append(start_node(kind, opts, self.run_dir, self.forks))
        pids.record_start(self.run_dir, node_id, self.nodes[-1].proc.pid, self.rt.hostname)
        if binds:
            self.wait_for(f"{node_id} to bind {', '.join(binds)}",
                          lambda: all(b in self.endpoints for b in binds), 60.0)

    def node_options(self, kind: str, node_id: str, **values):
        """The options of a ``kind`` node: the run's, the game's facts, then ``values``."""
        base = {"run_dir": str(self.run_dir), "node_id": node_id}
        if self.ipc_dir is not None:  # every node binds in the run's private directory
            base.update(transport="ipc", ipc_dir=self.ipc_dir)
        return project(KINDS[kind], self.cfg, self.game, **{**base, **values})

    # -- the run --------------------------------------------------------------------------
    def run(self) -> dict:
        c = self.cfg
        self.t_start = time.monotonic()
        self.startup_s = None
        self.memory: dict[str, dict] = {}
        self.cpu: dict = {}
        if c.start == "fork":  # it imports torch while the game is probed and the run checked
            from stagger.launch.forkserver import ForkServer
            from stagger.launch.procs import node_env
            self.forks = ForkServer(node_env())
        try:
            self.game = probe_game(c.game, c.game_options)
        except BaseException:
            self._close_forks()
            raise
        config = config_doc(c, self.game, stats_endpoint=self.stats_ep)
        try:
            from stagger.launch.preflight import check_run
            check_run(c, self.game)  # devices, your own model and learner: before any node starts
            learner = c.mode != "staggered" or c.learner
            self.start("env", "env", {"expect_learner": learner}, ("obs", "actions", "experience"))
            if c.mode == "sequential":
                self.start("sequential", "agent", {})
            elif c.learner:
                self.start("learner", "learner", {}, ("weights",))
            n = 0
            if c.mode in ("staggered", "sequential-async"):
                # sequential-async: one inference node that starts whenever it is free ("none")
                n = c.inference_nodes if c.mode == "staggered" else 1
                self.start("clock", "clock", {} if c.mode == "staggered" else {"algorithm": "none"},
                           ("ticks", "control"))
                self._write_connection()
                ids = [f"inf{i:02d}" for i in range(n)]
                for proc, members in worker_groups.group(ids, c.workers_per_process):
                    first = ids.index(members[0] if members else proc)  # worker i's seed: seed*1000 + i
                    self.start("inference", proc, {"node_seed": c.seed * 1000 + first, "members": members})
                    self.workers[proc] = members or [proc]
                timeout = c.join_timeout_s or 30.0 + 1.0 * n
                self.wait_for(f"{n} inference nodes to join", lambda: self._joined() >= n, timeout)
            config["endpoints"] = dict(self.endpoints)
            (self.run_dir / "config.json").write_text(json.dumps(config, indent=1, default=str))
            self.wait_for("the env's first frames", lambda: self._env_frame() > 0, 30.0)
            from_frame = self._measure_from()  # a slow model's first actions land later: wait for them
            lead_s = max(c.warmup_s, (from_frame - self._env_frame()) / self.game["fps"])
            end = self.end = time.monotonic() + lead_s + c.duration
            self.phase = "measuring"
            self.startup_s = time.monotonic() - self.t_start
            cpu0 = None
            pids = {n.node_id: n.proc.pid for n in self.nodes if isinstance(n, NodeProcess)}  # local nodes
            while time.monotonic() < end:
                self._check_alive()
                self.pump(0.1)
                self._show(end)
                if cpu0 is None and time.monotonic() >= end - c.duration:  # the measured window
                    cpu0 = cpu.snapshot(pids)
            self.cpu = cpu.usage(cpu0 or {}, cpu.snapshot(pids))
            # once, after the measured window: reading smaps_rollup walks a process's page
            # tables under its memory lock and can stall it for milliseconds
            memory.sample(self.nodes, self.memory)
            self.status.close()
        finally:
            self.stop()
        return write_summary(self.run_dir, c, from_frame, self.finals, self.latest, n,
                             {"startup_s": self.startup_s, "memory": self.memory, "cpu": self.cpu,
                              "clock_restarts": self.clock_restarts.records,
                              "supervisor_rejected": dict(self.rt.rejected)})

    def _write_connection(self) -> None:
        """RUN_DIR/connection.json, as ``stagger launch`` writes it: a node started by hand
        (``stagger node inference --connection FILE``, or any client of PROTOCOL.md) joins."""
        import secrets
        from stagger.launch.remote import connection
        kinds = {k: self.node_options(k, "", **self.kind_values.get(k, {}))
                 for k in ("env", "clock", "inference", "learner")}
        doc = connection.make(secrets.token_hex(8), self.endpoints, security={"mechanism": "none"},
                              kinds=kinds, launcher_address="127.0.0.1",
                              placement={"env": "localhost", "learner": "localhost",
                                         "inference": [["localhost", self.cfg.inference_nodes]]})
        connection.write(self.run_dir / "connection.json", doc)

    def _measure_from(self) -> int:
        """The first frame of the measured window: ``warmup_s`` after now, and not before the
        current schedule's first actions have landed (its anchor plus two inference spans)."""
        frame = self._env_frame() + int(round(self.cfg.warmup_s * self.game["fps"]))
        clock = self.latest.get("clock", {}).get("clock", {})
        if clock:
            frame = max(frame, int(clock.get("anchor", 0)) + 2 * int(clock.get("needed", 1)))
        return frame

    def _joined(self) -> int:
        """The run's own inference nodes the clock has as members (a node joined by hand
        through connection.json does not count: the run waits for its own)."""
        members = set(self.latest.get("clock", {}).get("clock", {}).get("members", []))
        return len(members & {w for ids in self.workers.values() for w in ids})

    def _env_frame(self) -> int:
        return int(self.latest.get("env", {}).get("env", {}).get("frame", 0) or 0)

    def _status_text(self, end: float) -> str:
        e = self.latest.get("env", {}).get("env", {})
        learner = self.latest.get("learner", self.latest.get("agent", {})).get("learner", {})
        sim = f" simulated latency {self.cfg.inference_latency * 1e3:.1f} ms" if self.cfg.inference_latency else ""
        cov = e.get("coverage_recent")
        return (f"{self.cfg.mode}{sim} | left {max(0.0, end - time.monotonic()):5.1f} s | frame {e.get('frame', 0)}"
                f" | coverage {cov if cov is None else f'{cov:.3f}'} | delay p50 {e.get('delay_recent')}"
                f" | updates {learner.get('updates', 0)} | episodes {e.get('episodes', 0)}"
                f" | last return {e.get('last_return')}")

    def _show(self, end: float | None) -> None:
        """The live panel on a terminal (from the first node on); the plain status line
        otherwise (in the measured window)."""
        self.status.update(None if end is None else self._status_text(end), self.watch.panel)

    def _close_forks(self) -> None:
        if self.forks is not None:
            self.forks.close()
            self.forks = None

    def stop(self) -> None:
        """The env first (the measured window ends with it), then the clock, which sends every
        inference node a Stop and takes their Byes (``nodes.end_of_run``), then what is left of
        the inference nodes, then the learner, which takes the last experience before it goes."""
        order = [("env",), ("clock",), ("inference",), ("learner", "sequential")]
        self.phase = "stopping"
        for kinds in order:
            group = [n for n in self.nodes if n.kind in kinds]
            stop_nodes(group)
            self.pump(0.2)
        expected = {w for n in self.nodes if id(n) not in self.handled for w in self.workers.get(n.node_id, [n.node_id])}
        deadline = time.monotonic() + 1.0
        while time.monotonic() < deadline and not expected <= set(self.finals):
            self.pump(0.05)
        self._close_forks()  # after its nodes: they stop when it goes
        self.watch.done(self)
        self.metrics.close()
        self.rt.close()
        from stagger.nodes import ipc
        ipc.remove(self.ipc_dir)
