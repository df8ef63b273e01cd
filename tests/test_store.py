"""The embedded store: diff swaps, journal recovery, published snapshots."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from registry.errors import QuerySyntaxError
from registry.store import OxigraphStore, open_store

G = "https://w3id.org/bildungsnetz/source/test"


def triples(n: int, *, tag: str = "v") -> list[ox.Triple]:
    return [
        ox.Triple(
            ox.NamedNode(f"https://a.example/offer/{i}"),
            ox.NamedNode("https://schema.org/name"),
            ox.Literal(f"{tag}{i}", language="de"),
        )
        for i in range(n)
    ]


@pytest.fixture
def disk_store(tmp_path: Path) -> OxigraphStore:
    return OxigraphStore(tmp_path / "store")


def count(store: OxigraphStore, graph: str = G) -> int:
    return sum(1 for _ in store.triples(graph))


def test_replace_graph_applies_only_the_difference(disk_store: OxigraphStore) -> None:
    first = disk_store.replace_graph(G, triples(100))
    assert (first.added, first.removed) == (100, 0)
    same = disk_store.replace_graph(G, triples(100))
    assert not same.changed
    changed = triples(100)
    changed[0] = ox.Triple(
        changed[0].subject, changed[0].predicate, ox.Literal("neu", language="de")
    )
    delta = disk_store.replace_graph(G, changed)
    assert (delta.added, delta.removed) == (1, 1)
    assert set(disk_store.triples(G)) == set(changed)


def test_bulk_path_for_large_cold_load(disk_store: OxigraphStore) -> None:
    data = triples(25_000)
    assert disk_store.replace_graph(G, data).added == 25_000
    assert count(disk_store) == 25_000


def test_empty_replacement_removes_the_graph(disk_store: OxigraphStore) -> None:
    disk_store.replace_graph(G, triples(3))
    disk_store.replace_graph(G, [])
    assert G not in disk_store.named_graphs()


def test_union_default_graph(disk_store: OxigraphStore) -> None:
    disk_store.replace_graph(G, triples(2))
    disk_store.replace_graph(G + "2", triples(3, tag="w"))
    result = disk_store.query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    assert isinstance(result, ox.QuerySolutions)
    assert int(next(iter(result))["n"].value) == 5
    only = disk_store.query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", default_graph=[G])
    assert isinstance(only, ox.QuerySolutions)
    assert int(next(iter(only))["n"].value) == 2


def test_syntax_error_is_translated(disk_store: OxigraphStore) -> None:
    with pytest.raises(QuerySyntaxError):
        disk_store.query("SELECT WHERE {")


def test_interrupted_swap_is_finished_on_open(tmp_path: Path) -> None:
    path = tmp_path / "store"
    store = OxigraphStore(path)
    store.replace_graph(G, triples(5))
    # a crash after the journal was written but before the swap: the journal holds the target
    store._write_journal(G, set(triples(7, tag="x")))
    store.close()
    del store
    reopened = OxigraphStore(path)
    assert set(reopened.triples(G)) == set(triples(7, tag="x"))
    assert not list((path / "journal").glob("*.nt"))


def test_snapshot_readers_see_published_state_only(disk_store: OxigraphStore) -> None:
    disk_store.replace_graph(G, triples(4))
    reader = disk_store.snapshot_reader()
    assert reader is not None
    ask = f"ASK {{ GRAPH <{G}> {{ <https://a.example/offer/9> ?p ?o }} }}"
    disk_store.replace_graph(G, triples(10))
    assert not bool(reader.query(ask))  # written, not yet published
    disk_store.publish()
    assert bool(reader.query(ask))


def test_open_store_memory() -> None:
    store = open_store(None)
    store.replace_graph(G, triples(1))
    assert store.named_graphs() == [G]


def test_graphs_with_blank_nodes_are_swapped_whole(disk_store: OxigraphStore) -> None:
    def with_bnode(label: str) -> list[ox.Triple]:
        b = ox.BlankNode()
        return [
            ox.Triple(
                ox.NamedNode("https://a.example/o"), ox.NamedNode("https://schema.org/address"), b
            ),
            ox.Triple(b, ox.NamedNode("https://schema.org/postalCode"), ox.Literal(label)),
        ]

    disk_store.replace_graph(G, with_bnode("32657"))
    disk_store.replace_graph(G, with_bnode("32657"))  # must not try DELETE DATA with a bnode
    disk_store.replace_graph(G, with_bnode("33602"))
    codes = {
        t.object.value for t in disk_store.triples(G) if t.predicate.value.endswith("postalCode")
    }
    assert codes == {"33602"}
    assert count(disk_store) == 2


def test_diff_after_other_writes_equals_a_full_replace(disk_store: OxigraphStore) -> None:
    """The remembered content of the last swap must not hide writes made another way."""
    disk_store.replace_graph(G, triples(10))
    extra = '<https://a.example/x> <https://schema.org/name> "x"'
    disk_store.update(f"INSERT DATA {{ GRAPH <{G}> {{ {extra} }} }}")
    disk_store.replace_graph(G, triples(10))
    assert set(disk_store.triples(G)) == set(triples(10))
    # a write behind the store's back (raw API) changes the count: the diff dumps the graph
    disk_store.raw.add(
        ox.Quad(
            ox.NamedNode("https://a.example/y"),
            ox.NamedNode("https://schema.org/name"),
            ox.Literal("y"),
            ox.NamedNode(G),
        )
    )
    delta = disk_store.replace_graph(G, triples(10))
    assert (delta.added, delta.removed) == (0, 1)
    assert set(disk_store.triples(G)) == set(triples(10))


def test_canonicalised_literals_do_not_churn(disk_store: OxigraphStore) -> None:
    price = ox.Triple(
        ox.NamedNode("https://a.example/offer/1"),
        ox.NamedNode("https://schema.org/price"),
        ox.Literal("450.00", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#decimal")),
    )
    disk_store.replace_graph(G, [price])
    assert not disk_store.replace_graph(G, [price]).changed
