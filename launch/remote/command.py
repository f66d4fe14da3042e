"""The ``stagger launch`` command (several machines) and the hidden ``stagger agent`` it
starts on every host. No I/O at import."""
from __future__ import annotations

import json
import sys
import time

import click

from stagger.launch.cli_fields import NOT_ON_CLI, NOT_ON_LAUNCH, field_options, field_values
from stagger.launch.config_file import config_option
from stagger.launch.remote.options import LaunchOptions
from stagger.launch.run_config import RunConfig

_INSECURE_LINES = (
    "WARNING: --insecure: this run's sockets use plain TCP (on the network, or on loopback) with",
    "no authentication: anyone who can reach a port reads the observations and weights, and can",
    "send actions, experience or control messages. Use it only on a network you trust.")
INSECURE_WARNING = "\n".join(["!" * 96, *(f"!! {line:<90} !!" for line in _INSECURE_LINES), "!" * 96])

NOT_FORWARDED = {"print_sbatch", "sbatch_nodes", "sbatch_option", "via", "hosts", "hostfile", "config"}


def forward_args(ctx: click.Context) -> list[str]:
    """The options the user gave on the command line or in a --config file, as arguments again
    (for the sbatch script, which then needs no config file; the hosts come from the allocation
    there)."""
    from click.core import ParameterSource
    args: list[str] = []
    for p in ctx.command.params:
        if p.name in NOT_FORWARDED or not isinstance(p, click.Option):
            continue
        if ctx.get_parameter_source(p.name) not in (ParameterSource.COMMANDLINE, ParameterSource.ENVIRONMENT,
                                                     ParameterSource.DEFAULT_MAP):
            continue
        value, opt = ctx.params[p.name], max(p.opts, key=len)
        if p.is_flag:  # --flag (or --no-flag) when it is set
            args += [opt] if value == p.flag_value else []
        elif p.multiple:
            for v in value:
                args += [opt, str(v)]
        else:
            args += [opt, str(value)]
    return args


# options of `stagger launch` that are neither RunConfig nor LaunchOptions fields: where the
# nodes run and how they are reached, the sbatch helper, the one game flag, the terminal
LAUNCH_CLI_ONLY = ("hosts", "hostfile", "placement_file", "env_host", "learner_host", "inference_per_host", "via",
                   "ssh_config", "ssh_option", "remote_cmd", "print_sbatch", "sbatch_nodes", "sbatch_option",
                   "speed", "quiet", "config")
LAUNCH_OVERRIDES = {
    "run_dir": dict(default=None, show_default=False, help="Run directory (default runs/<time>)."),
}


@click.command("launch")
@config_option(implied=NOT_ON_LAUNCH)
@click.option("--hosts", default=None, help="Hosts, e.g. h1,h2:4,node[01-03],gpu01:8@cuda:0-3 (host:n runs n "
              "inference nodes there; @DEVICES spreads them over cpu, cuda, cuda:N or cuda:N-M).")
@click.option("--hostfile", type=click.Path(exists=True, dir_okay=False), default=None,
              help="File with one host[:n] (or 'host slots=n') a line.")
@click.option("--placement", "placement_file", type=click.Path(exists=True, dir_okay=False), default=None,
              help="TOML placement: env = \"host\", learner = \"host\", [inference] host = count "
                   "(or host = {count = 8, devices = \"cuda:0-3\"}).")
@click.option("--env-host", default=None, help="Host of the env and the clock: a name or @N (default: the first).")
@click.option("--learner-host", default=None, help="Host of the learner: a name or @N (default: the env's host).")
@click.option("--inference-per-host", type=click.IntRange(min=0), default=1, show_default=True,
              help="Inference nodes on every host given without ':n'.")
@click.option("--via", type=click.Choice(["ssh", "slurm"]), default="ssh", show_default=True,
              help="ssh (BatchMode, your keys and ~/.ssh/config) or slurm (srun inside an allocation; "
                   "hosts: the allocation's nodes unless --hosts).")
@click.option("--ssh-config", type=click.Path(exists=True, dir_okay=False), default=None,
              help="ssh client configuration file (ssh -F FILE).")
