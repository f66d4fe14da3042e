"""Checks made before any node of a run starts: devices, your own model and learner.

Every failure is a :class:`launch.run.RunError` whose message names what was expected, so a
wrong ``--device``, ``--model`` or ``--learner`` never leaves half a run behind.
"""
from __future__ import annotations


def check_devices(cfg) -> None:
    """The run's devices exist on this machine (`stagger run`; a launch checks on each host)."""
    from stagger.agents.device import DeviceError, check_device
    from stagger.launch.run import RunError
    for option, dev in (("--device", cfg.device), ("--learner-device", cfg.learner_device or cfg.device)):
        try:
            check_device(dev)
        except DeviceError as exc:
            raise RunError(f"{option}: {exc}") from None


def check_specs(model: str, learner_spec: str, game: dict, seed: int = 0) -> None:
    """Your own ``--model`` builds an nn.Module whose output for a batch is (B, n_actions); your
    own ``--learner`` is a Learner whose weights the inference nodes' model can load. Raises
    agents.custom.SpecError (a ValueError) naming what was expected."""
    from stagger.agents.custom import SpecError, check_model, is_spec
    from stagger.agents.models import build_model
    shape, n = tuple(game["obs_shape"]), int(game["policy_actions"])
    if not is_spec(model) and not learner_spec:
        return  # the built-in networks and DQN are known to fit
    import torch
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        net = build_model(shape, n, model=model) if is_spec(model) else None
    if net is not None:
        check_model(net, model, shape, n, game.get("obs_dtype", "uint8"))
    if learner_spec:
        from stagger.agents.learner_api import LearnerSettings, make_learner
        factory = (lambda: build_model(shape, n, model=model)) if is_spec(model) else \
            (lambda: build_model(shape, n, model=model, k=0.0625))
        learner = make_learner(learner_spec, factory, n, LearnerSettings(seed=seed))
        want = {k: tuple(v.shape) for k, v in factory().state_dict().items()}
        got = {k: tuple(v.shape) for k, v in learner.weights_arrays().items()}
        if got != want:
            raise SpecError(f"--learner {learner_spec!r}: weights_arrays() gives {sorted(got)[:4]}...; "
                            f"expected the model's state_dict names and shapes {sorted(want)[:4]}... "
                            f"(the inference nodes load them into their copy of the model)")


def check_run(cfg, game: dict, devices: bool = True) -> None:
    """Everything a run checks before its first node: devices (``devices=False`` for a launch:
    each node checks its own on its host), model, learner."""
    from stagger.agents.custom import SpecError
    from stagger.launch.run import RunError
    if devices:
        check_devices(cfg)
    try:
        check_specs(cfg.model, cfg.learner_spec if cfg.learner or cfg.mode == "sequential" else "",
                    game, cfg.seed)
    except SpecError as exc:
        raise RunError(str(exc)) from None
