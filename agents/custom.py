"""Your own model and learner, named ``module:attribute`` and checked before a run starts.

``--model module:callable``: a function of ``(obs_shape, n_actions)`` returning any
``torch.nn.Module`` that maps a batch of observations (the env's dtype, e.g. uint8 pixels, shape
``(B, *obs_shape)``) to ``(B, n_actions)`` Q-values or logits. ``--learner module:Class``: a
class implementing :class:`agents.learner_api.Learner`. The module is imported from the
current directory or ``PYTHONPATH``. Every mistake is a :class:`SpecError` that says what was
expected, raised before any node starts.
"""
from __future__ import annotations

import importlib
import os
import sys

MODEL_EXPECTED = "a function (obs_shape, n_actions) -> torch.nn.Module mapping (B, *obs_shape) to (B, n_actions)"
LEARNER_EXPECTED = "a class implementing agents.learner_api.Learner (observe, ready, update, weights_arrays, " \
                   "state_dict, load_state_dict)"


class SpecError(ValueError):
    """A ``module:attribute`` spec that cannot be used; the message names what was expected."""


def is_spec(name: str) -> bool:
    return isinstance(name, str) and ":" in name


def load_object(spec: str, option: str, expected: str):
    """The object ``spec`` = ``module:attribute`` (dots allowed in both parts) names."""
    module_name, _, attr = spec.partition(":")
    if not module_name or not attr:
        raise SpecError(f"{option} {spec!r}: expected 'module:attribute', {expected}")
    if os.getcwd() not in sys.path:  # as `python -m` would: modules beside the user
        sys.path.insert(0, os.getcwd())
    try:
        obj = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and module_name.startswith(exc.name):
            raise SpecError(f"{option} {spec!r}: no module named {module_name!r} (looked in "
                            f"{os.getcwd()} and PYTHONPATH); expected {expected}") from None
        raise SpecError(f"{option} {spec!r}: importing {module_name!r} failed: {exc}") from None
    except Exception as exc:
        raise SpecError(f"{option} {spec!r}: importing {module_name!r} failed: "
                        f"{type(exc).__name__}: {exc}") from None
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise SpecError(f"{option} {spec!r}: module {module_name!r} has no attribute {attr!r}; "
                            f"expected {expected}")
        obj = getattr(obj, part)
    return obj


def build_custom_model(spec: str, obs_shape, n_actions: int):
    """Call the user's model function; a clear SpecError unless it returns an nn.Module."""
    from torch import nn
    fn = load_object(spec, "--model", MODEL_EXPECTED)
    if not callable(fn):
        raise SpecError(f"--model {spec!r} is a {type(fn).__name__}, not callable; expected {MODEL_EXPECTED}")
    try:
        model = fn(tuple(int(d) for d in obs_shape), int(n_actions))
    except Exception as exc:
        raise SpecError(f"--model {spec!r}: calling it with obs_shape={tuple(obs_shape)}, "
                        f"n_actions={n_actions} raised {type(exc).__name__}: {exc}; expected "
                        f"{MODEL_EXPECTED}") from None
    if not isinstance(model, nn.Module):
        raise SpecError(f"--model {spec!r} returned a {type(model).__name__}, not a torch.nn.Module; "
                        f"expected {MODEL_EXPECTED}")
    return model


def check_model(model, spec: str, obs_shape, n_actions: int, obs_dtype: str = "uint8") -> None:
    """One forward pass of a batch of 2 zero observations: the output must be (2, n_actions)."""
    import numpy as np
    import torch
    x = torch.from_numpy(np.zeros((2, *obs_shape), dtype=obs_dtype))
    try:
        with torch.inference_mode():
            out = model(x)
    except Exception as exc:
        raise SpecError(f"--model {spec!r}: a batch of 2 observations of shape {tuple(obs_shape)} "
                        f"({obs_dtype}) raised {type(exc).__name__}: {exc}; expected {MODEL_EXPECTED}") from None
    shape = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
    if shape != (2, int(n_actions)):
        raise SpecError(f"--model {spec!r}: a batch of 2 observations of shape {tuple(obs_shape)} gave "
                        f"{shape}; expected a tensor of shape (2, {n_actions}): one Q-value or logit "
                        f"per action")
