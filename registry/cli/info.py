"""``bildungsnetz version`` and ``bildungsnetz settings``."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from .. import __version__
from ..config import SETTINGS, ServerSettings


def version() -> None:
    """Print the version.  Example: ``bildungsnetz version``"""
    typer.echo(__version__)


def settings() -> None:
    """List the server settings with their defaults.  Example: ``bildungsnetz settings``"""
    defaults = ServerSettings()
    table = Table("setting", "default", "meaning")
    for name, help_text in SETTINGS.items():
        table.add_row(name, repr(getattr(defaults, name)), help_text)
    Console().print(table)


def register(app: typer.Typer) -> None:
    app.command()(version)
    app.command()(settings)
