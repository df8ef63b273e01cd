"""A SQLite side table of course runs, so ``GET /offers`` is one indexed query.

Why a side table: filtering and paging 100k offers by Kreis, mode, funding, dates and price in
SPARQL means a scan and a sort per request (hundreds of milliseconds in Oxigraph); the same
question to an indexed SQLite table takes a millisecond or two. The store stays the truth: the
index holds one row per course run (offer IRI, run IRI, the filterable fields and a JSON summary
of the offer) and is rebuilt *per source* after each swap of that source's graph — delete the
source's rows, insert the new ones, in one SQLite transaction — and can be rebuilt whole from the
store at any time (``OfferIndex.rebuild_all``). Each row also carries its offer's integer key
(table ``offers``, IRI → key, kept while any source lists the offer): facets and totals count
distinct offers, and counting integers costs about half of counting IRIs.

The database lives beside the store (``STORE/offers.sqlite``) in WAL mode: one writer (the
process that owns the store) and any number of concurrent readers that never block it.

A search answers per *offer* (:mod:`registry.search_query`): an offer is a hit when one of its
runs matches. Paging is keyset-based in date order: offers are ordered by (start date of their
first matching run, offer IRI); runs without a start date (flexible start) sort last. The cursor
is the last offer's key, base64url-encoded JSON, so a page sequence is stable as long as the
data does not change.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from .errors import InvalidParameter
from .geo import Gazetteer, distance_km, gazetteer_for
from .namespaces import REGION, SCHEME_DELIVERY, SCHEME_FUNDING, SOURCE
from .offer_rows import (
    MODE_CODE,
    ROLLUPS,
    Queryable,
    Term,
    extract_runs,
    last_segment,
    rollup_of,
)
from .search import FTS_SCHEMA, MAX_QUERY_CHARS, delete_rows, index_row
from .search_query import run_search

__all__ = [
    "DEFAULT_RADIUS_KM",
    "GENERATION_TTL_S",
    "RADIUS_RANGE",
    "ROLLUPS",
    "SCHEMA_VERSION",
    "OfferFilters",
    "OfferIndex",
    "OfferPage",
    "Queryable",
    "Term",
    "decode_cursor",
    "encode_cursor",
    "extract_runs",
    "rollup_of",
]

_AGS = re.compile(r"^[0-9]{5}([0-9]{3})?$")

_SCHEMA = (
    """
