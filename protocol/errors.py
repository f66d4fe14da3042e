"""The one exception a receiver catches: every bad message becomes a ProtocolError."""

REASONS = frozenset({"version", "unknown_type", "malformed", "frames", "size"})


class ProtocolError(Exception):
    """A message was rejected.

    ``reason`` is one of REASONS (a short, countable tag), ``detail`` says what was
    wrong for the log. Receivers count by reason, log the detail and keep running.
    """

    def __init__(self, reason: str, detail: str = ""):
        if reason not in REASONS:
            raise ValueError(f"unknown ProtocolError reason {reason!r}; expected one of {sorted(REASONS)}")
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail
