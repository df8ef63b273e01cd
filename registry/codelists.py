"""Generate the SKOS code lists in ``ontology/codelists/`` from the BA openQ-cat value lists.

The Bundesagentur für Arbeit publishes the openQ-cat "Wertebereiche" as ``code|label`` files
(``wertebereiche.zip``). Bildungsnetz publishes them as SKOS concept schemes with the official
code as ``skos:notation`` and the German label as given, so a feed can say
``schema:financialAidEligible <…/code/foerderart/2>`` and a portal can show "Bildungsgutschein".
The value lists have no English labels and no licence statement, so this module carries our
English translations and the committed Turtle stands on its own; the samples are only needed to
regenerate it (``python -m registry.codelists --samples DIR --out DIR [--check]``).

Schemes without an openQ-cat list (``kldb2010``, own additions such as
``unterrichtszeit/berufsbegleitend``) are written from the tables in this module. A code in a
value list without an English label here is an error: every concept must read in both languages.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .errors import ConfigError, InputError, RegistryError
from .namespaces import BN, CODE, DCTERMS, ESCO, OWL, RDF, SKOS, XSD, code

__all__ = [
    "ELM_MODE",
    "ELM_SCHEDULE",
    "Concept",
    "Scheme",
    "build_schemes",
    "main",
    "read_grouped_value_list",
    "read_value_list",
    "render_turtle",
    "write_codelists",
]

BA_SOURCE = "http://www.kursnet-online.arbeitsagentur.de/onlinekurs/upload/openq/wertebereiche.zip"
EU_LANGUAGE = "http://publications.europa.eu/resource/authority/language/"
#: Europass "modes of learning and assessment" (ELM v3 xsd/loq/cv/europass-modes.xsd)
ELM_MODE = {
    "Presential": "http://data.europa.eu/snb/learning-assessment/9191af2ed9",
    "Online": "http://data.europa.eu/snb/learning-assessment/920fbb3cbe",
    "Blended": "http://data.europa.eu/snb/learning-assessment/e92d221e4d",
}
#: Europass learning schedule types (ELM v3 xsd/loq/cv/europass-learning-schedule-types.xsd)
ELM_SCHEDULE = {
    "full time": "http://data.europa.eu/snb/learning-schedule/72a0ab92fa",
    "part time intensive": "http://data.europa.eu/snb/learning-schedule/f230bae523",
    "part time light": "http://data.europa.eu/snb/learning-schedule/67395e6b5a",
}


@dataclass(frozen=True)
class Concept:
    """One concept: notation, labels, optional broader notation and extra statements."""

    notation: str
    de: str
    en: str
    broader: str | None = None
    note_de: str | None = None
    note_en: str | None = None
    #: further (predicate IRI, object) pairs; objects starting with ``http`` are IRIs
    extra: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Scheme:
    """A concept scheme ``code/{name}`` with titles, provenance and concepts in order."""

    name: str
    title_de: str
    title_en: str
    description_en: str
    sources: tuple[str, ...] = ()
    concepts: list[Concept] = field(default_factory=list)

    @property
    def iri(self) -> str:
        return CODE + self.name


def _decode(path: Path) -> str:
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        # the BA originals are single-byte Windows-1252 / ISO-8859-1
        return raw.decode("cp1252")


def read_value_list(path: Path) -> list[tuple[str, str]]:
    """``code|label`` pairs of one openQ-cat value file, in file order."""
    return [pair for group in read_grouped_value_list(path).values() for pair in group]


def read_grouped_value_list(path: Path) -> dict[str, list[tuple[str, str]]]:
    """Pairs grouped by heading lines (``foerderartenland.dat`` has one per Land; else "")."""
    try:
        text = _decode(path)
    except OSError as exc:
        raise InputError(f"cannot read value list: {exc}", source=str(path)) from exc
    groups: dict[str, list[tuple[str, str]]] = {"": []}
    current = ""
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        if "|" not in line:
            current = line
            groups.setdefault(current, [])
            continue
        key, _, label = line.partition("|")
        key, label = key.strip(), label.strip()
        if not key or not label:
            raise InputError(f"{path.name}:{number}: expected 'code|label', got {line!r}")
        groups[current].append((key, label))
    return {name: pairs for name, pairs in groups.items() if pairs}


def _translated(
    scheme: str, pairs: list[tuple[str, str]], english: dict[str, str]
) -> list[Concept]:
    missing = [key for key, _ in pairs if key not in english]
    if missing:
        raise InputError(
            f"{scheme}: no English label for code(s) {', '.join(missing)}; "
            "add them to registry/codelists.py"
        )
    return [Concept(key, label, english[key]) for key, label in pairs]


_FOERDERART_EN = {
    "1": "Upgrading training assistance (Aufstiegs-BAföG, AFBG)",
    "2": "Education voucher (Bildungsgutschein)",
    "4": "Advancement scholarship of the Foundation for Gifted Students in VET (SBB)",
    "5": "Continuing-education scholarship of the Foundation for Gifted Students in VET (SBB)",
    "6": "Funding of continuing vocational training in inland navigation",
    "7": "Funding of continuing training in road haulage",
    "8": "Qualification allowance for the continuing vocational training of employees",
    "9": "Funding of continuing vocational training for employees in transfer companies",
    "10": "KOMPASS – funding of continuing vocational training for solo self-employed people",
    "11": "Subsidy for the qualification of employees",
    "12": "Unemployment benefit during continuing vocational training",
    "13": "Funding for people with health impairments",
}
_NRW_LAND_EN = {
    "40": "Employee continuing education / educational leave in North Rhine-Westphalia",
}
_ZERTSTATUS_EN = {
    "0": "Not approved",
    "1": "Approved",
    "3": "Qualification during short-time work",
    "4": "Compensation measures for regulated professions (module 1)",
    "5": "Compensatory qualification for dual-system training occupations (module 2)",
    "6": "Bridging measures for academic professions (module 3)",
    "7": "Preparation for the external examination (module 4)",
    "8": "Qualification measures for job-related language learning",
    "9": "Other qualification measures",
}
_UNTERRICHTSFORM_EN = {
    "0": "On request",
    "1": "On-site, full-time",
    "2": "On-site, part-time",
    "3": "Weekend event",
    "4": "Distance learning / distance study",
    "5": "E-learning / blended learning / virtual classroom",
    "6": "Block teaching",
    "7": "In-house / company seminar",
    "8": "Individual measure (one-to-one support)",
    "9": "Group measure",
    "101": "Classroom teaching",
    "102": "Seminar",
    "103": "Workshop",
    "104": "Practical training",
    "105": "Other in-person event",
    "201": "Virtual classroom",
    "202": "Online seminar",
    "203": "Online coaching",
    "204": "Self-study module",
    "205": "Virtual reality",
    "206": "Other digital learning format",
    "301": "Blended learning",
    "302": "Combined learning",
    "303": "Hybrid learning",
    "304": "Other combined learning format",
    "401": "Distance teaching",
    "402": "Distance course",
    "403": "Other distance teaching",
}
# roll-up notation, German, English, schema.org courseMode, Europass mode
_ROLLUPS = (
    ("praesenz", "Präsenz", "In person", "Onsite", "Presential"),
    ("digital", "Digital", "Digital (online)", "Online", "Online"),
    ("kombiniert", "Kombiniert", "Combined (blended)", "Blended", "Blended"),
    ("fernunterricht", "Fernunterricht", "Distance learning", "Online", "Online"),
)
_LEGACY_ROLLUP = {"1": "praesenz", "2": "praesenz", "3": "praesenz", "6": "praesenz",
                  "7": "praesenz", "4": "fernunterricht", "5": "digital"}
_LEGACY_NOTE = (
    "Alter openQ-cat-Code; sagt nichts über die Unterrichtsform (Präsenz/online) aus.",
    "Legacy openQ-cat code; says nothing about the delivery mode (in person or online).",
)
_UNTERRICHTSZEIT_EN = {"1": "Full-time", "2": "Part-time"}
_DAUERKLASSE_EN = {
    "1": "up to 3 days",
    "2": "more than 3 days up to 1 week",
    "3": "more than 1 week up to 1 month",
    "4": "more than 1 month up to 3 months",
    "5": "more than 3 months up to 6 months",
    "6": "more than 6 months up to 1 year",
    "7": "more than 1 year up to 2 years",
    "8": "more than 2 years up to 3 years",
    "9": "more than 3 years",
    "0": "not specified",
}
# openQ-cat code → (English label, EU language authority code or None)
_SPRACHE = {
    "deu": ("German", "DEU"), "eng": ("English", "ENG"), "fra": ("French", "FRA"),
    "nld": ("Dutch", "NLD"), "dan": ("Danish", "DAN"), "nor": ("Norwegian", "NOR"),
    "swe": ("Swedish", "SWE"), "pol": ("Polish", "POL"), "ita": ("Italian", "ITA"),
    "cze": ("Czech", "CES"), "svk": ("Slovak", "SLK"), "ukr": ("Ukrainian", "UKR"),
    "rus": ("Russian", "RUS"), "spa": ("Spanish", "SPA"),
    "dgs": ("German Sign Language (DGS)", "GSG"), "oth": ("other language", None),
}
_ZUGEHOERIG_EN = {
    "0": "not specified",
    "1": "State education institution",
    "2": "Private education institution",
    "3": "Education institution of the chambers of industry and commerce (IHK)",
    "4": "Education institution of the chambers of skilled crafts (HWK)",
    "5": "Education institution of other chambers",
    "6": "Education institution of business and trade associations",
    "7": "Education institution of employee organisations / trade unions",
    "8": "Education institution of social welfare organisations / churches etc.",
    "10": "IQ provider (Integration through Qualification)",
}
# own provider types: notation, German, English, broader (zugehoerig code or own), note (de, en)
_ANBIETERTYP_OWN = (
    ("kammer", "Kammer (IHK, HWK und andere)", "Chamber (IHK, HWK and others)", None, None),
    ("hochschule", "Hochschule", "University or university of applied sciences", None,
     ("Staatlich oder privat.", "Public or private.")),
    ("berufskolleg", "Berufskolleg", "Vocational college (Berufskolleg)", None,
     ("Berufsbildende Schule in NRW, staatlich oder privat.",
      "Vocational school in NRW, public or private.")),
    ("volkshochschule", "Volkshochschule", "Adult education centre (Volkshochschule)", "1", None),
    ("unternehmensakademie", "Unternehmensakademie", "Corporate academy", None, None),
    ("bildungswerk", "Bildungswerk", "Education association (Bildungswerk)", None,
     ("Getragen von Wirtschaft, Gewerkschaften oder Kirchen; je nach Träger auch 6, 7 oder 8.",
      "Run by employers, unions or churches; depending on the owner also 6, 7 or 8.")),
)
_ZUGEHOERIG_BROADER = {"3": "kammer", "4": "kammer", "5": "kammer"}

# KldB 2010 (Fassung 2020): areas (1 digit), groups (3 digits), a curated set of 5-digit codes.
_KLDB_AREAS = {
    "2": ("Rohstoffgewinnung, Produktion und Fertigung",
          "Raw materials, production and manufacturing"),
    "3": ("Bau, Architektur, Vermessung und Gebäudetechnik",
          "Construction, architecture, surveying and building services"),
    "4": ("Naturwissenschaft, Geografie und Informatik",
          "Natural sciences, geography and computer science"),
    "5": ("Verkehr, Logistik, Schutz und Sicherheit", "Transport, logistics, safety and security"),
    "6": ("Kaufmännische Dienstleistungen, Warenhandel, Vertrieb, Hotel und Tourismus",
          "Commercial services, trade, sales, hotels and tourism"),
    "7": ("Unternehmensorganisation, Buchhaltung, Recht und Verwaltung",
          "Business organisation, accounting, law and administration"),
    "8": ("Gesundheit, Soziales, Lehre und Erziehung",
          "Health care, social services, teaching and education"),
}
_KLDB_GROUPS = {
    "242": ("Metallbearbeitung", "Metalworking"),
    "244": ("Metallbau und Schweißtechnik", "Metal construction and welding"),
    "251": ("Maschinenbau- und Betriebstechnik", "Mechanical and plant engineering"),
    "252": ("Fahrzeug-, Luft-, Raumfahrt- und Schiffbautechnik",
            "Automotive, aerospace and shipbuilding technology"),
    "261": ("Mechatronik und Automatisierungstechnik", "Mechatronics and automation"),
    "262": ("Energietechnik", "Energy technology"),
    "263": ("Elektrotechnik", "Electrical engineering"),
    "273": ("Technische Produktionsplanung und -steuerung",
            "Technical production planning and control"),
    "342": ("Klempnerei, Sanitär-, Heizungs- und Klimatechnik",
            "Plumbing, sanitary, heating and air-conditioning"),
    "431": ("Informatik", "Computer science"),
    "433": ("IT-Netzwerktechnik, IT-Koordination, IT-Administration und IT-Organisation",
            "IT networks, coordination, administration and organisation"),
    "434": ("Softwareentwicklung und Programmierung", "Software development and programming"),
    "513": ("Lagerwirtschaft, Post und Zustellung, Güterumschlag",
            "Warehousing, postal and delivery services, cargo handling"),
    "516": ("Kaufleute – Verkehr und Logistik", "Clerks in transport and logistics"),
    "521": ("Fahrzeugführung im Straßenverkehr", "Road vehicle drivers"),
    "611": ("Einkauf und Vertrieb", "Purchasing and sales"),
    "713": ("Unternehmensorganisation und -strategie", "Business organisation and strategy"),
    "714": ("Büro und Sekretariat", "Office and secretarial work"),
    "715": ("Personalwesen und -dienstleistung", "Human resources"),
    "722": ("Rechnungswesen, Controlling und Revision", "Accounting, controlling and auditing"),
    "813": ("Gesundheits- und Krankenpflege, Rettungsdienst und Geburtshilfe",
            "Nursing, emergency medical services and obstetrics"),
    "821": ("Altenpflege", "Geriatric care"),
    "842": ("Lehrtätigkeit für berufsbildende Fächer, betriebliche Ausbildung und "
            "Betriebspädagogik", "Teaching vocational subjects and in-company training"),
    "844": ("Lehrtätigkeit an außerschulischen Bildungseinrichtungen",
            "Teaching at out-of-school education institutions"),
}
_F, _K, _H, _A, _S = (
    " – fachlich ausgerichtete Tätigkeiten", " – komplexe Spezialistentätigkeiten",
    " – hoch komplexe Tätigkeiten", " – Helfer-/Anlerntätigkeiten", "Aufsichtskräfte – ",
)
_EF, _EK, _EH, _EA = (" – skilled tasks", " – complex specialist tasks",
                      " – highly complex tasks", " – helper tasks")
_ESCO_OCC = ESCO + "occupation/"
# code: (German title, English label, ESCO occupation uuid or None)
_KLDB_CODES: dict[str, tuple[str, str, str | None]] = {
    "24202": ("Berufe in der Metallbearbeitung (ohne Spezialisierung)" + _F,
              "Metalworking (general)" + _EF, None),
    "24232": ("Berufe in der spanenden Metallbearbeitung" + _F, "Metal cutting, machining" + _EF,
              None),
    "24412": ("Berufe im Metallbau" + _F, "Metal construction" + _EF, None),
    "24422": ("Berufe in der Schweiß- und Verbindungstechnik" + _F, "Welding and joining" + _EF,
              "7aedaa07-3884-4c5b-88f9-80997b2aa54b"),
    "24423": ("Berufe in der Schweiß- und Verbindungstechnik" + _K, "Welding and joining" + _EK,
              None),
    "24493": (_S + "Metallbau und Schweißtechnik",
              "Supervisors (e.g. master craftspeople) – metal construction and welding", None),
    "25102": ("Berufe in der Maschinenbau- und Betriebstechnik (ohne Spezialisierung)" + _F,
              "Mechanical and plant engineering (general)" + _EF, None),
    "25193": (_S + "Maschinenbau- und Betriebstechnik",
              "Supervisors (e.g. industrial foremen) – mechanical and plant engineering", None),
    "25212": ("Berufe in der Kraftfahrzeugtechnik" + _F, "Motor vehicle technology" + _EF, None),
    "25213": ("Berufe in der Kraftfahrzeugtechnik" + _K, "Motor vehicle technology" + _EK, None),
    "26112": ("Berufe in der Mechatronik" + _F, "Mechatronics" + _EF, None),
    "26122": ("Berufe in der Automatisierungstechnik" + _F, "Automation technology" + _EF, None),
    "26123": ("Berufe in der Automatisierungstechnik" + _K, "Automation technology" + _EK, None),
    "26193": (_S + "Mechatronik und Automatisierungstechnik",
              "Supervisors – mechatronics and automation", None),
    "26212": ("Berufe in der Bauelektrik" + _F, "Building electrics" + _EF,
              "5dbb9cf0-b226-402c-a295-2f42ef05ff8b"),
    "26252": ("Berufe in der elektrischen Betriebstechnik" + _F,
              "Industrial electrical engineering" + _EF, "5df63943-f1bc-4438-90f1-92768a7a23c8"),
    "26302": ("Berufe in der Elektrotechnik (ohne Spezialisierung)" + _F,
              "Electrical engineering (general)" + _EF, None),
    "26303": ("Berufe in der Elektrotechnik (ohne Spezialisierung)" + _K,
              "Electrical engineering (general)" + _EK, None),
    "26322": ("Berufe in der Mikrosystemtechnik" + _F, "Microsystems technology" + _EF, None),
    "27312": ("Berufe in der technischen Qualitätssicherung" + _F,
              "Technical quality assurance" + _EF, None),
    "34212": ("Berufe in der Sanitär-, Heizungs- und Klimatechnik" + _F,
              "Sanitary, heating and air-conditioning technology" + _EF, None),
    "34293": (_S + "Klempnerei, Sanitär-, Heizungs- und Klimatechnik",
              "Supervisors (e.g. master craftspeople) – plumbing, heating, air-conditioning",
              None),
    "43102": ("Berufe in der Informatik (ohne Spezialisierung)" + _F,
              "Computer science (general)" + _EF, None),
    "43312": ("Berufe in der IT-Netzwerktechnik" + _F, "IT network engineering" + _EF, None),
    "43412": ("Berufe in der Softwareentwicklung" + _F, "Software development" + _EF, None),
    "43413": ("Berufe in der Softwareentwicklung" + _K, "Software development" + _EK,
              "f2b15a0e-e65a-438a-affb-29b9d50b77d1"),
    "51312": ("Berufe in der Lagerwirtschaft" + _F, "Warehousing and logistics" + _EF, None),
    "51393": (_S + "Lagerwirtschaft, Post und Zustellung, Güterumschlag",
              "Supervisors – warehousing, delivery and cargo handling", None),
    "51622": ("Speditions- und Logistikkaufleute" + _F,
              "Forwarding and logistics clerks" + _EF, None),
    "52122": ("Berufskraftfahrer/innen (Güterverkehr/LKW)" + _F,
              "Professional truck drivers (goods transport)" + _EF, None),
    "61122": ("Berufe im Vertrieb (außer Informations- und Kommunikationstechnologien)" + _F,
              "Sales (except ICT)" + _EF, None),
    "71302": ("Berufe in der kaufmännischen und technischen Betriebswirtschaft "
              "(ohne Spezialisierung)" + _F, "Business administration (general)" + _EF, None),
    "71402": ("Büro- und Sekretariatskräfte (ohne Spezialisierung)" + _F,
              "Office clerks and secretaries (general)" + _EF,
              "6c999fc7-c6b7-4ef3-a4b9-af124a1783a2"),
    "71512": ("Berufe in der Personalentwicklung und -sachbearbeitung" + _F,
              "Human resources development and administration" + _EF, None),
    "72212": ("Berufe in der Buchhaltung" + _F, "Bookkeeping" + _EF, None),
    "81302": ("Berufe in der Gesundheits- und Krankenpflege (ohne Spezialisierung)" + _F,
              "General nursing" + _EF, "8d3e8aaa-791b-4c75-a465-f3f827028f50"),
    "81313": ("Berufe in der Fachkrankenpflege" + _K, "Specialist nursing" + _EK, None),
    "81393": (_S + "Gesundheits- und Krankenpflege, Rettungsdienst und Geburtshilfe",
              "Supervisors – nursing, emergency services and obstetrics", None),
    "82101": ("Berufe in der Altenpflege (ohne Spezialisierung)" + _A,
              "Geriatric care (general)" + _EA, None),
    "82102": ("Berufe in der Altenpflege (ohne Spezialisierung)" + _F,
              "Geriatric care (general)" + _EF, None),
    "84213": ("Lehrkräfte für berufsbildende Fächer" + _K,
              "Teachers of vocational subjects" + _EK, None),
    "84404": ("Berufe in der Erwachsenenbildung (ohne Spezialisierung)" + _H,
              "Adult education (general)" + _EH, None),
    "84454": ("(Fremd-)Sprachenlehrer/innen" + _H, "(Foreign) language teachers" + _EH,
              "9711dcfc-d9a8-4fba-9c5e-8428d8bcb53e"),
}


def _need(samples: Path, name: str) -> Path:
    path = samples / name
    if not path.is_file():
        raise ConfigError(f"openQ-cat value list {name} not found in {samples}")
    return path


def _foerderart(samples: Path) -> Scheme:
    concepts = _translated(
        "foerderart", read_value_list(_need(samples, "foerderartenbund.dat")), _FOERDERART_EN
    )
    land = read_grouped_value_list(_need(samples, "foerderartenland.dat"))
    nrw = land.get("Nordrhein-Westfalen", [])
    for c in _translated("foerderart (NRW)", nrw, _NRW_LAND_EN):
        concepts.append(Concept(f"nrw-{c.notation}", c.de, c.en))
    if not any("bildungsscheck" in label.lower() for _, label in nrw):
        concepts.append(Concept(
            "nrw-bildungsscheck", "Bildungsscheck NRW", "Education cheque NRW (Bildungsscheck)",
            note_de="Landesprogramm NRW; nicht in der openQ-cat-Werteliste, daher eigene Notation.",
            note_en="NRW programme; not in the openQ-cat value list, hence an own notation.",
        ))
    return Scheme(
        "foerderart", "Förderarten", "Funding types",
        "Federal funding types (openQ-cat foerderartenbund) and the North Rhine-Westphalia "
        "entries of the Land funding list (foerderartenland, notation nrw-{code}).",
        (BA_SOURCE,), concepts,
    )


def _unterrichtsform(samples: Path) -> Scheme:
    pairs = read_value_list(_need(samples, "unterrichtsform.dat"))
    concepts: list[Concept] = []
    modes = {r[0]: (r[3], r[4]) for r in _ROLLUPS}
    for notation, de, en, course_mode, elm in _ROLLUPS:
        concepts.append(Concept(notation, de, en, extra=(
            (BN + "schemaCourseMode", course_mode), (SKOS + "closeMatch", ELM_MODE[elm]))))
    for c in _translated("unterrichtsform", pairs, _UNTERRICHTSFORM_EN):
        key = c.notation
        rollup = _LEGACY_ROLLUP.get(key)
        if key.isdigit() and len(key) == 3:
            rollup = _ROLLUPS["1234".index(key[0])][0] if key[0] in "1234" else None
        if rollup is None:
            concepts.append(Concept(key, c.de, c.en, note_de=_LEGACY_NOTE[0],
                                    note_en=_LEGACY_NOTE[1]))
            continue
        course_mode, elm = modes[rollup]
        concepts.append(Concept(key, c.de, c.en, broader=rollup, extra=(
            (BN + "schemaCourseMode", course_mode), (SKOS + "closeMatch", ELM_MODE[elm]))))
    return Scheme(
        "unterrichtsform", "Unterrichtsformen", "Delivery modes",
        "openQ-cat unterrichtsform with roll-up concepts (in person, digital, combined, "
        "distance); each concept carries the schema.org courseMode text and the Europass mode.",
        (BA_SOURCE,), concepts,
    )


def _unterrichtszeit(samples: Path) -> Scheme:
    pairs = read_value_list(_need(samples, "unterrichtszeit.dat"))
    match = {"1": ((SKOS + "closeMatch", ELM_SCHEDULE["full time"]),),
             "2": ((SKOS + "narrowMatch", ELM_SCHEDULE["part time intensive"]),
                   (SKOS + "narrowMatch", ELM_SCHEDULE["part time light"]))}
    concepts = [Concept(c.notation, c.de, c.en, extra=match.get(c.notation, ()))
                for c in _translated("unterrichtszeit", pairs, _UNTERRICHTSZEIT_EN)]
    concepts += [
        Concept("berufsbegleitend", "Berufsbegleitend", "Alongside work (in-service)"),
        Concept("abend", "Abendunterricht", "Evening classes"),
        Concept("wochenende", "Wochenendunterricht", "Weekend classes"),
    ]
    return Scheme(
        "unterrichtszeit", "Unterrichtszeiten", "Attendance patterns",
        "openQ-cat unterrichtszeit (full-time, part-time) plus own attendance patterns.",
        (BA_SOURCE,), concepts,
    )


def _simple(samples: Path, name: str, file: str, english: dict[str, str],
            titles: tuple[str, str, str]) -> Scheme:
    pairs = read_value_list(_need(samples, file))
    return Scheme(name, *titles, (BA_SOURCE,), _translated(name, pairs, english))


def _sprache(samples: Path) -> Scheme:
    pairs = read_value_list(_need(samples, "unterrichtssprache.dat"))
    english = {key: en for key, (en, _) in _SPRACHE.items()}
    concepts = []
    for c in _translated("unterrichtssprache", pairs, english):
        eu = _SPRACHE[c.notation][1]
        extra = ((SKOS + "exactMatch", EU_LANGUAGE + eu),) if eu else ()
        concepts.append(Concept(c.notation, c.de, c.en, extra=extra))
    return Scheme(
        "unterrichtssprache", "Unterrichtssprachen", "Languages of instruction",
        "openQ-cat unterrichtssprache (ISO 639-2 codes) matched to the EU language authority.",
        (BA_SOURCE, EU_LANGUAGE.rstrip("/")), concepts,
    )


def _anbietertyp(samples: Path) -> Scheme:
    pairs = read_value_list(_need(samples, "zugehoerig.dat"))
    concepts = [Concept(n, de, en, broader=broader,
                        note_de=note[0] if note else None, note_en=note[1] if note else None)
                for n, de, en, broader, note in _ANBIETERTYP_OWN]
    concepts += [Concept(c.notation, c.de, c.en, broader=_ZUGEHOERIG_BROADER.get(c.notation))
                 for c in _translated("anbietertyp", pairs, _ZUGEHOERIG_EN)]
    return Scheme(
        "anbietertyp", "Anbietertypen", "Provider types",
        "openQ-cat zugehoerig (organisational form of the provider, numeric notations) plus "
        "finer own provider types (readable notations).",
        (BA_SOURCE,), concepts,
    )


def _kldb() -> Scheme:
    concepts = [Concept(n, de, en) for n, (de, en) in _KLDB_AREAS.items()]
    concepts += [Concept(n, de, en, broader=n[0]) for n, (de, en) in _KLDB_GROUPS.items()]
    for n, (de, en, esco) in _KLDB_CODES.items():
        extra = ((SKOS + "closeMatch", _ESCO_OCC + esco),) if esco else ()
        concepts.append(Concept(n, de, en, broader=n[:3], extra=extra))
    return Scheme(
        "kldb2010", "Klassifikation der Berufe 2010 (Auswahl)",
        "German Classification of Occupations 2010 (selection)",
        "A curated selection of KldB 2010 (version 2020) occupation types (5 digits) relevant "
        "to continuing education in OWL, with their occupational groups (3 digits) and areas "
        "(1 digit). German titles as published by the Bundesagentur für Arbeit.",
        ("https://statistik.arbeitsagentur.de/DE/Navigation/Grundlagen/Klassifikationen/"
         "Klassifikation-der-Berufe/KldB2010-Fassung2020/KldB2010-Fassung2020-Nav.html",),
        concepts,
    )


def build_schemes(samples: Path) -> list[Scheme]:
    """All code lists, built from the openQ-cat value lists in ``samples``."""
    return [
        _foerderart(samples),
        _simple(samples, "zulassungsstatus", "zertstatus.dat", _ZERTSTATUS_EN, (
            "AZAV-Zulassungsstatus", "AZAV approval status",
            "openQ-cat zertstatus: approval for funding with a Bildungsgutschein (AZAV) and the "
            "IQ programme modules.")),
        _unterrichtsform(samples),
        _unterrichtszeit(samples),
        _simple(samples, "dauerklasse", "dauerklassen.dat", _DAUERKLASSE_EN, (
            "Dauerklassen", "Duration classes", "openQ-cat dauerklassen: duration of a run.")),
        _sprache(samples),
        _anbietertyp(samples),
        _kldb(),
    ]


def _literal(text: str, lang: str | None = None) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"' + (f"@{lang}" if lang else "")


def _object(value: str) -> str:
    return f"<{value}>" if value.startswith(("http://", "https://")) else _literal(value)


def _predicate(iri: str) -> str:
    for prefix, namespace in (("skos", SKOS), ("bn", BN), ("dcterms", DCTERMS), ("owl", OWL)):
        if iri.startswith(namespace):
            return f"{prefix}:{iri[len(namespace):]}"
    return f"<{iri}>"


def render_turtle(scheme: Scheme) -> str:
    """Deterministic Turtle for one scheme (full IRIs, stable order: diffs stay readable)."""
    notations = [c.notation for c in scheme.concepts]
    if len(set(notations)) != len(notations):
        raise InputError(f"{scheme.name}: duplicate notations")
    known = set(notations)
    tops = [c for c in scheme.concepts if c.broader is None]
    lines = [
        f"@prefix skos: <{SKOS}> .", f"@prefix dcterms: <{DCTERMS}> .",
        f"@prefix bn: <{BN}> .", f"@prefix owl: <{OWL}> .", f"@prefix rdf: <{RDF}> .",
        f"@prefix xsd: <{XSD}> .", "",
        "# Generated by registry/codelists.py; do not edit by hand.", "",
        f"<{scheme.iri}> a skos:ConceptScheme ;",
        f"    dcterms:title {_literal(scheme.title_de, 'de')}, {_literal(scheme.title_en, 'en')} ;",
        f"    skos:prefLabel {_literal(scheme.title_de, 'de')}, "
        f"{_literal(scheme.title_en, 'en')} ;",
        f"    dcterms:description {_literal(scheme.description_en, 'en')} ;",
    ]
    lines += [f"    dcterms:source <{src}> ;" for src in scheme.sources]
    lines.append("    skos:hasTopConcept " + ",\n        ".join(
        f"<{code(scheme.iri, c.notation)}>" for c in tops) + " .")
    for c in scheme.concepts:
        if c.broader is not None and c.broader not in known:
            raise InputError(f"{scheme.name}/{c.notation}: unknown broader {c.broader!r}")
        lines += ["", f"<{code(scheme.iri, c.notation)}> a skos:Concept ;",
                  f"    skos:inScheme <{scheme.iri}> ;",
                  f"    skos:notation {_literal(c.notation)} ;",
                  f"    skos:prefLabel {_literal(c.de, 'de')}, {_literal(c.en, 'en')} ;"]
        if c.note_de and c.note_en:
            lines.append(f"    skos:scopeNote {_literal(c.note_de, 'de')}, "
                         f"{_literal(c.note_en, 'en')} ;")
        for predicate, value in c.extra:
            lines.append(f"    {_predicate(predicate)} {_object(value)} ;")
        if c.broader is None:
            lines.append(f"    skos:topConceptOf <{scheme.iri}> .")
        else:
            lines.append(f"    skos:broader <{code(scheme.iri, c.broader)}> .")
    return "\n".join(lines) + "\n"


def write_codelists(samples: Path, out: Path, *, check: bool = False) -> list[Path]:
    """Write ``{out}/{scheme}.ttl``; with ``check`` only return the files that would change."""
    changed: list[Path] = []
    for scheme in build_schemes(samples):
        path = out / f"{scheme.name}.ttl"
        text = render_turtle(scheme)
        current = path.read_text(encoding="utf-8") if path.is_file() else None
        if current != text:
            changed.append(path)
            if not check:
                out.mkdir(parents=True, exist_ok=True)
                path.write_text(text, encoding="utf-8")
    return changed


def main(argv: Sequence[str] | None = None) -> int:
    """Regenerate the code lists: exit 0 done/unchanged, 1 ``--check`` found changes, 2 error."""
    from .resources import ontology_dir, samples_dir

    parser = argparse.ArgumentParser(prog="python -m registry.codelists", description=__doc__)
    default_samples = samples_dir()
    parser.add_argument("--samples", type=Path, default=(
        default_samples / "openqcat-wertebereiche" if default_samples else None),
        help="folder with the openQ-cat *.dat value lists")
    parser.add_argument("--out", type=Path, default=ontology_dir() / "codelists")
    parser.add_argument("--check", action="store_true", help="only report files that differ")
    args = parser.parse_args(argv)
    if args.samples is None:
        print("error: no samples folder found; pass --samples", file=sys.stderr)
        return 2
    try:
        changed = write_codelists(args.samples, args.out, check=args.check)
    except RegistryError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    for path in changed:
        print(("differs: " if args.check else "wrote: ") + str(path))
    return 1 if args.check and changed else 0


if __name__ == "__main__":
    sys.exit(main())
