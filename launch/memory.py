"""Memory of a run's nodes (Linux /proc): resident (RSS) and proportional (PSS: shared pages
split between the processes that share them) set sizes, MB."""
from __future__ import annotations


def sample(nodes, into: dict) -> dict:
    """The RSS and PSS of each node's process now, kept as the maximum seen in ``into``
    (node -> {"kind", "rss_mb", "pss_mb"}). Reading smaps_rollup walks a process's page tables
    under its memory lock and can stall it for milliseconds: call it where that does not matter
    (the supervisor does it once, after the measured window)."""
    for n in nodes:
        try:
            with open(f"/proc/{n.proc.pid}/smaps_rollup") as f:
                text = f.read()
        except OSError:
            continue
        kb = {line.split(":")[0]: int(line.split()[1]) for line in text.splitlines()[1:]
              if line.split(":")[0] in ("Rss", "Pss")}
        old = into.get(n.node_id, {"kind": n.kind, "rss_mb": 0.0, "pss_mb": 0.0})
        old["rss_mb"] = max(old["rss_mb"], kb.get("Rss", 0) / 1024)
        old["pss_mb"] = max(old["pss_mb"], kb.get("Pss", 0) / 1024)
        into[n.node_id] = old
    return into
