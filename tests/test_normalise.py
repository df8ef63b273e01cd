"""Normalise stage: https schema.org, typed dates and prices, stable skolem IRIs."""

from __future__ import annotations

import random

import pyoxigraph as ox
from hypothesis import given, settings
from hypothesis import strategies as st

from importers.normalise import normalise, skolem_prefix

FEED = b"""@prefix s: <http://schema.org/> .
<https://a.example/k1> a s:Course ; s:courseMode <http://schema.org/OnlineOnly> ;
  s:offers [ a s:Offer ; s:price "1234.50" ; s:priceCurrency "EUR" ] , [ a s:Offer ; s:price 3 ] ;
  s:hasCourseInstance [ s:startDate "2025-03-01" ; s:endDate "2025-09-01T16:00:00+02:00" ;
    s:location [ s:address [ s:postalCode "32657" ] ] ] .
<https://a.example/k2> a s:Course ;
  s:hasCourseInstance [ s:startDate "bald" ; s:location [ s:address [ s:postalCode "32657" ] ] ] .
<https://a.example/l> s:itemListElement ( "a" "b" "a" ) .
_:x s:knows _:y . _:y s:knows _:x ; s:name "y" .
"""


def parse(data: bytes = FEED) -> list[ox.Triple]:
    return [q.triple for q in ox.parse(data, ox.RdfFormat.TURTLE)]


def test_schema_org_http_is_read_as_https() -> None:
    out = normalise(parse(), source_id="s")
    values = [term.value for t in out for term in (t.predicate, t.object) if hasattr(term, "value")]
    assert not any(v.startswith("http://schema.org/") for v in values)
    assert (
        ox.Triple(
            ox.NamedNode("https://a.example/k1"),
            ox.NamedNode("https://schema.org/courseMode"),
            ox.NamedNode("https://schema.org/OnlineOnly"),
        )
        in out
    )


def test_dates_and_prices_get_their_datatypes() -> None:
    literals = {
        (t.predicate.value.rsplit("/", 1)[1], t.object.value): t.object.datatype.value
        for t in normalise(parse(), source_id="s")
        if isinstance(t.object, ox.Literal)
    }
    xsd = "http://www.w3.org/2001/XMLSchema#"
    assert literals[("startDate", "2025-03-01")] == xsd + "date"
    assert literals[("endDate", "2025-09-01T16:00:00+02:00")] == xsd + "dateTime"
    assert literals[("price", "1234.50")] == xsd + "decimal"
    assert literals[("price", "3")] == xsd + "decimal"
    assert literals[("startDate", "bald")] == xsd + "string"  # left for the shapes to report


def test_no_blank_nodes_and_skolem_iris_under_the_source() -> None:
    out = normalise(parse(), source_id="partner-a")
    assert not any(isinstance(term, ox.BlankNode) for t in out for term in (t.subject, t.object))
    minted = {t.subject.value for t in out if t.subject.value.startswith("https://w3id.org/")}
    assert minted and all(iri.startswith(skolem_prefix("partner-a")) for iri in minted)
    other = {t.subject.value for t in normalise(parse(), source_id="partner-b")}
    assert minted.isdisjoint(other)


def test_equal_nodes_under_different_parents_stay_distinct() -> None:
    out = normalise(parse(), source_id="s")
    postal = [t for t in out if t.predicate.value == "https://schema.org/postalCode"]
    assert len(postal) == 2 and postal[0].subject != postal[1].subject
    prices = [t for t in out if t.predicate.value == "https://schema.org/price"]
    assert len({t.subject for t in prices}) == 2


def test_rdf_list_with_repeated_items_keeps_its_length() -> None:
    out = normalise(parse(), source_id="s")
    firsts = [t for t in out if t.predicate.value.endswith("#first")]
    assert sorted(t.object.value for t in firsts) == ["a", "a", "b"]


def test_duplicates_are_removed() -> None:
    triples = parse()
    assert normalise(triples + triples, source_id="s") == normalise(triples, source_id="s")


@settings(max_examples=25, deadline=None)
@given(st.randoms(use_true_random=False))
def test_shuffled_and_reparsed_input_gives_identical_output(rnd: random.Random) -> None:
    expected = set(normalise(parse(), source_id="s"))
    triples = [q.triple for q in ox.parse(FEED, ox.RdfFormat.TURTLE, rename_blank_nodes=True)]
    rnd.shuffle(triples)
    assert set(normalise(triples, source_id="s")) == expected


_term = st.sampled_from([f"_:b{i}" for i in range(5)] + ["<https://a.example/x>"])
_object = st.one_of(_term, st.sampled_from(['"v"', '"w"@de', "<https://a.example/y>"]))
_pred = st.sampled_from(["<https://schema.org/p>", "<https://schema.org/q>"])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(_term, _pred, _object), min_size=1, max_size=12), st.randoms())
def test_any_blank_node_graph_is_order_and_label_independent(
    rows: list[tuple[str, str, str]], rnd: random.Random
) -> None:
    text = "".join(f"{s} {p} {o} .\n" for s, p, o in rows).encode()
    first = set(normalise(parse_nt(text, rename=False), source_id="s"))
    shuffled = parse_nt(text, rename=True)
    rnd.shuffle(shuffled)
    assert set(normalise(shuffled, source_id="s")) == first


def parse_nt(data: bytes, *, rename: bool) -> list[ox.Triple]:
    return [q.triple for q in ox.parse(data, ox.RdfFormat.N_TRIPLES, rename_blank_nodes=rename)]
