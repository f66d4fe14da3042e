"""The live status line of a run (rich on a terminal, a plain line every few seconds otherwise)."""
from __future__ import annotations

import sys
import time


class StatusLine:
    def __init__(self, enabled: bool = True, every_s: float = 5.0):
        self.enabled = enabled
        self.tty = sys.stdout.isatty()
        self.every_s = every_s
        self.last = 0.0
        self.live = None
        if enabled and self.tty:
            from rich.live import Live
            self.live = Live("", refresh_per_second=4, transient=False)
            self.live.start()

    def update(self, text: str) -> None:
        if not self.enabled:
            return
        if self.live is not None:
            self.live.update(text)
        elif time.monotonic() - self.last >= self.every_s:
            self.last = time.monotonic()
            print(text, flush=True)

    def close(self) -> None:
        if self.live is not None:
            self.live.stop()
            self.live = None
