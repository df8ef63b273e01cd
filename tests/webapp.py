"""A store filled with the bundled example region, for the web-application tests.

Until the harvester's function to harvest a whole sources file exists this loads each file of
``examples/feeds/`` directly (parsed by ``importers.parse``) into the graph of a source named
after the file, the vocabulary into the vocabulary graph, and a minimal partner/feed record
into the registry graph — the graph layout of ``docs/design.md``.
"""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
from fastapi import FastAPI

from importers.normalise import normalise
from importers.parse import read_path
from registry.app import create_app
from registry.namespaces import (
    DCAT,
    DCTERMS,
    FOAF,
    PARTNER,
    RDF,
    REGISTRY_GRAPH,
    SCHEMA,
    SOURCE,
    VOCABULARY_GRAPH,
)
from registry.resources import examples_dir
from registry.store import OxigraphStore
from registry.vocabulary import vocabulary_triples

__all__ = ["example_app", "example_store", "fill_with_examples"]


def _iri(value: str) -> ox.NamedNode:
    return ox.NamedNode(value)


def fill_with_examples(store: OxigraphStore) -> list[str]:
    """Load the example feeds; returns the source ids (one per feed file)."""
    store.replace_graph(VOCABULARY_GRAPH, vocabulary_triples())
    registry: list[ox.Triple] = []
    ids: list[str] = []
    for path in sorted((examples_dir() / "feeds").iterdir()):
        if path.suffix not in (".ttl", ".nt", ".jsonld", ".rdf"):
            continue
        sid = path.stem
        ids.append(sid)
        store.replace_graph(SOURCE + sid, normalise(read_path(path), source_id=sid))
        partner, source = _iri(PARTNER + sid), _iri(SOURCE + sid)
        registry += [
            ox.Triple(partner, _iri(RDF + "type"), _iri(FOAF + "Agent")),
            ox.Triple(partner, _iri(RDF + "type"), _iri(SCHEMA + "Organization")),
            ox.Triple(partner, _iri(FOAF + "name"), ox.Literal(f"Partner {sid}")),
            ox.Triple(source, _iri(RDF + "type"), _iri(DCAT + "Dataset")),
            ox.Triple(source, _iri(DCTERMS + "publisher"), partner),
        ]
    store.replace_graph(REGISTRY_GRAPH, registry)
    store.publish()
    return ids


def example_store(path: Path) -> OxigraphStore:
    store = OxigraphStore(path)
    fill_with_examples(store)
    return store


def example_app(path: Path) -> tuple[FastAPI, OxigraphStore]:
    """An app (no SPARQL workers) over a fresh store at ``path`` holding the examples."""
    store = example_store(path)
    return create_app(store, query_workers=False), store
