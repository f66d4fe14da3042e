"""`stagger models`: the paper's model sizes, their parameter counts, inference times and N.

Inference times are single-thread forward passes of one observation on this machine
(`agents.timing.measure_inference_time`), cached in ``~/.cache/stagger/inference_times.json``
(``$XDG_CACHE_HOME/stagger`` when set) keyed by model, k, observation shape and torch
version, so each is measured once per machine. `stagger run --inference-latency from-model`
uses the same cache. torch is imported only when a command needs it.
"""
from __future__ import annotations

import json
import math
import os
import time
from pathlib import Path

import click

SIZES = ("55k", "1m", "10m", "100m", "1b")   # the keys of agents.models.PRESETS, in order
GB_FPS = 59.7275
FROM_MODEL = "from-model"


# -- the cache ----------------------------------------------------------------------------
def cache_path() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "stagger" / "inference_times.json"


def _model_name(model: str, obs_shape) -> str:
    return ("mlp" if len(obs_shape) == 1 else "impala") if model == "auto" else model


def cache_key(model: str, k: float, obs_shape) -> str:
    import torch
    shape = "x".join(str(int(d)) for d in obs_shape)
    return f"{_model_name(model, obs_shape)}|k={float(k):g}|obs={shape}|torch={torch.__version__}|threads=1"


def _load_cache(path: Path) -> dict:
    try:
        data = json.loads(path.read_text())
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def cached_time(model: str, k: float, obs_shape=(84, 84)) -> float | None:
    """The cached seconds for this model on this machine, or None."""
    entry = _load_cache(cache_path()).get(cache_key(model, k, obs_shape))
    return float(entry["seconds"]) if isinstance(entry, dict) and "seconds" in entry else None


def inference_time(model: str, k: float, obs_shape=(84, 84), n_actions: int = 6,
                   measure: bool = True) -> float | None:
    """Cached single-thread inference seconds; measured (and cached) on a miss if `measure`."""
    found = cached_time(model, k, obs_shape)
    if found is not None or not measure:
        return found
    from stagger.agents.timing import measure_inference_time
    big = k > 7                                   # 100m: seconds per pass, 1b: ~10 s
    seconds = measure_inference_time(k, n_actions, repeats=3 if big else 10, warmup=1 if big else 2,
                                     obs_shape=tuple(obs_shape), model=_model_name(model, obs_shape))
    path = cache_path()
    data = _load_cache(path)
    data[cache_key(model, k, obs_shape)] = {"seconds": seconds, "n_actions": int(n_actions),
                                            "measured": time.strftime("%Y-%m-%dT%H:%M:%S")}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".tmp{os.getpid()}")
    tmp.write_text(json.dumps(data, indent=1, sort_keys=True))
    os.replace(tmp, path)
    return seconds


# -- --inference-latency SECONDS | from-model[:SIZE] ------------------------------------
class LatencyParam(click.ParamType):
    """A number of seconds >= 0, or 'from-model' (the run's model) or 'from-model:SIZE'."""
    name = "SECONDS|from-model"

    def get_metavar(self, param, ctx=None):
        return self.name

    def convert(self, value, param, ctx):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            text = str(value)
        else:
            text = str(value).strip().lower()
        if text == FROM_MODEL or text.startswith(FROM_MODEL + ":"):
            size = text.partition(":")[2]
            if size and size not in SIZES:
                self.fail(f"{value!r}: unknown size {size!r}; allowed: {', '.join(SIZES)}", param, ctx)
            return text
        try:
            seconds = float(text)
        except ValueError:
            self.fail(f"{value!r} is neither a number of seconds (e.g. 0.1) nor '{FROM_MODEL}' "
                      f"(the measured time of the run's model) nor '{FROM_MODEL}:SIZE' "
                      f"(SIZE one of {', '.join(SIZES)})", param, ctx)
        if not (seconds >= 0 and math.isfinite(seconds)):
            self.fail(f"{value!r}: the inference latency must be a finite number of seconds >= 0",
                      param, ctx)
        return seconds


LATENCY = LatencyParam()


