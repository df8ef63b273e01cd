"""Record stage: every harvest run as PROV-O in the registry graph, plus the per-feed state.

A run is a ``prov:Activity`` at ``https://w3id.org/bildungsnetz/harvest/{id}`` that
``prov:used`` the feed (a ``dcat:Dataset``), with times, HTTP facts, counts, changed offers and
an outcome. New ``bn:`` terms (for the ontology): class ``bn:HarvestRun`` (⊑ prov:Activity),
class ``bn:HarvestOutcome`` with the individuals in :data:`OUTCOMES`, class ``bn:SupplyCount``,
and the properties in :data:`PROPERTIES`.

Where the SHACL report lives: in a **per-run graph** ``…/harvest/{id}/report`` (linked by
``bn:reportGraph``), not in the registry graph. Why: a report can be thousands of triples with
blank nodes; in its own graph, retention drops it with one graph removal instead of a pattern
delete over the registry graph, the registry graph stays small for the frequent partner/run
queries, and a client can fetch one run's report with the Graph Store Protocol. The same graph
carries ``bn:reportDetails`` (JSON, the per-offer problems in German and English) for
``bildungsnetz report``.

Per-feed state (``…/harvest/state/{feed}``): the ETag/Last-Modified and content hash of the
last good fetch and each published offer's content hash with its report, so the next run can
ask conditionally and re-validate only changed offers. It is replaced only after a successful
load, so it always describes the published graph.

Retention (``[harvest] keep_run_details``): the newest N runs per feed keep everything; older
runs keep their summary (times, outcome, counts, supply per Kreis and topic) and lose offer
lists, samples and the report graph.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

import pyoxigraph as ox

from registry.namespaces import BN, DCTERMS, HARVEST, PROV, RDF, REGISTRY_GRAPH, SCHEMA, XSD
from registry.store import Store

from .validate import OfferReport, Problem

__all__ = [
    "OUTCOMES",
    "PROPERTIES",
    "FeedState",
    "RunRecord",
    "apply_retention",
    "load_state",
    "offer_details",
    "problem_from_dict",
    "problem_to_dict",
    "read_runs",
    "run_iri",
    "save_state",
    "state_graph",
    "supply_counts",
    "write_run",
]

#: outcome key → meaning; the IRI is ``bn:`` + the key
OUTCOMES: dict[str, str] = {
    "Published": "new content fetched, checked and published",
    "NotModified": "the server answered 304; nothing was parsed",
    "Unchanged": "the content hash equals the last good fetch; nothing was parsed",
    "FetchFailed": "the feed could not be fetched; the last good graph stays",
    "ParseFailed": "the feed could not be parsed; the last good graph stays",
    "EmptyFeed": "the feed holds no triples; the last good graph stays",
    "OwnershipRefused": "every triple describes another partner's subjects; last good graph stays",
    "CollapseGuarded": "no valid offer where the last good graph had many; it stays",
    "Failed": "an unexpected error (a bug, reported with its message); the last good graph stays",
}
#: outcomes in which the published graph was (re)confirmed from the feed
GOOD_OUTCOMES = frozenset({"Published", "NotModified", "Unchanged"})

PROPERTIES: dict[str, str] = {
    "outcome": "bn:HarvestOutcome of the run",
    "message": "why the run ended as it did (error text)",
    "httpStatus": "HTTP status of the final answer",
    "etag": "ETag of the answer",
    "lastModified": "Last-Modified of the answer",
    "contentHash": "sha256 of the fetched bytes (or of an offer's closure in the state graph)",
    "fetchAttempts": "requests made, retries included",
    "triplesFetched": "triples parsed from the feed",
    "triplesDropped": "triples dropped by the ownership check",
    "droppedSubject": "a sample subject outside the partner's namespaces",
    "triplesPublished": "triples in the source graph after the run",
    "triplesAdded": "triples the swap added",
    "triplesRemoved": "triples the swap removed",
    "offersPublished": "valid offers published",
    "offersRejected": "offers quarantined for core violations",
    "offersWithWarnings": "published offers with quality warnings",
    "offersRevalidated": "offers validated in this run (the others were unchanged)",
    "offerAdded": "offer IRI published now but not by the previous good run",
    "offerRemoved": "offer IRI published by the previous good run but not now",
    "offerChanged": "offer IRI whose content hash changed",
    "offerRejected": "offer IRI quarantined in this run",
    "reportGraph": "graph holding this run's SHACL report",
    "reportDetails": "per-offer problems as JSON",
    "supply": "a bn:SupplyCount of the published offers",
    "kreis": "the Kreis a bn:SupplyCount counts",
    "topic": "the topic a bn:SupplyCount counts",
    "offerCount": "number of offers in a bn:SupplyCount",
    "detailsPruned": "true when retention removed the run's details",
    "offerState": "a published offer in the per-feed state graph",
    "offer": "the offer IRI of a state or report entry",
    "offerReport": "the offer's validation report as JSON",
    "shapesHash": "hash of the shapes the state's reports were made with",
}

_XSD_INT = ox.NamedNode(XSD + "integer")
_XSD_DT = ox.NamedNode(XSD + "dateTime")
_XSD_BOOL = ox.NamedNode(XSD + "boolean")
_RDF_JSON = ox.NamedNode(RDF + "JSON")
_TYPE = ox.NamedNode(RDF + "type")
_COURSE = ox.NamedNode(SCHEMA + "Course")


def _bn(name: str) -> ox.NamedNode:
    return ox.NamedNode(BN + name)


def _select(store: Store, sparql: str) -> ox.QuerySolutions:
    result = store.query(sparql)
    if not isinstance(result, ox.QuerySolutions):
        raise TypeError("a SELECT query did not answer with solutions")
    return result


def run_iri(run_id: str) -> str:
    return HARVEST + run_id


def state_graph(feed_id: str) -> str:
    return f"{HARVEST}state/{feed_id}"


@dataclass
class RunRecord:
    """One harvest run of one feed, as the pipeline saw it."""

    run_id: str
    feed_id: str
    feed_iri: str
    partner_id: str
    started: datetime
    ended: datetime
    outcome: str
    message: str | None = None
    http_status: int | None = None
    etag: str | None = None
    last_modified: str | None = None
    content_hash: str | None = None
    attempts: int = 0
    triples_fetched: int = 0
    triples_dropped: int = 0
    dropped_sample: list[str] = field(default_factory=list)
    triples_published: int = 0
    triples_added: int = 0
    triples_removed: int = 0
    offers_published: int = 0
    offers_rejected: int = 0
    offers_with_warnings: int = 0
    offers_revalidated: int = 0
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    by_kreis: dict[str, int] = field(default_factory=dict)
    by_topic: dict[str, int] = field(default_factory=dict)

    @property
    def iri(self) -> str:
        return run_iri(self.run_id)

    @property
    def kept_last_good(self) -> bool:
        return self.outcome not in GOOD_OUTCOMES

    def triples(self, *, report_graph: str | None) -> list[ox.Triple]:
        """The run as PROV-O/``bn:`` triples for the registry graph (no blank nodes)."""
        run = ox.NamedNode(self.iri)
        out: list[ox.Triple] = []

        def add(p: ox.NamedNode, o: ox.NamedNode | ox.Literal) -> None:
            out.append(ox.Triple(run, p, o))

        def num(name: str, value: int) -> None:
            add(_bn(name), ox.Literal(str(value), datatype=_XSD_INT))

        add(_TYPE, ox.NamedNode(PROV + "Activity"))
        add(_TYPE, _bn("HarvestRun"))
        add(ox.NamedNode(PROV + "used"), ox.NamedNode(self.feed_iri))
        add(ox.NamedNode(DCTERMS + "identifier"), ox.Literal(self.run_id))
        add(ox.NamedNode(PROV + "startedAtTime"), _time(self.started))
        add(ox.NamedNode(PROV + "endedAtTime"), _time(self.ended))
        add(_bn("outcome"), _bn(self.outcome))
        for name, text in (
            ("message", self.message),
            ("etag", self.etag),
            ("lastModified", self.last_modified),
            ("contentHash", self.content_hash),
        ):
            if text:
                add(_bn(name), ox.Literal(text))
        if self.http_status is not None:
            num("httpStatus", self.http_status)
        for name, value in (
            ("fetchAttempts", self.attempts),
            ("triplesFetched", self.triples_fetched),
            ("triplesDropped", self.triples_dropped),
            ("triplesPublished", self.triples_published),
            ("triplesAdded", self.triples_added),
            ("triplesRemoved", self.triples_removed),
            ("offersPublished", self.offers_published),
            ("offersRejected", self.offers_rejected),
            ("offersWithWarnings", self.offers_with_warnings),
            ("offersRevalidated", self.offers_revalidated),
        ):
            num(name, value)
        for name, iris in (
            ("offerAdded", self.added),
            ("offerRemoved", self.removed),
            ("offerChanged", self.changed),
            ("offerRejected", self.rejected),
        ):
            for iri in iris:
                add(_bn(name), ox.NamedNode(iri))
        for subject in self.dropped_sample:
            add(_bn("droppedSubject"), ox.Literal(subject))
        if report_graph:
            add(_bn("reportGraph"), ox.NamedNode(report_graph))
        for kind, counts in (("kreis", self.by_kreis), ("topic", self.by_topic)):
            for n, (iri, count) in enumerate(sorted(counts.items())):
                node = ox.NamedNode(f"{self.iri}#{kind}-{n}")
                add(_bn("supply"), node)
                out += [
                    ox.Triple(node, _TYPE, _bn("SupplyCount")),
                    ox.Triple(node, _bn(kind), ox.NamedNode(iri)),
                    ox.Triple(node, _bn("offerCount"), ox.Literal(str(count), datatype=_XSD_INT)),
                ]
        return out


def _time(value: datetime) -> ox.Literal:
    return ox.Literal(value.isoformat().replace("+00:00", "Z"), datatype=_XSD_DT)


def supply_counts(triples: Iterable[ox.Triple]) -> tuple[dict[str, int], dict[str, int]]:
    """Offers per Kreis (via run → place → ``schema:containedInPlace``) and per topic
    (``schema:about``) in ``triples``; an offer counts once per Kreis and per topic."""
    by_subject: dict[object, list[ox.Triple]] = {}
    courses: list[object] = []
    for t in triples:
        by_subject.setdefault(t.subject, []).append(t)
        if t.predicate == _TYPE and t.object == _COURSE:
            courses.append(t.subject)

    def values(node: object, prop: str) -> list[object]:
        p = ox.NamedNode(SCHEMA + prop)
        return [t.object for t in by_subject.get(node, ()) if t.predicate == p]

    kreise: dict[str, int] = {}
    topics: dict[str, int] = {}
    for course in courses:
        found_kreise: set[str] = set()
        for run in values(course, "hasCourseInstance"):
            for place in values(run, "location"):
                for kreis in values(place, "containedInPlace"):
                    if isinstance(kreis, ox.NamedNode):
                        found_kreise.add(kreis.value)
        for kreis in found_kreise:
            kreise[kreis] = kreise.get(kreis, 0) + 1
        for topic in {t.value for t in values(course, "about") if isinstance(t, ox.NamedNode)}:
            topics[topic] = topics.get(topic, 0) + 1
    return kreise, topics


# -- problems and offer reports as JSON ------------------------------------------------------
def problem_to_dict(problem: Problem) -> dict[str, object]:
    """A problem as JSON-ready data; RDF-term fields (``*_term``) as N-Triples (``*_nt``)."""
    data: dict[str, object] = {}
    for f in fields(problem):
        value = getattr(problem, f.name)
        if f.name.endswith("_term"):
            data[f.name.removesuffix("_term") + "_nt"] = str(value) if value is not None else None
        else:  # str, None or a dict of str (messages, labels): a shallow copy is a deep one
            data[f.name] = dict(value) if isinstance(value, dict) else value
    return data


def _term(text: object) -> ox.NamedNode | ox.BlankNode | ox.Literal | None:
    if not isinstance(text, str) or not text:
        return None
    try:
        quad = next(iter(ox.parse(f"<urn:s> <urn:p> {text} .".encode(), ox.RdfFormat.N_TRIPLES)))
    except SyntaxError:
        return None
    obj = quad.object
    return obj if isinstance(obj, ox.NamedNode | ox.BlankNode | ox.Literal) else None


def problem_from_dict(data: Mapping[str, Any]) -> Problem:
    known = {f.name for f in fields(Problem)}
    values: dict[str, Any] = {}
    for key, value in data.items():
        if key.endswith("_nt") and key.removesuffix("_nt") + "_term" in known:
            values[key.removesuffix("_nt") + "_term"] = _term(value)
        elif key in known:
            values[key] = value
    return Problem(**values)


def offer_details(reports: Iterable[OfferReport]) -> list[dict[str, object]]:
    """Per offer with problems: IRI, name, conforms and problems, for the report command."""
    return [
        {
            "iri": r.iri,
            "name": r.name,
            "conforms": r.conforms,
            "problems": [problem_to_dict(p) for p in r.problems],
        }
        for r in sorted(reports, key=lambda r: r.iri)
        if r.problems
    ]


# -- writing and reading runs -----------------------------------------------------------------
def write_run(
    store: Store,
    record: RunRecord,
    *,
    report: Sequence[ox.Triple] = (),
    details: Sequence[Mapping[str, object]] = (),
) -> None:
    """Add the run to the registry graph and its report to a per-run graph."""
    graph: str | None = None
    if report or details:
        graph = record.iri + "/report"
        extra = [
            ox.Triple(
                ox.NamedNode(record.iri),
                _bn("reportDetails"),
                ox.Literal(json.dumps(list(details), ensure_ascii=False), datatype=_RDF_JSON),
            )
        ]
        store.replace_graph(graph, [*report, *extra])
    store.add(REGISTRY_GRAPH, record.triples(report_graph=graph))


def read_runs(store: Store, feed_iri: str, *, limit: int = 1) -> list[dict[str, Any]]:
    """The newest ``limit`` runs of a feed as plain dicts (property local name → values)."""
    rows = _select(
        store,
        f"""SELECT ?run WHERE {{ GRAPH <{REGISTRY_GRAPH}> {{
              ?run <{PROV}used> <{feed_iri}> ; <{PROV}startedAtTime> ?t }} }}
            ORDER BY DESC(?t) LIMIT {int(limit)}""",
    )
    runs: list[dict[str, Any]] = []
    for row in rows:
        runs.append(_read_run(store, row["run"].value))
    return runs


def _read_run(store: Store, iri: str) -> dict[str, Any]:
    data: dict[str, Any] = {"iri": iri}
    lists = {"offerAdded", "offerRemoved", "offerChanged", "offerRejected", "droppedSubject"}
    for row in _select(store, f"SELECT ?p ?o WHERE {{ GRAPH ?g {{ <{iri}> ?p ?o }} }}"):
        p, o = row["p"].value, row["o"]
        name = p.rsplit("#", 1)[-1].rsplit("/", 1)[-1]
        if isinstance(o, ox.Literal):
            if o.datatype == _XSD_INT:
                value: Any = int(o.value)
            elif o.datatype == _RDF_JSON:
                value = json.loads(o.value)
            else:
                value = o.value
        else:
            value = o.value.removeprefix(BN) if name == "outcome" else o.value
        if name in lists:
            data.setdefault(name, [])
            data[name].append(value)
        elif name == "supply":
            continue
        elif name != "type":
            data[name] = value
    for key in lists:
        if isinstance(data.get(key), list):
            data[key] = sorted(data[key])
    data["supplyByKreis"], data["supplyByTopic"] = _read_supply(store, iri)
    return data


def _read_supply(store: Store, iri: str) -> tuple[dict[str, int], dict[str, int]]:
    kreise: dict[str, int] = {}
    topics: dict[str, int] = {}
    for row in _select(
        store,
        f"""SELECT ?k ?t ?n WHERE {{ GRAPH <{REGISTRY_GRAPH}> {{
              <{iri}> <{BN}supply> ?s . ?s <{BN}offerCount> ?n .
              OPTIONAL {{ ?s <{BN}kreis> ?k }} OPTIONAL {{ ?s <{BN}topic> ?t }} }} }}""",
    ):
        n = int(row["n"].value)
        if row["k"] is not None:
            kreise[row["k"].value] = n
        if row["t"] is not None:
            topics[row["t"].value] = n
    return kreise, topics


def apply_retention(store: Store, feed_iri: str, *, keep: int) -> int:
    """Prune details of all but the newest ``keep`` runs of a feed; returns how many."""
    rows = _select(
        store,
        f"""SELECT ?run WHERE {{ GRAPH <{REGISTRY_GRAPH}> {{
              ?run <{PROV}used> <{feed_iri}> ; <{PROV}startedAtTime> ?t .
              FILTER NOT EXISTS {{ ?run <{BN}detailsPruned> true }} }} }}
            ORDER BY DESC(?t) OFFSET {max(0, int(keep))}""",
    )
    old = [row["run"].value for row in rows]
    detail = " ".join(
        f"<{BN}{name}>"
        for name in (
            "offerAdded",
            "offerRemoved",
            "offerChanged",
            "offerRejected",
            "droppedSubject",
            "reportGraph",
        )
    )
    for iri in old:
        store.remove_graph(iri + "/report")
        store.update(
            f"""DELETE {{ GRAPH <{REGISTRY_GRAPH}> {{ <{iri}> ?p ?o }} }}
                INSERT {{ GRAPH <{REGISTRY_GRAPH}> {{ <{iri}> <{BN}detailsPruned> true }} }}
                WHERE {{ GRAPH <{REGISTRY_GRAPH}> {{ <{iri}> ?p ?o VALUES ?p {{ {detail} }} }} }}"""
        )
        store.update(
            f"INSERT DATA {{ GRAPH <{REGISTRY_GRAPH}> {{ <{iri}> <{BN}detailsPruned> true }} }}"
        )
    return len(old)


# -- per-feed state -----------------------------------------------------------------------------
@dataclass
class FeedState:
    """What the last good run of a feed left: conditional-GET keys and per-offer reports."""

    etag: str | None = None
    last_modified: str | None = None
    content_hash: str | None = None
    shapes_hash: str | None = None
    offers: dict[str, OfferReport] = field(default_factory=dict)
    #: offer IRIs published (valid), for the collapse guard and the change lists
    published: frozenset[str] = frozenset()


def save_state(store: Store, feed_id: str, state: FeedState) -> None:
    graph = state_graph(feed_id)
    node = ox.NamedNode(graph)
    triples = [ox.Triple(node, _TYPE, _bn("FeedState"))]
    for name, text in (
        ("etag", state.etag),
        ("lastModified", state.last_modified),
        ("contentHash", state.content_hash),
        ("shapesHash", state.shapes_hash),
    ):
        if text:
            triples.append(ox.Triple(node, _bn(name), ox.Literal(text)))
    for n, iri in enumerate(sorted(state.offers)):
        report = state.offers[iri]
        entry = ox.NamedNode(f"{graph}#offer-{n}")
        blob = {
            "name": report.name,
            "content_hash": report.content_hash,
            "problems": [problem_to_dict(p) for p in report.problems],
            "published": iri in state.published,
        }
        triples += [
            ox.Triple(node, _bn("offerState"), entry),
            ox.Triple(entry, _bn("offer"), ox.NamedNode(iri)),
            ox.Triple(entry, _bn("contentHash"), ox.Literal(report.content_hash)),
            ox.Triple(entry, _bn("offerReport"), ox.Literal(json.dumps(blob), datatype=_RDF_JSON)),
        ]
    store.replace_graph(graph, triples)


_STATE_FIELDS = {
    "etag": "etag",
    "lastModified": "last_modified",
    "contentHash": "content_hash",
    "shapesHash": "shapes_hash",
}


def load_state(store: Store, feed_id: str) -> FeedState:
    graph = state_graph(feed_id)
    state = FeedState()
    published: set[str] = set()
    rows = list(store.triples(graph))
    offer_of = {
        t.subject: t.object.value
        for t in rows
        if t.predicate == _bn("offer") and isinstance(t.object, ox.NamedNode)
    }
    for t in rows:
        p = t.predicate.value.removeprefix(BN)
        if t.subject == ox.NamedNode(graph) and isinstance(t.object, ox.Literal):
            attr = _STATE_FIELDS.get(p)
            if attr:
                setattr(state, attr, t.object.value)
        elif p == "offerReport" and t.subject in offer_of and isinstance(t.object, ox.Literal):
            offer = offer_of[t.subject]
            blob = json.loads(t.object.value)
            state.offers[offer] = OfferReport(
                iri=offer,
                name=blob.get("name"),
                content_hash=blob["content_hash"],
                problems=[problem_from_dict(d) for d in blob.get("problems", [])],
            )
            if blob.get("published"):
                published.add(offer)
    state.published = frozenset(published)
    return state
