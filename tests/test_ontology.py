"""The ontology, the region data and the vocabulary loader."""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path
from typing import Any

import pyoxigraph
import pytest
import rdflib

from registry.errors import ConfigError, ParseError
from registry.namespaces import BN, DCTERMS, NUTS, ONTOLOGY, OWL, RDF, RDFS, REGION, SCHEMA, SKOS
from registry.resources import ontology_dir
from registry.vocabulary import (
    Labels,
    default_region_files,
    load_vocabulary_graph,
    vocabulary_files,
    vocabulary_triples,
)

DESIGN = Path(__file__).resolve().parent.parent / "docs" / "design.md"
ALL_TURTLE = sorted(ontology_dir().rglob("*.ttl"))

# The seven Kreise of OWL as DOMAIN.md lists them (name, AGS, NUTS-3), and which are rural.
KREISE = [
    ("Bielefeld", "05711", "DEA41", False),
    ("Gütersloh", "05754", "DEA42", False),
    ("Herford", "05758", "DEA43", False),
    ("Höxter", "05762", "DEA44", True),
    ("Lippe", "05766", "DEA45", True),
    ("Minden-Lübbecke", "05770", "DEA46", True),
    ("Paderborn", "05774", "DEA47", False),
]


Index = dict[str, dict[str, list[Any]]]


def _index(triples: list[pyoxigraph.Triple]) -> Index:
    index: Index = defaultdict(lambda: defaultdict(list))
    for t in triples:
        index[str(getattr(t.subject, 'value', t.subject))][t.predicate.value].append(t.object)
    return index


def _langs(values: list[Any]) -> set[str]:
    return {v.language for v in values if isinstance(v, pyoxigraph.Literal) and v.language}


@pytest.mark.parametrize("path", ALL_TURTLE, ids=lambda p: p.name)
def test_every_turtle_file_parses_with_both_parsers(path: Path) -> None:
    oxi = list(pyoxigraph.parse(path=str(path), format=pyoxigraph.RdfFormat.TURTLE))
    graph = rdflib.Graph().parse(path, format="turtle")
    assert oxi and len(oxi) == len(graph)


def test_ontology_header() -> None:
    index = _index(vocabulary_triples())
    header = index[ONTOLOGY]
    assert pyoxigraph.NamedNode(OWL + "Ontology") in header[RDF + "type"]
    assert _langs(header[DCTERMS + "title"]) == {"de", "en"}
    assert _langs(header[DCTERMS + "description"]) == {"de", "en"}
    assert [v.value for v in header[DCTERMS + "license"]] == [
        "https://creativecommons.org/licenses/by/4.0/"]
    assert header[OWL + "versionInfo"]


def _own_terms(index: Index) -> set[str]:
    return {s for s in index if s.startswith(BN)}


def test_every_bn_term_in_the_design_is_declared_with_labels() -> None:
    names = re.findall(r"\bbn:([A-Za-z][A-Za-z0-9]*)", DESIGN.read_text("utf-8"))
    used = {BN + name for name in names}
    assert len(used) >= 8
    index = _index(vocabulary_triples())
    declared = _own_terms(index)
    assert used <= declared, used - declared
    for term in declared:
        props = index[term]
        assert _langs(props[RDFS + "label"]) == {"de", "en"}, term
        assert _langs(props[RDFS + "comment"]) == {"de", "en"}, term
        assert props[SCHEMA + "domainIncludes"] and props[SCHEMA + "rangeIncludes"], term
        assert [v.value for v in props[RDFS + "isDefinedBy"]] == [ONTOLOGY]
        kinds = {v.value for v in props[RDF + "type"]}
        assert kinds & {OWL + "DatatypeProperty", OWL + "ObjectProperty"}, term


def test_every_bn_term_used_in_the_vocabulary_is_declared() -> None:
    triples = vocabulary_triples()
    declared = _own_terms(_index(triples))
    used = {t.predicate.value for t in triples if t.predicate.value.startswith(BN)}
    assert used <= declared, used - declared


def test_elm_alignments_point_into_the_elm_namespace() -> None:
    elm = "http://data.europa.eu/snb/model/elm/"
    index = _index(vocabulary_triples())
    aligned = index[BN + "fieldOfEducation"][SKOS + "closeMatch"]
    assert [v.value for v in aligned] == [elm + "ISCEDFCode"]
    level = index[SCHEMA + "educationalLevel"][SKOS + "closeMatch"]
    assert [v.value for v in level] == [elm + "EQFLevel"]


