"""Rows of the offer index, read from a source's graph: one per (course, run).

Why a module of its own: what a row holds (the filterable fields and the JSON summary the API
returns) is a mapping of the model in ``docs/design.md`` that changes with the model, while
:mod:`registry.offer_index` (tables, filters, paging) does not. The rows come from the source
graph's triples of the properties in ``_ROW_PROPERTIES`` (a property a row is to use must be
listed there; one SELECT per predicate, or for a few offers :mod:`registry.offer_delta`) plus
the labels, notations and mode roll-ups (``skos:broader`` to
``unterrichtsform/praesenz|digital|kombiniert``) of the vocabulary graph (:class:`RowContext`);
a mode the vocabulary does not roll up is rolled up by its hundreds (1xx Präsenz, 2xx and 4xx
digital, 3xx kombiniert).
"""

from __future__ import annotations

import hashlib
import pickle
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeAlias

import pyoxigraph as ox

from .namespaces import (
    BN,
    RDF,
    SCHEMA,
    SCHEMA_HTTP,
    SCHEME_DELIVERY,
    SKOS,
    SOURCE,
    VOCABULARY_GRAPH,
)
from .vocabulary import Labels

if TYPE_CHECKING:
    from .geo import Gazetteer

__all__ = [
    "COURSE_TYPES",
    "MODE_CODE",
    "NO_DATE",
    "ROLLUPS",
    "ROW_PREDICATES",
    "Queryable",
    "RowContext",
    "Term",
    "extract_runs",
    "last_segment",
    "rollup_of",
    "row_context",
    "rows_of",
    "vocabulary_labels",
]

#: an RDF term as pyoxigraph returns it
Term: TypeAlias = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple

#: roll-up delivery modes (concepts ``unterrichtsform/{name}``)
ROLLUPS = ("praesenz", "digital", "kombiniert")
#: sort key for runs without a start date, so they come after every dated run
NO_DATE = "9999-12-31"
MODE_CODE = re.compile(r"^[0-9]{3}$")


class Queryable(Protocol):
    """What the index needs from a store or a snapshot reader: SPARQL over the union graph."""

    def query(self, sparql: str) -> Any: ...


def rollup_of(code: str) -> str | None:
    """The roll-up of a delivery-mode code when the vocabulary says nothing: by hundreds."""
    if code in ROLLUPS:
        return code
    if not MODE_CODE.match(code):
        return None
    return {"1": "praesenz", "2": "digital", "3": "kombiniert", "4": "digital"}.get(code[0])


def last_segment(iri: str) -> str:
    """The notation or slug at the end of an IRI."""
    return iri.rstrip("/").rsplit("/", 1)[-1]


# -- extraction from the store ---------------------------------------------------------------
def _norm(iri: str) -> str:
    return SCHEMA + iri[len(SCHEMA_HTTP) :] if iri.startswith(SCHEMA_HTTP) else iri


def _vocab_maps(store: Queryable) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """(German labels, notations, mode roll-ups) from the vocabulary graph."""
    labels: dict[str, str] = {}
    notations: dict[str, str] = {}
    rollups: dict[str, str] = {}
    rows = store.query(
        f"SELECT ?c ?p ?o WHERE {{ GRAPH <{VOCABULARY_GRAPH}> {{ ?c ?p ?o . "
        f"VALUES ?p {{ <{SKOS}prefLabel> <{SKOS}notation> <{SKOS}broader> }} }} }}"
    )
    for row in rows:
        c, p, o = row["c"], row["p"], row["o"]
        if not isinstance(c, ox.NamedNode):
            continue
        if p.value == SKOS + "prefLabel" and isinstance(o, ox.Literal):
            if o.language in (None, "de") or c.value not in labels:
                labels[c.value] = o.value
        elif p.value == SKOS + "notation":
            notations[c.value] = o.value
        elif isinstance(o, ox.NamedNode) and o.value.startswith(SCHEME_DELIVERY + "/"):
            name = last_segment(o.value)
            if name in ROLLUPS:
                rollups[c.value] = name
    return labels, notations, rollups


