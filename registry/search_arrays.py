"""The filter columns of every course run in memory, so facets and ranking cost a millisecond.

Why: SQLite answers one page of a search from its indexes, but facet counts need *every*
matching run (copied into a temporary table, then grouped seven times) and relevance order
needs every matching run scored and grouped by offer — 10–60 ms per new question at 100k
offers, most of a ``GET /offers``. The same work over columns of integers in numpy is a few
vector operations: a filter is a comparison over one column, a facet one ``bincount`` over
the matching runs.

:class:`RunArrays` holds the columns of one index generation (read in one transaction, so
they are one state of the index). :func:`select` turns :class:`OfferFilters` (and the
full-text hits of the query, :class:`TextHits`, which SQLite's FTS5 still finds and scores)
into a boolean mask over the runs with exactly the meaning of the SQL conditions of
:func:`registry.search_query._where`; :meth:`RunArrays.facets` and :meth:`RunArrays.ranked`
answer as :func:`registry.search.facet_counts` and the ranked SQL query would (the tests
compare both on every filter). The date-ordered page, the run summaries and the stale marks
stay in SQLite: they are indexed lookups of a page's worth of rows.

Semantics kept from SQL: a NULL column never satisfies a comparison; ``language`` matches the
tag or a subtag of it (``LIKE 'de-%'`` is ASCII-case-insensitive); texts compare by code point
(SQLite's BINARY collation of UTF-8 orders as code points do).
"""

from __future__ import annotations

import math
import sqlite3
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import numpy as np
import numpy.typing as npt

from .search_filters import OfferFilters

__all__ = ["RunArrays", "TextHits", "select"]

_EARTH_KM = 6371.0

Mask = npt.NDArray[np.bool_]
Ints = npt.NDArray[np.int64]

#: facet name → the columns of ``runs`` giving its (value, second) pair
_SINGLE_FACETS: dict[str, tuple[str, str]] = {
    "kreis": ("kreis_ags", "kreis"),
    "mode": ("mode", "mode_iri"),
    "provider": ("provider", "provider_name"),
    "language": ("language", "language"),
    "eqf": ("eqf", "eqf"),
}
#: columns a filter compares for equality (filter field → column)
_EQUALITY = {
    "kreis": "kreis_ags",
    "kreis_iri": "kreis",
    "mode": "mode",
    "rollup": "mode_rollup",
    "provider": "provider",
    "eqf": "eqf",
}
#: text columns held as codes (filters compare them, facets count them)
_TEXT_COLUMNS = (
    "kreis_ags",
    "kreis",
    "mode",
    "mode_iri",
    "mode_rollup",
    "provider",
    "provider_name",
    "eqf",
    "language",
)
_COLUMNS = (
    "id",
    "offer_iri",
    *_TEXT_COLUMNS,
    "start_date",
    "end_date",
    "sort_key",
    "price",
    "lat",
    "lon",
)


class _Codes:
    """A text column as integer codes (-1: NULL) and the distinct values."""

    def __init__(self, values: list[Any]) -> None:
        index: dict[Any, int] = {}
        codes = np.fromiter(
            (-1 if v is None else index.setdefault(v, len(index)) for v in values),
            dtype=np.int32,
            count=len(values),
        )
        self.codes = codes
        self.values = list(index)
        self.index = index

    def equal(self, value: Any) -> Mask:
        code = self.index.get(value)
        if code is None:
            return np.zeros(len(self.codes), dtype=bool)
        mask: Mask = self.codes == code
        return mask


class _Pairs:
    """A many-valued property (funding codes, topics): (run position, value code) pairs."""

    def __init__(self, positions: Ints, values: list[tuple[Any, Any]]) -> None:
        index: dict[tuple[Any, Any], int] = {}
        self.positions = positions
        self.codes = np.fromiter(
            (index.setdefault(v, len(index)) for v in values), dtype=np.int32, count=len(values)
        )
        self.values = list(index)
        self._by_first: dict[Any, list[int]] = {}
        for code, (first, _) in enumerate(self.values):
            self._by_first.setdefault(first, []).append(code)
        self._runs_with: dict[Any, Mask] = {}

    def runs_with(self, first: Any, n: int) -> Mask:
        """Runs having a pair whose first element is ``first`` (kept: few distinct asked)."""
        mask = self._runs_with.get(first)
        if mask is None:
            mask = np.zeros(n, dtype=bool)
            codes = self._by_first.get(first, [])
            if codes:
                mask[self.positions[np.isin(self.codes, codes)]] = True
            if len(self._runs_with) < 4096:
                self._runs_with[first] = mask
        return mask


