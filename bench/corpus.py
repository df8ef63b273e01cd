"""A synthetic but realistic corpus of partner feeds for the benchmarks.

Why synthetic: the benchmarks need sizes (10k, 100k offers) that no sample reaches, and they need
the same bytes on every run so figures compare across commits. Everything is drawn from a seeded
``random.Random``; the same ``(offers, partners, seed)`` gives byte-identical feeds.

The offers follow ``docs/design.md`` section 1 and conform to ``shapes/core.ttl``: German titles
from a table of typical continuing-education courses, runs in 2027–2028 held in real OWL towns
(postal code, coordinates, Kreis), prices, funding (Bildungsgutschein with AZAV approval, NRW
Bildungsscheck, Aufstiegs-BAföG), regional topics, EQF levels and ESCO-shaped skill IRIs (the
skill UUIDs are derived from the skill name, not looked up in ESCO). About 20 triples per offer,
like the offers measured in ``MEASURED.md``; providers and venues are described once per feed.

:func:`mutate` changes a given share of offers (price, start date, title suffix), so a
re-harvest with 1 % changed can be measured against the unchanged corpus.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path

from registry.namespaces import BN, CODE, REGION, SCHEMA, XSD

__all__ = [
    "TOWNS",
    "Corpus",
    "Offer",
    "Partner",
    "Town",
    "feed_name",
    "feed_turtle",
    "generate",
    "mutate",
    "write_corpus",
    "write_feeds",
    "write_sources",
]


@dataclass(frozen=True)
class Town:
    """An OWL town: real postal code, coordinates and Kreis (AGS)."""

    name: str
    postal_code: str
    lat: float
    lon: float
    ags: str


TOWNS: tuple[Town, ...] = (
    Town("Bielefeld", "33602", 52.0211, 8.5325, "05711"),
    Town("Gütersloh", "33330", 51.9066, 8.3784, "05754"),
    Town("Rheda-Wiedenbrück", "33378", 51.8417, 8.3000, "05754"),
    Town("Herford", "32052", 52.1146, 8.6734, "05758"),
    Town("Bünde", "32257", 52.2006, 8.5850, "05758"),
    Town("Höxter", "37671", 51.7749, 9.3816, "05762"),
    Town("Warburg", "34414", 51.4915, 9.1410, "05762"),
    Town("Detmold", "32756", 51.9387, 8.8795, "05766"),
    Town("Lemgo", "32657", 52.0280, 8.9010, "05766"),
    Town("Bad Salzuflen", "32105", 52.0869, 8.7506, "05766"),
    Town("Minden", "32423", 52.2894, 8.9145, "05770"),
    Town("Lübbecke", "32312", 52.3070, 8.6160, "05770"),
    Town("Bad Oeynhausen", "32545", 52.2049, 8.8060, "05770"),
    Town("Paderborn", "33098", 51.7189, 8.7575, "05774"),
    Town("Delbrück", "33129", 51.7667, 8.5667, "05774"),
)

# (title, topic slug, EQF level, ISCED-F, teaching units, base price EUR, skill, KldB)
_COURSES: tuple[tuple[str, str, int, str, int, int, str, str], ...] = (
    (
        "SPS-Programmierung mit TIA Portal",
        "industrie-4-0",
        4,
        "0714",
        80,
        1890,
        "SPS programmieren",
        "26302",
    ),
    ("Schweißen MAG", "automotive", 3, "0715", 120, 2350, "Schweißgeräte bedienen", "24412"),
    ("Schweißen WIG", "automotive", 3, "0715", 120, 2480, "Schweißgeräte bedienen", "24412"),
    (
        "Praxisanleitung in der Pflege",
        "pflege",
        5,
        "0913",
        300,
        2900,
        "Auszubildende anleiten",
        "81302",
    ),
    (
        "Excel für Fortgeschrittene",
        "digitalisierung",
        3,
        "0611",
        24,
        390,
        "Tabellenkalkulation verwenden",
        "71402",
    ),
    (
        "Industriemeister Metall (IHK)",
        "industrie-4-0",
        6,
        "0715",
        900,
        6900,
        "Produktionsprozesse steuern",
        "24193",
    ),
    (
        "Fachkraft für Robotik",
        "industrie-4-0",
        4,
        "0714",
        480,
        5200,
        "Industrieroboter programmieren",
        "26112",
    ),
    (
        "Agiles Projektmanagement mit Scrum",
        "arbeit-4-0",
        5,
        "0413",
        40,
        1150,
        "Projekte agil steuern",
        "71302",
    ),
    (
        "Digitalisierung im Mittelstand",
        "kmu-4-0",
        5,
        "0413",
        32,
        690,
        "digitale Geschäftsprozesse gestalten",
        "71302",
    ),
    (
        "CNC-Fräsen mit Heidenhain-Steuerung",
        "industrie-4-0",
        4,
        "0715",
        160,
        2750,
        "CNC-Maschinen programmieren",
        "24232",
    ),
    (
        "Mikrosystemtechnik Grundlagen",
        "mikrotechnik",
        5,
        "0714",
        80,
        1650,
        "Mikrosysteme prüfen",
        "26302",
    ),
    (
        "Elektrofachkraft für festgelegte Tätigkeiten",
        "industrie-4-0",
        3,
        "0713",
        120,
        1980,
        "elektrische Anlagen prüfen",
        "26212",
    ),
    (
        "Betreuungskraft nach § 53c SGB XI",
        "pflege",
        3,
        "0922",
        160,
        1590,
        "Menschen mit Demenz betreuen",
        "82102",
    ),
    (
        "Hochvolt-Qualifizierung Stufe 2",
        "automotive",
        4,
        "0716",
        24,
        890,
        "Hochvoltsysteme freischalten",
        "25212",
    ),
    (
        "Python für Ingenieure",
        "digitalisierung",
        5,
        "0613",
        40,
        1290,
        "in Python programmieren",
        "43412",
    ),
    (
        "Datenschutzbeauftragter (TÜV)",
        "digitalisierung",
        5,
        "0421",
        32,
        1490,
        "Datenschutz umsetzen",
        "73282",
    ),
    ("Buchhaltung mit DATEV", "kmu-4-0", 4, "0411", 120, 1450, "Finanzbuchhaltung führen", "72213"),
    ("Führen im Wandel der Arbeit 4.0", "arbeit-4-0", 6, "0413", 48, 1790, "Teams führen", "71104"),
    ("Gabelstaplerschein", "automotive", 2, "1041", 16, 290, "Gabelstapler fahren", "52522"),
    (
        "Kaufmann/-frau im E-Commerce (Umschulung)",
        "digitalisierung",
        4,
        "0416",
        2400,
        14900,
        "Onlineshops betreiben",
        "61222",
    ),
)

_VARIANTS = (
    "",
    " – Grundlagen",
    " – Aufbaukurs",
    " (berufsbegleitend)",
    " – Kompaktkurs",
    " – Prüfungsvorbereitung",
)
_PARTNER_KINDS = (
    ("Technikakademie", "bildungswerk"),
    ("Volkshochschule", "volkshochschule"),
    ("Bildungswerk der Wirtschaft", "bildungswerk"),
    ("IHK-Bildungszentrum", "kammer"),
    ("HWK-Bildungszentrum", "kammer"),
    ("Berufskolleg", "berufskolleg"),
    ("Weiterbildungszentrum der Hochschule", "hochschule"),
    ("Akademie der Industrie", "unternehmensakademie"),
)
_MODES = (("101", 0.6), ("202", 0.25), ("301", 0.15))  # Präsenz, Online-Seminar, Blended
_IN_PERSON = {"101", "301"}
_ATTENDANCE = ("1", "2", "berufsbegleitend", "abend", "wochenende")
_ESCO_NS = uuid.UUID("6f1c1b7e-3c55-4d4e-9f35-8a0f0b3c2d11")


@dataclass(frozen=True)
class Partner:
    """A publisher with one feed ``{id}.ttl`` and IRIs under :attr:`namespace`."""

    id: str
    name: str
    namespace: str
    type: str
    towns: tuple[Town, ...]


@dataclass(frozen=True)
class Offer:
    """One offer with one run; the fields a benchmark mutates are plain values."""

    partner: int
    number: int
    course: int
    variant: int
    price: float
    start: date
    days: int
    mode: str
    attendance: str
    town: int
    funding: str | None
    revision: int = 0

    @property
    def title(self) -> str:
        base = _COURSES[self.course][0] + _VARIANTS[self.variant]
        return base if not self.revision else f"{base} (Termin {self.revision + 1})"


@dataclass(frozen=True)
class Corpus:
    """Partners and their offers; ``offers`` is ordered by partner, then number."""

    seed: int
    partners: tuple[Partner, ...]
    offers: tuple[Offer, ...]

    def offers_of(self, partner: int) -> list[Offer]:
        return [o for o in self.offers if o.partner == partner]


def _partners(count: int, rng: random.Random) -> tuple[Partner, ...]:
    partners = []
    for i in range(count):
        kind, ptype = _PARTNER_KINDS[i % len(_PARTNER_KINDS)]
        home = TOWNS[(i * 7) % len(TOWNS)]
        pid = f"p{i + 1:03d}-{_slug(kind)}-{_slug(home.name)}"
        others = rng.sample(TOWNS, k=3)
        towns = (home, *[t for t in others if t != home][:2])
        partners.append(
            Partner(
                id=pid[:63].rstrip("-"),
                name=f"{kind} {home.name}",
                namespace=f"https://{pid}.example/",
                type=ptype,
                towns=towns,
            )
        )
    return tuple(partners)


def generate(offers: int, partners: int, seed: int = 1) -> Corpus:
    """``offers`` offers spread evenly over ``partners`` partner feeds, drawn from ``seed``."""
    if offers < 1 or partners < 1:
        raise ValueError("a corpus needs at least one offer and one partner")
    rng = random.Random(seed)
    plist = _partners(partners, rng)
    first_day = date(2027, 1, 4)
    result = []
    for n in range(offers):
        p = n % partners
        course = rng.randrange(len(_COURSES))
        units = _COURSES[course][4]
        mode = rng.choices([m for m, _ in _MODES], weights=[w for _, w in _MODES])[0]
        roll = rng.random()
        funding = "2" if roll < 0.35 else "nrw-bildungsscheck" if roll < 0.5 else None
        if funding is None and _COURSES[course][2] >= 6 and roll < 0.8:
            funding = "1"
        result.append(
            Offer(
                partner=p,
                number=n // partners + 1,
                course=course,
                variant=rng.randrange(len(_VARIANTS)),
                price=round(_COURSES[course][5] * rng.uniform(0.8, 1.25), 2),
                start=first_day + timedelta(days=rng.randrange(660)),
                days=max(1, units // 8 + rng.randrange(0, 10)),
                mode=mode,
                attendance=rng.choice(_ATTENDANCE),
                town=rng.randrange(len(plist[p].towns)),
                funding=funding,
            )
        )
    result.sort(key=lambda o: (o.partner, o.number))
    return Corpus(seed=seed, partners=plist, offers=tuple(result))


def mutate(corpus: Corpus, percent: float, seed: int = 2) -> tuple[Corpus, set[int]]:
    """A copy of ``corpus`` with ``percent`` % of offers changed (price, start date, title).

    Returns the new corpus and the indexes of the partners whose feed changed.
    """
    rng = random.Random(seed)
    count = round(len(corpus.offers) * percent / 100)
    chosen = set(rng.sample(range(len(corpus.offers)), k=count))
    offers = list(corpus.offers)
    changed: set[int] = set()
    for i in chosen:
        o = offers[i]
        offers[i] = replace(
            o,
            price=round(o.price * 1.05, 2),
            start=o.start + timedelta(days=7),
            revision=o.revision + 1,
        )
        changed.add(o.partner)
    return replace(corpus, offers=tuple(offers)), changed


# -- Turtle ------------------------------------------------------------------------------------


def _slug(text: str) -> str:
    table = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", " ": "-"})
    out = "".join(c for c in text.lower().translate(table) if c.isalnum() or c == "-")
    return "-".join(part for part in out.split("-") if part)


def _lit(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _skill_iri(name: str) -> str:
    return f"http://data.europa.eu/esco/skill/{uuid.uuid5(_ESCO_NS, name)}"


_PREFIXES = (
    f"@prefix schema: <{SCHEMA}> .\n@prefix bn: <{BN}> .\n@prefix xsd: <{XSD}> .\n"
    f"@prefix uf: <{CODE}unterrichtsform/> .\n@prefix uz: <{CODE}unterrichtszeit/> .\n"
    f"@prefix fa: <{CODE}foerderart/> .\n@prefix zs: <{CODE}zulassungsstatus/> .\n"
    f"@prefix at: <{CODE}anbietertyp/> .\n"
    f"@prefix kreis: <{REGION}owl/kreis/> .\n@prefix topic: <{REGION}owl/topic/> .\n"
    "@prefix eqf: <http://data.europa.eu/snb/eqf/> .\n"
    "@prefix iscedf: <http://data.europa.eu/snb/isced-f/> .\n"
    f"@prefix kldb: <{CODE}kldb2010/> .\n"
)


def _header(partner: Partner) -> str:
    ns = partner.namespace
    parts = [
        _PREFIXES,
        f"@prefix p: <{ns}> .\n\n",
        f"p:organisation a schema:EducationalOrganization ;\n"
        f"    schema:name {_lit(partner.name)} ;\n    schema:url <{ns}> ;\n"
        f"    bn:providerType at:{partner.type} ;\n"
        f"    schema:location <{ns}ort/0> .\n\n",
    ]
    for i, town in enumerate(partner.towns):
        parts.append(
            f"<{ns}ort/{i}> a schema:Place ;\n"
            f"    schema:name {_lit(partner.name + ', Standort ' + town.name)} ;\n"
            f"    schema:address [ a schema:PostalAddress ;\n"
            f"        schema:streetAddress {_lit(f'Bildungsstraße {i + 1}')} ;\n"
            f'        schema:postalCode "{town.postal_code}" ;\n'
            f"        schema:addressLocality {_lit(town.name)} ;\n"
            f'        schema:addressCountry "DE" ] ;\n'
            f"    schema:geo [ a schema:GeoCoordinates ;\n"
            f"        schema:latitude {town.lat:.4f} ; schema:longitude {town.lon:.4f} ] ;\n"
            f"    schema:containedInPlace kreis:{town.ags} .\n\n"
        )
    return "".join(parts)


def _offer_ttl(partner: Partner, o: Offer) -> str:
    title, topic, eqf, isced, units, _, skill, kldb = _COURSES[o.course]
    town = partner.towns[o.town]
    iri = f"{partner.namespace}angebot/{o.number}"
    end = o.start + timedelta(days=o.days)
    funding = ""
    if o.funding == "2":
        funding = "    schema:financialAidEligible fa:2 ;\n    bn:azavStatus zs:1 ;\n"
    elif o.funding:
        funding = f"    schema:financialAidEligible fa:{o.funding} ;\n"
    if o.mode in _IN_PERSON:
        where = f" ;\n    schema:location <{partner.namespace}ort/{o.town}>"
        place = f"in {town.name}"
    else:
        where = ""
        place = "online im virtuellen Klassenraum"
    description = (
        f"{title}: praxisnahe Weiterbildung mit {units} Unterrichtseinheiten, {place}. "
        f"Voraussetzung: Berufserfahrung oder Ausbildung im Fachgebiet."
    )
    return (
        f"<{iri}> a schema:Course ;\n"
        f"    schema:name {_lit(o.title)}@de ;\n"
        f"    schema:description {_lit(description)}@de ;\n"
        f"    schema:provider p:organisation ;\n"
        f"    schema:url <{partner.namespace}kurse/{o.number}.html> ;\n"
        f"    schema:about topic:{topic} ;\n"
        f"    schema:teaches <{_skill_iri(skill)}> ;\n"
        f"    schema:occupationalCategory kldb:{kldb} ;\n"
        f"    bn:fieldOfEducation iscedf:{isced} ;\n"
        f"    schema:educationalLevel eqf:{eqf} ;\n"
        f'    bn:teachingUnits "{units}"^^xsd:decimal ;\n'
        f"{funding}"
        f"    schema:offers <{iri}/preis> ;\n"
        f"    schema:hasCourseInstance <{iri}/termin/1> .\n"
        f"<{iri}/preis> a schema:Offer ;\n"
        f'    schema:price "{o.price:.2f}"^^xsd:decimal ; schema:priceCurrency "EUR" .\n'
        f"<{iri}/termin/1> a schema:CourseInstance ;\n"
        f"    schema:courseMode uf:{o.mode} ;\n"
        f"    bn:attendancePattern uz:{o.attendance} ;\n"
        f'    schema:startDate "{o.start.isoformat()}"^^xsd:date ;\n'
        f'    schema:endDate "{end.isoformat()}"^^xsd:date'
        f"{where} .\n\n"
    )


def feed_name(partner: Partner) -> str:
    """The file name of a partner's feed, relative to the corpus directory."""
    return f"feeds/{partner.id}.ttl"


