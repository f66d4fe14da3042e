"""Checks made before any node of a run starts: devices, your own model and learner.

Every failure is a :class:`launch.run.RunError` whose message names what was expected, so a
wrong ``--device``, ``--model`` or ``--learner`` never leaves half a run behind.
"""
from __future__ import annotations


def check_devices(cfg) -> None:
    """The run's devices exist on this machine (`stagger run`; a launch checks on each host)."""
    from agents.device import DeviceError, check_device
    from launch.run import RunError
    for option, dev in (("--device", cfg.device), ("--learner-device", cfg.learner_device or cfg.device)):
        try:
            check_device(dev)
        except DeviceError as exc:
            raise RunError(f"{option}: {exc}") from None