@dataclass
class TextHits:
    """The runs an FTS5 match expression finds (positions into the arrays) and their BM25
    scores (lower is better, as ``bm25()`` gives them)."""

    positions: Ints
    scores: npt.NDArray[np.float64]


class RunArrays:
    """The columns of every run of one index generation."""

    def __init__(self, conn: sqlite3.Connection, generation: int) -> None:
        """Read the runs through ``conn`` (the caller holds one read transaction)."""
        self.generation = generation
        rows = conn.execute(f"SELECT {', '.join(_COLUMNS)} FROM runs ORDER BY id").fetchall()
        columns = list(zip(*rows, strict=True)) if rows else [() for _ in _COLUMNS]
        col = dict(zip(_COLUMNS, columns, strict=True))
        self.n = len(rows)
        self.ids: Ints = np.asarray(col["id"], dtype=np.int64)
        self.text = {name: _Codes(list(col[name])) for name in _TEXT_COLUMNS}
        offers = _Codes(list(col["offer_iri"]))
        # offers numbered in IRI order: the number orders as the IRI does
        order = sorted(range(len(offers.values)), key=offers.values.__getitem__)
        rank = np.empty(len(order), dtype=np.int64)
        rank[order] = np.arange(len(order))
        self.offer: Ints = rank[offers.codes] if self.n else np.zeros(0, dtype=np.int64)
        self.offer_iris = [offers.values[i] for i in order]
        # dates as ranks among every date text of the table: comparisons of integers with
        # the order of the texts (a bound is placed among them by binary search)
        self.days: list[str] = sorted(
            {
                v
                for name in ("start_date", "end_date", "sort_key")
                for v in col[name]
                if v is not None
            }
        )
        self.start = self._ranks(col["start_date"])
        self.end = self._ranks(col["end_date"])
        self.sort_key = self._ranks(col["sort_key"])
        self.last = np.where(self.end >= 0, self.end, self.start)
        self._current: tuple[str, Mask] | None = None
        # per offer the last day of its last run (a run without dates never ends)
        never = len(self.days) + 1
        self.offer_last = np.full(len(self.offer_iris), -1, dtype=np.int64)
        np.maximum.at(self.offer_last, self.offer, np.where(self.last >= 0, self.last, never))
        self.offer_number = {iri: i for i, iri in enumerate(self.offer_iris)}
        self.price = _floats(col["price"])
        self.lat = _floats(col["lat"])
        self.lon = _floats(col["lon"])
        self.singles: dict[str, _Codes] = {
            name: _Codes(
                [
                    None if a is None else (a, b)
                    for a, b in zip(col[first], col[second], strict=True)
                ]
            )
            for name, (first, second) in _SINGLE_FACETS.items()
            if name != "provider"
        }
        self.singles["provider"] = self.text["provider"]
        self._provider_names: dict[str, Any] = {}
        for provider, name in zip(col["provider"], col["provider_name"], strict=True):
            if provider is not None:
                self._provider_names.setdefault(provider, name)
        funding = conn.execute("SELECT run, code, iri FROM run_funding ORDER BY run").fetchall()
        topics = conn.execute("SELECT run, topic FROM run_topic ORDER BY run").fetchall()
        self.funding = _Pairs(
            self.positions_of([r[0] for r in funding]), [(r[1], r[2]) for r in funding]
        )
        self.topics = _Pairs(
            self.positions_of([r[0] for r in topics]), [(r[1], None) for r in topics]
        )

    def _ranks(self, values: tuple[Any, ...]) -> Ints:
        """A date column as ranks into :attr:`days` (-1: NULL)."""
        rank = {day: i for i, day in enumerate(self.days)}
        return np.fromiter(
            (-1 if v is None else rank[v] for v in values), dtype=np.int64, count=len(values)
        )

    def at_least(self, column: Ints, day: str) -> Mask:
        """Runs whose date in ``column`` is present and ≥ ``day`` (as texts compare)."""
        result: Mask = column >= bisect_left(self.days, day)
        return result

    def at_most(self, column: Ints, day: str) -> Mask:
        """Runs whose date in ``column`` is present and ≤ ``day``."""
        result: Mask = (column >= 0) & (column < bisect_right(self.days, day))
        return result

    def current(self, today: str) -> Mask:
        """Runs that have not ended by ``today`` (or have no date): kept for the last day."""
        kept = self._current
        if kept is None or kept[0] != today:
            kept = (today, (self.last < 0) | self.at_least(self.last, today))
            self._current = kept
        return kept[1]

    # -- lookups ------------------------------------------------------------------------------
    def positions_of(self, run_ids: list[int] | Ints) -> Ints:
        """Positions of run ids that exist (others are dropped)."""
        ids = np.asarray(run_ids, dtype=np.int64)
        if not len(ids) or not self.n:
            return np.zeros(0, dtype=np.int64)
        pos = np.searchsorted(self.ids, ids)
        pos = np.minimum(pos, self.n - 1)
        found: Ints = pos[self.ids[pos] == ids]
        return found

    def text_hits(self, conn: sqlite3.Connection, match: str, bm25: str) -> TextHits:
        rows = conn.execute(
            f"SELECT rowid, {bm25} FROM run_fts WHERE run_fts MATCH ? ORDER BY rowid", (match,)
        ).fetchall()
        ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        scores = np.fromiter((r[1] for r in rows), dtype=np.float64, count=len(rows))
        if not self.n:
            return TextHits(np.zeros(0, dtype=np.int64), np.zeros(0))
        pos = np.minimum(np.searchsorted(self.ids, ids), self.n - 1)
        known = self.ids[pos] == ids
        return TextHits(pos[known], scores[known])

    def language_codes(self, tag: str) -> list[int]:
        prefix = tag.lower() + "-"
        return [
            code
            for code, value in enumerate(self.text["language"].values)
            if value == tag or _ascii_lower(str(value)).startswith(prefix)
        ]

    # -- answers ------------------------------------------------------------------------------
    def ended(self, iris: list[str], today: str) -> dict[str, bool]:
        """Whether every run of each offer has ended by ``today`` (unknown offers: False)."""
        bound = bisect_left(self.days, today)
        out = {}
        for iri in iris:
            number = self.offer_number.get(iri)
            out[iri] = number is not None and 0 <= int(self.offer_last[number]) < bound
        return out

    def facets(self, mask: Mask) -> tuple[dict[str, list[tuple[str, Any, int]]], int]:
        """(value, IRI or name, count of distinct offers) per facet, most frequent first, and
        the number of distinct offers of the runs in ``mask``."""
        hits = np.flatnonzero(mask)
        offers = self.offer[hits]
        seen = np.zeros(len(self.offer_iris), dtype=bool)
        seen[offers] = True
        distinct = int(np.count_nonzero(seen))
        once = distinct == len(offers)  # no offer has two matching runs
        out: dict[str, list[tuple[str, Any, int]]] = {}
        for name in ("kreis", "mode", "funding", "topic", "provider", "language", "eqf"):
            if name in ("funding", "topic"):
                pairs = self.funding if name == "funding" else self.topics
                chosen = mask[pairs.positions]
                codes = pairs.codes[chosen].astype(np.int64)
                owners = self.offer[pairs.positions[chosen]]
                values: list[Any] = pairs.values
                counted = _count(codes, owners, len(values), once)
                if name == "topic":
                    rows = [
                        (str(values[c][0]), values[c][0], int(k))
                        for c, k in counted
                        if not str(values[c][0]).lower().startswith("slug:")
                    ]
                else:
                    rows = [(str(values[c][0]), values[c][1], int(k)) for c, k in counted]
            else:
                column = self.singles[name]
                codes = column.codes[hits].astype(np.int64)
                keep = codes >= 0
                counted = _count(codes[keep], offers[keep], len(column.values), once)
                if name == "provider":
                    rows = [
                        (str(column.values[c]), self._provider_names.get(column.values[c]), int(k))
                        for c, k in counted
                    ]
                else:
                    rows = [
                        (str(column.values[c][0]), column.values[c][1], int(k)) for c, k in counted
                    ]
            rows.sort(key=lambda r: (-r[2], r[0]))
            out[name] = rows
        return out, distinct

    def ranked(self, mask: Mask, hits: TextHits, limit: int, offset: int) -> list[tuple[Any, ...]]:
        """Rows (offer IRI, best BM25, first start key, run ids joined by commas) of the
        offers with a run in ``mask``, ordered by (best score, first sort key, IRI), as the
        ranked SQL query of :func:`registry.search_query._rank_page` gives them."""
        chosen = mask[hits.positions]
        pos = hits.positions[chosen]
        if not len(pos):
            return []
        scores = hits.scores[chosen]
        offers = self.offer[pos]
        by_offer = np.lexsort((pos, offers))
        pos, scores, offers = pos[by_offer], scores[by_offer], offers[by_offer]
        starts = np.flatnonzero(np.r_[True, offers[1:] != offers[:-1]])
        best = np.minimum.reduceat(scores, starts)
        first = np.minimum.reduceat(self.sort_key[pos], starts)
        group_offer = offers[starts]
        order = np.lexsort((group_offer, first, best))[offset : offset + limit]
        ends = np.r_[starts[1:], len(pos)]
        run_ids = self.ids[pos].tolist()
        iris, days = self.offer_iris, self.days
        return [
            (
                iris[o],
                b,
                days[k],
                ",".join(map(str, run_ids[a:z])),
            )
            for o, b, k, a, z in zip(
                group_offer[order].tolist(),
                best[order].tolist(),
                first[order].tolist(),
                starts[order].tolist(),
                ends[order].tolist(),
                strict=True,
            )
        ]


