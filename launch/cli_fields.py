"""Click options generated from option fields (nodes/options), so the CLI cannot drift from them.

``@field_options(RunConfig, exclude=...)`` adds ``--name`` for every field (type, default,
help and choices from the field; a bool is a flag: ``--name`` when it defaults to False,
``--no-name`` when it defaults to True); ``overrides`` changes what one command needs
differently (a parameter type such as ``from-model`` latencies, a default of None meaning
"resolved later"). ``field_values(cls, kwargs)`` takes the fields' values back out of the
command's arguments. Fields that are not on a command line are listed, with the reason, below;
tests/test_options.py checks that every option of ``stagger run`` and ``stagger launch`` is a
field or a listed CLI-only option, and every field an option or listed here.
"""
from __future__ import annotations

import typing

import click

from stagger.nodes.options import default_of, fields_of

# fields of RunConfig that no command line sets, and why
NOT_ON_CLI = {"game_options": "built from the game flags (--speed, --rom, --states, ...)"}
# fields of RunConfig that stagger launch does not take, and why
NOT_ON_LAUNCH = {"mode": "a launch is staggered", "inference_nodes": "the placement gives them",
                 "transport": "tcp between hosts",
                 "start": "each host's agent starts its own nodes (python -m stagger.launch.node)"}


def flag_of(f) -> str:
    return f.metadata.get("flag") or "--" + f.name.replace("_", "-")


def _click_type(f, tp):
    meta = f.metadata
    if meta.get("choices"):
        return click.Choice(list(meta["choices"]))
    if meta.get("path"):
        kind = meta["path"]
        return click.Path(exists=kind.startswith("existing"), file_okay=not kind.endswith("dir"),
                          dir_okay=not kind.endswith("file"))
    low = meta.get("min")
    if tp is int:
        return click.IntRange(min=low) if low is not None else int
    if tp is float:
        return click.FloatRange(min=low) if low is not None else float
    return tp


def option_for(cls, name: str, **override):
    """The click option of field ``name`` of ``cls`` (``override``: click.option keywords)."""
    f = fields_of(cls)[name]
    tp = typing.get_type_hints(cls)[name]
    default = default_of(cls, name)
    help = override.pop("help", f.metadata.get("off_help" if tp is bool and default else "help"))
    if tp is bool:
        if default:  # --no-name sets it False (its help: the field's off_help)
            flag = "--no-" + flag_of(f)[2:]
            return click.option(flag, name, is_flag=True, flag_value=False, default=True, help=help, **override)
        return click.option(flag_of(f), name, is_flag=True, default=False, help=help, **override)
    # an empty default is "not given" (None: click checks no path for it; field_values restores it)
    kw = {"type": _click_type(f, tp), "default": None if default == "" else default,
          "show_default": default != "", "help": help, **override}
    return click.option(flag_of(f), name, **kw)


def field_options(cls, *, exclude=(), overrides: dict | None = None):
    """A decorator adding the click option of every field of ``cls`` but ``exclude``, in field order."""
    overrides = overrides or {}
    names = [n for n in fields_of(cls) if n not in set(exclude)]

    def decorate(fn):
        for name in reversed(names):
            fn = option_for(cls, name, **overrides.get(name, {}))(fn)
        return fn
    return decorate


def field_values(cls, kwargs: dict) -> dict:
    """The values of ``cls``'s fields among a command's arguments (removed from ``kwargs``); an
    option left out (None) has its field's default, unless overridden to mean something else."""
    out = {}
    for name in [n for n in fields_of(cls) if n in kwargs]:
        value = kwargs.pop(name)
        out[name] = default_of(cls, name) if value is None and default_of(cls, name) == "" else value
    return out
