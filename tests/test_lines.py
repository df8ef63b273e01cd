"""The line-based stages give the same triples as the term-based ones they stand in for."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from importers.lines import LineIndex, normalise_lines, own_lines, parse_lines
from importers.normalise import normalise
from importers.ownership import check_ownership
from importers.parse import parse_rdf_text
from importers.validate import Validator
from registry.errors import OwnershipError

FEED = b"""
@prefix s: <https://schema.org/> .
@prefix bn: <https://w3id.org/bildungsnetz/ontology#> .
<https://mine.example/c1> a s:Course ; s:name "Kurs"@de ; s:provider <https://mine.example/org> ;
    s:hasCourseInstance [ s:startDate "2027-05-01" ; s:endDate " 2027-05-03T10:00:00 " ;
        s:location [ s:address [ s:postalCode "33602" ] ] ] ;
    s:offers [ s:price "120" ; s:description "a _:x that is text" ] ;
    bn:teachingUnits 40 .
<https://mine.example/org> s:name "Org" ; s:url <https://mine.example/> .
<https://other.example/x> s:name "foreign" ; s:knows [ s:name "its own blank" ] .
<https://mine.example/c1> s:price "12.50"^^<http://www.w3.org/2001/XMLSchema#double> .
"""


def _text() -> bytes:
    return parse_rdf_text(FEED, format=ox.RdfFormat.TURTLE, source="t", base_iri="http://b/")


def test_normalised_lines_are_the_normalised_triples() -> None:
    text = _text()
    lines = normalise_lines(text, source_id="mine")
    assert lines is not None
    expected = normalise(parse_lines([text.rstrip(b"\n")]), source_id="mine")
    assert set(parse_lines(lines)) == set(expected)
    assert len(lines) == len(set(lines)) == len(expected)


def test_http_schema_org_is_left_to_the_term_path() -> None:
    text = b'<https://mine.example/a> <http://schema.org/name> "x" .\n'
    assert normalise_lines(text, source_id="mine") is None


def test_owned_lines_match_the_ownership_check() -> None:
    lines = normalise_lines(_text(), source_id="mine")
    assert lines is not None
    by_terms = check_ownership(
        parse_lines(lines), namespaces=["https://mine.example/"], source_id="mine"
    )
    by_lines = own_lines(lines, namespaces=["https://mine.example/"], source_id="mine")
    assert set(parse_lines(by_lines.kept)) == set(by_terms.kept)
    assert (by_lines.dropped, by_lines.dropped_subjects, by_lines.sample) == (
        by_terms.dropped,
        by_terms.dropped_subjects,
        by_terms.sample,
    )
    with pytest.raises(OwnershipError):
        own_lines(lines, namespaces=["https://nobody.example/"], source_id="mine")


def test_line_hashes_equal_the_validator_hashes() -> None:
    lines = normalise_lines(_text(), source_id="mine")
    assert lines is not None
    index = LineIndex(lines)
    assert index.courses == [b"<https://mine.example/c1>"]
    found, _nodes = index.closure(index.courses)
    _triples, digest = Validator().offer_closure(parse_lines(lines), "https://mine.example/c1")
    assert index.content_hash(found) == digest
