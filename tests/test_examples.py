"""The example region: partner feeds that parse, conform and cover the region; flawed feeds
that fail exactly as documented; a sources file that loads; a generator that reproduces them.

The oracle is pySHACL run directly on rdflib graphs with ``shapes/core.ttl`` +
``shapes/quality.ttl`` (not the project's validator), so these files also test the shapes.
"""

from __future__ import annotations

import functools
import json
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import pyoxigraph as ox
import pytest
import rdflib
from pyshacl import validate
from rdflib.namespace import RDF, SH
from rdflib.plugins.sparql import processor

from registry.config import load_sources
from registry.resources import examples_dir, ontology_dir, shapes_dir

EXAMPLES = examples_dir()
FEEDS = EXAMPLES / "feeds"
FLAWED = EXAMPLES / "flawed"
SCHEMA = "https://schema.org/"
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
KREIS = "https://w3id.org/bildungsnetz/region/owl/kreis/"
OWL_AGS = {"05711", "05754", "05758", "05762", "05766", "05770", "05774"}
FORMATS = {
    ".ttl": ox.RdfFormat.TURTLE,
    ".nt": ox.RdfFormat.N_TRIPLES,
    ".rdf": ox.RdfFormat.RDF_XML,
    ".jsonld": ox.RdfFormat.JSON_LD,
}
SCHEMA_CONTEXTS = {
    "https://schema.org/",
    "https://schema.org",
    "http://schema.org/",
    "http://schema.org",
}

FEED_FILES = sorted(p for p in FEEDS.iterdir() if p.suffix in FORMATS)
EXPECTED = tomllib.loads((FLAWED / "expected.toml").read_text(encoding="utf-8"))


class Problem(NamedTuple):
    focus: str
    path: str | None
    component: str
    severity: str


# ------------------------------------------------------------------------------- helpers


def inline_schema_context(data: bytes) -> bytes:
    """Replace the remote schema.org context by an inline ``@vocab`` one (never fetched)."""
    doc = json.loads(data)

    def swap(ctx: Any) -> Any:
        if isinstance(ctx, list):
            return [swap(c) for c in ctx]
        if isinstance(ctx, str) and ctx in SCHEMA_CONTEXTS:
            return {"@vocab": SCHEMA}
        return ctx

    doc["@context"] = swap(doc["@context"])
    return json.dumps(doc).encode()


def _term(t: Any) -> rdflib.term.Node:
    if isinstance(t, ox.NamedNode):
        return rdflib.URIRef(t.value)
    if isinstance(t, ox.BlankNode):
        return rdflib.BNode(t.value)
    if t.language:
        return rdflib.Literal(t.value, lang=t.language)
    if t.datatype.value == XSD_STRING:  # rdflib tells "a" and "a"^^xsd:string apart
        return rdflib.Literal(t.value)
    return rdflib.Literal(t.value, datatype=rdflib.URIRef(t.datatype.value))


def load(path: Path) -> rdflib.Graph:
    """Parse with pyoxigraph (the project's parser), then hand the triples to rdflib."""
    data = path.read_bytes()
    fmt = FORMATS[path.suffix]
    if fmt == ox.RdfFormat.JSON_LD:
        data = inline_schema_context(data)
    graph = rdflib.Graph()
    for t in ox.parse(data, format=fmt):
        graph.add((_term(t.subject), _term(t.predicate), _term(t.object)))
    return graph


@pytest.fixture(scope="module")
def shapes() -> rdflib.Graph:
    core, quality = shapes_dir() / "core.ttl", shapes_dir() / "quality.ttl"
    if not (core.exists() and quality.exists()):
        pytest.skip("shapes/core.ttl and shapes/quality.ttl are not written yet")
    return rdflib.Graph().parse(core) + rdflib.Graph().parse(quality)


@pytest.fixture(scope="module")
def prepared_sparql() -> Iterator[None]:
    """pySHACL hands rdflib the same sh:sparql text for every focus node, and rdflib parses it
    anew each time (about 0.25 s for the end-date query). Reuse the prepared query, rdflib's
    own way to run one query with different bindings; results are unchanged."""
    original = processor.SPARQLProcessor.query

    @functools.cache
    def prepared(text: str, ns: tuple[tuple[str, Any], ...], base: str | None) -> Any:
        return processor.prepareQuery(text, initNs=dict(ns), base=base)

    def query(
        self: Any,
        q: Any,
        initBindings: Any = None,
        initNs: Any = None,
        base: str | None = None,
        DEBUG: bool = False,
    ) -> Any:
        if isinstance(q, str):
            q = prepared(q, tuple(sorted((initNs or {}).items())), base)
        return original(self, q, initBindings, initNs, base, DEBUG)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(processor.SPARQLProcessor, "query", query)
        yield


