"""Record stage: every harvest run as PROV-O in the registry graph, plus the per-feed state.

A run is a ``prov:Activity`` at ``https://w3id.org/bildungsnetz/harvest/{id}`` that
``prov:used`` the feed (a ``dcat:Dataset``), with times, HTTP facts, counts, changed offers and
an outcome. New ``bn:`` terms (for the ontology): class ``bn:HarvestRun`` (⊑ prov:Activity),
class ``bn:HarvestOutcome`` with the individuals in :data:`OUTCOMES`, class ``bn:SupplyCount``,
and the properties in :data:`PROPERTIES`.

Where the SHACL report and the per-feed state live: in two graphs per feed written by
:mod:`importers.state` (``…/harvest/report/{feed}``, ``…/harvest/state/{feed}``), not in the
registry graph, which stays small for the frequent partner and run queries. The newest
published run of a feed links the report graph (``bn:reportGraph``); a client can fetch it with
the Graph Store Protocol.

Retention (``[harvest] keep_run_details``, ``keep_runs_days``): the newest N runs per feed keep
everything; older runs keep their summary (times, outcome, counts, supply per Kreis and topic)
and lose offer lists and samples; runs older than the day limit go entirely, except each feed's
newest run and newest published run. The registry graph thus grows with the number of runs in
the window, not with the age of the registry.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pyoxigraph as ox

from registry.namespaces import BN, DCTERMS, HARVEST, PROV, RDF, REGISTRY_GRAPH, SCHEMA, XSD
from registry.store import Store

from .validate import OfferReport

__all__ = [
    "OUTCOMES",
    "PROPERTIES",
    "RunRecord",
    "apply_retention",
    "read_runs",
    "run_iri",
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
    "reportGraph": "the feed's report graph, linked from the run whose report it holds",
    "reportDetails": "per-offer problems as JSON, of a run that did not publish what it checked",
    "supply": "a bn:SupplyCount of the published offers",
    "kreis": "the Kreis a bn:SupplyCount counts",
    "topic": "the topic a bn:SupplyCount counts",
    "offerCount": "number of offers in a bn:SupplyCount",
    "detailsPruned": "true when retention removed the run's details",
    "offerState": "a published offer in the per-feed state graph",
    "offer": "the offer IRI of a state or report entry",
    "offerReport": "the offer's validation report as JSON",
    "shapesHash": "hash of the shapes the state's reports were made with",
    "stateToken": "changes with every save of a feed state (the harvester's cache key)",
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


def supply_counts(reports: Iterable[OfferReport]) -> tuple[dict[str, int], dict[str, int]]:
    """Offers per Kreis and per topic among ``reports`` (the published offers); an offer
    counts once per Kreis and topic. The facts come with each offer's validation report
    (:meth:`importers.validate.OfferReport.kreise`), so unchanged offers cost a dict update."""
    found = list(reports)
    # one counting pass per facet (Counter.update per report cost 10 µs each, per feed run)
    kreise = Counter(k for r in found for k in r.kreise)
    topics = Counter(t for r in found for t in r.topics)
    return dict(kreise), dict(topics)


# -- writing and reading runs -----------------------------------------------------------------
def write_run(
    store: Store,
    record: RunRecord,
    *,
    report_graph: str | None = None,
    details: Sequence[Mapping[str, object]] = (),
) -> None:
    """Add the run to the registry graph.

    ``report_graph`` is the feed's report graph when this run replaced it (a published run);
    the link moves from the feed's earlier runs to this one, since the graph now holds this
    run's report. ``details`` (per-offer problems) are stored on the run itself only when the
    run validated content it did not publish (a collapse-guarded feed): the partner must see
    why, and the feed state still describes the older content.
    """
    triples = record.triples(report_graph=report_graph)
    if details:
        blob = ox.Literal(json.dumps(list(details), ensure_ascii=False), datatype=_RDF_JSON)
        triples.append(ox.Triple(ox.NamedNode(record.iri), _bn("reportDetails"), blob))
    if report_graph:
        store.update(
            f"""DELETE WHERE {{ GRAPH <{REGISTRY_GRAPH}> {{
                  ?run <{BN}reportGraph> <{report_graph}> }} }}"""
        )
    store.add(REGISTRY_GRAPH, triples)


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


_DETAILS = " ".join(
    f"<{BN}{name}>"
    for name in (
        "offerAdded",
        "offerRemoved",
        "offerChanged",
        "offerRejected",
        "droppedSubject",
        "reportGraph",
        "reportDetails",
    )
)


def apply_retention(
    store: Store,
    feed_iri: str,
    *,
    keep: int,
    keep_days: int | None = None,
    now: datetime | None = None,
) -> int:
    """Bound what a feed's runs keep; returns how many runs were pruned or deleted.

    * The newest ``keep`` runs keep everything; older ones keep their summary (times,
      outcome, counts, supply per Kreis and topic) and lose offer lists, samples, details.
    * Runs that started more than ``keep_days`` days before ``now`` are deleted with their
      supply counts, except the feed's newest run and its newest published run (the supply
      now in the catalogue). History questions (cookbook question 10) reach back that far.
    """
    rows = _select(
        store,
        f"""SELECT ?run WHERE {{ GRAPH <{REGISTRY_GRAPH}> {{
              ?run <{PROV}used> <{feed_iri}> ; <{PROV}startedAtTime> ?t .
              FILTER NOT EXISTS {{ ?run <{BN}detailsPruned> true }} }} }}
            ORDER BY DESC(?t) OFFSET {max(0, int(keep))}""",
    )
    old = [row["run"].value for row in rows]
    for iri in old:
        store.update(
            f"""DELETE {{ GRAPH <{REGISTRY_GRAPH}> {{ <{iri}> ?p ?o }} }}
                WHERE {{ GRAPH <{REGISTRY_GRAPH}> {{ <{iri}> ?p ?o VALUES ?p {{ {_DETAILS} }} }} }};
                INSERT DATA {{ GRAPH <{REGISTRY_GRAPH}> {{ <{iri}> <{BN}detailsPruned> true }} }}"""
        )
    if keep_days is None or keep_days <= 0:
        return len(old)
    return len(old) + _delete_old_runs(store, feed_iri, keep_days, now)


def _delete_old_runs(store: Store, feed_iri: str, keep_days: int, now: datetime | None) -> int:
    cutoff = _time((now or datetime.now(UTC)) - timedelta(days=keep_days))
    rows = _select(
        store,
        f"""SELECT ?run WHERE {{ GRAPH <{REGISTRY_GRAPH}> {{
              ?run <{PROV}used> <{feed_iri}> ; <{PROV}startedAtTime> ?t .
              FILTER(?t < {cutoff})
              FILTER EXISTS {{ ?newer <{PROV}used> <{feed_iri}> ;
                                      <{PROV}startedAtTime> ?t2 . FILTER(?t2 > ?t) }}
              FILTER NOT EXISTS {{
                ?run <{BN}outcome> <{BN}Published> .
                FILTER NOT EXISTS {{ ?later <{PROV}used> <{feed_iri}> ;
                                           <{BN}outcome> <{BN}Published> ;
                                           <{PROV}startedAtTime> ?t3 . FILTER(?t3 > ?t) }} }}
            }} }}""",
    )
    runs = [row["run"].value for row in rows]
    doomed = " ".join(f"<{run}>" for run in runs)
    if doomed:
        store.update(
            f"""DELETE {{ GRAPH <{REGISTRY_GRAPH}> {{ ?run ?p ?o . ?s ?sp ?so }} }}
                WHERE {{ GRAPH <{REGISTRY_GRAPH}> {{ VALUES ?run {{ {doomed} }}
                  {{ ?run ?p ?o }} UNION {{ ?run <{BN}supply> ?s . ?s ?sp ?so }} }} }}"""
        )
    return len(runs)
