"""`stagger top`: a live view of a running run, from its supervisor's monitor PUB
(launch.monitor). A subscriber only: the run does not know it is watched."""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import click


def monitor_address(run_dir: str | None, connection_file: str | None, keys: str | None,
                    wait_s: float) -> tuple[str, str | None]:
    """(endpoint, CurveZMQ keys directory or None) of a run's monitor PUB."""
    if connection_file:
        from stagger.launch.remote import connection
        try:
            conn = connection.read(connection_file)
        except connection.ConnectionFileError as exc:
            raise click.ClickException(str(exc))
        endpoint = conn["endpoints"].get("monitor")
        if not endpoint:
            raise click.ClickException(f"{connection_file} names no monitor endpoint (a run of an "
                                       "older stagger): watch it with `stagger top RUN_DIR` on its host")
        sec = conn.get("security") or {}
        keys_dir = (keys or sec.get("keys_dir")) if sec.get("mechanism") == "curve" else None
    else:
        path = Path(run_dir) / "monitor.json"
        deadline = time.monotonic() + wait_s
        while not path.exists():  # the supervisor writes it as it starts
            if time.monotonic() > deadline:
                raise click.ClickException(
                    f"no run at {run_dir}: {path} is missing (is a `stagger run --run-dir {run_dir}` "
                    "running? a launched run can also be watched with --connection RUN_DIR/connection.json)")
            time.sleep(0.1)
        doc = json.loads(path.read_text())
        endpoint = doc["endpoint"]
        keys_dir = (keys or doc.get("keys_dir")) if doc.get("security") == "curve" else None
    if keys_dir is not None and not Path(keys_dir).is_dir():
        raise click.ClickException(f"the run uses CurveZMQ but its keys directory {keys_dir!r} is not "
                                   "here: copy it (it holds secrets: keep it 0700) and pass --keys DIR")
    return endpoint, keys_dir


def subscribe(ctx, endpoint: str, keys_dir: str | None):
    """A SUB on a run's monitor PUB (a CurveZMQ client with the run's keys if it has them)."""
    from stagger.protocol.topology import make_socket
    sock = make_socket(ctx, "monitor", "connect")
    if keys_dir:
        from stagger.nodes.security import CurveKeys
        CurveKeys.load(Path(keys_dir)).client(sock)
    sock.connect(endpoint)
    return sock


def receive(sock, state) -> int:
    """Every Stats waiting on ``sock``, into ``state``; returns how many (bad ones are skipped)."""
    import zmq

    from stagger.protocol.errors import ProtocolError
    from stagger.protocol.topology import decode_on
    n = 0
    while True:
        try:
            frames = sock.recv_multipart(flags=zmq.NOBLOCK, copy=False)
        except zmq.Again:
            return n
        try:
            msg = decode_on("monitor", frames)
        except ProtocolError:
            continue
        state.ingest(msg.node, msg.kind, msg.data, time.monotonic())
        n += 1


def watch(endpoint: str, keys_dir: str | None, refresh: float, exit_when_done: bool) -> None:
    import zmq
    from rich.console import Console
    from rich.live import Live

    from stagger.measure.live import LiveState, render

    ctx = zmq.Context()
    sock = subscribe(ctx, endpoint, keys_dir)
    state, console = LiveState(), Console()
    title = f"stagger top {endpoint}"
    tty = console.is_terminal
    if not tty:  # a file or a pipe: wide enough for every column
        console = Console(width=160)
    live = Live(render(state, time.monotonic(), title), console=console,
                refresh_per_second=refresh, transient=False) if tty else None
    next_print = 0.0
    try:
        if live is not None:
            live.start()
        while True:
            if sock.poll(1000.0 / refresh):
                receive(sock, state)
            now = time.monotonic()
            if live is not None:
                live.update(render(state, now, title))
            elif now >= next_print:  # not a terminal: the same panel, as text, every 2 s
                next_print = now + 2.0
                console.print(render(state, now, title))
            if exit_when_done and state.run.get("phase") == "done":
                break
    except KeyboardInterrupt:
        pass
    finally:
        if live is not None:
            live.stop()
        else:
            console.print(render(state, time.monotonic(), title))
        sock.close(linger=0)
        ctx.term()


@click.command("top")
@click.argument("run_dir", type=click.Path(file_okay=False), required=False)
@click.option("--connection", "connection_file", type=click.Path(exists=True, dir_okay=False), default=None,
              help="A launched run's RUN_DIR/connection.json (from any host that reaches the launcher).")
@click.option("--keys", "keys_dir", type=click.Path(file_okay=False), default=None,
              help="The run's CurveZMQ keys directory, if not where the run's files say.")
@click.option("--refresh", type=click.FloatRange(0.5, 20), default=4.0, show_default=True,
              help="Redraws per second.")
@click.option("--wait", "wait_s", type=float, default=10.0, show_default=True,
              help="Seconds to wait for RUN_DIR/monitor.json to appear (a run just starting).")
@click.option("--keep/--exit", "keep", default=False, show_default=True,
              help="--exit: stop when the run ends; --keep: stay until Ctrl-C.")
def top(run_dir, connection_file, keys_dir, refresh, wait_s, keep):
    """A live view of a running run: every node (kind, host, state, last tick, inference p50,
    missed starts, drops, rejections), the env, the clock and the learner. Ctrl-C quits."""
    if not run_dir and not connection_file:
        raise click.UsageError("give RUN_DIR or --connection FILE")
    endpoint, keys = monitor_address(run_dir, connection_file, keys_dir, wait_s)
    watch(endpoint, keys, refresh, exit_when_done=not keep)
    sys.stdout.flush()
