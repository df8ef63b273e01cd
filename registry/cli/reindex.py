"""``bildungsnetz reindex``: rebuild the offer index and its search table from the store.

Why a command: the side table (``STORE/offers.sqlite``, rows, full text, facets) is derived
data; after a schema change, a lost file or any doubt it is rebuilt from the store alone.
The server must not be running on the same store (it is the store's one writer).
"""

from __future__ import annotations

import time
from pathlib import Path

import typer

from ..catalogue import Catalogue
from ..config import load_sources
from ..errors import ConfigError
from ..offer_index import OfferIndex
from ..store import OxigraphStore

__all__ = ["register", "reindex"]


def reindex(
    config: Path = typer.Option(..., "--config", help="sources file (TOML)"),
    store: Path = typer.Option(..., "--store", help="store directory"),
) -> None:
    """Rebuild the offer index and full-text search of STORE from the store's data.

    Example: ``bildungsnetz reindex --config examples/sources.toml --store data/``
    """
    sources = load_sources(config)
    if not store.is_dir():
        raise ConfigError(f"no store at {store}")
    opened = OxigraphStore(store)
    index = OfferIndex(store / "offers.sqlite")
    try:
        started = time.perf_counter()
        index.reset()
        Catalogue(opened, index, sources).refresh()
        typer.echo(
            f"indexed {index.count()} course runs of {index.count_offers()} offers from "
            f"{len(index.sources())} sources in {time.perf_counter() - started:.1f} s"
        )
    finally:
        index.close()
        opened.close()


def register(app: typer.Typer) -> None:
    app.command()(reindex)
