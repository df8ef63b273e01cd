"""The SPARQL endpoint against the W3C SPARQL 1.1 Protocol manifest, and our own additions.

Every manifest entry runs against a live uvicorn server. Query tests must meet the manifest's
expected status, format and boolean. The endpoint is read-only, so an update request must get
403 instead of the manifest's 2xx, and a follow-up ASK that would see the update's effect must
see that nothing changed (the opposite of the manifest's expected boolean).
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
import rdflib
from rdflib.collection import Collection
from rdflib.namespace import RDFS
from sparqlserver import LiveServer, build_app, fill_store

from registry.config import ServerSettings
from registry.sparql import analyse_query

W3C = Path(__file__).parent / "w3c" / "protocol"
MF = rdflib.Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = rdflib.Namespace("http://www.w3.org/2011/http#")
CNT = rdflib.Namespace("http://www.w3.org/2011/content#")
UT = rdflib.Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
HTS = "http://www.w3.org/2011/http-statusCodes#"

RESULTS_TYPES = {
    "application/sparql-results+json",
    "application/sparql-results+xml",
    "text/csv",
    "text/tab-separated-values",
}
RDF_TYPES = {"text/turtle", "application/n-triples", "application/rdf+xml"}
STATUS_NAMES = {"OK": 200, "Created": 201, "NoContent": 204, "NotFound": 404}


@dataclass
class HttpRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes | None
    statuses: list[str]
    expected_format: str | None
    expected_boolean: bool | None

    @property
    def is_update(self) -> bool:
        content_type = self.headers.get("content-type", "")
        text = (self.body or b"").decode("utf-8", "replace")
        return (
            content_type.startswith("application/sparql-update")
            or text.startswith("update=")
            or "update=" in self.path
        )


def status_ok(status: int, expected: list[str]) -> bool:
    for name in expected:
        local = name.removeprefix(HTS)
        if local.startswith("StatusCode"):
            if str(status)[0] == local[len("StatusCode")]:
                return True
        elif STATUS_NAMES.get(local) == status:
            return True
    return False


def requests_of(graph: rdflib.Graph, entry: rdflib.term.Node) -> list[HttpRequest]:
    """The HTTP requests of one manifest entry, in order."""
    action = graph.value(entry, MF.action)
    requests = []
    for req in Collection(graph, graph.value(action, HT.requests)):
        headers = {}
        header_list = graph.value(req, HT.headers)
        if header_list is not None:
            for h in Collection(graph, header_list):
                headers[str(graph.value(h, HT.fieldName)).lower()] = str(
                    graph.value(h, HT.fieldValue)
                )
        body = None
        body_node = graph.value(req, HT.body)
        if body_node is not None:
            encoding = str(graph.value(body_node, CNT.characterEncoding) or "UTF-8")
            body = str(graph.value(body_node, CNT.chars)).encode(encoding.lower())
        resp = graph.value(req, HT.resp)
        boolean = graph.value(resp, MF.expectedBoolean)
        fmt = graph.value(resp, MF.expectedFormat)
        requests.append(
            HttpRequest(
                method=str(graph.value(req, HT.methodName)),
                path=str(graph.value(req, HT.absolutePath)),
                headers=headers,
                body=body,
                statuses=[str(s) for s in graph.objects(resp, MF.expectedStatus)],
                expected_format=str(fmt) if fmt is not None else None,
                expected_boolean=bool(boolean.toPython()) if boolean is not None else None,
            )
        )
    return requests


def load_manifest(path: Path) -> list[tuple[str, list[HttpRequest]]]:
    graph = rdflib.Graph().parse(path, format="turtle")
    manifest = next(graph.subjects(rdflib.RDF.type, MF.Manifest))
    return [
        (str(entry).rsplit("#", 1)[-1], requests_of(graph, entry))
        for entry in Collection(graph, graph.value(manifest, MF.entries))
    ]


def data_graphs() -> dict[str, list[ox.Triple]]:
    """data1-3.nt, each in the graph the manifest's ut:graphData labels it with."""
    graph = rdflib.Graph().parse(W3C / "manifest.ttl", format="turtle")
    graphs: dict[str, list[ox.Triple]] = {}
    for data in graph.objects(None, UT.graphData):
        file = Path(str(graph.value(data, UT.graph)).rsplit("/", 1)[-1])
        iri = str(graph.value(data, RDFS.label))
        quads = ox.parse(path=str(W3C / file), format=ox.RdfFormat.N_TRIPLES)
        graphs[iri] = [ox.Triple(q.subject, q.predicate, q.object) for q in quads]
    return graphs


MANIFEST = load_manifest(W3C / "manifest.ttl")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    root = tmp_path_factory.mktemp("sparql")
    store = fill_store(root / "store", data_graphs())
    store.close()
    app, _pool = build_app(root / "store" / "snapshots", ServerSettings(query_timeout_s=10))
    live = LiveServer(app)
    yield live
    live.close()


def boolean_of(response: httpx.Response) -> bool:
    media = response.headers["content-type"].split(";")[0]
    if media == "application/sparql-results+json":
        return bool(json.loads(response.text)["boolean"])
    assert media == "application/sparql-results+xml", media
    found = re.search(r"<boolean>(true|false)</boolean>", response.text)
    assert found, response.text
    return found.group(1) == "true"


