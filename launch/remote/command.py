"""The ``stagger launch`` command (several machines) and the hidden ``stagger agent`` it
starts on every host. No I/O at import."""
from __future__ import annotations

import json
import sys
import time

import click

from launch import run_options as opt

INSECURE_WARNING = """\
!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!
!! WARNING: --insecure: this run's sockets use plain TCP on the network, with no        !!
!! authentication: anyone who can reach a port reads the observations and weights, and  !!
!! can send actions, experience or control messages. Use it only on a network you trust. !!
!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"""

NOT_FORWARDED = {"print_sbatch", "sbatch_nodes", "sbatch_option", "via", "hosts", "hostfile"}


def forward_args(ctx: click.Context) -> list[str]:
    """The options the user gave on the command line, as arguments again (for the sbatch script;
    the hosts come from the allocation there)."""
    from click.core import ParameterSource
    args: list[str] = []
    for p in ctx.command.params:
        if p.name in NOT_FORWARDED or not isinstance(p, click.Option):
            continue
        if ctx.get_parameter_source(p.name) not in (ParameterSource.COMMANDLINE, ParameterSource.ENVIRONMENT):
            continue
        value, opt = ctx.params[p.name], max(p.opts, key=len)
        if p.is_flag:
            args += [opt] if value else []
        elif p.multiple:
            for v in value:
                args += [opt, str(v)]
        else:
            args += [opt, str(value)]
    return args


@click.command("launch")
@click.option("--hosts", default=None, help="Hosts, e.g. h1,h2:4,node[01-03] (host:n runs n inference nodes there).")
@click.option("--hostfile", type=click.Path(exists=True, dir_okay=False), default=None,
              help="File with one host[:n] (or 'host slots=n') a line.")
@click.option("--placement", "placement_file", type=click.Path(exists=True, dir_okay=False), default=None,
              help="TOML placement: env = \"host\", learner = \"host\", [inference] host = count.")
@click.option("--env-host", default=None, help="Host of the env and the clock: a name or @N (default: the first).")
@click.option("--learner-host", default=None, help="Host of the learner: a name or @N (default: the env's host).")
@click.option("--inference-per-host", type=click.IntRange(min=0), default=1, show_default=True,
              help="Inference nodes on every host given without ':n'.")
@click.option("--via", type=click.Choice(["ssh", "slurm"]), default="ssh", show_default=True,
              help="ssh (BatchMode, your keys and ~/.ssh/config) or slurm (srun inside an allocation; "
                   "hosts from SLURM_JOB_NODELIST unless --hosts).")
@click.option("--ssh-config", type=click.Path(exists=True, dir_okay=False), default=None,
              help="ssh client configuration file (ssh -F FILE).")
@click.option("--ssh-option", multiple=True, help="Extra ssh option, e.g. Port=2222 (ssh -o; repeatable).")
@click.option("--remote-cmd", default="stagger", show_default=True,
              help="How to run stagger on the hosts (shell words), e.g. /opt/venv/bin/stagger.")
@click.option("--remote-dir", default=None, help="Run directory on the hosts (default: the absolute --run-dir).")
@click.option("--launcher-address", default=None,
              help="This machine's address as the hosts reach it (default: from the route to them).")
@click.option("--bind-all", is_flag=True, help="Bind every interface (0.0.0.0), not just each host's address.")
@click.option("--base-port", type=click.IntRange(0, 65528), default=0, show_default=True,
              help="Fixed ports BASE..BASE+6 on every host (0: random ports, reported by the nodes).")
@click.option("--insecure", is_flag=True, help="Plain TCP off loopback: no CurveZMQ (warned about loudly).")
@click.option("--keys", "keys_dir", type=click.Path(file_okay=False), default=None,
              help="The run's CurveZMQ keys directory (created if empty; default RUN_DIR/keys).")
@click.option("--learner-restarts", type=click.IntRange(min=0), default=1, show_default=True,
              help="Times a learner that exits is restarted from its last checkpoint.")
@click.option("--checkpoint-every", type=click.IntRange(min=0), default=2000, show_default=True,
              help="Learner updates between checkpoints (0: only when it stops).")
@click.option("--resume", type=click.Path(exists=True, file_okay=False), default=None,
              help="Start the learner from RUN_DIR/checkpoint.pt of an earlier run.")
