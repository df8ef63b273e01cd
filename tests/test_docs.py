"""Docs that cannot drift: every command, setting and API route is documented."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import pytest
import typer.main

from registry.app import create_app
from registry.cli import app as cli_app
from registry.config import SETTINGS
from registry.store import OxigraphStore

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _commands() -> list[str]:
    group = typer.main.get_group(cli_app)
    return sorted(group.commands)


@pytest.mark.parametrize("command", _commands())
def test_every_command_is_in_the_readme(command: str) -> None:
    assert f"bildungsnetz {command}" in README, f"README does not show `bildungsnetz {command}`"


@pytest.mark.parametrize("command", _commands())
def test_every_command_has_help_with_an_example(command: str) -> None:
    group = typer.main.get_group(cli_app)
    help_text = group.commands[command].help or ""
    assert "Example" in help_text or "bildungsnetz " in help_text, command


@pytest.mark.parametrize("setting", sorted(SETTINGS))
def test_every_setting_is_in_the_readme(setting: str) -> None:
    assert f"`{setting}`" in README, f"README does not document the setting {setting}"


def test_every_api_route_is_in_the_readme(tmp_path: Path) -> None:
    app = create_app(OxigraphStore(tmp_path / "store"), query_workers=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # duplicate operation ids and the like
        paths = app.openapi()["paths"]
    documented = set(re.findall(r"`(?:GET |)(/[^` ?]*)", README))
    missing = sorted(p for p in paths if p not in documented)
    assert not missing, f"routes missing from README: {missing}"
