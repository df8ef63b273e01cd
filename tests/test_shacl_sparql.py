"""The SPARQL SHACL engine (importers.shacl_sparql) against pySHACL as the oracle.

Both engines see the same pyoxigraph triples and the shapes of ``shapes/``; they must report
the same set of (focus node, result path, source shape, severity, value, constraint component).
Cases: every example and flawed feed, every mutation case of ``tests/test_shapes.py``, and
random damage to the valid offer (hypothesis).
"""

from __future__ import annotations

import logging
import tomllib
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyshacl.shapes_graph import ShapesGraph
from test_shapes import CLEAN_VARIANTS, CORE_CASES, DATA, QUALITY_CASES, Mutation

from importers.normalise import normalise
from importers.parse import read_path
from importers.shacl import RawResult, Shapes, to_oxigraph, to_rdflib_graph
from importers.shacl_sparql import SparqlShapes, UnsupportedShape
from importers.validate import Validator
from registry.errors import ParseError
from registry.resources import examples_dir, shapes_dir

__all__: list[str] = []

Key = tuple[str, str | None, str, str, str | None, str]


@pytest.fixture(scope="module")
def shapes() -> Shapes:
    return Shapes(shapes_dir())


@pytest.fixture(scope="module")
def engine(shapes: Shapes) -> SparqlShapes:
    return SparqlShapes(shapes.graph)


def keys(results: list[RawResult]) -> set[Key]:
    return {
        (
            str(r.focus),
            r.path,
            str(r.shape),
            r.severity,
            str(r.value) if r.value is not None else None,
            r.component,
        )
        for r in results
    }


@pytest.fixture(scope="module")
def oracle() -> Shapes:
    """pySHACL on the shapes files as written.

    Not ``Shapes.graph``: ``Shapes`` adds ``sh:severity sh:Warning`` to every quality shape that
    names none, nested ones included, and pySHACL run with ``allow_warnings`` then counts a
    nested shape that fails with a warning as conforming; the Bildungsgutschein hint of
    ``examples/flawed/bildungsgutschein-ohne-azav.ttl`` is lost that way. SHACL conformance of
    a nested shape does not depend on its severity, and the SPARQL engine follows SHACL.
    """
    raw = Shapes(shapes_dir())
    raw.graph = rdflib.Graph()
    for name in ("core.ttl", "quality.ttl"):
        raw.graph.parse(shapes_dir() / name, format="turtle")
    raw._shapes_graph = ShapesGraph(raw.graph, False, logging.getLogger(__name__))
    return raw


def assert_same(oracle: Shapes, engine: SparqlShapes, triples: list[ox.Triple]) -> set[Key]:
    expected = keys(oracle.run(to_rdflib_graph(triples)))
    got = keys(engine.run(triples))
    assert got == expected, f"only SPARQL: {got - expected}\nonly pySHACL: {expected - got}"
    return got


def feed_files() -> list[Path]:
    base = examples_dir()
    found = (p for d in ("feeds", "flawed") for p in (base / d).iterdir() if p.is_file())
    return sorted(p for p in found if p.suffix not in (".toml", ".md"))