def feed_turtle(corpus: Corpus, partner: int) -> str:
    """The Turtle text of one partner's feed."""
    p = corpus.partners[partner]
    return _header(p) + "".join(_offer_ttl(p, o) for o in corpus.offers_of(partner))


def write_feeds(corpus: Corpus, directory: Path, partners: Iterable[int] | None = None) -> int:
    """Write the feeds (all, or the given partner indexes) under ``directory``; bytes written."""
    (directory / "feeds").mkdir(parents=True, exist_ok=True)
    by_partner: dict[int, list[Offer]] = {}
    for o in corpus.offers:
        by_partner.setdefault(o.partner, []).append(o)
    written = 0
    for i in range(len(corpus.partners)) if partners is None else partners:
        p = corpus.partners[i]
        text = _header(p) + "".join(_offer_ttl(p, o) for o in by_partner.get(i, []))
        data = text.encode("utf-8")
        (directory / feed_name(p)).write_bytes(data)
        written += len(data)
    return written


def write_sources(corpus: Corpus, directory: Path) -> Path:
    """Write ``sources.toml`` naming each feed by a relative url.

    Load it with ``load_sources(path, feed_base_url="http://127.0.0.1:PORT/")`` to harvest the
    feeds over HTTP; without a base url the feeds resolve to ``file:`` URIs.
    """
    lines = [
        "# Generated by bench/corpus.py; partner feeds of the benchmark corpus.",
        "[harvest]",
        "allow_private_networks = true",
        "",
    ]
    for p in corpus.partners:
        lines += [
            "[[partner]]",
            f'id = "{p.id}"',
            f"name = {_lit(p.name)}",
            f'type = "{p.type}"',
            f'namespaces = ["{p.namespace}"]',
            "",
            "  [[partner.feed]]",
            f'  url = "{feed_name(p)}"',
            '  format = "turtle"',
            "",
        ]
    path = directory / "sources.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def write_corpus(corpus: Corpus, directory: Path) -> Path:
    """Write all feeds and the sources file; returns the sources file's path."""
    directory.mkdir(parents=True, exist_ok=True)
    write_feeds(corpus, directory)
    return write_sources(corpus, directory)
