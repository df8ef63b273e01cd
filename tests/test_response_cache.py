"""The answer cache of ``GET /offers``: kept answers equal computed ones, and never outlive
the generation or the day they were computed for."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import Response
from fastapi.testclient import TestClient
from webapp import example_store

from registry.app import create_app
from registry.catalogue import Catalogue
from registry.clock import Clock
from registry.config import ServerSettings
from registry.offer_index import GENERATION_TTL_S
from registry.response_cache import MAX_ANSWER_BYTES, ResponseCache


class _Counted:
    """A tiny app behind the cache: counts the requests that reach it."""

    def __init__(self, entries: int = 4) -> None:
        self.calls = 0
        self.key: list[Any] = [1]
        self.lookups: list[str] = []
        inner = FastAPI()

        @inner.get("/offers")
        def offers(request: Request, size: int = 10, status: int = 200) -> Response:
            self.calls += 1
            body = f"{self.calls}:{request.url.query}:{request.headers.get('accept')}"
            body = body.ljust(size, "x")
            return Response(
                body,
                status_code=status,
                headers={"ETag": f'"e{self.calls}"'},
                media_type="text/plain",
            )

        @inner.get("/other")
        def other() -> Response:
            self.calls += 1
            return Response(str(self.calls), headers={"ETag": '"o"'})

        inner.add_middleware(
            ResponseCache,
            key_of=lambda: tuple(self.key),
            entries=entries,
            on_lookup=self.lookups.append,
        )
        self.client = TestClient(inner)


def test_a_repeated_request_is_answered_from_the_cache() -> None:
    app = _Counted()
    first = app.client.get("/offers?size=20")
    again = app.client.get("/offers?size=20")
    assert app.calls == 1
    assert again.content == first.content and again.headers["etag"] == first.headers["etag"]
    assert again.headers.multi_items() == first.headers.multi_items()
    assert app.lookups == ["miss", "hit"]


def test_request_line_accept_and_key_each_make_another_answer() -> None:
    app = _Counted()
    base = app.client.get("/offers").text
    assert app.client.get("/offers?size=11").text != base
    assert app.client.get("/offers", headers={"Accept": "application/ld+json"}).text != base
    app.key[0] = 2  # a new catalogue generation (or another day)
    assert app.client.get("/offers").text.startswith("4:")
    assert app.calls == 4


def test_if_none_match_on_a_kept_answer_gets_304() -> None:
    app = _Counted()
    etag = app.client.get("/offers").headers["etag"]
    answer = app.client.get("/offers", headers={"If-None-Match": etag})
    assert answer.status_code == 304 and answer.content == b""
    assert answer.headers["etag"] == etag
    other = app.client.get("/offers", headers={"If-None-Match": '"not-it"'})
    assert other.status_code == 200
    assert app.calls == 1


def test_errors_large_answers_other_paths_and_methods_are_not_kept() -> None:
    app = _Counted()
    for _ in range(2):
        assert app.client.get("/offers?status=404").status_code == 404
        assert (
            len(app.client.get(f"/offers?size={MAX_ANSWER_BYTES + 1}").content) > MAX_ANSWER_BYTES
        )
        app.client.get("/other")
    assert app.calls == 6
    assert app.client.post("/offers").status_code == 405


def test_least_recently_used_answer_goes_first() -> None:
    app = _Counted(entries=2)
    app.client.get("/offers?size=1")
    app.client.get("/offers?size=2")
    app.client.get("/offers?size=1")  # kept; size=2 is now the oldest use
    app.client.get("/offers?size=3")  # drops size=2
    calls = app.calls
    app.client.get("/offers?size=1")
    assert app.calls == calls
    app.client.get("/offers?size=2")
    assert app.calls == calls + 1


@pytest.fixture(scope="module")
def apps(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[TestClient, TestClient, Clock]]:
    """The example app twice over one store: with the cache and without it."""
    path: Path = tmp_path_factory.mktemp("cache") / "store"
    store = example_store(path)
    clock = Clock(date(2026, 3, 1))
    cached = create_app(store, query_workers=False)
    plain = create_app(
        store, query_workers=False, settings=ServerSettings(response_cache_entries=0)
    )
    for app in (cached, plain):
        app.state.clock = clock
    with TestClient(cached) as a, TestClient(plain) as b:
        yield a, b, clock
    store.close()


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"kreis": "05766"},
        {"q": "Schweißen", "near": "Detmold", "radius_km": "50"},
        {"mode": "digital", "lang": "en", "limit": "3"},
    ],
)
def test_kept_answers_equal_computed_ones(
    apps: tuple[TestClient, TestClient, Clock], params: dict[str, str]
) -> None:
    cached, plain, _ = apps
    for _ in range(2):  # the second answer comes from the cache
        kept = cached.get("/offers", params=params)
        computed = plain.get("/offers", params=params)
        assert kept.status_code == computed.status_code == 200
        assert kept.content == computed.content
        assert kept.headers["etag"] == computed.headers["etag"]


def test_a_new_day_or_generation_is_computed_anew(
    apps: tuple[TestClient, TestClient, Clock],
) -> None:
    cached, plain, clock = apps
    clock.set(date(2026, 3, 1))
    before = cached.get("/offers", params={"limit": 200}).json()
    clock.set(date(2030, 1, 1))  # every dated run has ended: only flexible starts are left
    after = cached.get("/offers", params={"limit": 200}).json()
    assert len(after["items"]) < len(before["items"])
    assert after == plain.get("/offers", params={"limit": 200}).json()
    clock.set(date(2026, 3, 1))
    catalogue: Catalogue = cached.app.state.catalogue  # type: ignore[attr-defined]
    everything = {"limit": 200, "include_past": "true"}
    whole = cached.get("/offers", params=everything).json()
    source = catalogue.index.sources()[0]
    catalogue.index.replace_source(source, [])  # the writer re-indexed: a new generation
    try:
        now = cached.get("/offers", params=everything).json()
        assert len(now["items"]) < len(whole["items"])
        time.sleep(GENERATION_TTL_S + 0.05)  # the other app's index object sees it by then
        assert now == plain.get("/offers", params=everything).json()
    finally:
        catalogue.refresh([source], publish=False)
    assert cached.get("/offers", params=everything).json() == whole
    metrics = cached.get("/metrics").text
    assert 'bildungsnetz_response_cache_lookups_total{result="hit"}' in metrics
