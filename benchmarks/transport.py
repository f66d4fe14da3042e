"""`stagger bench transport`: what each transport costs per message, on this machine.

A run's socket security has a price per message; this measures it, with stagger's own
encoded messages (an 84x84 uint8 Observation, about 7 KB; an Action, about 100 bytes), between
two processes on this machine:

- ``tcp``: plain TCP on 127.0.0.1 (``stagger run --transport tcp --insecure``: any local user
  reaches it);
- ``ipc``: Unix sockets in a private 0700 directory (``stagger run``'s default, nodes/ipc.py);
- ``curve``: TCP on 127.0.0.1 with CurveZMQ and a ZAP handler, as ``stagger launch`` runs.

For each: the round trip "observation out, action back" (what the env and an inference node
do, minus the inference), back to back and paced at the env's frame rate (ZeroMQ is slower
after an idle gap: libzmq issue #4673), and "action out, action back"; p50 and p99 in
microseconds; and one-way throughput (messages/s, PUSH -> PULL, back to back) for both sizes.
The echo side is a fresh process (spawn) that binds, as the env does; the measuring side
connects, as an inference node does.
"""
from __future__ import annotations

import json
import multiprocessing as mp
import os
import tempfile
import time

import click

TRANSPORTS = ("tcp", "ipc", "curve")
FPS = 59.7275


def _frames(kind: str) -> list[bytes]:
    import numpy as np

    from stagger.protocol import codec
    from stagger.protocol.messages import Action, Observation
    if kind == "obs":
        msg = Observation(frame=1234, arrays=(np.random.default_rng(0).integers(0, 255, (84, 84), dtype=np.uint8),))
    else:
        msg = Action(frame=1234, action=2, inference_s=0.1, land=1240)
    return [bytes(f) for f in codec.encode(msg.stamped("bench", 1, 0.0))]


def _sockets(ctx, transport: str, role: str, keys_dir: str | None, where: str | None = None):
    """(in, out) of one side: the server binds a PULL and a PUSH, the client connects."""
    import zmq

    from stagger.nodes import ipc
    from stagger.nodes.security import CurveKeys
    keys = CurveKeys.load(keys_dir) if transport == "curve" else None
    pull, push = ctx.socket(zmq.PULL), ctx.socket(zmq.PUSH)
    for s in (pull, push):
        s.linger = 0
        s.sndhwm = s.rcvhwm = 100_000
        if keys is not None:
            (keys.server if role == "server" else keys.client)(s)
    if role == "client":
        return pull, push
    eps = []
    for name, s in (("in", pull), ("out", push)):
        if transport == "ipc":
            ep = ipc.endpoint(where, "bench", name)
            s.bind(ep)
        else:
            ep = f"tcp://127.0.0.1:{s.bind_to_random_port('tcp://127.0.0.1')}"
        eps.append(ep)
    return pull, push, eps


def _serve(transport: str, keys_dir: str | None, where: str | None, conn) -> None:
    """The echo side: answer every message with an Action; a throughput burst (a b"n" frame
    first) is counted and answered once at its end."""
    import zmq
    ctx = zmq.Context()
    auth = None
    if transport == "curve":
        from stagger.nodes.security import CurveKeys
        auth = CurveKeys.load(keys_dir).authenticator(ctx)
    pull, push, eps = _sockets(ctx, transport, "server", keys_dir, where)
    conn.send(eps)
    reply = _frames("action")
    while True:
        frames = pull.recv_multipart(copy=False)
        head = frames[0].bytes
        if head == b"quit":
            break
        if head.startswith(b"n"):  # a burst of n messages follows
            for _ in range(int(head[1:])):
                pull.recv_multipart(copy=False)
        push.send_multipart(reply, copy=False)
    pull.close()
    push.close()
    if auth is not None:
        auth.stop()
    ctx.term()


def _pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


