"""A SQLite side table of course runs, so ``GET /offers`` is one indexed query.

Why a side table: filtering and paging 100k offers by Kreis, mode, funding, dates and price in
SPARQL means a scan and a sort per request (hundreds of milliseconds in Oxigraph); the same
question to an indexed SQLite table takes a millisecond or two. The store stays the truth: the
index holds one row per course run (offer IRI, run IRI, the filterable fields and a JSON summary
of the offer) and is rebuilt *per source* after each swap of that source's graph — in one SQLite
transaction, rows whose content key is unchanged are kept, changed ones rewritten, the others
deleted or inserted (``OfferIndex.replace_source``) — and can be rebuilt whole from the store at
any time (``OfferIndex.rebuild_all``). Each row also carries its offer's integer key
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

import hashlib
import json
import logging
import pickle
import sqlite3
import threading
import time
from collections.abc import Callable, Collection, Iterable
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from . import search, search_text
from .geo import Gazetteer, distance_km, gazetteer_for
from .namespaces import SOURCE
from .offer_delta import extract_offer_runs, state_tokens
from .offer_rows import (
    ROLLUPS,
    Queryable,
    RowContext,
    Term,
    extract_runs,
    last_segment,
    rollup_of,
    row_context,
)
from .search import FTS_SCHEMA, delete_rows, index_row
from .search_arrays import RunArrays, TextHits
from .search_filters import (
    DEFAULT_RADIUS_KM,
    RADIUS_RANGE,
    OfferFilters,
    OfferPage,
    decode_cursor,
    encode_cursor,
)
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
    "content_key",
    "decode_cursor",
    "encode_cursor",
    "extract_runs",
    "rollup_of",
]


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
CREATE TABLE IF NOT EXISTS run_key (id INTEGER PRIMARY KEY, key TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS runs_order ON runs (sort_key, offer_iri, run_iri);
CREATE INDEX IF NOT EXISTS runs_source ON runs (source);
CREATE INDEX IF NOT EXISTS runs_kreis ON runs (kreis, sort_key);
CREATE INDEX IF NOT EXISTS runs_kreis_ags ON runs (kreis_ags, sort_key);
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
#: seconds a generation must stand before its columns are read (see OfferIndex._arrays_of)
COLUMNS_SETTLE_S = 1.0
#: full-text answers (runs and scores of one match expression) kept per index object
_TEXT_HITS_KEPT = 64
#: seconds a read of the index generation is trusted (see :attr:`OfferIndex.generation`)
GENERATION_TTL_S = 0.25
#: bumped when the tables change: an index of another version is dropped and rebuilt
SCHEMA_VERSION = "6"
_TABLES = (
    "offers",
    "runs",
    "run_summary",
    "run_text",
    "run_key",
    "run_funding",
    "run_topic",
    "meta",
    "run_fts",
)  # run_text: a table of schema 5, dropped with it
#: (table, run column) of the rows that hang off a run, deleted with it
_RUN_TABLES = (
    ("run_funding", "run"),
    ("run_topic", "run"),
    ("run_summary", "id"),
    ("run_key", "id"),
)


def _analysis_fingerprint() -> bytes:
    """A digest of the code that turns a row's text into FTS5 tokens (search_text and
    search), part of every content key: when the analysis changes, the next re-index of a
    source rewrites all its rows, not only the changed ones."""
    digest = hashlib.blake2b(digest_size=16)
    for module in (search_text, search):
        digest.update(Path(module.__file__ or "").read_bytes())
    return digest.digest()


_ANALYSIS = _analysis_fingerprint()


def content_key(row: dict[str, Any]) -> str:
    """A digest of everything :meth:`OfferIndex.replace_source` writes for ``row`` (and of
    the text analysis): equal keys mean the stored row can be kept as it is.

    Pickled rather than JSON-encoded (a third of the time): equal bytes always mean equal
    rows; the rare other way round (equal rows, other bytes, e.g. after a Python upgrade or
    with a set in a row) costs a needless rewrite, never a stale row."""
    digest = hashlib.blake2b(_ANALYSIS, digest_size=16)
    digest.update(pickle.dumps(row, protocol=5))
    return digest.hexdigest()


log = logging.getLogger("bildungsnetz.index")


# -- the index --------------------------------------------------------------------------------
class OfferIndex:
    """The side table at ``path``; thread-safe (one connection per thread, WAL mode)."""

    def __init__(self, path: Path | str, *, columns: bool = True) -> None:
        self.path = Path(path)
        #: facets and relevance order from the runs' columns in memory (registry.search_arrays)
        self.columns = columns
        self._arrays: RunArrays | None = None
        self._columns_lock = threading.Lock()
        self._loader: threading.Thread | None = None
        self._text_hits: dict[tuple[int, str], TextHits] = {}
        self._generation_seen: tuple[int, float] | None = None
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._write_lock = threading.Lock()
        #: places for runs without coordinates (the catalogue sets the configured region's)
        self.gazetteer: Gazetteer | None = gazetteer_for()
        self._facet_cache: dict[Any, dict[str, Any]] = {}
        #: facet answers of the unfiltered catalogue and single facet filters, per generation
        self._base_facets: dict[Any, dict[str, Any]] = {}
        #: the top of each recent ranked query (see search_query.RANKED_KEPT)
        self._ranked: dict[Any, list[tuple[Any, ...]]] = {}
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
        _analyze_if_unknown(conn)
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
            for table in ("offers", "runs", "run_summary", "run_key", "run_funding", "run_topic"):
                conn.execute(f"DELETE FROM {table}")
            conn.execute("DELETE FROM meta WHERE key LIKE ?", (_SYNC + "%",))
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
    def replace_source(
        self,
        source_id: str,
        rows: Iterable[dict[str, Any]],
        *,
        offers: Collection[str] | None = None,
        sync: tuple[str | None, str] | None = None,
    ) -> int:
        """Make the index hold exactly ``rows`` for ``source_id`` (with ``offers``: for those
        offers of the source, the others' rows stay as they are), in one transaction.

        Only what changed is written: each row's content key (:func:`content_key`) is stored
        beside it; a row whose (offer, run) the source already holds with the same key is
        kept as it is, one with another key is updated in place (only the changed columns of
        ``runs``, so its secondary indexes are not touched unless a filter value changed),
        the source's other old rows are deleted and its other new rows inserted. Why: a
        harvest changes a few of a source's offers, and rewriting 5,000 runs in ``runs``
        (eight indexes) and FTS5 was most of what a re-index cost.

        ``sync`` is (feed state token, :meth:`RowContext.fingerprint`) the rows were read
        with, kept per source for :meth:`update_offers`; rows from anywhere else drop it."""
        conn = self._conn()
        count = 0
        scope = None if offers is None else set(offers)
        with self._write_lock, conn:
            old = _held_rows(conn, source_id, scope)
            seen: set[tuple[str, str]] = set()
            changed: list[tuple[int, dict[str, Any], str]] = []
            fresh: list[tuple[dict[str, Any], str]] = []
            for row in rows:
                pair = (row["offer_iri"], row["run_iri"])
                if pair in seen or (scope is not None and pair[0] not in scope):
                    continue  # the first row of a pair wins, as for a unique key
                seen.add(pair)
                key = content_key(row)
                held = old.pop(pair, None)
                if held is None:
                    fresh.append((row, key))
                    continue
                count += 1
                if held[2] != key:
                    changed.append((held[0], row, key))
            gone = [(held[0],) for held in old.values()]
            if gone:
                for table, column in _RUN_TABLES:
                    conn.executemany(f"DELETE FROM {table} WHERE {column} = ?", gone)
                delete_rows(conn, [g[0] for g in gone])
                conn.executemany("DELETE FROM runs WHERE id = ?", gone)
            if changed:
                ids = [(run_id,) for run_id, _, _ in changed]
                for table in ("run_funding", "run_topic"):
                    conn.executemany(f"DELETE FROM {table} WHERE run = ?", ids)
                delete_rows(conn, [i[0] for i in ids])
                for run_id, row, key in changed:
                    _update(conn, run_id, row, key)
            for row, key in fresh:
                count += _insert(conn, row, key)
            # offers of the old rows that no source lists any more (the others keep their key)
            conn.executemany(
                "DELETE FROM offers WHERE id = ? AND NOT EXISTS "
                "(SELECT 1 FROM runs WHERE runs.offer = offers.id)",
                [(o,) for o in {held[1] for held in old.values()}],
            )
            _set_sync(conn, source_id, sync)
            wrote = bool(gone or changed or fresh)
            if wrote or scope is None:  # a partial update that changed nothing keeps caches
                conn.execute(
                    "INSERT INTO meta (key, value) VALUES ('generation', '1') ON CONFLICT(key) "
                    "DO UPDATE SET value = CAST(value AS INTEGER) + 1"
                )
        if wrote or scope is None:
            self._writes += 1
        if wrote:
            conn.execute("PRAGMA optimize")  # keeps the planner's statistics current
        return count

    def rebuild_source(
        self,
        store: Queryable,
        source_id: str,
        partner_id: str | None,
        *,
        context: RowContext | None = None,
    ) -> int:
        """Re-read one source's graph from ``store`` and replace its rows. ``context`` (the
        vocabulary's labels, read from ``store`` when not given) can be shared by a refresh
        of several sources."""
        context = context or row_context(store)
        token = state_tokens(store, [source_id])[source_id]
        rows = extract_runs(store, source_id, partner_id, self.gazetteer, context)
        sync = (token, context.fingerprint(partner_id, self.gazetteer))
        return self.replace_source(source_id, rows, sync=sync)

    def update_offers(
        self,
        store: Queryable,
        source_id: str,
        partner_id: str | None,
        offers: Iterable[str],
        *,
        since: str | None,
        context: RowContext | None = None,
    ) -> bool:
        """Bring the source's rows up to ``store`` when only ``offers`` (added, removed or
        changed: their closures) can differ from what the index holds; True when only those
        were read, False when the whole source was re-read instead.

        ``since`` is the feed state token the changes are counted from (the state before the
        harvest run). The shortcut is taken only when the index last read this source with
        that very token and the same :meth:`RowContext.fingerprint` (vocabulary, partner,
        places, code): then every other offer's rows are still right. In any other case —
        no token, an index written otherwise, a changed vocabulary, a blank node on the
        way — the source is re-read whole, so the index never disagrees with the store."""
        context = context or row_context(store)
        fingerprint = context.fingerprint(partner_id, self.gazetteer)
        wanted = set(offers)
        if since is not None and self.synced(source_id) == (since, fingerprint):
            token = state_tokens(store, [source_id])[source_id]
            rows = extract_offer_runs(store, source_id, partner_id, wanted, self.gazetteer, context)
            if rows is not None and token is not None:
                self.replace_source(source_id, rows, offers=wanted, sync=(token, fingerprint))
                return True
        self.rebuild_source(store, source_id, partner_id, context=context)
        return False

    def synced(self, source_id: str) -> tuple[str | None, str] | None:
        """(feed state token, context fingerprint) the source's rows were last read with."""
        row = (
            self._conn()
            .execute("SELECT value FROM meta WHERE key = ?", (_SYNC + source_id,))
            .fetchone()
        )
        if row is None:
            return None
        token, fingerprint = json.loads(row[0])
        return token, fingerprint

    def rebuild_all(self, store: Queryable, partner_of: Callable[[str], str | None]) -> int:
        """Rebuild every source found in the store (named graphs ``source/{id}``)."""
        graphs = _source_graphs(store)
        total = 0
        present = set()
        context = row_context(store)
        for graph in graphs:
            source_id = graph[len(SOURCE) :]
            present.add(source_id)
            total += self.rebuild_source(store, source_id, partner_of(source_id), context=context)
        for stale in set(self.sources()) - present:
            self.replace_source(stale, [])
        _analyze_if_unknown(self._conn(), force=True)
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
        generation = self.generation
        conn = self._conn()
        arrays = self._arrays_of(generation)
        # one read transaction for the whole answer: page, runs and facets see one state of
        # the index; and it ends here, so the next search sees the latest re-index (the facet
        # counts write a temporary table, and an implicit transaction left open by that kept
        # this thread's connection on the data of its first counted search)
        conn.execute("BEGIN")
        try:
            return run_search(
                conn,
                filters,
                limit=limit,
                cursor=cursor,
                facets=facets,
                generation=generation,
                cache=self._facet_cache,
                pinned=self._base_facets,
                ranked=self._ranked,
                arrays=arrays,
                text_hits=(lambda match: self._text_hits_of(conn, arrays, match))
                if arrays is not None
                else None,
            )
        finally:
            conn.rollback()

    # -- the runs' columns in memory (registry.search_arrays) -------------------------------
    def load_columns(self) -> RunArrays | None:
        """Read the runs' columns of the current generation now (the searches of this object
        use them from then on, until the generation moves); None when ``columns`` is off."""
        if not self.columns:
            return None
        conn = sqlite3.connect(self.path, timeout=30)
        try:
            conn.execute("BEGIN")
            row = conn.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()
            arrays = RunArrays(conn, int(row[0]) if row else 0)
            conn.rollback()
        finally:
            conn.close()
        self._arrays = arrays
        return arrays

    def _arrays_of(self, generation: int) -> RunArrays | None:
        """The columns of ``generation`` when loaded; else start loading them in the
        background (one load at a time, once the generation has not moved for
        :data:`COLUMNS_SETTLE_S`) and answer this search from SQLite alone. Why not wait:
        reading 100k runs takes a second or two, and during a harvest the generation moves
        with every source."""
        arrays = self._arrays
        if arrays is not None and arrays.generation == generation:
            return arrays
        now = time.monotonic()
        seen = self._generation_seen
        if seen is None or seen[0] != generation:
            self._generation_seen = (generation, now)
            return None
        if now - seen[1] < COLUMNS_SETTLE_S:
            return None  # a harvest moves the generation with every source: wait for calm
        if self.columns:
            with self._columns_lock:
                if self._loader is None or not self._loader.is_alive():
                    self._loader = threading.Thread(
                        target=self._load_quietly, name="offer-columns", daemon=True
                    )
                    self._loader.start()
        return None

    def _load_quietly(self) -> None:
        try:
            self.load_columns()
        except sqlite3.Error as exc:  # searches go on from SQLite alone
            log.warning("could not read the offer columns: %s", exc)

    def _text_hits_of(self, conn: sqlite3.Connection, arrays: RunArrays, match: str) -> TextHits:
        """The runs ``match`` finds and their scores, kept per (generation, match): a text
        asked with other filters (a facet clicked, the next page) is not searched again."""
        key = (arrays.generation, match)
        hits = self._text_hits.get(key)
        if hits is None:
            hits = arrays.text_hits(conn, match, search.bm25_expression())
            if len(self._text_hits) >= _TEXT_HITS_KEPT:
                self._text_hits.pop(next(iter(self._text_hits)), None)
            self._text_hits[key] = hits
        return hits


