"""Devices a model runs on: ``cpu``, ``cuda`` or ``cuda:N``, and lists of them (``cuda:0-3``).

:func:`check_device` is what a node (or the launcher, for its own machine) calls before it
builds anything: a device that is not there is a :class:`DeviceError` naming what is.
"""
from __future__ import annotations

import re

DEVICE_HELP = "cpu, cuda or cuda:N"
_ONE = re.compile(r"cpu|cuda(?::(\d+))?")
_LIST = re.compile(r"cuda:(\d+)-(\d+)")


class DeviceError(ValueError):
    """A device spec that is malformed or names a device this machine does not have."""


def parse_device(spec: str) -> str:
    """``spec`` checked for form only (no torch import): ``cpu``, ``cuda`` or ``cuda:N``."""
    text = str(spec).strip().lower()
    if not _ONE.fullmatch(text):
        raise DeviceError(f"device {spec!r}: expected {DEVICE_HELP}")
    return text


def expand_devices(spec: str) -> list[str]:
    """A device list: one device, or ``cuda:N-M`` for every GPU from N to M."""
    text = str(spec).strip().lower()
    m = _LIST.fullmatch(text)
    if m:
        lo, hi = int(m.group(1)), int(m.group(2))
        if hi < lo:
            raise DeviceError(f"device list {spec!r} goes backwards (expected cuda:N-M with N <= M)")
        return [f"cuda:{i}" for i in range(lo, hi + 1)]
    try:
        return [parse_device(text)]
    except DeviceError:
        raise DeviceError(f"device list {spec!r}: expected {DEVICE_HELP} or cuda:N-M") from None


def check_device(spec: str) -> str:
    """``spec`` if this machine has it, else a DeviceError that says what it has."""
    import torch
    dev = parse_device(spec)
    if dev == "cpu":
        return dev
    if not torch.cuda.is_available():
        build = "a CPU-only build" if torch.version.cuda is None else f"CUDA {torch.version.cuda}"
        raise DeviceError(f"device {dev!r}: no CUDA device on this machine (torch {torch.__version__}, "
                          f"{build}); use --device cpu")
    index = int(dev.partition(":")[2] or 0)
    if index >= torch.cuda.device_count():
        raise DeviceError(f"device {dev!r}: this machine has {torch.cuda.device_count()} CUDA "
                          f"device(s), cuda:0 to cuda:{torch.cuda.device_count() - 1}")
    return dev