@click.option("--ssh-option", multiple=True, help="Extra ssh option, e.g. Port=2222 (ssh -o; repeatable).")
@click.option("--remote-cmd", default="stagger", show_default=True,
              help="How to run stagger on the hosts (shell words), e.g. /opt/venv/bin/stagger.")
@field_options(LaunchOptions)
@click.option("--print-sbatch", is_flag=True, help="Print an sbatch script that runs this launch under Slurm; exit.")
@click.option("--sbatch-nodes", type=click.IntRange(min=1), default=2, show_default=True,
              help="Nodes the sbatch script asks for.")
@click.option("--sbatch-option", multiple=True, help="Extra #SBATCH line, e.g. --partition=gpu (repeatable).")
@field_options(RunConfig, exclude={**NOT_ON_CLI, **NOT_ON_LAUNCH}, overrides=LAUNCH_OVERRIDES)
@click.option("--speed", default=None, help="Game speed preset or value (catcher).")
@click.option("--quiet", is_flag=True, help="No node logs and no status on the terminal (they are still in RUN_DIR/logs).")
def launch(hosts, hostfile, placement_file, env_host, learner_host, inference_per_host, via, ssh_config,
           ssh_option, remote_cmd, print_sbatch, sbatch_nodes, sbatch_option, speed, quiet, **fields):
    """Run one staggered run over several machines (ssh or Slurm), CurveZMQ on every socket (unless --insecure)."""
    import os

    from stagger.launch.remote.hosts import HostError, load_placement, make_placement, parse_hosts, read_hostfile, slurm_hosts
    from stagger.launch.remote.launcher import Launcher
    from stagger.launch.remote.transport import LaunchError, Transport
    from stagger.launch.remote.slurm import job_nodelist
    from stagger.launch.run import RunError
    from stagger.launch.status import StatusLine
    from stagger.launch.remote.streams import Printer

    run_values, launch_values = field_values(RunConfig, fields), field_values(LaunchOptions, fields)
    if print_sbatch:
        from stagger.launch.remote.slurm import sbatch_script
        click.echo(sbatch_script(forward_args(click.get_current_context()), nodes=sbatch_nodes,
                                 duration_s=run_values["duration"], remote_cmd=remote_cmd, options=sbatch_option),
                   nl=False)
        return
    try:
        if placement_file:
            placement = load_placement(placement_file)
        else:
            specs = (parse_hosts(hosts) if hosts else read_hostfile(hostfile) if hostfile
                     else slurm_hosts(os.environ, job_nodelist(os.environ)) if via == "slurm" else None)
            if specs is None:
                raise HostError("give the hosts: --hosts h1,h2:4, --hostfile FILE or --placement FILE "
                                "(or --via slurm inside an allocation)")
            placement = make_placement(specs, env_host, learner_host, inference_per_host)
    except (HostError, OSError) as exc:
        raise click.ClickException(str(exc))
    lo = LaunchOptions(**launch_values)
    if run_values["insecure"]:
        click.echo(INSECURE_WARNING, err=True)
    import signal
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # stop the nodes in order, as Ctrl-C
    run_dir = run_values.pop("run_dir") or f"runs/{time.strftime('%Y%m%d-%H%M%S')}"
    game_options = {"speed": speed} if speed is not None else {}
    try:
        cfg = RunConfig(**run_values, game_options=game_options, inference_nodes=len(placement.inference_nodes()),
                        run_dir=run_dir, transport="tcp")  # between hosts; CurveZMQ unless --insecure
        transport = Transport(via, remote_cmd, ssh_config, tuple(ssh_option))
        click.echo(f"stagger launch: {placement.describe()}, run dir {run_dir}")
        summary = Launcher(cfg, placement, transport, lo, StatusLine(enabled=not quiet),
                           Printer(enabled=not quiet)).run()
    except (ValueError, LaunchError, RunError) as exc:
        raise click.ClickException(str(exc))
    except KeyboardInterrupt:
        click.echo("interrupted: every node stopped", err=True)
        sys.exit(130)
    click.echo(json.dumps(summary, indent=1))


@click.command("agent", hidden=True)
def agent():
    """(internal) The remote end of a node started by stagger launch; its payload comes on stdin."""
    from stagger.launch.remote.agent import main
    sys.exit(main())
