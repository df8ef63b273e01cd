"""Graph Store Protocol (read) and dumps, against the W3C GSP manifests and our own cases.

The public graph store is read-only, so the manifests' writes must get 405 with an ``Allow``
header. To check the reads the manifests then expect, each refused write is applied out of
band, by the store's one writer (as a harvest would), and published; the GET/HEAD requests
that follow must then see exactly what the manifest expects.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pyoxigraph as ox
import pytest
import rdflib
from rdflib.compare import isomorphic
from sparqlserver import LiveServer, build_app, fill_store
from test_sparql_protocol import HttpRequest, requests_of, status_ok

from registry.config import ServerSettings
from registry.gsp import CHUNK_QUADS
from registry.store import OxigraphStore

W3C = Path(__file__).parent / "w3c" / "graph-store-protocol"
MF = rdflib.Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = rdflib.Namespace("http://www.w3.org/2011/http#")
CNT = rdflib.Namespace("http://www.w3.org/2011/content#")

SOURCE_A = "https://w3id.org/bildungsnetz/source/a"
SOURCE_B = "https://w3id.org/bildungsnetz/source/b"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, OxigraphStore]]:
    root = tmp_path_factory.mktemp("gsp")
    store = fill_store(root / "store", {})
    app, _ = build_app(root / "store" / "snapshots", ServerSettings(query_timeout_s=10))
    live = LiveServer(app)
    yield live, store
    live.close()
    store.close()


@pytest.fixture
def client(served: tuple[LiveServer, OxigraphStore]) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=served[0].url, timeout=30) as c:
        yield c


_CONTENT: dict[int, str] = {}


def reset(
    store: OxigraphStore, graphs: dict[str, list[ox.Triple]] | None = None, *, tag: str = ""
) -> None:
    """Give the store exactly ``graphs``; ``tag`` names content that tests may share."""
    if tag and _CONTENT.get(id(store)) == tag:
        return
    store.raw.clear()
    for name, triples in (graphs or {}).items():
        store.replace_graph(name, triples)
    store.publish()
    _CONTENT[id(store)] = tag


# -- the W3C manifests ---------------------------------------------------------------------


def gsp_entries() -> list[tuple[str, list[HttpRequest], list[str], list[str | None]]]:
    """(name, requests, requirements, expected bodies) of every GSP manifest entry."""
    entries = []
    for file in ("manifest-direct.ttl", "manifest-indirect.ttl"):
        graph = rdflib.Graph().parse(W3C / file, format="turtle")
        for entry in graph.subjects(rdflib.RDF.type, MF.GraphStoreProtocolTest):
            name = str(entry).rsplit("#", 1)[-1]
            requires = [str(r).rsplit("#", 1)[-1] for r in graph.objects(entry, MF.requires)]
            action = graph.value(entry, MF.action)
            bodies: list[str | None] = []
            for req in rdflib.collection.Collection(graph, graph.value(action, HT.requests)):
                body = graph.value(graph.value(req, HT.resp), HT.body)
                bodies.append(str(graph.value(body, CNT.chars)) if body is not None else None)
            # every test described, also those the manifest's mf:entries list leaves out
            entries.append((name, requests_of(graph, entry), requires, bodies))
    return sorted(entries)


ENTRIES = gsp_entries()
SKIPS = {
    "DirectGraphIdentification": "graphs are named by source IRIs (w3id.org), not by "
    "addresses on this server, so only indirect identification (?graph=) is offered",
    "POSTGraphCreation": "creating a graph by POST needs a writable store; this one is "
    "read-only and its graphs are created by harvests",
}


def target(path: str) -> ox.NamedNode | ox.DefaultGraph:
    query = parse_qs(urlsplit(path).query, keep_blank_values=True)
    return ox.DefaultGraph() if "default" in query else ox.NamedNode(query["graph"][0])


def payload(request: HttpRequest, base: str) -> list[ox.Triple]:
    """The triples a PUT/POST carries: Turtle, or the Turtle parts of a multipart body."""
    assert request.body is not None
    content_type = request.headers.get("content-type", "")
    parts = [request.body]
    if content_type.startswith("multipart/form-data"):
        boundary = content_type.split("boundary=")[1].encode()
        parts = [p.split(b"\r\n\r\n", 1)[1] for p in request.body.split(b"--" + boundary)[1:-1]]
    triples: list[ox.Triple] = []
    for part in parts:
        quads = ox.parse(part, format=ox.RdfFormat.TURTLE, base_iri=base)
        triples += [ox.Triple(q.subject, q.predicate, q.object) for q in quads]
    return triples


def apply_out_of_band(store: OxigraphStore, request: HttpRequest, base: str) -> None:
    graph = target(request.path)
    raw = store.raw
    if request.method == "DELETE":
        if isinstance(graph, ox.DefaultGraph):
            raw.clear_graph(graph)
        elif raw.contains_named_graph(graph):
            raw.remove_graph(graph)
    else:
        replaces = request.method == "PUT"
        if replaces and (isinstance(graph, ox.DefaultGraph) or raw.contains_named_graph(graph)):
            raw.clear_graph(graph)
        raw.extend(
            [ox.Quad(t.subject, t.predicate, t.object, graph) for t in payload(request, base)]
        )
    store.publish()


@pytest.mark.parametrize(
    ("name", "requests", "requires", "bodies"), ENTRIES, ids=[e[0] for e in ENTRIES]
)
def test_w3c_graph_store_protocol(
    served: tuple[LiveServer, OxigraphStore],
    client: httpx.Client,
    name: str,
    requests: list[HttpRequest],
    requires: list[str],
    bodies: list[str | None],
) -> None:
    for requirement in requires:
        if requirement in SKIPS:
            pytest.skip(SKIPS[requirement])
    _, store = served
    reset(store)
    for request, expected_body in zip(requests, bodies, strict=True):
        path = request.path.replace("/gsp", "/graph-store", 1)
        response = client.request(
            request.method, path, headers=request.headers, content=request.body
        )
        if request.method in ("PUT", "POST", "DELETE"):
            assert response.status_code == 405, response.text
            assert response.headers["allow"] == "GET, HEAD"
            apply_out_of_band(store, request, str(client.base_url))
            continue
        assert status_ok(response.status_code, request.statuses), (name, response.status_code)
        if response.status_code == 200:
            assert response.headers["content-type"] == "text/turtle; charset=utf-8"
        if request.method == "HEAD":
            assert response.content == b""
        elif expected_body is not None:
            got = rdflib.Graph().parse(data=response.text, format="turtle")
            want = rdflib.Graph().parse(data=expected_body, format="turtle")
            assert isomorphic(got, want), response.text


def test_gsp_manifests_were_read() -> None:
    assert len(ENTRIES) == 14
    runnable = [e for e in ENTRIES if not set(e[2]) & set(SKIPS)]
    assert len(runnable) >= 7


# -- beyond the manifests ------------------------------------------------------------------


def offers(first: int, count: int) -> list[ox.Triple]:
    return [
        ox.Triple(
            ox.NamedNode(f"https://a.example/offer/{i}"),
            ox.NamedNode("https://schema.org/name"),
            ox.Literal(f"Kurs {i}", language="de"),
        )
        for i in range(first, first + count)
    ]


@pytest.fixture
def catalogue(served: tuple[LiveServer, OxigraphStore]) -> OxigraphStore:
    store = served[1]
    reset(store, {SOURCE_A: offers(0, 3), SOURCE_B: offers(3, 2) + offers(0, 1)})
    return store


@pytest.mark.parametrize(
    ("accept", "fmt"),
    [
        ("text/turtle", ox.RdfFormat.TURTLE),
        ("application/n-triples", ox.RdfFormat.N_TRIPLES),
        ("application/ld+json", ox.RdfFormat.JSON_LD),
        ("application/rdf+xml", ox.RdfFormat.RDF_XML),
    ],
)
def test_get_graph_negotiates(
    catalogue: OxigraphStore, client: httpx.Client, accept: str, fmt: ox.RdfFormat
) -> None:
    response = client.get("/graph-store", params={"graph": SOURCE_A}, headers={"Accept": accept})
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == accept
    assert set(ox.parse(response.content, format=fmt)) == {
        ox.Quad(t.subject, t.predicate, t.object) for t in offers(0, 3)
    }


def test_default_graph_is_the_union(catalogue: OxigraphStore, client: httpx.Client) -> None:
    response = client.get("/graph-store?default", headers={"Accept": "application/n-triples"})
    got = {
        (q.subject, q.predicate, q.object)
        for q in ox.parse(response.content, format=ox.RdfFormat.N_TRIPLES)
    }
    assert got == {(t.subject, t.predicate, t.object) for t in offers(0, 5)}


def test_unknown_graph_is_404(catalogue: OxigraphStore, client: httpx.Client) -> None:
    for method in ("GET", "HEAD"):
        response = client.request(method, "/graph-store", params={"graph": "https://x.example/g"})
        assert response.status_code == 404
    assert (
        client.get("/graph-store", params={"graph": "https://x.example/g"}).json()["error"]
        == "not_found"
    )


@pytest.mark.parametrize("query", ["", "?graph=not%20an%20iri", f"?graph={SOURCE_A}&default"])
def test_bad_graph_parameter_is_422(
    catalogue: OxigraphStore, client: httpx.Client, query: str
) -> None:
    response = client.get("/graph-store" + query)
    assert response.status_code == 422
    assert response.json()["parameter"] == "graph"


def test_unacceptable_format_is_406(catalogue: OxigraphStore, client: httpx.Client) -> None:
    response = client.get(
        "/graph-store", params={"graph": SOURCE_A}, headers={"Accept": "image/png"}
    )
    assert response.status_code == 406


@pytest.mark.parametrize("method", ["PUT", "POST", "DELETE", "PATCH"])
def test_writes_are_405(catalogue: OxigraphStore, client: httpx.Client, method: str) -> None:
    response = client.request(
        method, "/graph-store", params={"graph": SOURCE_A}, content=b"<a:b> <a:c> <a:d> ."
    )
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, HEAD"
    assert response.json()["status"] == 405
    assert len(list(catalogue.triples(SOURCE_A))) == 3


@pytest.mark.parametrize(
    ("path", "accept", "fmt"),
    [
        ("/dump.nq", None, ox.RdfFormat.N_QUADS),
        ("/dump.trig", None, ox.RdfFormat.TRIG),
        ("/dump", "application/trig", ox.RdfFormat.TRIG),
        ("/dump", None, ox.RdfFormat.N_QUADS),
    ],
)
def test_dumps_hold_every_quad_and_stream(
    served: tuple[LiveServer, OxigraphStore],
    client: httpx.Client,
    path: str,
    accept: str | None,
    fmt: ox.RdfFormat,
) -> None:
    store = served[1]
    big = offers(0, CHUNK_QUADS + 10)  # more than one chunk
    default = ox.Triple(ox.NamedNode("a:s"), ox.NamedNode("a:p"), ox.Literal("default"))
    if _CONTENT.get(id(store)) != "dump":
        reset(store, {SOURCE_A: big, SOURCE_B: offers(0, 2)})
        store.raw.add(ox.Quad(default.subject, default.predicate, default.object))
        store.publish()
        _CONTENT[id(store)] = "dump"
    headers = {"Accept": accept} if accept else {}
    with client.stream("GET", path, headers=headers) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].split(";")[0] == fmt.media_type
        assert "content-length" not in response.headers
        assert response.headers["transfer-encoding"] == "chunked"
        body = response.read()
    got = set(ox.parse(body, format=fmt))
    assert got == set(store.raw.quads_for_pattern(None, None, None, None))
    assert len(got) == len(big) + 2 + 1
