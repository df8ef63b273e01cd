"""Where the bundled files live: ontology, shapes, JSON-LD contexts, example region.

In a source checkout they are the top-level folders; an installed wheel carries them under
``registry/_data/`` (see ``pyproject.toml``).
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["contexts_dir", "examples_dir", "ontology_dir", "samples_dir", "shapes_dir"]

_PACKAGE = Path(__file__).resolve().parent


def _root(name: str) -> Path:
    checkout = _PACKAGE.parent / name
    if checkout.is_dir():
        return checkout
    return _PACKAGE / "_data" / name


def ontology_dir() -> Path:
    """``ontology/``: the ontology, code lists (``codelists/``), regions and contexts."""
    return _root("ontology")


def shapes_dir() -> Path:
    """``shapes/``: ``core.ttl`` (violations) and ``quality.ttl`` (warnings)."""
    return _root("shapes")


def examples_dir() -> Path:
    """``examples/``: the example region's sources file and partner feeds."""
    return _root("examples")


def contexts_dir() -> Path:
    """Bundled JSON-LD contexts, used instead of fetching any remote context."""
    return ontology_dir() / "contexts"


def samples_dir() -> Path | None:
    """``../shared/samples`` beside the checkout, when present (tests and CI have it)."""
    candidate = _PACKAGE.parent.parent / "shared" / "samples"
    return candidate if candidate.is_dir() else None
