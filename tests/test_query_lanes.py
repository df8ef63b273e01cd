"""The lookup lane: lookups are answered while long queries hold every general worker."""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
from sparqlserver import LiveServer, build_app, fill_store

from registry.config import ServerSettings
from registry.errors import QueryTimeout
from registry.query_worker import QueryPool, QueryRequest, _Lanes, _Worker
from registry.sparql import LOOKUP_MAX_LIMIT, is_lookup

#: never finishes on 60 triples: a count over a 7-fold cross product (as the limits tests use)
AGGREGATION = (
    "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . "
    "?m ?n1 ?o . ?p ?q ?r . ?s ?t ?u }"
)
#: classified as a lookup (an ASK), yet a 5-fold cross product whose filter never holds
LONG_LOOKUP = (
    "ASK { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n ?o "
    'FILTER (STR(?c) = CONCAT(STR(?f), STR(?i), STR(?l), STR(?o), "!")) }'
)
OFFER = "https://a.example/offer/7"
DESCRIBE = f"DESCRIBE <{OFFER}>"
TIMEOUT_S = 2.0


def offer(i: int) -> ox.Triple:
    return ox.Triple(
        ox.NamedNode(f"https://a.example/offer/{i}"),
        ox.NamedNode("https://schema.org/name"),
        ox.Literal(f"Kurs {i}", language="de"),
    )


@pytest.fixture(scope="module")
def snapshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("lanes")
    store = fill_store(
        root / "store", {"https://w3id.org/bildungsnetz/source/a": [offer(i) for i in range(60)]}
    )
    store.close()
    return root / "store" / "snapshots"


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.parametrize(
    ("query", "lookup"),
    [
        (DESCRIBE, True),
        ("PREFIX ex: <https://a.example/> DESCRIBE ex:a ex:b", True),
        ("DESCRIBE ?x WHERE { ?x ?p ?o }", False),
        ("ASK { ?s ?p ?o }", True),
        ("SELECT * { ?s ?p ?o } LIMIT 10", True),
        (f"SELECT * {{ ?s ?p ?o }} LIMIT {LOOKUP_MAX_LIMIT + 1}", False),
        ("SELECT * { ?s ?p ?o } LIMIT 10 OFFSET 100000", False),
        ("SELECT * { ?s ?p ?o }", False),
        ("SELECT * { { SELECT * { ?s ?p ?o } LIMIT 3 } }", False),
        ("SELECT (COUNT(*) AS ?n) { ?s ?p ?o } LIMIT 1", False),
        ("SELECT * { ?s ?p ?o } ORDER BY ?s LIMIT 1", False),
        ("SELECT ?k (SAMPLE(?o) AS ?x) { ?k ?p ?o } GROUP BY ?k LIMIT 5", False),
        ('SELECT * { ?s ?p "LIMIT 1" }', False),
        ("CONSTRUCT WHERE { ?s ?p ?o } LIMIT 20", True),
        ("SELECT * { SERVICE <https://e.example/sparql> { ?s ?p ?o } } LIMIT 1", False),
        ("INSERT DATA { <https://a.example/x> <https://a.example/y> 1 }", False),
    ],
)
def test_lookup_classification(query: str, lookup: bool) -> None:
    assert is_lookup(query) is lookup


def _fake_worker(lookup: bool) -> _Worker:
    return _Worker(process=None, conn=None, lookup=lookup)  # type: ignore[arg-type]


async def _hand_overs() -> dict[str, object]:
    lanes = _Lanes()
    general, reserved = _fake_worker(False), _fake_worker(True)
    long = asyncio.create_task(lanes.acquire(False, 5.0))
    lookup = asyncio.create_task(lanes.acquire(True, 5.0))
    await asyncio.sleep(0)
    lanes.release(reserved)  # only the lookup may take a lookup worker
    await asyncio.sleep(0)
    long_waiting_after_reserved = not long.done()
    lanes.release(general)
    outcome: dict[str, object] = {
        "long_waited": long_waiting_after_reserved,
        "lookup_got": await lookup,
        "long_got": await long,
        "nothing_free": await lanes.acquire(False, 0.05),
    }
    # a caller cancelled while waiting leaves nothing behind: the next worker stays idle
    gone = asyncio.create_task(lanes.acquire(False, 5.0))
    await asyncio.sleep(0)
    gone.cancel()
    await asyncio.gather(gone, return_exceptions=True)
    lanes.release(general)
    outcome["idle_after_cancel"] = list(lanes.idle[False])
    # a lookup finds the idle general worker when no lookup worker is free
    outcome["lookup_borrowed"] = await lanes.acquire(True, 0.05)
    return {**outcome, "general": general, "reserved": reserved}


def test_lanes_hand_workers_to_the_queries_that_may_use_them() -> None:
    outcome = asyncio.run(_hand_overs())
    assert outcome["long_waited"] is True
    assert outcome["lookup_got"] is outcome["reserved"]
    assert outcome["long_got"] is outcome["general"]
    assert outcome["nothing_free"] is None
    assert outcome["idle_after_cancel"] == [outcome["general"]]
    assert outcome["lookup_borrowed"] is outcome["general"]