#: the properties a row is built from (schema.org local names; ``http://schema.org/`` too)
_ROW_PROPERTIES = (
    "name",
    "description",
    "url",
    "provider",
    "hasCourseInstance",
    "startDate",
    "endDate",
    "courseMode",
    "location",
    "containedInPlace",
    "address",
    "geo",
    "latitude",
    "longitude",
    "postalCode",
    "addressLocality",
    "offers",
    "price",
    "priceCurrency",
    "financialAidEligible",
    "about",
    "inLanguage",
    "teaches",
    "occupationalCategory",
    "educationalLevel",
)


def _branches() -> list[tuple[str, str, str | None]]:
    """(predicate IRI, normalised predicate, the one object wanted or None) per branch of
    the source read, in the order a property's values are listed (``https://schema.org/``
    before ``http://schema.org/``)."""
    out: list[tuple[str, str, str | None]] = []
    for local in _ROW_PROPERTIES:
        for base in (SCHEMA, SCHEMA_HTTP):
            out.append((base + local, SCHEMA + local, None))
    for prop in (BN + "flexibleStart", BN + "registrationDeadline"):
        out.append((prop, prop, None))
    for base in (SCHEMA, SCHEMA_HTTP):  # only the type rows need: Course
        out.append((RDF + "type", RDF + "type", base + "Course"))
    return out


_BRANCHES = _branches()
#: predicate IRI → (normalised predicate, rank among the IRIs of that property), for the
#: predicates rows are built from other than ``rdf:type`` (of which only Course counts)
ROW_PREDICATES: dict[str, tuple[str, int]] = {
    iri: (norm, n) for n, (iri, norm, want) in enumerate(_BRANCHES) if want is None
}
#: the Course types (object of ``rdf:type``) → their rank, as in ROW_PREDICATES
COURSE_TYPES: dict[str, int] = {
    want: n for n, (_, _, want) in enumerate(_BRANCHES) if want is not None
}


def _branch_queries(graph: str) -> list[tuple[str, str]]:
    """(SELECT ?s ?o, normalised predicate) per branch of the read of ``graph``.

    Why not ``CONSTRUCT { ?s ?p ?o }``: a quarter of a feed's triples (other types, teaching
    units, attendance pattern, field of education, AZAV status …) never reach a row, and each
    triple read costs a decode of three terms; a query per property decodes two. Why not one
    UNION of them with the branch number bound to a variable: decoding that number and
    looking it up cost a third of the read (0.87 → 0.57 s CPU for 5,000 offers). The
    queries go to one snapshot (the catalogue pins it for a refresh), so they see one state
    of the graph."""
    out: list[tuple[str, str]] = []
    for iri, norm, want in _BRANCHES:
        bound = f"<{want}> BIND(<{want}> AS ?o)" if want else "?o"
        pattern = f"?s <{iri}> {bound}"
        out.append((f"SELECT ?s ?o WHERE {{ GRAPH <{graph}> {{ {pattern} }} }}", norm))
    return out


def _graph_map(store: Queryable, graph: str) -> dict[str, dict[str, list[Term]]]:
    """Subject → normalised property → values, for the properties rows are built from."""
    subjects: dict[str, dict[str, list[Term]]] = {}
    named = ox.NamedNode
    for sparql, norm in _branch_queries(graph):
        for s, o in store.query(sparql):
            key = s.value if type(s) is named else f"_:{s.value}"
            props = subjects.get(key)
            if props is None:
                props = subjects[key] = {}
            values = props.get(norm)
            if values is None:
                props[norm] = [o]
            else:
                values.append(o)
    return subjects


def _ref(term: Term) -> str:
    if isinstance(term, ox.NamedNode):
        return term.value
    return f"_:{term.value}" if isinstance(term, ox.BlankNode | ox.Literal) else str(term)


def _text(values: list[Term], lang: str = "de") -> str | None:
    literals = [v for v in values if isinstance(v, ox.Literal)]
    for want in (lang, None):
        for v in literals:
            if v.language == want:
                return v.value
    return literals[0].value if literals else None


def _number(values: list[Term]) -> float | None:
    for v in values:
        if isinstance(v, ox.Literal):
            try:
                return float(v.value)
            except ValueError:
                continue
    return None


