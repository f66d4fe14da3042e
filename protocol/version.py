"""Protocol version: "MAJOR.MINOR". Another MAJOR is rejected; any MINOR is accepted."""

from .errors import ProtocolError

PROTOCOL_VERSION = "1.4"
MAJOR, MINOR = (int(part) for part in PROTOCOL_VERSION.split("."))


def parse_version(v: object) -> tuple[int, int]:
    """Split a wire version into (major, minor); ProtocolError("version") if unreadable."""
    if not isinstance(v, str):
        raise ProtocolError("version", f"version must be a 'MAJOR.MINOR' string, got {v!r}")
    major, dot, minor = v.partition(".")
    if not (dot and major.isdigit() and minor.isdigit() and major.isascii() and minor.isascii()):
        raise ProtocolError("version", f"version must be 'MAJOR.MINOR', got {v!r}")
    return int(major), int(minor)


def check_version(v: object) -> None:
    """Accept any minor of our major (newer minors only add fields with defaults)."""
    major, _minor = parse_version(v)
    if major != MAJOR:
        raise ProtocolError("version", f"protocol {v} received, this node speaks {PROTOCOL_VERSION} (major {MAJOR} only)")
