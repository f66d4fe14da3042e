"""The I/O loop of an inference process hosting several workers (nodes/workers.py).

One Runtime (one DEALER on ``control``, one SUB on ``obs``), one model copy in one compute
worker thread, K members. Each worker says Hello, sends its Actions, Stats and Bye in its own
name (``Out.node``: its own sequence numbers); the process's Heartbeats go in the process's
name. The poll timeout is the earliest of the next heartbeat, the next stats and the next
due action, so padded actions go out on their deadlines with no sleep anywhere.
"""
from __future__ import annotations

import gc
import math
import os

import numpy as np

from stagger.nodes.core import Out
from stagger.nodes.membership import HEARTBEAT_INTERVAL_S as HEARTBEAT_EVERY_S
from stagger.protocol.messages import Bye, Stats, Welcome

STATS_EVERY_S = 1.0


def make_group(opts, policy, eps):
    """The WorkerGroup of ``opts.members``: worker j's seed is ``node_seed + j`` (so worker i
    of a run draws what it would as a process of its own: run.py gives ``seed*1000 + first``)."""
    from stagger.nodes.inference import InferenceConfig, InferenceCore
    from stagger.nodes.workers import WorkerGroup
    cores = [InferenceCore(m, InferenceConfig(opts.inference_latency, opts.latency_jitter, opts.node_seed + j))
             for j, m in enumerate(opts.members)]
    return WorkerGroup(opts.node_id, cores, lambda i, f: policy.explore(eps(f), cores[i].rng))


def run(opts) -> int:
    import torch

    from stagger.agents.device import check_device
    from stagger.nodes.compute import INLINE_MAX_S, ComputeWorker
    from stagger.nodes.inference_agent import make_agent
    from stagger.nodes.runtime import Runtime, log

    torch.set_num_threads(1)
    check_device(opts.device)
    rt = Runtime.for_node(opts, "inference")
    _, policy, eps = make_agent(opts)  # one model copy for every worker of the process
    group = make_group(opts, policy, eps)
    clock = rt.clock
    worker = ComputeWorker(policy, threads=opts.threads, clock=clock).start()
    warm = worker.warm_up(np.zeros(tuple(opts.obs_shape), dtype=opts.obs_dtype))
    for core in group.cores:
        core.warm_s = warm
    inline = warm <= INLINE_MAX_S
    load = (lambda arrays, v: policy.load_arrays(arrays, version=v)) if inline else worker.load  # between passes
    log.info("%s: %d workers, forward passes of %.1f ms %s", opts.node_id, len(group.cores), warm * 1e3,
             "in the I/O thread" if inline else "in the compute thread")
    rt.watch("compute", worker.fd)
    gc.collect()
    gc.freeze()  # torch's objects out of every later collection (a full one took ~100 ms: late reads)
    conn, pid = opts.connect, os.getpid()
    try:
        for ch in ("obs", "actions", "ticks", "control", "weights", "stats"):
            if conn.get(ch):
                rt.connect(ch, conn[ch], subscribe_all=ch != "obs")
        rt.send_all(group.hellos(rt.hostname, pid))
        next_hb = clock.now() + HEARTBEAT_EVERY_S
        next_stats = clock.now()
        while not rt.should_stop() and not group.stopped:
            rt.subscribe("obs", group.topics())
            wake = min(next_hb, next_stats, group.next_wake() or math.inf)
            ready = rt.poll(min(wake - clock.now(), 0.05))
            if "compute" in ready:
                for r in worker.results():
                    group.on_result(r)
            rt.send_all(group.due(clock.now()))  # finished actions before newer observations
            if "obs" in ready:
                group.on_obs([m for m, _ in rt.drain("obs")], clock.now())
            nxt = group.next_pass()
            while nxt is not None and inline:  # a short pass: here, under this thread's realtime class
                group.on_result(worker.run_here(*nxt))
                nxt = group.next_pass()
            if nxt is not None:
                worker.submit(*nxt)
            _control(rt, group, ready, pid, load)
            now = clock.now()
            if now >= next_hb:
                next_hb = now + HEARTBEAT_EVERY_S
                rt.send(group.heartbeats())
            if now >= next_stats:
                next_stats += STATS_EVERY_S
                rt.send_all([Out("stats", c.stats(), node=c.node_id) for c in group.cores])
    finally:
        worker.close()
        reason = "end of run" if group.stopped else "stopped"
        rt.send_all([Out("control", Bye(reason=reason), node=c.node_id) for c in group.cores])
        shared = {"device": str(policy.device), "threads": worker.torch_threads, "process": opts.node_id,
                  "workers_in_process": len(group.cores),
                  "inference_cpu_p50_s": float(np.median(worker.cpu_times)) if worker.cpu_times else None}
        for j, c in enumerate(group.cores):  # the process's counters once: in its first worker's final
            counters = rt.counters() if j == 0 else {}
            data = {**c.stats().data, "abandoned": group.abandoned[j], **shared, **counters}
            rt.send(Out("stats", Stats(kind="inference_final", data=data),
                        node=c.node_id))
        rt.close()
        log.info("%s stopped: %d workers, %d inferences%s", opts.node_id, len(group.cores),
                 sum(c.count for c in group.cores), " (Stop from the clock: end of run)" if group.stopped else "")
    return 0


def _control(rt, group, ready: set[str], pid: int, load) -> None:
    """PhaseMaps, Ticks and Stop for every worker; Welcomes to the worker named; the newest
    weights to the one model (applied between passes)."""
    for msg, _ in rt.drain("ticks") if "ticks" in ready else ():
        group.on_ticks(msg)
    for msg, _ in rt.drain("control") if "control" in ready else ():
        if isinstance(msg, Welcome):
            rt.send_all(group.on_welcome(msg, rt.hostname, pid))
    if "weights" in ready:
        got = rt.drain("weights")
        if got:
            w = got[-1][0]
            load(w.as_dict(), w.version)
