"""Offline geocoding for the distance filter: place names and postal codes of the region.

Why a committed table: the search must work without a network at run time, and no installable
package carries German postal codes offline. The region's municipalities (name, main postal
codes, Kreis AGS, centre) are region data beside the region's Turtle file:
``regions/owl.ttl`` → ``regions/owl-places.csv``; another region is another pair of files, named
in the sources file's ``[region] files``. Coordinates are GeoNames town points (CC BY 4.0;
a few marked ``coord_source=approximate`` are hand-compiled, about 1 km),
written by ``python -m registry.places``; ``#`` lines are comments (the source citation) and
columns beyond name, postal_codes, kreis_ags, lat, lon are ignored here.

``near`` accepts a place name ("Höxter", "hoexter", "Halle"), a postal code of the table
("37671") or "lat,lon"; anything else is a 422 naming ``near``.
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .errors import ConfigError, InvalidParameter
from .search_text import tokens
from .vocabulary import default_region_files

__all__ = [
    "Gazetteer",
    "Place",
    "distance_km",
    "gazetteer_for",
    "places_file",
]

_LATLON = re.compile(r"^\s*(-?\d{1,2}(?:\.\d+)?)\s*,\s*(-?\d{1,3}(?:\.\d+)?)\s*$")
_POSTAL = re.compile(r"^\s*(\d{5})\s*$")
_EARTH_KM = 6371.0


@dataclass(frozen=True)
class Place:
    """A point to measure from: a municipality of the table or given coordinates."""

    name: str
    lat: float
    lon: float
    kreis_ags: str | None = None
    postal_codes: tuple[str, ...] = ()


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine) in km."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * _EARTH_KM * math.asin(min(1.0, math.sqrt(a)))


def _key(name: str) -> str:
    return " ".join(tokens(name))


class Gazetteer:
    """The places of one or more region tables, by folded name and by postal code."""

    def __init__(self, places: Iterable[Place]) -> None:
        self.places = list(places)
        self._by_postal: dict[str, Place] = {}
        self._by_name: dict[str, Place] = {}
        for place in self.places:
            for code in place.postal_codes:
                self._by_postal.setdefault(code, place)
            key = _key(place.name)
            self._by_name.setdefault(key, place)
            # "Halle (Westf.)" is also "Halle"
            short = _key(re.sub(r"\(.*?\)", "", place.name))
            self._by_name.setdefault(short, place)

    @classmethod
    def from_csv(cls, paths: Sequence[Path]) -> Gazetteer:
        places: list[Place] = []
        for path in paths:
            try:
                with path.open(encoding="utf-8", newline="") as handle:
                    data = (line for line in handle if not line.startswith("#"))
                    for row in csv.DictReader(data):
                        places.append(
                            Place(
                                name=row["name"],
                                lat=float(row["lat"]),
                                lon=float(row["lon"]),
                                kreis_ags=row["kreis_ags"] or None,
                                postal_codes=tuple(row["postal_codes"].split()),
                            )
                        )
            except (OSError, KeyError, ValueError) as exc:
                raise ConfigError(f"cannot read the places table {path}: {exc}") from exc
        return cls(places)

    def by_postal_code(self, code: str) -> Place | None:
        return self._by_postal.get(code.strip())

    def by_name(self, name: str) -> Place | None:
        return self._by_name.get(_key(name))

    def kreis_of(self, postal_code: str) -> str | None:
        """The Kreis AGS of a postal code of the table."""
        place = self.by_postal_code(postal_code)
        return place.kreis_ags if place else None

    def locate(self, near: str) -> Place:
        """The point ``near`` names; 422 naming ``near`` when it names none."""
        text = near.strip()
        if len(text) > 100:
            raise InvalidParameter("near is too long", parameter="near", value=text[:40] + "…")
        match = _LATLON.match(text)
        if match:
            lat, lon = float(match.group(1)), float(match.group(2))
            if not (-90 <= lat <= 90 and -180 <= lon <= 180):
                raise InvalidParameter(
                    "near: latitude must lie in [-90, 90] and longitude in [-180, 180]",
                    parameter="near",
                    value=near,
                )
            return Place(name=f"{lat:.5f},{lon:.5f}", lat=lat, lon=lon)
        if _POSTAL.match(text):
            place = self.by_postal_code(text)
            if place is None:
                raise InvalidParameter(
                    f"near: unknown postal code {text} (not in the region's places table)",
                    parameter="near",
                    value=near,
                )
            return place
        place = self.by_name(text)
        if place is None:
            raise InvalidParameter(
                "near must be a place of the region, a postal code or 'lat,lon'",
                parameter="near",
                value=near,
            )
        return place


def places_file(region_file: Path) -> Path:
    """The places table beside a region file: ``owl.ttl`` → ``owl-places.csv``."""
    return region_file.with_name(region_file.stem + "-places.csv")


@lru_cache(maxsize=8)
def _cached(paths: tuple[Path, ...]) -> Gazetteer:
    return Gazetteer.from_csv(list(paths))


def gazetteer_for(region_files: Sequence[Path] | None = None) -> Gazetteer:
    """The gazetteer of the region files (default: the bundled region); regions without a
    places table contribute no places."""
    files = list(region_files) if region_files else default_region_files()
    tables = tuple(p for p in (places_file(Path(f)) for f in files) if p.is_file())
    return _cached(tables)
