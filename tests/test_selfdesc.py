"""The catalogue describes itself: DCAT catalogue and VoID, linked from the home page."""

from __future__ import annotations

from collections.abc import Iterator

import pyoxigraph as ox
import pytest
from fastapi.testclient import TestClient
from webapp import example_app

from registry.namespaces import DCAT, RDF, SOURCE, VOID
from registry.selfdesc import CATALOG


@pytest.fixture(scope="module")
def app_and_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, object]]:
    app, store = example_app(tmp_path_factory.mktemp("void") / "store")
    with TestClient(app) as c:
        yield c, store
    store.close()


def parse(body: bytes) -> list[ox.Triple]:
    return [
        ox.Triple(q.subject, q.predicate, q.object)
        for q in ox.parse(body, format=ox.RdfFormat.TURTLE)
    ]


def test_void_describes_catalogue_sources_and_endpoints(app_and_store) -> None:
    client, store = app_and_store
    triples = parse(client.get("/.well-known/void").content)
    catalog = ox.NamedNode(CATALOG)
    assert ox.Triple(catalog, ox.NamedNode(RDF + "type"), ox.NamedNode(DCAT + "Catalog")) in triples
    objects = {t.predicate.value: t.object for t in triples if t.subject == catalog}
    assert objects[VOID + "sparqlEndpoint"].value == "http://testserver/sparql"
    assert objects[VOID + "dataDump"].value == "http://testserver/dump.nq"
    subsets = {
        t.object.value
        for t in triples
        if t.subject == catalog
        and t.predicate.value == VOID + "subset"
        and t.object.value.startswith(SOURCE)
    }
    assert subsets == {g for g in store.named_graphs() if g.startswith(SOURCE)}
    for source in subsets:
        count = next(
            int(t.object.value)
            for t in triples
            if t.subject == ox.NamedNode(source) and t.predicate.value == VOID + "triples"
        )
        assert count == sum(1 for _ in store.triples(source))
    service = objects[DCAT + "service"]
    assert (
        ox.Triple(service, ox.NamedNode(RDF + "type"), ox.NamedNode(DCAT + "DataService"))
        in triples
    )


def test_catalog_path_and_formats(app_and_store) -> None:
    client, _ = app_and_store
    same = client.get("/catalog", headers={"Accept": "text/turtle"})
    assert set(parse(same.content)) == set(parse(client.get("/.well-known/void").content))
    ld = client.get("/catalog", headers={"Accept": "application/ld+json"})
    assert any(
        t.subject.value == CATALOG for t in ox.parse(ld.content, format=ox.RdfFormat.JSON_LD)
    )


def test_home_page_links_the_self_description(app_and_store) -> None:
    client, _ = app_and_store
    page = client.get("/", headers={"Accept": "text/html"})
    assert page.status_code == 200
    for link in ('href="/.well-known/void"', 'href="/catalog"', 'href="/sparql"', 'href="/offers"'):
        assert link in page.text
