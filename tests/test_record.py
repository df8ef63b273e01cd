"""Run records and feed state: written as RDF, read back the same."""

from __future__ import annotations

from datetime import UTC, datetime

import pyoxigraph as ox

from importers.record import (
    FeedState,
    RunRecord,
    load_state,
    problem_from_dict,
    problem_to_dict,
    read_runs,
    save_state,
    supply_counts,
    write_run,
)
from importers.validate import OfferReport, Problem
from registry.namespaces import REGISTRY_GRAPH, SCHEMA
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
    write_run(store, record, report=[], details=[{"iri": "https://a.example/k"}])
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
    assert supply_counts(data) == ({"https://a.example/kreis": 1}, {"https://a.example/topic": 1})
