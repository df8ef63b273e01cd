"""Per-offer validation: closures, attribution, reuse, messages, report graph."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from importers.normalise import normalise
from importers.parse import read_path
from importers.validate import Validator
from registry.resources import shapes_dir

DATA = Path(__file__).parent / "data" / "validate"
EX = "https://anbieter.example/"


@pytest.fixture(scope="module")
def validator() -> Validator:
    """A Validator on the small test shapes in tests/data/validate."""
    return Validator(DATA)


@pytest.fixture(scope="module")
def feed_triples() -> list[ox.Triple]:
    return normalise(read_path(DATA / "feed.ttl"), source_id="t")


def test_each_course_gets_a_report(validator: Validator, feed_triples: list[ox.Triple]) -> None:
    result = validator.validate(feed_triples)
    assert set(result.offers) == {EX + "good", EX + "bad", EX + "warn"}
    assert result.offers[EX + "good"].problems == []
    assert result.offers[EX + "good"].name == "Gut"
    assert result.offers[EX + "warn"].conforms  # warnings never block
    assert {p.severity for p in result.offers[EX + "warn"].problems} == {"Warning"}
    assert not result.offers[EX + "bad"].conforms
    assert not result.conforms


def test_problems_are_attributed_through_the_closure(
    validator: Validator, feed_triples: list[ox.Triple]
) -> None:
    bad = validator.validate(feed_triples).offers[EX + "bad"]
    by_component = {(p.focus, p.component.rsplit("#", 1)[1]): p for p in bad.problems}
    provider = by_component[(EX + "org2", "MinCountConstraintComponent")]
    assert provider.offer == EX + "bad"
    mode = next(p for p in bad.problems if p.component.endswith("InConstraintComponent"))
    assert mode.value == "fernunterricht"
    assert mode.focus.startswith("https://w3id.org/bildungsnetz/genid/t/")
    assert mode.path == "https://schema.org/courseMode"
    # a blank property shape is named by the node shape holding it; labels come from sh:name
    assert mode.shape == "https://w3id.org/bildungsnetz/shapes/test#Run"
    assert mode.label("en") == "Mode"
    assert mode.messages == {
        "de": "Die Unterrichtsform ist nicht aus der Liste.",
        "en": "The course mode is not from the list.",
    }


def test_message_fallbacks(validator: Validator, feed_triples: list[ox.Triple]) -> None:
    problems = validator.validate(feed_triples).offers[EX + "bad"].problems
    only_en = next(p for p in problems if p.focus == EX + "org2")
    assert only_en.messages["de"] == only_en.messages["en"] == "The provider needs a name."
    no_message = Validator(DATA).validate(
        normalise(
            [
                q.triple
                for q in ox.parse(
                    b"<https://a.example/k> a <https://schema.org/Course> ; "
                    b'<https://schema.org/name> "x" ; '
                    b"<https://schema.org/provider> <https://a.example/o> .",
                    ox.RdfFormat.TURTLE,
                )
            ],
            source_id="t",
        )
    )
    run = next(
        p
        for p in no_message.offers["https://a.example/k"].problems
        if p.path == "https://schema.org/hasCourseInstance"
    )
    assert run.messages["de"] and run.messages["de"] == run.messages["en"]  # pySHACL's own text
    assert run.label("de") == "Durchführung"


def test_focus_outside_every_offer_goes_to_other_problems(
    validator: Validator, feed_triples: list[ox.Triple]
) -> None:
    result = validator.validate(feed_triples)
    assert [(p.focus, p.value, p.offer) for p in result.other_problems] == [
        (EX + "orphan", "brieftaube", None)
    ]


def test_quality_shapes_are_warnings_by_file(
    validator: Validator, feed_triples: list[ox.Triple]
) -> None:
    warn = validator.validate(feed_triples).offers[EX + "warn"].problems
    assert [p.shape for p in warn] == [
        "https://w3id.org/bildungsnetz/shapes/test-quality#CourseDescription"
    ]


@pytest.mark.parametrize("batch_size", [1, 2, 100])
def test_batching_does_not_change_the_result(
    feed_triples: list[ox.Triple], batch_size: int
) -> None:
    reference = Validator(DATA, batch_size=1000).validate(feed_triples)
    result = Validator(DATA, batch_size=batch_size).validate(feed_triples)
    assert result.offers == reference.offers
    assert result.other_problems == reference.other_problems


def test_unchanged_offers_reuse_the_previous_report(
    validator: Validator, feed_triples: list[ox.Triple]
) -> None:
    first = validator.validate(feed_triples)
    marker = first.offers[EX + "good"]
    changed = [
        t
        for t in feed_triples
        if not (t.subject == ox.NamedNode(EX + "bad") and t.predicate.value.endswith("provider"))
    ]
    second = validator.validate(changed, previous=first.offers)
    assert second.offers[EX + "good"] is marker
    assert second.reused == 2  # good and warn; bad changed
    assert second.offers[EX + "bad"] is not first.offers[EX + "bad"]
    assert any(p.path == "https://schema.org/provider" for p in second.offers[EX + "bad"].problems)


def test_offer_closure_stops_at_other_courses(validator: Validator) -> None:
    triples = [
        q.triple
        for q in ox.parse(
            b"""@prefix s: <https://schema.org/> .
        <https://a.example/k1> a s:Course ; s:hasPart <https://a.example/k2> ;
            s:provider <https://a.example/o> .
        <https://a.example/k2> a s:Course ; s:name "zwei" .
        <https://a.example/o> s:name "Org" ; s:address <https://a.example/adr> .
        <https://a.example/adr> s:postalCode "1" .""",
            ox.RdfFormat.TURTLE,
        )
    ]
    closure, digest = validator.offer_closure(triples, "https://a.example/k1")
    subjects = {t.subject.value for t in closure}
    assert subjects == {"https://a.example/k1", "https://a.example/o", "https://a.example/adr"}
    _again, digest2 = validator.offer_closure(list(reversed(triples)), "https://a.example/k1")
    assert digest == digest2 and len(digest) == 64


