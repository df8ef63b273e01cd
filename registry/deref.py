"""Dereferenceable IRIs: every IRI the registry mints resolves on this server.

The base ``https://w3id.org/bildungsnetz/`` maps to the server root, so ``…/partner/x`` is
served at ``/partner/x``, ``…/code/foerderart/2`` at ``/code/foerderart/2`` and so on (a w3id
redirect points the public base here). Content negotiation: Turtle (the default for machines),
JSON-LD, N-Triples, RDF/XML, and HTML for browsers (which ask for it with the highest q).

What is served is a concise bounded description from the published snapshot: the IRI's own
triples across all graphs, with blank nodes and skolem IRIs followed. A concept scheme also
brings its concepts; ``/ontology`` brings every term ``…/ontology#…``.
"""

from __future__ import annotations

from collections.abc import Callable

import pyoxigraph as ox
from fastapi import APIRouter, Request
from fastapi.responses import Response

from .api import HTML, JSONLD, cached, negotiated
from .catalogue import Catalogue, describe, to_jsonld
from .errors import NotFound
from .namespaces import BASE, BN, CODE, ONTOLOGY, PREFIXES, SKOS
from .rdf_formats import GRAPH_FORMATS

__all__ = ["RDF_MEDIA", "deref_router", "describe_resource", "serialise"]

#: media type → RDF format, Turtle first (the default for ``*/*``)
RDF_MEDIA: dict[str, ox.RdfFormat] = {
    media[0]: fmt for media, _names, fmt in GRAPH_FORMATS if isinstance(fmt, ox.RdfFormat)
}


def describe_resource(store: ox.Store, iri: str) -> list[ox.Triple]:
    """The description served for a minted IRI (empty when the store does not know it)."""
    if iri == ONTOLOGY:
        out = describe(store, ONTOLOGY)
        subjects = {
            q.subject.value
            for q in store.quads_for_pattern(None, None, None, None)
            if isinstance(q.subject, ox.NamedNode) and q.subject.value.startswith(BN)
        }
        for subject in sorted(subjects):
            out.extend(describe(store, subject))
        return out
    triples = describe(store, iri)
    if iri.startswith(CODE) and "/" not in iri[len(CODE) :]:
        for q in store.quads_for_pattern(
            None, ox.NamedNode(SKOS + "inScheme"), ox.NamedNode(iri), None
        ):
            if isinstance(q.subject, ox.NamedNode):
                triples.extend(describe(store, q.subject.value))
    return list(dict.fromkeys(triples))


def serialise(triples: list[ox.Triple], media: str, iri: str) -> bytes:
    """``triples`` in the RDF syntax of ``media`` (JSON-LD compacted with schema.org)."""
    if media == JSONLD:
        import json

        return json.dumps(to_jsonld(triples, iri), ensure_ascii=False).encode("utf-8")
    data = ox.serialize(triples, format=RDF_MEDIA[media], prefixes=PREFIXES)
    return data or b""


#: minted IRIs that name graphs the harvester writes (``importers.state``)
_GRAPH_RESOURCES = ("harvest/report/", "harvest/state/")


def _graph_triples(store: ox.Store, iri: str) -> list[ox.Triple]:
    return [
        ox.Triple(q.subject, q.predicate, q.object)
        for q in store.quads_for_pattern(None, None, None, ox.NamedNode(iri))
    ]


def deref_router(catalogue: Catalogue) -> APIRouter:
    """Routes for the IRI spaces under the base; the path after the base is the IRI's tail."""
    router = APIRouter(tags=["linked data"])
    offered = [*RDF_MEDIA, HTML]

    def resolve(request: Request, tail: str, lang: str = "de") -> Response:
        from .pages import resource_page

        iri = BASE + tail
        media = negotiated(request, offered)
        store = catalogue.ox_store()
        if tail.startswith(_GRAPH_RESOURCES) and media != HTML:
            # a feed's report or state is a graph: machines get all of it (a page, its summary)
            triples = _graph_triples(store, iri)
        else:
            triples = describe_resource(store, iri)
        if not triples:
            raise NotFound(f"the registry has minted nothing at {iri}", iri=iri)
        if media == HTML:
            return cached(
                request,
                catalogue,
                media,
                lambda: resource_page(request, catalogue, iri, triples, lang).encode("utf-8"),
            )
        return cached(request, catalogue, media, lambda: serialise(triples, media, iri))

    description = (
        "Content negotiation: text/turtle (default), application/ld+json, "
        "application/n-triples, application/rdf+xml, or text/html."
    )
    for pattern in (
        "/partner/{rest}",
        "/source/{rest}",
        "/harvest/report/{rest}",
        "/harvest/state/{rest}",
        "/harvest/{rest}",
        "/code/{rest:path}",
        "/region/{rest:path}",
        "/genid/{rest:path}",
    ):
        prefix = pattern.split("{", 1)[0]
        router.add_api_route(
            pattern,
            _handler(resolve, prefix.lstrip("/")),
            methods=["GET"],
            summary=f"Describe {prefix}… IRIs",
            description=description,
            name=f"deref_{prefix.strip('/')}",
        )

    @router.get("/ontology", summary="The Bildungsnetz ontology", description=description)
    def ontology(request: Request, lang: str = "de") -> Response:
        return resolve(request, "ontology", lang)

    return router


def _handler(
    resolve: Callable[[Request, str, str], Response], prefix: str
) -> Callable[..., Response]:
    def handler(request: Request, rest: str, lang: str = "de") -> Response:
        return resolve(request, prefix + rest, lang)

    return handler