#: the columns of ``runs`` a row sets besides its offer key, IRIs and source
_RUN_COLUMNS = (
    "provider",
    "start_date",
    "end_date",
    "sort_key",
    "kreis",
    "kreis_ags",
    "mode",
    "mode_rollup",
    "price",
    "language",
    "lat",
    "lon",
    "provider_name",
    "mode_iri",
    "eqf",
)
_INSERT_RUN = (
    "INSERT OR IGNORE INTO runs (offer, offer_iri, run_iri, source, "
    + ", ".join(_RUN_COLUMNS)
    + ") VALUES (?, ?, ?, ?"
    + ", ?" * len(_RUN_COLUMNS)
    + ")"
)


def _insert(conn: sqlite3.Connection, row: dict[str, Any], key: str) -> int:
    """Insert one row (1), or nothing when another source holds its (offer, run) (0)."""
    values = [row.get(c) for c in _RUN_COLUMNS]
    pair = (row["offer_iri"], row["run_iri"])
    offer = _offer_key(conn, pair[0])
    cur = conn.execute(_INSERT_RUN, (offer, *pair, row["source"], *values))
    if not cur.rowcount:
        return 0
    run_id = cur.lastrowid
    assert run_id is not None
    summary = json.dumps(row["summary"], ensure_ascii=False)
    conn.execute("INSERT INTO run_summary (id, summary) VALUES (?, ?)", (run_id, summary))
    conn.execute("INSERT INTO run_key (id, key) VALUES (?, ?)", (run_id, key))
    _write_details(conn, run_id, row)
    return 1


