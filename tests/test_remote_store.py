"""RemoteStore against the real Oxigraph server, started on a free loopback port."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest

from importers.pipeline import harvest
from importers.record import read_runs
from registry.config import sources_from_dict
from registry.errors import QuerySyntaxError
from registry.namespaces import SOURCE
from registry.remote_store import RemoteStore

OXIGRAPH = Path(__file__).resolve().parent.parent / ".venv" / "bin" / "oxigraph"
G = "https://w3id.org/bildungsnetz/source/remote"

pytestmark = pytest.mark.skipif(
    not OXIGRAPH.exists() and shutil.which("oxigraph") is None, reason="oxigraph server missing"
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def remote_store(tmp_path: Path) -> Iterator[RemoteStore]:
    port = _free_port()
    binary = str(OXIGRAPH) if OXIGRAPH.exists() else "oxigraph"
    proc = subprocess.Popen(
        [binary, "serve", "--location", str(tmp_path / "db"), "--bind", f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/", timeout=0.5)
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("oxigraph server did not start") from None
                time.sleep(0.05)
        store = RemoteStore(f"http://127.0.0.1:{port}")
        yield store
        store.close()
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def triples(n: int, tag: str = "v") -> list[ox.Triple]:
    return [
        ox.Triple(
            ox.NamedNode(f"https://a.example/o/{i}"),
            ox.NamedNode("https://schema.org/name"),
            ox.Literal(f"{tag}{i}", language="de"),
        )
        for i in range(n)
    ]


def test_replace_graph_is_a_diff(remote_store: RemoteStore) -> None:
    assert remote_store.replace_graph(G, triples(10)).added == 10
    assert not remote_store.replace_graph(G, triples(10)).changed
    changed = triples(9) + triples(1, tag="neu")
    delta = remote_store.replace_graph(G, changed)
    assert (delta.added, delta.removed) == (1, 1)
    assert set(remote_store.triples(G)) == set(changed)
    assert G in remote_store.named_graphs()


def test_union_default_graph_and_named_graphs(remote_store: RemoteStore) -> None:
    remote_store.replace_graph(G, triples(2))
    remote_store.add(G + "2", triples(3, tag="x"))
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    rows = remote_store.query(count)
    only = remote_store.query(count, default_graph=[G])
    assert isinstance(rows, ox.QuerySolutions) and isinstance(only, ox.QuerySolutions)
    assert int(next(iter(rows))["n"].value) == 5
    assert int(next(iter(only))["n"].value) == 2
    assert bool(remote_store.query(f"ASK {{ GRAPH <{G}2> {{ ?s ?p ?o }} }}"))
    remote_store.remove_graph(G + "2")
    assert G + "2" not in remote_store.named_graphs()
    assert list(remote_store.triples(G + "2")) == []


def test_construct_update_and_dump(remote_store: RemoteStore) -> None:
    remote_store.update(f'INSERT DATA {{ GRAPH <{G}> {{ <urn:a> <urn:p> "x" }} }}')
    built = remote_store.query("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }")
    assert len(list(built)) == 1  # type: ignore[arg-type]
    assert b"urn:a" in remote_store.dump(ox.RdfFormat.N_TRIPLES, graph=G)
    with pytest.raises(QuerySyntaxError):
        remote_store.query("SELEKT nothing")


def test_harvest_into_the_remote_store(
    remote_store: RemoteStore, tmp_path: Path, make_feed: Callable[..., bytes]
) -> None:
    feed = tmp_path / "a.ttl"
    feed.write_bytes(make_feed("https://a.example/", range(2), invalid=(1,)))
    sources = sources_from_dict(
        {
            "partner": [
                {"id": "a", "namespaces": ["https://a.example/"], "feed": [{"url": feed.as_uri()}]}
            ]
        }
    )
    (run,) = harvest(sources, remote_store, load_vocabulary=False)
    assert (run.outcome, run.offers_published, run.rejected) == (
        "Published",
        1,
        ["https://a.example/kurs/1"],
    )
    (again,) = harvest(sources, remote_store, load_vocabulary=False)
    assert again.outcome == "Unchanged"
    saved = read_runs(remote_store, SOURCE + "a", limit=2)
    assert [r["outcome"] for r in saved] == ["Unchanged", "Published"]