def problems(graph: rdflib.Graph, shapes: rdflib.Graph) -> set[Problem]:
    _conforms, report, _text = validate(
        graph, shacl_graph=shapes, inference="none", allow_warnings=True
    )
    assert isinstance(report, rdflib.Graph)
    found = set()
    for r in report.subjects(RDF.type, SH.ValidationResult):
        path = report.value(r, SH.resultPath)
        found.add(
            Problem(
                focus=str(report.value(r, SH.focusNode)),
                path=str(path) if isinstance(path, rdflib.URIRef) else None,
                component=str(report.value(r, SH.sourceConstraintComponent)),
                severity=str(report.value(r, SH.resultSeverity)).rpartition("#")[2],
            )
        )
    return found


@functools.cache
def feed_graph(name: str) -> rdflib.Graph:
    return load(FEEDS / name)


def courses(graph: rdflib.Graph) -> set[rdflib.term.Node]:
    return set(graph.subjects(RDF.type, rdflib.URIRef(SCHEMA + "Course")))


def objects(graph: rdflib.Graph, prop: str) -> set[rdflib.term.Node]:
    return set(graph.objects(None, rdflib.URIRef(SCHEMA + prop)))


# ------------------------------------------------------------------------------- valid feeds


@pytest.mark.parametrize("path", FEED_FILES, ids=lambda p: p.name)
def test_feed_parses_and_every_subject_is_the_partners(path: Path) -> None:
    sources = load_sources(EXAMPLES / "sources.toml")
    feed = next(f for f in sources.feeds if f.url.endswith("/feeds/" + path.name))
    partner = sources.partner(feed.partner_id)
    graph = feed_graph(path.name)
    assert len(courses(graph)) >= 4
    foreign = {
        s for s in graph.subjects() if isinstance(s, rdflib.URIRef) and not partner.owns(str(s))
    }
    assert foreign == set()


@pytest.mark.parametrize("path", FEED_FILES, ids=lambda p: p.name)
def test_feed_conforms_to_core_shapes(
    path: Path, shapes: rdflib.Graph, prepared_sparql: None
) -> None:
    found = problems(feed_graph(path.name), shapes)
    assert [p for p in found if p.severity == "Violation"] == []
    # A model partner gives every recommended detail; the only gaps allowed are those that do
    # not apply (no occupation for a general language course, no EQF level for first aid).
    # Warnings on runs are not counted: "start date in the past" depends on today's date.
    offers = {str(c) for c in courses(feed_graph(path.name))}
    gaps = {p.path for p in found if p.severity == "Warning" and p.focus in offers}
    assert gaps <= {SCHEMA + "occupationalCategory", SCHEMA + "educationalLevel"}


def test_region_totals() -> None:
    sources = load_sources(EXAMPLES / "sources.toml")
    assert len(sources.partners) >= 8
    graphs = [feed_graph(p.name) for p in FEED_FILES]
    assert sum(len(courses(g)) for g in graphs) >= 120
    kreise = {str(k).removeprefix(KREIS) for g in graphs for k in objects(g, "containedInPlace")}
    assert kreise == OWL_AGS
    assert len({FORMATS[p.suffix] for p in FEED_FILES}) >= 4
    types = {p.type for p in sources.partners}
    assert {
        "kammer",
        "hochschule",
        "berufskolleg",
        "vhs",
        "privat",
        "unternehmensakademie",
    } <= types


def test_exactly_one_course_is_offered_by_two_partners() -> None:
    by_title: dict[str, set[str]] = {}
    for path in FEED_FILES:
        graph = feed_graph(path.name)
        for course in courses(graph):
            title = str(graph.value(course, rdflib.URIRef(SCHEMA + "name")))
            by_title.setdefault(title, set()).add(str(course).split("/")[2])
    shared = {t: hosts for t, hosts in by_title.items() if len(hosts) > 1}
    assert len(shared) == 1
    assert len(next(iter(shared.values()))) == 2