async def _lookup_while_aggregation_runs(snapshots: Path, lookup_workers: int) -> list[object]:
    """Start AGGREGATION on the only general worker, then run DESCRIBE as a lookup."""
    pool = QueryPool(snapshots, workers=1, timeout_s=TIMEOUT_S, lookup_workers=lookup_workers)
    await pool.start()
    try:
        long = asyncio.create_task(pool.run(QueryRequest(AGGREGATION)))
        await asyncio.sleep(0.3)  # the aggregation holds the general worker now
        outcomes: list[object] = []
        started = time.monotonic()
        try:
            answer = await pool.run(
                QueryRequest(DESCRIBE, rdf_media_type="application/n-triples"), lookup=True
            )
            outcomes.append(answer.body.decode())
        except QueryTimeout as exc:
            outcomes.append(exc)
        outcomes.append(time.monotonic() - started)
        outcomes.append(long.done())
        with pytest.raises(QueryTimeout):
            await long
        return outcomes
    finally:
        await pool.close()


def test_lookup_is_answered_while_an_aggregation_holds_the_general_worker(
    snapshots: Path,
) -> None:
    body, seconds, aggregation_done = asyncio.run(_lookup_while_aggregation_runs(snapshots, 1))
    assert isinstance(body, str)
    assert f'<{OFFER}> <https://schema.org/name> "Kurs 7"@de .' in body
    assert isinstance(seconds, float) and seconds < 1.5
    assert aggregation_done is False  # the lookup did not wait for it


def test_without_a_lookup_lane_the_lookup_queues(snapshots: Path) -> None:
    # the lookup gets a worker only once the aggregation's was killed at the timeout
    _, seconds, aggregation_done = asyncio.run(_lookup_while_aggregation_runs(snapshots, 0))
    assert isinstance(seconds, float) and seconds >= TIMEOUT_S - 0.5
    assert aggregation_done is True


async def _long_lookup(snapshots: Path) -> dict[str, object]:
    pool = QueryPool(snapshots, workers=1, timeout_s=TIMEOUT_S, lookup_workers=1)
    await pool.start()
    try:
        lookup_before = set(pool.lookup_pids)
        general_before = set(pool.pids) - lookup_before
        long = asyncio.create_task(pool.run(QueryRequest(LONG_LOOKUP), lookup=True))
        await asyncio.sleep(0.3)
        # the lookup worker is busy: the next lookup takes the idle general worker
        started = time.monotonic()
        answer = await pool.run(QueryRequest("ASK { ?s ?p ?o }"), lookup=True)
        quick = time.monotonic() - started
        with pytest.raises(QueryTimeout) as caught:
            await long
        lookup_after = set(pool.lookup_pids)
        return {
            "answer": answer.body,
            "quick_s": quick,
            "message": caught.value.message,
            "lookup_replaced": lookup_before.isdisjoint(lookup_after) and len(lookup_after) == 1,
            "old_lookup_alive": any(alive(pid) for pid in lookup_before),
            "general_kept": general_before == set(pool.pids) - lookup_after,
        }
    finally:
        await pool.close()


def test_a_long_lookup_is_stopped_by_the_timeout_and_only_its_worker_replaced(
    snapshots: Path,
) -> None:
    outcome = asyncio.run(_long_lookup(snapshots))
    assert b'"boolean":true' in outcome["answer"]  # type: ignore[operator]
    assert outcome["quick_s"] < 1.5  # type: ignore[operator]
    assert outcome["message"] == f"the query ran longer than {TIMEOUT_S:g} s and was stopped"
    assert outcome["lookup_replaced"] is True
    assert outcome["old_lookup_alive"] is False
    assert outcome["general_kept"] is True


@pytest.fixture(scope="module")
def served(snapshots: Path) -> Iterator[tuple[LiveServer, QueryPool]]:
    settings = ServerSettings(query_timeout_s=TIMEOUT_S, query_workers=2)
    app, pool = build_app(snapshots, settings)
    live = LiveServer(app)
    yield live, pool
    live.close()


def test_endpoint_answers_describe_while_aggregations_hold_every_general_worker(
    served: tuple[LiveServer, QueryPool],
) -> None:
    server, pool = served
    statuses: list[int] = []

    def aggregate() -> None:
        with httpx.Client(base_url=server.url, timeout=30) as own:
            statuses.append(own.post("/sparql", data={"query": AGGREGATION}).status_code)

    threads = [threading.Thread(target=aggregate) for _ in range(pool.size)]
    for thread in threads:
        thread.start()
    time.sleep(0.5)  # both general workers run an aggregation now
    answered = 0
    with httpx.Client(base_url=server.url, timeout=30) as client:
        while any(t.is_alive() for t in threads):
            started = time.monotonic()
            response = client.get(
                "/sparql", params={"query": DESCRIBE}, headers={"Accept": "application/n-triples"}
            )
            assert response.status_code == 200
            assert '"Kurs 7"@de' in response.text
            assert time.monotonic() - started < 1.0
            answered += 1
    for thread in threads:
        thread.join()
    assert statuses == [503] * pool.size
    assert answered >= 5
