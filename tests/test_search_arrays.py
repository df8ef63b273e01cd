"""Facets and relevance order from the runs' columns in memory answer exactly as SQLite does.

Every search here is asked twice over one index file: through an index object that counts
facets and ranks in SQLite alone (``columns=False``) and through one that uses the columns of
:mod:`registry.search_arrays`; pages, cursors, scores, facets and totals must be equal, for
every filter of ``GET /offers`` alone and in random combinations, page after page."""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import orjson
import pytest

from registry import offer_index
from registry.offer_index import OfferFilters, OfferIndex
from registry.search_arrays import RunArrays

TODAY = date(2026, 3, 1)
TEXTS = ["Excel", "Schweißen", "Pflege", "kurs", "Schweisstechnik", "SPS Programmierung", "xyzzy"]


@pytest.fixture(scope="module")
def both(demo_offer_index: OfferIndex) -> Iterator[tuple[OfferIndex, OfferIndex]]:
    plain = OfferIndex(demo_offer_index.path, columns=False)
    fast = OfferIndex(demo_offer_index.path)
    arrays = fast.load_columns()
    assert isinstance(arrays, RunArrays) and arrays.n == demo_offer_index.count()
    yield plain, fast
    plain.close()
    fast.close()


def _values(index: OfferIndex, sql: str) -> list[Any]:
    return [r[0] for r in index._conn().execute(sql) if r[0] is not None]


def _pools(index: OfferIndex) -> dict[str, list[Any]]:
    """Values of every filter that occur in the data (and one that does not)."""
    dates = sorted(_values(index, "SELECT DISTINCT start_date FROM runs"))
    return {
        "q": TEXTS,
        "kreis": [*_values(index, "SELECT DISTINCT kreis_ags FROM runs"), "05999"],
        "mode": [*_values(index, "SELECT DISTINCT mode FROM runs"), "digital", "praesenz"],
        "funding": _values(index, "SELECT DISTINCT code FROM run_funding"),
        "topic": [
            t.removeprefix("slug:")
            for t in _values(index, "SELECT DISTINCT topic FROM run_topic")
            if t.startswith("slug:")
        ],
        "provider": _values(index, "SELECT DISTINCT provider FROM runs"),
        "eqf": ["3", "4", "6"],
        "language": ["de", "en", "DE"],
        "start_from": [date.fromisoformat(d) for d in dates[:: max(1, len(dates) // 5)]],
        "start_to": [date.fromisoformat(d) for d in dates[:: max(1, len(dates) // 4)]],
        "max_price": [0.0, 150.0, 900.0, 5000.0],
        "near": ["Detmold", "37671", "51.72,8.75", "Bielefeld"],
        "radius_km": [5.0, 25.0, 80.0],
        "include_past": [True, False],
        "starting_within": [7, 90, 400],
    }


def _pages(index: OfferIndex, f: OfferFilters, limit: int) -> list[tuple[Any, ...]]:
    """The first 40 pages (all of them with a larger limit)."""
    out = []
    cursor = None
    for _ in range(40):
        page = index.search(f, limit=limit, cursor=cursor, facets=True)
        # plain Python values only (numpy's would compare equal here and fail in the answer)
        orjson.dumps([page.items, page.extra])  # raises on a numpy value
        out.append((page.items, page.next_cursor, page.extra))
        cursor = page.next_cursor
        if cursor is None:
            break
    return out


def _clear(index: OfferIndex) -> None:
    """Forget kept answers, so each search is computed (not read from a cache)."""
    index._facet_cache.clear()
    index._base_facets.clear()
    index._ranked.clear()


def _same(both: tuple[OfferIndex, OfferIndex], params: dict[str, Any], limit: int = 7) -> int:
    plain, fast = both
    f = OfferFilters.parse(today=TODAY, **params)
    _clear(plain)
    _clear(fast)
    expected = _pages(plain, f, limit)
    got = _pages(fast, f, limit)
    assert got == expected, params
    return int(expected[0][2]["total"])


def test_each_filter_alone(both: tuple[OfferIndex, OfferIndex]) -> None:
    pools = _pools(both[0])
    totals = []
    for filter_name, values in pools.items():
        for value in values:
            params = {filter_name: value}
            if filter_name == "radius_km":
                params["near"] = "Detmold"
            totals.append(_same(both, params))
    assert max(totals) > 0 and min(totals) == 0  # some select runs, some select none


def test_random_combinations(both: tuple[OfferIndex, OfferIndex]) -> None:
    pools = _pools(both[0])
    rng = random.Random(20261121)
    found = 0
    for _ in range(250):
        names = rng.sample(sorted(pools), rng.randint(2, 4))
        params = {name: rng.choice(pools[name]) for name in names}
        if "radius_km" in params:
            params.setdefault("near", rng.choice(pools["near"]))
        if "start_from" in params and "start_to" in params:  # else a 422, tested elsewhere
            low, high = sorted((params["start_from"], params["start_to"]))
            params.update(start_from=low, start_to=high)
        found += _same(both, params, limit=rng.choice([1, 5, 20])) > 0
    assert found > 20  # the combinations exercise real answers, not only empty ones


def test_a_day_after_every_run_and_one_before(both: tuple[OfferIndex, OfferIndex]) -> None:
    plain, fast = both
    for today in (date(2019, 1, 1), date(2031, 1, 1), TODAY + timedelta(days=120)):
        f = OfferFilters.parse(today=today, q="kurs")
        _clear(plain)
        _clear(fast)
        assert _pages(fast, f, 5) == _pages(plain, f, 5)


def test_columns_are_read_in_the_background_once_the_generation_stands(
    demo_offer_index: OfferIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(offer_index, "COLUMNS_SETTLE_S", 0.2)
    index = OfferIndex(demo_offer_index.path)
    f = OfferFilters.parse(today=TODAY, q="Excel")
    expected = index.search(f, limit=5, facets=True)  # first sight: SQLite alone
    assert index._loader is None
    index.search(f, limit=5, facets=True)  # too soon: still none
    assert index._loader is None
    time.sleep(0.25)
    index.search(f, limit=5, facets=True)  # the generation stood: read in the background
    assert index._loader is not None
    index._loader.join(timeout=30)
    assert index._arrays is not None and index._arrays.generation == index.generation
    _clear(index)
    got = index.search(f, limit=5, facets=True)  # now from the columns
    assert (got.items, got.extra) == (expected.items, expected.extra)
    index.close()
