"""The live status of a run: on a terminal, the compact panel of every node (measure.live,
redrawn a few times a second by rich); otherwise a plain line every few seconds."""
from __future__ import annotations

import sys
import time

REDRAW_S = 0.25


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

    def update(self, text: str | None, panel=None) -> None:
        """``text``: the plain line (None: nothing to print yet); ``panel``: a callable
        returning the rich panel, drawn instead of ``text`` on a terminal (called at most
        every REDRAW_S)."""
        if not self.enabled:
            return
        if self.live is not None:
            if time.monotonic() - self.last >= REDRAW_S:
                self.last = time.monotonic()
                self.live.update(panel() if panel is not None else text or "")
        elif text is not None and time.monotonic() - self.last >= self.every_s:
            self.last = time.monotonic()
            print(text, flush=True)

    def close(self) -> None:
        if self.live is not None:
            self.live.stop()
            self.live = None
