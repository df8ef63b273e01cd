"""Generate the example partner feeds of the fictional OWL region.

    python examples/build.py            # rewrites examples/feeds/* and ontology/esco/skills.ttl
    python examples/build.py --out DIR  # writes the feeds elsewhere (the tests compare bytes)
    python examples/build.py --out DIR --esco FILE  # and the ESCO skill labels too

The output is committed; this script must reproduce it byte for byte, so everything is
derived from the tables in ``feed_tables.py`` and a fixed random seed per feed (a change to
one feed does not reshuffle the others). Each feed follows the model of ``docs/design.md``
section 1; partners differ in syntax (Turtle, JSON-LD with the remote schema.org context or an
inline one, RDF/XML, N-Triples) and in whether addresses and runs are blank nodes or IRIs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import re
import sys
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import pyoxigraph as ox

# The tables live beside this script; no __pycache__ in examples/, which ships in the wheel.
sys.dont_write_bytecode = True
sys.path.insert(0, str(Path(__file__).resolve().parent))

from feed_tables import (  # noqa: E402  (after the path set-up above)
    PARTNERS,
    SITES,
    SKILLS,
    TEMPLATES,
    FeedSpec,
    PartnerSpec,
    Template,
)

__all__ = ["EXTENSIONS", "build", "esco_turtle", "feed_bytes", "main"]

SEED = 20261121
FIRST_START = dt.date(2027, 1, 11)
LAST_END = dt.date(2028, 6, 30)

SCHEMA = "https://schema.org/"
BN = "https://w3id.org/bildungsnetz/ontology#"
CODE = "https://w3id.org/bildungsnetz/code/"
REGION = "https://w3id.org/bildungsnetz/region/owl/"
XSD = "http://www.w3.org/2001/XMLSchema#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
ESCO_SKILL = "http://data.europa.eu/esco/skill/"
EQF = "http://data.europa.eu/snb/eqf/"
ISCED_F = "http://data.europa.eu/snb/isced-f/"

EXTENSIONS = {
    "turtle": "ttl",
    "jsonld-remote": "jsonld",
    "jsonld-inline": "jsonld",
    "rdfxml": "rdf",
    "ntriples": "nt",
}

PREFIXES = {
    "schema": SCHEMA,
    "bn": BN,
    "xsd": XSD,
    "unterrichtsform": CODE + "unterrichtsform/",
    "unterrichtszeit": CODE + "unterrichtszeit/",
    "foerderart": CODE + "foerderart/",
    "zulassung": CODE + "zulassungsstatus/",
    "dauer": CODE + "dauerklasse/",
    "anbietertyp": CODE + "anbietertyp/",
    "kldb": CODE + "kldb2010/",
    "kreis": REGION + "kreis/",
    "thema": REGION + "topic/",
    "esco": ESCO_SKILL,
    "eqf": EQF,
    "iscedf": ISCED_F,
}

HEADER = (
    "Beispiel-Feed der fiktiven Region OWL ({name}). Erzeugt von examples/build.py - "
    "nicht von Hand bearbeiten."
)


@dataclass(frozen=True)
class Ref:
    """A node: an IRI, or a blank node with a label stable within one feed."""

    iri: str | None = None
    bnode: str | None = None


@dataclass(frozen=True)
class Lit:
    value: str
    datatype: str | None = None
    lang: str | None = None


@dataclass
class Node:
    ref: Ref
    type: str
    props: list[tuple[str, Ref | Lit]] = field(default_factory=list)

    def add(self, prop: str, value: Ref | Lit | None) -> None:
        if value is not None:
            self.props.append((prop, value))


def _typed(value: str, datatype: str) -> Lit:
    return Lit(value, XSD + datatype)


def _iri(iri: str) -> Ref:
    return Ref(iri=iri)


def slugify(text: str) -> str:
    """Readable ASCII path segment for a German title."""
    for a, b in (
        ("ä", "ae"),
        ("ö", "oe"),
        ("ü", "ue"),
        ("ß", "ss"),
        ("Ä", "ae"),
        ("Ö", "oe"),
        ("Ü", "ue"),
    ):
        text = text.replace(a, b)
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:70].rstrip("-")


def duration_class(span: int) -> str:
    """openQ-cat Dauerklasse for a run of ``span`` calendar days."""
    for limit, notation in (
        (3, "1"),
        (7, "2"),
        (31, "3"),
        (92, "4"),
        (183, "5"),
        (365, "6"),
        (730, "7"),
        (1095, "8"),
    ):
        if span <= limit:
            return notation
    return "9"


def time_required(span: int) -> str:
    return f"P{span}D" if span <= 31 else f"P{max(1, round(span / 30.4))}M"


def price_note(t: Template, price: int) -> str:
    notes = []
    if price == 0:
        notes.append("Kostenfrei für Teilnahmeberechtigte (Förderung durch das BAMF)")
    if "2" in t.funding:
        notes.append("förderfähig mit Bildungsgutschein (AZAV-zugelassen)")
    if "1" in t.funding:
        notes.append("förderfähig nach dem Aufstiegs-BAföG; Prüfungsgebühren nicht enthalten")
    if "nrw-bildungsscheck" in t.funding:
        notes.append("förderfähig mit dem Bildungsscheck NRW")
    if not notes:
        notes.append("inklusive Lernmaterial und Teilnahmebescheinigung")
    text = "; ".join(notes)
    return text[0].upper() + text[1:]


_TEMPLATE_FIELDS = {f.name for f in fields(Template)}


class FeedBuilder:
    """Builds the nodes of one feed, in the order they are written."""

    def __init__(self, partner: PartnerSpec, feed: FeedSpec) -> None:
        self.partner = partner
        self.feed = feed
        self.ns = f"https://{partner.id}.example/"
        self.rng = random.Random(f"{SEED}-{feed.id}")
        self.nodes: list[Node] = []
        self._bnodes = 0
        self._places: dict[str, Ref] = {}

    def ref(self, kind: str, iri: str) -> Ref:
        """IRI in IRI feeds, a fresh labelled blank node in blank-node feeds."""
        if self.feed.blank_nodes:
            self._bnodes += 1
            return Ref(bnode=f"{kind}{self._bnodes}")
        return _iri(iri)

    def organisation(self) -> Node:
        org = Node(_iri(self.ns + "organisation"), SCHEMA + "Organization")
        org.add(SCHEMA + "name", Lit(self.partner.name, lang="de"))
        org.add(SCHEMA + "url", _iri(self.ns + self.partner.extra.get("homepage_path", "")))
        org.add(BN + "providerType", _iri(f"{CODE}anbietertyp/{self.partner.provider_code}"))
        self.nodes.append(org)
        return org

    def place(self, key: str) -> Ref:
        if key in self._places and not self.feed.blank_nodes:
            return self._places[key]
        site = SITES[key]
        base = f"{self.ns}ort/{key}"
        place = Node(self.ref("ort", base), SCHEMA + "Place")
        addr = Node(self.ref("adresse", base + "#adresse"), SCHEMA + "PostalAddress")
        geo = Node(self.ref("geo", base + "#geo"), SCHEMA + "GeoCoordinates")
        place.add(SCHEMA + "name", Lit(site.name, lang="de"))
        place.add(SCHEMA + "address", addr.ref)
        place.add(SCHEMA + "geo", geo.ref)
        place.add(SCHEMA + "containedInPlace", _iri(f"{REGION}kreis/{site.kreis}"))
        addr.add(SCHEMA + "streetAddress", Lit(site.street))
        addr.add(SCHEMA + "postalCode", Lit(site.postcode))
        addr.add(SCHEMA + "addressLocality", Lit(site.town))
        addr.add(SCHEMA + "addressRegion", Lit("Nordrhein-Westfalen"))
        addr.add(SCHEMA + "addressCountry", Lit("DE"))
        geo.add(SCHEMA + "latitude", _typed(f"{site.lat:.4f}", "decimal"))
        geo.add(SCHEMA + "longitude", _typed(f"{site.lon:.4f}", "decimal"))
        self.nodes.extend((place, addr, geo))
        self._places[key] = place.ref
        return place.ref

    def offer(self, iri: str, price: int, note: str) -> Ref:
        node = Node(self.ref("preis", iri), SCHEMA + "Offer")
        node.add(SCHEMA + "price", _typed(f"{price}.00", "decimal"))
        node.add(SCHEMA + "priceCurrency", Lit("EUR"))
        node.add(SCHEMA + "description", Lit(note, lang="de"))
        self.nodes.append(node)
        return node.ref

    def starts(self, span: int, count: int, weekday: int) -> list[dt.date]:
        latest = LAST_END - dt.timedelta(days=span)
        days = (latest - FIRST_START).days
        chosen: set[dt.date] = set()
        while len(chosen) < count:
            day = FIRST_START + dt.timedelta(days=self.rng.randrange(max(days, 1)))
            day -= dt.timedelta(days=(day.weekday() - weekday) % 7)
            if day < FIRST_START:
                day += dt.timedelta(days=7)
            chosen.add(day)
        return sorted(chosen)

    def course(self, index: int, org: Ref, row: tuple[Any, ...]) -> None:
        title, key = row[0], row[1]
        overrides: dict[str, Any] = dict(row[2]) if len(row) > 2 else {}
        flexible = bool(overrides.pop("flexible", False))
        code = overrides.pop("code", f"{self.partner.code_prefix}-{index + 101:03d}")
        t = replace(TEMPLATES[key], **{k: v for k, v in overrides.items() if k in _TEMPLATE_FIELDS})
        price = round(t.price * self.partner.price_factor / 10) * 10
        if "price" in overrides:
            price = overrides["price"]
        slug = slugify(title)
        iri = f"{self.ns}angebot/{slug}"
        course = Node(_iri(iri), SCHEMA + "Course")
        self.nodes.append(course)
        course.add(SCHEMA + "name", Lit(title, lang="de"))
        course.add(SCHEMA + "description", Lit(t.description, lang=t.language))
        course.add(SCHEMA + "provider", org)
        course.add(SCHEMA + "url", _iri(f"{self.ns}kurse/{slug}"))
        course.add(SCHEMA + "courseCode", Lit(code))
        for topic in t.topics:
            course.add(SCHEMA + "about", _iri(f"{REGION}topic/{topic}"))
        for skill in t.skills:
            course.add(SCHEMA + "teaches", _iri(ESCO_SKILL + skill))
        if t.kldb:
            course.add(SCHEMA + "occupationalCategory", _iri(f"{CODE}kldb2010/{t.kldb}"))
        course.add(BN + "fieldOfEducation", _iri(ISCED_F + t.isced))
        if t.eqf:
            course.add(SCHEMA + "educationalLevel", _iri(f"{EQF}{t.eqf}"))
        if t.credential:
            course.add(SCHEMA + "educationalCredentialAwarded", Lit(t.credential, lang="de"))
        course.add(SCHEMA + "inLanguage", Lit(t.language))
        course.add(SCHEMA + "timeRequired", _typed(time_required(t.span), "duration"))
        course.add(BN + "teachingUnits", _typed(str(t.ue), "decimal"))
        course.add(BN + "durationClass", _iri(f"{CODE}dauerklasse/{duration_class(t.span)}"))
        for funding in t.funding:
            course.add(SCHEMA + "financialAidEligible", _iri(f"{CODE}foerderart/{funding}"))
        if "2" in t.funding:
            course.add(BN + "azavStatus", _iri(f"{CODE}zulassungsstatus/1"))
        audience = Node(self.ref("zielgruppe", iri + "#zielgruppe"), SCHEMA + "Audience")
        audience.add(SCHEMA + "audienceType", Lit(t.audience, lang="de"))
        course.add(SCHEMA + "audience", audience.ref)
        self.nodes.append(audience)
        if t.prerequisites:
            course.add(SCHEMA + "coursePrerequisites", Lit(t.prerequisites, lang="de"))
        course.add(SCHEMA + "offers", self.offer(iri + "#preis", price, price_note(t, price)))
        self.runs(course, iri, index, t, price, flexible)

    def runs(
        self, course: Node, iri: str, index: int, t: Template, price: int, flexible: bool
    ) -> None:
        count = 1 if flexible else self.rng.choice((1, 2, 2, 3) if t.span < 200 else (1, 2))
        weekday = 0
        if t.weekly:
            weekday = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday").index(t.weekly[0])
        starts = [] if flexible else self.starts(t.span, count, weekday)
        sites = self.partner.sites
        for n in range(count):
            run_iri = f"{iri}/termin/{n + 1}"
            run = Node(self.ref("termin", run_iri), SCHEMA + "CourseInstance")
            course.add(SCHEMA + "hasCourseInstance", run.ref)
            self.nodes.append(run)
            mode = t.modes[(index + n) % len(t.modes)]
            run.add(SCHEMA + "courseMode", _iri(f"{CODE}unterrichtsform/{mode}"))
            run.add(BN + "attendancePattern", _iri(f"{CODE}unterrichtszeit/{t.attendance}"))
            if flexible:
                run.add(BN + "flexibleStart", _typed("true", "boolean"))
            else:
                start = starts[n]
                end = start + dt.timedelta(days=t.span - 1)
                run.add(SCHEMA + "startDate", _typed(start.isoformat(), "date"))
                run.add(SCHEMA + "endDate", _typed(end.isoformat(), "date"))
                deadline = start - dt.timedelta(days=14)
                run.add(BN + "registrationDeadline", _typed(deadline.isoformat(), "date"))
                if t.weekly:
                    run.add(SCHEMA + "courseSchedule", self.schedule(run_iri, t, start, end))
            if mode[0] in "13":
                run.add(SCHEMA + "location", self.place(sites[(index + n) % len(sites)]))
                capacity = self.rng.randint(8, 18)
            else:
                capacity = self.rng.randint(15, 25)
            run.add(SCHEMA + "maximumAttendeeCapacity", _typed(str(capacity), "integer"))
            if n > 0 and self.partner.type == "kammer" and not self.feed.blank_nodes:
                later = round(price * 1.03 / 10) * 10
                note = "Preis für diesen Termin (Gebührenanpassung ab 2028)"
                run.add(SCHEMA + "offers", self.offer(run_iri + "#preis", later, note))

    def schedule(self, run_iri: str, t: Template, start: dt.date, end: dt.date) -> Ref:
        assert t.weekly is not None
        day, begin, finish = t.weekly
        node = Node(self.ref("plan", run_iri + "#wochenplan"), SCHEMA + "Schedule")
        node.add(SCHEMA + "repeatFrequency", Lit("P1W"))
        node.add(SCHEMA + "byDay", _iri(SCHEMA + day))
        node.add(SCHEMA + "startTime", _typed(begin, "time"))
        node.add(SCHEMA + "endTime", _typed(finish, "time"))
        node.add(SCHEMA + "startDate", _typed(start.isoformat(), "date"))
        node.add(SCHEMA + "endDate", _typed(end.isoformat(), "date"))
        node.add(SCHEMA + "scheduleTimezone", Lit("Europe/Berlin"))
        self.nodes.append(node)
        return node.ref

    def build(self) -> list[Node]:
        org = self.organisation()
        for index, row in enumerate(self.feed.courses):
            self.course(index, org.ref, row)
        # The seat (the partner's first site) places the provider, and so its online runs, in a
        # Kreis. Added last so that its blank nodes do not renumber those of the courses.
        org.add(SCHEMA + "location", self.place(self.partner.sites[0]))
        return self.nodes


# ---------------------------------------------------------------- serialisation


def _term(ref: Ref) -> ox.NamedNode | ox.BlankNode:
    return ox.NamedNode(ref.iri) if ref.iri else ox.BlankNode(ref.bnode)


def _object(value: Ref | Lit) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    if isinstance(value, Ref):
        return _term(value)
    if value.lang:
        return ox.Literal(value.value, language=value.lang)
    if value.datatype:
        return ox.Literal(value.value, datatype=ox.NamedNode(value.datatype))
    return ox.Literal(value.value)


def triples(nodes: list[Node]) -> list[ox.Triple]:
    out = []
    for node in nodes:
        subject = _term(node.ref)
        out.append(ox.Triple(subject, ox.NamedNode(RDF_TYPE), ox.NamedNode(node.type)))
        out.extend(ox.Triple(subject, ox.NamedNode(p), _object(v)) for p, v in node.props)
    return out


def _key(prop: str) -> str:
    if prop.startswith(SCHEMA):
        return prop[len(SCHEMA) :]
    if prop.startswith(BN):
        return "bn:" + prop[len(BN) :]
    return prop


def _json_value(value: Lit) -> Any:
    if value.lang:
        return {"@value": value.value, "@language": value.lang}
    if value.datatype is None:
        return value.value
    if value.datatype == XSD + "boolean":
        return value.value == "true"
    if value.datatype == XSD + "integer":
        return int(value.value)
    return {"@value": value.value, "@type": "xsd:" + value.datatype[len(XSD) :]}


def jsonld(nodes: list[Node], inline: bool) -> dict[str, Any]:
    """Nested JSON-LD as a web page would embed it: runs, offers, places inside the course.

    Values carry explicit ``@type``/``@id`` so the triples do not depend on the coercions of
    whichever schema.org context a reader substitutes.
    """
    by_ref = {n.ref: n for n in nodes}
    uses: dict[Ref, int] = {}
    for n in nodes:
        for _, v in n.props:
            if isinstance(v, Ref):
                uses[v] = uses.get(v, 0) + 1
    top = {SCHEMA + "Course", SCHEMA + "Organization"}

    def embedded(ref: Ref) -> bool:
        node = by_ref.get(ref)
        return node is not None and node.type not in top and uses.get(ref, 0) == 1

    def obj(node: Node) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if node.ref.iri:
            out["@id"] = node.ref.iri
        out["@type"] = node.type[len(SCHEMA) :]
        for prop, value in node.props:
            if isinstance(value, Ref):
                item = obj(by_ref[value]) if embedded(value) else {"@id": value.iri}
            else:
                item = _json_value(value)
            key = _key(prop)
            if key in out:
                if not isinstance(out[key], list):
                    out[key] = [out[key]]
                out[key].append(item)
            else:
                out[key] = item
        return out

    own = {"bn": BN, "xsd": XSD}
    context: Any = {"@vocab": SCHEMA, **own} if inline else [SCHEMA, own]
    graph = [obj(n) for n in nodes if not embedded(n.ref)]
    return {"@context": context, "@graph": graph}


def _serialize(nodes: list[Node], fmt: ox.RdfFormat, prefixes: dict[str, str] | None) -> bytes:
    body = ox.serialize(triples(nodes), format=fmt, prefixes=prefixes)
    assert body is not None  # no output file given: pyoxigraph returns the bytes
    return body


def feed_bytes(partner: PartnerSpec, feed: FeedSpec) -> bytes:
    """The bytes of one feed file, in the feed's syntax."""
    nodes = FeedBuilder(partner, feed).build()
    header = HEADER.format(name=partner.name)
    if feed.syntax.startswith("jsonld"):
        doc = jsonld(nodes, inline=feed.syntax == "jsonld-inline")
        return (json.dumps(doc, ensure_ascii=False, indent=2) + "\n").encode()
    if feed.syntax == "turtle":
        return f"# {header}\n".encode() + _serialize(nodes, ox.RdfFormat.TURTLE, PREFIXES)
    if feed.syntax == "ntriples":
        return f"# {header}\n".encode() + _serialize(nodes, ox.RdfFormat.N_TRIPLES, None)
    if feed.syntax == "rdfxml":
        decl, _, rest = _serialize(nodes, ox.RdfFormat.RDF_XML, PREFIXES).partition(b"\n")
        return decl + f"\n<!-- {header} -->\n".encode() + rest
    raise ValueError(f"unknown syntax {feed.syntax!r}")


