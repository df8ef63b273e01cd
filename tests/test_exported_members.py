"""Every module declares its public surface with ``__all__``, and every name in it exists."""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType

import pytest

import importers
import registry


def _modules() -> list[str]:
    names: list[str] = []
    for package in (registry, importers):
        names.append(package.__name__)
        for info in pkgutil.walk_packages(package.__path__, prefix=package.__name__ + "."):
            if not info.name.rsplit(".", 1)[-1].startswith("_"):
                names.append(info.name)
    return sorted(names)


@pytest.mark.parametrize("name", _modules())
def test_module_declares_all(name: str) -> None:
    module: ModuleType = importlib.import_module(name)
    exported = getattr(module, "__all__", None)
    if name.startswith("registry.cli.") and exported is None:
        # command modules expose register(app) only; the CLI test covers them
        assert callable(getattr(module, "register", None)), name
        return
    assert exported is not None, f"{name} has no __all__"
    missing = [n for n in exported if not hasattr(module, n)]
    assert not missing, f"{name}.__all__ names missing members: {missing}"
    assert len(set(exported)) == len(exported)
