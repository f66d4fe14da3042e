"""`--config FILE` for `stagger run` and `stagger launch`: any option of the command from a
TOML (or JSON) file; options on the command line win.

The file's keys are the command's own click parameters (so there is one schema: the
command's options), by name with ``_`` or ``-``. The file becomes the command's
``default_map``, so click converts and checks every value as it does an option's, and a
value given on the command line wins. A run's own ``config.json`` can be given back: what the
run recorded (endpoints, addresses, the game's facts) and its run directory are skipped, and
its ``game_options`` set the game flags. An unknown key is an error naming the allowed ones.
"""
from __future__ import annotations

import json
from pathlib import Path

import click

NOT_FROM_FILE = ("config", "help")


def recorded_keys() -> set[str]:
    """Keys of a run's config.json that record what happened, not options: what the run
    recorded (launch.run_config.RECORDED) and the game's probed facts (GameFacts)."""
    from stagger.launch.run_config import RECORDED
    from stagger.nodes.options import GameFacts, fields_of
    return set(RECORDED) | set(fields_of(GameFacts))


def read_doc(path) -> dict:
    """The file's table: TOML unless it ends in .json."""
    text = Path(path).read_text()
    try:
        if str(path).endswith(".json"):
            doc = json.loads(text)
        else:
            import tomllib
            doc = tomllib.loads(text)
    except ValueError as exc:  # json.JSONDecodeError and tomllib.TOMLDecodeError both are
        raise click.BadParameter(f"{path} is not valid {'JSON' if str(path).endswith('.json') else 'TOML'}: "
                                 f"{exc}", param_hint="--config") from None
    if not isinstance(doc, dict):
        raise click.BadParameter(f"{path}: expected a table of options", param_hint="--config")
    return doc


def defaults_from(command: click.Command, doc: dict, path, implied: dict | None = None) -> dict:
    """The ``default_map`` of ``command`` from a config document.

    ``implied``: keys a run's config.json may hold that this command does not take because it
    decides them itself (e.g. a launch's mode and node count), with why; they are skipped in a
    recorded config.json and are errors in a file of your own."""
    params = {p.name: p for p in command.params if isinstance(p, click.Option) and p.name not in NOT_FROM_FILE}
    names = dict(aliases(params.values()), **{n: n for n in params})
    recorded = "endpoints" in doc or "stats_endpoint" in doc  # a run's own config.json
    skip = (recorded_keys() | set(implied or {})) if recorded else set()
    out: dict = {}
    unknown: list[str] = []
    items = [(k, v, True) for k, v in doc.items()]
    for key, value, top in items:
        name = str(key).replace("-", "_")
        if top and name in skip:  # what the run recorded, e.g. the probed fps (not the --fps flag)
            continue
        if top and name == "game_options" and isinstance(value, dict):
            items += [(k, v, False) for k, v in value.items()]
            continue
        if name in names:
            if value is not None and value != "":  # "" and None: not given (the option's default)
                out[names[name]] = value
        else:
            unknown.append(str(key))
    if recorded:
        out.pop("run_dir", None)  # a run again gets its own directory (unless --run-dir)
    if unknown:
        import difflib
        near = [f"{k} -> {m[0]}?" for k in unknown if (m := difflib.get_close_matches(k.replace("-", "_"), names, 1))]
        hint = "; ".join([*(f"{k}: {why}" for k, why in (implied or {}).items() if k in unknown),
                          *(["did you mean " + ", ".join(near)] if near else [])])
        raise click.BadParameter(
            f"{path}: unknown key(s) {', '.join(sorted(unknown))}{f' ({hint})' if hint else ''}. "
            f"Allowed: {', '.join(sorted(params))} (or an option's flag name, e.g. "
            f"{next(iter(aliases(params.values())), 'time')})", param_hint="--config")
    return out


def aliases(params) -> dict[str, str]:
    """Flag names (``--join-timeout`` -> ``join_timeout``) of the options whose name differs;
    never a ``--no-x`` flag (``no_x = true`` must not read as ``x = true``)."""
    out = {}
    for p in params:
        for flag in p.opts:
            alias = flag.lstrip("-").replace("-", "_")
            if flag.startswith("--") and not flag.startswith("--no-") and alias != p.name:
                out[alias] = p.name
    return out


def config_option(implied: dict | None = None):
    """The ``--config FILE`` option: read first (eager), it sets the command's defaults."""
    def load(ctx: click.Context, param, value):
        if value:
            doc = read_doc(value)
            ctx.default_map = {**(ctx.default_map or {}), **defaults_from(ctx.command, doc, value, implied)}
        return value

    return click.option("--config", type=click.Path(exists=True, dir_okay=False), default=None, is_eager=True,
                        expose_value=False, callback=load,
                        help="Options from a TOML file (or a run's config.json to run it again); "
                             "options on the command line win.")
