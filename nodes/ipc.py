"""ipc:// endpoints (Unix-domain sockets) in a private directory: how a run on one machine
keeps other users out.

A run's directory is made once by its supervisor (``private_dir``): mode 0700, owned by the
user who runs it, under ``$XDG_RUNTIME_DIR`` (itself 0700 on systemd hosts) or ``/tmp``. A
Unix socket is reached through its path, and the kernel checks the search permission of
every directory on that path when another process connects, so a user who is not the owner
(root aside) gets EACCES: its ZeroMQ socket keeps retrying and never receives or delivers a
single message. Every node binds ``DIR/<node>-<channel>``, so a node restarted with the same
id rebinds the same path and its peers reconnect by themselves.

The directory is short on purpose: a Unix socket path holds at most 107 bytes
(``sockaddr_un.sun_path``), whatever the length of the run directory.
"""
from __future__ import annotations

import os
import re
import shutil
import stat
import tempfile

MAX_PATH = 107  # bytes of sockaddr_un.sun_path, without the terminating NUL (Linux)
_ROOM = 40  # what a node id and channel name may add to the directory's path


def _usable(base: str | None) -> bool:
    """A directory that is ours, private (no group/other access) and short enough."""
    if not base or len(base.encode()) > MAX_PATH - _ROOM:
        return False
    try:
        st = os.stat(base)
    except OSError:
        return False
    return stat.S_ISDIR(st.st_mode) and st.st_uid == os.getuid() and not st.st_mode & 0o077


def private_dir() -> str:
    """A new directory for one run's sockets: mode 0700, in ``$XDG_RUNTIME_DIR`` when it is
    ours, private and short, else in the system's temporary directory (``/tmp``)."""
    xdg = os.environ.get("XDG_RUNTIME_DIR")
    base = xdg if _usable(xdg) else ("/tmp" if os.path.isdir("/tmp") else tempfile.gettempdir())
    d = tempfile.mkdtemp(prefix="stagger-", dir=base)  # 0700 by construction
    os.chmod(d, 0o700)
    return d


def endpoint(directory: str, node_id: str, channel: str) -> str:
    """``ipc://DIR/<node>-<channel>``; a path too long for a Unix socket is an error that says so."""
    name = re.sub(r"[^A-Za-z0-9_.-]", "_", f"{node_id}-{channel}")
    path = os.path.join(directory, name)
    if len(path.encode()) > MAX_PATH:
        raise ValueError(f"ipc socket path {path!r} is {len(path.encode())} bytes; a Unix socket path holds at "
                         f"most {MAX_PATH}: use a shorter node id, or a shorter TMPDIR/XDG_RUNTIME_DIR")
    return f"ipc://{path}"


def check_private(directory: str) -> None:
    """Refuse to bind in a directory another user could traverse (or that is not ours)."""
    st = os.stat(directory)
    if st.st_uid != os.getuid() or st.st_mode & 0o077:
        raise PermissionError(f"ipc directory {directory} must be owned by this user with mode 0700 (it is "
                              f"{stat.filemode(st.st_mode)}, uid {st.st_uid}): other users could reach the run")


def remove(directory: str | None) -> None:
    if directory:
        shutil.rmtree(directory, ignore_errors=True)