def check_format(response: httpx.Response, expected: str) -> None:
    media = response.headers["content-type"].split(";")[0]
    if expected == "boolean":
        boolean_of(response)
    elif expected == "tabular":
        assert media in RESULTS_TYPES, media
    elif expected == "RDF":
        assert media in RDF_TYPES, media
        fmt = ox.RdfFormat.from_media_type(media)
        assert fmt is not None
        list(ox.parse(response.content, format=fmt))
    else:  # pragma: no cover - the manifest defines three formats only
        raise AssertionError(expected)


def send(client: httpx.Client, request: HttpRequest) -> httpx.Response:
    return client.request(
        request.method, request.path, headers=request.headers, content=request.body
    )


@pytest.mark.parametrize(("name", "requests"), MANIFEST, ids=[n for n, _ in MANIFEST])
def test_w3c_protocol(server: LiveServer, name: str, requests: list[HttpRequest]) -> None:
    refused_update = False
    with httpx.Client(base_url=server.url, timeout=20) as client:
        for request in requests:
            response = send(client, request)
            if request.is_update:
                if status_ok(200, request.statuses):
                    # a valid update: the manifest expects success, a read-only endpoint refuses
                    assert response.status_code == 403, response.text
                    assert response.json()["error"] == "update_refused"
                    refused_update = True
                else:
                    assert status_ok(response.status_code, request.statuses), response.text
                continue
            assert status_ok(response.status_code, request.statuses), (
                response.status_code,
                response.text,
            )
            if request.expected_format:
                check_format(response, request.expected_format)
            if request.expected_boolean is not None:
                if refused_update:
                    # the ASK looks for the refused update's effect: there must be none
                    assert boolean_of(response) is not request.expected_boolean
                else:
                    assert boolean_of(response) is request.expected_boolean


def test_manifest_was_read_completely() -> None:
    assert len(MANIFEST) == 34
    assert sum(1 for _, reqs in MANIFEST if not reqs[0].is_update) >= 20


# -- beyond the manifest -------------------------------------------------------------------


@pytest.fixture
def client(server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=20) as c:
        yield c


SELECT = "SELECT ?s WHERE { ?s a ?type } ORDER BY ?s"


@pytest.mark.parametrize(
    ("accept", "media"),
    [
        ("application/sparql-results+json", "application/sparql-results+json"),
        ("application/sparql-results+xml", "application/sparql-results+xml"),
        ("text/csv", "text/csv"),
        ("text/tab-separated-values", "text/tab-separated-values"),
        ("application/json", "application/json"),
        ("text/csv;q=0.5, application/sparql-results+xml", "application/sparql-results+xml"),
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "application/xml"),
    ],
)
def test_select_negotiates_results_format(client: httpx.Client, accept: str, media: str) -> None:
    response = client.get("/sparql", params={"query": SELECT}, headers={"Accept": accept})
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == media
    fmt = ox.QueryResultsFormat.from_media_type(media)
    if fmt == ox.QueryResultsFormat.CSV:  # pyoxigraph does not read CSV results
        assert len(list(csv.reader(io.StringIO(response.text)))) == 1 + 3
        return
    rows = list(ox.parse_query_results(response.content, format=fmt))  # type: ignore[union-attr]
    assert len(rows) == 3


@pytest.mark.parametrize(
    ("accept", "fmt"),
    [
        ("text/turtle", ox.RdfFormat.TURTLE),
        ("application/n-triples", ox.RdfFormat.N_TRIPLES),
        ("application/ld+json", ox.RdfFormat.JSON_LD),
        ("application/rdf+xml", ox.RdfFormat.RDF_XML),
    ],
)
def test_construct_negotiates_rdf_format(
    client: httpx.Client, accept: str, fmt: ox.RdfFormat
) -> None:
    query = "CONSTRUCT { ?s a ?t } WHERE { ?s a ?t }"
    response = client.post("/sparql", data={"query": query}, headers={"Accept": accept})
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == accept
    assert len(list(ox.parse(response.content, format=fmt))) == 3