def test_kreise_carry_ags_nuts_and_a_centroid() -> None:
    index = _index(vocabulary_triples())
    region = REGION + "owl"
    kreis_iris = {s for s, p in index.items() if s.startswith(region + "/kreis/")}
    assert kreis_iris == {f"{region}/kreis/{ags}" for _, ags, _, _ in KREISE}
    labels = Labels.from_vocabulary()
    for name, ags, nuts, rural in KREISE:
        props = index[f"{region}/kreis/{ags}"]
        assert [v.value for v in props[SKOS + "notation"]] == [ags]
        assert [v.value for v in props[BN + "nuts3"]] == [nuts]
        assert [v.value for v in props[SKOS + "exactMatch"]] == [NUTS + nuts]
        assert [v.value for v in props[BN + "rural"]] == [str(rural).lower()]
        assert props[BN + "administrativeSeat"]
        assert name in (labels.label(f"{region}/kreis/{ags}", "de") or "")
        [geo] = props[SCHEMA + "geo"]
        lat = float(index[geo.value][SCHEMA + "latitude"][0].value)
        lon = float(index[geo.value][SCHEMA + "longitude"][0].value)
        assert 51.3 < lat < 52.6 and 7.8 < lon < 9.5, (ags, lat, lon)


def test_topics_have_labels_and_only_esco_matches() -> None:
    index = _index(vocabulary_triples())
    topics = {s: p for s, p in index.items() if s.startswith(REGION + "owl/topic/")}
    assert REGION + "owl/topic/industrie-4-0" in topics
    assert len(topics) >= 19
    for iri, props in topics.items():
        assert _langs(props[SKOS + "prefLabel"]) == {"de", "en"}, iri
        for match in props.get(SKOS + "closeMatch", []):
            assert re.fullmatch(
                r"http://data\.europa\.eu/esco/(skill/[0-9a-f-]{36}|isced-f/\d{2,4})",
                match.value,
            ), match


def test_vocabulary_files_and_graph() -> None:
    files = vocabulary_files()
    assert files[0].name == "bildungsnetz.ttl"
    assert files[-1] == default_region_files()[0]
    assert len([f for f in files if f.parent.name == "codelists"]) == 8
    assert vocabulary_files([Path("regions/owl.ttl")]) == files
    assert len(load_vocabulary_graph()) == len(vocabulary_triples())


def test_missing_or_broken_region_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        vocabulary_files([tmp_path / "nowhere.ttl"])
    broken = tmp_path / "broken.ttl"
    broken.write_text("@prefix ex: <http://example.org/> .\nex:a ex:b \n", encoding="utf-8")
    with pytest.raises(ParseError) as caught:
        vocabulary_triples([broken])
    assert caught.value.source == str(broken)


def _lit(value: str, lang: str | None = None) -> pyoxigraph.Literal:
    return pyoxigraph.Literal(value, language=lang) if lang else pyoxigraph.Literal(value)


def _t(subject: str, predicate: str, obj: pyoxigraph.Literal) -> pyoxigraph.Triple:
    return pyoxigraph.Triple(pyoxigraph.NamedNode(subject), pyoxigraph.NamedNode(predicate), obj)


def test_labels_fall_back_in_order() -> None:
    ex = "http://example.org/"
    labels = Labels([
        _t(ex + "both", SKOS + "prefLabel", _lit("Präsenz", "de")),
        _t(ex + "both", SKOS + "prefLabel", _lit("In person", "en")),
        _t(ex + "both", RDFS + "label", _lit("ignored, prefLabel ranks first", "de")),
        _t(ex + "en-only", SKOS + "prefLabel", _lit("English only", "en")),
        _t(ex + "de-only", RDFS + "label", _lit("Nur Deutsch", "de-DE")),
        _t(ex + "plain", SCHEMA + "name", _lit("Plain")),
        _t(ex + "code", SKOS + "notation", _lit("202")),
    ])
    assert labels.label(ex + "both") == "Präsenz"
    assert labels.label(ex + "both", "en") == "In person"
    assert labels.label(ex + "both", "fr") == "In person"
    assert labels.label(ex + "en-only", "de") == "English only"
    assert labels.label(ex + "de-only", "en") == "Nur Deutsch"
    assert labels.label(ex + "de-only", "de-AT") == "Nur Deutsch"
    assert labels.label(ex + "plain", "en") == "Plain"
    assert labels.label(ex + "code") == "202"
    assert labels.label(ex + "unknown") is None
    assert ex + "code" in labels and ex + "unknown" not in labels


def test_labels_cover_every_concept_and_term_of_the_vocabulary() -> None:
    triples = vocabulary_triples()
    labels = Labels(triples)
    concept = pyoxigraph.NamedNode(SKOS + "Concept")
    subjects = {str(t.subject.value) for t in triples  # type: ignore[union-attr]
                if t.object == concept or str(t.subject).startswith(f"<{BN}")}
    for iri in subjects:
        de, en = labels.label(iri, "de"), labels.label(iri, "en")
        assert de and en, iri
    assert labels.label(REGION + "owl/kreis/05766", "en") == "Lippe district"
