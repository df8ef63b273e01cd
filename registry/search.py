"""Full-text search and facets of ``GET /offers``: an SQLite FTS5 table beside the offer rows.

Why FTS5 and not tantivy: the search table lives in the same SQLite file as the offer rows
(``STORE/offers.sqlite``) and is written in the *same transaction* when a source is
re-indexed, so after a harvest the search can never disagree with the side table (and the side
table not with the store); a tantivy index is a second store with its own commit to keep in
step. Both answer a ranked query over 10k–100k offers in a few milliseconds (figures in
``bench/README.md``), and neither stems German well out of the box, so German analysis is done
in :mod:`registry.search_text` in front of either; FTS5 only sees folded stems.

Columns (BM25 weight): title (10), skills (4), topics incl. funding/mode/EQF labels in German
and English (3), provider (2), place (1.5), description (1), compound heads (2). A query is the
AND of its terms (each a prefix, so ``schweiss`` finds ``schweisstechnik``); a long query term
that is a compound the index does not hold is split against the index vocabulary
(``schweisstechnik`` → ``schweiss`` + ``technik``); when the AND finds nothing, the OR does.

Facets count distinct *offers* (an offer counts once per value when at least one of its runs
that the filters select has that value), per dimension (not excluding the dimension's own
filter), on a temporary table of the matching runs' facet columns filled once per request.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from .errors import InvalidParameter
from .search_text import analyze, compound_parts

__all__ = [
    "FACETS",
    "FTS_COLUMNS",
    "FTS_SCHEMA",
    "HIT_COLUMNS",
    "MAX_QUERY_CHARS",
    "MAX_TERMS",
    "TOTAL",
    "bm25_expression",
    "delete_rows",
    "facet_counts",
    "fill_hits",
    "fts_query",
    "index_row",
]

#: FTS5 columns and their BM25 weights
FTS_COLUMNS: dict[str, float] = {
    "title": 10.0,
    "skills": 4.0,
    "topics": 3.0,
    "provider": 2.0,
    "place": 1.5,
    "description": 1.0,
    "parts": 2.0,
}
FTS_SCHEMA = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS run_fts USING fts5("
    + ", ".join(FTS_COLUMNS)
    + ", tokenize='unicode61', prefix='3');\n"
    "CREATE VIRTUAL TABLE IF NOT EXISTS run_fts_vocab USING fts5vocab(run_fts, 'row');\n"
    "CREATE INDEX IF NOT EXISTS run_funding_run ON run_funding (run);\n"
    "CREATE INDEX IF NOT EXISTS run_topic_run ON run_topic (run);\n"
)
#: longer queries are refused (422 naming ``q``): nobody types that, and it bounds the work
MAX_QUERY_CHARS = 200
#: terms beyond this many are ignored
MAX_TERMS = 12
#: columns of the matching runs copied into ``temp.hit_runs`` once per counted request: the
#: facet queries then scan that narrow table instead of looking each run up in ``runs``
HIT_COLUMNS = (
    "id",
    "offer",
    "kreis_ags",
    "kreis",
    "mode",
    "mode_iri",
    "provider",
    "provider_name",
    "language",
    "eqf",
)
#: facet name → SQL giving (value, IRI or name, count of distinct offers by their integer key)
#: over the matching runs in ``temp.hit_runs``
FACETS: dict[str, str] = {
    "kreis": "SELECT kreis_ags, kreis, count(DISTINCT offer) FROM temp.hit_runs "
    "WHERE kreis_ags IS NOT NULL GROUP BY kreis_ags, kreis",
    "mode": "SELECT mode, mode_iri, count(DISTINCT offer) FROM temp.hit_runs "
    "WHERE mode IS NOT NULL GROUP BY mode, mode_iri",
    # CROSS JOIN fixes the order hits → values: else SQLite may scan all values for a few hits
    "funding": "SELECT f.code, f.iri, count(DISTINCT h.offer) FROM temp.hit_runs h "
    "CROSS JOIN run_funding f ON f.run = h.id GROUP BY f.code, f.iri",
    "topic": "SELECT t.topic, t.topic, count(DISTINCT h.offer) FROM temp.hit_runs h "
    "CROSS JOIN run_topic t ON t.run = h.id WHERE t.topic NOT LIKE 'slug:%' GROUP BY t.topic",
    "provider": "SELECT provider, provider_name, count(DISTINCT offer) FROM temp.hit_runs "
    "WHERE provider IS NOT NULL GROUP BY provider",
    "language": "SELECT language, language, count(DISTINCT offer) FROM temp.hit_runs "
    "WHERE language IS NOT NULL GROUP BY language",
    "eqf": "SELECT eqf, eqf, count(DISTINCT offer) FROM temp.hit_runs "
    "WHERE eqf IS NOT NULL GROUP BY eqf",
}
#: the number of distinct offers among the matching runs
TOTAL = "SELECT count(DISTINCT offer) FROM temp.hit_runs"


def bm25_expression() -> str:
    return "bm25(run_fts, " + ", ".join(str(w) for w in FTS_COLUMNS.values()) + ")"


# -- writing ----------------------------------------------------------------------------------
def index_row(conn: sqlite3.Connection, run_id: int, fields: Mapping[str, str]) -> None:
    """Add the analysed text of one run (``fields``: column → raw text)."""
    analysed = {name: _analysed(fields.get(name, "") or "") for name in FTS_COLUMNS}
    values = {name: stems for name, (stems, _) in analysed.items()}
    values["parts"] = " ".join(
        analysed[name][1] for name in ("title", "skills", "description") if analysed[name][1]
    )
    conn.execute(
        "INSERT INTO run_fts (rowid, "
        + ", ".join(FTS_COLUMNS)
        + ") VALUES (?"
        + ", ?" * len(FTS_COLUMNS)
        + ")",
        (run_id, *values.values()),
    )


@lru_cache(maxsize=1 << 15)
def _analysed(text: str) -> tuple[str, str]:
    """(stems, compound heads) of one field text, space-separated. Cached: titles, labels,
    providers and places recur in thousands of rows, and analysis was most of what writing a
    run cost."""
    stems = analyze(text)
    return " ".join(stems), " ".join(compound_parts(stems))


def delete_rows(conn: sqlite3.Connection, run_ids: list[int]) -> None:
    conn.executemany("DELETE FROM run_fts WHERE rowid = ?", [(i,) for i in run_ids])


# -- querying ---------------------------------------------------------------------------------
def _has_term(conn: sqlite3.Connection, term: str) -> bool:
    sql = "SELECT 1 FROM run_fts_vocab WHERE term = ? LIMIT 1"
    return conn.execute(sql, (term,)).fetchone() is not None


def _has_prefix(conn: sqlite3.Connection, prefix: str) -> bool:
    sql = "SELECT 1 FROM run_fts_vocab WHERE term >= ? AND term < ? LIMIT 1"
    return conn.execute(sql, (prefix, prefix + "{")).fetchone() is not None


def _split(conn: sqlite3.Connection, term: str) -> tuple[str, str | None] | None:
    """The longest indexed head of a compound ``term`` and the rest when that is indexed too
    (``schweisstechnik`` → (``schweiss``, ``technik``)); None when no head is indexed."""
    for cut in range(len(term) - 3, 3, -1):
        head, rest = term[:cut], analyze(term[cut:])
        candidates = [head] + ([head[:-1]] if head.endswith("s") and len(head) > 5 else [])
        for cand in candidates:
            if _has_term(conn, cand):
                tail = rest[0] if rest and _has_prefix(conn, rest[0]) else None
                return cand, tail
    return None


def fts_query(conn: sqlite3.Connection, q: str, *, any_term: bool = False) -> str | None:
    """The FTS5 query for user text ``q``; None when ``q`` has no searchable word.

    Only analysed stems (letters and digits) reach FTS5, each quoted, so quotes, ``*``,
    parentheses, ``AND``/``NEAR`` or ``:`` in ``q`` are plain text, never syntax.
    """
    if len(q) > MAX_QUERY_CHARS:
        raise InvalidParameter(
            f"q is longer than {MAX_QUERY_CHARS} characters", parameter="q", value=q[:40] + "…"
        )
    stems = list(dict.fromkeys(analyze(q)))[:MAX_TERMS]
    if not stems:
        stems = list(dict.fromkeys(analyze(q, keep_stopwords=True)))[:MAX_TERMS]
    if not stems:
        return None
    parts = []
    for s in stems:
        expr = f'"{s}"*'
        if len(s) >= 8 and s.isalpha() and not _has_prefix(conn, s):
            split = _split(conn, s)
            if split and split[1]:
                expr = f'({expr} OR ("{split[0]}"* AND "{split[1]}"*))'
            elif split:
                expr = f'({expr} OR "{split[0]}"*)'
        parts.append(expr)
    return (" OR " if any_term else " AND ").join(parts)


def facet_counts(conn: sqlite3.Connection) -> dict[str, list[tuple[str, str | None, int]]]:
    """(value, IRI or name, count) per facet over ``temp.hit_runs``, most frequent first."""
    out: dict[str, list[tuple[str, str | None, int]]] = {}
    for name, sql in FACETS.items():
        rows = [(str(r[0]), r[1], int(r[2])) for r in conn.execute(sql)]
        rows.sort(key=lambda r: (-r[2], r[0]))
        out[name] = rows
    return out


def fill_hits(conn: sqlite3.Connection, from_where: str, args: list[Any]) -> None:
    """Fill ``temp.hit_runs`` with the :data:`HIT_COLUMNS` of the runs ``from_where`` (``FROM
    … WHERE …`` over table ``runs``) selects (once per counted request)."""
    conn.execute(
        "CREATE TEMP TABLE IF NOT EXISTS hit_runs (id INTEGER PRIMARY KEY, "
        + ", ".join(HIT_COLUMNS[1:])
        + ")"
    )
    conn.execute("DELETE FROM temp.hit_runs")
    conn.execute(
        f"INSERT OR IGNORE INTO temp.hit_runs ({', '.join(HIT_COLUMNS)}) SELECT "
        + ", ".join("runs." + c for c in HIT_COLUMNS)
        + " "
        + from_where,
        args,
    )
