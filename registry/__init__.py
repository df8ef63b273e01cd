"""Bildungsnetz registry: store, catalogue, API, SPARQL endpoint, pages and CLI."""

from __future__ import annotations

from . import errors, namespaces
from .config import Feed, Partner, ServerSettings, Sources, load_sources
from .errors import RegistryError

__all__ = [
    "Feed",
    "Partner",
    "RegistryError",
    "ServerSettings",
    "Sources",
    "errors",
    "load_sources",
    "namespaces",
]

__version__ = "0.1.0"