def vocabulary_labels(store: Queryable) -> Labels:
    """:class:`Labels` of the store's vocabulary graph (German and English)."""
    return Labels(
        store.query(
            f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{VOCABULARY_GRAPH}> {{ ?s ?p ?o . "
            f"FILTER(isLiteral(?o)) }} }}"
        )
    )


@dataclass(frozen=True)
class RowContext:
    """What rows take from outside a source's graph: the vocabulary graph's labels, notations
    and mode roll-ups. Read once per re-index (and shared by the sources of one refresh)."""

    labels: dict[str, str]
    notations: dict[str, str]
    rollups: dict[str, str]
    both: Labels

    def fingerprint(self, partner_id: str | None, gazetteer: Gazetteer | None) -> str:
        """A digest of everything a row of a source holds that its offer's triples do not
        decide: this context, the partner, the places table and the code that builds rows.
        Why: when it changes, every row of the source may change, so re-reading only the
        changed offers would leave the others stale."""
        digest = hashlib.blake2b(self._vocabulary_digest, digest_size=16)
        digest.update(repr(partner_id).encode())
        digest.update(_gazetteer_digest(gazetteer))
        return digest.hexdigest()


    @cached_property
    def _vocabulary_digest(self) -> bytes:
        """The code and vocabulary part of :meth:`fingerprint` (the same for every source)."""
        digest = hashlib.blake2b(_CODE, digest_size=16)
        digest.update(pickle.dumps((self.labels, self.notations, self.rollups), protocol=5))
        digest.update(pickle.dumps(self.both.__dict__, protocol=5))
        return digest.digest()


#: the code that turns triples into rows, part of every fingerprint
_CODE = Path(__file__).read_bytes()
_GAZETTEER_DIGESTS: dict[int, tuple[Gazetteer, bytes]] = {}


def _gazetteer_digest(gazetteer: Gazetteer | None) -> bytes:
    if gazetteer is None:
        return b"-"
    held = _GAZETTEER_DIGESTS.get(id(gazetteer))
    if held is None or held[0] is not gazetteer:
        data = repr(gazetteer.places).encode()
        held = _GAZETTEER_DIGESTS[id(gazetteer)] = (gazetteer, hashlib.blake2b(data).digest())
    return held[1]


def row_context(store: Queryable) -> RowContext:
    """The :class:`RowContext` of ``store``'s vocabulary graph."""
    labels, notations, rollups = _vocab_maps(store)
    return RowContext(labels, notations, rollups, vocabulary_labels(store))


def extract_runs(
    store: Queryable,
    source_id: str,
    partner_id: str | None,
    gazetteer: Gazetteer | None = None,
    context: RowContext | None = None,
) -> list[dict[str, Any]]:
    """The index rows of one source: one per (course, run) of the source's graph.

    Runs without coordinates get those of their postal code or locality from ``gazetteer``
    (the region's places table), so the distance filter sees them."""
    graph = _graph_map(store, SOURCE + source_id)
    return rows_of(graph, graph, source_id, partner_id, gazetteer, context or row_context(store))


def rows_of(
    graph: Mapping[str, Mapping[str, list[Term]]],
    subjects: Iterable[str],
    source_id: str,
    partner_id: str | None,
    gazetteer: Gazetteer | None,
    context: RowContext,
) -> list[dict[str, Any]]:
    """The rows of those of ``subjects`` that are courses in ``graph`` (subject → normalised
    property → values, as the source graph's read gives it), one per run."""
    course_type = SCHEMA + "Course"
    rows: list[dict[str, Any]] = []
    memo: dict[str, list[str]] = {}
    for subject in subjects:
        props = graph.get(subject)
        if props is None:
            continue
        types = {t.value for t in props.get(RDF + "type", []) if isinstance(t, ox.NamedNode)}
        if course_type not in {_norm(t) for t in types}:
            continue
        course = props
        for run_term in course.get(SCHEMA + "hasCourseInstance", []):
            run = graph.get(_ref(run_term), {})
            rows.append(
                _row(
                    subject,
                    _ref(run_term),
                    course,
                    run,
                    graph,
                    source_id,
                    partner_id,
                    context.labels,
                    context.notations,
                    context.rollups,
                )
            )
            _enrich(rows[-1], course, run, graph, context.both, gazetteer, context.notations, memo)
    return rows


def _price(
    holder: Mapping[str, list[Term]], graph: Mapping[str, Mapping[str, list[Term]]]
) -> tuple[float | None, str | None]:
    best: tuple[float | None, str | None] = (None, None)
    for offer in holder.get(SCHEMA + "offers", []):
        node = graph.get(_ref(offer), {})
        price = _number(list(node.get(SCHEMA + "price", [])))
        if price is not None and (best[0] is None or price < best[0]):
            best = (price, _text(list(node.get(SCHEMA + "priceCurrency", []))))
    return best


#: the values of an absent property (shared, never changed)
_NO_VALUES: list[Term] = []


def _row(
    course_iri: str,
    run_iri: str,
    course: Mapping[str, list[Term]],
    run: Mapping[str, list[Term]],
    graph: Mapping[str, Mapping[str, list[Term]]],
    source_id: str,
    partner_id: str | None,
    labels: Mapping[str, str],
    notations: Mapping[str, str],
    vocab_rollups: Mapping[str, str],
) -> dict[str, Any]:
    def get(holder: Mapping[str, list[Term]], local: str) -> list[Term]:
        return holder.get(SCHEMA + local) or _NO_VALUES  # read only: not copied

    title = _text(get(course, "name")) or course_iri
    title_en = next(
        (t.value for t in get(course, "name") if isinstance(t, ox.Literal) and t.language == "en"),
        None,
    )
    description = _text(get(course, "description")) or ""
    start = _text(get(run, "startDate"))
    end = _text(get(run, "endDate"))
    start_date = start[:10] if start else None
    end_date = end[:10] if end else None
    mode_iri = next((t.value for t in get(run, "courseMode") if isinstance(t, ox.NamedNode)), None)
    mode = last_segment(mode_iri) if mode_iri else None
    rollup = (vocab_rollups.get(mode_iri) if mode_iri else None) or (
        rollup_of(mode) if mode else None
    )
    place = graph.get(_ref(get(run, "location")[0]), {}) if get(run, "location") else {}
    kreis_iri = next(
        (t.value for t in get(place, "containedInPlace") if isinstance(t, ox.NamedNode)), None
    )
    address = graph.get(_ref(get(place, "address")[0]), {}) if get(place, "address") else {}
    geo = graph.get(_ref(get(place, "geo")[0]), {}) if get(place, "geo") else {}
    price, currency = _price(run, graph)
    if price is None:
        price, currency = _price(course, graph)
    funding = sorted(
        {
            notations.get(t.value, last_segment(t.value))
            for t in get(course, "financialAidEligible") + get(run, "financialAidEligible")
            if isinstance(t, ox.NamedNode)
        }
    )
    topics = sorted({t.value for t in get(course, "about") if isinstance(t, ox.NamedNode)})
    language = _text(get(run, "inLanguage")) or _text(get(course, "inLanguage"))
    provider_iri = next(
        (t.value for t in get(course, "provider") if isinstance(t, ox.NamedNode)), None
    )
    provider_name = _text(get(graph.get(provider_iri, {}), "name")) if provider_iri else None
    url = next(iter(get(course, "url")), None)
    kreis_ags = (notations.get(kreis_iri) or last_segment(kreis_iri)) if kreis_iri else None
    lat = _number(get(geo, "latitude"))
    lon = _number(get(geo, "longitude"))
    flexible = any(
        isinstance(t, ox.Literal) and t.value == "true" for t in run.get(BN + "flexibleStart", [])
    )
    summary = {
        "iri": course_iri,
        "run": run_iri,
        "source": source_id,
        "title": title,
        "title_en": title_en,
        "description": description,
        "url": url.value if isinstance(url, ox.NamedNode | ox.Literal) else None,
        "provider": {"partner": partner_id, "iri": provider_iri, "name": provider_name},
        "start_date": start_date,
        "end_date": end_date,
        "flexible_start": flexible,
        "mode": {
            "code": mode,
            "iri": mode_iri,
            "rollup": rollup,
            "label": labels.get(mode_iri) if mode_iri else None,
        },
        "kreis": {"ags": kreis_ags, "iri": kreis_iri, "label": labels.get(kreis_iri)}
        if kreis_iri
        else None,
        "place": {
            "name": _text(get(place, "name")),
            "postal_code": _text(get(address, "postalCode")),
            "locality": _text(get(address, "addressLocality")),
            "lat": lat,
            "lon": lon,
        }
        if place
        else None,
        "funding": funding,
        "topics": topics,
        "price": price,
        "currency": currency,
        "language": language,
    }
    return {
        "offer_iri": course_iri,
        "run_iri": run_iri,
        "source": source_id,
        "provider": partner_id,
        "search": f"{title}\n{title_en or ''}\n{description}".casefold(),
        "start_date": start_date,
        "end_date": end_date,
        "sort_key": start_date or NO_DATE,
        "kreis": kreis_iri,
        "kreis_ags": kreis_ags,
        "mode": mode,
        "mode_rollup": rollup,
        "price": price,
        "language": language.casefold() if language else None,
        "lat": lat,
        "lon": lon,
        "funding": funding,
        "topics": topics,
        "summary": summary,
    }


_EQF = "http://data.europa.eu/snb/eqf/"


def _labels_of(
    iris: list[str],
    labels: Labels,
    graph: Mapping[str, Mapping[str, list[Term]]],
    memo: dict[str, list[str]],
) -> str:
    """German and English labels of ``iris`` (vocabulary first, then the feed's own names).

    ``memo`` holds the labels per IRI for one source: the same topics, skills and modes recur
    in thousands of rows."""
    out: list[str] = []
    for iri in iris:
        texts = memo.get(iri)
        if texts is None:
            texts = []
            for lang in ("de", "en"):
                text = labels.label(iri, lang)
                if text and text not in texts:
                    texts.append(text)
            for name in graph.get(iri, {}).get(SCHEMA + "name", []):
                if isinstance(name, ox.Literal) and name.value not in texts:
                    texts.append(name.value)
            memo[iri] = texts
        for text in texts:
            if text not in out:
                out.append(text)
    return " ".join(out)


def _enrich(
    row: dict[str, Any],
    course: Mapping[str, list[Term]],
    run: Mapping[str, list[Term]],
    graph: Mapping[str, Mapping[str, list[Term]]],
    labels: Labels,
    gazetteer: Gazetteer | None,
    notations: Mapping[str, str],
    memo: dict[str, list[str]],
) -> None:
    """Add what search, facets, the distance filter and the lifecycle need to ``row``."""
    summary = row["summary"]

    def iris(holder: Mapping[str, list[Term]], local: str) -> list[str]:
        return [t.value for t in holder.get(SCHEMA + local, []) if isinstance(t, ox.NamedNode)]

    def literals(holder: Mapping[str, list[Term]], local: str) -> list[str]:
        return [t.value for t in holder.get(SCHEMA + local, []) if isinstance(t, ox.Literal)]

    eqf = next(
        (i[len(_EQF) :] for i in iris(course, "educationalLevel") if i.startswith(_EQF)), None
    )
    deadline = next(
        (
            t.value[:10]
            for t in run.get(BN + "registrationDeadline", [])
            if isinstance(t, ox.Literal)
        ),
        None,
    )
    funding_iris = sorted(
        set(iris(course, "financialAidEligible") + iris(run, "financialAidEligible"))
    )
    mode = summary["mode"]
    place = summary.get("place") or {}
    if place and (place.get("lat") is None or place.get("lon") is None) and gazetteer:
        found = None
        if place.get("postal_code"):
            found = gazetteer.by_postal_code(place["postal_code"])
        if found is None and place.get("locality"):
            found = gazetteer.by_name(place["locality"])
        if found is not None:
            row["lat"], row["lon"] = found.lat, found.lon
    kreis = summary.get("kreis") or {}
    summary["eqf"] = eqf
    summary["registration_deadline"] = deadline
    row["eqf"] = eqf
    row["provider_name"] = summary["provider"].get("name")
    row["mode_iri"] = mode.get("iri")
    row["funding_iris"] = {notations.get(i, last_segment(i)): i for i in funding_iris}
    row["text"] = {
        "title": " ".join([summary["title"] or "", summary.get("title_en") or ""]),
        "skills": " ".join(literals(course, "teaches"))
        + " "
        + _labels_of(iris(course, "teaches"), labels, graph, memo),
        "topics": _labels_of(
            summary["topics"]
            + funding_iris
            + ([mode["iri"]] if mode.get("iri") else [])
            + iris(course, "occupationalCategory")
            + iris(course, "educationalLevel"),
            labels,
            graph,
            memo,
        ),
        "provider": summary["provider"].get("name") or "",
        "place": " ".join(
            v
            for v in (
                place.get("name"),
                place.get("locality"),
                kreis.get("label"),
                labels.label(kreis["iri"], "en") if kreis.get("iri") else None,
            )
            if v
        ),
        "description": summary.get("description") or "",
    }