def resolve_latency(value, model: str, k: float, obs_shape, n_actions: int) -> tuple[float, str]:
    """(seconds, label) for a converted --inference-latency value."""
    if not isinstance(value, str):
        return float(value), "simulated"
    size = value.partition(":")[2]
    if size:
        from stagger.agents.models import PRESETS
        model, k = ("impala" if model == "auto" else model), PRESETS[size]
    seconds = inference_time(model, k, obs_shape, n_actions)
    what = f"{_model_name(model, obs_shape)} k={k:g}" + (f", preset {size}" if size else "")
    if not size and seconds > 0.5:
        click.echo(f"warning: every inference node and the learner run this k={k:g} network for "
                   f"real; to only simulate its time, use --inference-latency {FROM_MODEL}:SIZE "
                   f"with a small --size", err=True)
    return seconds, f"simulated ({FROM_MODEL}: {what}; measured once on this machine)"


def model_and_latency(game: str, game_options: dict, model: str, size: str | None,
                      model_k: float | None, latency) -> tuple[float, float, str]:
    """For `stagger run`: (k of the real network, latency seconds, latency label).

    --model-k wins over --size (default 55k). 'from-model' probes the game for its observation
    shape and uses the (cached) measured time. Errors become click errors.
    """
    if model_k is None:
        if size:
            from stagger.agents.models import PRESETS
            model_k = float(PRESETS[size.lower()])
        else:
            from stagger.nodes.options import ModelPart, default_of
            model_k = default_of(ModelPart, "model_k")
    if not isinstance(latency, str):
        return model_k, float(latency), "simulated"
    from stagger.launch.run import probe_game
    try:
        game_info = probe_game(game, game_options)
        seconds, label = resolve_latency(latency, model, model_k, game_info["obs_shape"],
                                         game_info["n_actions"])
    except ValueError as exc:
        raise click.ClickException(f"--inference-latency {latency}: {exc}") from None
    return model_k, seconds, label


# -- the command ----------------------------------------------------------------------------
def preset_rows(measure: bool, max_size: str, fps: float) -> list[dict]:
    from stagger.agents.models import PRESETS, count_parameters
    from stagger.launch.plan import plan
    rows = []
    limit = SIZES.index(max_size)
    for i, (size, k) in enumerate(PRESETS.items()):
        want = measure and i <= limit
        if want and cached_time("impala", k) is None:
            click.echo(f"measuring {size} (k={k:g}) on one thread ...", err=True)
        t = inference_time("impala", k, measure=want)
        p = plan(t, fps) if t is not None else {}
        rows.append({"size": size, "k": k, "filters": f"{int(16 * k)}/{int(32 * k)}",
                     "params6": count_parameters((84, 84), 6, "impala", k),
                     "params18": count_parameters((84, 84), 18, "impala", k),
                     "seconds": t, "n": p.get("inference_nodes"),
                     "n_overhead": p.get("inference_nodes_with_overhead")})
    return rows


@click.command("models")
@click.option("--measure/--no-measure", default=True, show_default=True,
              help="Measure inference times not yet cached (--no-measure shows cached ones only).")
@click.option("--max-size", type=click.Choice(SIZES, case_sensitive=False), default="100m",
              show_default=True, help="Largest preset to measure (1b needs ~4 GB and ~45 s).")
@click.option("--fps", type=float, default=GB_FPS, show_default=True, help="Env frame rate for N.")
def models(measure, max_size, fps):
    """The model size presets: parameters, inference time on this machine, N for realtime."""
    import torch
    from rich.console import Console
    from rich.table import Table
    torch.set_num_threads(1)
    rows = preset_rows(measure, max_size.lower(), fps)
    console = Console()
    if not console.is_terminal:
        console.width = max(console.width, 140)
    table = Table(title=f"IMPALA-CNN presets (84x84 input), N at {fps:g} frames/s")
    for name in ("size", "k", "f1/f2", "params (6 actions)", "params (18 actions)",
                 "inference ms (1 thread)", "N", "N with overhead"):
        table.add_column(name, justify="left" if name == "size" else "right", no_wrap=True)
    for r in rows:
        ms = "-" if r["seconds"] is None else f"{r['seconds'] * 1e3:,.2f}"
        table.add_row(r["size"], f"{r['k']:g}", r["filters"], f"{r['params6']:,}", f"{r['params18']:,}",
                      ms, "-" if r["n"] is None else str(r["n"]),
                      "-" if r["n_overhead"] is None else str(r["n_overhead"]))
    console.print(table)
    console.print(f"Median single-thread forward pass of one 84x84 frame, torch {torch.__version__}; "
                  f"cached in {cache_path()} ('-': not measured; --max-size 1b measures all). "
                  f"N = `stagger plan --inference-time T --fps {fps:g}`; `stagger run "
                  f"--inference-nodes auto` uses N with overhead.", soft_wrap=True)
