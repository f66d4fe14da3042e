"""The option fields, in groups, and the options class of each node kind.

Groups marked (run) are also fields of ``launch.run.RunConfig``, so the CLI has them; the
others are set per node by whoever starts it (supervisor, launcher, connection file).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from stagger.nodes.options.base import Options, OptionsError, opt


_SPEC = r"[A-Za-z_][\w.]*:[A-Za-z_][\w.]*"  # module:attribute


def model_name(where: str, value: str) -> str:
    """auto, impala, mlp, or module:callable (imported and checked when a run starts)."""
    if value in ("auto", "impala", "mlp") or re.fullmatch(_SPEC, value):
        return value
    raise OptionsError(f"{where}: {value!r}: expected auto, impala, mlp or module:callable (your own: a "
                       f"function (obs_shape, n_actions) -> torch.nn.Module)")


def device_name(where: str, value: str) -> str:
    """cpu, cuda or cuda:N ('' where allowed: the default); whether it exists is checked when
    the node (or `stagger run`) starts."""
    from stagger.agents.device import DeviceError, parse_device
    if value == "":
        return value
    try:
        return parse_device(value)
    except DeviceError as exc:
        raise OptionsError(f"{where}: {exc}") from None


def learner_name(where: str, value: str) -> str:
    """'' (DQN) or module:Class (imported and checked when a run starts)."""
    if value == "" or re.fullmatch(_SPEC, value):
        return value
    raise OptionsError(f"{where}: {value!r}: expected module:Class, a class implementing "
                       f"stagger.agents.learner_api.Learner")


@dataclass(frozen=True)
class RunWide(Options):
    """(run) What every node of a run shares."""
    game: str = opt("catcher", "catcher, tetris, pokemon-red|blue|yellow, atari/<game>, "
                               "gym:<id or module:callable>.")
    game_options: dict = opt({}, "Options of the game (speed, rom, states...), from the game flags.")
    seed: int = opt(0, "Seed of the env, model and exploration.")
    run_dir: str = opt(".", "Where the run (this node) writes its files.", path="dir")
    action_every: int = opt(1, "Action cadence k in frames.", min=1)
    trace: bool = opt(False, "Record every message of every node to RUN_DIR/traces/.")
    transport: str = opt("ipc", "ipc: Unix sockets in a private 0700 directory, reachable by your user only; "
                                "tcp: 127.0.0.1 ports any local user reaches (needs --insecure).",
                         choices=("ipc", "tcp"))


@dataclass(frozen=True)
class GameFacts(Options):
    """What the supervisor probed from one instance of the game (``launch.run.probe_game``)."""
    fps: float = opt(0.0, "Env frame rate (0: the game's own).", min=0.0)
    obs_shape: tuple[int, ...] = opt((), "Shape of one observation.")
    obs_dtype: str = opt("uint8", "dtype of an observation.")
    n_actions: int = opt(0, "Actions of the game's action space.", min=0)
    policy_actions: int = opt(0, "Actions the policy chooses among.", min=0)
    noop_action: int = opt(0, "The game's no-op action.", min=0)


@dataclass(frozen=True)
class NodeIdentity(Options):
    """Who this node is and how it reaches the others (set by whoever starts it)."""
    node_id: str = opt("", "Node id (default: the kind).")
    run_id: str = opt("", "Id of a launched run (a resumed learner checks its checkpoint's).")
    node_seed: int = opt(0, "This node's own seed (exploration); seed*1000+i for inference node i.")
    connect: dict[str, str] = opt({}, "Channel -> endpoint this node connects to.")
    ports: dict[str, int] = opt({}, "Channel -> port this node binds (absent or 0: a random port).")
    bind_host: str = opt("127.0.0.1", "Address the node binds ('auto': its address towards the launcher).")
    advertise_host: str = opt("", "Address reported for a 0.0.0.0 bind ('auto' as bind_host; '': none).")
    host_label: str = opt("", "The host as the launcher names it ('': this host's name).")
    launcher_address: str = opt("", "The launcher's address (to resolve 'auto').")
    security: str = opt("none", "Socket security off loopback.", choices=("none", "curve"))
    keys_dir: str = opt("", "The run's CurveZMQ keys directory (security curve).")
    ipc_dir: str = opt("", "The run's private 0700 directory of ipc:// sockets (transport ipc; '': one of "
                           "the node's own).")
    realtime_priority: bool = opt(True, "Ask the OS for the kind's realtime scheduling class.",
                                  off_help="Keep the default scheduling class.")


@dataclass(frozen=True)
class EnvPart(Options):
    """(run) The env node's behaviour."""
    default_action: str = opt("noop", "What the env applies on a slot with no fresh action.",
                              choices=("noop", "repeat"))