def _update(conn: sqlite3.Connection, run_id: int, row: dict[str, Any], key: str) -> None:
    """Rewrite run ``run_id`` (same offer, run and source) as ``row``: only the columns of
    ``runs`` whose value changed; its FTS5 entry, funding and topics must be deleted first."""
    current = conn.execute(
        f"SELECT {', '.join(_RUN_COLUMNS)} FROM runs WHERE id = ?", (run_id,)
    ).fetchone()
    new = [row.get(c) for c in _RUN_COLUMNS]
    diff = {c: v for c, v, was in zip(_RUN_COLUMNS, new, current, strict=True) if v != was}
    if diff:
        sets = ", ".join(f"{c} = ?" for c in diff)
        conn.execute(f"UPDATE runs SET {sets} WHERE id = ?", (*diff.values(), run_id))
    summary = json.dumps(row["summary"], ensure_ascii=False)
    conn.execute("UPDATE run_summary SET summary = ? WHERE id = ?", (summary, run_id))
    conn.execute("UPDATE run_key SET key = ? WHERE id = ?", (key, run_id))
    _write_details(conn, run_id, row)


def _write_details(conn: sqlite3.Connection, run_id: int, row: dict[str, Any]) -> None:
    """The funding codes, topics and FTS5 text of run ``run_id``."""
    iris = row.get("funding_iris", {})
    conn.executemany(
        "INSERT OR IGNORE INTO run_funding (code, run, iri) VALUES (?, ?, ?)",
        [(c, run_id, iris.get(c)) for c in row["funding"]],
    )
    topic_keys = set(row["topics"]) | {"slug:" + last_segment(t) for t in row["topics"]}
    conn.executemany(
        "INSERT OR IGNORE INTO run_topic (topic, run) VALUES (?, ?)",
        [(t, run_id) for t in topic_keys],
    )
    index_row(conn, run_id, row.get("text") or {"title": row["search"]})