CREATE TABLE IF NOT EXISTS offers (id INTEGER PRIMARY KEY, iri TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY,
    offer INTEGER NOT NULL,
    offer_iri TEXT NOT NULL,
    run_iri TEXT NOT NULL,
    source TEXT NOT NULL,
    provider TEXT,
    start_date TEXT,
    end_date TEXT,
    sort_key TEXT NOT NULL,
    kreis TEXT,
    kreis_ags TEXT,
    mode TEXT,
    mode_rollup TEXT,
    price REAL,
    language TEXT,
    lat REAL,
    lon REAL,
    provider_name TEXT,
    mode_iri TEXT,
    eqf TEXT,
    UNIQUE (offer_iri, run_iri)
);
CREATE TABLE IF NOT EXISTS run_summary (id INTEGER PRIMARY KEY, summary TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS run_text (id INTEGER PRIMARY KEY, search TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS runs_order ON runs (sort_key, offer_iri, run_iri);
CREATE INDEX IF NOT EXISTS runs_source ON runs (source);
CREATE INDEX IF NOT EXISTS runs_kreis ON runs (kreis, sort_key);
CREATE INDEX IF NOT EXISTS runs_mode ON runs (mode, sort_key);
CREATE INDEX IF NOT EXISTS runs_rollup ON runs (mode_rollup, sort_key);
CREATE INDEX IF NOT EXISTS runs_provider ON runs (provider, sort_key);
CREATE INDEX IF NOT EXISTS runs_offer ON runs (offer, sort_key, run_iri);
CREATE TABLE IF NOT EXISTS run_funding (
    code TEXT NOT NULL, run INTEGER NOT NULL, iri TEXT, PRIMARY KEY (code, run)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS run_topic (
    topic TEXT NOT NULL, run INTEGER NOT NULL, PRIMARY KEY (topic, run)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""
    + FTS_SCHEMA
)
#: seconds a read of the index generation is trusted (see :attr:`OfferIndex.generation`)
GENERATION_TTL_S = 0.25
#: bumped when the tables change: an index of another version is dropped and rebuilt
SCHEMA_VERSION = "5"
_TABLES = (
    "offers",
    "runs",
    "run_summary",
    "run_text",
    "run_funding",
    "run_topic",
    "meta",
    "run_fts",
)


# -- filters and cursors ---------------------------------------------------------------------
@dataclass(frozen=True)
class OfferFilters:
    """Validated filters of ``GET /offers``; :meth:`parse` raises 422 naming the parameter."""

    q: str | None = None
    kreis: str | None = None  # AGS
    kreis_iri: str | None = None
    mode: str | None = None  # a code such as "202"
    rollup: str | None = None  # praesenz | digital | kombiniert
    eqf: str | None = None  # "1" … "8"
    near_lat: float | None = None
    near_lon: float | None = None
    radius_km: float | None = None
    include_past: bool = False
    starting_within: int | None = None  # days
    today: date | None = None
    funding: str | None = None  # Förderart notation
    topic: str | None = None  # topic IRI
    topic_slug: str | None = None
    provider: str | None = None  # partner id
    start_from: date | None = None
    start_to: date | None = None
    max_price: float | None = None
    language: str | None = None

    @classmethod
    def parse(
        cls,
        *,
        q: str | None = None,
        kreis: str | None = None,
        mode: str | None = None,
        funding: str | None = None,
        topic: str | None = None,
        provider: str | None = None,
        start_from: date | None = None,
        start_to: date | None = None,
        max_price: float | None = None,
        language: str | None = None,
        eqf: str | None = None,
        near: str | None = None,
        radius_km: float | None = None,
        include_past: bool = False,
        starting_within: int | None = None,
        today: date | None = None,
        gazetteer: Gazetteer | None = None,
    ) -> OfferFilters:
        values: dict[str, Any] = {"include_past": include_past, "today": today}
        if q is not None and q.strip():
            if len(q) > MAX_QUERY_CHARS:
                raise InvalidParameter(
                    f"q is longer than {MAX_QUERY_CHARS} characters",
                    parameter="q",
                    value=q[:40] + "…",
                )
            values["q"] = q.strip().casefold()
        values.update(_parse_extra(eqf, near, radius_km, starting_within, gazetteer))
        if kreis:
            if kreis.startswith(REGION) and "/kreis/" in kreis:
                values["kreis_iri"] = kreis
            elif _AGS.match(kreis):
                values["kreis"] = kreis
            else:
                raise InvalidParameter(
                    "kreis must be an AGS (5 digits, e.g. 05766) or a Kreis IRI",
                    parameter="kreis",
                    value=kreis,
                )
        if mode:
            code = last_segment(mode) if mode.startswith(SCHEME_DELIVERY + "/") else mode
            code = code.casefold()
            if code in ROLLUPS:
                values["rollup"] = code
            elif MODE_CODE.match(code):
                values["mode"] = code
            else:
                raise InvalidParameter(
                    "mode must be a delivery-mode code (e.g. 202) or one of " + ", ".join(ROLLUPS),
                    parameter="mode",
                    value=mode,
                )
        if funding:
            code = last_segment(funding) if funding.startswith(SCHEME_FUNDING + "/") else funding
            if not re.match(r"^[a-z0-9][a-z0-9-]{0,62}$", code):
                raise InvalidParameter(
                    "funding must be a Förderart code (e.g. 2) or its IRI",
                    parameter="funding",
                    value=funding,
                )
            values["funding"] = code
        if topic:
            if topic.startswith(("https://", "http://")):
                values["topic"] = topic
            elif re.match(r"^[a-z0-9][a-z0-9-]{0,99}$", topic):
                values["topic_slug"] = topic
            else:
                raise InvalidParameter(
                    "topic must be a topic slug (e.g. industrie-4-0) or a topic IRI",
                    parameter="topic",
                    value=topic,
                )
        if provider:
            if not re.match(r"^[a-z0-9][a-z0-9-]{0,62}$", provider):
                raise InvalidParameter(
                    "provider must be a partner id", parameter="provider", value=provider
                )
            values["provider"] = provider
        if start_from and start_to and start_to < start_from:
            raise InvalidParameter(
                "start_to lies before start_from", parameter="start_to", value=str(start_to)
            )
        values["start_from"] = start_from
        values["start_to"] = start_to
        if max_price is not None:
            if max_price < 0 or max_price != max_price:
                raise InvalidParameter(
                    "max_price must be a number ≥ 0", parameter="max_price", value=max_price
                )
            values["max_price"] = max_price
        if language:
            if not re.match(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$", language):
                raise InvalidParameter(
                    "language must be a BCP 47 tag such as de or en",
                    parameter="language",
                    value=language,
                )
            values["language"] = language.casefold()
        return cls(**values)

    def key(self) -> str:
        """A canonical text of the filters (for cursors bound to one filter set)."""
        return json.dumps({k: str(v) for k, v in vars(self).items() if v is not None})


#: radius_km must lie in this range (km)
RADIUS_RANGE = (0.5, 300.0)
DEFAULT_RADIUS_KM = 25.0


def _parse_extra(
    eqf: str | None,
    near: str | None,
    radius_km: float | None,
    starting_within: int | None,
    gazetteer: Gazetteer | None,
) -> dict[str, Any]:
    """EQF level, distance and ``starting_within`` (422 naming the parameter)."""
    values: dict[str, Any] = {}
    if eqf:
        code = eqf.rstrip("/").rsplit("/", 1)[-1]
        if code not in {str(n) for n in range(1, 9)}:
            raise InvalidParameter(
                "eqf must be an EQF level 1–8 or its IRI", parameter="eqf", value=eqf
            )
        values["eqf"] = code
    if radius_km is not None:
        low, high = RADIUS_RANGE
        if radius_km != radius_km or not low <= radius_km <= high:
            raise InvalidParameter(
                f"radius_km must lie between {low:g} and {high:g}",
                parameter="radius_km",
                value=radius_km,
            )
        if not near:
            raise InvalidParameter(
                "radius_km needs near (the place to measure from)",
                parameter="radius_km",
                value=radius_km,
            )
    if near is not None:
        if not near.strip():
            raise InvalidParameter("near is empty", parameter="near", value=near)
        place = (gazetteer or gazetteer_for()).locate(near)
        values["near_lat"], values["near_lon"] = place.lat, place.lon
        values["radius_km"] = radius_km if radius_km is not None else DEFAULT_RADIUS_KM
    if starting_within is not None:
        if not 0 <= starting_within <= 3650:
            raise InvalidParameter(
                "starting_within must be a number of days between 0 and 3650",
                parameter="starting_within",
                value=starting_within,
            )
        values["starting_within"] = starting_within
    return values


def encode_cursor(key: tuple[str, str, str]) -> str:
    raw = json.dumps(list(key), separators=(",", ":")).encode("utf-8")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_cursor(cursor: str) -> tuple[str, str, str]:
    """The key a cursor stands for; anything else is a 422 naming ``cursor``."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        value = json.loads(raw.decode("utf-8"))
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise InvalidParameter(
            "cursor is not a cursor this server issued", parameter="cursor"
        ) from exc
    if not (isinstance(value, list) and len(value) == 3 and all(isinstance(v, str) for v in value)):
        raise InvalidParameter("cursor is not a cursor this server issued", parameter="cursor")
    return (value[0], value[1], value[2])


@dataclass
class OfferPage:
    """One page of ``GET /offers``: summaries plus the cursor of the next page (or None)."""

    items: list[dict[str, Any]]
    next_cursor: str | None
    generation: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


# -- the index --------------------------------------------------------------------------------
class OfferIndex:
    """The side table at ``path``; thread-safe (one connection per thread, WAL mode)."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._write_lock = threading.Lock()
        #: places for runs without coordinates (the catalogue sets the configured region's)
        self.gazetteer: Gazetteer | None = gazetteer_for()
        self._facet_cache: dict[Any, dict[str, Any]] = {}
        #: facet answers of the unfiltered catalogue and single facet filters, per generation
        self._base_facets: dict[Any, dict[str, Any]] = {}
        #: writes through this object (each commits a new generation): cached reads of the
        #: generation are dropped at once when it moves
        self._writes = 0
        self._generation: tuple[float, int, int] | None = None
        conn = self._conn()
        conn.execute("PRAGMA journal_mode=WAL")
        self._check_version(conn)

    def _check_version(self, conn: sqlite3.Connection) -> None:
        """Create the tables; drop an index of another schema version first (it is rebuilt
        from the store, as for a new index: generation 0)."""
        version = None
        if conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'meta'").fetchone():
            row = conn.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
            version = row[0] if row else None
            if version != SCHEMA_VERSION:
                with conn:
                    for table in _TABLES:
                        conn.execute(f"DROP TABLE IF EXISTS {table}")
        conn.executescript(_SCHEMA)
        if version != SCHEMA_VERSION:
            with conn:
                conn.execute(
                    "INSERT OR REPLACE INTO meta (key, value) VALUES ('schema', ?)",
                    (SCHEMA_VERSION,),
                )

    def reset(self) -> None:
        """Empty every table (``bildungsnetz reindex`` rebuilds from the store afterwards)."""
        conn = self._conn()
        with self._write_lock, conn:
            for table in ("offers", "runs", "run_summary", "run_text", "run_funding", "run_topic"):
                conn.execute(f"DELETE FROM {table}")
            conn.execute("DELETE FROM run_fts")
        self._writes += 1

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30)
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.create_function("dist_km", 4, _dist, deterministic=True)
            self._local.conn = conn
        return conn

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    # -- writing --------------------------------------------------------------------------
    def replace_source(self, source_id: str, rows: Iterable[dict[str, Any]]) -> int:
        """Make the index hold exactly ``rows`` for ``source_id``, in one transaction."""
        conn = self._conn()
        count = 0
        with self._write_lock, conn:
            sql = "SELECT DISTINCT offer FROM runs WHERE source = ?"
            old_offers = [r[0] for r in conn.execute(sql, (source_id,))]
            old = [r[0] for r in conn.execute("SELECT id FROM runs WHERE source = ?", (source_id,))]
            if old:
                conn.executemany("DELETE FROM run_funding WHERE run = ?", [(i,) for i in old])
                conn.executemany("DELETE FROM run_topic WHERE run = ?", [(i,) for i in old])
                conn.executemany("DELETE FROM run_summary WHERE id = ?", [(i,) for i in old])
                conn.executemany("DELETE FROM run_text WHERE id = ?", [(i,) for i in old])
                delete_rows(conn, old)
                conn.execute("DELETE FROM runs WHERE source = ?", (source_id,))
            for row in rows:
                cur = conn.execute(
                    "INSERT OR IGNORE INTO runs (offer, offer_iri, run_iri, source, provider, "
                    "start_date, end_date, sort_key, kreis, kreis_ags, mode, mode_rollup, price, "
                    "language, lat, lon, provider_name, mode_iri, eqf) "
                    "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (
                        _offer_key(conn, row["offer_iri"]),
                        row["offer_iri"],
                        row["run_iri"],
                        row["source"],
                        row["provider"],
                        row["start_date"],
                        row["end_date"],
                        row["sort_key"],
                        row["kreis"],
                        row["kreis_ags"],
                        row["mode"],
                        row["mode_rollup"],
                        row["price"],
                        row["language"],
                        row["lat"],
                        row["lon"],
                        row.get("provider_name"),
                        row.get("mode_iri"),
                        row.get("eqf"),
                    ),
                )
                if not cur.rowcount:
                    continue
                run_id = cur.lastrowid
                count += 1
                conn.execute(
                    "INSERT INTO run_summary (id, summary) VALUES (?, ?)",
                    (run_id, json.dumps(row["summary"], ensure_ascii=False)),
                )
                conn.execute(
                    "INSERT INTO run_text (id, search) VALUES (?, ?)", (run_id, row["search"])
                )
                iris = row.get("funding_iris", {})
                conn.executemany(
                    "INSERT OR IGNORE INTO run_funding (code, run, iri) VALUES (?, ?, ?)",
                    [(c, run_id, iris.get(c)) for c in row["funding"]],
                )
                assert run_id is not None
                index_row(conn, run_id, row.get("text") or {"title": row["search"]})
                topic_keys = {t for t in row["topics"]} | {
                    "slug:" + last_segment(t) for t in row["topics"]
                }
                conn.executemany(
                    "INSERT OR IGNORE INTO run_topic (topic, run) VALUES (?, ?)",
                    [(t, run_id) for t in topic_keys],
                )
            # offers of the old rows that no source lists any more (the others keep their key)
            conn.executemany(
                "DELETE FROM offers WHERE id = ? AND NOT EXISTS "
                "(SELECT 1 FROM runs WHERE runs.offer = offers.id)",
                [(o,) for o in old_offers],
            )
            conn.execute(
                "INSERT INTO meta (key, value) VALUES ('generation', '1') ON CONFLICT(key) "
                "DO UPDATE SET value = CAST(value AS INTEGER) + 1"
            )
        self._writes += 1
        conn.execute("PRAGMA optimize")  # keeps the planner's statistics current
        return count

    def rebuild_source(self, store: Queryable, source_id: str, partner_id: str | None) -> int:
        """Re-read one source's graph from ``store`` and replace its rows."""
        rows = extract_runs(store, source_id, partner_id, self.gazetteer)
        return self.replace_source(source_id, rows)

    def rebuild_all(self, store: Queryable, partner_of: Callable[[str], str | None]) -> int:
        """Rebuild every source found in the store (named graphs ``source/{id}``)."""
        graphs = _source_graphs(store)
        total = 0
        present = set()
        for graph in graphs:
            source_id = graph[len(SOURCE) :]
            present.add(source_id)
            total += self.rebuild_source(store, source_id, partner_of(source_id))
        for stale in set(self.sources()) - present:
            self.replace_source(stale, [])
        return total

    # -- reading --------------------------------------------------------------------------
    @property
    def writes(self) -> int:
        """How many writes this object committed (moves with every re-index here)."""
        return self._writes

    @property
    def generation(self) -> int:
        """The number of committed re-indexes; read from the table at most every
        :data:`GENERATION_TTL_S` (another process's re-index shows within that), at once
        after a write through this object."""
        cached = self._generation
        writes = self._writes
        if cached is not None and cached[1] == writes and time.monotonic() < cached[0]:
            return cached[2]
        row = self._conn().execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()
        value = int(row[0]) if row else 0
        self._generation = (time.monotonic() + GENERATION_TTL_S, writes, value)
        return value

    def sources(self) -> list[str]:
        return [r[0] for r in self._conn().execute("SELECT DISTINCT source FROM runs")]

    def count(self, source: str | None = None) -> int:
        if source is None:
            return int(self._conn().execute("SELECT count(*) FROM runs").fetchone()[0])
        sql = "SELECT count(*) FROM runs WHERE source = ?"
        return int(self._conn().execute(sql, (source,)).fetchone()[0])

    def count_offers(self, provider: str | None = None) -> int:
        if provider is None:
            sql, args = "SELECT count(DISTINCT offer) FROM runs", ()
        else:
            sql = "SELECT count(DISTINCT offer) FROM runs WHERE provider = ?"
            args = (provider,)  # type: ignore[assignment]
        return int(self._conn().execute(sql, args).fetchone()[0])

    def rows(self) -> list[tuple[str, str, str]]:
        """(source, offer IRI, run IRI) of every row, ordered (for checks against the store)."""
        return [
            (r[0], r[1], r[2])
            for r in self._conn().execute(
                "SELECT source, offer_iri, run_iri FROM runs ORDER BY source, offer_iri, run_iri"
            )
        ]

    def runs_of(self, offer_iri: str) -> list[dict[str, Any]]:
        """The summaries of one offer's runs, by start date."""
        cur = self._conn().execute(
            "SELECT s.summary FROM runs r JOIN run_summary s ON s.id = r.id "
            "WHERE r.offer_iri = ? ORDER BY r.sort_key, r.run_iri",
            (offer_iri,),
        )
        return [json.loads(r[0]) for r in cur]

    def search(
        self,
        filters: OfferFilters,
        *,
        limit: int,
        cursor: str | None = None,
        facets: bool = False,
    ) -> OfferPage:
        """One page of offers with a run matching ``filters`` (each item with its matching
        runs): by relevance when there is a query text, else by (next matching start date,
        offer); with ``facets`` also the facet counts (``extra["facets"]``) and the number of
        matching offers (``extra["total"]``), both in distinct offers."""
        return run_search(
            self._conn(),
            filters,
            limit=limit,
            cursor=cursor,
            facets=facets,
            generation=self.generation,
            cache=self._facet_cache,
            pinned=self._base_facets,
        )


def _offer_key(conn: sqlite3.Connection, iri: str) -> int:
    """The integer key of offer ``iri`` (made on first use). Why: facets and totals count
    distinct offers, and counting integers is much cheaper than counting IRIs."""
    conn.execute("INSERT OR IGNORE INTO offers (iri) VALUES (?)", (iri,))
    return int(conn.execute("SELECT id FROM offers WHERE iri = ?", (iri,)).fetchone()[0])


def _dist(lat1: float | None, lon1: float | None, lat2: float, lon2: float) -> float | None:
    if lat1 is None or lon1 is None:
        return None
    return distance_km(lat1, lon1, lat2, lon2)


def _source_graphs(store: Queryable) -> list[str]:
    rows = store.query("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
    return sorted(
        row["g"].value
        for row in rows
        if isinstance(row["g"], ox.NamedNode) and row["g"].value.startswith(SOURCE)
    )
