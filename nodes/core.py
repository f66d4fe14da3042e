"""What a node core returns: messages to send, on which channel, to whom."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Out:
    channel: str  # a protocol.topology channel name
    msg: Any  # a protocol message (seq and t are stamped by the runtime)
    to: bytes | None = None  # ROUTER identity, for control replies
    node: str | None = None  # sent in this member's name (a process hosting several), else the node's own
