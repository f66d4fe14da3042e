"""The inference node's I/O loop (one worker per process; several: nodes/workers_run.py).

The core that decides what to do is nodes/inference.py; this loop owns the sockets, the
compute worker and the clock: it polls, starts passes on start ticks' observations, sends
each action the moment it is due, and heart-beats however long a pass takes.
"""
from __future__ import annotations

import numpy as np

from stagger.nodes.core import Out
from stagger.nodes.inference import HEARTBEAT_EVERY_S, InferenceCore, make_agent
from stagger.nodes.inflight import Job
from stagger.nodes.options import InferenceOptions
from stagger.protocol.messages import Bye, PhaseMap, Stats, Welcome


def run(opts: InferenceOptions) -> int:
    """The inference node's I/O loop. A forward pass longer than ``INLINE_MAX_S`` (5 ms,
    judged by the warm-up) runs in a worker thread (nodes/compute.py): this thread keeps
    heart-beating and handling PhaseMaps, weights and control however long a pass takes, and
    sends the action the moment it is due. A shorter pass runs here, with no hand-off (a
    process of several workers, ``opts.members``: nodes/workers_run.py)."""
    if opts.members:
        from stagger.nodes.workers_run import run as run_workers
        return run_workers(opts)
    import gc
    import os

    import torch
    from stagger.agents.device import check_device
    from stagger.agents.policy import choose
    from stagger.nodes.compute import INLINE_MAX_S, ComputeWorker
    from stagger.nodes.runtime import Runtime, log
    torch.set_num_threads(1)  # this I/O thread; the compute worker sets its own (--threads)
    check_device(opts.device)
    rt = Runtime.for_node(opts, "inference")
    core, policy, eps = make_agent(opts)
    clock = rt.clock
    worker = ComputeWorker(policy, threads=opts.threads, clock=clock).start()
    # warm up before saying hello; the last pass's real time is the clock's first estimate
    core.warm_s = worker.warm_up(np.zeros(tuple(opts.obs_shape), dtype=opts.obs_dtype))
    inline = core.warm_s <= INLINE_MAX_S  # a short pass runs here, with no hand-off to the worker
    load = (lambda arrays, v: policy.load_arrays(arrays, version=v)) if inline else worker.load
    log.info("%s: forward passes of %.1f ms %s", opts.node_id, core.warm_s * 1e3,
             "in the I/O thread" if inline else "in the compute thread")
    rt.watch("compute", worker.fd)
    gc.collect()
    gc.freeze()  # torch's objects out of every later collection (a full one stalls ~100 ms)
    conn = opts.connect
    job: Job | None = None
    deferred = None  # a start tick's observation that came while a pass ran (nodes/inflight.py)

    def start(m) -> Job:
        new = Job(m.frame, clock.now(), 0.0, policy.explore(eps(m.frame), core.rng))
        new.target = core.target_time(new.start)
        if inline:
            r = worker.run_here(m.frame, m.obs)
            if r.error is not None:
                raise r.error
            new.result = r
        else:
            worker.submit(m.frame, m.obs)
        return new

    def finish_due() -> bool:
        """Send the action of a pass that is done and due; start the deferred one, if any."""
        nonlocal job, deferred
        if job is None or job.result is None or clock.now() < job.target:
            return False
        action, greedy = choose(job.result.q, job.coin)
        rt.send_all(core.finished(job.frame, action, greedy, job.start, clock.now(),
                                  job.result.version, job.result.real_s))
        if core.free_running:  # what queued while busy is stale: wait for the next one
            core.free.skip([m.frame for m, _ in rt.drain("obs")])
        job, deferred = (start(deferred), None) if deferred is not None else (None, None)
        return True
    try:
        for ch in ("obs", "actions", "ticks", "control", "weights", "stats"):
            if conn.get(ch):
                rt.connect(ch, conn[ch], subscribe_all=ch != "obs")
        rt.send(Out("control", core.hello(rt.hostname, os.getpid())))
        next_hb = clock.now() + HEARTBEAT_EVERY_S
        next_stats = clock.now()
        while not rt.should_stop() and not core.stopped:
            # only the observations of our own next ticks travel to us (topic per frame)
            rt.subscribe("obs", core.obs_topics())
            wake = min(next_hb, job.target) if job is not None and job.result is not None else next_hb
            ready = rt.poll(min(wake - clock.now(), 0.05))
            if "compute" in ready:
                for r in worker.results():
                    if r.error is not None:
                        raise r.error
                    if job is not None and r.tag == job.frame:
                        job.result = r
            while finish_due():
                pass
            if "obs" in ready:  # our start tick's observation: the action's timing starts here
                got = rt.drain("obs")
                if core.free_running and job is not None:  # queued while busy: never started on
                    got = core.free.skip([m.frame for m, _ in got])
                i = core.pick([m.frame for m, _ in got])
                if i is not None and job is not None:  # a start tick while a pass runs: after its action
                    core.missed += deferred is not None  # a newer one replaces one already waiting
                    deferred = got[i][0]
                elif i is not None:
                    job = start(got[i][0])
                    while finish_due():  # an inline pass with no padding: its action at once
                        pass
            _control(rt, core, load, ready)
            if clock.now() >= next_hb:  # also while a pass runs: a long inference is not death
                next_hb = clock.now() + HEARTBEAT_EVERY_S
                rt.send(Out("control", core.heartbeat(busy=job is not None)))
            if clock.now() >= next_stats:
                next_stats += 1.0
                rt.send(Out("stats", core.stats()))
    finally:
        worker.close()
        rt.send(Out("control", Bye(reason="end of run" if core.stopped else "stopped")))
        rt.send(Out("stats", Stats(kind="inference_final", data={
            **core.stats().data, "device": str(policy.device), "threads": worker.torch_threads,
            "inference_cpu_p50_s": float(np.median(worker.cpu_times)) if worker.cpu_times else None,
            **rt.counters()})))
        rt.close()
        log.info("%s stopped after %d inferences%s", opts.node_id, core.count,
                 " (Stop from the clock: end of run)" if core.stopped else "")
    return 0


def _control(rt, core: InferenceCore, load, ready: set[str]) -> None:
    """Handle the schedule, control and weights messages on the ``ready`` channels (never
    observations); channels poll did not report are not read (no empty reads). Weights go to
    ``load``: the compute worker, which applies them between passes, or the policy itself
    when passes run inline (between them too: this thread runs them)."""
    import os
    for msg, _ in rt.drain("ticks") if "ticks" in ready else ():
        if isinstance(msg, PhaseMap):
            core.on_phase_map(msg)
        else:
            core.on_tick(msg)
    for msg, _ in rt.drain("control") if "control" in ready else ():
        if isinstance(msg, Welcome) and core.on_welcome(msg):
            rt.send(Out("control", core.hello(rt.hostname, os.getpid())))
    if "weights" in ready:
        got = rt.drain("weights")
        if got:
            w = got[-1][0]
            load(w.as_dict(), w.version)
