"""Inference workers grouped into processes (``--workers-per-process K``): N workers in
ceil(N / K) processes. A worker keeps its id (``inf07`` is worker 7 however they are
grouped); a process of several is named after its first worker (``inf07+3``: it hosts inf07
and the 3 after it). K = 1 is one process per worker named by the worker's id, as before."""
from __future__ import annotations


def group(ids: list[str], k: int) -> list[tuple[str, list[str]]]:
    """``(process id, its worker ids)`` for ``ids`` in order, at most ``k`` a process; a
    process of one worker has that worker's id and an empty list (an ordinary inference node)."""
    if k < 1:
        raise ValueError(f"workers per process must be >= 1, got {k}")
    out = []
    for start in range(0, len(ids), k):
        chunk = ids[start:start + k]
        out.append((chunk[0], []) if len(chunk) == 1 else (f"{chunk[0]}+{len(chunk) - 1}", chunk))
    return out
