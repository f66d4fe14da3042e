"""A click group whose subcommands are imported by name when first used (click's documented
"lazily loading subcommands" pattern). `stagger bench` lives in benchmarks/, which sits on top of
launch/: the CLI names it by string so that launch never imports benchmarks."""
from __future__ import annotations

import importlib

import click


class LazyGroup(click.Group):
    def __init__(self, *args, lazy_subcommands: dict[str, str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.lazy_subcommands = dict(lazy_subcommands or {})  # name -> "module:attribute"

    def list_commands(self, ctx):
        return sorted(set(super().list_commands(ctx)) | set(self.lazy_subcommands))

    def get_command(self, ctx, name):
        if name in self.lazy_subcommands:
            module, _, attr = self.lazy_subcommands[name].partition(":")
            cmd = getattr(importlib.import_module(module), attr)
            if not isinstance(cmd, click.Command):
                raise TypeError(f"{self.lazy_subcommands[name]} is not a click command")
            return cmd
        return super().get_command(ctx, name)
