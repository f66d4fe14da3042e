"""What a run looks like while it runs: the latest Stats of every node folded into one state,
and that state drawn as a compact rich panel (`stagger top`, and `stagger run` on a terminal).

Pure: ``LiveState.ingest`` takes what came off the stats stream and the time it came;
``render`` turns a state into a rich renderable. No sockets, no clock of its own.
"""
from __future__ import annotations

FINAL_KINDS = ("final", "clock_final", "inference_final", "learner_final")
KIND_OF = {"env": "env", "final": "env", "clock": "clock", "clock_final": "clock",
           "inference": "inference", "inference_final": "inference",
           "learner": "learner", "learner_final": "learner"}
ORDER = {"env": 0, "clock": 1, "learner": 2, "sequential": 2, "inference": 3}


class LiveState:
    """The newest Stats of each node by kind, the supervisor's "run" Stats, and arrival times."""

    def __init__(self):
        self.latest: dict[str, dict] = {}  # node -> {stats kind: data}
        self.kinds: dict[str, str] = {}  # node -> node kind, as far as known
        self.run: dict = {}
        self.last_seen: float | None = None
        self.messages = 0

    def ingest(self, node: str, kind: str, data: dict, now: float) -> None:
        self.messages += 1
        self.last_seen = now
        if kind == "run":
            self.run = data
            for name, info in data.get("nodes", {}).items():
                self.kinds[name] = info.get("kind", self.kinds.get(name, "?"))
            return
        self.latest.setdefault(node, {})[kind] = data
        if kind in KIND_OF and node not in self.kinds:
            self.kinds[node] = KIND_OF[kind]

    def get(self, node_kind: str, stats_kind: str | None = None) -> dict:
        """The newest data of the first node of ``node_kind`` (env, clock, learner)."""
        want = stats_kind or node_kind
        for name in self.node_names():
            k = self.kinds.get(name)
            if k == node_kind or (node_kind == "learner" and k == "sequential"):
                return self.latest.get(name, {}).get(want, {})
        return {}

    def node_names(self) -> list[str]:
        names = set(self.latest) | set(self.run.get("nodes", {}))
        names.discard("supervisor")
        return sorted(names, key=lambda n: (ORDER.get(self.kinds.get(n, ""), 9), n))

    def row(self, name: str) -> dict:
        """One node's line: kind, host, state, last tick, inference p50, missed, drops, rejected."""
        stats = self.latest.get(name, {})
        info = self.run.get("nodes", {}).get(name, {})
        kind = self.kinds.get(name, "?")
        runtime = {}
        for data in stats.values():  # the newest periodic stats carry the runtime's totals
            runtime = data.get("runtime", runtime)
        periodic = stats.get({"sequential": "learner"}.get(kind, kind), {})
        tick = {"env": periodic.get("frame"), "clock": periodic.get("tick"),
                "inference": periodic.get("last_tick")}.get(kind)
        tick = None if tick is None or tick < 0 else tick  # -1: no tick answered yet
        state = info.get("state") or ("finished" if any(k in stats for k in FINAL_KINDS)
                                      else "reporting" if stats else "?")
        return {"node": name, "kind": kind, "host": runtime.get("host") or info.get("host") or "?",
                "state": state, "last_tick": tick,
                "inference_p50_ms": _ms(periodic.get("inference_p50_s")),
                "missed": periodic.get("missed"),
                "drops": (runtime.get("send_dropped", 0) + runtime.get("gaps", 0)) if runtime else None,
                "rejected": runtime.get("rejected") if runtime else None}


def _ms(seconds):
    return None if seconds is None else seconds * 1e3


def _fmt(v, spec: str = "") -> str:
    if v is None:
        return "-"
    if isinstance(v, float) and spec:
        return format(v, spec)
    return str(v)


def render(state: LiveState, now: float, title: str = "stagger"):
    """The panel: a header, one table row per node, then env, clock and learner."""
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    run = state.run
    head = [title]
    for key, label in (("game", ""), ("mode", ""), ("phase", "")):
        if run.get(key):
            head.append(f"{label}{run[key]}")
    if run.get("left_s") is not None:
        head.append(f"left {run['left_s']:.1f} s")
    if state.last_seen is None:
        head.append("waiting for the run's stats ...")
    elif now - state.last_seen > 3.0:
        head.append(f"no stats for {now - state.last_seen:.0f} s (run ended or unreachable)")
    nodes = Table(box=None, pad_edge=False, header_style="bold")
    cols = ("node", "kind", "host", "state", "last tick", "inf p50 ms", "missed", "drops", "rejected")
    for c in cols:
        nodes.add_column(c, justify="left" if c in ("node", "kind", "host", "state") else "right")
    for name in state.node_names():
        r = state.row(name)
        nodes.add_row(r["node"], r["kind"], r["host"], r["state"], _fmt(r["last_tick"]),
                      _fmt(r["inference_p50_ms"], ".1f"), _fmt(r["missed"]), _fmt(r["drops"]),
                      _fmt(r["rejected"]))
    e, c, lr = state.get("env"), state.get("clock"), state.get("learner")
    parts = Table.grid(padding=(0, 3))
    for _ in range(3):
        parts.add_column()
    est = c.get("estimate_s")
    parts.add_row(
        f"[bold]env[/]  frame {_fmt(e.get('frame'))}  coverage {_fmt(e.get('coverage_recent'), '.3f')}\n"
        f"delay p50 {_fmt(e.get('delay_recent'), '.0f')} fr  lateness p99 {_fmt(e.get('lateness_recent_ms'), '.3f')} ms\n"
        f"overhead p50 {_fmt(e.get('overhead_recent_ms'), '.2f')} ms  episodes {_fmt(e.get('episodes'))}"
        f"  return {_fmt(e.get('last_return'), '.1f')}",
        f"[bold]clock[/]  epoch {_fmt(c.get('epoch'))}  N {len(c.get('members', []))}"
        f"  needed {_fmt(c.get('needed'))} fr\n"
        f"estimate {_fmt(_ms(est), '.1f')} ms  spacing {_fmt(c.get('spacing'), '.2f')} fr",
        f"[bold]learner[/]  updates {_fmt(lr.get('updates'))}  loss {_fmt(lr.get('loss'), '.4f')}\n"
        f"replay {_fmt(lr.get('replay'))}  weights v{_fmt(lr.get('weights_version'))}")
    return Group(Text(" | ".join(head), style="bold"), nodes, parts)