def test_format_parameter_overrides_accept(client: httpx.Client) -> None:
    response = client.get(
        "/sparql", params={"query": SELECT, "format": "csv"}, headers={"Accept": "text/turtle"}
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.text.splitlines()[0] == "s"


def test_unknown_format_is_406(client: httpx.Client) -> None:
    response = client.get("/sparql", params={"query": SELECT}, headers={"Accept": "image/png"})
    assert response.status_code == 406
    assert response.json()["error"] == "not_acceptable"
    forced = client.get("/sparql", params={"query": "ASK {}", "format": "turtle"})
    assert forced.status_code == 406


def test_default_graph_is_union_and_sources_are_named_graphs(client: httpx.Client) -> None:
    query = "SELECT (COUNT(*) AS ?n) (COUNT(DISTINCT ?g) AS ?graphs) { GRAPH ?g { ?s ?p ?o } }"
    rows = client.get("/sparql", params={"query": query, "format": "json"}).json()
    binding = rows["results"]["bindings"][0]
    assert (binding["n"]["value"], binding["graphs"]["value"]) == ("3", "3")
    one = "http://kasei.us/2009/09/sparql/data/data1.rdf"
    limited = client.get(
        "/sparql", params={"query": SELECT, "default-graph-uri": one, "format": "csv"}
    )
    assert limited.text.split() == ["s", one]


def test_syntax_error_is_400_with_position(client: httpx.Client) -> None:
    response = client.get("/sparql", params={"query": "SELECT * WHERE { ?s ?p }"})
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "query_syntax_error"
    assert "1:" in body["message"]


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * { SERVICE <http://elsewhere.example/sparql> { ?s ?p ?o } }",
        "PREFIX e: <http://elsewhere.example/> SELECT * { SERVICE SILENT e:sparql { ?s ?p ?o } }",
        "select * { service ?endpoint { ?s ?p ?o } }",
        'SELECT * { BIND("x" AS ?x) SERVICE <http://e.example/q?a="b"> { ?s ?p ?o } }',
    ],
)
def test_service_is_refused(client: httpx.Client, query: str) -> None:
    response = client.post("/sparql", data={"query": query})
    assert response.status_code == 403
    assert response.json()["error"] == "service_refused"


@pytest.mark.parametrize(
    "query",
    [
        'SELECT * { ?s ?p ?o FILTER(?o != "SERVICE <http://x.example/> {}") }',
        "SELECT * { ?s ?p ?o } # SERVICE <http://x.example/> { }",
        "SELECT * { ?s <http://x.example/SERVICE> ?o }",
        "PREFIX service: <http://x.example/> SELECT ?service { ?service service:SERVICE ?o }",
        "SELECT * { ?s ?p '''multi\nline SERVICE <http://x.example/> { } ''' }",
    ],
)
def test_service_in_strings_comments_iris_is_not_service(client: httpx.Client, query: str) -> None:
    response = client.post("/sparql", data={"query": query})
    assert response.status_code == 200, response.text


def test_allow_listed_service_passes_the_check() -> None:
    analysis = analyse_query(
        "BASE <http://allowed.example/> SELECT * { SERVICE <sparql> { ?s ?p ?o } }"
    )
    assert analysis.services == ("http://allowed.example/sparql",)


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"data": {"update": "CLEAR ALL"}}, "update_refused"),
        (
            {"content": b"DROP ALL", "headers": {"Content-Type": "application/sparql-update"}},
            "update_refused",
        ),
        ({"data": {"query": "INSERT DATA { <a:b> <a:c> <a:d> }"}}, "update_refused"),
        ({"data": {"query": "PREFIX x: <a:> WITH <a:g> DELETE {} WHERE {}"}}, "update_refused"),
    ],
)
def test_updates_are_refused(client: httpx.Client, kwargs: dict, error: str) -> None:
    response = client.post("/sparql", **kwargs)
    assert response.status_code == 403
    assert response.json()["error"] == error
    assert "read-only" in response.json()["message"]


def test_service_description(client: httpx.Client) -> None:
    response = client.get("/sparql")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/turtle")
    sd = rdflib.Graph().parse(data=response.text, format="turtle", publicID=str(client.base_url))
    SD = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
    service = next(sd.subjects(rdflib.RDF.type, SD.Service))
    assert str(service).endswith("/sparql")
    assert (service, SD.supportedLanguage, SD.SPARQL11Query) in sd
    assert (service, SD.feature, SD.UnionDefaultGraph) in sd
    formats = {str(o) for o in sd.objects(service, SD.resultFormat)}
    assert "http://www.w3.org/ns/formats/SPARQL_Results_JSON" in formats
    names = {str(o) for o in sd.objects(None, SD.name)}
    assert "http://kasei.us/2009/09/sparql/data/data2.rdf" in names
    as_jsonld = client.get("/sparql", headers={"Accept": "application/ld+json"})
    assert as_jsonld.headers["content-type"].startswith("application/ld+json")
    json.loads(as_jsonld.text)


def test_cors_preflight_and_simple_request(client: httpx.Client) -> None:
    preflight = client.options(
        "/sparql",
        headers={
            "Origin": "https://portal.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] in ("*", "https://portal.example")
    assert "POST" in preflight.headers["access-control-allow-methods"]
    simple = client.get(
        "/sparql", params={"query": "ASK {}"}, headers={"Origin": "https://portal.example"}
    )
    assert simple.headers["access-control-allow-origin"] == "*"


def test_other_methods_get_405_with_allow(client: httpx.Client) -> None:
    response = client.put("/sparql", content=b"ASK {}")
    assert response.status_code == 405
    assert "POST" in response.headers["allow"]
    assert response.json()["status"] == 405


def test_relative_iris_resolve_against_the_endpoint(client: httpx.Client) -> None:
    response = client.get(
        "/sparql", params={"query": "SELECT ?x { BIND(<rel> AS ?x) }", "format": "csv"}
    )
    assert response.text.split()[1] == str(client.base_url).rstrip("/") + "/rel"
