"""The JSON API over the example region: listing, filters, paging, one offer, partners."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
from fastapi.testclient import TestClient
from webapp import example_app

from registry.catalogue import offer_id, offer_iri


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    app, store = example_app(tmp_path_factory.mktemp("api") / "store")
    with TestClient(app) as c:
        yield c
    store.close()


def test_offers_page_and_cursor(client: TestClient) -> None:
    first = client.get("/offers", params={"limit": 5})
    assert first.status_code == 200
    body = first.json()
    assert len(body["items"]) == 5 and body["next"]
    second = client.get("/offers", params={"limit": 5, "cursor": body["next"]}).json()
    assert not {i["iri"] for i in body["items"]} & {i["iri"] for i in second["items"]}
    last, nxt = body["items"][-1], second["items"][0]
    assert (last["next_start_date"] or "9999", last["iri"]) <= (
        nxt["next_start_date"] or "9999",
        nxt["iri"],
    )
    again = client.get("/offers", params={"limit": 5, "cursor": body["next"]}).json()
    assert again == second


def _all(client: TestClient, **params: str | int) -> tuple[list[dict], int]:
    """Every item of the query, page by page, and the ``total`` of the first page."""
    items: list[dict] = []
    cursor, total = None, None
    while True:
        page = client.get("/offers", params={**params, **({"cursor": cursor} if cursor else {})})
        assert page.status_code == 200, page.text
        body = page.json()
        total = body["total"] if total is None else total
        items += body["items"]
        cursor = body["next"]
        if not cursor:
            return items, total


@pytest.mark.parametrize(
    "params", [{"include_past": "true"}, {"q": "Pflege", "include_past": "true"}]
)
def test_paging_yields_each_offer_once_and_total_counts_offers(
    client: TestClient, params: dict[str, str]
) -> None:
    items, total = _all(client, **params, limit=7)
    iris = [i["iri"] for i in items]
    assert len(iris) == len(set(iris)) == total > 7
    assert sum(i["run_count"] for i in items) > total  # offers with several runs are one item
    assert all(i["run_count"] == len(i["runs"]) >= 1 for i in items)


def test_kreis_facet_counts_offers(client: TestClient) -> None:
    items, _ = _all(client, include_past="true", limit=200)
    body = client.get("/offers", params={"include_past": "true", "limit": 1}).json()
    runs_per_kreis: dict[str, int] = {}
    offers_per_kreis: dict[str, set[str]] = {}
    for item in items:
        for run in item["runs"]:
            if run["kreis"]:
                ags = run["kreis"]["ags"]
                runs_per_kreis[ags] = runs_per_kreis.get(ags, 0) + 1
                offers_per_kreis.setdefault(ags, set()).add(item["iri"])
    counted = {e["value"]: e["count"] for e in body["facets"]["kreis"]}
    assert counted == {ags: len(o) for ags, o in offers_per_kreis.items()}
    assert any(counted[a] < runs_per_kreis[a] for a in counted)
    ags = next(a for a in counted if counted[a] < runs_per_kreis[a])
    chosen, chosen_total = _all(client, include_past="true", kreis=ags, limit=200)
    assert chosen_total == len(chosen) == counted[ags]


def test_offers_filters_apply(client: TestClient) -> None:
    items = client.get("/offers", params={"mode": "digital", "limit": 200}).json()["items"]
    assert items and all(r["mode"]["rollup"] == "digital" for i in items for r in i["runs"])
    lippe = client.get("/offers", params={"kreis": "05766", "limit": 200}).json()["items"]
    assert lippe and all(r["kreis"]["ags"] == "05766" for i in lippe for r in i["runs"])
    by_iri = client.get(
        "/offers", params={"kreis": lippe[0]["runs"][0]["kreis"]["iri"], "limit": 200}
    )
    assert by_iri.json()["items"] == lippe
    partner = lippe[0]["provider"]["partner"]
    mine = client.get("/offers", params={"provider": partner, "limit": 200}).json()["items"]
    assert mine and {i["provider"]["partner"] for i in mine} == {partner}


def test_offers_as_jsonld_use_schema_org(client: TestClient) -> None:
    r = client.get("/offers", params={"limit": 3}, headers={"Accept": "application/ld+json"})
    assert r.headers["content-type"].startswith("application/ld+json")
    doc = r.json()
    assert doc["@context"]["@vocab"] == "https://schema.org/"
    triples = list(ox.parse(r.content, format=ox.RdfFormat.JSON_LD))
    courses = {t.subject for t in triples if t.object == ox.NamedNode("https://schema.org/Course")}
    assert len(courses) == 3
    instances = {t.object for t in triples if t.predicate.value.endswith("hasCourseInstance")}
    assert {i.value for i in instances} == {
        r["run"]
        for i in client.get("/offers", params={"limit": 3}).json()["items"]
        for r in i["runs"]
    }


def test_etag_and_304(client: TestClient) -> None:
    r = client.get("/offers", params={"limit": 2})
    assert r.headers["cache-control"] and r.headers["etag"]
    again = client.get("/offers", params={"limit": 2}, headers={"If-None-Match": r.headers["etag"]})
    assert again.status_code == 304 and not again.content
    other = client.get("/offers", params={"limit": 3}, headers={"If-None-Match": r.headers["etag"]})
    assert other.status_code == 200 and other.headers["etag"] != r.headers["etag"]


def test_one_offer_by_id_and_by_iri(client: TestClient) -> None:
    item = client.get("/offers", params={"limit": 1}).json()["items"][0]
    assert offer_iri(item["id"]) == item["iri"] and offer_id(item["iri"]) == item["id"]
    offer = client.get(f"/offers/{item['id']}").json()
    assert offer["iri"] == item["iri"] and offer["runs"]
    assert {r["run"] for r in item["runs"]} <= {r["run"] for r in offer["runs"]}
    assert client.get("/offers/by-iri", params={"iri": item["iri"]}).json() == offer
    ld = client.get(f"/offers/{item['id']}", headers={"Accept": "application/ld+json"})
    graph = ox.parse(ld.content, format=ox.RdfFormat.JSON_LD)
    assert any(t.subject == ox.NamedNode(item["iri"]) for t in graph)


def test_unknown_offer_is_404(client: TestClient) -> None:
    r = client.get("/offers/" + offer_id("https://nobody.example/angebot/x"))
    assert r.status_code == 404 and r.json()["error"] == "not_found"


def test_partners_and_harvests(client: TestClient) -> None:
    partners = client.get("/partners").json()
    assert len(partners) >= 8 and all(p["offers"] > 0 for p in partners)
    one = client.get(f"/partners/{partners[0]['id']}").json()
    assert one["id"] == partners[0]["id"] and one["sources"]
    runs = client.get(f"/partners/{partners[0]['id']}/harvests")
    assert runs.status_code == 200 and isinstance(runs.json(), list)
    assert client.get("/partners/nobody/harvests").status_code == 404


def test_health_metrics_and_docs(client: TestClient) -> None:
    health = client.get("/healthz").json()
    assert health["status"] == "ok" and health["offer_runs"] > 0
    client.get("/offers")
    metrics = client.get("/metrics").text
    assert 'bildungsnetz_http_requests_total{method="GET",route="/offers",status="200"}' in metrics
    assert f"bildungsnetz_offer_runs {float(health['offer_runs'])}" in metrics
    spec = client.get("/openapi.json").json()
    for route in ("/offers", "/offers/{id}", "/partners", "/partners/{id}/harvests"):
        assert spec["paths"][route]["get"]["summary"]
    params = {p["name"] for p in spec["paths"]["/offers"]["get"]["parameters"]}
    assert {"q", "kreis", "mode", "funding", "topic", "provider", "cursor", "limit"} <= params
    assert json.dumps(spec).count("example") > 3
    answer = spec["paths"]["/offers"]["get"]["responses"]["200"]["content"]["application/json"]
    assert answer["schema"]["$ref"].endswith("/OfferList")
    hit = spec["components"]["schemas"]["OfferHit"]["properties"]
    assert {"runs", "run_count", "next_start_date", "distance_km", "score"} <= set(hit)


def test_generation_moves_at_once_after_a_refresh_and_soon_after_other_writers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The generation (and so every ETag) is kept in memory: a re-index through this process
    shows at once; a snapshot or index written by another process within the TTL."""
    import time

    from registry import catalogue as catalogue_mod
    from registry import offer_index as index_mod
    from registry.catalogue import Catalogue
    from registry.offer_index import OfferIndex

    monkeypatch.setattr(catalogue_mod, "GENERATION_TTL_S", 0.2)
    monkeypatch.setattr(index_mod, "GENERATION_TTL_S", 0.2)
    app, store = example_app(tmp_path / "store")
    with TestClient(app) as client:
        catalogue: Catalogue = app.state.catalogue
        etag = client.get("/offers", params={"limit": 2}).headers["etag"]
        before = catalogue.generation
        source = catalogue.index.sources()[0]
        catalogue.refresh([source])  # publishes a snapshot and re-indexes, no waiting
        after = catalogue.generation
        assert after != before
        assert after.split(".")[0] != before.split(".")[0]  # the new snapshot
        fresh = client.get("/offers", params={"limit": 2}, headers={"If-None-Match": etag})
        assert fresh.status_code == 200 and fresh.headers["etag"] != etag
        other = OfferIndex(catalogue.index.path)  # another writer of the same index file
        other.replace_source("elsewhere", [])
        other.close()
        time.sleep(0.25)
        assert catalogue.generation.split(".")[1] == str(int(after.split(".")[1]) + 1)
    store.close()
