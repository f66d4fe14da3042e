"""`stagger run --time virtual`: one virtual-time run (nodes/virtual.py) and its run directory.

The run directory holds what a realtime run writes for the same measures: ``config.json``,
``env_frames.npz`` (the env's per-frame records), ``summary.json`` (the keys of
measure/summary.py; ``inference_latency_s`` = d / fps, simulated) and ``details.json``
(``time: virtual``, the episode returns with the frame each ended on, counters).
"""
from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import numpy as np


def delay_for(game: str, game_options: dict, delay_frames: int | None, latency_s: float) -> tuple[int, float]:
    """(d, fps): ``delay_frames`` if given, else ceil(latency * fps) of the game."""
    from stagger.launch.run import probe_game
    from stagger.nodes.virtual import delay_from_latency
    fps = probe_game(game, game_options)["fps"]
    return (int(delay_frames) if delay_frames else delay_from_latency(latency_s, fps)), fps


def write_run_dir(run_dir, cfg, res, algorithm: str = "max_time") -> dict:
    """Write the run directory of a finished virtual run; returns the summary."""
    from stagger.nodes.virtual import summary as make_summary
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    rec = dict(res.records)
    rec["source"] = rec["source"].astype(str)
    np.savez_compressed(run_dir / "env_frames.npz", **rec)
    config = {**asdict(cfg), "time": "virtual", "fps": res.fps, "algorithm": algorithm,
              "inference_nodes": res.nodes, "inference_latency": cfg.delay_frames / res.fps}
    (run_dir / "config.json").write_text(json.dumps(config, indent=1, default=str))
    summary = make_summary(cfg, res, algorithm)
    (run_dir / "summary.json").write_text(json.dumps(summary, indent=1))
    warm = cfg.delay_frames if cfg.warmup_frames is None else cfg.warmup_frames
    details = {"time": "virtual", "latency_simulated": True, "delay_frames": cfg.delay_frames,
               "measured_from_frame": warm, "total_frames": cfg.frames, "counts": res.counts,
               "episodes": [{"frame": f, "return": r} for f, r in res.episodes]}
    (run_dir / "details.json").write_text(json.dumps(details, indent=1))
    return summary


def run_virtual_cli(echo, *, game: str, game_options: dict, mode: str, nodes: int, delay_frames: int | None,
                    latency_s: float, frames: int, run_dir: str, algorithm: str, **options) -> dict:
    """Derive d, run, write the run directory; ``echo`` prints the headline."""
    from stagger.nodes.virtual import VirtualConfig, run_virtual
    d, fps = delay_for(game, game_options, delay_frames, latency_s)
    cfg = VirtualConfig(game=game, game_options=game_options, mode=mode, delay_frames=d, nodes=nodes,
                        frames=frames, algorithm=algorithm if mode == "staggered" else "max_time", **options)
    n = (nodes or d) if mode == "staggered" else 1
    echo(f"stagger run (virtual time): {game}, {mode}, {n} inference core(s), delay {d} frames "
         f"(simulated inference latency {d / fps:.4f} s), {frames} frames, run dir {run_dir}")
    res = run_virtual(cfg)
    return write_run_dir(run_dir, cfg, res, algorithm)
