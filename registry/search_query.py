"""One ``GET /offers`` question to the side table: filters, full text, distance, facets, paging.

Why apart from :mod:`registry.offer_index`: that module owns the tables and how they are
written; this one composes the read: the WHERE clause of the filters (shared by the page and
the facet counts), BM25 ranking when there is a query text, the distance to ``near``, the
lifecycle (ended runs hidden unless ``include_past``; ``stale`` offers), and the two cursor
kinds — keyset (start date, offer, run) in date order, an offset in relevance order.
"""

from __future__ import annotations

import json
import math
import sqlite3
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from .errors import InvalidParameter
from .search import bm25_expression, facet_counts, fill_hits, fts_query

if TYPE_CHECKING:
    from .offer_index import OfferFilters, OfferPage

__all__ = ["run_search"]

_RANK_MARK = "@rank"
#: facet answers kept per index (the next pages of a query, the portal's start page)
_CACHE_SIZE = 256
_LAST_DAY = "coalesce(runs.end_date, runs.start_date)"


def _where(
    conn: sqlite3.Connection, f: OfferFilters, match: str | None
) -> tuple[list[str], list[Any]]:
    where: list[str] = []
    args: list[Any] = []
    if match is not None:
        where.append("run_fts MATCH ?")
        args.append(match)
    for column, value in (
        ("runs.kreis_ags", f.kreis),
        ("runs.kreis", f.kreis_iri),
        ("runs.mode", f.mode),
        ("runs.mode_rollup", f.rollup),
        ("runs.provider", f.provider),
        ("runs.eqf", f.eqf),
    ):
        if value:
            where.append(f"{column} = ?")
            args.append(value)
    if f.funding:
        where.append("EXISTS (SELECT 1 FROM run_funding WHERE code = ? AND run = runs.id)")
        args.append(f.funding)
    if f.topic or f.topic_slug:
        where.append("EXISTS (SELECT 1 FROM run_topic WHERE topic = ? AND run = runs.id)")
        args.append(f.topic or "slug:" + (f.topic_slug or ""))
    if f.start_from:
        where.append("runs.start_date >= ?")
        args.append(f.start_from.isoformat())
    if f.start_to:
        where.append("runs.start_date <= ?")
        args.append(f.start_to.isoformat())
    if f.max_price is not None:
        where.append("runs.price <= ?")
        args.append(f.max_price)
    if f.language:
        where.append("(runs.language = ? OR runs.language LIKE ?)")
        args.extend([f.language, f.language + "-%"])
    if f.today is not None and not f.include_past:
        where.append(f"({_LAST_DAY} IS NULL OR {_LAST_DAY} >= ?)")
        args.append(f.today.isoformat())
    if f.starting_within is not None and f.today is not None:
        where.append("runs.start_date BETWEEN ? AND ?")
        args.extend(
            [f.today.isoformat(), (f.today + timedelta(days=f.starting_within)).isoformat()]
        )
    if f.near_lat is not None and f.near_lon is not None and f.radius_km is not None:
        dlat = f.radius_km / 110.5
        dlon = f.radius_km / (111.3 * max(0.05, math.cos(math.radians(f.near_lat))))
        where.append(
            "runs.lat BETWEEN ? AND ? AND runs.lon BETWEEN ? AND ? "
            "AND dist_km(runs.lat, runs.lon, ?, ?) <= ?"
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


def _decode_offset(key: tuple[str, str, str], filters_key: str) -> int:
    if key[0] != _RANK_MARK or key[2] != filters_key or not key[1].isdigit():
        raise InvalidParameter("cursor does not belong to this query", parameter="cursor")
    return int(key[1])


def run_search(
    conn: sqlite3.Connection,
    f: OfferFilters,
    *,
    limit: int,
    cursor: str | None,
    facets: bool,
    generation: int,
    cache: dict[Any, dict[str, Any]] | None = None,
) -> OfferPage:
    """One page (and, when asked, the facet counts) for the filters ``f``; facet counts are
    kept in ``cache`` by (generation, filters), so paging and repeated questions count once."""
    from .offer_index import OfferPage, decode_cursor, encode_cursor

    match = fts_query(conn, f.q) if f.q else None
    if f.q and match is None:  # only syntax characters or nothing searchable: nothing found
        return OfferPage(
            items=[],
            next_cursor=None,
            generation=generation,
            extra={"facets": _empty_facets(), "total": 0} if facets else {},
        )
    if match is not None:
        where, args = _where(conn, f, match)
        if not _exists(conn, where, args):
            match = fts_query(conn, f.q or "", any_term=True)
    where, args = _where(conn, f, match)
    source = "run_fts JOIN runs ON runs.id = run_fts.rowid" if match is not None else "runs"
    distance = "dist_km(runs.lat, runs.lon, ?, ?)" if f.near_lat is not None else "NULL"
    dist_args = [f.near_lat, f.near_lon] if f.near_lat is not None else []
    score = bm25_expression() if match is not None else "NULL"
    sql = (
        f"SELECT runs.sort_key, runs.offer_iri, runs.run_iri, s.summary, {score}, {distance} "
        f"FROM {source} JOIN run_summary s ON s.id = runs.id"
    )
    page_where, page_args = list(where), list(args)
    offset = 0
    if match is not None:
        if cursor:
            offset = _decode_offset(decode_cursor(cursor), f.key())
        order = f" ORDER BY {score}, runs.sort_key, runs.offer_iri, runs.run_iri LIMIT ? OFFSET ?"
        tail_args: list[Any] = [limit + 1, offset]
    else:
        if cursor:
            key = decode_cursor(cursor)
            if key[0] == _RANK_MARK:
                raise InvalidParameter("cursor does not belong to this query", parameter="cursor")
            page_where.append("(runs.sort_key, runs.offer_iri, runs.run_iri) > (?, ?, ?)")
            page_args.extend(key)
        order = " ORDER BY runs.sort_key, runs.offer_iri, runs.run_iri LIMIT ?"
        tail_args = [limit + 1]
    if page_where:
        sql += " WHERE " + " AND ".join(page_where)
    fetched = conn.execute(sql + order, dist_args + page_args + tail_args).fetchall()
    page = fetched[:limit]
    next_cursor = None
    if len(fetched) > limit and page:
        if match is not None:
            next_cursor = encode_cursor((_RANK_MARK, str(offset + limit), f.key()))
        else:
            next_cursor = encode_cursor((page[-1][0], page[-1][1], page[-1][2]))
    items = []
    for row in page:
        item = json.loads(row[3])
        item["score"] = round(-row[4], 4) if row[4] is not None else None
        item["distance_km"] = round(row[5], 1) if row[5] is not None else None
        items.append(item)
    _mark_stale(conn, items, f)
    extra: dict[str, Any] = {}
    if facets:
        cache_key = (generation, f.key(), match)
        if cache is not None and cache_key in cache:
            extra.update(cache[cache_key])
        else:
            ids = f"SELECT runs.id FROM {source}" + (
                " WHERE " + " AND ".join(where) if where else ""
            )
            fill_hits(conn, ids, args)
            extra["facets"] = facet_counts(conn)
            extra["total"] = int(conn.execute("SELECT count(*) FROM temp.hits").fetchone()[0])
            if cache is not None:
                if len(cache) >= _CACHE_SIZE:
                    cache.pop(next(iter(cache)))
                cache[cache_key] = dict(extra)
    return OfferPage(items=items, next_cursor=next_cursor, generation=generation, extra=extra)


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
            f"SELECT offer_iri, max(coalesce({_LAST_DAY}, '9999-12-31')) FROM runs "
            f"WHERE offer_iri IN ({marks}) GROUP BY offer_iri",
            offers,
        ):
            last[iri] = day
    today = f.today.isoformat() if f.today is not None else None
    for item in items:
        item["stale"] = bool(today and item["iri"] in last and last[item["iri"]] < today)
