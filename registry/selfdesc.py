"""Self-description: the catalogue as a DCAT catalogue with a VoID description.

``<https://w3id.org/bildungsnetz/catalog>`` is a ``dcat:Catalog`` and a ``void:Dataset``: each
harvested feed is a ``dcat:Dataset`` in it and a ``void:subset`` of it (with its triple count and
what the registry graph records about it), the SPARQL endpoint is a ``dcat:DataService`` and the
``void:sparqlEndpoint``, the N-Quads dump the ``void:dataDump``. Served at ``/.well-known/void``
(RFC 5785 / VoID §6.2) and at ``/catalog`` (where the catalogue IRI dereferences), with the same
content negotiation as every IRI. Endpoint addresses use ``ServerSettings.base_url`` when set
(behind a proxy), else the address the request came to.
"""

from __future__ import annotations

import threading

import pyoxigraph as ox
from fastapi import APIRouter, Request
from fastapi.responses import Response

from .api import HTML, cached, negotiated
from .catalogue import Catalogue, describe
from .config import ServerSettings
from .deref import RDF_MEDIA, serialise
from .namespaces import (
    BASE,
    DCAT,
    DCTERMS,
    FOAF,
    RDF,
    REGISTRY_GRAPH,
    SCHEMA,
    SOURCE,
    VOCABULARY_GRAPH,
    VOID,
    XSD,
)

__all__ = ["CATALOG", "catalogue_triples", "selfdesc_router"]

CATALOG = BASE + "catalog"


def _count(store: ox.Store, graph: str) -> int:
    return sum(1 for _ in store.quads_for_pattern(None, None, None, ox.NamedNode(graph)))


def catalogue_triples(store: ox.Store, server: str) -> list[ox.Triple]:
    """The DCAT + VoID description of the catalogue in ``store``, served from ``server``."""
    n = ox.NamedNode
    catalog = n(CATALOG)
    sparql = n(server + "/sparql")
    out: list[ox.Triple] = []

    def add(s: ox.NamedNode, p: str, o: ox.NamedNode | ox.Literal) -> None:
        out.append(ox.Triple(s, n(p), o))

    def integer(value: int) -> ox.Literal:
        return ox.Literal(str(value), datatype=n(XSD + "integer"))

    add(catalog, RDF + "type", n(DCAT + "Catalog"))
    add(catalog, RDF + "type", n(VOID + "Dataset"))
    add(
        catalog,
        DCTERMS + "title",
        ox.Literal("Bildungsnetz: Weiterbildungsangebote der Region", language="de"),
    )
    add(
        catalog,
        DCTERMS + "title",
        ox.Literal("Bildungsnetz: continuing-education offers of the region", language="en"),
    )
    add(
        catalog,
        DCTERMS + "description",
        ox.Literal(
            "Von den Feeds der Partner geerntete, geprüfte Angebote; SPARQL, JSON-API und Dumps.",
            language="de",
        ),
    )
    add(catalog, VOID + "sparqlEndpoint", sparql)
    add(catalog, VOID + "dataDump", n(server + "/dump.nq"))
    add(catalog, VOID + "vocabulary", n(SCHEMA))
    add(catalog, VOID + "uriSpace", ox.Literal(BASE))
    add(catalog, DCAT + "service", sparql)
    add(catalog, FOAF + "homepage", n(server + "/"))
    add(sparql, RDF + "type", n(DCAT + "DataService"))
    add(sparql, DCAT + "endpointURL", sparql)
    add(sparql, DCAT + "servesDataset", catalog)
    add(sparql, DCTERMS + "conformsTo", n("https://www.w3.org/TR/sparql11-protocol/"))
    add(sparql, DCTERMS + "title", ox.Literal("SPARQL 1.1 endpoint (read-only)", language="en"))

    graphs = sorted(g.value for g in store.named_graphs() if isinstance(g, ox.NamedNode))
    total = 0
    for graph in graphs:
        count = _count(store, graph)
        total += count
        if not graph.startswith(SOURCE):
            continue
        source = n(graph)
        add(catalog, DCAT + "dataset", source)
        add(catalog, VOID + "subset", source)
        add(source, RDF + "type", n(DCAT + "Dataset"))
        add(source, RDF + "type", n(VOID + "Dataset"))
        add(source, VOID + "triples", integer(count))
        add(source, VOID + "sparqlEndpoint", sparql)
        for t in describe(store, graph):
            if t.predicate.value != RDF + "type" or t.subject != source:
                out.append(t)
    for graph in (REGISTRY_GRAPH, VOCABULARY_GRAPH):
        if graph in graphs:
            add(catalog, VOID + "subset", n(graph))
            add(n(graph), RDF + "type", n(VOID + "Dataset"))
            add(n(graph), VOID + "triples", integer(_count(store, graph)))
    add(catalog, VOID + "triples", integer(total))
    return list(dict.fromkeys(out))


def selfdesc_router(catalogue: Catalogue, settings: ServerSettings) -> APIRouter:
    """``/.well-known/void`` and ``/catalog``."""
    router = APIRouter(tags=["linked data"])
    memo: dict[tuple[str, str], list[ox.Triple]] = {}
    lock = threading.Lock()

    def triples(server: str) -> list[ox.Triple]:
        key = (catalogue.generation, server)
        with lock:
            if key not in memo:
                memo.clear()
                memo[key] = catalogue_triples(catalogue.ox_store(), server)
            return memo[key]

    def answer(request: Request, lang: str) -> Response:
        from .pages import resource_page

        media = negotiated(request, [*RDF_MEDIA, HTML])
        server = (settings.base_url or str(request.base_url)).rstrip("/")
        if media == HTML:
            return cached(
                request,
                catalogue,
                media,
                lambda: resource_page(request, catalogue, CATALOG, triples(server), lang).encode(
                    "utf-8"
                ),
            )
        return cached(request, catalogue, media, lambda: serialise(triples(server), media, CATALOG))

    description = "DCAT catalogue and VoID description; Turtle by default, negotiated by Accept."

    @router.get("/.well-known/void", summary="VoID description", description=description)
    def void(request: Request, lang: str = "de") -> Response:
        return answer(request, lang)

    @router.get("/catalog", summary="The DCAT catalogue", description=description)
    def catalog(request: Request, lang: str = "de") -> Response:
        return answer(request, lang)

    return router
