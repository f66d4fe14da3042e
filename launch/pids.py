"""``RUN_DIR/pids.json``: where every node of a run is, so an operator (or a test) can signal it.

::

    {"env": {"pid": 4242, "host": "vm", "started": 1764856800.1, "started_utc": "2026-12-04T14:00:00Z",
             "restarts": 0}, ...}

Written when each node starts and rewritten when one is restarted (its new pid, its restart
count). ``stagger run`` records its children's pids; ``stagger launch`` the pid each node has
on its own host, as its agent reports it (``host`` is the host as the placement names it).
``started`` is wall-clock time (``time.time()``): it is for people and logs, never compared
across hosts. The file is replaced atomically, so a reader never sees half of it; a lock
keeps the launcher's log threads (which learn the remote pids) from losing each other's
entries.
"""
from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

FILE = "pids.json"
_lock = threading.Lock()


def read(run_dir) -> dict[str, dict]:
    """The nodes recorded so far (an empty dict if none are)."""
    try:
        return json.loads((Path(run_dir) / FILE).read_text())
    except (OSError, ValueError):
        return {}


def reset(run_dir) -> None:
    """An empty file: a run directory used again must not show the last run's processes."""
    with _lock:
        _write(Path(run_dir), {})


def record_start(run_dir, node_id: str, pid: int, host: str, restarts: int | None = None) -> dict:
    """Record that ``node_id`` started as ``pid`` on ``host``. ``restarts``: how many times it
    has been restarted (None: one more than recorded before, 0 the first time). Returns the entry."""
    with _lock:
        doc = read(run_dir)
        if restarts is None:
            restarts = doc[node_id]["restarts"] + 1 if node_id in doc else 0
        now = time.time()
        doc[node_id] = {"pid": int(pid), "host": host, "started": round(now, 3),
                        "started_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now)),
                        "restarts": int(restarts)}
        _write(Path(run_dir), doc)
        return doc[node_id]


def _write(run_dir: Path, doc: dict) -> None:
    tmp = run_dir / f".{FILE}.{os.getpid()}.{threading.get_ident()}"
    tmp.write_text(json.dumps(doc, indent=1))
    os.replace(tmp, run_dir / FILE)