def measure(transport: str, rounds: int, paced_rounds: int, burst: int) -> dict:
    """The figures of one transport (see the module docstring)."""
    import zmq

    from stagger.nodes import ipc
    from stagger.nodes.security import generate_keys
    tmp = tempfile.mkdtemp(prefix="stagger-bench-")
    where = ipc.private_dir() if transport == "ipc" else None
    keys_dir = str(generate_keys(os.path.join(tmp, "keys"))) if transport == "curve" else None
    parent, child = mp.get_context("spawn").Pipe()
    server = mp.get_context("spawn").Process(target=_serve, args=(transport, keys_dir, where, child), daemon=True)
    server.start()
    eps = parent.recv()
    ctx = zmq.Context()
    pull, push = _sockets(ctx, transport, "client", keys_dir)
    pull.connect(eps[1])
    push.connect(eps[0])
    obs, action = _frames("obs"), _frames("action")
    out = {"transport": transport, "obs_bytes": sum(map(len, obs)), "action_bytes": sum(map(len, action))}
    try:
        for _ in range(200):  # warm-up (and the CURVE handshake)
            push.send_multipart(obs)
            pull.recv_multipart()
        for name, frames, n, period in (("obs_rtt", obs, rounds, 0.0), ("action_rtt", action, rounds, 0.0),
                                        ("obs_rtt_paced", obs, paced_rounds, 1.0 / FPS)):
            times, next_t = [], time.perf_counter()
            for _ in range(n):
                if period:
                    next_t += period
                    time.sleep(max(0.0, next_t - time.perf_counter()))
                t0 = time.perf_counter_ns()
                push.send_multipart(frames, copy=False)
                pull.recv_multipart(copy=False)
                times.append((time.perf_counter_ns() - t0) / 1e3)
            out[name] = {"p50_us": round(_pct(times, 0.5), 1), "p99_us": round(_pct(times, 0.99), 1), "n": n}
        for name, frames in (("obs_per_s", obs), ("action_per_s", action)):
            t0 = time.perf_counter()
            push.send_multipart([b"n%d" % burst])
            for _ in range(burst):
                push.send_multipart(frames, copy=False)
            pull.recv_multipart()
            out[name] = round(burst / (time.perf_counter() - t0))
        push.send_multipart([b"quit"])
    finally:
        server.join(10)
        if server.is_alive():
            server.kill()
        pull.close()
        push.close()
        ctx.term()
        ipc.remove(where)
        ipc.remove(tmp)
    return out


def median_of(runs: list[dict]) -> dict:
    """One transport's figures over interleaved repeats: the median of each (the machine's
    load moves between repeats; interleaving spreads it over the transports alike)."""
    import statistics
    out = dict(runs[0], repeats=len(runs))
    for k, v in runs[0].items():
        if isinstance(v, dict):
            out[k] = {q: (statistics.median(r[k][q] for r in runs) if q != "n" else v[q]) for q in v}
        elif k.endswith("_per_s"):
            out[k] = round(statistics.median(r[k] for r in runs))
    return out


def table(results: list[dict]) -> str:
    lines = [f"{'transport':<10}{'obs->action p50/p99 us':>24}{'paced 60 Hz p50/p99':>22}"
             f"{'action->action p50/p99':>24}{'obs msgs/s':>12}{'action msgs/s':>15}"]
    for r in results:
        def pp(k):
            return f"{r[k]['p50_us']:.0f} / {r[k]['p99_us']:.0f}"
        lines.append(f"{r['transport']:<10}{pp('obs_rtt'):>24}{pp('obs_rtt_paced'):>22}{pp('action_rtt'):>24}"
                     f"{r['obs_per_s']:>12,}{r['action_per_s']:>15,}")
    return "\n".join(lines)


@click.command("transport")
@click.option("--rounds", type=click.IntRange(min=10), default=3000, show_default=True,
              help="Back-to-back round trips per message size.")
@click.option("--paced-rounds", type=click.IntRange(min=10), default=180, show_default=True,
              help="Round trips at the env's frame rate (one every 16.7 ms).")
@click.option("--burst", type=click.IntRange(min=100), default=20_000, show_default=True,
              help="Messages per one-way throughput burst.")
@click.option("--repeat", type=click.IntRange(min=1), default=3, show_default=True,
              help="Interleaved repeats of every transport; the figures are their medians.")
@click.option("--transport", "transports", multiple=True, type=click.Choice(TRANSPORTS),
              help="Only these (repeatable; default all three).")
@click.option("--out", type=click.Path(dir_okay=False), default=None, help="Also write the figures as JSON here.")
def transport(rounds, paced_rounds, burst, repeat, transports, out):
    """Cost per message of tcp (plain loopback), ipc (the default, private directory) and
    curve (CurveZMQ on loopback): round-trip p50/p99 and one-way msgs/s."""
    names = transports or TRANSPORTS
    runs = {t: [] for t in names}
    for _ in range(repeat):
        for t in names:
            runs[t].append(measure(t, rounds, paced_rounds, burst))
    results = [median_of(runs[t]) for t in names]
    click.echo(f"obs message {results[0]['obs_bytes']} bytes, action message {results[0]['action_bytes']} bytes; "
               f"2 processes on this machine ({os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}); "
               f"medians of {repeat} interleaved repeats")
    click.echo(table(results))
    if out:
        with open(out, "w") as f:
            json.dump(results, f, indent=1)
