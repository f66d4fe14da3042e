"""Single-thread inference time of one observation through a model (for `stagger models`)."""
from __future__ import annotations

import statistics
import time

import numpy as np
import torch

from stagger.agents.models import build_model
from stagger.agents.policy import Policy


def measure_inference_time(k: float, n_actions: int = 6, repeats: int = 10, warmup: int = 2,
                           obs_shape: tuple[int, ...] = (84, 84), model: str = "auto",
                           threads: int | None = 1, seed: int = 0, stat=statistics.median,
                           timer=time.perf_counter) -> float:
    """Median seconds (or ``stat`` of the times, e.g. ``min``) of a greedy forward pass on one
    random frame, after `warmup` passes. ``timer=time.thread_time`` counts the CPU time of the
    calling thread instead of wall time: what one pass costs when it has a core to itself, the
    same on a machine busy with other work (one thread only: with threads > 1 it undercounts).

    Builds the real model (k=98, the 1B preset, needs 4 GB and ~10 s per pass; callers that
    cannot afford that should skip it). `threads` is set for the measurement, then restored.
    """
    previous = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(threads)
    try:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            policy = Policy(build_model(obs_shape, n_actions, model=model, k=k))
        rng = np.random.default_rng(seed)
        obs = rng.integers(0, 256, size=obs_shape, dtype=np.uint8) if len(obs_shape) > 1 \
            else rng.standard_normal(obs_shape).astype(np.float32)
        times = []
        for i in range(warmup + repeats):
            start = timer()
            policy.q_values(obs)
            if i >= warmup:
                times.append(timer() - start)
        return stat(times)
    finally:
        torch.set_num_threads(previous)