@click.option("--print-sbatch", is_flag=True, help="Print an sbatch script that runs this launch under Slurm; exit.")
@click.option("--sbatch-nodes", type=click.IntRange(min=1), default=2, show_default=True,
              help="Nodes the sbatch script asks for.")
@click.option("--sbatch-option", multiple=True, help="Extra #SBATCH line, e.g. --partition=gpu (repeatable).")
@click.option("--game", default="catcher", show_default=True, help="Game (as stagger run).")
@click.option("--speed", default=None, help="Game speed preset or value (catcher).")
@click.option("--inference-latency", type=float, default=0.1, show_default=True,
              help="Simulated inference time in seconds (a real forward pass padded with a wait).")
@click.option("--latency-jitter", type=float, default=0.0, show_default=True, help="Uniform +- jitter, seconds.")
@opt.ALGORITHM
@opt.ACTION_EVERY
@opt.DEFAULT_ACTION
@opt.DURATION
@click.option("--run-dir", type=click.Path(file_okay=False), default=None, help="Run directory (default runs/<time>).")
@opt.SEED
@click.option("--model-k", type=float, default=0.0625, show_default=True, help="IMPALA-CNN width factor k.")
@opt.LEARN_EVERY
@click.option("--no-learner", is_flag=True, help="No learner (timing runs).")
@click.option("--join-timeout", type=float, default=0.0, help="Seconds to wait for the inference nodes (0: 30 + 1 per node).")
@click.option("--quiet", is_flag=True, help="No node logs and no status on the terminal (they are still in RUN_DIR/logs).")
def launch(hosts, hostfile, placement_file, env_host, learner_host, inference_per_host, via, ssh_config,
           ssh_option, remote_cmd, remote_dir, launcher_address, bind_all, base_port, insecure, keys_dir,
           learner_restarts, checkpoint_every, resume, print_sbatch, sbatch_nodes, sbatch_option, game, speed,
           inference_latency, latency_jitter, algorithm, action_every, default_action, duration, run_dir,
           seed, model_k, learn_every, no_learner, join_timeout, quiet):
    """Run one staggered run over several machines (ssh or Slurm), CurveZMQ off loopback."""
    import os

    from launch.remote.hosts import HostError, load_placement, make_placement, parse_hosts, read_hostfile, slurm_hosts
    from launch.remote.launcher import Launcher, LaunchOptions
    from launch.remote.transport import LaunchError, Transport
    from launch.run import RunConfig, RunError
    from launch.status import StatusLine
    from launch.remote.streams import Printer

    if print_sbatch:
        from launch.remote.slurm import sbatch_script
        click.echo(sbatch_script(forward_args(click.get_current_context()), nodes=sbatch_nodes,
                                 duration_s=duration, remote_cmd=remote_cmd, options=sbatch_option), nl=False)
        return
    try:
        if placement_file:
            placement = load_placement(placement_file)
        else:
            specs = (parse_hosts(hosts) if hosts else read_hostfile(hostfile) if hostfile
                     else slurm_hosts(os.environ) if via == "slurm" else None)
            if specs is None:
                raise HostError("give the hosts: --hosts h1,h2:4, --hostfile FILE or --placement FILE "
                                "(or --via slurm inside an allocation)")
            placement = make_placement(specs, env_host, learner_host, inference_per_host)
    except (HostError, OSError) as exc:
        raise click.ClickException(str(exc))
    if insecure:
        click.echo(INSECURE_WARNING, err=True)
    import signal
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # stop the nodes in order, as Ctrl-C
    run_dir = run_dir or f"runs/{time.strftime('%Y%m%d-%H%M%S')}"
    game_options = {"speed": speed} if speed is not None else {}
    try:
        cfg = RunConfig(game=game, game_options=game_options, inference_nodes=len(placement.inference_nodes()),
                        inference_latency=inference_latency, latency_jitter=latency_jitter, algorithm=algorithm,
                        action_every=action_every, default_action=default_action, duration=duration,
                        run_dir=run_dir, seed=seed, model_k=model_k, learn_every=learn_every,
                        learner=not no_learner, join_timeout_s=join_timeout)
        transport = Transport(via, remote_cmd, ssh_config, tuple(ssh_option))
        lo = LaunchOptions(insecure, keys_dir, bind_all, base_port, launcher_address, learner_restarts,
                           checkpoint_every, resume, remote_dir)
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
    from launch.remote.agent import main
    sys.exit(main())
