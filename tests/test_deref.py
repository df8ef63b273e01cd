"""Minted IRIs resolve at the same path, negotiated; offer pages embed schema.org JSON-LD."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from fastapi.testclient import TestClient
from webapp import example_app

from importers.state import save_report
from importers.validate import OfferReport, Problem, ValidationResult
from registry.namespaces import BASE, PARTNER, RDF, SCHEMA, SH, SKOS

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    app, store = example_app(tmp_path_factory.mktemp("deref") / "store")
    with TestClient(app) as c:
        yield c
    store.close()


@pytest.fixture(scope="module")
def partner_id(client: TestClient) -> str:
    return str(client.get("/partners").json()[0]["id"])


@pytest.mark.parametrize(
    ("accept", "fmt"),
    [
        ("*/*", ox.RdfFormat.TURTLE),
        ("text/turtle", ox.RdfFormat.TURTLE),
        ("application/ld+json", ox.RdfFormat.JSON_LD),
        ("application/n-triples", ox.RdfFormat.N_TRIPLES),
        ("application/rdf+xml", ox.RdfFormat.RDF_XML),
    ],
)
def test_partner_iri_negotiates(
    client: TestClient, partner_id: str, accept: str, fmt: ox.RdfFormat
) -> None:
    r = client.get(f"/partner/{partner_id}", headers={"Accept": accept})
    assert r.status_code == 200
    triples = list(ox.parse(r.content, format=fmt))
    assert ox.NamedNode(PARTNER + partner_id) in {t.subject for t in triples}


def test_partner_page_for_browsers_lists_offers(client: TestClient, partner_id: str) -> None:
    r = client.get(f"/partner/{partner_id}", headers={"Accept": BROWSER})
    assert r.headers["content-type"].startswith("text/html")
    assert "/offers/" in r.text and '<html lang="de">' in r.text
    en = client.get(f"/partner/{partner_id}?lang=en", headers={"Accept": BROWSER})
    assert '<html lang="en">' in en.text


def test_concept_and_scheme(client: TestClient) -> None:
    concept = client.get("/code/foerderart/2", headers={"Accept": "text/turtle"})
    triples = list(ox.parse(concept.content, format=ox.RdfFormat.TURTLE))
    subject = ox.NamedNode(BASE + "code/foerderart/2")
    assert any(t.subject == subject and t.predicate.value == SKOS + "prefLabel" for t in triples)
    scheme = client.get("/code/foerderart", headers={"Accept": "application/n-triples"})
    members = {
        t.subject
        for t in ox.parse(scheme.content, format=ox.RdfFormat.N_TRIPLES)
        if t.predicate.value == SKOS + "inScheme"
    }
    assert subject in members and len(members) > 5
    page = client.get("/code/foerderart/2", headers={"Accept": BROWSER})
    assert "Bildungsgutschein" in page.text


def test_ontology_and_region(client: TestClient) -> None:
    onto = client.get("/ontology", headers={"Accept": "text/turtle"})
    subjects = {t.subject.value for t in ox.parse(onto.content, format=ox.RdfFormat.TURTLE)}
    assert any(s.startswith(BASE + "ontology#") for s in subjects)
    kreis = client.get("/region/owl/kreis/05766", headers={"Accept": "text/turtle"})
    assert kreis.status_code == 200 and b"05766" in kreis.content


def test_unknown_iri_is_404(client: TestClient) -> None:
    assert client.get("/code/foerderart/999999").status_code == 404
    assert client.get("/harvest/nothing").status_code == 404


def test_format_parameter_for_links(client: TestClient, partner_id: str) -> None:
    r = client.get(f"/partner/{partner_id}?format=nt")
    assert r.headers["content-type"].startswith("application/n-triples")


def test_offer_page_embeds_schema_org_jsonld(client: TestClient) -> None:
    item = client.get("/offers", params={"limit": 1}).json()["items"][0]
    page = client.get(f"/offers/{item['id']}", headers={"Accept": BROWSER})
    assert page.headers["content-type"].startswith("text/html")
    match = re.search(r'<script type="application/ld\+json">(.*?)</script>', page.text, re.S)
    assert match
    doc = json.loads(match.group(1))
    parsed = ox.parse(json.dumps(doc).encode(), format=ox.RdfFormat.JSON_LD)
    triples = {(q.subject.value, q.predicate.value, q.object.value) for q in parsed}
    assert (item["iri"], RDF + "type", "https://schema.org/Course") in triples
    assert item["title"] in page.text
    english = client.get(f"/offers/{item['id']}?lang=en", headers={"Accept": BROWSER})
    assert '<html lang="en">' in english.text and "Runs" in english.text
    assert (
        client.get(f"/offers/{item['id']}?lang=fr", headers={"Accept": BROWSER}).status_code == 422
    )


def test_feed_report_graph_resolves(tmp_path: Path) -> None:
    """The report graph a harvest writes per feed is a minted IRI: machines get the graph."""
    app, store = example_app(tmp_path / "store")
    problem = Problem(
        offer="https://a.example/k",
        focus="https://a.example/k",
        path=SCHEMA + "inLanguage",
        value=None,
        severity="Warning",
        component=SH + "MinCountConstraintComponent",
        shape="https://w3id.org/bildungsnetz/shapes/quality#Language",
        messages={"de": "Sprache fehlt", "en": "Language missing"},
        focus_term=ox.NamedNode("https://a.example/k"),
    )
    offers = {"https://a.example/k": OfferReport("https://a.example/k", "Kurs", "h", [problem])}
    graph = save_report(store, "a", ValidationResult(offers=offers))
    store.publish()
    with TestClient(app) as c:
        r = c.get(graph.removeprefix(BASE.rstrip("/")), headers={"Accept": "text/turtle"})
        assert r.status_code == 200
        data = rdflib.Graph().parse(data=r.text, format="turtle")
        results = list(data.objects(rdflib.URIRef(graph), rdflib.URIRef(SH + "result")))
        assert len(results) == 1
        assert (
            results[0],
            rdflib.URIRef(SH + "resultMessage"),
            rdflib.Literal("Language missing", lang="en"),
        ) in data
        page = c.get(graph.removeprefix(BASE.rstrip("/")), headers={"Accept": BROWSER})
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert c.get("/harvest/report/nothing-here").status_code == 404
    store.close()
