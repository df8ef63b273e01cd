"""One ``GET /offers`` question to the side table: filters, full text, distance, facets, paging.

Why apart from :mod:`registry.offer_index`: that module owns the tables and how they are
written; this one composes the read. The table holds one row per course *run*, but a portal
shows one result per *offer* (schema:Course): the filters select runs (the WHERE clause, shared
by the page and the facet counts), and an offer is a hit when at least one of its runs matches.
The item carries the offer's data and its matching runs; it is placed by its *next matching
run* (date order) or by its best-scoring run (relevance order, BM25), and carries the smallest
distance of its matching runs to ``near``. Facets and ``total`` count distinct offers.

Paging: in date order a keyset cursor (start date of the offer's first matching run, offer IRI)
— the page query keeps, per offer, only its first matching run (``NOT EXISTS`` an earlier
matching run of the same offer), so it walks the ``(sort_key, offer_iri)`` index and stops
after one page; in relevance order an offset over the runs grouped by offer. Lifecycle: ended
runs are hidden unless ``include_past``; an offer whose runs have all ended is ``stale``.

Two ways to the same answer: all in SQLite (the conditions of :func:`_where`, facets over a
temporary table of the matching runs), or — once the index object holds the runs' columns of
this generation (:mod:`registry.search_arrays`) — facets, totals and relevance order computed
in memory from those columns and FTS5's scored hits; the date-ordered page, the run summaries
and the stale marks are read from SQLite either way. tests/test_search_arrays.py holds both
to the same pages, cursors, scores and facets.
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import orjson

from .errors import InvalidParameter
from .search import TOTAL, bm25_expression, facet_counts, fill_hits, fts_query
from .search_arrays import RunArrays, TextHits, select
from .search_filters import OfferFilters, OfferPage, decode_cursor, encode_cursor

__all__ = [
    "MAX_RUNS_PER_ITEM",
    "RANKED_KEPT",
    "RUN_FIELDS",
    "is_base",
    "offer_item",
    "run_search",
]

_RANK_MARK = "@rank"
#: third element of a date-order cursor (an offer cursor, not one of a run)
_OFFER_MARK = "@offer"
#: offers of a ranked query kept for its next pages (ten pages of 20, two of 200 + 1)
RANKED_KEPT = 401
#: ranked queries kept per index (the oldest goes first)
_RANKED_QUERIES = 128
#: facet answers kept per index (the next pages of a query, the portal's start page)
_CACHE_SIZE = 256
#: filters whose facet answers are kept for the whole index generation when at most one is set
#: (the portal's start page and its one-click refinements: few, and asked again and again)
_BASE_FILTERS = (
    "kreis",
    "kreis_iri",
    "mode",
    "rollup",
    "eqf",
    "funding",
    "topic",
    "topic_slug",
    "provider",
)
#: at most this many pinned answers (one per facet value of the catalogue is far fewer)
_PINNED_SIZE = 1024
#: filters that only decide which runs count as current; they do not make a filter set rarer
_CONTEXT_FILTERS = ("today", "include_past")
#: matching runs listed per item (``run_count`` says how many there are)
MAX_RUNS_PER_ITEM = 20
#: fields of a run summary that belong to the run, not to the offer
RUN_FIELDS = (
    "run",
    "start_date",
    "end_date",
    "flexible_start",
    "mode",
    "kreis",
    "place",
    "price",
    "currency",
    "language",
    "funding",
    "registration_deadline",
)


def _last_day(t: str) -> str:
    return f"coalesce({t}.end_date, {t}.start_date)"


def _where(
    conn: sqlite3.Connection, f: OfferFilters, match: str | None, t: str = "runs"
) -> tuple[list[str], list[Any]]:
    """The conditions a run (table alias ``t``) must meet, and their arguments."""
    where: list[str] = []
    args: list[Any] = []
    if match is not None:
        where.append("run_fts MATCH ?")
        args.append(match)
    for column, value in (
        ("kreis_ags", f.kreis),
        ("kreis", f.kreis_iri),
        ("mode", f.mode),
        ("mode_rollup", f.rollup),
        ("provider", f.provider),
        ("eqf", f.eqf),
    ):
        if value:
            where.append(f"{t}.{column} = ?")
            args.append(value)
    if f.funding:
        where.append(f"EXISTS (SELECT 1 FROM run_funding WHERE code = ? AND run = {t}.id)")
        args.append(f.funding)
    if f.topic or f.topic_slug:
        where.append(f"EXISTS (SELECT 1 FROM run_topic WHERE topic = ? AND run = {t}.id)")
        args.append(f.topic or "slug:" + (f.topic_slug or ""))
    # the same bounds on sort_key (the start date, or NO_DATE after every date) let SQLite
    # seek in the date-ordered index instead of walking it from the first run
    if f.start_from:
        where.append(f"{t}.start_date >= ? AND {t}.sort_key >= ?")
        args.extend([f.start_from.isoformat()] * 2)
    if f.start_to:
        where.append(f"{t}.start_date <= ? AND {t}.sort_key <= ?")
        args.extend([f.start_to.isoformat()] * 2)
    if f.max_price is not None:
        where.append(f"{t}.price <= ?")
        args.append(f.max_price)
    if f.language:
        where.append(f"({t}.language = ? OR {t}.language LIKE ?)")
        args.extend([f.language, f.language + "-%"])
    if f.today is not None and not f.include_past:
        where.append(f"({_last_day(t)} IS NULL OR {_last_day(t)} >= ?)")
        args.append(f.today.isoformat())
    if f.starting_within is not None and f.today is not None:
        where.append(f"{t}.start_date BETWEEN ? AND ?")
        args.extend(
            [f.today.isoformat(), (f.today + timedelta(days=f.starting_within)).isoformat()]
        )
    if f.near_lat is not None and f.near_lon is not None and f.radius_km is not None:
        dlat = f.radius_km / 110.5
        dlon = f.radius_km / (111.3 * max(0.05, math.cos(math.radians(f.near_lat))))
        where.append(
            f"{t}.lat BETWEEN ? AND ? AND {t}.lon BETWEEN ? AND ? "
            f"AND dist_km({t}.lat, {t}.lon, ?, ?) <= ?"
        )
        args.extend(
            [
                f.near_lat - dlat,
                f.near_lat + dlat,
                f.near_lon - dlon,
                f.near_lon + dlon,
                f.near_lat,
                f.near_lon,
                f.radius_km,
            ]
        )
    return where, args


class _Columns:
    """The in-memory side of one search: the runs each match expression (or none) selects
    under the filters, computed once per request."""

    def __init__(
        self, arrays: RunArrays, f: OfferFilters, text_hits: Callable[[str], TextHits]
    ) -> None:
        self.arrays = arrays
        self.filters = f
        self.text_hits = text_hits
        self._masks: dict[str | None, Any] = {}

    def mask(self, match: str | None) -> Any:
        if match not in self._masks:
            hits = self.text_hits(match) if match is not None else None
            self._masks[match] = select(self.arrays, self.filters, hits)
        return self._masks[match]

    def ranked(self, match: str, limit: int, offset: int) -> list[tuple[Any, ...]]:
        """Ranked rows (as the SQL of :func:`_rank_page` gives them) of ``match``."""
        return self.arrays.ranked(self.mask(match), self.text_hits(match), limit, offset)


def _decode_offset(key: tuple[str, str, str], filters_key: str) -> int:
    if key[0] != _RANK_MARK or key[2] != filters_key or not key[1].isdigit():
        raise InvalidParameter("cursor does not belong to this query", parameter="cursor")
    return int(key[1])


def _date_page(
    conn: sqlite3.Connection, f: OfferFilters, limit: int, cursor: str | None
) -> tuple[list[str], str | None]:
    """Offers in (first matching run's start date, offer IRI) order, after ``cursor``."""
    where, args = _where(conn, f, None)
    inner, inner_args = _where(conn, f, None, "r2")
    earlier = (
        "NOT EXISTS (SELECT 1 FROM runs AS r2 WHERE r2.offer = runs.offer "
        "AND (r2.sort_key, r2.run_iri) < (runs.sort_key, runs.run_iri)"
        + "".join(" AND " + w for w in inner)
        + ")"
    )
    where, args = [*where, earlier], [*args, *inner_args]
    if cursor:
        key = decode_cursor(cursor)
        if key[2] != _OFFER_MARK:
            raise InvalidParameter("cursor does not belong to this query", parameter="cursor")
        where.append("(runs.sort_key, runs.offer_iri) > (?, ?)")
        args.extend(key[:2])
    sql = (
        "SELECT runs.sort_key, runs.offer_iri FROM runs WHERE "
        + " AND ".join(where)
        + " ORDER BY runs.sort_key, runs.offer_iri LIMIT ?"
    )
    rows = conn.execute(sql, [*args, limit + 1]).fetchall()
    page = rows[:limit]
    next_cursor = None
    if len(rows) > limit and page:
        next_cursor = encode_cursor((page[-1][0], page[-1][1], _OFFER_MARK))
    return [r[1] for r in page], next_cursor


def _rank_page(
    conn: sqlite3.Connection,
    f: OfferFilters,
    match: str,
    limit: int,
    cursor: str | None,
    generation: int,
    ranked: dict[Any, list[tuple[Any, ...]]] | None,
    columns: _Columns | None = None,
) -> tuple[list[str], dict[str, float], dict[str, list[int]], str | None]:
    """Offers by their best BM25 score (then first start date, offer IRI); an offset cursor.

    Ranking scores *every* matching run (BM25 cannot stop early once runs are grouped by
    offer): 15–20 ms for a broad word at 100k offers. So the first :data:`RANKED_KEPT` offers
    of a query are kept in ``ranked`` by (generation, filters, query) and the next pages, or
    the same query again, are sliced from them; pages further down are ranked anew. With
    ``columns`` the offers are grouped and ordered in memory (:mod:`registry.search_arrays`)."""
    offset = _decode_offset(decode_cursor(cursor), f.key()) if cursor else 0
    if columns is not None:  # grouping and ordering in memory: only the page's rows are built
        return _page_of(columns.ranked(match, limit + 1, offset), limit, offset, f)
    where, args = _where(conn, f, match)
    # bm25() cannot stand in an aggregate: score the runs first, then group them by offer
    sql = (
        "WITH scored AS MATERIALIZED (SELECT runs.offer AS offer, runs.offer_iri AS iri, "
        f"{bm25_expression()} AS score, runs.sort_key AS sort_key, runs.id AS id "
        "FROM run_fts JOIN runs ON runs.id = run_fts.rowid WHERE "
        + " AND ".join(where)
        + ") SELECT min(iri) AS iri, min(score) AS best, min(sort_key) AS first, "
        "group_concat(id) FROM scored GROUP BY offer ORDER BY best, first, iri LIMIT ? OFFSET ?"
    )

    def fetch(count: int, skip: int) -> list[tuple[Any, ...]]:
        return conn.execute(sql, [*args, count, skip]).fetchall()

    key = (generation, f.key(), match)
    if ranked is not None and offset + limit + 1 <= RANKED_KEPT:
        top = ranked.get(key)
        if top is None:
            top = fetch(RANKED_KEPT, 0)
            if len(ranked) >= _RANKED_QUERIES:
                ranked.pop(next(iter(ranked)), None)
            ranked[key] = top
        rows = top[offset : offset + limit + 1]
    else:
        rows = fetch(limit + 1, offset)
    return _page_of(rows, limit, offset, f)


def _page_of(
    rows: list[tuple[Any, ...]], limit: int, offset: int, f: OfferFilters
) -> tuple[list[str], dict[str, float], dict[str, list[int]], str | None]:
    """Offers, scores, run ids and the next cursor of ranked rows (one more than a page)."""
    page = rows[:limit]
    next_cursor = None
    if len(rows) > limit and page:
        next_cursor = encode_cursor((_RANK_MARK, str(offset + limit), f.key()))
    scores = {r[0]: -float(r[1]) for r in page}
    ids = {r[0]: [int(i) for i in str(r[3]).split(",")] for r in page}
    return [r[0] for r in page], scores, ids, next_cursor


def _matching_runs(
    conn: sqlite3.Connection,
    f: OfferFilters,
    offers: list[str],
    ids: dict[str, list[int]] | None,
) -> dict[str, list[tuple[dict[str, Any], float | None]]]:
    """(run summary, distance) of the matching runs of ``offers``, by start date: the runs
    named by ``ids`` (relevance order knows them), else those the filters select."""
    if not offers:
        return {}
    distance = "dist_km(runs.lat, runs.lon, ?, ?)" if f.near_lat is not None else "NULL"
    dist_args: list[Any] = [f.near_lat, f.near_lon] if f.near_lat is not None else []
    sql = (
        f"SELECT runs.offer_iri, s.summary, {distance} FROM runs "
        "JOIN run_summary s ON s.id = runs.id WHERE "
    )
    if ids is not None:
        wanted = [i for o in offers for i in ids.get(o, [])]
        sql += f"runs.id IN ({','.join('?' * len(wanted))})"
        args: list[Any] = wanted
    else:
        where, args = _where(conn, f, None)
        where.append(f"runs.offer_iri IN ({','.join('?' * len(offers))})")
        args = [*args, *offers]
        sql += " AND ".join(where)
    sql += " ORDER BY runs.sort_key, runs.run_iri"
    out: dict[str, list[tuple[dict[str, Any], float | None]]] = {o: [] for o in offers}
    for offer, summary, dist in conn.execute(sql, [*dist_args, *args]):
        out[offer].append((orjson.loads(summary), dist))
    return out


def offer_item(runs: list[tuple[dict[str, Any], float | None]]) -> dict[str, Any]:
    """One result item from the (summary, distance) of an offer's matching runs, by date."""
    first = runs[0][0]
    item = {k: v for k, v in first.items() if k not in RUN_FIELDS}
    listed = []
    for summary, dist in runs:
        run = {k: summary.get(k) for k in RUN_FIELDS}
        run["distance_km"] = round(dist, 1) if dist is not None else None
        listed.append(run)
    priced = [(r["price"], r["currency"]) for r in listed if r["price"] is not None]
    best = min(priced, key=lambda p: p[0]) if priced else (None, None)
    distances = [r["distance_km"] for r in listed if r["distance_km"] is not None]
    item.update(
        next_start_date=listed[0]["start_date"],
        price=best[0],
        currency=best[1],
        funding=sorted({c for r in listed for c in r["funding"] or []}),
        distance_km=min(distances) if distances else None,
        run_count=len(listed),
        runs=listed[:MAX_RUNS_PER_ITEM],
    )
    return item


def run_search(
    conn: sqlite3.Connection,
    f: OfferFilters,
    *,
    limit: int,
    cursor: str | None,
    facets: bool,
    generation: int,
    cache: dict[Any, dict[str, Any]] | None = None,
    pinned: dict[Any, dict[str, Any]] | None = None,
    ranked: dict[Any, list[tuple[Any, ...]]] | None = None,
    arrays: RunArrays | None = None,
    text_hits: Callable[[str], TextHits] | None = None,
) -> OfferPage:
    """One page of offers (and, when asked, the facet counts) for the filters ``f``; facet
    counts are kept in ``cache`` by (generation, filters), so paging counts once; those of the
    unfiltered catalogue and of a single facet filter in ``pinned`` for the whole generation
    (the long tail of other filter sets cannot push them out of ``cache``). With ``arrays``
    (the runs' columns of this generation) and ``text_hits`` (the runs a match expression
    finds, with their scores) facets and relevance order are computed in memory."""
    match = fts_query(conn, f.q) if f.q else None
    if f.q and match is None:  # only syntax characters or nothing searchable: nothing found
        return OfferPage(
            items=[],
            next_cursor=None,
            generation=generation,
            extra={"facets": _empty_facets(), "total": 0} if facets else {},
        )
    columns = _Columns(arrays, f, text_hits) if arrays is not None and text_hits else None
    if match is not None:
        if columns is not None:
            found = bool(columns.mask(match).any())
        else:
            where, args = _where(conn, f, match)
            found = _exists(conn, where, args)
        if not found:
            match = fts_query(conn, f.q or "", any_term=True)
    scores: dict[str, float] = {}
    ids: dict[str, list[int]] | None = None
    if match is not None:
        offers, scores, ids, next_cursor = _rank_page(
            conn, f, match, limit, cursor, generation, ranked, columns
        )
    else:
        offers, next_cursor = _date_page(conn, f, limit, cursor)
    runs = _matching_runs(conn, f, offers, ids)
    items = []
    for offer in offers:
        if not runs[offer]:
            continue
        item = offer_item(runs[offer])
        item["score"] = round(scores[offer], 4) if offer in scores else None
        items.append(item)
    if columns is not None and f.today is not None:
        ended = columns.arrays.ended([i["iri"] for i in items], f.today.isoformat())
        for item in items:
            item["stale"] = ended[item["iri"]]
    else:
        _mark_stale(conn, items, f)
    extra: dict[str, Any] = {}
    if facets:
        keep = cache
        if pinned is not None and match is None and is_base(f):
            stale = [k for k in list(pinned) if k[0] != generation]
            for key in stale:  # answers of an older generation are never asked again
                pinned.pop(key, None)
            if len(pinned) < _PINNED_SIZE:  # values are user text: bounded all the same
                keep = pinned
        extra = _facets(
            conn, f, match, generation, keep, _CACHE_SIZE if keep is cache else 0, columns
        )
    return OfferPage(items=items, next_cursor=next_cursor, generation=generation, extra=extra)


def _facets(
    conn: sqlite3.Connection,
    f: OfferFilters,
    match: str | None,
    generation: int,
    cache: dict[Any, dict[str, Any]] | None,
    bound: int = _CACHE_SIZE,
    columns: _Columns | None = None,
) -> dict[str, Any]:
    """Facet counts and ``total``, in distinct offers, of the runs the filters select; kept
    in ``cache``, whose oldest answer goes first when it holds ``bound`` (0: no bound)."""
    cache_key = (generation, f.key(), match)
    if cache is not None and cache_key in cache:
        return dict(cache[cache_key])
    extra: dict[str, Any]
    if columns is not None:
        counts, total = columns.arrays.facets(columns.mask(match))
        extra = {"facets": counts, "total": total}
    else:
        where, args = _where(conn, f, match)
        source = "run_fts JOIN runs ON runs.id = run_fts.rowid" if match is not None else "runs"
        fill_hits(conn, f"FROM {source}" + (" WHERE " + " AND ".join(where) if where else ""), args)
        extra = {"facets": facet_counts(conn)}
        extra["total"] = int(conn.execute(TOTAL).fetchone()[0])
    if cache is not None:
        if bound and len(cache) >= bound:
            cache.pop(next(iter(cache)), None)
        cache[cache_key] = dict(extra)
    return extra


def is_base(f: OfferFilters) -> bool:
    """No filter, or a single facet filter (besides today and ``include_past``)."""
    set_filters = [
        k
        for k, v in vars(f).items()
        if v is not None and v is not False and k not in _CONTEXT_FILTERS
    ]
    return len(set_filters) <= 1 and all(k in _BASE_FILTERS for k in set_filters)


def _exists(conn: sqlite3.Connection, where: list[str], args: list[Any]) -> bool:
    sql = "SELECT 1 FROM run_fts JOIN runs ON runs.id = run_fts.rowid"
    if where:
        sql += " WHERE " + " AND ".join(where)
    return conn.execute(sql + " LIMIT 1", args).fetchone() is not None


def _empty_facets() -> dict[str, list[tuple[str, str | None, int]]]:
    from .search import FACETS

    return {name: [] for name in FACETS}


def _mark_stale(conn: sqlite3.Connection, items: list[dict[str, Any]], f: OfferFilters) -> None:
    """``stale``: every run of the item's offer has ended (by the filters' today)."""
    offers = sorted({i["iri"] for i in items})
    last: dict[str, str] = {}
    if offers and f.today is not None:
        marks = ",".join("?" * len(offers))
        for iri, day in conn.execute(
            f"SELECT offer_iri, max(coalesce({_last_day('runs')}, '9999-12-31')) FROM runs "
            f"WHERE offer_iri IN ({marks}) GROUP BY offer_iri",
            offers,
        ):
            last[iri] = day
    today = f.today.isoformat() if f.today is not None else None
    for item in items:
        item["stale"] = bool(today and item["iri"] in last and last[item["iri"]] < today)
