"""The connection file of a run (``RUN_DIR/connection.json``), as ipyparallel's: every
address, port and public key a node needs to join, plus the options every node kind starts
from (``kinds``: the JSON form of each kind's nodes.options class, without a node's identity).

``stagger launch`` writes it once every binding node has bound and hands it to every node
(``stagger run`` writes the same file, with ipc:// endpoints in its private directory);
``stagger node KIND --connection FILE`` builds a node's options from it, so a node started by
hand (a new inference node, a learner resumed with ``--resume``) joins the running run. The
file holds public keys only; the secret keys stay in the keys directory it names (or the
one given with ``--keys``).
"""
from __future__ import annotations

import json
import os
import zlib
from pathlib import Path

VERSION = 2  # 2: typed node options per kind (``kinds``), no free-form ``node_opts``
BINDS = {"env": ("obs", "actions", "experience"), "clock": ("ticks", "control"), "learner": ("weights",)}


class ConnectionFileError(ValueError):
    """A connection file that cannot be used; the message says why."""


def split_endpoint(ep: str) -> tuple[str, int]:
    """``tcp://10.0.0.1:5555`` -> ``('10.0.0.1', 5555)``."""
    if not ep.startswith("tcp://") or ":" not in ep[6:]:
        raise ConnectionFileError(f"endpoint {ep!r}: expected tcp://HOST:PORT")
    host, _, port = ep[6:].rpartition(":")
    return host, int(port)


def make(run_id: str, endpoints: dict, *, security: dict, kinds: dict, launcher_address: str,
         placement: dict) -> dict:
    """The connection document. ``security`` is ``{"mechanism": "none"}`` or
    ``{"mechanism": "curve", "server_public", "client_public", "keys_dir"}``; ``kinds`` maps a
    node kind to its options object (or their JSON form)."""
    from stagger.nodes.options import to_dict
    from stagger.protocol.version import PROTOCOL_VERSION
    tcp = {ch: split_endpoint(ep) for ch, ep in endpoints.items() if ep.startswith("tcp://")}
    return {  # (``stagger run``, by default: ipc:// endpoints, no addresses or ports)
        "version": VERSION, "run_id": run_id, "protocol": PROTOCOL_VERSION,
        "transport": "tcp" if len(tcp) == len(endpoints) else "ipc",
        "endpoints": dict(endpoints),
        "addresses": {ch: hp[0] for ch, hp in tcp.items()},
        "ports": {ch: hp[1] for ch, hp in tcp.items()},
        "security": security, "launcher_address": launcher_address, "placement": placement,
        "kinds": {k: o if isinstance(o, dict) else to_dict(o) for k, o in kinds.items()},
    }


def write(path, conn: dict) -> Path:
    path = Path(path)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(conn, f, indent=1)
    return path


def read(path) -> dict:
    try:
        conn = json.loads(Path(path).read_text())
    except (OSError, ValueError) as exc:
        raise ConnectionFileError(f"cannot read connection file {path}: {exc}") from None
    if not isinstance(conn, dict) or conn.get("version") != VERSION or "endpoints" not in conn:
        raise ConnectionFileError(f"{path} is not a stagger connection file (version {VERSION}); "
                               "stagger launch writes one as RUN_DIR/connection.json")
    missing = [ch for ch in ("obs", "actions", "ticks", "control", "stats") if ch not in conn["endpoints"]]
    if missing:
        raise ConnectionFileError(f"{path} has no endpoint for {', '.join(missing)}")
    return conn


def node_opts(conn: dict, kind: str, node_id: str, run_dir: str, keys: str | None = None, base=None):
    """The options (nodes.options) of node ``kind`` joining the run of ``conn``, over those of
    ``base`` if given. A binding node (a resumed learner) binds the address and port the file
    gives for its channels, so the nodes already connected to them reconnect by themselves."""
    from stagger.nodes.options import from_dict, kind_class, to_dict
    if kind not in conn.get("kinds", {}):
        raise ConnectionFileError(f"the connection file has no options for {kind} nodes; it has: "
                                  f"{', '.join(conn.get('kinds', {})) or 'none'}")
    values = {"node_id": node_id, "run_dir": run_dir, "run_id": conn.get("run_id", ""),
              "connect": dict(conn["endpoints"]), "node_seed": zlib.crc32(node_id.encode()) % 100_000}
    control = conn["endpoints"]["control"]
    if base is None or not base.host_label:  # (ipc: a run on this machine)
        values["host_label"] = _my_address(split_endpoint(control)[0] if control.startswith("tcp://")
                                           else "127.0.0.1")
    binds = [ch for ch in BINDS.get(kind, ()) if ch in conn["endpoints"]]
    if binds and conn["endpoints"][binds[0]].startswith("ipc://"):  # rebind the same paths
        values.update(transport="ipc", ipc_dir=os.path.dirname(conn["endpoints"][binds[0]][len("ipc://"):]))
    elif binds:
        values["bind_host"] = split_endpoint(conn["endpoints"][binds[0]])[0]
        values["ports"] = {ch: split_endpoint(conn["endpoints"][ch])[1] for ch in binds}
    sec = conn.get("security") or {"mechanism": "none"}
    if sec.get("mechanism") == "curve":
        keys_dir = keys or sec.get("keys_dir")
        if not keys_dir or not Path(keys_dir).is_dir():
            raise ConnectionFileError(
                f"the run uses CurveZMQ but its keys directory {keys_dir!r} is not here: copy the "
                "run's keys directory to this host (it holds secrets: keep it 0700) and pass --keys DIR")
        values.update(security="curve", keys_dir=str(keys_dir))
    cls = kind_class(kind)
    return from_dict(cls, {**(to_dict(base) if base is not None else {}), **conn["kinds"][kind], **values})


def short_host() -> str:
    """``<hostname>-<pid>``: a default id for a node started by hand."""
    import socket
    return f"{socket.gethostname().split('.')[0]}-{os.getpid()}"


def _my_address(peer: str) -> str:
    """How a node started by hand names its host in the run: its address towards ``peer``
    (host names are often alike in containers), else its host name."""
    import socket
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect((peer, 9))
            return s.getsockname()[0]
    except OSError:
        return socket.gethostname()
