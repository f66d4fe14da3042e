"""What travels between stagger nodes: messages, codec, versions (spec prose: PROTOCOL.md).

Sockets (``protocol.topology``), loss accounting (``protocol.seq``) and traces
(``protocol.trace``) are imported from their modules.
"""

from . import messages
from .codec import DEFAULT_MAX_BYTES, decode, encode
from .errors import ProtocolError
from .messages import (REGISTRY, Action, Bye, Experience, Heartbeat, Heartbeats, Hello, Message, Observation, PhaseMap,
                       Stats, Tick, Weights, Welcome)
from .version import PROTOCOL_VERSION

__all__ = ["PROTOCOL_VERSION", "DEFAULT_MAX_BYTES", "ProtocolError", "encode", "decode", "messages", "REGISTRY",
           "Message", "Hello", "Welcome", "Heartbeat", "Heartbeats", "Bye", "Tick", "PhaseMap", "Observation", "Action",
           "Experience", "Weights", "Stats"]