@dataclass(frozen=True)
class ClockPart(Options):
    """(run) The clock node's staggering."""
    algorithm: str = opt("max_time", "Staggering algorithm (the paper's Algorithm 1 or 2), or none: the nodes "
                                     "start together, then each on the next observation whenever it is free "
                                     "(the unstaggered baseline).", choices=("max_time", "exp_time", "none"))
    margin_s: float = opt(0.0015, "Transport and wake-up allowance added to the reported inference time, "
                                  "seconds.", min=0.0)
    initial_estimate_s: float = opt(0.0, "Inference time assumed before the first report, seconds.", min=0.0)
    max_window: int = opt(120, "max_time: inference reports the maximum is taken over (0: never forget, "
                               "as the paper).", min=0)


@dataclass(frozen=True)
class ModelPart(Options):
    """(run) The Q-network, shared by inference, learner and sequential."""
    model: str = opt("auto", "Q-network: impala (images), mlp (vectors), auto (by observation), or "
                             "module:callable, your own: (obs_shape, n_actions) -> torch.nn.Module.",
                     check=model_name)
    model_k: float = opt(0.0625, "IMPALA-CNN width factor k of the real network (0.0625 = 55K).", min=0.0)
    device: str = opt("cpu", "Where inference nodes and the sequential agent run the model (and the learner, "
                             "unless --learner-device): cpu, cuda or cuda:N.", check=device_name)
    threads: int = opt(1, "torch threads per node (an inference node's forward passes, the learner's "
                          "updates).", min=1)


@dataclass(frozen=True)
class ActingPart(Options):
    """(run) How inference (and the sequential agent) act."""
    inference_latency: float = opt(0.1, "Simulated inference time in seconds (a real forward pass padded "
                                        "with a wait).", min=0.0)
    latency_jitter: float = opt(0.0, "Uniform +- jitter on the simulated latency, seconds.", min=0.0)
    epsilon_steps: int = opt(100_000, "Frames over which exploration epsilon decays to its end value.", min=0)
    epsilon_end: float = opt(0.05, "Final exploration epsilon.", min=0.0)


@dataclass(frozen=True)
class LearningPart(Options):
    """(run) The learner's DQN (and the sequential agent's)."""
    learn_every: int = opt(4, "Env frames per learner update.", min=1)
    publish_every: int = opt(50, "Learner updates between weight broadcasts.", min=1)
    checkpoint_every: int = opt(2000, "Learner updates between checkpoints (0: only when it stops).", min=0)
    batch_size: int = opt(16, "DQN minibatch size.", min=1)
    n_step: int = opt(1, "Agent decisions combined per transition (the paper: 1).", min=1)
    replay: int = opt(10_000, "Replay buffer capacity, transitions.", min=1)
    learning_starts: int = opt(16, "Transitions in replay before the first update.", min=0)
    learner_device: str = opt("", "Where the learner trains: cpu, cuda or cuda:N ('': --device).",
                              check=device_name)
    learner_spec: str = opt("", "Your own learning algorithm: module:Class implementing agents.learner_api."
                                "Learner ('': DQN, stagger.agents.dqn:DQNLearner).", flag="--learner", check=learner_name)
    target_every: int = opt(10_000, "Learner updates between target-network copies (the paper's 10k).", min=1)
    replay_mode: str = opt("reservoir", "Replay replacement once full: reservoir (a uniform sample of all "
                                        "seen) or fifo.", choices=("reservoir", "fifo"))


@dataclass(frozen=True)
class NodeOptions(NodeIdentity, GameFacts, RunWide):
    """What every node kind has."""


@dataclass(frozen=True)
class EnvOptions(EnvPart, NodeOptions):
    expect_learner: bool = opt(False, "Wait for a learner to connect before the first frame; send it "
                                      "experience.")
    max_frames: int = opt(0, "Stop after this many frames (0: run until stopped).", min=0)


@dataclass(frozen=True)
class ClockOptions(ClockPart, NodeOptions):
    # set by the supervisor when it restarts a clock that exited (launch/clock_restart.py)
    first_epoch: int = opt(0, "Epochs of this clock's PhaseMaps start above this (a restarted clock: above "
                              "the dead clock's).", min=0)
    rejoin_grace_s: float = opt(0.0, "A restarted clock gathers the nodes' re-hellos this long before its "
                                     "first PhaseMap (0: a first start).", min=0.0)


@dataclass(frozen=True)
class InferenceOptions(ActingPart, ModelPart, NodeOptions):
    members: tuple[str, ...] = opt((), "The ids of the inference workers this process hosts, each a member of "
                                       "its own (nodes/workers.py); empty: one, the node id.")


@dataclass(frozen=True)
class LearnerOptions(LearningPart, ModelPart, NodeOptions):
    resume: str = opt("", "Continue from RUN_DIR/checkpoint.pt of this directory ('': start afresh).")


@dataclass(frozen=True)
class SequentialOptions(LearningPart, ActingPart, ModelPart, NodeOptions):
    learn_steps: int = opt(1, "Learning steps after each action.", min=0)


KINDS = {"env": EnvOptions, "clock": ClockOptions, "inference": InferenceOptions,
         "learner": LearnerOptions, "sequential": SequentialOptions}
RUN_GROUPS = (RunWide, EnvPart, ClockPart, ModelPart, ActingPart, LearningPart)  # RunConfig's node fields
