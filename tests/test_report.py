"""Rendering of validation results: text (de/en), JSON keys, SHACL Turtle."""

from __future__ import annotations

import json
from pathlib import Path

import pyoxigraph as ox
import pytest

from importers.normalise import normalise
from importers.parse import read_path
from importers.validate import ValidationResult, Validator
from registry.report import render_json, render_text, render_turtle

DATA = Path(__file__).parent / "data" / "validate"


@pytest.fixture(scope="module")
def flawed_result() -> ValidationResult:
    """The result of the test shapes on tests/data/validate/feed.ttl (3 offers, 1 invalid)."""
    return Validator(DATA).validate(normalise(read_path(DATA / "feed.ttl"), source_id="t"))


def test_text_in_german(flawed_result: ValidationResult) -> None:
    text = render_text(flawed_result, lang="de", source="feed.ttl")
    assert "3 Angebote geprüft: 2 gültig, 1 mit Fehlern, 2 Warnungen" in text
    assert "Fehler: Unterrichtsform: Die Unterrichtsform ist nicht aus der Liste." in text
    assert "Wert: fernunterricht" in text
    assert "Nur Warnung <https://anbieter.example/warn>" in text
    assert "Angaben außerhalb der Angebote" in text
    assert "\x1b[" not in text  # no colour unless asked


def test_text_in_english_uses_names_or_local_names(flawed_result: ValidationResult) -> None:
    text = render_text(flawed_result, lang="en")
    assert "3 offers checked: 2 valid, 1 with errors, 2 warnings" in text
    assert "error: Mode: The course mode is not from the list." in text
    assert "error: name: The provider needs a name." in text  # no sh:name: local name of path
    assert "\x1b[" in render_text(flawed_result, lang="en", color=True)


def test_json_keys_are_stable(flawed_result: ValidationResult) -> None:
    doc = json.loads(render_json(flawed_result, source="feed.ttl"))
    assert list(doc) == ["source", "conforms", "summary", "offers", "other_problems"]
    assert doc["summary"] == {"offers": 3, "valid": 2, "invalid": 1, "violations": 4, "warnings": 2}
    assert [o["iri"] for o in doc["offers"]] == sorted(o["iri"] for o in doc["offers"])
    problem = doc["offers"][0]["problems"][0]
    assert list(problem) == [
        "focus",
        "path",
        "value",
        "severity",
        "component",
        "shape",
        "messages",
        "labels",
    ]
    assert doc["other_problems"][0]["value"] == "brieftaube"


def test_turtle_is_a_parseable_shacl_report(flawed_result: ValidationResult) -> None:
    turtle = render_turtle(flawed_result)
    triples = [q.triple for q in ox.parse(turtle.encode(), ox.RdfFormat.TURTLE)]
    sh = "http://www.w3.org/ns/shacl#"
    results = [t for t in triples if t.predicate.value == sh + "result"]
    assert len(results) == len(flawed_result.problems())
    assert "sh:ValidationReport" in turtle