def build(out_dir: Path) -> list[Path]:
    """Write every partner feed into ``out_dir``; return the paths written."""
    titles: dict[str, str] = {}
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for partner in PARTNERS:
        for feed in partner.feeds:
            for row in feed.courses:
                if row[0] in titles and titles[row[0]] != row[1]:
                    raise ValueError(f"title {row[0]!r} used for two different courses")
                titles[row[0]] = row[1]
            path = out_dir / f"{feed.id}.{EXTENSIONS[feed.syntax]}"
            path.write_bytes(feed_bytes(partner, feed))
            written.append(path)
    return written


ESCO_HEADER = """\
# Labels of the ESCO skills that the example region's offers teach (schema:teaches), so that
# the cookbook (question 9) and the pages can name a skill instead of showing its IRI. Loaded
# into the vocabulary graph with the ontology and the code lists (registry/vocabulary.py).
#
# Source: ESCO - European Skills, Competences, Qualifications and Occupations, version 1.2,
# European Commission, https://esco.ec.europa.eu/ . Reused under the Commission's reuse policy
# (Decision 2011/833/EU; ESCO data: CC BY 4.0); preferred labels as published, unchanged.
# English only: the German ESCO labels could not be checked against ESCO's German release here,
# so none are given; queries fall back to the English label.
#
# Generated by examples/build.py from SKILLS in examples/feed_tables.py; do not edit by hand.

@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix esco: <http://data.europa.eu/esco/skill/> .
"""

