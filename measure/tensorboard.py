"""A run's curves as TensorBoard scalars (``RUN_DIR/tb``; ``tensorboard --logdir runs``).

Written from the Stats the supervisor receives, with the tensorboard package's own event
writer (so the supervisor never imports torch). Every scalar's step is the env frame the
newest env stats reported, so the curves of one run line up.
"""
from __future__ import annotations

import time
from pathlib import Path

# stats kind -> (data key, tag, scale)
SCALARS = {
    "env": (("coverage_recent", "env/coverage", 1.0), ("delay_recent", "env/delay_p50_frames", 1.0),
            ("lateness_recent_ms", "env/lateness_p99_ms", 1.0), ("overhead_recent_ms", "env/overhead_p50_ms", 1.0)),
    "learner": (("loss", "learner/loss", 1.0), ("updates", "learner/updates", 1.0),
                ("replay", "learner/replay_size", 1.0)),
    "clock": (("estimate_s", "clock/estimate_ms", 1e3), ("needed", "clock/needed_frames", 1.0)),
}


class TensorBoardWriter:
    def __init__(self, logdir):
        from tensorboard.summary.writer.event_file_writer import EventFileWriter
        Path(logdir).mkdir(parents=True, exist_ok=True)
        self.writer = EventFileWriter(str(logdir), flush_secs=2)
        self.frame = 0
        self.episodes = 0
        self.written = 0

    def scalar(self, tag: str, value, step: int) -> None:
        from tensorboard.compat.proto.event_pb2 import Event
        from tensorboard.compat.proto.summary_pb2 import Summary
        if value is None:
            return
        value = float(value)
        self.writer.add_event(Event(wall_time=time.time(), step=int(step),
                                    summary=Summary(value=[Summary.Value(tag=tag, simple_value=value)])))
        self.written += 1

    def ingest(self, node: str, kind: str, data: dict) -> None:
        """One Stats message: its scalars at the newest env frame."""
        if kind == "env":
            self.frame = int(data.get("frame") or self.frame)
            episodes = int(data.get("episodes") or 0)
            if episodes > self.episodes and data.get("last_return") is not None:
                self.scalar("env/return", data["last_return"], self.frame)  # the newest episode's
            self.episodes = max(self.episodes, episodes)
        elif kind == "inference":
            p50 = data.get("inference_p50_s")
            self.scalar(f"inference/{node}/p50_ms", None if p50 is None else p50 * 1e3, self.frame)
        for key, tag, scale in SCALARS.get(kind, ()):
            v = data.get(key)
            self.scalar(tag, None if v is None else v * scale, self.frame)

    def close(self) -> None:
        self.writer.close()