def select(arrays: RunArrays, f: OfferFilters, hits: TextHits | None) -> Mask:
    """The runs meeting ``f`` (and found by the text, when ``hits``): the mask over
    ``arrays`` with the meaning of :func:`registry.search_query._where`."""
    n = arrays.n
    if hits is not None:
        mask = np.zeros(n, dtype=bool)
        mask[hits.positions] = True
    else:
        mask = np.ones(n, dtype=bool)
    for field, column in _EQUALITY.items():
        value = getattr(f, field)
        if value:
            mask &= arrays.text[column].equal(value)
    if f.funding:
        mask &= arrays.funding.runs_with(f.funding, n)
    if f.topic or f.topic_slug:
        mask &= arrays.topics.runs_with(f.topic or "slug:" + (f.topic_slug or ""), n)
    if f.start_from:
        day = f.start_from.isoformat()
        mask &= arrays.at_least(arrays.start, day) & arrays.at_least(arrays.sort_key, day)
    if f.start_to:
        day = f.start_to.isoformat()
        mask &= arrays.at_most(arrays.start, day) & arrays.at_most(arrays.sort_key, day)
    if f.max_price is not None:
        with np.errstate(invalid="ignore"):
            mask &= arrays.price <= f.max_price  # NaN (no price) compares false
    if f.language:
        mask &= np.isin(arrays.text["language"].codes, arrays.language_codes(f.language))
    if f.today is not None and not f.include_past:
        mask &= arrays.current(f.today.isoformat())
    if f.starting_within is not None and f.today is not None:
        low = f.today.isoformat()
        high = (f.today + timedelta(days=f.starting_within)).isoformat()
        mask &= arrays.at_least(arrays.start, low) & arrays.at_most(arrays.start, high)
    if f.near_lat is not None and f.near_lon is not None and f.radius_km is not None:
        mask &= _within(arrays, mask, f.near_lat, f.near_lon, f.radius_km)
    return mask


