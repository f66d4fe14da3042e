"""summary.json: the measures of one run, from the env's per-frame records and node stats.

``summary.json`` holds exactly the keys listed in the README; everything else a run knows
(per-node counters, joins and drops, rejected messages) goes to ``details.json``.
"""
from __future__ import annotations

import json
from pathlib import Path

from stagger.measure.details import (clock_load, experience_accounting, experience_summary, node_details,
                                    rejections, resume_baseline)
from stagger.nodes.records import load, measure


def _seq_dropped(counters: dict) -> int:
    """Sequence-number gaps a node saw on every channel it receives on, plus its failed sends."""
    recv = sum(int(c.get("dropped", 0)) for c in counters.get("received", {}).values())
    sent = sum(int(v) for ch, v in counters.get("send_dropped", {}).items() if ch != "stats")
    return recv + sent


def collect(run_dir: Path, finals: dict[str, dict]) -> dict:
    """Counters of every node, and the exact number of messages lost anywhere."""
    env = json.loads((run_dir / "env.json").read_text()) if (run_dir / "env.json").exists() else {}
    learner = next((d for n, d in finals.items() if n in ("learner", "agent")), None)
    dropped = {"env": _seq_dropped(env)}
    for node, data in finals.items():
        if node != "env":  # the env's final Stats holds no counters: they are in env.json
            dropped[node] = _seq_dropped(data)
    if learner is not None:
        # experience: every frame the env produced must reach the learner; what did not is lost
        received = learner.get("received", {}).get("experience", {}).get("received", 0)
        env_sent_fail = env.get("send_dropped", {}).get("experience", 0)
        dropped["experience_unreceived"] = max(0, int(env.get("frames", 0)) - int(received)
                                               - int(env_sent_fail) - resume_baseline(learner)
                                               - int(learner.get("received", {}).get("experience", {}).get("dropped", 0)))
    return {"env": env, "learner": learner, "dropped_by_node": dropped,
            "dropped": int(sum(dropped.values()))}


def write_summary(run_dir: Path, cfg, from_frame: int, finals: dict, latest: dict, n_nodes: int,
                  extra: dict | None = None) -> dict:
    run_dir = Path(run_dir)
    rec = load(run_dir / "env_frames.npz")
    m = measure(rec, from_frame, cfg.action_every)
    info = collect(run_dir, finals)
    returns = info["env"].get("returns", [])
    learner = info["learner"] or {}
    extra = dict(extra or {})
    supervisor_rejected = extra.pop("supervisor_rejected", None)
    experience = experience_accounting(info["env"], info["learner"])
    summary = {
        "mode": cfg.mode, "algorithm": cfg.algorithm if cfg.mode == "staggered" else
        "none" if cfg.mode == "sequential-async" else None,
        "inference_nodes": n_nodes, "inference_latency_s": cfg.inference_latency,
        "frames": m["frames"], "action_slots": m["action_slots"], "fresh_actions": m["fresh_actions"],
        "coverage": m["coverage"], "action_delay_frames": m["action_delay_frames"],
        "interval_jitter_ms": m["interval_jitter_ms"], "env_lateness_ms": m["env_lateness_ms"],
        "overhead_ms": m["overhead_ms"], "inference_real_ms": m["inference_real_ms"],
        "inference_ms": m["inference_ms"], "dropped": info["dropped"],
        "learner_updates": int(learner.get("updates", 0)), "episodes": len(returns),
        "mean_return": (sum(returns) / len(returns)) if returns else None,
        "experience": experience_summary(experience, info["learner"]),
    }
    (run_dir / "summary.json").write_text(json.dumps(summary, indent=1))
    details = {"measured_from_frame": from_frame, "progress": info["env"].get("progress"), "total_frames": info["env"].get("frames"),
               "latency_simulated": cfg.inference_latency > 0, "dropped_by_node": info["dropped_by_node"],
               "env": info["env"], "finals": finals,
               "clock_events": finals.get("clock", {}).get("events", []), "clock": clock_load(finals.get("clock")),
               "nodes": node_details(rec, from_frame, cfg.action_every, finals.get("clock", {}).get("events", [])),
               "experience": experience, "rejected": rejections(info["env"], finals, supervisor_rejected),
               **extra}
    (run_dir / "details.json").write_text(json.dumps(details, indent=1, default=str))
    return summary
