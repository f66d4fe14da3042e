"""`stagger plan`: the paper's theory as a calculator (PAPER.md 2.3-2.5, DESIGN.md)."""
from __future__ import annotations

import math

from stagger.nodes.options import ClockPart, RunWide, default_of
from stagger.nodes.stagger import theory_nodes, ticks_needed

OVERHEAD_S = default_of(ClockPart, "margin_s")  # the clock's allowance for the framework's overhead


def plan(inference_s: float, fps: float = 59.7275, action_every: int = default_of(RunWide, "action_every"),
         learn_s: float | None = None, overhead_s: float = OVERHEAD_S) -> dict:
    """Processes needed, action interval and delay for one inference time.

    ``inference_nodes`` is the paper's N = ceil(t_theta / (k t_m)); the framework's own
    overhead (obs delivery, action delivery, wake-up) makes an inference at an exact
    multiple of a frame land one frame later, hence ``inference_nodes_with_overhead``.
    """
    if inference_s < 0 or fps <= 0 or action_every < 1:
        raise ValueError("need inference time >= 0, fps > 0 and action cadence >= 1")
    frame_s = 1.0 / fps
    n = theory_nodes(inference_s, frame_s, action_every)
    d = ticks_needed(inference_s, frame_s, overhead_s)
    n_oh = max(1, math.ceil(d / action_every))
    out = {
        "frame_ms": round(frame_s * 1e3, 4),
        "inference_frames": round(inference_s / frame_s, 3),
        "inference_nodes": n,
        "inference_nodes_with_overhead": n_oh,
        "action_interval_frames": action_every,
        "action_delay_frames": d,
        "delay_lower_bound_frames": max(1, math.ceil(inference_s / frame_s - 1e-9)),
        "sequential_action_interval_frames": d if learn_s is None else ticks_needed(
            inference_s + learn_s, frame_s, overhead_s),
    }
    if learn_s is not None:
        out["learner_nodes_one_update_per_action"] = max(1, math.ceil(learn_s / (action_every * frame_s) - 1e-9))
    return out