#: meta key prefix of a source's (state token, context fingerprint)
_SYNC = "sync:"


def _held_rows(
    conn: sqlite3.Connection, source_id: str, scope: set[str] | None
) -> dict[tuple[str, str], tuple[int, int, str | None]]:
    """(offer, run) → (row id, offer key, content key) of the source's rows (of the offers
    in ``scope`` when given: one indexed lookup per offer)."""
    sql = (
        "SELECT r.offer_iri, r.run_iri, r.id, r.offer, k.key FROM runs r "
        "LEFT JOIN run_key k ON k.id = r.id WHERE r.source = ?"
    )
    if scope is None:
        found = list(conn.execute(sql, (source_id,)))
    else:
        found = []
        for offer in sorted(scope):
            found += conn.execute(sql + " AND r.offer_iri = ?", (source_id, offer)).fetchall()
    return {(r[0], r[1]): (r[2], r[3], r[4]) for r in found}


def _set_sync(
    conn: sqlite3.Connection, source_id: str, sync: tuple[str | None, str] | None
) -> None:
    if sync is None:
        conn.execute("DELETE FROM meta WHERE key = ?", (_SYNC + source_id,))
    else:
        conn.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
            (_SYNC + source_id, json.dumps(list(sync))),
        )


def _analyze_if_unknown(conn: sqlite3.Connection, *, force: bool = False) -> None:
    """Planner statistics for every index of ``runs`` (after a full build, or when an index
    has none: one added by a newer version). Why: without them SQLite may drive a ranked
    search through a Kreis index and look every run up in the full-text index — 360 ms
    instead of 13 ms at 100k offers."""
    if not conn.execute("SELECT 1 FROM runs LIMIT 1").fetchone():
        return
    if not force:
        indexes = {
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'runs' "
                "AND name NOT LIKE 'sqlite_autoindex%'"
            )
        }
        known: set[str] = set()
        if conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'").fetchone():
            known = {r[0] for r in conn.execute("SELECT idx FROM sqlite_stat1 WHERE tbl = 'runs'")}
        if indexes <= known:
            return
    with conn:
        conn.execute("ANALYZE")


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
