"""Offline geocoding of the region and the distance filter of ``GET /offers``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from webapp import example_app

from registry.errors import InvalidParameter
from registry.geo import Gazetteer, distance_km, gazetteer_for, places_file
from registry.vocabulary import Labels, default_region_files


@pytest.fixture(scope="module")
def gazetteer() -> Gazetteer:
    return gazetteer_for()


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