def test_runs_lie_in_the_planning_window() -> None:
    starts, ends, flexible, schedules = [], [], 0, 0
    for path in FEED_FILES:
        graph = feed_graph(path.name)
        starts += [str(d) for d in objects(graph, "startDate")]
        ends += [str(d) for d in objects(graph, "endDate")]
        flexible += len(
            set(
                graph.subjects(
                    rdflib.URIRef("https://w3id.org/bildungsnetz/ontology#flexibleStart"), None
                )
            )
        )
        schedules += len(objects(graph, "courseSchedule"))
    assert min(starts) >= "2027-01-01"
    assert max(ends) <= "2028-06-30"
    assert flexible >= 3
    assert schedules >= 3


def test_region_and_topic_iris_exist_in_region_data() -> None:
    region_file = ontology_dir() / "regions" / "owl.ttl"
    if not region_file.exists():
        pytest.skip("ontology/regions/owl.ttl is not written yet")
    region = rdflib.Graph().parse(region_file)
    known = set(region.subjects())
    used = set()
    for path in FEED_FILES:
        graph = feed_graph(path.name)
        used |= objects(graph, "containedInPlace") | objects(graph, "about")
    assert used - known == set()


# ------------------------------------------------------------------------------- flawed feeds


def test_every_flawed_file_is_documented() -> None:
    files = {p.name for p in FLAWED.iterdir() if p.suffix in FORMATS}
    assert files == set(EXPECTED["file"])
    assert 5 <= len(files) <= 10
    readme = (EXAMPLES / "README.md").read_text(encoding="utf-8")
    assert [f for f in files if f not in readme] == []


VALIDATED = sorted(n for n, e in EXPECTED["file"].items() if "parse_error" not in e)


@pytest.mark.parametrize("name", VALIDATED)
def test_flawed_file_yields_exactly_its_documented_violations(
    name: str, shapes: rdflib.Graph, prepared_sparql: None
) -> None:
    expected = {
        Problem(p["focus"], p.get("path"), p["component"], p["severity"])
        for p in EXPECTED["file"][name]["problems"]
    }
    found = problems(load(FLAWED / name), shapes)
    assert {p for p in found if p.severity == "Violation"} == {
        p for p in expected if p.severity == "Violation"
    }
    assert {p for p in expected if p.severity == "Warning"} <= found


def test_foreign_namespace_file_names_the_subjects_ownership_must_drop() -> None:
    entry = EXPECTED["file"]["foreign-namespace.ttl"]
    graph = load(FLAWED / "foreign-namespace.ttl")
    foreign = {
        str(s) for s in graph.subjects() if not str(s).startswith(EXPECTED["partner_namespace"])
    }
    assert foreign == set(entry["foreign_subjects"])
    assert courses(graph) - {rdflib.URIRef(s) for s in foreign}  # an own offer remains


def test_syntax_error_is_reported_where_documented() -> None:
    [(name, entry)] = [(n, e) for n, e in EXPECTED["file"].items() if "parse_error" in e]
    with pytest.raises(SyntaxError) as info:
        load(FLAWED / name)
    assert (info.value.lineno, info.value.offset) == (
        entry["parse_error"]["line"],
        entry["parse_error"]["column"],
    )


# ------------------------------------------------------------------------------- sources, build


def test_sources_file_loads_with_relative_feed_urls() -> None:
    sources = load_sources(EXAMPLES / "sources.toml", feed_base_url="http://127.0.0.1:8765/")
    assert sources.harvest.allow_private_networks is True
    assert [r.name for r in sources.region_files] == ["owl.ttl"]
    served = {f.url.removeprefix("http://127.0.0.1:8765/") for f in sources.feeds}
    assert served == {f"feeds/{p.name}" for p in FEED_FILES}
    for partner in sources.partners:
        assert partner.license and partner.type
        assert partner.namespaces == (f"https://{partner.id}.example/",)


def test_build_reproduces_the_committed_feeds(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, str(EXAMPLES / "build.py"), "--out", str(tmp_path)],
        check=True,
        capture_output=True,
    )
    built = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    committed = {p.name: p.read_bytes() for p in FEED_FILES}
    assert built.keys() == committed.keys()
    assert [n for n in built if built[n] != committed[n]] == []


def test_examples_stay_small() -> None:
    total = sum(p.stat().st_size for p in EXAMPLES.rglob("*") if p.is_file())
    assert total < 1_500_000
