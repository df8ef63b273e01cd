"""Real SPARQL clients against the live endpoint: SPARQLWrapper and rdflib's SPARQLStore."""

from __future__ import annotations

import json
from collections.abc import Iterator
from urllib.error import HTTPError

import pyoxigraph as ox
import pytest
import rdflib
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from sparqlserver import LiveServer, build_app, fill_store
from SPARQLWrapper import CSV, JSON, POST, TURTLE, XML, SPARQLWrapper

from registry.config import ServerSettings

SCHEMA = "https://schema.org/"
SOURCE_A = "https://w3id.org/bildungsnetz/source/a"
SOURCE_B = "https://w3id.org/bildungsnetz/source/b"


def course(i: int, name: str) -> list[ox.Triple]:
    s = ox.NamedNode(f"https://a.example/course/{i}")
    return [
        ox.Triple(s, ox.NamedNode(rdflib.RDF.type), ox.NamedNode(SCHEMA + "Course")),
        ox.Triple(s, ox.NamedNode(SCHEMA + "name"), ox.Literal(name, language="de")),
    ]


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("clients")
    store = fill_store(
        root / "store",
        {SOURCE_A: course(1, "Schweißen") + course(2, "Excel"), SOURCE_B: course(3, "Python")},
    )
    store.close()
    app, _ = build_app(root / "store" / "snapshots", ServerSettings(query_timeout_s=10))
    live = LiveServer(app)
    yield live.url + "/sparql"
    live.close()


NAMES = f"SELECT ?name WHERE {{ ?c a <{SCHEMA}Course> ; <{SCHEMA}name> ?name }} ORDER BY ?name"


def wrapper(endpoint: str, query: str, fmt: str) -> SPARQLWrapper:
    sparql = SPARQLWrapper(endpoint)
    sparql.setQuery(query)
    sparql.setReturnFormat(fmt)
    return sparql


def test_sparqlwrapper_select_json(endpoint: str) -> None:
    result = wrapper(endpoint, NAMES, JSON).queryAndConvert()
    assert isinstance(result, dict)
    names = [b["name"]["value"] for b in result["results"]["bindings"]]
    assert names == ["Excel", "Python", "Schweißen"]
    assert result["results"]["bindings"][0]["name"]["xml:lang"] == "de"


def test_sparqlwrapper_select_xml_by_post(endpoint: str) -> None:
    sparql = wrapper(endpoint, NAMES, XML)
    sparql.setMethod(POST)
    document = sparql.queryAndConvert()
    literals = [n.firstChild.data for n in document.getElementsByTagName("literal")]  # type: ignore[union-attr]
    assert literals == ["Excel", "Python", "Schweißen"]


def test_sparqlwrapper_select_csv(endpoint: str) -> None:
    raw = wrapper(endpoint, NAMES, CSV).queryAndConvert()
    assert isinstance(raw, bytes)
    assert raw.decode().split() == ["name", "Excel", "Python", "Schweißen"]


def test_sparqlwrapper_ask(endpoint: str) -> None:
    yes = wrapper(endpoint, f"ASK {{ ?c <{SCHEMA}name> 'Python'@de }}", JSON).queryAndConvert()
    no = wrapper(endpoint, f"ASK {{ ?c <{SCHEMA}name> 'Cobol'@de }}", JSON).queryAndConvert()
    assert (yes["boolean"], no["boolean"]) == (True, False)  # type: ignore[index]


def test_sparqlwrapper_construct_turtle(endpoint: str) -> None:
    query = (
        f"CONSTRUCT {{ ?c <{SCHEMA}name> ?n }} "
        f"WHERE {{ GRAPH <{SOURCE_A}> {{ ?c <{SCHEMA}name> ?n }} }}"
    )
    raw = wrapper(endpoint, query, TURTLE).queryAndConvert()
    graph = rdflib.Graph().parse(data=raw, format="turtle")
    assert len(graph) == 2
    assert {str(o) for o in graph.objects()} == {"Schweißen", "Excel"}


def test_sparqlwrapper_update_is_refused(endpoint: str) -> None:
    sparql = SPARQLWrapper(endpoint)
    sparql.setMethod(POST)
    sparql.setQuery(f"INSERT DATA {{ GRAPH <{SOURCE_A}> {{ <a:x> <a:y> <a:z> }} }}")
    assert sparql.isSparqlUpdateRequest()  # sent as update=…, the form of a real update
    # SPARQLWrapper wraps some statuses in its own exceptions; 403 surfaces as the HTTPError
    with pytest.raises(HTTPError) as refused:
        sparql.query()
    assert refused.value.code == 403
    assert json.loads(refused.value.read())["error"] == "update_refused"
    count = wrapper(endpoint, "SELECT (COUNT(*) AS ?n) { <a:x> ?p ?o }", JSON).queryAndConvert()
    assert count["results"]["bindings"][0]["n"]["value"] == "0"  # type: ignore[index]


def test_rdflib_sparqlstore(endpoint: str) -> None:
    graph = rdflib.Graph(store=SPARQLStore(endpoint))
    rows = list(graph.query(NAMES))
    assert [str(r[0]) for r in rows] == ["Excel", "Python", "Schweißen"]  # type: ignore[index]
    assert graph.query(f"ASK {{ ?c a <{SCHEMA}Course> }}").askAnswer is True
    constructed = graph.query(f"CONSTRUCT WHERE {{ ?c a <{SCHEMA}Course> }}").graph
    assert constructed is not None and len(constructed) == 3
