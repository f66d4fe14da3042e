"""Fault: one host's link goes down for 3 s and comes back. Its inference nodes are dropped by
heartbeat timeout (the clock log names node, host and last tick), the others are re-phased,
and when the link is back its nodes say hello again and are given phases."""
import json
import time

import pytest
from multihost_netns import hosts_fixture
from multihost_runs import abort, clock_stats, coverage_between, finish, members, start_launch, wait_until

pytestmark = pytest.mark.system

LATENCY = 2.5 / 59.7275  # needs 3 nodes; 2 per inference host


@pytest.fixture(scope="module")
def hosts(tmp_path_factory):
    yield from hosts_fixture(tmp_path_factory)


def joins(run, node):
    stats = clock_stats(run)
    return stats[-1]["joins"].get(node, 0) if stats else 0


def test_link_down_drops_the_hosts_nodes_and_they_rejoin(hosts, tmp_path):
    a, b, c = hosts.addrs
    run = tmp_path / "run"
    proc, out = start_launch(hosts, run, "--hosts", f"{a}:0,{b}:2,{c}:2", "--env-host", a, "--learner-host", c,
                             "--duration", 18, "--inference-latency", LATENCY, "--algorithm", "exp_time")
    try:
        wait_until(lambda: len(members(run)) == 4, 120, "4 inference nodes to join", proc, out)
        time.sleep(3.0)
        t_down = time.monotonic()
        hosts.link(1, up=False)
        try:
            wait_until(lambda: not {"inf00", "inf01"} & set(members(run)), 10, "host b's nodes to be dropped")
            time.sleep(max(0.0, t_down + 3.0 - time.monotonic()))
        finally:
            hosts.link(1, up=True)
        t_up = time.monotonic()
        wait_until(lambda: joins(run, "inf00") == 2 and joins(run, "inf01") == 2, 40,
                   "host b's nodes to rejoin", proc, out)
        t_back = time.monotonic()
        s = finish(proc, out)
    except BaseException:
        abort(proc)
        raise
    outage = coverage_between(run, t_down + 1.5, t_up)
    back = coverage_between(run, t_back + 1.0, t_back + 4.0)
    print(f"link down {t_up - t_down:.1f} s, rejoined {t_back - t_up:.1f} s after it came up; coverage while "
          f"cut off {outage:.3f}, after rejoining {back:.3f}, lateness {s['env_lateness_ms']}")
    assert outage < 0.9  # 2 nodes cannot cover a 3-frame model
    assert back >= max(0.8, outage + 0.1)  # 1.0 on a quiet machine; ~0.67 while cut off

    details = json.loads((run / "details.json").read_text())
    for node in ("inf00", "inf01"):
        d = details["nodes"][node]
        assert (d["host"], d["joins"], d["drops"]) == (b, 2, 1), d
        assert d["drop_events"][0]["last_tick"] > 0 and t_down < d["drop_events"][0]["t"] < t_up + 0.5
    for node in ("inf02", "inf03"):
        assert details["nodes"][node]["drops"] == 0
    clock_log = (run / "logs" / "clock.log").read_text()
    assert f"inf00 on host {b} went stale" in clock_log and "last tick it answered" in clock_log
    assert s["learner_updates"] > 0
