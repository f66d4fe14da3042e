"""Per-node facts for details.json: each node's joins, drops and coverage share, and the
exact accounting of the experience (what the learner, or a resumed learner, did not get).
"""
from __future__ import annotations

from collections import Counter

import numpy as np


def node_details(rec: dict, from_frame: int, action_every: int, events: list[dict]) -> dict:
    """By node: host, joins, drops (with the tick and the last tick it answered), and its
    share of the fresh actions applied in the measured window (``coverage_share``, by the
    env's ``source`` record) and of the action slots (``coverage``)."""
    due = (rec["frame"] >= from_frame) & (rec["frame"] % action_every == 0)
    fresh = due & rec["fresh"]
    slots, n_fresh = int(due.sum()), int(fresh.sum())
    nodes: dict[str, dict] = {}

    def entry(name: str) -> dict:
        return nodes.setdefault(name, {"host": None, "joins": 0, "drops": 0, "byes": 0, "drop_events": [],
                                       "fresh_actions": 0, "coverage_share": 0.0, "coverage": 0.0})

    for ev in events:
        e = entry(ev["node"])
        e["host"] = ev.get("host") or e["host"]
        if ev["event"] == "join":
            e["joins"] += 1
        elif ev["event"] == "drop":
            e["drops"] += 1
            e["drop_events"].append({"tick": ev.get("tick"), "last_tick": ev.get("last_tick"), "t": ev.get("t")})
        elif ev["event"] == "bye":
            e["byes"] += 1
    for name, count in Counter(np.asarray(rec["source"])[fresh].tolist()).items():
        e = entry(str(name))
        e["fresh_actions"] = int(count)
        e["coverage_share"] = count / n_fresh if n_fresh else 0.0
        e["coverage"] = count / slots if slots else 0.0
    return nodes


def resume_baseline(learner: dict | None) -> int:
    """Experience a resumed learner's checkpoint already covers (its sequence baseline)."""
    resume = (learner or {}).get("resume") or {}
    return int(resume.get("next_seq", 0)) if resume.get("same_run") else 0


def experience_accounting(env: dict, learner: dict | None) -> dict:
    """Every env frame's experience is exactly one of: a failed send at the env (no learner
    connected, or its queue full), or sent; every one sent is exactly one of: in the checkpoint
    a learner resumed from, a sequence gap at the learner (sent but lost, e.g. with a killed
    learner), received, or still in flight when the run ended (queued for a learner that could
    not keep up). ``missed`` is the sum of the lost ones; ``unaccounted`` (frames neither sent
    nor failed) is 0 unless the counting itself is wrong."""
    learner = learner or {}
    exp = learner.get("received", {}).get("experience", {})
    out = {"env_frames": int(env.get("frames", 0)),
           "env_send_failed": int(env.get("send_dropped", {}).get("experience", 0)),
           "learner_received": int(exp.get("received", 0)), "learner_seq_gaps": int(exp.get("dropped", 0)),
           "resumed_from_seq": resume_baseline(learner)}
    out["env_sent"] = int(env.get("experience_sent", out["env_frames"] - out["env_send_failed"]))
    out["missed"] = out["env_send_failed"] + out["learner_seq_gaps"]
    out["in_flight_at_end"] = (out["env_sent"] - out["resumed_from_seq"] - out["learner_seq_gaps"]
                               - out["learner_received"])
    out["unaccounted"] = out["env_frames"] - out["env_send_failed"] - out["env_sent"]
    resume = learner.get("resume")
    if resume:
        first = resume.get("first_seq")
        out["resume"] = {**resume, "lost_in_transit": None if first is None else first - resume.get("next_seq", 0)}
    return out


def clock_load(clock: dict | None) -> dict:
    """The clock's own cost from its final Stats: CPU seconds it used, over how many seconds
    it ran, and their ratio (``cpu_per_s``; protocol 1.4's clock reports them), plus how many
    members ever joined. None where a clock reported nothing (no staggered run)."""
    clock = clock or {}
    return {"cpu_s": clock.get("cpu_s"), "wall_s": clock.get("wall_s"), "cpu_per_s": clock.get("cpu_per_s"),
            "members_joined": len(clock.get("joins", {})) if clock else None}


def experience_summary(acct: dict, learner: dict | None) -> dict | None:
    """summary.json ``experience``: sent = received + dropped + in_flight (received includes what
    a resumed learner's checkpoint holds); ``send_failed`` is experience the env could not
    send. None when no learner took part (nothing was sent)."""
    if learner is None:
        return None
    return {"sent": acct["env_sent"], "received": acct["resumed_from_seq"] + acct["learner_received"],
            "dropped": acct["learner_seq_gaps"], "in_flight": acct["in_flight_at_end"],
            "send_failed": acct["env_send_failed"]}


def rejections(env: dict, finals: dict, supervisor: dict | None = None) -> dict:
    """Every message a node rejected, by node and by reason (``by_node`` from each node's final
    counters: the env's env.json, the others' final Stats, the supervisor's own)."""
    by_node = {"env": dict(env.get("rejected", {}))} if env else {}
    for node, data in finals.items():
        if node != "env" and isinstance(data.get("rejected"), dict):
            by_node[node] = dict(data["rejected"])
    if supervisor is not None:
        by_node["supervisor"] = dict(supervisor)
    by_reason: Counter = Counter()
    for counts in by_node.values():
        by_reason.update({reason: int(n) for reason, n in counts.items()})
    return {"total": sum(by_reason.values()), "by_reason": dict(by_reason), "by_node": by_node}
