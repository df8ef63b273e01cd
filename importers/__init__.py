"""Importers: the harvest stages fetch, parse, normalise, ownership, validate, load, record."""

from __future__ import annotations

__all__: list[str] = []