@pytest.mark.parametrize("path", feed_files(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_example_feed_gives_the_same_results(
    oracle: Shapes, engine: SparqlShapes, path: Path
) -> None:
    try:
        triples = normalise(read_path(path), source_id="example")
    except ParseError:
        assert path.parent.name == "flawed"  # syntax-error.ttl is flawed on purpose
        return
    found = {(k[0].strip("<>"), k[5], k[3]) for k in assert_same(oracle, engine, triples)}
    if path.parent.name == "flawed":
        expected = tomllib.loads((path.parent / "expected.toml").read_text(encoding="utf-8"))
        listed = expected["file"].get(path.name, {}).get("problems", [])
        assert {(p["focus"], p["component"], p["severity"]) for p in listed} <= found


def mutated(mutate: Mutation | None) -> list[ox.Triple]:
    graph = rdflib.Graph().parse(DATA / "valid-offer.ttl", format="turtle")
    if mutate is not None:
        mutate(graph)
    return [ox.Triple(*(to_oxigraph(t) for t in triple)) for triple in graph]  # type: ignore[arg-type]


CASES = [pytest.param(p.values[0], id=p.id) for p in (*CORE_CASES, *QUALITY_CASES, *CLEAN_VARIANTS)]


@pytest.mark.parametrize("mutate", CASES)
def test_mutation_case_gives_the_same_results(
    oracle: Shapes, engine: SparqlShapes, mutate: Mutation
) -> None:
    assert_same(oracle, engine, mutated(mutate))


def test_valid_offer_is_clean_and_a_case_is_found(oracle: Shapes, engine: SparqlShapes) -> None:
    assert engine.run(mutated(None)) == []
    first = CORE_CASES[0].values[0]
    assert assert_same(oracle, engine, mutated(first))  # type: ignore[arg-type]


def test_reported_values_keep_the_feeds_lexical_form(oracle: Shapes, engine: SparqlShapes) -> None:
    """Oxigraph stores 0050 as 50; the report must still show what the feed wrote."""
    triples = mutated(None)
    offer = next(t.subject for t in triples if t.predicate.value == "https://schema.org/price")
    triples = [t for t in triples if t.predicate.value != "https://schema.org/price"]
    xsd_int = ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")
    triples.append(
        ox.Triple(
            offer, ox.NamedNode("https://schema.org/price"), ox.Literal("-0050", datatype=xsd_int)
        )
    )
    values = {r.value for r in engine.run(triples)}
    assert ox.Literal("-0050", datatype=xsd_int) in values
    assert_same(oracle, engine, triples)


# --- random damage -----------------------------------------------------------------------

_XSD = "http://www.w3.org/2001/XMLSchema#"
_REPLACEMENTS = [
    ox.Literal("x"),
    ox.Literal("2099-13-45", datatype=ox.NamedNode(_XSD + "date")),
    ox.Literal("1999-01-01", datatype=ox.NamedNode(_XSD + "date")),
    ox.Literal("2099-03-01T10:00:00", datatype=ox.NamedNode(_XSD + "dateTime")),
    ox.Literal("-1.50", datatype=ox.NamedNode(_XSD + "decimal")),
    ox.Literal("12", datatype=ox.NamedNode(_XSD + "integer")),
    ox.Literal("Titel", language="de"),
    ox.Literal("title", language="en"),
    ox.Literal("https://example.org/kurs"),
    ox.NamedNode("https://w3id.org/bildungsnetz/code/unterrichtsform/202"),
    ox.NamedNode("https://w3id.org/bildungsnetz/code/foerderart/2"),
    ox.NamedNode("https://schema.org/Organization"),
    ox.NamedNode("https://example.org/anything"),
    ox.BlankNode("b1"),
]
_BASE = mutated(None)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    drops=st.sets(st.integers(0, len(_BASE) - 1), max_size=6),
    changes=st.dictionaries(
        st.integers(0, len(_BASE) - 1), st.sampled_from(_REPLACEMENTS), max_size=4
    ),
)
def test_random_damage_gives_the_same_results(
    oracle: Shapes, engine: SparqlShapes, drops: set[int], changes: dict[int, ox.Triple]
) -> None:
    triples = []
    for i, t in enumerate(_BASE):
        if i in drops:
            continue
        if i in changes:
            t = ox.Triple(t.subject, t.predicate, changes[i])
        triples.append(t)
    assert_same(oracle, engine, triples)


# --- compiler limits and the Validator -----------------------------------------------------


def test_unsupported_feature_is_refused(tmp_path: Path) -> None:
    shapes = rdflib.Graph().parse(
        data="""
        @prefix sh: <http://www.w3.org/ns/shacl#> .
        <urn:s> a sh:NodeShape ; sh:targetClass <urn:C> ;
            sh:property [ sh:path <urn:p> ; sh:minLength 3 ] .
        """,
        format="turtle",
    )
    with pytest.raises(UnsupportedShape):
        SparqlShapes(shapes)


def test_validator_uses_the_sparql_engine_and_agrees(shapes: Shapes) -> None:
    triples = normalise(read_path(examples_dir() / "flawed" / "bad-price.ttl"), source_id="x")
    fast = Validator(engine="sparql").validate(triples)
    slow = Validator(engine="pyshacl").validate(triples)
    assert fast.problems() and not fast.conforms
    assert [p.sort_key() for p in fast.problems()] == [p.sort_key() for p in slow.problems()]
    assert [p.messages for p in fast.problems()] == [p.messages for p in slow.problems()]
