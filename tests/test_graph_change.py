"""A source graph swapped as a change made in the worker equals a whole replacement.

* :func:`registry.store.diff_ntriples` + :meth:`OxigraphStore.change_graph` give the graph a
  full :meth:`replace_graph_ntriples` gives, with skolem IRIs and a changed shared node;
* a change is refused (and :func:`importers.load.load_graph` swaps whole) once anything else
  wrote the graph; blank nodes never travel as a change;
* its journal is finished on the next open, and replaying it again changes nothing;
* a worker given the remembered content and the stand-in reports sends the change and no
  reused report; committed, the feed's graphs equal those of a harvest from scratch.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable
from pathlib import Path

import pytest
from feedserver import FeedServer, Reply

from importers import pipeline
from importers.fetch import FetchConfig
from importers.load import load_graph
from importers.state import FeedState, report_graph, state_graph
from registry.config import Sources, sources_from_dict
from registry.store import OxigraphStore, Remembered, diff_ntriples

G = "https://w3id.org/bildungsnetz/source/t"
NS = "https://anbieter-a.example/"
FETCH = FetchConfig(allow_hosts=frozenset({"127.0.0.1"}), backoff_s=0.01, timeout_s=5, retries=1)
SKOLEM = "https://w3id.org/bildungsnetz/.well-known/genid/"


def nt(*lines: str) -> bytes:
    return "".join(line + " .\n" for line in lines).encode()


def feed(offers: range, *, provider: str = "Anbieter", price: str = "10") -> bytes:
    lines = [f'<{NS}anbieter> <https://schema.org/name> "{provider}"']
    for i in offers:
        lines += [
            f"<{NS}kurs/{i}> <https://schema.org/provider> <{NS}anbieter>",
            f"<{NS}kurs/{i}> <https://schema.org/offers> <{SKOLEM}o{i}>",
            f'<{SKOLEM}o{i}> <https://schema.org/price> "{price}{i}"',
        ]
    return nt(*lines)


def graph_of(store: OxigraphStore, graph: str = G) -> set[str]:
    return {str(t) for t in store.triples(graph)}


def remembered(store: OxigraphStore, graph: str = G) -> Remembered:
    found = store.remembered(graph)
    assert found is not None
    return found


@pytest.mark.parametrize(
    "new",
    [
        feed(range(20), price="11"),  # every offer's price (a skolem node's line)
        feed(range(20), provider="Anbieter GmbH"),  # a shared, non-offer triple
        feed(range(3, 25)),  # offers gone and new ones
        feed(range(20)),  # nothing
    ],
)
def test_change_equals_a_whole_replacement(tmp_path: Path, new: bytes) -> None:
    old = feed(range(20))
    changed, whole = OxigraphStore(tmp_path / "c"), OxigraphStore(None)
    changed.replace_graph_ntriples(G, old)
    whole.replace_graph_ntriples(G, old)
    change = diff_ntriples(remembered(changed), new)
    assert change is not None
    delta = changed.change_graph(G, change)
    full = whole.replace_graph_ntriples(G, new)
    assert delta == full
    assert graph_of(changed) == graph_of(whole) == {str(t) for t in _parsed(new)}
    # the next diff starts from the new content
    again = diff_ntriples(remembered(changed), new)
    assert again is not None and not (again.add or again.remove)
    assert not list((tmp_path / "c" / "journal").glob("*"))


def test_a_change_is_refused_after_another_write(memory_store: OxigraphStore) -> None:
    memory_store.replace_graph_ntriples(G, feed(range(5)))
    change = diff_ntriples(remembered(memory_store), feed(range(5), price="12"))
    assert change is not None
    memory_store.update(f"INSERT DATA {{ GRAPH <{G}> {{ <urn:x> <urn:p> <urn:y> }} }}")
    assert memory_store.remembered(G) is None
    assert memory_store.change_graph(G, change) is None
    # the load falls back to the whole content, which drops the stray triple
    loaded = load_graph(memory_store, G, b"", change=change)
    assert loaded.triples == change.lines
    assert graph_of(memory_store) == {str(t) for t in _parsed(feed(range(5), price="12"))}


def test_a_stale_token_is_refused(memory_store: OxigraphStore) -> None:
    memory_store.replace_graph_ntriples(G, feed(range(5)))
    base = remembered(memory_store)
    memory_store.replace_graph_ntriples(G, feed(range(6)))
    change = diff_ntriples(base, feed(range(5), price="12"))
    assert change is not None
    assert memory_store.change_graph(G, change) is None
    _ = memory_store.raw  # whoever holds the raw store may write anything
    assert memory_store.remembered(G) is None


def test_blank_nodes_and_empty_content_are_not_diffed(memory_store: OxigraphStore) -> None:
    memory_store.replace_graph_ntriples(G, feed(range(3)))
    base = remembered(memory_store)
    assert diff_ntriples(base, feed(range(3)) + nt("_:b <urn:p> <urn:o>")) is None
    assert diff_ntriples(base, b"") is None
    assert diff_ntriples(base, nt("<urn:s> <urn:p> <urn:o>")) is None  # everything goes


def test_interrupted_change_is_finished_and_replay_is_harmless(tmp_path: Path) -> None:
    path = tmp_path / "store"
    store = OxigraphStore(path)
    store.replace_graph_ntriples(G, feed(range(4)))
    change = diff_ntriples(remembered(store), feed(range(1, 5), provider="Neu"))
    assert change is not None and change.remove and change.add
    # a crash after the change's journal was written, before it was applied
    store._write_change_journal(G, change.remove, change.add)
    store.close()
    del store
    reopened = OxigraphStore(path)
    target = {str(t) for t in _parsed(feed(range(1, 5), provider="Neu"))}
    assert graph_of(reopened) == target
    assert not list((path / "journal").glob("*"))
    # a crash after the change was applied, before its journal was removed
    reopened._write_change_journal(G, change.remove, change.add)
    reopened.close()
    del reopened
    assert graph_of(OxigraphStore(path)) == target


def _parsed(data: bytes) -> list[object]:
    store = OxigraphStore(None)
    store.replace_graph_ntriples(G, data)
    return list(store.triples(G))


def _sources(server: FeedServer) -> Sources:
    return sources_from_dict(
        {
            "partner": [
                {
                    "id": "a",
                    "name": "Anbieter A",
                    "namespaces": [NS],
                    "feed": [{"id": "a", "url": server.url("/a.ttl")}],
                }
            ]
        }
    )


def test_worker_sends_the_change_and_no_reused_report(
    feed_server: FeedServer, make_feed: Callable[..., bytes], tmp_path: Path
) -> None:
    sources = _sources(feed_server)
    (f,) = sources.select(None)
    partner = sources.partner(f.partner_id)
    fingerprint = pipeline.shapes_fingerprint()
    store = OxigraphStore(tmp_path / "store")

    def run(body: bytes, state: FeedState) -> tuple[pipeline.Prepared, list[str], FeedState]:
        feed_server.routes["/a.ttl"] = Reply(body)
        lite, stand_ins = pipeline._lite_state(state)
        sent = pipeline._prepare_in_worker(
            f, partner, lite, FETCH, fingerprint, store.remembered(f.iri), stand_ins
        )
        prepared = pickle.loads(pickle.dumps(sent))  # what crosses from the worker process
        assert prepared.validation is not None
        # a reused report comes back as the one shared stand-in, not as the offer's report
        reused = sorted(i for i, r in prepared.validation.offers.items() if r.iri != i)
        prepared = pipeline._restore(prepared, state)
        record = pipeline.commit(
            store, prepared, state, guard_min=2, keep_run_details=5, shapes_hash=fingerprint
        )
        assert record.outcome == "Published", record.message
        return prepared, reused, pipeline._load_state(store, "a")

    first, _reused, state = run(make_feed(NS, range(4), invalid=(2,)), FeedState())
    assert first.change is None and first.publish  # nothing remembered yet: the whole graph
    # one offer renamed and a new one; offer 2 stays quarantined
    body = make_feed(NS, range(5), invalid=(2,)).replace(b'"Kurs 1"@de', b'"Kurs eins"@de')
    second, reused, state = run(body, state)
    assert second.change is not None and not second.publish
    assert reused == [NS + "kurs/0", NS + "kurs/2", NS + "kurs/3"]
    # the shared provider renamed (in every offer's closure, in no offer's own lines)
    body = body.replace(b'schema:name "Anbieter"', b'schema:name "Anbieter GmbH"')
    third, reused, state = run(body, state)
    assert third.change is not None and third.change.remove and not reused
    assert state.offers[NS + "kurs/2"].violations and state.offers[NS + "kurs/0"].name

    # a harvest from scratch of the same feed gives the same graphs
    fresh = OxigraphStore(None)
    feed_server.routes["/a.ttl"] = Reply(body)
    validator = pipeline._default_validator(fingerprint)
    pipeline.harvest(
        sources,
        fresh,
        fetch_config=FETCH,
        validator=validator,
        load_vocabulary=False,
    )
    for graph in (f.iri, state_graph("a"), report_graph("a")):
        assert _untokened(graph_of(store, graph)) == _untokened(graph_of(fresh, graph)), graph
    assert NS + "kurs/2" not in " ".join(graph_of(store, f.iri))


def _untokened(lines: set[str]) -> set[str]:
    """Without the state's token (a new one on every save)."""
    return {line for line in lines if "stateToken" not in line}
