"""The SHACL shapes (``shapes/core.ttl``, ``shapes/quality.ttl``) with pySHACL as the oracle.

The broken cases are the complete offer in ``tests/data/shapes/valid-offer.ttl`` with one small
mutation each, so a case is one line and its expected report is exact: which severity, which
focus node, which shape (and the path that shape declares). A core case must not also raise a
warning unless it says so, which is how "the quality profile does not repeat core checks" is
tested. Validation runs without the vocabulary graph, as the import engine runs it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import NamedTuple

import pytest
from pyshacl import validate
from pyshacl.entrypoints import meta_validate
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, RDFS, SH, SKOS
from rdflib.term import Node

from registry.namespaces import BN as BN_IRI
from registry.namespaces import CODE
from registry.namespaces import SCHEMA as SCHEMA_IRI
from registry.namespaces import XSD as XSD_IRI
from registry.resources import ontology_dir, shapes_dir

__all__: list[str] = []

SCHEMA = Namespace(SCHEMA_IRI)
BN = Namespace(BN_IRI)
CORE = Namespace("https://w3id.org/bildungsnetz/shapes/core#")
QUALITY = Namespace("https://w3id.org/bildungsnetz/shapes/quality#")
# plain IRIs: pytest probes module attributes, and rdflib's XSD namespace warns on unknown names
XSD_DATE = URIRef(XSD_IRI + "date")
XSD_DATETIME = URIRef(XSD_IRI + "dateTime")
XSD_ANYURI = URIRef(XSD_IRI + "anyURI")

DATA = Path(__file__).parent / "data" / "shapes"
EX = "https://technikakademie-lippe.example/"
COURSE = URIRef(EX + "kurs/sps-grundlagen")
OFFER = URIRef(EX + "kurs/sps-grundlagen/preis")
RUN = URIRef(EX + "kurs/sps-grundlagen/termin-1")
PLACE = URIRef(EX + "ort/lemgo")
ADDRESS = URIRef(EX + "ort/lemgo/anschrift")
GEO = URIRef(EX + "ort/lemgo/geo")
ORG = URIRef(EX + "anbieter")

Mutation = Callable[[Graph], None]


def code(scheme: str, notation: str) -> URIRef:
    return URIRef(f"{CODE}{scheme}/{notation}")


def date(text: str) -> Literal:
    return Literal(text, datatype=XSD_DATE)


def datetime(text: str) -> Literal:
    return Literal(text, datatype=XSD_DATETIME)


# --- mutations of the valid offer ------------------------------------------------------------


def without(s: Node, p: URIRef, o: Node | None = None) -> Mutation:
    def apply(g: Graph) -> None:
        g.remove((s, p, o))

    return apply


def plus(s: Node, p: URIRef, o: Node) -> Mutation:
    def apply(g: Graph) -> None:
        g.add((s, p, o))

    return apply


def put(s: Node, p: URIRef, *objects: Node) -> Mutation:
    def apply(g: Graph) -> None:
        g.remove((s, p, None))
        for o in objects:
            g.add((s, p, o))

    return apply


def both(*mutations: Mutation) -> Mutation:
    def apply(g: Graph) -> None:
        for m in mutations:
            m(g)

    return apply


def blank_provider(g: Graph) -> None:
    node = BNode()
    g.remove((COURSE, SCHEMA.provider, None))
    g.add((COURSE, SCHEMA.provider, node))
    g.add((node, RDF.type, SCHEMA.Organization))
    g.add((node, SCHEMA.name, Literal("Technikakademie Lippe")))


def schedule_instead_of_start(g: Graph) -> None:
    node = BNode()
    g.remove((RUN, SCHEMA.startDate, None))
    g.remove((RUN, SCHEMA.endDate, None))
    g.add((RUN, SCHEMA.courseSchedule, node))
    g.add((node, RDF.type, SCHEMA.Schedule))
    g.add((node, SCHEMA.repeatFrequency, Literal("P1W")))


def price_on_run_only(g: Graph) -> None:
    g.remove((COURSE, SCHEMA.offers, None))
    g.add((RUN, SCHEMA.offers, OFFER))


# --- running pySHACL -------------------------------------------------------------------------


class Result(NamedTuple):
    severity: Node | None
    focus: Node | None
    shape: Node | None
    path: Node | None
    messages: frozenset[str]


Expected = tuple[URIRef, URIRef, URIRef]  # severity, focus, source shape


def V(focus: URIRef, shape: URIRef) -> Expected:
    return (SH.Violation, focus, shape)


def W(focus: URIRef, shape: URIRef) -> Expected:
    return (SH.Warning, focus, shape)


@pytest.fixture(scope="module")
def core_shapes() -> Graph:
    return Graph().parse(shapes_dir() / "core.ttl", format="turtle")


@pytest.fixture(scope="module")
def quality_shapes() -> Graph:
    return Graph().parse(shapes_dir() / "quality.ttl", format="turtle")


@pytest.fixture(scope="module")
def all_shapes(core_shapes: Graph, quality_shapes: Graph) -> Graph:
    return core_shapes + quality_shapes


@pytest.fixture
def valid_offer() -> Graph:
    return Graph().parse(DATA / "valid-offer.ttl", format="turtle")


def run(data: Graph, shapes: Graph) -> list[Result]:
    _conforms, report, _text = validate(
        data, shacl_graph=shapes, inference="none", allow_warnings=True
    )
    assert isinstance(report, Graph)
    return [
        Result(
            severity=report.value(r, SH.resultSeverity),
            focus=report.value(r, SH.focusNode),
            shape=report.value(r, SH.sourceShape),
            path=report.value(r, SH.resultPath),
            messages=frozenset(str(m) for m in report.objects(r, SH.resultMessage)),
        )
        for r in report.subjects(RDF.type, SH.ValidationResult)
    ]


def assert_report(results: list[Result], expected: Iterable[Expected], shapes: Graph) -> None:
    got = sorted((str(r.severity), str(r.focus), str(r.shape)) for r in results)
    assert got == sorted(tuple(str(term) for term in e) for e in expected)
    for r in results:
        assert r.shape is not None
        declared = shapes.value(r.shape, SH.path)
        if isinstance(declared, URIRef):
            assert r.path == declared
        elif declared is None:
            assert r.path is None
        else:
            assert isinstance(r.path, BNode)
        # pySHACL 0.40 drops the language tags of SPARQL-based results' messages (it formats
        # them as templates), so the texts are compared; the engine reads the tagged messages
        # from the shapes graph by sh:sourceShape.
        own = {
            m.language: str(m)
            for m in shapes.objects(r.shape, SH.message)
            if isinstance(m, Literal)
        }
        assert {own["de"], own["en"]} <= r.messages, f"{r.shape} reports without de/en message"


# --- the cases -------------------------------------------------------------------------------

UF, FA, ZS = "unterrichtsform", "foerderart", "zulassungsstatus"

CORE_CASES = [
    pytest.param(without(COURSE, SCHEMA.name), [V(COURSE, CORE.CourseNameShape)], id="no-title"),
    pytest.param(
        put(COURSE, SCHEMA.name, Literal("PLC basics", lang="en")),
        [V(COURSE, CORE.CourseNameShape)],
        id="title-only-english",
    ),
    pytest.param(
        plus(COURSE, SCHEMA.name, Literal("Zweiter Titel", lang="de")),
        [V(COURSE, CORE.CourseNameShape)],
        id="two-german-titles",
    ),
    pytest.param(
        without(COURSE, SCHEMA.description),
        [V(COURSE, CORE.CourseDescriptionShape)],
        id="no-description",
    ),
    pytest.param(
        without(COURSE, SCHEMA.provider), [V(COURSE, CORE.CourseProviderShape)], id="no-provider"
    ),
    pytest.param(
        both(
            plus(COURSE, SCHEMA.provider, URIRef(EX + "zweiter")),
            plus(URIRef(EX + "zweiter"), RDF.type, SCHEMA.Organization),
        ),
        [V(COURSE, CORE.CourseProviderShape)],
        id="two-providers",
    ),
    pytest.param(blank_provider, [V(COURSE, CORE.CourseProviderIriShape)], id="provider-blank"),
    pytest.param(
        without(ORG, RDF.type),
        [V(COURSE, CORE.CourseProviderTypeShape)],
        id="provider-not-organisation",
    ),
    pytest.param(without(COURSE, SCHEMA.url), [V(COURSE, CORE.CourseUrlShape)], id="no-url"),
    pytest.param(
        put(COURSE, SCHEMA.url, Literal("www.example.org/kurs")),
        [V(COURSE, CORE.CourseUrlShape)],
        id="url-without-scheme",
    ),
    pytest.param(
        without(COURSE, SCHEMA.hasCourseInstance),
        [V(COURSE, CORE.CourseInstanceShape)],
        id="no-run",
    ),
    pytest.param(without(RUN, SCHEMA.courseMode), [V(RUN, CORE.RunCourseModeShape)], id="no-mode"),
    pytest.param(
        plus(RUN, SCHEMA.courseMode, code(UF, "102")),
        [V(RUN, CORE.RunCourseModeShape)],
        id="two-modes",
    ),
    pytest.param(
        put(RUN, SCHEMA.courseMode, code(UF, "999")),
        [V(RUN, CORE.CourseModeCodeShape)],
        id="mode-unknown-code",
    ),
    pytest.param(
        put(RUN, SCHEMA.courseMode, Literal("Onsite")),
        [V(RUN, CORE.CourseModeCodeShape)],
        id="mode-as-text",
    ),
    pytest.param(
        put(RUN, SCHEMA.courseMode, code(FA, "101")),
        [V(RUN, CORE.CourseModeCodeShape)],
        id="mode-from-wrong-scheme",
    ),
    pytest.param(
        both(without(RUN, SCHEMA.startDate), without(RUN, SCHEMA.endDate)),
        [V(RUN, CORE.RunStartShape)],
        id="no-start",
    ),
    pytest.param(
        both(
            without(RUN, SCHEMA.startDate),
            without(RUN, SCHEMA.endDate),
            plus(RUN, BN.flexibleStart, Literal(False)),
        ),
        [V(RUN, CORE.RunStartShape)],
        id="flexible-start-false",
    ),
    pytest.param(
        put(RUN, SCHEMA.endDate, date("2099-02-27")),
        [V(RUN, CORE.RunEndDateShape)],
        id="end-before-start",
    ),
    pytest.param(
        both(
            put(RUN, SCHEMA.startDate, datetime("2099-03-02T10:00:00")),
            put(RUN, SCHEMA.endDate, datetime("2099-03-02T09:00:00")),
        ),
        [V(RUN, CORE.RunEndDateShape)],
        id="end-before-start-same-day",
    ),
    pytest.param(
        both(
            put(RUN, SCHEMA.startDate, datetime("2099-03-02T10:00:00+01:00")),
            put(RUN, SCHEMA.endDate, datetime("2099-03-02T08:30:00Z")),
        ),
        [V(RUN, CORE.RunEndDateShape)],
        id="end-before-start-with-time-zones",
    ),
    pytest.param(
        put(RUN, SCHEMA.startDate, Literal("2099-03-02")),
        [V(RUN, CORE.StartDateFormatShape)],
        id="start-plain-string",
    ),
    pytest.param(
        put(RUN, SCHEMA.startDate, date("2099-13-45")),
        [V(RUN, CORE.StartDateFormatShape)],
        id="start-ill-formed",
    ),
    pytest.param(
        both(
            put(RUN, SCHEMA.startDate, datetime("2099-02-30T10:00:00")),
            put(RUN, SCHEMA.endDate, datetime("2099-02-28T10:00:00")),
        ),
        [V(RUN, CORE.StartDateFormatShape)],
        id="start-ill-formed-datetime",
    ),
    pytest.param(
        both(
            put(RUN, SCHEMA.startDate, datetime("2099-03-02T25:00:00")),
            put(RUN, SCHEMA.endDate, date("2099-03-01")),
        ),
        [V(RUN, CORE.StartDateFormatShape), V(RUN, CORE.RunEndDateShape)],
        id="start-ill-formed-time-and-end-day-before",
    ),
    pytest.param(
        put(RUN, SCHEMA.endDate, datetime("2099-03-01T18:00:00")),
        [V(RUN, CORE.RunEndDateShape)],
        id="end-datetime-before-start-date",
    ),
    pytest.param(
        put(RUN, SCHEMA.endDate, Literal("Ende Mai")),
        [V(RUN, CORE.EndDateFormatShape)],
        id="end-text",
    ),
    pytest.param(
        put(RUN, BN.registrationDeadline, Literal("15.02.2099")),
        [V(RUN, CORE.RegistrationDeadlineFormatShape)],
        id="deadline-german-format",
    ),
    pytest.param(
        without(RUN, SCHEMA.location),
        [V(RUN, CORE.RunInPersonPlaceShape)],
        id="in-person-without-venue",
    ),
    pytest.param(
        without(ADDRESS, SCHEMA.postalCode),
        [V(RUN, CORE.RunInPersonPlaceShape)],
        id="venue-without-postal-code",
    ),
    pytest.param(
        without(ADDRESS, SCHEMA.addressLocality),
        [V(RUN, CORE.RunInPersonPlaceShape)],
        id="venue-without-locality",
    ),
    pytest.param(
        both(put(RUN, SCHEMA.courseMode, code(UF, "303")), without(PLACE, SCHEMA.address)),
        [V(RUN, CORE.RunInPersonPlaceShape)],
        id="hybrid-without-address",
    ),
    pytest.param(
        put(ADDRESS, SCHEMA.postalCode, Literal("3265")),
        [V(ADDRESS, CORE.GermanPostalCodeShape)],
        id="postal-code-four-digits",
    ),
    pytest.param(
        put(OFFER, SCHEMA.price, Literal(-5)), [V(OFFER, CORE.PriceShape)], id="price-negative"
    ),
    pytest.param(
        put(OFFER, SCHEMA.price, Literal("1.234,50 €")),
        [V(OFFER, CORE.PriceShape)],
        id="price-text",
    ),
    pytest.param(
        without(OFFER, SCHEMA.priceCurrency),
        [V(OFFER, CORE.PriceCurrencyRequiredShape)],
        id="price-without-currency",
    ),
    pytest.param(
        put(OFFER, SCHEMA.priceCurrency, Literal("eur")),
        [V(OFFER, CORE.PriceCurrencyFormatShape)],
        id="currency-lowercase",
    ),
    pytest.param(
        put(OFFER, SCHEMA.priceCurrency, Literal("Euro")),
        [V(OFFER, CORE.PriceCurrencyFormatShape)],
        id="currency-word",
    ),
    pytest.param(
        put(COURSE, SCHEMA.financialAidEligible, code(FA, "2"), code(FA, "99")),
        [V(COURSE, CORE.FundingCodeShape)],
        id="funding-unknown-code",
    ),
    pytest.param(
        put(COURSE, BN.durationClass, code("dauerklasse", "42")),
        [V(COURSE, CORE.DurationClassCodeShape)],
        id="duration-class-unknown",
    ),
    pytest.param(
        put(RUN, BN.attendancePattern, Literal("Teilzeit")),
        [V(RUN, CORE.AttendancePatternCodeShape)],
        id="attendance-as-text",
    ),
    pytest.param(
        put(ORG, BN.providerType, code("anbietertyp", "sonstige")),
        [V(ORG, CORE.ProviderTypeCodeShape)],
        id="provider-type-unknown",
    ),
    # An unknown AZAV status is no approval: the Bildungsgutschein hint rightly follows.
    pytest.param(
        put(COURSE, BN.azavStatus, code(ZS, "2")),
        [V(COURSE, CORE.AzavStatusCodeShape), W(COURSE, QUALITY.BildungsgutscheinAzavShape)],
        id="azav-unknown-code",
    ),
]

QUALITY_CASES = [
    pytest.param(
        without(COURSE, SCHEMA.teaches), [W(COURSE, QUALITY.CourseSkillShape)], id="no-skill"
    ),
    pytest.param(
        put(COURSE, SCHEMA.teaches, Literal("SPS programmieren")),
        [W(COURSE, QUALITY.CourseSkillShape)],
        id="skill-as-text",
    ),
    pytest.param(
        without(COURSE, SCHEMA.occupationalCategory),
        [W(COURSE, QUALITY.CourseOccupationShape)],
        id="no-occupation",
    ),
    pytest.param(
        put(COURSE, SCHEMA.occupationalCategory, Literal("B 26112-90200")),
        [W(COURSE, QUALITY.CourseOccupationShape)],
        id="occupation-as-text",
    ),
    pytest.param(
        without(COURSE, BN.fieldOfEducation), [W(COURSE, QUALITY.CourseFieldShape)], id="no-field"
    ),
    pytest.param(
        without(COURSE, SCHEMA.educationalLevel),
        [W(COURSE, QUALITY.CourseLevelShape)],
        id="no-level",
    ),
    pytest.param(
        put(COURSE, SCHEMA.educationalLevel, URIRef("http://data.europa.eu/snb/eqf/9")),
        [W(COURSE, QUALITY.CourseLevelShape)],
        id="level-out-of-range",
    ),
    pytest.param(
        both(
            without(COURSE, SCHEMA.timeRequired),
            without(COURSE, BN.teachingUnits),
            without(COURSE, BN.durationClass),
        ),
        [W(COURSE, QUALITY.CourseDurationShape)],
        id="no-duration",
    ),
    pytest.param(
        without(COURSE, SCHEMA.educationalCredentialAwarded),
        [W(COURSE, QUALITY.CourseCredentialShape)],
        id="no-credential",
    ),
    pytest.param(
        without(COURSE, SCHEMA.inLanguage),
        [W(COURSE, QUALITY.CourseLanguageShape)],
        id="no-language",
    ),
    pytest.param(
        without(COURSE, SCHEMA.offers), [W(COURSE, QUALITY.CoursePriceShape)], id="no-price"
    ),
    pytest.param(
        without(PLACE, SCHEMA.containedInPlace), [W(RUN, QUALITY.RunKreisShape)], id="no-kreis"
    ),
    pytest.param(
        put(PLACE, SCHEMA.containedInPlace, URIRef("http://data.europa.eu/nuts/code/DEA45")),
        [W(RUN, QUALITY.RunKreisShape)],
        id="kreis-as-nuts",
    ),
    pytest.param(without(PLACE, SCHEMA.geo), [W(RUN, QUALITY.RunGeoShape)], id="no-coordinates"),
    pytest.param(without(GEO, SCHEMA.longitude), [W(RUN, QUALITY.RunGeoShape)], id="no-longitude"),
    pytest.param(
        without(COURSE, BN.azavStatus),
        [W(COURSE, QUALITY.BildungsgutscheinAzavShape)],
        id="bildungsgutschein-without-azav",
    ),
    pytest.param(
        put(COURSE, BN.azavStatus, code(ZS, "0")),
        [W(COURSE, QUALITY.BildungsgutscheinAzavShape)],
        id="bildungsgutschein-not-approved",
    ),
    pytest.param(
        both(
            without(COURSE, BN.azavStatus),
            without(COURSE, SCHEMA.financialAidEligible),
            plus(RUN, SCHEMA.financialAidEligible, code(FA, "2")),
        ),
        [W(COURSE, QUALITY.BildungsgutscheinAzavShape)],
        id="bildungsgutschein-on-run",
    ),
    pytest.param(
        both(
            put(RUN, SCHEMA.startDate, date("1999-03-01")),
            put(RUN, SCHEMA.endDate, date("2099-03-01")),
        ),
        [W(RUN, QUALITY.RunStartInPastShape)],
        id="start-in-past",
    ),
    pytest.param(
        put(RUN, SCHEMA.startDate, datetime("1999-03-01T09:00:00+01:00")),
        [W(RUN, QUALITY.RunStartInPastShape)],
        id="start-in-past-datetime",
    ),
]

# Variants that must stay free of violations and warnings: the shapes are not stricter than
# the model in docs/design.md.
CLEAN_VARIANTS = [
    pytest.param(put(COURSE, SCHEMA.name, Literal("SPS-Grundlagen")), id="untagged-title"),
    pytest.param(
        put(COURSE, SCHEMA.name, Literal("SPS-Grundlagen", lang="de-DE")), id="title-de-DE"
    ),
    pytest.param(
        put(COURSE, SCHEMA.url, Literal(EX + "kurse/sps", datatype=XSD_ANYURI)),
        id="url-anyuri-literal",
    ),
    pytest.param(put(COURSE, SCHEMA.url, Literal(EX + "kurse/sps")), id="url-string"),
    pytest.param(put(ORG, RDF.type, SCHEMA.EducationalOrganization), id="educational-org"),
    pytest.param(
        both(
            without(RUN, SCHEMA.startDate),
            without(RUN, SCHEMA.endDate),
            plus(RUN, BN.flexibleStart, Literal(True)),
        ),
        id="flexible-start",
    ),
    pytest.param(schedule_instead_of_start, id="schedule"),
    pytest.param(
        put(RUN, SCHEMA.endDate, datetime("2099-03-02T17:00:00")),
        id="date-start-datetime-end-same-day",
    ),
    pytest.param(
        both(
            put(RUN, SCHEMA.startDate, datetime("2099-03-02T09:00:00+01:00")),
            put(RUN, SCHEMA.endDate, date("2099-03-02")),
        ),
        id="datetime-start-date-end-same-day",
    ),
    pytest.param(put(RUN, SCHEMA.endDate, date("2099-03-02")), id="one-day-run"),
    pytest.param(
        both(
            put(RUN, SCHEMA.startDate, datetime("2099-03-02T10:00:00+01:00")),
            put(RUN, SCHEMA.endDate, datetime("2099-03-02T09:30:00Z")),
        ),
        id="end-after-start-in-other-time-zone",
    ),
    pytest.param(
        both(
            put(RUN, SCHEMA.startDate, datetime("2099-03-02T09:00:00")),
            put(RUN, SCHEMA.endDate, datetime("2099-03-05T17:00:00+01:00")),
        ),
        id="local-start-zoned-end",
    ),
    pytest.param(
        both(put(RUN, SCHEMA.courseMode, code(UF, "202")), without(RUN, SCHEMA.location)),
        id="online-without-venue",
    ),
    pytest.param(put(RUN, SCHEMA.courseMode, code(UF, "praesenz")), id="roll-up-mode"),
    pytest.param(
        both(
            put(ADDRESS, SCHEMA.addressCountry, Literal("AT")),
            put(ADDRESS, SCHEMA.postalCode, Literal("1010")),
        ),
        id="austrian-address",
    ),
    pytest.param(put(OFFER, SCHEMA.price, Literal(0)), id="price-zero-integer"),
    pytest.param(put(OFFER, SCHEMA.price, Literal(99.5)), id="price-double"),
    pytest.param(without(OFFER, SCHEMA.price), id="price-note-only"),
    pytest.param(price_on_run_only, id="price-on-run"),
    pytest.param(
        put(
            COURSE,
            SCHEMA.occupationalCategory,
            URIRef("http://data.europa.eu/esco/occupation/f2b15a0e-e65a-438a-affb-29b9d50b77d1"),
        ),
        id="esco-occupation",
    ),
    pytest.param(
        both(
            without(COURSE, SCHEMA.timeRequired),
            without(COURSE, BN.teachingUnits),
            without(COURSE, BN.durationClass),
            plus(RUN, BN.durationClass, code("dauerklasse", "4")),
        ),
        id="duration-class-on-run",
    ),
    pytest.param(
        both(without(COURSE, SCHEMA.inLanguage), plus(RUN, SCHEMA.inLanguage, Literal("de"))),
        id="language-on-run",
    ),
    pytest.param(
        both(
            without(COURSE, BN.azavStatus),
            put(COURSE, SCHEMA.financialAidEligible, code(FA, "nrw-bildungsscheck")),
        ),
        id="bildungsscheck-needs-no-azav",
    ),
    pytest.param(
        put(
            PLACE,
            SCHEMA.containedInPlace,
            URIRef("https://w3id.org/bildungsnetz/region/muensterland/kreis/05566"),
        ),
        id="kreis-of-other-region",
    ),
]


@pytest.mark.parametrize("mutate, expected", CORE_CASES)
def test_core_case_yields_exactly_its_violation(
    valid_offer: Graph, all_shapes: Graph, mutate: Mutation, expected: list[Expected]
) -> None:
    mutate(valid_offer)
    assert_report(run(valid_offer, all_shapes), expected, all_shapes)


@pytest.mark.parametrize("mutate, expected", QUALITY_CASES)
def test_quality_case_yields_exactly_its_warning(
    valid_offer: Graph, all_shapes: Graph, mutate: Mutation, expected: list[Expected]
) -> None:
    mutate(valid_offer)
    assert_report(run(valid_offer, all_shapes), expected, all_shapes)


@pytest.mark.parametrize("mutate", CLEAN_VARIANTS)
def test_variant_allowed_by_the_model_stays_clean(
    valid_offer: Graph, all_shapes: Graph, mutate: Mutation
) -> None:
    mutate(valid_offer)
    assert run(valid_offer, all_shapes) == []


def test_valid_offer_has_no_violation_and_no_warning(valid_offer: Graph, all_shapes: Graph) -> None:
    assert run(valid_offer, all_shapes) == []


def test_each_profile_works_alone(
    valid_offer: Graph, core_shapes: Graph, quality_shapes: Graph
) -> None:
    without(PLACE, SCHEMA.containedInPlace)(valid_offer)
    without(COURSE, SCHEMA.description)(valid_offer)
    assert_report(
        run(valid_offer, core_shapes), [V(COURSE, CORE.CourseDescriptionShape)], core_shapes
    )
    assert_report(run(valid_offer, quality_shapes), [W(RUN, QUALITY.RunKreisShape)], quality_shapes)


def test_offers_are_validated_one_by_one_in_a_batch(valid_offer: Graph, all_shapes: Graph) -> None:
    """Two offers in one graph: a broken second offer does not taint the first one."""
    other = Graph().parse(DATA / "valid-offer.ttl", format="turtle")
    renamed = Graph()
    for triple in other:
        renamed.add(
            tuple(  # type: ignore[arg-type]
                URIRef(str(t).replace("/kurs/sps-grundlagen", "/kurs/zwei"))
                if isinstance(t, URIRef)
                else t
                for t in triple
            )
        )
    second = URIRef(EX + "kurs/zwei")
    renamed.remove((second, SCHEMA.url, None))
    results = run(valid_offer + renamed, all_shapes)
    assert_report(results, [V(second, CORE.CourseUrlShape)], all_shapes)


# --- the shapes graphs themselves ------------------------------------------------------------

PROFILES = {"core": (CORE, SH.Violation), "quality": (QUALITY, SH.Warning)}


def shapes_in(graph: Graph) -> set[Node]:
    """The named node and property shapes and the property shapes they hold. Anonymous shapes
    inside sh:or lists or qualified value shapes are left out: they report through the shape
    that holds them."""
    found: set[Node] = set(graph.subjects(RDF.type, SH.NodeShape))
    found |= set(graph.subjects(RDF.type, SH.PropertyShape))
    found |= {o for s, o in graph.subject_objects(SH.property) if isinstance(s, URIRef)}
    return found


def reporting_shapes(graph: Graph) -> set[Node]:
    """Shapes that report results of their own: targeted ones and their sh:property values."""
    targets = (SH.targetClass, SH.targetNode, SH.targetObjectsOf, SH.targetSubjectsOf)
    found = {s for t in targets for s in graph.subjects(t, None)}
    return found | {p for s in found for p in graph.objects(s, SH.property)}


@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_shapes_conform_to_shacl_for_shacl(profile: str) -> None:
    graph = Graph().parse(shapes_dir() / f"{profile}.ttl", format="turtle")
    assert len(graph) > 100
    # the nested alternative paths of the quality profile need one level more than the default 15
    conforms, _report, text = meta_validate(graph, max_validation_depth=20)
    assert conforms, text


@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_every_shape_speaks_german_and_english(profile: str) -> None:
    graph = Graph().parse(shapes_dir() / f"{profile}.ttl", format="turtle")
    shapes = shapes_in(graph)
    assert len(shapes) > 10
    for shape in shapes:
        for prop in (SH.name, SH.message):
            langs = {o.language for o in graph.objects(shape, prop) if isinstance(o, Literal)}
            assert {"de", "en"} <= langs, f"{shape} lacks {prop} in de or en"
    for shape in graph.subjects(RDF.type, SH.NodeShape):
        langs = {o.language for o in graph.objects(shape, RDFS.label) if isinstance(o, Literal)}
        assert {"de", "en"} <= langs, f"{shape} lacks rdfs:label in de or en"


@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_shapes_are_open_named_and_of_one_severity(profile: str) -> None:
    namespace, severity = PROFILES[profile]
    graph = Graph().parse(shapes_dir() / f"{profile}.ttl", format="turtle")
    assert not list(graph.triples((None, SH.closed, None)))
    for shape in reporting_shapes(graph):
        assert isinstance(shape, URIRef) and str(shape).startswith(str(namespace)), shape
        assert graph.value(shape, SH.severity) == severity, shape
    for shape in shapes_in(graph):
        if isinstance(shape, URIRef):
            assert str(shape).startswith(str(namespace)), shape


def test_readme_lists_every_named_shape(all_shapes: Graph) -> None:
    readme = (shapes_dir() / "README.md").read_text(encoding="utf-8")
    listed = set(re.findall(r"`(core|quality):(\w+)`", readme))
    named = {
        (("core" if str(s).startswith(str(CORE)) else "quality"), str(s).rsplit("#", 1)[1])
        for s in shapes_in(all_shapes)
        if isinstance(s, URIRef)
    }
    assert named == listed


def in_lists(graph: Graph) -> list[tuple[Node, list[Node]]]:
    return [
        (shape, list(Collection(graph, head))) for shape, head in graph.subject_objects(SH["in"])
    ]


def coded_lists(graph: Graph) -> dict[str, set[URIRef]]:
    """Per code-list scheme, every concept IRI that some sh:in list of the graph names."""
    schemes: dict[str, set[URIRef]] = {}
    for _shape, members in in_lists(graph):
        for member in members:
            if isinstance(member, URIRef) and str(member).startswith(CODE):
                scheme = str(member)[len(CODE) :].split("/", 1)[0]
                schemes.setdefault(scheme, set()).add(member)
    return schemes


def code_list(scheme: str) -> Graph:
    path = ontology_dir() / "codelists" / f"{scheme}.ttl"
    if not path.is_file():
        pytest.skip(f"code list {path.name} not written yet (ontology/codelists/)")
    return Graph().parse(path, format="turtle")


SCHEMES = [
    "anbietertyp",
    "dauerklasse",
    "foerderart",
    "unterrichtsform",
    "unterrichtszeit",
    "zulassungsstatus",
]


def test_schemes_list_is_complete(all_shapes: Graph) -> None:
    assert sorted(coded_lists(all_shapes)) == SCHEMES


@pytest.mark.parametrize("scheme", SCHEMES)
def test_coded_values_exist_in_the_code_list(all_shapes: Graph, scheme: str) -> None:
    concepts = code_list(scheme)
    scheme_iri = URIRef(CODE + scheme)
    for iri in coded_lists(all_shapes)[scheme]:
        assert (iri, SKOS.inScheme, scheme_iri) in concepts, f"{iri} is not in {scheme}.ttl"


@pytest.mark.parametrize("scheme", SCHEMES)
def test_every_concept_is_accepted_by_its_shape(core_shapes: Graph, scheme: str) -> None:
    """The converse: no code of the list would be rejected as a wrong value."""
    concepts = code_list(scheme)
    accepted = {m for _s, members in in_lists(core_shapes) for m in members}
    for concept in concepts.subjects(SKOS.inScheme, URIRef(CODE + scheme)):
        assert concept in accepted, f"{concept} is in {scheme}.ttl but no sh:in list accepts it"


def in_list(graph: Graph, shape: URIRef) -> set[Node]:
    head = graph.value(shape, SH["in"])
    assert head is not None, f"{shape} has no sh:in"
    return set(Collection(graph, head))


def test_in_person_modes_agree_with_the_code_list(
    core_shapes: Graph, quality_shapes: Graph
) -> None:
    core_list = in_list(core_shapes, CORE.InPersonModeValue)
    quality_list = in_list(quality_shapes, QUALITY.InPersonModeValue)
    assert core_list == quality_list
    concepts = code_list("unterrichtsform")
    roll_ups = {code(UF, "praesenz"), code(UF, "kombiniert")}
    narrower = {c for r in roll_ups for c in concepts.subjects(SKOS.broader, r)}
    assert core_list == roll_ups | narrower