# -- helpers ----------------------------------------------------------------------------------
def _floats(values: tuple[Any, ...]) -> npt.NDArray[np.float64]:
    return np.fromiter(
        (math.nan if v is None else float(v) for v in values), dtype=np.float64, count=len(values)
    )


def _within(arrays: RunArrays, mask: Mask, lat: float, lon: float, radius: float) -> Mask:
    """Runs of ``mask`` within ``radius`` km of (lat, lon), by the haversine of
    :func:`registry.geo.distance_km` (a box first, as the SQL does)."""
    dlat = radius / 110.5
    dlon = radius / (111.3 * max(0.05, math.cos(math.radians(lat))))
    with np.errstate(invalid="ignore"):
        box = (
            mask
            & (arrays.lat >= lat - dlat)
            & (arrays.lat <= lat + dlat)
            & (arrays.lon >= lon - dlon)
            & (arrays.lon <= lon + dlon)
        )
    pos = np.flatnonzero(box)
    p1 = np.radians(arrays.lat[pos])
    p2 = math.radians(lat)
    dp = p2 - p1
    dl = np.radians(lon - arrays.lon[pos])
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * math.cos(p2) * np.sin(dl / 2) ** 2
    dist = 2 * _EARTH_KM * np.arcsin(np.minimum(1.0, np.sqrt(a)))
    out = np.zeros(arrays.n, dtype=bool)
    out[pos[dist <= radius]] = True
    return out


def _count(codes: Ints, owners: Ints, size: int, once: bool) -> list[tuple[int, int]]:
    """(code, number of distinct owners) of every code present."""
    if not len(codes):
        return []
    if once:  # every owner has one run among the hits, and a run no value twice
        counts = np.bincount(codes, minlength=size)
    else:
        pairs = np.unique(owners * size + codes)
        counts = np.bincount(pairs % size, minlength=size)
    present = np.flatnonzero(counts)
    return list(zip(present.tolist(), counts[present].tolist(), strict=True))


def _ascii_lower(text: str) -> str:
    return "".join(c.lower() if c.isascii() else c for c in text)