ESCO_SCHEME = "http://data.europa.eu/esco/concept-scheme/skills"


def esco_turtle() -> str:
    """``ontology/esco/skills.ttl``: every ESCO skill a template teaches, with its English label.

    A template skill without a label in ``SKILLS`` is an error: Q9 would show a bare IRI.
    """
    used = {skill for t in TEMPLATES.values() for skill in t.skills}
    unlabelled = sorted(used - set(SKILLS))
    if unlabelled:
        raise ValueError(f"ESCO skills without a label in SKILLS: {', '.join(unlabelled)}")
    blocks = [
        f"esco:{uuid} a skos:Concept ;\n"
        f"    skos:inScheme <{ESCO_SCHEME}> ;\n"
        f"    skos:prefLabel {json.dumps(label, ensure_ascii=False)}@en ."
        for uuid, label in SKILLS.items()
        if uuid in used
    ]
    return ESCO_HEADER + "\n" + "\n\n".join(blocks) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--out",
        type=Path,
        default=Path(__file__).resolve().parent / "feeds",
        help="directory for the feed files (default: examples/feeds)",
    )
    parser.add_argument(
        "--esco",
        type=Path,
        default=None,
        help="file for the ESCO skill labels (default: ontology/esco/skills.ttl, "
        "written only when --out is not given)",
    )
    args = parser.parse_args(argv)
    written = build(args.out)
    esco = args.esco
    if esco is None and args.out == parser.get_default("out"):
        esco = Path(__file__).resolve().parents[1] / "ontology" / "esco" / "skills.ttl"
    if esco is not None:
        esco.parent.mkdir(parents=True, exist_ok=True)
        esco.write_text(esco_turtle(), encoding="utf-8")
        written.append(esco)
    for path in written:
        print(f"{path.stat().st_size:>8} {path.name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
