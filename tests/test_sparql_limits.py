"""Bounded queries: timeouts end the worker process, caps give 413, nothing logs a traceback."""

from __future__ import annotations

import logging
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
from registry.query_worker import QueryPool

SETTINGS = ServerSettings(
    query_timeout_s=2.0, query_workers=2, max_result_rows=50, max_request_bytes=4000
)
MAX_RESULT_BYTES = 20_000
RUNAWAY = (
    "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . "
    "?m ?n1 ?o . ?p ?q ?r . ?s ?t ?u }"
)


def offer(i: int) -> ox.Triple:
    return ox.Triple(
        ox.NamedNode(f"https://a.example/offer/{i}"),
        ox.NamedNode("https://schema.org/name"),
        ox.Literal(f"Kurs {i}", language="de"),
    )


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, QueryPool]]:
    root: Path = tmp_path_factory.mktemp("limits")
    long_text = ox.Triple(
        ox.NamedNode("https://a.example/long"),
        ox.NamedNode("https://schema.org/description"),
        ox.Literal("x" * (MAX_RESULT_BYTES + 1000)),
    )
    store = fill_store(
        root / "store",
        {
            "https://w3id.org/bildungsnetz/source/a": [offer(i) for i in range(40)],
            "https://w3id.org/bildungsnetz/source/b": [offer(i) for i in range(40, 80)],
            "https://w3id.org/bildungsnetz/source/c": [long_text],
        },
    )
    store.close()
    app, pool = build_app(root / "store" / "snapshots", SETTINGS, max_result_bytes=MAX_RESULT_BYTES)
    live = LiveServer(app)
    yield live, pool
    live.close()


@pytest.fixture
def client(served: tuple[LiveServer, QueryPool]) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=served[0].url, timeout=30) as c:
        yield c


@pytest.fixture
def error_log() -> Iterator[Records]:
    handler = Records()
    loggers = [logging.getLogger(n) for n in ("uvicorn.error", "registry", "fastapi")]
    for logger in loggers:
        logger.addHandler(handler)
    yield handler
    for logger in loggers:
        logger.removeHandler(handler)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_runaway_query_is_stopped_while_others_are_served(
    served: tuple[LiveServer, QueryPool], client: httpx.Client
) -> None:
    server, pool = served
    before = set(pool.pids)
    outcome: dict[str, object] = {}

    def runaway() -> None:
        started = time.monotonic()
        with httpx.Client(base_url=server.url, timeout=30) as own:
            outcome["response"] = own.post("/sparql", data={"query": RUNAWAY})
        outcome["seconds"] = time.monotonic() - started

    thread = threading.Thread(target=runaway)
    thread.start()
    time.sleep(0.3)  # the runaway holds a worker now
    answered = 0
    while thread.is_alive():
        started = time.monotonic()
        response = client.get("/sparql", params={"query": "ASK { ?s ?p ?o }"})
        assert response.status_code == 200
        assert time.monotonic() - started < 1.0
        answered += 1
    thread.join()
    assert answered >= 5
    refused = outcome["response"]
    assert isinstance(refused, httpx.Response)
    assert refused.status_code == 503
    assert refused.json() == {
        "error": "query_timeout",
        "status": 503,
        "message": "the query ran longer than 2 s and was stopped",
        "timeout_s": 2.0,
    }
    assert 2.0 <= float(outcome["seconds"]) < 5.0  # type: ignore[arg-type]
    # the worker that ran it is gone, a fresh one took its place
    after = set(pool.pids)
    assert len(after) == SETTINGS.query_workers + pool.lookup_size
    killed = before - after
    assert len(killed) == 1 and not alive(killed.pop())
    assert client.get("/sparql", params={"query": "ASK {}"}).status_code == 200


def test_too_many_rows_is_413(client: httpx.Client) -> None:
    names = "SELECT * { ?s <https://schema.org/name> ?o }"
    response = client.get("/sparql", params={"query": names})
    assert response.status_code == 413
    body = response.json()
    assert body["error"] == "result_too_large"
    assert "more than 50 rows" in body["message"]
    fitting = client.get("/sparql", params={"query": names + " LIMIT 50"})
    assert fitting.status_code == 200


@pytest.mark.parametrize("fmt", ["csv", "tsv", "xml", "json"])
def test_row_cap_holds_in_every_results_format(client: httpx.Client, fmt: str) -> None:
    query = "SELECT ?s { ?s ?p ?o FILTER(isIRI(?s)) } LIMIT 51"
    assert client.get("/sparql", params={"query": query, "format": fmt}).status_code == 413


def test_too_many_triples_is_413(client: httpx.Client) -> None:
    response = client.post("/sparql", data={"query": "CONSTRUCT WHERE { ?s ?p ?o }"})
    assert response.status_code == 413
    assert "triples" in response.json()["message"]


def test_too_many_bytes_is_413(client: httpx.Client) -> None:
    response = client.get(
        "/sparql", params={"query": "SELECT ?o { <https://a.example/long> ?p ?o }"}
    )
    assert response.status_code == 413
    assert "bytes" in response.json()["message"]


def test_oversized_body_is_413(client: httpx.Client) -> None:
    query = "ASK { ?s ?p ?o } #" + "x" * SETTINGS.max_request_bytes
    response = client.post(
        "/sparql", content=query.encode(), headers={"Content-Type": "application/sparql-query"}
    )
    assert response.status_code == 413
    assert response.json()["error"] == "input_too_large"


def test_long_query_string_is_413(client: httpx.Client) -> None:
    query = "ASK { ?s ?p ?o } #" + "x" * SETTINGS.max_request_bytes
    response = client.get("/sparql", params={"query": query})
    assert response.status_code == 413
    assert "POST" in response.json()["message"]


def test_refusals_log_no_errors(client: httpx.Client, error_log: Records) -> None:
    requests = [
        client.get("/sparql", params={"query": "SELECT * {"}),
        client.post("/sparql", data={"update": "CLEAR ALL"}),
        client.get("/sparql", params={"query": "SELECT * { SERVICE <http://x.example/> {} }"}),
        client.get("/sparql", params={"query": "SELECT * { ?s ?p ?o }"}),
        client.get("/sparql", params={"query": "ASK {}"}, headers={"Accept": "image/png"}),
        client.post("/sparql", content=b"x" * 5000, headers={"Content-Type": "text/plain"}),
        client.post("/sparql", content=b"ASK {}", headers={"Content-Type": "text/plain"}),
    ]
    assert [r.status_code for r in requests] == [400, 403, 403, 413, 406, 413, 415]
    assert [r for r in error_log.records if r.levelno >= logging.ERROR] == []
