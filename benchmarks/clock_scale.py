"""The clock with 10, 100 and 1,000 members: its CPU per second and the size of its PhaseMap.

    python -m stagger.benchmarks.clock_scale [--members 10,100,1000] [--seconds 5] [--single]

The real clock node runs as a subprocess; the members are simulated by
:mod:`stagger.benchmarks.clock_harness` (10 DEALER "processes" heartbeating for all of them,
an env publishing 60 small frames/s, one inference report per frame from the member the map
starts on). The clock's CPU is read from /proc over ``--seconds`` once every member is
phased, and taken from its own final Stats (``cpu_per_s``, also in a run's details.json).
``--single`` heartbeats one Heartbeat per member (a pre-1.4 node) and names members in full
PhaseMaps, instead of one Heartbeats per process and compact maps.
"""
from __future__ import annotations

import argparse
import time

from stagger.benchmarks.clock_harness import Harness


def measure(n: int, seconds: float, aggregate: bool, compact: bool, processes: int = 10) -> dict:
    h = Harness(n, processes=min(processes, n), aggregate=aggregate, compact=compact)
    try:
        h.start()
        t0 = time.monotonic()
        h.hello(h.ids)
        ok = h.pump(120, until=lambda: len(h.welcomes) == n and h.newest() is not None
                    and len(h.members_of(h.newest())) == n)
        join_s = time.monotonic() - t0
        epochs = len(h.maps)
        h.pump(1.0)
        cpu0, wall0, sent0 = h.cpu_s(), time.monotonic(), h.sent_bytes
        h.pump(seconds)
        cpu1, wall1 = h.cpu_s(), time.monotonic()
        final = h.stop()
        return {"members": n, "phased": ok, "join_s": join_s, "epochs_to_join": epochs,
                "cpu_per_s": (cpu1 - cpu0) / (wall1 - wall0), "clock_cpu_per_s": final.get("cpu_per_s"),
                "phasemap_bytes": h.map_bytes[-1] if h.map_bytes else None,
                "control_bytes_per_s": (h.sent_bytes - sent0) / (wall1 - wall0),
                "rejected": final.get("rejected"), "drops": len(final.get("drops", {}))}
    finally:
        h.close()


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--members", default="10,100,1000", help="member counts, comma-separated")
    ap.add_argument("--seconds", type=float, default=5.0, help="measured window per count")
    ap.add_argument("--single", action="store_true", help="one Heartbeat per member, full maps (pre-1.4)")
    a = ap.parse_args(argv)
    print(f"{'members':>8} {'phased':>6} {'join s':>7} {'maps':>6} {'clock CPU/s':>11} {'own report':>10} "
          f"{'PhaseMap B':>10} {'control B/s':>11} rejected")
    for n in (int(x) for x in a.members.split(",")):
        r = measure(n, a.seconds, aggregate=not a.single, compact=not a.single)
        own = "-" if r["clock_cpu_per_s"] is None else f"{r['clock_cpu_per_s']:.3f}"
        print(f"{n:8d} {str(r['phased']):>6} {r['join_s']:7.2f} {r['epochs_to_join']:6d} {r['cpu_per_s']:11.3f} "
              f"{own:>10} {r['phasemap_bytes'] or 0:10d} {r['control_bytes_per_s']:11.0f} {r['rejected'] or {}}",
              flush=True)


if __name__ == "__main__":
    main()
