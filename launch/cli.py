"""The `stagger` command line (click). Commands live in their own modules; no I/O at import."""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import click

from stagger.launch.cli_fields import NOT_ON_CLI, field_options, field_values
from stagger.launch.config_file import config_option
from stagger.launch.lazy_group import LazyGroup
from stagger.launch.models_cmd import LATENCY, SIZES, model_and_latency
from stagger.launch.models_cmd import models as models_cmd
from stagger.launch.plan import OVERHEAD_S, plan
from stagger.launch.run_config import RunConfig
from stagger.nodes.options import default_of


def _version() -> str:
    try:
        from importlib.metadata import version
        return version("stagger")
    except Exception:
        return "0.1.0"


@click.group(cls=LazyGroup, lazy_subcommands={"bench": "stagger.benchmarks.cli:bench"},
             context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(_version(), prog_name="stagger")
def main():
    """stagger: realtime RL with staggered asynchronous inference (Riemer et al., ICLR 2025).

    A realtime env node steps the world on its own clock; N inference nodes, staggered by a
    clock node, give it a fresh action every k frames however slow one inference is; a
    learner trains from the experience and sends weights back. Every node is a process
    talking ZeroMQ.
    """


def _game_options(speed, max_frames, rom, rom_dir, allow_unknown_rom, fps, **more):
    options = {k: v for k, v in more.items() if v is not None}  # states, setting, level
    if speed is not None:
        options["speed"] = speed
    if max_frames is not None:
        options["max_frames"] = max_frames
    for k, v in (("rom", rom), ("rom_dir", rom_dir), ("fps", fps)):
        if v is not None:
            options[k] = v
    if allow_unknown_rom:
        options["allow_unknown_rom"] = True
    return options


# options of `stagger run` that are not RunConfig fields (the game flags go into game_options)
RUN_CLI_ONLY = ("speed", "max_frames", "rom", "rom_dir", "allow_unknown_rom", "fps", "states", "setting", "level",
                "size", "quiet", "time_mode", "delay_frames", "frames", "config")
RUN_OVERRIDES = {
    "inference_nodes": dict(type=str, default="auto", help="Number of inference nodes, or 'auto' for the plan's N."),
    "inference_latency": dict(type=LATENCY, help=(
        "Simulated inference time in seconds (a real forward pass padded with a wait), or 'from-model': the "
        "chosen model's time measured once on this machine ('from-model:1b': another preset's time).")),
    "model_k": dict(default=None, show_default=False, help=(
        f"IMPALA-CNN width factor k of the real network (wins over --size; default "
        f"{default_of(RunConfig, 'model_k')} = 55K).")),
    "run_dir": dict(default=None, show_default=False, help="Where the run writes its files (default runs/<time>)."),
}


_INSECURE_LINES = (
    "WARNING: --transport tcp --insecure: this run binds plain TCP ports on 127.0.0.1, with no",
    "authentication: ANY user or process on this machine can read the observations and weights",
    "and send actions, experience or control messages. The default, --transport ipc, is private",
    "to your user.")
RUN_INSECURE_WARNING = "\n".join(["!" * 96, *(f"!! {line:<90} !!" for line in _INSECURE_LINES), "!" * 96])


@main.command()
@config_option()
@field_options(RunConfig, exclude=NOT_ON_CLI, overrides=RUN_OVERRIDES)
@click.option("--speed", default=None, help="Game speed preset or value (catcher: slow, normal, fast, fastest or 1-64).")
@click.option("--max-frames", type=int, default=None, help="Frame limit of one episode.")
@click.option("--rom", type=click.Path(dir_okay=False), default=None, help="Your own ROM file (tetris, pokemon).")
@click.option("--rom-dir", type=click.Path(file_okay=False), default=None,
              help="Directory searched for your ROM by checksum (default: $STAGGER_ROM_DIR).")
@click.option("--allow-unknown-rom", is_flag=True, help="Run a ROM whose checksum is not the known one.")
@click.option("--fps", type=float, default=None, help="Frame rate of a gym: env (others have their own).")
@click.option("--states", type=click.Path(file_okay=False), default=None,
              help="Pokemon: directory of your PyBoy save states, one per encounter, in story order.")
@click.option("--setting", type=click.Choice(["battles", "catching"]), default=None,
              help="Pokemon: reward faints (battles) or catches (catching); default battles.")
@click.option("--level", type=click.IntRange(0, 9), default=None, help="Tetris: starting level (default 0).")
@click.option("--size", type=click.Choice(SIZES, case_sensitive=False), default=None,
              help="Model size preset, sets --model-k (default 55k; `stagger models` lists them).")
@click.option("--quiet", is_flag=True, help="No live status line.")
@click.option("--time", "time_mode", type=click.Choice(["realtime", "virtual"]), default="realtime",
              show_default=True, help="virtual: the world advances as fast as the computation allows and "
              "inference latency counts in frames (learning experiments; deterministic for a seed).")
@click.option("--delay-frames", type=click.IntRange(min=1), default=None,
              help="Virtual time: inference delay d in frames (default ceil(latency * fps)).")
@click.option("--frames", type=click.IntRange(min=1), default=20_000, show_default=True,
              help="Virtual time: frames to run (instead of --duration).")
def run(speed, max_frames, rom, rom_dir, allow_unknown_rom, fps, states, setting, level, size, quiet,
        time_mode, delay_frames, frames, **fields):
    """Run every node of a run on this machine and print the summary."""
    from stagger.launch.run import RunError, Supervisor
    from stagger.launch.status import StatusLine

    v = field_values(RunConfig, fields)
    game, mode, action_every = v["game"], v["mode"], v["action_every"]
    game_options = _game_options(speed, max_frames, rom, rom_dir, allow_unknown_rom, fps,
                                 states=states, setting=setting, level=level)
    try:
        from stagger.games.registry import preflight
        game_options, warnings = preflight(game, game_options)
    except ValueError as exc:
        raise click.ClickException(str(exc))
    for w in warnings:
        click.echo(f"warning: {w}", err=True)
    model_k, inference_latency, latency_label = model_and_latency(
        game, game_options, v["model"], size, v["model_k"], v["inference_latency"])
    if v["inference_nodes"] == "auto":  # the plan's N at the game's own frame rate
        from stagger.launch.run import probe_game
        game_fps = fps or probe_game(game, game_options)["fps"]
        n = plan(inference_latency, game_fps, action_every, overhead_s=v["margin_s"])["inference_nodes_with_overhead"]
    else:
        try:
            n = int(v["inference_nodes"])
        except ValueError:
            raise click.BadParameter("an integer or 'auto'", param_hint="--inference-nodes")
    run_dir = v["run_dir"] or f"runs/{time.strftime('%Y%m%d-%H%M%S')}"
    if time_mode == "virtual":
        from dataclasses import fields as dc_fields
        from stagger.launch.preflight import check_specs
        from stagger.launch.run import probe_game
        from stagger.launch.virtual_run import run_virtual_cli
        from stagger.nodes.virtual import VirtualConfig
        try:  # your own model and learner, before anything runs
            check_specs(v["model"], v["learner_spec"] if v["learner"] else "", probe_game(game, game_options),
                        v["seed"])
        except ValueError as exc:
            raise click.ClickException(str(exc))
        shared = {f.name for f in dc_fields(VirtualConfig)} - {"game", "game_options", "mode", "algorithm"}
        summary = run_virtual_cli(
            click.echo, game=game, game_options=game_options, mode=mode,
            nodes=0 if v["inference_nodes"] == "auto" else n, delay_frames=delay_frames,
            latency_s=inference_latency, frames=frames, run_dir=run_dir, algorithm=v["algorithm"],
            **{**{k: x for k, x in v.items() if k in shared}, "model_k": model_k})
        click.echo(json.dumps(summary, indent=1))
        return
    try:
        cfg = RunConfig(**{**v, "game_options": game_options, "inference_nodes": n, "run_dir": run_dir,
                           "model_k": model_k, "inference_latency": inference_latency})
    except ValueError as exc:
        raise click.ClickException(str(exc))
    if cfg.transport == "tcp" and cfg.insecure:
        click.echo(RUN_INSECURE_WARNING, err=True)
    elif cfg.insecure:
        click.echo("note: --insecure has no effect with --transport ipc (the run stays private to your user)", err=True)
    label = f" (inference latency {inference_latency:.4f} s, {latency_label})" if inference_latency else ""
    k, workers = cfg.workers_per_process, n if mode == "staggered" else 1
    procs = f"{workers} inference process(es)" if k == 1 else f"{workers} inference workers in {-(-workers // k)} processes"
    click.echo(f"stagger run: {game}, {mode}, {procs}{label}, run dir {run_dir}")
    try:
        summary = Supervisor(cfg, StatusLine(enabled=not quiet)).run()
    except RunError as exc:
        raise click.ClickException(str(exc))
    except KeyboardInterrupt:
        click.echo("interrupted: nodes stopped", err=True)
        sys.exit(130)
    click.echo(json.dumps(summary, indent=1))
    progress = json.loads((Path(run_dir) / "details.json").read_text()).get("progress")
    if progress:  # Pokemon: how far the encounter walk got
        click.echo(f"progress: {json.dumps(progress)}")


@main.command("plan")
@click.option("--inference-time", type=float, required=True, help="Inference time t_theta in seconds.")
@click.option("--fps", type=float, default=59.7275, show_default=True, help="Env frame rate.")
@click.option("--action-every", type=int, default=default_of(RunConfig, "action_every"), show_default=True,
              help="Action cadence k in frames.")
@click.option("--learn-time", type=float, default=None, help="Time of one learning update in seconds.")
@click.option("--overhead", type=float, default=OVERHEAD_S, show_default=True,
              help="Framework overhead per action in seconds (added in the second N; the clock's --margin-s).")
def plan_cmd(inference_time, fps, action_every, learn_time, overhead):
    """The paper's formulas: processes needed, action interval and delay."""
    try:
        p = plan(inference_time, fps, action_every, learn_time, overhead)
    except ValueError as exc:
        raise click.ClickException(str(exc))
    for k, v in p.items():
        click.echo(f"{k:34s} {v}")


@main.command()
@click.argument("trace", type=click.Path(exists=True, dir_okay=False))
def replay(trace):
    """Replay a recorded node trace (inference or env) into the node's core and compare."""
    from stagger.nodes.replay import replay as do_replay
    res = do_replay(trace)
    diff = res.first_difference()
    click.echo(f"{len(res.expected)} recorded outputs, {len(res.got)} replayed")
    if diff is not None or not res.ok:
        raise click.ClickException(f"replay differs at {diff}")
    click.echo("replay matches the recording")


@main.command()
@click.argument("kind", type=click.Choice(["env", "clock", "inference", "learner", "sequential"]))
@click.option("--opts", "opts_file", type=click.Path(exists=True, dir_okay=False), default=None,
              help="JSON options file (as stagger run writes into RUN_DIR/nodes/).")
@click.option("--connect", multiple=True, help="CHANNEL=ENDPOINT, e.g. obs=tcp://10.0.0.1:5555 (repeatable).")
@click.option("--node-id", default=None, help="Node id (default: the kind).")
@click.option("--run-dir", type=click.Path(file_okay=False), default=".", show_default=True,
              help="Where the node writes its files.")
@click.option("--connection", "connection_file", type=click.Path(exists=True, dir_okay=False), default=None,
              help="Join a running run (stagger run or stagger launch): its RUN_DIR/connection.json "
                   "(addresses, ports, public keys, options).")
@click.option("--keys", "keys_dir", type=click.Path(file_okay=False), default=None,
              help="The run's CurveZMQ keys directory, if not where the connection file says.")
@click.option("--resume", type=click.Path(exists=True, file_okay=False), default=None,
              help="Learner: continue from RUN_DIR/checkpoint.pt (missed experience is counted as dropped).")
def node(kind, opts_file, connect, node_id, run_dir, connection_file, keys_dir, resume):
    """Run one node in the foreground (to join a run from another machine)."""
    from dataclasses import replace

    from stagger.launch.node import run_node
    from stagger.nodes.options import OptionsError, load
    if resume and kind != "learner":
        raise click.BadParameter(f"only a learner resumes, not a {kind} node", param_hint="--resume")
    data = json.loads(Path(opts_file).read_text()) if opts_file else {}
    try:
        opts = load(kind, data)
    except OptionsError as exc:
        raise click.ClickException(f"{opts_file}: {exc}")
    if connection_file:
        from stagger.launch.remote import connection
        try:
            conn_doc = connection.read(connection_file)
            default_id = f"{kind}-{connection.short_host()}" if kind == "inference" else kind
            opts = connection.node_opts(conn_doc, kind, node_id or default_id,
                                        resume if resume and run_dir == "." else run_dir, keys_dir, base=opts)
        except (connection.ConnectionFileError, OptionsError) as exc:
            raise click.ClickException(str(exc))
    if resume:
        opts = replace(opts, resume=resume)
    conn = dict(opts.connect)
    for item in connect:
        if "=" not in item:
            raise click.BadParameter(f"{item!r}: expected CHANNEL=ENDPOINT", param_hint="--connect")
        ch, ep = item.split("=", 1)
        conn[ch] = ep
    # a run directory from the options or connection file wins over --run-dir
    opts = replace(opts, connect=conn, node_id=node_id or opts.node_id or kind,
                   run_dir=opts.run_dir if "run_dir" in data or connection_file else run_dir)
    Path(opts.run_dir).mkdir(parents=True, exist_ok=True)
    sys.exit(run_node(kind, opts))


# Commands defined in their own modules register here, one line each.
# (keep this block at the end of the file)
# (`stagger bench` is loaded by name from benchmarks.cli: see LazyGroup)
from stagger.measure.report import report  # noqa: E402
main.add_command(report)
main.add_command(models_cmd)
from stagger.launch.remote.command import agent as agent_cmd, launch as launch_cmd  # noqa: E402
main.add_command(launch_cmd)
main.add_command(agent_cmd)
from stagger.launch.top import top as top_cmd  # noqa: E402
main.add_command(top_cmd)


if __name__ == "__main__":
    main()