def test_report_graph_is_a_shacl_report(
    validator: Validator, feed_triples: list[ox.Triple]
) -> None:
    result = validator.validate(feed_triples)
    store = ox.Store()
    store.extend([ox.Quad(t.subject, t.predicate, t.object) for t in result.report_graph()])
    rows = list(
        store.query(
            "PREFIX sh: <http://www.w3.org/ns/shacl#> SELECT ?conforms (COUNT(?r) AS ?n) "
            "WHERE { ?rep a sh:ValidationReport ; sh:conforms ?conforms ; sh:result ?r } "
            "GROUP BY ?conforms"
        )
    )
    assert rows[0]["conforms"].value == "false"
    assert int(rows[0]["n"].value) == len(result.problems())
    values = {
        s["v"].value
        for s in store.query(
            "PREFIX sh: <http://www.w3.org/ns/shacl#> SELECT ?v WHERE { ?r sh:value ?v }"
        )
    }
    assert values == {"fernunterricht", "brieftaube"}


CORE = shapes_dir() / "core.ttl"


@pytest.mark.skipif(not CORE.exists(), reason="shapes/core.ttl not written yet")
def test_against_the_project_shapes() -> None:
    validator = Validator()
    good = normalise(read_path(DATA / "good-core.ttl"), source_id="t")
    result = validator.validate(good)
    offer = result.offers["https://anbieter.example/kurs/cnc"]
    assert offer.conforms, [p.messages["en"] for p in offer.violations]
    broken = [t for t in good if t.predicate.value != "https://schema.org/courseMode"]
    report = validator.validate(broken).offers["https://anbieter.example/kurs/cnc"]
    assert not report.conforms
    assert all(p.messages["de"] and p.messages["en"] for p in report.problems)
    assert all(p.shape.startswith("https://w3id.org/bildungsnetz/shapes/") for p in report.problems)


def test_literal_focus_nodes_are_attributed(tmp_path: Path) -> None:
    (tmp_path / "core.ttl").write_text(
        "@prefix sh: <http://www.w3.org/ns/shacl#> .\n"
        "<https://w3id.org/bildungsnetz/shapes/test#Code> a sh:NodeShape ;\n"
        '  sh:targetObjectsOf <https://schema.org/courseCode> ; sh:pattern "^[A-Z]+$" .\n'
    )
    data = (
        b"<https://a.example/k> a <https://schema.org/Course> ; "
        b'<https://schema.org/courseCode> "abc" .'
    )
    triples = [q.triple for q in ox.parse(data, ox.RdfFormat.TURTLE)]
    result = Validator(tmp_path).validate(triples)
    (problem,) = result.offers["https://a.example/k"].problems
    assert problem.focus == '"abc"' and problem.value == "abc"
    assert any(t.object == ox.Literal("abc") for t in result.report_graph())
