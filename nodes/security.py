"""CurveZMQ for launched runs (``stagger launch``, loopback too): per-run keys, socket options,
a ZAP handler.

A run has one server key pair (every binding socket: env, clock, learner, the launcher's
stats) and one client key pair (every connecting socket). The keys live as pyzmq
certificate files in a directory (``RUN_DIR/keys`` or ``--keys DIR``)::

    server.key  server.key_secret  client.key  client.key_secret  clients/client.key

A process that binds starts pyzmq's ``ThreadAuthenticator`` configured with
``configure_curve(domain="*", location=DIR/clients)``: only the run's client public keys
are admitted; anyone else's handshake is refused (and logged as a warning), so they receive
nothing. ``stagger run`` needs none of this: its private Unix sockets (nodes/ipc.py) keep other
users out.
"""
from __future__ import annotations

import ipaddress
import logging
import os
from dataclasses import dataclass
from pathlib import Path

import zmq

CLIENTS = "clients"
SERVER_FILES = ("server.key", "server.key_secret")
CLIENT_FILES = ("server.key", "client.key", "client.key_secret", f"{CLIENTS}/client.key")


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and 'localhost' (a name we cannot resolve here is not)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def generate_keys(directory) -> Path:
    """Create the run's key pairs in ``directory`` (0700; secrets 0600); keep any that exist."""
    import zmq.auth
    d = Path(directory)
    (d / CLIENTS).mkdir(parents=True, exist_ok=True)
    os.chmod(d, 0o700)
    for name in ("server", "client"):
        if not (d / f"{name}.key_secret").exists():
            zmq.auth.create_certificates(d, name)
        os.chmod(d / f"{name}.key_secret", 0o600)
    (d / CLIENTS / "client.key").write_bytes((d / "client.key").read_bytes())
    return d


def key_files(directory, server: bool) -> dict[str, str]:
    """The key files a node needs, by path relative to the keys directory (to ship to a host
    that does not share the file system). Only binding nodes get the server secret."""
    d = Path(directory)
    names = CLIENT_FILES + (SERVER_FILES if server else ())
    return {n: (d / n).read_text() for n in dict.fromkeys(names)}


class _DenialsAsWarnings(logging.LoggerAdapter):
    """pyzmq logs a refused handshake at debug level; a refused client is worth a warning."""

    def debug(self, msg, *args, **kwargs):
        text = str(msg) % args if args else str(msg)
        if text.startswith("DENIED"):
            self.logger.warning("ZAP refused a client: %s", text)
        else:
            self.logger.debug(msg, *args, **kwargs)


@dataclass
class CurveKeys:
    """Key material of one run, as z85 bytes; ``server_secret`` only where a node binds."""

    directory: Path
    server_public: bytes
    client_public: bytes
    client_secret: bytes
    server_secret: bytes | None = None

    @classmethod
    def load(cls, directory) -> "CurveKeys":
        import zmq.auth
        d = Path(directory)
        if not (d / "server.key").exists() or not (d / "client.key_secret").exists():
            raise FileNotFoundError(
                f"no CurveZMQ keys in {d} (expected server.key, client.key_secret, clients/): "
                "pass the run's keys directory with --keys, or run with --insecure on a trusted network")
        server_public, server_secret = zmq.auth.load_certificate(d / "server.key")
        if (d / "server.key_secret").exists():
            server_public, server_secret = zmq.auth.load_certificate(d / "server.key_secret")
        client_public, client_secret = zmq.auth.load_certificate(d / "client.key_secret")
        return cls(d, server_public, client_public, client_secret, server_secret)

    def server(self, sock: zmq.Socket) -> None:
        """Make ``sock`` (before bind) a CURVE server: encrypted, clients checked by ZAP."""
        if self.server_secret is None:
            raise RuntimeError(f"this node binds a socket but {self.directory} has no server.key_secret")
        sock.curve_secretkey = self.server_secret
        sock.curve_publickey = self.server_public
        sock.curve_server = True

    def client(self, sock: zmq.Socket) -> None:
        """Make ``sock`` (before connect) a CURVE client of the run's server key."""
        sock.curve_serverkey = self.server_public
        sock.curve_publickey = self.client_public
        sock.curve_secretkey = self.client_secret

    def authenticator(self, ctx: zmq.Context, log: logging.Logger | None = None):
        """Start the ZAP handler of ``ctx`` admitting only the keys in ``DIR/clients``."""
        from zmq.auth.thread import ThreadAuthenticator
        log = log or logging.getLogger("stagger.zap")
        auth = ThreadAuthenticator(ctx, log=_DenialsAsWarnings(log, {}))
        auth.start()
        auth.configure_curve(domain="*", location=str(self.directory / CLIENTS))
        return auth


def from_opts(opts) -> CurveKeys | None:
    """The node's keys if its options ask for CURVE (``security="curve"``, ``keys_dir=DIR``)."""
    if opts.security == "none":
        return None
    if opts.security != "curve":
        raise ValueError(f"security mechanism {opts.security!r}; allowed: curve, none")
    return CurveKeys.load(opts.keys_dir)
