"""The learning benchmark's run store: one JSON line per finished run, written as it finishes.

A long benchmark that is stopped keeps what it finished, and a rerun with the same
parameters skips those runs (``--resume``, the default), so one grid can be filled by
several invocations (more seeds for some delays, another mode) into the same directory.
Runs are matched on the parameters that change their meaning (``signature``): a run made
with other frames or learner options is never mixed into the tables.
"""
from __future__ import annotations

import json
from pathlib import Path

RUNS_FILE = "runs.jsonl"
SIGNATURE_KEYS = ("obs", "episode_frames", "learn_every", "target_every", "n_step", "explore",
                  "learning_starts", "batch_size", "replay", "model_k")


def signature(p: dict, frames: int) -> str:
    """The parameters that must match for two runs to share a table (last_k does not: it is
    read from the stored episodes)."""
    return json.dumps({"frames": frames, **{k: p.get(k) for k in SIGNATURE_KEYS}}, sort_keys=True)


def job_key(job: dict) -> tuple:
    """What identifies a run within one signature."""
    c = job["cfg"]
    ref = job.get("reference")
    return (job["game"], job["speed"], job["mode"], None if ref else c["delay_frames"], c["seed"])


def result_key(r: dict) -> tuple:
    w = r["row"]
    return (w["game"], w["speed"], w["mode"], None if r.get("reference") else w["delay_frames"], w["seed"])


def load(out: Path, sig: str) -> list[dict]:
    """The stored results of this signature (a torn last line, from a kill, is skipped)."""
    path = Path(out) / RUNS_FILE
    if not path.exists():
        return []
    got = []
    for line in path.read_text().splitlines():
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            continue
        if rec.get("signature") == sig:
            got.append(rec["result"])
    return got


def append(out: Path, sig: str, result: dict) -> None:
    """Add one finished run (flushed at once)."""
    Path(out).mkdir(parents=True, exist_ok=True)
    with open(Path(out) / RUNS_FILE, "a") as f:
        f.write(json.dumps({"signature": sig, "result": result}, default=float) + "\n")
        f.flush()


def pending(jobs: list[dict], done: list[dict]) -> list[dict]:
    """The jobs whose run is not stored yet."""
    have = {result_key(r) for r in done}
    return [j for j in jobs if job_key(j) not in have]


def with_last_k(results: list[dict], last_k: int) -> list[dict]:
    """Recompute each run's final return as the mean of its last ``last_k`` episodes."""
    out = []
    for r in results:
        tail = [ret for _, ret in r["episodes"]][-last_k:]
        final = sum(tail) / len(tail) if tail else float("nan")
        out.append({**r, "row": {**r["row"], "final_return": final}})
    return out
