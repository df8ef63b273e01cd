"""The ``bildungsnetz`` command: a thin typer app over the library.

Each module in this package adds its commands with ``register(app)``; commands build library
objects, call them, and format the result. Exit codes: 0 success, 1 the data has violations,
2 unreadable input, usage or configuration error.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys

import typer

from ..errors import RegistryError

__all__ = ["app", "main"]

app = typer.Typer(
    name="bildungsnetz",
    help="Federated registry of continuing-education offers: validate, harvest, serve.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _register_commands() -> None:
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(app)


_register_commands()


def main() -> None:
    """Console entry point; a RegistryError ends with its message and exit code, no traceback."""
    try:
        app()
    except RegistryError as exc:
        typer.echo(f"bildungsnetz: {exc}", err=True)
        sys.exit(exc.exit_code)
