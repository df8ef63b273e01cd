"""Run records, feed state and feed report: written as RDF, read back the same."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyoxigraph as ox
import rdflib

from importers.record import RunRecord, apply_retention, read_runs, supply_counts, write_run
from importers.state import (
    FeedState,
    load_state,
    problem_from_dict,
    problem_to_dict,
    report_graph,
    save_report,
    save_state,
    state_graph,
)
from importers.validate import OfferReport, Problem, ValidationResult, Validator
from registry.namespaces import REGISTRY_GRAPH, SCHEMA, SH
from registry.store import OxigraphStore

FEED = "https://w3id.org/bildungsnetz/source/a"


def problem() -> Problem:
    return Problem(
        offer="https://a.example/k",
        focus="https://a.example/k",
        path=SCHEMA + "name",
        value="x",
        severity="Violation",
        component="http://www.w3.org/ns/shacl#MaxCountConstraintComponent",
        shape="https://w3id.org/bildungsnetz/shapes/core#Name",
        messages={"de": "Ein Name", "en": "One name"},
        value_term=ox.Literal("x", language="de"),
        focus_term=ox.NamedNode("https://a.example/k"),
    )


def test_problem_json_round_trip() -> None:
    p = problem()
    back = problem_from_dict(problem_to_dict(p))
    assert back == p and back.value_term == p.value_term and back.focus_term == p.focus_term


def test_state_round_trip() -> None:
    store = OxigraphStore(None)
    report = OfferReport("https://a.example/k", "Kurs", "abc", [problem()])
    state = FeedState(
        etag='"1"',
        last_modified="Mon",
        content_hash="sha256:x",
        shapes_hash="s",
        offers={
            report.iri: report,
            "https://a.example/j": OfferReport("https://a.example/j", None, "d"),
        },
        published=frozenset({"https://a.example/j"}),
    )
    save_state(store, "a", state)
    back = load_state(store, "a")
    assert (back.etag, back.last_modified, back.content_hash, back.shapes_hash) == (
        '"1"',
        "Mon",
        "sha256:x",
        "s",
    )
    assert back.offers == state.offers and back.published == state.published
    assert load_state(store, "never").offers == {}


def test_run_record_round_trip() -> None:
    store = OxigraphStore(None)
    t0 = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
    record = RunRecord(
        run_id="a-1",
        feed_id="a",
        feed_iri=FEED,
        partner_id="a",
        started=t0,
        ended=t0,
        outcome="Published",
        http_status=200,
        etag='"e"',
        added=["https://a.example/k"],
        offers_published=1,
        by_kreis={"https://k.example/1": 1},
    )
    write_run(store, record, details=[{"iri": "https://a.example/k"}])
    run = read_runs(store, FEED)[0]
    assert run["outcome"] == "Published" and run["httpStatus"] == 200 and run["etag"] == '"e"'
    assert run["offerAdded"] == ["https://a.example/k"] and run["offersPublished"] == 1
    assert run["supplyByKreis"] == {"https://k.example/1": 1}
    assert run["reportDetails"] == [{"iri": "https://a.example/k"}]
    assert not any(isinstance(t.subject, ox.BlankNode) for t in store.triples(REGISTRY_GRAPH))


def test_supply_counts_count_each_offer_once() -> None:
    def n(x: str) -> ox.NamedNode:
        return ox.NamedNode("https://a.example/" + x)

    def s(x: str) -> ox.NamedNode:
        return ox.NamedNode(SCHEMA + x)

    rdf_type = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
    data = [
        ox.Triple(n("k"), rdf_type, s("Course")),
        ox.Triple(n("k"), s("about"), n("topic")),
        ox.Triple(n("k"), s("hasCourseInstance"), n("r1")),
        ox.Triple(n("k"), s("hasCourseInstance"), n("r2")),
        ox.Triple(n("r1"), s("location"), n("p")),
        ox.Triple(n("r2"), s("location"), n("p")),
        ox.Triple(n("p"), s("containedInPlace"), n("kreis")),
    ]
    report = Validator().validate(data).offers["https://a.example/k"]
    # two runs at one place: the offer counts once for its Kreis
    assert report.kreise == ("https://a.example/kreis",)
    assert report.topics == ("https://a.example/topic",)
    other = OfferReport("https://a.example/j", None, "h", kreise=("https://a.example/kreis",))
    counts = supply_counts([report, other])
    assert counts == ({"https://a.example/kreis": 2}, {"https://a.example/topic": 1})
    # the facts survive the feed state, so unchanged offers keep counting after a restart
    store = OxigraphStore(None)
    save_state(store, "a", FeedState(offers={report.iri: report}))
    back = load_state(store, "a").offers[report.iri]
    assert (back.kreise, back.topics) == (report.kreise, report.topics)


def test_state_writes_only_what_changed(tmp_path: Path) -> None:
    """Entries are named after their offer: changing one offer rewrites its lines only."""
    store = OxigraphStore(tmp_path / "s")
    offers = {
        f"https://a.example/k{n}": OfferReport(f"https://a.example/k{n}", f"Kurs {n}", f"h{n}")
        for n in range(50)
    }
    first = save_state(store, "a", FeedState(offers=dict(offers), published=frozenset(offers)))
    assert first.added > 150
    offers["https://a.example/k7"] = OfferReport("https://a.example/k7", "Kurs 7", "changed")
    delta = save_state(store, "a", FeedState(offers=dict(offers), published=frozenset(offers)))
    # the changed entry's content hash and JSON report: two lines out, two in
    assert (delta.added, delta.removed) == (2, 2)
    assert load_state(store, "a").offers["https://a.example/k7"].content_hash == "changed"
    assert state_graph("a") in store.named_graphs()


def test_feed_report_is_a_valid_shacl_report_and_diffs_per_offer() -> None:
    store = OxigraphStore(None)
    warn = problem()
    warn.severity = "Warning"
    reports = {
        "https://a.example/k": OfferReport("https://a.example/k", "Kurs", "h", [problem()]),
        "https://a.example/j": OfferReport("https://a.example/j", "Kurs", "h2", [warn]),
    }
    graph = save_report(store, "a", ValidationResult(offers=dict(reports)))
    assert graph == report_graph("a")
    data = store.dump(ox.RdfFormat.N_TRIPLES, graph=graph).decode()
    g = rdflib.Graph().parse(data=data, format="nt")
    answer = g.query(
        "ASK { ?r a sh:ValidationReport ; sh:conforms false ; sh:result ?x . "
        "?x sh:resultSeverity sh:Violation ; sh:focusNode <https://a.example/k> ; "
        "sh:resultMessage 'One name'@en, 'Ein Name'@de ; sh:value 'x'@de }",
        initNs={"sh": rdflib.Namespace("http://www.w3.org/ns/shacl#")},
    )
    assert answer.askAnswer
    assert len(list(g.subjects(rdflib.RDF.type, rdflib.URIRef(SH + "ValidationResult")))) == 2
    assert not any(isinstance(n, rdflib.BNode) for t in g for n in t)
    # one offer gone: only its result lines leave the graph
    del reports["https://a.example/j"]
    before = len(g)
    save_report(store, "a", ValidationResult(offers=dict(reports)))
    after = list(store.triples(graph))
    assert before - len(after) >= 6
    assert all("/j" not in str(t) for t in after)


def test_report_of_a_clean_feed_conforms() -> None:
    store = OxigraphStore(None)
    graph = save_report(store, "a", ValidationResult(offers={}))
    data = store.dump(ox.RdfFormat.N_TRIPLES, graph=graph).decode()
    g = rdflib.Graph().parse(data=data, format="nt")
    assert (None, rdflib.URIRef(SH + "conforms"), rdflib.Literal(True)) in g
    assert not list(g.objects(None, rdflib.URIRef(SH + "result")))


def _run(n: int, when: datetime, outcome: str = "Published") -> RunRecord:
    return RunRecord(
        run_id=f"a-{n}",
        feed_id="a",
        feed_iri=FEED,
        partner_id="a",
        started=when,
        ended=when,
        outcome=outcome,
        by_kreis={"https://k.example/1": n},
        added=[f"https://a.example/k{n}"],
    )


def test_retention_bounds_the_runs_kept() -> None:
    store = OxigraphStore(None)
    now = datetime(2026, 11, 21, tzinfo=UTC)
    runs = [
        _run(0, now - timedelta(days=900)),
        _run(1, now - timedelta(days=800), "Published"),
        _run(2, now - timedelta(days=760), "NotModified"),
        _run(3, now - timedelta(days=10), "FetchFailed"),
        _run(4, now - timedelta(days=1), "NotModified"),
    ]
    for record in runs:
        write_run(store, record)
    changed = apply_retention(store, FEED, keep=2, keep_days=365, now=now)
    left = {r["identifier"]: r for r in read_runs(store, FEED, limit=10)}
    # runs 0 and 2 are gone; run 1 stays as the newest published run, pruned to its summary
    assert sorted(left) == ["a-1", "a-3", "a-4"]
    assert changed == 3 + 2  # three pruned (1, 2, 0 before deletion), two deleted
    assert left["a-1"].get("detailsPruned") and "offerAdded" not in left["a-1"]
    assert left["a-1"]["supplyByKreis"] == {"https://k.example/1": 1}
    assert left["a-4"]["offerAdded"] == ["https://a.example/k4"]
    # nothing of the deleted runs stays behind, supply counts included
    leftovers = [t for t in store.triples(REGISTRY_GRAPH) if "/a-0" in str(t) or "/a-2" in str(t)]
    assert leftovers == []


def test_retention_keeps_everything_without_a_day_limit() -> None:
    store = OxigraphStore(None)
    now = datetime(2026, 11, 21, tzinfo=UTC)
    for n in range(3):
        write_run(store, _run(n, now - timedelta(days=3000 - n)))
    apply_retention(store, FEED, keep=1, keep_days=0, now=now)
    assert len(read_runs(store, FEED, limit=10)) == 3


def test_delta_writes_equal_whole_writes() -> None:
    """State and report written as per-offer changes hold what a whole rewrite holds."""
    rng = random.Random(7)
    by_delta, by_whole = OxigraphStore(None), OxigraphStore(None)
    reports = {
        f"https://a.example/k{n}": OfferReport(f"https://a.example/k{n}", "Kurs", f"h{n}")
        for n in range(30)
    }
    previous: FeedState | None = None
    for round_ in range(5):
        reports = dict(reports)
        for iri in rng.sample(sorted(reports), 4):  # changed offers: new report objects
            warn = problem()
            warn.severity = rng.choice(["Warning", "Violation"])
            warn.offer = warn.focus = iri
            warn.focus_term = ox.NamedNode(iri)
            reports[iri] = OfferReport(iri, "Kurs", f"h{round_}-{iri}", [warn])
        reports.pop(rng.choice(sorted(reports)))  # one offer gone
        published = frozenset(i for i, r in reports.items() if r.conforms)
        state = FeedState(etag=f'"{round_}"', offers=dict(reports), published=published)
        result = ValidationResult(offers=dict(reports))
        save_report(by_delta, "a", result, state=state, previous=previous)
        save_state(by_delta, "a", state, previous=previous)
        save_report(by_whole, "a", result)
        save_state(
            by_whole, "a", FeedState(etag=state.etag, offers=state.offers, published=published)
        )
        for graph in (state_graph("a"), report_graph("a")):
            assert set(by_delta.triples(graph)) == set(by_whole.triples(graph)), (round_, graph)
        previous = state
    assert load_state(by_delta, "a").offers.keys() == reports.keys()
