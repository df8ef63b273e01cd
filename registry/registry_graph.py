"""Partners and feeds of the sources file, published as DCAT in the registry graph.

Partners are ``foaf:Agent`` and ``schema:Organization``; each feed is a ``dcat:Dataset``
(its IRI is also the name of its graph) with one ``dcat:Distribution`` and a
``dcterms:license`` from the feed's or partner's ``license`` field: an IRI as given, or an
SPDX identifier such as ``CC-BY-4.0`` as ``http://spdx.org/licenses/CC-BY-4.0``. Owned
namespaces are published as ``bn:namespace`` so anyone can see why a triple was dropped.

The registry graph also holds harvest runs; :func:`publish_sources` replaces only the partner
and feed descriptions (subjects under ``partner/`` and ``source/``) in one update.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pyoxigraph as ox

from .config import Feed, Partner, Sources
from .namespaces import BN, DCAT, DCTERMS, FOAF, PARTNER, RDF, REGISTRY_GRAPH, SCHEMA, SOURCE
from .store import Store

__all__ = ["license_iri", "publish_sources", "sources_triples"]

_TYPE = ox.NamedNode(RDF + "type")
_MEDIA_TYPES = {
    "turtle": "text/turtle",
    "ttl": "text/turtle",
    "jsonld": "application/ld+json",
    "json-ld": "application/ld+json",
    "rdfxml": "application/rdf+xml",
    "ntriples": "application/n-triples",
    "nquads": "application/n-quads",
    "trig": "application/trig",
}


def license_iri(value: str) -> str:
    """The license as an IRI: IRIs as given, anything else read as an SPDX identifier."""
    return value if "://" in value else f"http://spdx.org/licenses/{value}"


def _partner(p: Partner) -> list[ox.Triple]:
    s = ox.NamedNode(p.iri)
    out = [
        ox.Triple(s, _TYPE, ox.NamedNode(FOAF + "Agent")),
        ox.Triple(s, _TYPE, ox.NamedNode(SCHEMA + "Organization")),
        ox.Triple(s, ox.NamedNode(FOAF + "name"), ox.Literal(p.name)),
        ox.Triple(s, ox.NamedNode(SCHEMA + "name"), ox.Literal(p.name)),
        ox.Triple(s, ox.NamedNode(DCTERMS + "identifier"), ox.Literal(p.id)),
    ]
    out += [ox.Triple(s, ox.NamedNode(BN + "namespace"), ox.Literal(ns)) for ns in p.namespaces]
    if p.homepage:
        out.append(ox.Triple(s, ox.NamedNode(FOAF + "homepage"), ox.NamedNode(p.homepage)))
    if p.license:
        out.append(
            ox.Triple(s, ox.NamedNode(DCTERMS + "license"), ox.NamedNode(license_iri(p.license)))
        )
    return out


def _feed(f: Feed, partner: Partner) -> list[ox.Triple]:
    s = ox.NamedNode(f.iri)
    dist = ox.NamedNode(f.iri + "#distribution")
    out = [
        ox.Triple(s, _TYPE, ox.NamedNode(DCAT + "Dataset")),
        ox.Triple(s, ox.NamedNode(DCTERMS + "identifier"), ox.Literal(f.id)),
        ox.Triple(s, ox.NamedNode(DCTERMS + "title"), ox.Literal(f"{partner.name}: {f.id}")),
        ox.Triple(s, ox.NamedNode(DCTERMS + "publisher"), ox.NamedNode(partner.iri)),
        ox.Triple(s, ox.NamedNode(DCAT + "distribution"), dist),
        ox.Triple(dist, _TYPE, ox.NamedNode(DCAT + "Distribution")),
    ]
    if urlsplit(f.url).scheme in {"http", "https"}:
        # local file paths are not published: they say nothing to others and leak the host
        out.append(ox.Triple(dist, ox.NamedNode(DCAT + "downloadURL"), ox.NamedNode(f.url)))
        out.append(ox.Triple(dist, ox.NamedNode(DCAT + "accessURL"), ox.NamedNode(f.url)))
    if f.format and f.format.lower() in _MEDIA_TYPES:
        media = ox.Literal(_MEDIA_TYPES[f.format.lower()])
        out.append(ox.Triple(dist, ox.NamedNode(DCAT + "mediaType"), media))
    if f.license:
        lic = ox.NamedNode(license_iri(f.license))
        out.append(ox.Triple(s, ox.NamedNode(DCTERMS + "license"), lic))
        out.append(ox.Triple(dist, ox.NamedNode(DCTERMS + "license"), lic))
    return out


def sources_triples(sources: Sources) -> list[ox.Triple]:
    """DCAT description of every partner and feed of ``sources``."""
    out: list[ox.Triple] = []
    for p in sources.partners:
        out += _partner(p)
        for f in p.feeds:
            out += _feed(f, p)
    return out


def publish_sources(store: Store, sources: Sources) -> None:
    """Replace the partner and feed descriptions in the registry graph (one update)."""
    data = ox.serialize(sources_triples(sources), format=ox.RdfFormat.N_TRIPLES) or b""
    store.update(
        f"""DELETE {{ GRAPH <{REGISTRY_GRAPH}> {{ ?s ?p ?o }} }}
            WHERE {{ GRAPH <{REGISTRY_GRAPH}> {{ ?s ?p ?o
              FILTER(STRSTARTS(STR(?s), "{PARTNER}") || STRSTARTS(STR(?s), "{SOURCE}")) }} }} ;
            INSERT DATA {{ GRAPH <{REGISTRY_GRAPH}> {{ {data.decode("utf-8")} }} }}"""
    )
