"""Content negotiation for RDF and SPARQL results formats, shared by every router.

One table of media types per family and one ``Accept`` parser, so the SPARQL endpoint, the
Graph Store Protocol, the dumps and the JSON API answer the same header the same way:

* :func:`negotiate_rdf` ``(accept, *, dataset=False) -> (RdfFormat, media_type)`` — graphs
  (Turtle, N-Triples, JSON-LD, RDF/XML) or, with ``dataset=True``, datasets (N-Quads, TriG);
* :func:`negotiate_results` ``(accept, query_kind) -> (format, media_type)`` — what a SPARQL
  query of that kind answers with: a :class:`pyoxigraph.QueryResultsFormat` for SELECT/ASK,
  a :class:`pyoxigraph.RdfFormat` for CONSTRUCT/DESCRIBE;
* :func:`format_by_name` — the ``format=`` parameter override (``json``, ``turtle``, a media
  type, …).

All raise :class:`registry.errors.NotAcceptable` (406) with the list of what is available.
The media type returned is the one to put in ``Content-Type`` (``; charset=utf-8`` added for
textual types). A missing or empty ``Accept`` means ``*/*``: the first entry of the table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeAlias

import pyoxigraph as ox

from .errors import NotAcceptable

__all__ = [
    "DATASET_FORMATS",
    "GRAPH_FORMATS",
    "RESULTS_FORMATS",
    "AnyFormat",
    "MediaRange",
    "format_by_name",
    "negotiate",
    "negotiate_rdf",
    "negotiate_results",
    "parse_accept",
    "query_kind_formats",
]

AnyFormat: TypeAlias = ox.RdfFormat | ox.QueryResultsFormat

#: (media types, first is canonical; short names for ``format=``; format) — default first
_Entry: TypeAlias = tuple[tuple[str, ...], tuple[str, ...], AnyFormat]

GRAPH_FORMATS: tuple[_Entry, ...] = (
    (("text/turtle", "application/x-turtle"), ("turtle", "ttl"), ox.RdfFormat.TURTLE),
    (
        ("application/n-triples", "text/plain"),
        ("nt", "ntriples", "n-triples"),
        ox.RdfFormat.N_TRIPLES,
    ),
    (("application/ld+json",), ("jsonld", "json-ld"), ox.RdfFormat.JSON_LD),
    (("application/rdf+xml",), ("rdfxml", "rdf/xml", "rdf", "xml"), ox.RdfFormat.RDF_XML),
)

DATASET_FORMATS: tuple[_Entry, ...] = (
    (("application/n-quads",), ("nq", "nquads", "n-quads"), ox.RdfFormat.N_QUADS),
    (("application/trig",), ("trig",), ox.RdfFormat.TRIG),
)

RESULTS_FORMATS: tuple[_Entry, ...] = (
    (
        ("application/sparql-results+json", "application/json"),
        ("json", "srj"),
        ox.QueryResultsFormat.JSON,
    ),
    (
        ("application/sparql-results+xml", "application/xml", "text/xml"),
        ("xml", "srx"),
        ox.QueryResultsFormat.XML,
    ),
    (("text/csv",), ("csv",), ox.QueryResultsFormat.CSV),
    (("text/tab-separated-values",), ("tsv",), ox.QueryResultsFormat.TSV),
)

_TEXTUAL = ("text/", "application/n-triples", "application/n-quads", "application/trig")


@dataclass(frozen=True)
class MediaRange:
    """One entry of an ``Accept`` header."""

    type: str
    subtype: str
    q: float

    def matches(self, media_type: str) -> int:
        """How specifically this range matches ``media_type``: 0 not at all, 1–3 more exact."""
        main, _, sub = media_type.partition("/")
        if self.type == "*":
            return 1
        if self.type != main:
            return 0
        if self.subtype == "*":
            return 2
        return 3 if self.subtype == sub else 0


def parse_accept(accept: str | None) -> list[MediaRange]:
    """The media ranges of an ``Accept`` header; malformed entries are ignored."""
    ranges: list[MediaRange] = []
    for part in (accept or "").split(","):
        fields = [f.strip() for f in part.split(";")]
        media = fields[0].lower()
        if "/" not in media:
            continue
        main, _, sub = media.partition("/")
        q = 1.0
        for param in fields[1:]:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = max(0.0, min(1.0, float(value)))
                except ValueError:
                    q = 0.0
        ranges.append(MediaRange(main.strip(), sub.strip(), q))
    return ranges or [MediaRange("*", "*", 1.0)]


def _content_type(media_type: str) -> str:
    if media_type.startswith(_TEXTUAL) or media_type.endswith("+json"):
        return f"{media_type}; charset=utf-8"
    return media_type


def negotiate(accept: str | None, table: tuple[_Entry, ...]) -> tuple[AnyFormat, str]:
    """The best entry of ``table`` for ``accept``: highest q, then most specific, then order."""
    ranges = parse_accept(accept)
    best: tuple[float, int, int] | None = None
    chosen: tuple[AnyFormat, str] | None = None
    for order, (media_types, _names, fmt) in enumerate(table):
        for media in media_types:
            matching = [(r.matches(media), r.q) for r in ranges if r.matches(media)]
            if not matching:
                continue
            specificity, q = max(matching)
            if q <= 0:
                continue
            # the canonical media type answers wildcard matches; an exact alias answers itself
            answer = media if specificity == 3 else media_types[0]
            rank = (q, specificity, -order)
            if best is None or rank > best:
                best, chosen = rank, (fmt, _content_type(answer))
    if chosen is None:
        offered = ", ".join(m[0] for m, _, _ in table)
        raise NotAcceptable(
            f"no representation matches Accept: {accept!r}; available: {offered}",
            available=[m[0] for m, _, _ in table],
        )
    return chosen


def negotiate_rdf(accept: str | None, *, dataset: bool = False) -> tuple[ox.RdfFormat, str]:
    """The RDF format for ``accept``: graph formats, or dataset formats when ``dataset``."""
    fmt, media = negotiate(accept, DATASET_FORMATS if dataset else GRAPH_FORMATS)
    assert isinstance(fmt, ox.RdfFormat)
    return fmt, media


def query_kind_formats(query_kind: str) -> tuple[_Entry, ...]:
    """The formats a query of ``query_kind`` (SELECT, ASK, CONSTRUCT, DESCRIBE) answers in."""
    kind = query_kind.upper()
    if kind in ("CONSTRUCT", "DESCRIBE"):
        return GRAPH_FORMATS
    if kind == "ASK":
        # CSV and TSV define no boolean result
        return RESULTS_FORMATS[:2]
    return RESULTS_FORMATS


def negotiate_results(accept: str | None, query_kind: str) -> tuple[AnyFormat, str]:
    """The format a SPARQL query of ``query_kind`` answers ``accept`` with."""
    return negotiate(accept, query_kind_formats(query_kind))


def format_by_name(name: str, table: tuple[_Entry, ...]) -> tuple[AnyFormat, str]:
    """The format named by a ``format=`` parameter: a short name or a media type."""
    wanted = name.strip().lower()
    for media_types, names, fmt in table:
        if wanted in names or wanted in media_types:
            media = wanted if wanted in media_types else media_types[0]
            return fmt, _content_type(media)
    offered = ", ".join(n[0] for _, n, _ in table)
    raise NotAcceptable(
        f"unknown or unsuitable format {name!r}; available: {offered}",
        available=[n[0] for _, n, _ in table],
    )
