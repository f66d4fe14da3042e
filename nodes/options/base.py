"""Frozen option dataclasses with typed, validated fields: the one place a dict becomes options.

A field is declared with :func:`opt` (default, one-line help, optional ``choices``, ``min``,
CLI ``flag`` and ``path`` hints). Building an object checks every value against the field's
type (an int is accepted for a float, a list for a tuple; nothing else is converted) and its
choices and minimum; :func:`from_dict` also rejects keys that are not fields, naming the
allowed ones. :func:`to_dict` is the JSON form; ``from_dict(type(o), to_dict(o)) == o``.
"""
from __future__ import annotations

import copy
import dataclasses
import difflib
import functools
import types
import typing
from dataclasses import MISSING, dataclass, field


class OptionsError(ValueError):
    """Options that cannot be used; the message names the option and what was expected."""


def opt(default, help: str, **meta):
    """A field with its default and a one-line help. ``meta``: ``choices`` (tuple), ``min``
    (number), ``flag`` (the CLI flag when not ``--name``), ``path`` ("dir", "file",
    "existing-dir", "existing-file": a click.Path on the command line), ``off_help`` (a bool
    that defaults to True: the help of its ``--no-name`` flag), ``check`` (``f(where, value)``
    returning the value, normalised, or raising OptionsError: a form the type cannot say)."""
    meta = {"help": help, **meta}
    if isinstance(default, (dict, list, set)):
        return field(default_factory=functools.partial(copy.deepcopy, default), metadata=meta)
    return field(default=default, metadata=meta)


def like(cls, name: str, **meta):
    """A field with the same default and help as ``cls.name``: one definition of a default
    for a config that is not an options class (e.g. the virtual-time config)."""
    merged = {**fields_of(cls)[name].metadata, **meta}
    return opt(default_of(cls, name), merged.pop("help"), **merged)


def fields_of(cls) -> dict[str, dataclasses.Field]:
    return {f.name: f for f in dataclasses.fields(cls)}


def default_of(cls, name: str):
    f = fields_of(cls)[name]
    return f.default_factory() if f.default is MISSING else f.default


@functools.cache
def _hints(cls) -> dict:
    return typing.get_type_hints(cls)


def _type_name(tp) -> str:
    return getattr(tp, "__name__", None) or str(tp).replace("typing.", "")


def _check(where: str, value, tp):
    """``value`` as type ``tp`` (int -> float, list -> tuple), or OptionsError."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        inner = [a for a in args if a is not type(None)]
        tp, origin, args = inner[0], typing.get_origin(inner[0]), typing.get_args(inner[0])
    bad = OptionsError(f"{where}: expected {_type_name(tp)}, got {type(value).__name__} {value!r}")
    if tp is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        raise bad
    if tp in (int, str, bool):
        if isinstance(value, tp) and (tp is bool or not isinstance(value, bool)):
            return value
        raise bad
    if (origin or tp) is tuple:
        if not isinstance(value, (list, tuple)):
            raise bad
        elem = args[0] if args else None
        return tuple(_check(f"{where}[{i}]", v, elem) if elem else v for i, v in enumerate(value))
    if (origin or tp) is dict:
        if not isinstance(value, dict):
            raise bad
        if not args:
            return dict(value)
        return {_check(f"{where} key", k, args[0]): _check(f"{where}[{k!r}]", v, args[1])
                for k, v in value.items()}
    raise TypeError(f"{where}: option type {tp} is not supported")  # a bug in the declaration


@dataclass(frozen=True)
class Options:
    """Base of every options class: checks (and normalises) every field when built."""

    def __post_init__(self):
        name = type(self).__name__
        hints = _hints(type(self))
        for f in dataclasses.fields(self):
            where = f"{name}.{f.name}"
            value = _check(where, getattr(self, f.name), hints[f.name])
            choices, low = f.metadata.get("choices"), f.metadata.get("min")
            if choices is not None and value not in choices:
                raise OptionsError(f"{where}: {value!r} is not one of {', '.join(map(str, choices))}")
            if low is not None and value is not None and value < low:
                raise OptionsError(f"{where}: {value!r} is below the minimum {low}")
            if f.metadata.get("check") is not None:  # a field's own form check: the value, or OptionsError
                value = f.metadata["check"](where, value)
            object.__setattr__(self, f.name, value)


def from_dict(cls, data: dict, *, ignore: typing.Iterable[str] = ()):
    """``cls`` from a JSON-like dict: missing keys take their defaults; an unknown key (one
    not in ``ignore``) or a value of the wrong type is an OptionsError naming what is allowed."""
    if not isinstance(data, dict):
        raise OptionsError(f"{cls.__name__}: expected a JSON object of options, got {type(data).__name__}")
    names = fields_of(cls)
    unknown = sorted(k for k in data if k not in names and k not in set(ignore))
    if unknown:
        hints = [f"{k!r} (did you mean {m[0]!r}?)" if (m := difflib.get_close_matches(k, names, 1)) else repr(k)
                 for k in unknown]
        raise OptionsError(f"unknown option{'s' if len(unknown) > 1 else ''} {', '.join(hints)} for "
                           f"{cls.__name__}; allowed: {', '.join(sorted(names))}")
    return cls(**{k: v for k, v in data.items() if k in names})


def to_dict(options) -> dict:
    """The JSON form of ``options`` (every field, defaults included)."""
    return {f.name: copy.deepcopy(getattr(options, f.name)) for f in dataclasses.fields(options)}


def project(cls, *sources, **values):
    """``cls`` from the fields it shares with each source (an options object or a dict; later
    ones win), then ``values`` (which must all be fields of ``cls``)."""
    names = fields_of(cls)
    data = {}
    for src in sources:
        items = src if isinstance(src, dict) else to_dict(src)
        data.update({k: v for k, v in items.items() if k in names})
    return from_dict(cls, {**data, **values})
