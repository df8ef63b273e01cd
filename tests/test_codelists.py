"""The SKOS code lists: well-formed, and equal to what the generator makes of the samples."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

import pyoxigraph
import pytest

from registry import codelists
from registry.errors import ConfigError, InputError
from registry.namespaces import BN, CODE, RDF, SKOS
from registry.resources import ontology_dir, samples_dir
from registry.vocabulary import vocabulary_triples

CODELIST_DIR = ontology_dir() / "codelists"
SCHEMES = [
    "foerderart", "zulassungsstatus", "unterrichtsform", "unterrichtszeit", "dauerklasse",
    "anbietertyp", "unterrichtssprache", "kldb2010",
]


def _samples() -> Path:
    base = samples_dir()
    folder = base / "openqcat-wertebereiche" if base else None
    if folder is None or not folder.is_dir():
        pytest.skip("openQ-cat samples (../shared/samples) are not available")
    return folder


def _triples(path: Path) -> list[pyoxigraph.Triple]:
    return [q.triple for q in pyoxigraph.parse(path=str(path), format=pyoxigraph.RdfFormat.TURTLE)]


Index = dict[str, dict[str, list[Any]]]


def _index(triples: list[pyoxigraph.Triple]) -> Index:
    index: Index = defaultdict(lambda: defaultdict(list))
    for t in triples:
        index[str(getattr(t.subject, 'value', t.subject))][t.predicate.value].append(t.object)
    return index


def _concepts(index: Index) -> Index:
    concept = pyoxigraph.NamedNode(SKOS + "Concept")
    return {s: p for s, p in index.items() if concept in p.get(RDF + "type", [])}


def test_every_scheme_file_is_committed() -> None:
    assert sorted(p.stem for p in CODELIST_DIR.glob("*.ttl")) == sorted(SCHEMES)


@pytest.mark.parametrize("scheme", SCHEMES)
def test_scheme_is_well_formed(scheme: str) -> None:
    index = _index(_triples(CODELIST_DIR / f"{scheme}.ttl"))
    scheme_iri = CODE + scheme
    assert pyoxigraph.NamedNode(SKOS + "ConceptScheme") in index[scheme_iri][RDF + "type"]
    concepts = _concepts(index)
    assert concepts, scheme
    notations: list[str] = []
    for iri, props in concepts.items():
        labels = props[SKOS + "prefLabel"]
        langs = sorted(lit.language for lit in labels)
        assert langs == ["de", "en"], (iri, langs)
        assert all(lit.value.strip() for lit in labels), iri
        [notation] = props[SKOS + "notation"]
        notations.append(notation.value)
        assert iri == f"{scheme_iri}/{notation.value}"
        assert [o.value for o in props[SKOS + "inScheme"]] == [scheme_iri]
        top = [o.value for o in props.get(SKOS + "topConceptOf", [])]
        broader = [o.value for o in props.get(SKOS + "broader", [])]
        assert (top == [scheme_iri]) != bool(broader), iri
        assert all(b in concepts for b in broader), (iri, broader)
    assert len(notations) == len(set(notations)), scheme
    tops = {o.value for o in index[scheme_iri][SKOS + "hasTopConcept"]}
    assert tops == {i for i, p in concepts.items() if SKOS + "topConceptOf" in p}


def test_every_concept_is_in_exactly_one_scheme() -> None:
    concepts = _concepts(_index(vocabulary_triples()))
    for iri, props in concepts.items():
        assert len(props[SKOS + "inScheme"]) == 1, iri


def test_committed_codelists_equal_the_generator_output(tmp_path: Path) -> None:
    samples = _samples()
    for scheme in codelists.build_schemes(samples):
        committed = (CODELIST_DIR / f"{scheme.name}.ttl").read_text(encoding="utf-8")
        assert committed == codelists.render_turtle(scheme), (
            f"{scheme.name}.ttl is stale: run python -m registry.codelists"
        )
    assert codelists.main(["--samples", str(samples), "--out", str(CODELIST_DIR), "--check"]) == 0
    assert codelists.main(["--samples", str(samples), "--out", str(tmp_path), "--check"]) == 1
    assert not list(tmp_path.iterdir())


def test_every_code_of_the_value_lists_is_published() -> None:
    samples = _samples()
    files = {"foerderart": "foerderartenbund.dat", "zulassungsstatus": "zertstatus.dat",
             "unterrichtsform": "unterrichtsform.dat", "unterrichtszeit": "unterrichtszeit.dat",
             "dauerklasse": "dauerklassen.dat", "unterrichtssprache": "unterrichtssprache.dat",
             "anbietertyp": "zugehoerig.dat"}
    for scheme, file in files.items():
        concepts = _concepts(_index(_triples(CODELIST_DIR / f"{scheme}.ttl")))
        for key, label in codelists.read_value_list(samples / file):
            props = concepts[f"{CODE}{scheme}/{key}"]
            de = [lit.value for lit in props[SKOS + "prefLabel"]
                  if lit.language == "de"]
            assert de == [label], (scheme, key)
    nrw = codelists.read_grouped_value_list(samples / "foerderartenland.dat")["Nordrhein-Westfalen"]
    foerderart = _concepts(_index(_triples(CODELIST_DIR / "foerderart.ttl")))
    for key, _ in nrw:
        assert f"{CODE}foerderart/nrw-{key}" in foerderart
    assert f"{CODE}foerderart/nrw-bildungsscheck" in foerderart


def test_delivery_modes_roll_up_with_course_mode_and_europass_mode() -> None:
    concepts = _concepts(_index(_triples(CODELIST_DIR / "unterrichtsform.ttl")))
    expected = {"1": ("praesenz", "Onsite"), "2": ("digital", "Online"),
                "3": ("kombiniert", "Blended"), "4": ("fernunterricht", "Online")}
    three_digit = [i for i in concepts if len(i.rsplit("/", 1)[1]) == 3]
    assert len(three_digit) == 18  # 101–105, 201–206, 301–304, 401–403
    for iri in three_digit:
        rollup, mode = expected[iri.rsplit("/", 1)[1][0]]
        props = concepts[iri]
        assert [b.value for b in props[SKOS + "broader"]] == [
            f"{CODE}unterrichtsform/{rollup}"]
        assert [m.value for m in props[BN + "schemaCourseMode"]] == [mode]
        [match] = props[SKOS + "closeMatch"]
        assert match.value in codelists.ELM_MODE.values()
    for iri, props in concepts.items():
        modes = [m.value for m in props.get(BN + "schemaCourseMode", [])]
        assert set(modes) <= {"Onsite", "Online", "Blended"}
        assert len(modes) <= 1, iri


def test_languages_match_the_eu_language_authority() -> None:
    concepts = _concepts(_index(_triples(CODELIST_DIR / "unterrichtssprache.ttl")))
    prefix = "http://publications.europa.eu/resource/authority/language/"
    german = concepts[f"{CODE}unterrichtssprache/deu"][SKOS + "exactMatch"]
    assert [m.value for m in german] == [prefix + "DEU"]
    for props in concepts.values():
        for match in props.get(SKOS + "exactMatch", []):
            code = match.value.removeprefix(prefix)
            assert len(code) == 3 and code.isupper(), code


def test_kldb_occupations_sit_under_their_group_and_area() -> None:
    concepts = _concepts(_index(_triples(CODELIST_DIR / "kldb2010.ttl")))
    base = CODE + "kldb2010/"
    five = [i for i in concepts if len(i.removeprefix(base)) == 5]
    assert len(five) >= 35
    for iri in five:
        key = iri.removeprefix(base)
        assert key.isdigit()
        [group] = concepts[iri][SKOS + "broader"]
        assert group.value == base + key[:3]
        [area] = concepts[group.value][SKOS + "broader"]
        assert area.value == base + key[0]


def test_value_list_reader_handles_the_ba_quirks(tmp_path: Path) -> None:
    path = tmp_path / "x.dat"
    path.write_bytes("1|Präsenz\t\r\n\r\n2|Maßnahme ".encode("cp1252"))
    assert codelists.read_value_list(path) == [("1", "Präsenz"), ("2", "Maßnahme")]
    grouped = tmp_path / "land.dat"
    grouped.write_text("Bayern\n1|A\n\nNordrhein-Westfalen\n40|B\n", encoding="utf-8")
    assert codelists.read_grouped_value_list(grouped) == {
        "Bayern": [("1", "A")], "Nordrhein-Westfalen": [("40", "B")]}
    broken = tmp_path / "broken.dat"
    broken.write_text("1|\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"code\|label"):
        codelists.read_value_list(broken)


def test_a_code_without_english_label_is_refused(tmp_path: Path) -> None:
    samples = _samples()
    for path in samples.glob("*.dat"):
        (tmp_path / path.name).write_bytes(path.read_bytes())
    with (tmp_path / "dauerklassen.dat").open("a", encoding="utf-8") as handle:
        handle.write("\n77|neue Klasse\n")
    with pytest.raises(InputError, match="dauerklasse: no English label for code"):
        codelists.build_schemes(tmp_path)
    (tmp_path / "zertstatus.dat").unlink()
    with pytest.raises(ConfigError, match=r"zertstatus\.dat"):
        codelists.build_schemes(tmp_path)
