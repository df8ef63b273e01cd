"""Data tables of the fictional OWL example region, read by ``build.py``.

Plain data on purpose: a reviewer can check titles, towns and codes without reading generator
code. Every organisation is fictional (``.example`` domains, "(fiktiv)" in the name); towns,
postal codes, approximate coordinates, KldB 2010 codes, ISCED-F codes and ESCO skill UUIDs are
real (the ESCO UUIDs were checked against an ESCO skills export, the KldB codes against the
BA's 5-digit list).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "KREISE",
    "PARTNERS",
    "PROVIDER_CODES",
    "SITES",
    "SKILLS",
    "TEMPLATES",
    "FeedSpec",
    "PartnerSpec",
    "Site",
    "Template",
]

#: the seven Kreise of OWL (AGS) — the same keys as ``ontology/regions/owl.ttl``
KREISE: dict[str, str] = {
    "05711": "Bielefeld",
    "05754": "Gütersloh",
    "05758": "Herford",
    "05762": "Höxter",
    "05766": "Lippe",
    "05770": "Minden-Lübbecke",
    "05774": "Paderborn",
}

#: ESCO skills used by the templates: UUID → English preferred label (ESCO v1.2); build.py
#: writes them to ``ontology/esco/skills.ttl`` so that the cookbook can show labels
SKILLS: dict[str, str] = {
    "6468e5fb-f3be-4025-87be-4b6556755c61": "programmable logic controller",
    "f4a6e9f7-5cff-46c0-894c-59c20bb78694": "automation technology",
    "70a7b3b3-31ef-4b29-a30f-bb7299dff39b": "sensors",
    "e763b5c3-cfb3-48d2-9b83-fff97553ad95": "microsensors",
    "e87ec79a-c9ff-46f5-84fa-7a0f394cdf40": "robotics",
    "7a950986-27fe-4b6c-adf3-88f211e77019": "robotic components",
    "68e66ed6-a171-4350-8ec1-2cfc4cae50e4": "hydraulics",
    "bf419e00-8548-491a-a06f-d72ab439df2f": "pneumatics",
    "d88cb3f1-8e02-4618-bf32-4b0488066934": "mechatronics",
    "4cb58ef4-67a9-4bea-a743-2c83ebd60e79": "tend CNC milling machine",
    "b34e2ba1-9080-48c9-9b42-ee9192a4d3f1": "use CAD software",
    "27d26fd6-5795-4f0a-884e-112df7c68314": "apply arc welding techniques",
    "2ee57de4-bffd-4194-b009-0060edec77cc": "use welding equipment",
    "14b4a40e-da80-452a-86d6-88a959052219": "operate oxy-fuel welding torch",
    "306ca6bc-bacd-434e-91d9-249a518ec71e": "metal joining technologies",
    "188048ff-18bf-43c4-a1a0-7adb6e68f421": "monitor machine operations",
    "5a29fbb3-3b5c-44f2-b07a-e84faa790088": "maintain sensor equipment",
    "07e1799a-82c2-4877-9b43-1499812c5619": "wear cleanroom suit",
    "0ea0b260-617b-4d04-bf00-988dd0b122e5": "execute vehicle maintenance",
    "9cf2856d-0375-4ec3-a51f-7f9c82119859": "maintain solar energy systems",
    "05e5e14f-ffa6-4106-b311-c6335ccc2bd2": "solar energy",
    "0037c821-2898-4919-b96e-7ed1cd89554c": "develop energy saving concepts",
    "270de514-3206-4cf9-b122-0f148ab06fa1": "measure electrical characteristics",
    "1fea0bc2-a6fa-4fe8-b36f-7a3194f8ed1c": "electricity principles",
    "516e324b-03fc-4d3b-9986-e46e9834cd43": "implement fundamentals of nursing",
    "0450eaee-1a00-4622-8f4e-5356fce816d2": "hygiene in a health care setting",
    "1023ac61-250f-4eef-b7a9-238cf071685f": "provide professional care in nursing",
    "a584a638-a2c0-4b3c-bdf3-a64f87225be9": "mentor individuals",
    "52c19dc8-651f-4095-98fe-dcb2799d702e": "geriatrics",
    "43e346fb-ddc8-4679-b975-e5d0644e40ad": "supervise nursing staff",
    "1d21f6ad-340f-45da-a0a3-4e83867f47a6": "provide first aid",
    "2abb9db5-350c-444c-8292-0e0b2ce00f9a": "interact verbally in German",
    "486e4f39-e968-41f4-955e-56e9eba96ef5": "understand written German",
    "e724205b-6b9a-45b4-b629-cd32a6c80b4f": "use foreign languages in patient care",
    "0ee9e985-0ee5-4a73-8a12-78b53b261bb2": "interact verbally in English",
    "3993c87c-7719-4186-811b-8ddfb40e76be": "write English",
    "1973c966-f236-40c9-b2d4-5d71a89019be": "use spreadsheets software",
    "f683ae1d-cb7c-4aa1-b9fe-205e1bd23535": "use microsoft office",
    "880c54f9-866e-4f37-b5fa-25ef8a7d49b6": "accounting techniques",
    "2ff405ec-f59c-4a7b-84b6-9776a49582c4": "bookkeeping regulations",
    "9d916d7c-89b3-4084-a6d9-e2b0b3091404": "manage payroll",
    "cd5efa8c-e44d-4cbc-91c6-796018dbed68": "perform project management",
    "237db40b-4600-47c0-837f-4a2c4f3014ab": "project management principles",
    "1f1d2ff8-c4c1-45cc-9812-6a7ee84a73cb": "lead a team",
    "339ac029-066a-4985-9f9d-b3d7c8fea0bb": "manage staff",
    "0cc9c234-f817-4f4c-908a-4d28fe3b0f4a": "coach employees",
    "5acf6408-e084-4202-9442-ffcf0119811c": "security threats",
    "21d2f96d-35f7-4e3f-9745-c533d2dd6e97": "computer programming",
    "bf4d884f-c848-402a-b130-69c266b04164": "apply basic programming skills",
    "2b92a5b2-6758-4ee3-9fb4-b6387a55cc8f": "perform data analysis",
    "3a2d5b45-56e4-4f5a-a55a-4a4a65afdc43": "machine learning",
    "1a4cc54f-1e53-442b-a6d2-1682dc8ef8f9": "creatively use digital technologies",
    "238343b1-7b51-42b3-a9ed-cf24d3a236e7": "identify digital competence gaps",
    "2b34a99f-9813-4c91-9509-b6b9b8c3132e": "collaborate through digital technologies",
    "1d6c7de4-350e-4868-a47b-333b4b0d9650": "evaluate data, information and digital content",
    "28cb374e-6261-4133-8371-f9a5470145da": "operate forklift",
    "5d2e82cc-5943-4218-a459-a1956fad2b63": "manage warehouse inventory",
    "63359272-1303-41d5-a437-f4522f5abcc2": "manage warehouse organisation",
    "f929c89e-c363-4132-a918-e021d57b307c": "supply chain management",
    "cf579543-272b-43c8-b942-555836ae4241": "supply chain principles",
    "ccbd0898-e225-4abc-8992-57a23b0e2eec": "support implementation of quality management systems",
    "0da516ee-e70e-4384-be13-f5ff80be8127": "communicate with customers",
    "28d715e3-3e5b-4fb6-8dd2-4be4919c8587": "handle customer complaints",
    "5f2efbdf-08a2-49cd-9c06-bd284e4f0fbf": "negotiate terms with suppliers",
}


@dataclass(frozen=True)
class Site:
    """A training site: a real town with its real postal code and approximate coordinates."""

    name: str
    street: str
    postcode: str
    town: str
    kreis: str  # AGS
    lat: float
    lon: float


SITES: dict[str, Site] = {
    # Bielefeld (05711)
    "bi-mitte": Site("Bildungszentrum Bielefeld-Mitte", "Am Bildungscampus 4", "33602",
                     "Bielefeld", "05711", 52.0217, 8.5325),
    "bi-sennestadt": Site("Lernwerkstatt Sennestadt", "Industriestraße 27", "33689",
                          "Bielefeld", "05711", 51.9456, 8.5878),
    "bi-brackwede": Site("Sprachzentrum Brackwede", "Hauptstraße 112", "33647",
                         "Bielefeld", "05711", 51.9960, 8.5010),
    # Gütersloh (05754)
    "gt-guetersloh": Site("Seminarhaus Gütersloh", "Kökerstraße 9", "33330",
                          "Gütersloh", "05754", 51.9060, 8.3785),
    "gt-rheda": Site("Pflegeschule Rheda-Wiedenbrück", "Lange Straße 41", "33378",
                     "Rheda-Wiedenbrück", "05754", 51.8456, 8.3003),
    "gt-verl": Site("Technikum Verl", "Gewerbering 6", "33415", "Verl", "05754", 51.8833, 8.5167),
    # Herford (05758)
    "hf-herford": Site("VHS-Haus Herford", "Münsterkirchplatz 3", "32052",
                       "Herford", "05758", 52.1146, 8.6734),
    "hf-buende": Site("Bildungsstätte Bünde", "Eschstraße 15", "32257",
                      "Bünde", "05758", 52.2000, 8.5833),
    "hf-loehne": Site("Lernzentrum Löhne", "Lübbecker Straße 20", "32584",
                      "Löhne", "05758", 52.1833, 8.7167),
    # Höxter (05762)
    "hx-hoexter": Site("Handwerkszentrum Höxter", "Sudetenstraße 8", "37671",
                       "Höxter", "05762", 51.7747, 9.3814),
    "hx-brakel": Site("Berufskolleg Brakel, Standort Nethe", "Am Schulzentrum 2", "33034",
                      "Brakel", "05762", 51.7167, 9.1833),
    "hx-warburg": Site("Berufskolleg Warburg, Standort Diemel", "Paderborner Tor 30", "34414",
                       "Warburg", "05762", 51.4881, 9.1400),
    # Lippe (05766)
    "li-lemgo": Site("Campus Lemgo", "Liebigstraße 87", "32657",
                     "Lemgo", "05766", 52.0280, 8.9010),
    "li-detmold": Site("Campus Detmold", "Emilienstraße 45", "32756",
                       "Detmold", "05766", 51.9386, 8.8792),
    "li-lage": Site("Werkakademie Lage", "Ehlenbrucher Straße 10", "32791",
                    "Lage", "05766", 51.9922, 8.7917),
    "li-salzuflen": Site("Schulungszentrum Bad Salzuflen", "Wenkenstraße 33", "32105",
                         "Bad Salzuflen", "05766", 52.0869, 8.7506),
    # Minden-Lübbecke (05770)
    "mi-minden": Site("Berufsbildungszentrum Minden", "Ringstraße 51", "32423",
                      "Minden", "05770", 52.2897, 8.9150),
    "mi-oeynhausen": Site("Schweißtechnische Lehranstalt Bad Oeynhausen", "Werster Straße 60",
                          "32545", "Bad Oeynhausen", "05770", 52.2000, 8.8000),
    "mi-luebbecke": Site("Meisterschule Lübbecke", "Niedertorstraße 14", "32312",
                         "Lübbecke", "05770", 52.3081, 8.6231),
    # Paderborn (05774)
    "pb-paderborn": Site("Technikakademie Paderborn", "Technologiepark 21", "33100",
                         "Paderborn", "05774", 51.7310, 8.7800),
    "pb-delbrueck": Site("Schulungshalle Delbrück", "Boker Straße 18", "33129",
                         "Delbrück", "05774", 51.7667, 8.5667),
    "pb-salzkotten": Site("Lehrwerkstatt Salzkotten", "Upsprunger Straße 5", "33154",
                          "Salzkotten", "05774", 51.6708, 8.6050),
    "pb-kammer": Site("Kammerbildungszentrum Paderborn", "Am Stadelhof 8", "33098",
                      "Paderborn", "05774", 51.7189, 8.7575),
}


@dataclass(frozen=True)
class Template:
    """What a course is about; partners give it a title and a place.

    ``span`` is the calendar length of one run in days; ``modes`` the openQ-cat
    Unterrichtsform codes its runs cycle through; ``funding`` Förderart notations.
    """

    description: str
    topics: tuple[str, ...]
    skills: tuple[str, ...]
    kldb: str | None
    eqf: int | None
    isced: str
    ue: int
    span: int
    modes: tuple[str, ...]
    attendance: str
    price: int
    funding: tuple[str, ...] = ()
    credential: str | None = None
    audience: str = "Beschäftigte und Arbeitsuchende"
    prerequisites: str | None = None
    language: str = "de"
    weekly: tuple[str, str, str] | None = None  # (day, start, end) of a weekly schedule


_BGS = ("2",)
_BGS_NRW = ("2", "nrw-bildungsscheck")
_NRW = ("nrw-bildungsscheck",)
_AFBG = ("1",)

TEMPLATES: dict[str, Template] = {
    "sps": Template(
        "Aufbau und Programmierung speicherprogrammierbarer Steuerungen nach IEC 61131-3: "
        "Hardwarekonfiguration, Bausteine, Ablaufsteuerungen und Fehlersuche an realen "
        "Anlagenmodellen.",
        ("automatisierung", "industrie-4-0"), ("6468e5fb-f3be-4025-87be-4b6556755c61",
                                               "f4a6e9f7-5cff-46c0-894c-59c20bb78694"),
        "26122", 4, "0714", 80, 11, ("101", "301"), "1", 1890, _BGS_NRW,
        "Zertifikat SPS-Fachkraft", "Elektrofachkräfte, Mechatroniker/innen, Techniker/innen",
        "Abgeschlossene Berufsausbildung in einem Elektro- oder Metallberuf"),
    "i40": Template(
        "Vernetzte Produktion verstehen und gestalten: Sensorik, industrielle Kommunikation, "
        "Datenauswertung und Sicherheit in der Smart Factory. Praxisprojekte in der "
        "Lernfabrik.",
        ("industrie-4-0", "digitalisierung"), ("70a7b3b3-31ef-4b29-a30f-bb7299dff39b",
                                               "f4a6e9f7-5cff-46c0-894c-59c20bb78694",
                                               "2b92a5b2-6758-4ee3-9fb4-b6387a55cc8f"),
        "26123", 5, "0714", 200, 120, ("301",), "berufsbegleitend", 2950, _BGS_NRW,
        "Zertifikat Fachkraft für Industrie 4.0", "Fachkräfte aus Produktion und Instandhaltung",
        "Berufsausbildung in einem technischen Beruf und Berufserfahrung"),
    "robotik": Template(
        "Programmierung und Inbetriebnahme von Industrierobotern: Koordinatensysteme, "
        "Bewegungsarten, Greifertechnik, Sicherheit und kollaborierende Roboter.",
        ("automatisierung", "industrie-4-0"), ("e87ec79a-c9ff-46f5-84fa-7a0f394cdf40",
                                               "7a950986-27fe-4b6c-adf3-88f211e77019"),
        "26123", 5, "0714", 40, 5, ("104",), "1", 1450, _BGS_NRW,
        "Teilnahmezertifikat Roboterprogrammierung", "Facharbeiter/innen und Techniker/innen"),
    "fluid": Template(
        "Grundlagen der Pneumatik und Hydraulik: Schaltpläne lesen, Komponenten auswählen, "
        "Schaltungen aufbauen und Störungen systematisch beheben.",
        ("automatisierung", "metall-maschinenbau"), ("68e66ed6-a171-4350-8ec1-2cfc4cae50e4",
                               "bf419e00-8548-491a-a06f-d72ab439df2f"),
        "26112", 4, "0714", 40, 5, ("104",), "1", 790, _NRW,
        "Teilnahmebescheinigung", "Beschäftigte in Instandhaltung und Produktion"),
    "mechatronik": Template(
        "Mechatronische Systeme im Zusammenspiel von Mechanik, Elektrotechnik und Informatik; "
        "Inbetriebnahme und Instandsetzung an Übungsanlagen.",
        ("automatisierung", "industrie-4-0"), ("d88cb3f1-8e02-4618-bf32-4b0488066934",),
        "26112", 4, "0714", 320, 70, ("101",), "1", 4200, _BGS,
        "Zertifikat Mechatronik (Teilqualifizierung)", "Quereinsteiger/innen mit technischer "
        "Vorerfahrung"),
    "cnc": Template(
        "CNC-Technik für Dreh- und Fräsmaschinen: Programmaufbau nach DIN 66025, Zyklen, "
        "Werkzeugkorrekturen, Simulation und Fertigung eigener Werkstücke.",
        ("metall-maschinenbau", "automatisierung"), ("4cb58ef4-67a9-4bea-a743-2c83ebd60e79",),
        "24232", 4, "0715", 160, 25, ("104",), "1", 3200, _BGS,
        "Zertifikat CNC-Fachkraft", "Zerspanungsmechaniker/innen, Industriemechaniker/innen",
        "Grundkenntnisse der Metallbearbeitung"),
    "cad": Template(
        "3D-Konstruktion mit einem parametrischen CAD-System: Skizzen, Bauteile, Baugruppen "
        "und normgerechte technische Zeichnungen.",
        ("digitalisierung",), ("b34e2ba1-9080-48c9-9b42-ee9192a4d3f1",),
        "27212", 4, "0715", 80, 11, ("101", "201"), "1", 1590, _BGS_NRW,
        "Zertifikat 3D-CAD", "Technische Zeichner/innen, Konstrukteur/innen"),
    "mag": Template(
        "Schweißen mit dem Metall-Aktivgas-Verfahren (135) in verschiedenen Positionen; "
        "Vorbereitung auf die Schweißerprüfung nach DIN EN ISO 9606-1.",
        ("schweisstechnik", "metall-maschinenbau"), ("27d26fd6-5795-4f0a-884e-112df7c68314",
                                                     "2ee57de4-bffd-4194-b009-0060edec77cc"),
        "24422", 3, "0715", 120, 18, ("104",), "1", 2400, _BGS,
        "Schweißerprüfungsbescheinigung nach DIN EN ISO 9606-1",
        "Metallfacharbeiter/innen und Quereinsteiger/innen"),
    "wig": Template(
        "Wolfram-Inertgasschweißen (141) an Stahl, Edelstahl und Aluminium; Nahtvorbereitung, "
        "Gasschutz, Prüfstücke für die Schweißerprüfung.",
        ("schweisstechnik",), ("27d26fd6-5795-4f0a-884e-112df7c68314",
                               "2ee57de4-bffd-4194-b009-0060edec77cc"),
        "24422", 3, "0715", 120, 18, ("104",), "1", 2650, _BGS,
        "Schweißerprüfungsbescheinigung nach DIN EN ISO 9606-1", "Metallfacharbeiter/innen"),
    "gas": Template(
        "Gasschmelzschweißen und Brennschneiden: Arbeitssicherheit, Flammeneinstellung, "
        "Schweißen von Blechen und Rohren.",
        ("schweisstechnik",), ("14b4a40e-da80-452a-86d6-88a959052219",),
        "24422", 3, "0715", 40, 5, ("104",), "1", 890, _BGS,
        "Teilnahmebescheinigung", "Beschäftigte im Metallbau und Anlagenbau"),
    "iws": Template(
        "Lehrgang zur Schweißaufsicht nach DIN EN ISO 14731: Werkstoffe, Fertigung, "
        "Konstruktion und Qualitätssicherung in der Schweißtechnik.",
        ("schweisstechnik", "aufstiegsfortbildung"), ("306ca6bc-bacd-434e-91d9-249a518ec71e",
                                         "27d26fd6-5795-4f0a-884e-112df7c68314"),
        "24423", 5, "0715", 300, 150, ("101",), "berufsbegleitend", 5900, _BGS + _AFBG,
        "Schweißfachmann/-frau (Schweißaufsicht)", "Meister/innen und Techniker/innen",
        "Abgeschlossene Ausbildung und Berufserfahrung in der Schweißtechnik"),
    "meister-metall": Template(
        "Vorbereitung auf die Fortbildungsprüfung: Basisqualifikationen, handlungsspezifische "
        "Qualifikationen (Technik, Organisation, Führung und Personal) und Ausbildereignung.",
        ("aufstiegsfortbildung", "metall-maschinenbau"), ("1f1d2ff8-c4c1-45cc-9812-6a7ee84a73cb",
                       "188048ff-18bf-43c4-a1a0-7adb6e68f421"),
        "24293", 6, "0715", 1000, 450, ("101",), "berufsbegleitend", 5900, _AFBG,
        "Geprüfte/r Industriemeister/in – Fachrichtung Metall",
        "Facharbeiter/innen der Metall- und Elektroindustrie",
        "Abgeschlossene Berufsausbildung und einschlägige Berufspraxis"),
    "meister-elektro": Template(
        "Meistervorbereitung im Elektrotechniker-Handwerk, Teile I bis IV: Fachpraxis, "
        "Fachtheorie, Betriebsführung und Berufs- und Arbeitspädagogik.",
        ("aufstiegsfortbildung", "elektrotechnik"), ("1fea0bc2-a6fa-4fe8-b36f-7a3194f8ed1c",
                                 "339ac029-066a-4985-9f9d-b3d7c8fea0bb"),
        "26293", 6, "0713", 1200, 270, ("101",), "1", 9800, _AFBG,
        "Meister/in im Elektrotechniker-Handwerk", "Gesellinnen und Gesellen im Elektrohandwerk",
        "Gesellenprüfung im Elektrotechniker-Handwerk"),
    "meister-kfz": Template(
        "Meistervorbereitung im Kraftfahrzeugtechniker-Handwerk: Diagnose an Hochvolt- und "
        "Assistenzsystemen, Werkstattorganisation und Betriebsführung.",
        ("aufstiegsfortbildung", "automotive"), ("0ea0b260-617b-4d04-bf00-988dd0b122e5",
                                    "339ac029-066a-4985-9f9d-b3d7c8fea0bb"),
        "25293", 6, "0716", 1150, 300, ("101",), "1", 9400, _AFBG,
        "Meister/in im Kraftfahrzeugtechniker-Handwerk", "Kfz-Mechatroniker/innen",
        "Gesellenprüfung im Kraftfahrzeugtechniker-Handwerk"),
    "meister-shk": Template(
        "Meistervorbereitung im Installateur- und Heizungsbauer-Handwerk mit Schwerpunkt "
        "Wärmepumpen, Trinkwasserhygiene und Gebäudeenergietechnik.",
        ("aufstiegsfortbildung", "energie-klima"), ("0037c821-2898-4919-b96e-7ed1cd89554c",
                                 "339ac029-066a-4985-9f9d-b3d7c8fea0bb"),
        "34293", 6, "0732", 1100, 420, ("101",), "berufsbegleitend", 8900, _AFBG,
        "Meister/in im Installateur- und Heizungsbauer-Handwerk",
        "Gesellinnen und Gesellen im SHK-Handwerk",
        "Gesellenprüfung im Installateur- und Heizungsbauer-Handwerk"),
    "aevo": Template(
        "Vorbereitung auf die Ausbildereignungsprüfung: Ausbildung planen, vorbereiten, "
        "durchführen und abschließen; praktische Unterweisung.",
        ("paedagogik", "fuehrung"), ("a584a638-a2c0-4b3c-bdf3-a64f87225be9",
                        "0cc9c234-f817-4f4c-908a-4d28fe3b0f4a"),
        "71513", 4, "0111", 120, 25, ("101", "201"), "2", 690, _NRW + _AFBG,
        "Ausbildereignung nach AEVO", "Fachkräfte, die ausbilden wollen"),
    "fachwirt": Template(
        "Vorbereitung auf die Fortbildungsprüfung Wirtschaftsfachwirt/in: "
        "Volks- und Betriebswirtschaft, Rechnungswesen, Marketing, Führung und Zusammenarbeit.",
        ("kaufmaennisches", "fuehrung"), ("880c54f9-866e-4f37-b5fa-25ef8a7d49b6",
                                          "1f1d2ff8-c4c1-45cc-9812-6a7ee84a73cb"),
        "71303", 6, "0413", 620, 400, ("301",), "berufsbegleitend", 4300, _AFBG,
        "Geprüfte/r Wirtschaftsfachwirt/in", "Kaufmännische Fachkräfte mit Berufserfahrung"),
    "hochvolt": Template(
        "Arbeiten an Hochvolt-Fahrzeugen: Gefährdungen, Freischalten, Sicherstellen der "
        "Spannungsfreiheit, Dokumentation nach DGUV Information 209-093.",
        ("automotive", "energie-klima"), ("0ea0b260-617b-4d04-bf00-988dd0b122e5",
                                    "270de514-3206-4cf9-b122-0f148ab06fa1"),
        "25213", 4, "0716", 24, 3, ("104",), "1", 720, _NRW,
        "Fachkundige Person für Hochvolt-Systeme", "Beschäftigte in Kfz-Werkstätten"),
    "pv": Template(
        "Photovoltaik-Anlagen planen, montieren und in Betrieb nehmen; Speicher, "
        "Netzanschluss und Wartung.",
        ("energie-klima",), ("9cf2856d-0375-4ec3-a51f-7f9c82119859",
                       "05e5e14f-ffa6-4106-b311-c6335ccc2bd2"),
        "26242", 4, "0713", 80, 11, ("101", "301"), "1", 1750, _BGS_NRW,
        "Zertifikat Solarteur/in", "Elektro- und Dachdeckerfachkräfte"),
    "energieeffizienz": Template(
        "Energieverbräuche im Betrieb erfassen, bewerten und senken: Lastgänge, "
        "Druckluft, Beleuchtung, Abwärme und Fördermöglichkeiten.",
        ("energie-klima", "kmu-4-0"), ("0037c821-2898-4919-b96e-7ed1cd89554c",),
        "26243", 5, "0713", 40, 12, ("201",), "berufsbegleitend", 980, _NRW,
        "Zertifikat Energiescout", "Beschäftigte in Technik und Facility Management"),
    "efft": Template(
        "Elektrofachkraft für festgelegte Tätigkeiten nach DGUV Vorschrift 3: "
        "Elektrotechnische Grundlagen, Schutzmaßnahmen, Messen und Prüfen.",
        ("elektrotechnik", "energie-klima"), ("270de514-3206-4cf9-b122-0f148ab06fa1",
                       "1fea0bc2-a6fa-4fe8-b36f-7a3194f8ed1c"),
        "26252", 3, "0713", 80, 11, ("104",), "1", 1390, _BGS,
        "Elektrofachkraft für festgelegte Tätigkeiten", "Beschäftigte ohne elektrotechnische "
        "Ausbildung"),
    "pflegehelfer": Template(
        "Basisqualifikation für die Pflege: Grundpflege, Hygiene, Kommunikation mit "
        "Pflegebedürftigen und Angehörigen, Praktikum in einer Pflegeeinrichtung.",
        ("pflege", "gesundheit"), ("516e324b-03fc-4d3b-9986-e46e9834cd43",
                                   "0450eaee-1a00-4622-8f4e-5356fce816d2"),
        "81301", 3, "0913", 400, 90, ("101",), "1", 3600, _BGS,
        "Zertifikat Pflegehelfer/in", "Quereinsteiger/innen in die Pflege"),
    "praxisanleitung": Template(
        "Berufspädagogische Weiterbildung zur Praxisanleitung nach der Pflegeberufe-"
        "Ausbildungs- und Prüfungsverordnung (300 Stunden).",
        ("pflege", "paedagogik"), ("a584a638-a2c0-4b3c-bdf3-a64f87225be9",
                      "1023ac61-250f-4eef-b7a9-238cf071685f"),
        "81313", 5, "0913", 300, 180, ("301",), "berufsbegleitend", 2350, _BGS_NRW,
        "Zertifikat Praxisanleiter/in", "Pflegefachkräfte mit einem Jahr Berufserfahrung",
        "Examen in einem Pflegeberuf"),
    "betreuung": Template(
        "Qualifizierung zur zusätzlichen Betreuungskraft nach §§ 43b, 53b SGB XI mit "
        "Orientierungspraktikum.",
        ("pflege",), ("52c19dc8-651f-4095-98fe-dcb2799d702e",),
        "82101", 2, "0922", 160, 35, ("101",), "1", 1480, _BGS,
        "Zertifikat Betreuungskraft", "Quereinsteiger/innen"),
    "demenz": Template(
        "Menschen mit Demenz verstehen und begleiten: Krankheitsbild, validierende "
        "Kommunikation, herausforderndes Verhalten.",
        ("pflege",), ("52c19dc8-651f-4095-98fe-dcb2799d702e",),
        "82102", 4, "0913", 16, 2, ("102",), "berufsbegleitend", 240, _NRW,
        "Teilnahmebescheinigung", "Pflege- und Betreuungskräfte"),
    "wunde": Template(
        "Moderne Wundversorgung: Wundarten, Wundbeurteilung, phasengerechte Versorgung und "
        "Dokumentation; mit Hospitation.",
        ("pflege", "gesundheit"), ("1023ac61-250f-4eef-b7a9-238cf071685f",),
        "81382", 5, "0913", 56, 30, ("301",), "berufsbegleitend", 890, _NRW,
        "Zertifikat Wundmanagement", "Pflegefachkräfte"),
    "hygiene": Template(
        "Hygienebeauftragte/r in Pflegeeinrichtungen: Infektionsschutz, Hygienepläne, "
        "Begehungen und Schulung von Mitarbeitenden.",
        ("pflege", "gesundheit"), ("0450eaee-1a00-4622-8f4e-5356fce816d2",),
        "81382", 4, "0913", 40, 12, ("101",), "berufsbegleitend", 650, _NRW,
        "Zertifikat Hygienebeauftragte/r", "Pflegefachkräfte"),
    "pdl": Template(
        "Leitung einer Station oder eines Wohnbereichs: Personalplanung, Qualitäts- und "
        "Konfliktmanagement, Recht und Betriebswirtschaft in der Pflege.",
        ("pflege", "fuehrung"), ("43e346fb-ddc8-4679-b975-e5d0644e40ad",
                                 "1f1d2ff8-c4c1-45cc-9812-6a7ee84a73cb"),
        "81393", 5, "0913", 460, 300, ("301",), "berufsbegleitend", 3900, _BGS + _AFBG,
        "Zertifikat Wohnbereichs- und Stationsleitung", "Pflegefachkräfte",
        "Examen in einem Pflegeberuf und zwei Jahre Berufserfahrung"),
    "erstehilfe": Template(
        "Erste-Hilfe-Ausbildung für betriebliche Ersthelfer/innen nach DGUV Vorschrift 1.",
        ("gesundheit", "qualitaet-arbeitsschutz"), ("1d21f6ad-340f-45da-a0a3-4e83867f47a6",),
        None, None, "1022", 9, 1, ("101",), "1", 65, (),
        "Bescheinigung Ersthelfer/in", "Beschäftigte aller Branchen"),
    "daf": Template(
        "Deutsch für Beruf und Alltag mit Abschlussprüfung; Schwerpunkte Hören, Sprechen "
        "und Schreiben in beruflichen Situationen.",
        ("sprachen",), ("2abb9db5-350c-444c-8292-0e0b2ce00f9a",
                        "486e4f39-e968-41f4-955e-56e9eba96ef5"),
        None, 3, "0231", 400, 120, ("101", "201"), "1", 0, (),
        "Zertifikat Deutsch (telc oder Goethe)", "Zugewanderte mit Vorkenntnissen",
        "Einstufungstest"),
    "bsk": Template(
        "Berufsbezogener Deutschkurs: Fachsprache, Telefonate, E-Mails und Gespräche mit "
        "Kolleg/innen und Kund/innen; Abschluss mit Zertifikatsprüfung.",
        ("sprachen", "arbeit-4-0"), ("2abb9db5-350c-444c-8292-0e0b2ce00f9a",
                                     "486e4f39-e968-41f4-955e-56e9eba96ef5"),
        None, 4, "0231", 400, 120, ("101", "201"), "2", 0, (),
        "Zertifikat Deutsch für den Beruf", "Zugewanderte in Beschäftigung oder Arbeitsuche",
        "Sprachniveau eine Stufe unter dem Kursziel"),
    "deutsch-pflege": Template(
        "Fachsprache Deutsch für Pflegekräfte: Pflegedokumentation, Übergaben, Gespräche mit "
        "Patientinnen, Patienten und Angehörigen; Vorbereitung auf die Fachsprachprüfung.",
        ("sprachen", "pflege"), ("e724205b-6b9a-45b4-b629-cd32a6c80b4f",
                                 "2abb9db5-350c-444c-8292-0e0b2ce00f9a"),
        "81302", 4, "0231", 300, 100, ("101", "201"), "2", 0, _BGS,
        "Zertifikat Deutsch B2 Pflege", "Internationale Pflegefachkräfte",
        "Deutschkenntnisse auf Niveau B1"),
    "englisch": Template(
        "Business English for meetings, presentations, e-mails and negotiations; "
        "course taught entirely in English.",
        ("sprachen",), ("0ee9e985-0ee5-4a73-8a12-78b53b261bb2",
                        "3993c87c-7719-4186-811b-8ddfb40e76be"),
        "71412", 4, "0231", 40, 140, ("201", "101"), "berufsbegleitend", 420, _NRW,
        "Teilnahmezertifikat (GER-Niveau)", "Beschäftigte mit Englischkenntnissen ab A2",
        language="en", weekly=("Wednesday", "18:00:00", "19:30:00")),
    "excel": Template(
        "Tabellenkalkulation im Büroalltag: Formeln und Funktionen, Diagramme, "
        "Pivot-Tabellen und Datenüberprüfung.",
        ("kaufmaennisches", "digitalisierung"), ("1973c966-f236-40c9-b2d4-5d71a89019be",
                                                 "f683ae1d-cb7c-4aa1-b9fe-205e1bd23535"),
        "71402", 3, "0611", 16, 2, ("101", "201"), "berufsbegleitend", 290, _NRW,
        "Teilnahmebescheinigung", "Beschäftigte in Büro und Verwaltung"),
    "fibu": Template(
        "Finanzbuchhaltung von der Belegerfassung bis zum Jahresabschluss; Arbeit mit "
        "einer gängigen Buchhaltungssoftware.",
        ("kaufmaennisches",), ("880c54f9-866e-4f37-b5fa-25ef8a7d49b6",
                               "2ff405ec-f59c-4a7b-84b6-9776a49582c4"),
        "72213", 4, "0411", 120, 40, ("101", "201"), "2", 1650, _BGS_NRW,
        "Zertifikat Finanzbuchhaltung", "Kaufmännische Fachkräfte und Wiedereinsteiger/innen"),
    "lohn": Template(
        "Lohn- und Gehaltsabrechnung: Sozialversicherung, Lohnsteuer, Sonderzahlungen und "
        "Meldeverfahren.",
        ("kaufmaennisches",), ("9d916d7c-89b3-4084-a6d9-e2b0b3091404",),
        "72213", 4, "0411", 80, 30, ("201",), "2", 1190, _BGS_NRW,
        "Zertifikat Entgeltabrechnung", "Beschäftigte in Personalabteilungen"),
    "pm": Template(
        "Projekte planen, steuern und abschließen: Projektstrukturplan, Termin- und "
        "Kostenplanung, Risiken, klassische und agile Methoden im Vergleich.",
        ("fuehrung", "arbeit-4-0"), ("cd5efa8c-e44d-4cbc-91c6-796018dbed68",
                                     "237db40b-4600-47c0-837f-4a2c4f3014ab"),
        "71383", 5, "0413", 40, 5, ("102", "201"), "1", 1190, _NRW,
        "Zertifikat Projektmanagement", "Projektmitarbeitende und angehende Projektleitungen"),
    "fuehrung": Template(
        "Neu in der Führungsrolle: Rollenklärung, Gesprächsführung, Feedback, Delegation und "
        "Umgang mit Konflikten im Team.",
        ("fuehrung", "arbeit-4-0"), ("1f1d2ff8-c4c1-45cc-9812-6a7ee84a73cb",
                                     "339ac029-066a-4985-9f9d-b3d7c8fea0bb",
                                     "0cc9c234-f817-4f4c-908a-4d28fe3b0f4a"),
        "71393", 5, "0413", 24, 3, ("102",), "1", 990, _NRW,
        "Teilnahmezertifikat", "Neue Führungskräfte und Teamleitungen"),
    "itsec": Template(
        "Informationssicherheit im Unternehmen: Bedrohungslage, Schutzbedarf, technische und "
        "organisatorische Maßnahmen, Notfallplanung nach BSI IT-Grundschutz.",
        ("it-software", "kmu-4-0", "digitalisierung"), ("5acf6408-e084-4202-9442-ffcf0119811c",),
        "43383", 5, "0612", 40, 5, ("201", "102"), "1", 1390, _BGS_NRW,
        "Zertifikat Informationssicherheitsbeauftragte/r", "IT-Verantwortliche in KMU"),
    "python": Template(
        "Programmieren mit Python: Datentypen, Kontrollstrukturen, Funktionen, Module, "
        "Dateizugriff und erste Datenauswertungen.",
        ("it-software", "digitalisierung"), ("21d2f96d-35f7-4e3f-9745-c533d2dd6e97",
                                             "bf4d884f-c848-402a-b130-69c266b04164"),
        "43412", 4, "0613", 80, 11, ("201", "101"), "1", 1490, _BGS_NRW,
        "Zertifikat Python-Grundlagen", "Beschäftigte und Arbeitsuchende mit IT-Grundkenntnissen"),
    "data": Template(
        "Daten aus Produktion und Vertrieb auswerten: Datenaufbereitung, Visualisierung, "
        "statistische Modelle und Einstieg in maschinelles Lernen.",
        ("it-software", "industrie-4-0"), ("2b92a5b2-6758-4ee3-9fb4-b6387a55cc8f",
                                           "3a2d5b45-56e4-4f5a-a55a-4a4a65afdc43"),
        "43413", 6, "0613", 120, 90, ("301", "201"), "berufsbegleitend", 2900, _NRW,
        "Hochschulzertifikat", "Ingenieur/innen, Techniker/innen, Informatiker/innen",
        "Hochschulabschluss oder Techniker/in mit Berufserfahrung"),
    "kmu40": Template(
        "Digitalisierung im Mittelstand: Geschäftsprozesse analysieren, digitale Werkzeuge "
        "auswählen und die Belegschaft mitnehmen.",
        ("kmu-4-0", "digitalisierung"), ("1a4cc54f-1e53-442b-a6d2-1682dc8ef8f9",
                                         "238343b1-7b51-42b3-a9ed-cf24d3a236e7"),
        "71383", 5, "0413", 24, 15, ("201",), "berufsbegleitend", 590, _NRW,
        "Teilnahmezertifikat", "Inhaber/innen und Führungskräfte kleiner Unternehmen"),
    "arbeit40": Template(
        "Arbeit 4.0 gestalten: mobile und hybride Zusammenarbeit, digitale Werkzeuge im Team, "
        "Gesundheit und Selbstorganisation.",
        ("arbeit-4-0",), ("2b34a99f-9813-4c91-9509-b6b9b8c3132e",),
        "71513", 4, "0413", 16, 2, ("201",), "berufsbegleitend", 390, _NRW,
        "Teilnahmebescheinigung", "Beschäftigte und Betriebsräte"),
    "gabelstapler": Template(
        "Ausbildung zum Fahren von Flurförderzeugen nach DGUV Grundsatz 308-001 mit "
        "theoretischer und praktischer Prüfung.",
        ("logistik",), ("28cb374e-6261-4133-8371-f9a5470145da",),
        "52532", 2, "1041", 20, 3, ("104",), "1", 290, _BGS,
        "Fahrausweis für Flurförderzeuge", "Beschäftigte in Lager und Produktion"),
    "lager": Template(
        "Teilqualifizierung Lagerlogistik: Warenannahme, Lagerung, Kommissionierung, "
        "Versand und Lagerverwaltungssysteme.",
        ("logistik",), ("5d2e82cc-5943-4218-a459-a1956fad2b63",
                        "63359272-1303-41d5-a437-f4522f5abcc2"),
        "51312", 3, "1041", 320, 60, ("101",), "1", 3400, _BGS,
        "Zertifikat Teilqualifizierung Fachlagerist/in", "An- und Ungelernte in der Logistik"),
    "scm": Template(
        "Supply Chain Management: Beschaffungs-, Produktions- und Distributionslogistik "
        "planen und steuern; Kennzahlen und Digitalisierung der Lieferkette.",
        ("logistik", "kaufmaennisches"), ("f929c89e-c363-4132-a918-e021d57b307c",
                                          "cf579543-272b-43c8-b942-555836ae4241"),
        "51623", 6, "1041", 80, 60, ("201", "301"), "berufsbegleitend", 1850, _BGS_NRW,
        "Zertifikat Supply Chain Manager/in", "Fach- und Führungskräfte in der Logistik"),
    "qm": Template(
        "Qualitätsmanagement nach DIN EN ISO 9001: Prozessorientierung, Dokumentation, "
        "interne Audits und kontinuierliche Verbesserung.",
        ("qualitaet-arbeitsschutz", "industrie-4-0"), ("ccbd0898-e225-4abc-8992-57a23b0e2eec",),
        "27313", 5, "0413", 80, 20, ("102", "201"), "1", 1690, _BGS_NRW,
        "Zertifikat Qualitätsmanagementbeauftragte/r", "Fach- und Führungskräfte"),
    "instandhaltung": Template(
        "Vorausschauende Instandhaltung: Zustandsüberwachung mit Sensorik, Schwingungsanalyse, "
        "Datenauswertung und Wartungsplanung.",
        ("industrie-4-0", "automatisierung"), ("188048ff-18bf-43c4-a1a0-7adb6e68f421",
                                               "5a29fbb3-3b5c-44f2-b07a-e84faa790088"),
        "25133", 5, "0715", 40, 5, ("103",), "1", 1290, _NRW,
        "Teilnahmezertifikat", "Instandhalter/innen und Techniker/innen"),
    "mikro": Template(
        "Arbeiten im Reinraum und Grundlagen der Mikrosystemtechnik: Reinraumverhalten, "
        "Lithografie, Aufbau- und Verbindungstechnik, Mikrosensoren.",
        ("mikrotechnik", "industrie-4-0"), ("07e1799a-82c2-4877-9b43-1499812c5619",
                                            "e763b5c3-cfb3-48d2-9b83-fff97553ad95"),
        "26322", 5, "0714", 40, 5, ("103",), "1", 1350, _NRW,
        "Teilnahmezertifikat", "Fachkräfte aus Elektronik und Feinwerktechnik"),
    "kunden": Template(
        "Kundenorientiert kommunizieren: Telefon, E-Mail und Gespräch, Umgang mit "
        "Reklamationen und schwierigen Situationen.",
        ("kaufmaennisches",), ("0da516ee-e70e-4384-be13-f5ff80be8127",
                               "28d715e3-3e5b-4fb6-8dd2-4be4919c8587"),
        "61122", 3, "0416", 16, 2, ("102",), "1", 420, _NRW,
        "Teilnahmebescheinigung", "Beschäftigte in Vertrieb und Service"),
    "einkauf": Template(
        "Strategischer Einkauf: Lieferantenauswahl, Verhandlungsführung, Vertragsgestaltung "
        "und Risikomanagement.",
        ("kaufmaennisches",), ("5f2efbdf-08a2-49cd-9c06-bd284e4f0fbf",),
        "61113", 5, "0416", 24, 3, ("102",), "1", 1090, _NRW,
        "Teilnahmezertifikat", "Beschäftigte im Einkauf"),
    "digital": Template(
        "Digitale Grundbildung: sicher im Internet, E-Mail und Cloud, Videokonferenzen und "
        "Online-Dienste von Behörden und Arbeitgebern nutzen.",
        ("digitalisierung",), ("1d6c7de4-350e-4868-a47b-333b4b0d9650",),
        None, 2, "0611", 24, 42, ("101",), "2", 96, (),
        "Teilnahmebescheinigung", "Erwachsene mit wenig Computererfahrung",
        weekly=("Tuesday", "09:00:00", "12:15:00")),
    "selbstlern-office": Template(
        "Selbstlernkurs mit Videos, Übungsdateien und Lernkontrollen; tutorielle Begleitung "
        "per Chat. Einstieg jederzeit möglich.",
        ("digitalisierung", "kaufmaennisches"), ("f683ae1d-cb7c-4aa1-b9fe-205e1bd23535",
                                                 "1973c966-f236-40c9-b2d4-5d71a89019be"),
        "71402", 3, "0611", 60, 90, ("204",), "berufsbegleitend", 249, _NRW,
        "Teilnahmezertifikat", "Beschäftigte und Arbeitsuchende"),
    "fernlehrgang-sps": Template(
        "Fernlehrgang mit Studienbriefen, Online-Simulationen und Tutorensprechstunde; "
        "Einstieg jederzeit, Bearbeitungszeit bis zu zwölf Monate.",
        ("automatisierung", "industrie-4-0"), ("6468e5fb-f3be-4025-87be-4b6556755c61",),
        "26122", 4, "0714", 160, 365, ("402",), "berufsbegleitend", 1290, _BGS,
        "Zertifikat SPS-Technik (Fernlehrgang)", "Beschäftigte in technischen Berufen"),
}


@dataclass(frozen=True)
class FeedSpec:
    """One feed file of a partner: its syntax and the courses in it.

    ``courses`` rows are ``(title, template key)``; a third element holds overrides of
    template fields (any :class:`Template` field) plus ``flexible`` (runs start any time)
    and ``code`` (a course code shared with another partner).
    """

    id: str
    syntax: str  # turtle | jsonld-remote | jsonld-inline | rdfxml | ntriples
    blank_nodes: bool
    courses: tuple[tuple[Any, ...], ...]


@dataclass(frozen=True)
class PartnerSpec:
    id: str
    name: str
    type: str  # provider type as the sources file names it
    code_prefix: str
    sites: tuple[str, ...]  # the first is the seat: the provider's schema:location
    feeds: tuple[FeedSpec, ...]
    price_factor: float = 1.0
    license: str = "CC-BY-4.0"
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def provider_code(self) -> str:
        """Notation in the ``anbietertyp`` code list (private providers: openQ-cat 2)."""
        return PROVIDER_CODES.get(self.type, self.type)


#: sources-file provider type → ``anbietertyp`` notation, where the two differ
PROVIDER_CODES = {"vhs": "volkshochschule", "privat": "2"}


#: the same course at two partners (the "duplicates" question): identical title, text, code
DUPLICATE_TITLE = "Zertifikatslehrgang Fachkraft für Industrie 4.0"

PARTNERS: tuple[PartnerSpec, ...] = (
    PartnerSpec(
        "ihk-teutoburg", "Industrie- und Handelskammer Teutoburger Land (fiktiv)", "kammer",
        "IHK", ("bi-mitte", "gt-guetersloh", "pb-kammer"),
        (
            FeedSpec("ihk-teutoburg", "turtle", False, (
                (DUPLICATE_TITLE, "i40", {"code": "I40-FK"}),
                ("Ausbildung der Ausbilder (AEVO) – Kompaktkurs", "aevo"),
                ("Ausbildung der Ausbilder (AEVO) – Abendlehrgang", "aevo", {"modes": ("101",)}),
                ("Geprüfte/r Wirtschaftsfachwirt/in (IHK)", "fachwirt"),
                ("Projektmanagement kompakt (IHK)", "pm"),
                ("Neu in der Führungsrolle – Führungskräftetraining", "fuehrung"),
                ("Qualitätsmanagementbeauftragte/r (IHK)", "qm"),
                ("Informationssicherheit für kleine und mittlere Unternehmen", "itsec"),
                ("Strategischer Einkauf und Verhandlungsführung", "einkauf"),
                ("Supply Chain Manager/in (IHK)", "scm"),
                ("Digitalisierungsscout für KMU (IHK)", "kmu40"),
                ("Energiescout – Energieeffizienz im Betrieb", "energieeffizienz"),
                ("Kundenkommunikation und Beschwerdemanagement", "kunden"),
                ("Lohn- und Gehaltsabrechnung (IHK)", "lohn"),
            )),
            FeedSpec("ihk-teutoburg-meister", "rdfxml", False, (
                ("Geprüfte/r Industriemeister/in Metall (IHK) – Teilzeit", "meister-metall"),
                ("Geprüfte/r Industriemeister/in Metall (IHK) – Samstagslehrgang",
                 "meister-metall", {"price": 6200}),
                ("Fachkraft für Lagerlogistik – Teilqualifizierung (IHK)", "lager"),
                ("Qualitätsmanagement – Interne Auditorin / interner Auditor", "qm"),
            )),
        ),
        extra={"homepage_path": "weiterbildung/"},
    ),
    PartnerSpec(
        "hwk-weserbergland", "Handwerkskammer Weserbergland-Lippe (fiktiv)", "kammer", "HWK",
        ("mi-minden", "mi-oeynhausen", "mi-luebbecke", "hx-hoexter"),
        (
            FeedSpec("hwk-weserbergland", "rdfxml", False, (
                ("Meistervorbereitung Elektrotechniker-Handwerk Teile I–IV (Vollzeit)",
                 "meister-elektro"),
                ("Meistervorbereitung Elektrotechniker-Handwerk Teile I–IV (Teilzeit)",
                 "meister-elektro", {"price": 10400}),
                ("Meistervorbereitung Kraftfahrzeugtechniker-Handwerk", "meister-kfz"),
                ("Meistervorbereitung Installateur- und Heizungsbauer-Handwerk", "meister-shk"),
                ("MAG-Schweißen nach DIN EN ISO 9606-1 (Kehlnaht und Blech)", "mag"),
                ("MAG-Schweißen nach DIN EN ISO 9606-1 (Rohr)", "mag", {"price": 2750}),
                ("WIG-Schweißen an Edelstahl und Aluminium", "wig"),
                ("Gasschmelzschweißen und Brennschneiden", "gas"),
                ("Schweißfachmann / Schweißfachfrau (Schweißaufsicht)", "iws"),
                ("Hochvolt-Qualifizierung für Kfz-Werkstätten (Stufe 2)", "hochvolt"),
                ("Photovoltaik und Batteriespeicher für das Elektrohandwerk", "pv"),
                ("Elektrofachkraft für festgelegte Tätigkeiten", "efft"),
                ("Betriebswirt/in im Handwerk – Grundlagen Kalkulation", "fibu",
                 {"modes": ("101",)}),
                ("Ausbildereignung im Handwerk (Teil IV)", "aevo", {"modes": ("101",)}),
                ("Wärmepumpen-Fachkraft im SHK-Handwerk", "energieeffizienz",
                 {"modes": ("104",), "kldb": "34212", "span": 5, "attendance": "1",
                  "description": "Wärmepumpen auslegen, installieren und in Betrieb nehmen: "
                  "Heizlast, hydraulischer Abgleich, Kältekreis und Kundenberatung."}),
                ("Erste Hilfe für Handwerksbetriebe", "erstehilfe"),
            )),
        ),
    ),
    PartnerSpec(
        "hs-werre-bega", "Hochschule Werre-Bega für angewandte Wissenschaften (fiktiv)",
        "hochschule", "HWB", ("li-lemgo", "li-detmold"),
        (
            FeedSpec("hs-werre-bega", "jsonld-remote", False, (
                ("Zertifikatskurs Industrial Data Science", "data"),
                ("Zertifikatskurs Maschinelles Lernen in der Produktion", "data",
                 {"modes": ("201",), "price": 3200}),
                ("Weiterbildendes Zertifikat Automatisierungstechnik", "sps",
                 {"modes": ("301",), "price": 2400}),
                ("Zertifikatskurs Robotik und Mensch-Roboter-Kollaboration", "robotik"),
                ("Zertifikatskurs Mikrosystemtechnik und Reinraumpraxis", "mikro"),
                ("Zertifikatskurs Vorausschauende Instandhaltung", "instandhaltung"),
                ("Hochschulzertifikat Projektmanagement in Technologieprojekten", "pm",
                 {"modes": ("301",)}),
                ("Energiemanagement in Industrieunternehmen", "energieeffizienz",
                 {"modes": ("301",)}),
                ("IT-Sicherheit in der Produktion (OT-Security)", "itsec",
                 {"modes": ("301",)}),
                ("Python für Ingenieurinnen und Ingenieure", "python"),
                ("Führen in agilen Organisationen", "fuehrung", {"modes": ("201",)}),
                ("Supply Chain Analytics", "scm"),
            )),
        ),
        price_factor=1.2,
    ),
    PartnerSpec(
        "bk-nethegau", "Berufskolleg am Nethegau (fiktiv)", "berufskolleg", "BKN",
        ("hx-brakel", "hx-warburg"),
        (
            FeedSpec("bk-nethegau", "ntriples", False, (
                ("Elektrotechnik-Grundlagen für Quereinsteigende", "efft",
                 {"price": 980}),
                ("SPS-Grundkurs für Techniker/innen in Teilzeit", "sps", {"modes": ("101",)}),
                ("CNC-Drehen und -Fräsen am Abend", "cnc", {"price": 1900}),
                ("3D-CAD für Technikerschüler/innen und Betriebe", "cad", {"modes": ("101",)}),
                ("Pneumatik und Hydraulik – Praxiskurs", "fluid"),
                ("Excel im Büroalltag – Grundlagen", "excel", {"modes": ("101",)}),
                ("Excel für Fortgeschrittene: Pivot und Datenanalyse", "excel",
                 {"modes": ("101",), "price": 340}),
                ("Buchführung und Jahresabschluss für Wiedereinsteigende", "fibu"),
                ("Mechatronik kompakt – Teilqualifizierung", "mechatronik"),
                ("Digitale Grundbildung für Erwachsene", "digital", {"price": 60}),
                ("Gabelstaplerführerschein – Wochenendkurs", "gabelstapler"),
                ("Erste Hilfe im Betrieb (Grundkurs)", "erstehilfe"),
            )),
        ),
        price_factor=0.7,
    ),
    PartnerSpec(
        "vhs-ravensberg", "Volkshochschule Ravensberger Land (fiktiv)", "vhs", "VHS",
        ("hf-herford", "hf-buende", "hf-loehne"),
        (
            FeedSpec("vhs-ravensberg", "turtle", True, (
                ("Integrationskurs Deutsch B1 mit Berufsbezug", "daf"),
                ("Deutsch B2 für den Beruf (Berufssprachkurs)", "bsk"),
                ("Deutsch C1 für akademische Berufe (Berufssprachkurs)", "bsk"),
                ("Business English B1 – Abendkurs", "englisch"),
                ("Business English B2 – Online am Mittwoch", "englisch",
                 {"modes": ("201",)}),
                ("Excel Grundlagen am Vormittag", "excel"),
                ("Excel Aufbaukurs: Formeln, Diagramme, Pivot", "excel", {"price": 320}),
                ("Digitale Grundbildung: sicher online", "digital"),
                ("Smartphone und Tablet im Berufsalltag", "digital", {"price": 72}),
                ("Office-Selbstlernkurs mit Tutorium", "selbstlern-office", {"flexible": True}),
                ("Arbeit 4.0 – Zusammenarbeit im hybriden Team", "arbeit40"),
                ("Erste Hilfe für Übungsleitende und Beschäftigte", "erstehilfe"),
                ("Buchführung für Vereine und Kleinbetriebe", "fibu", {"price": 480}),
                ("Programmieren lernen mit Python – Abendkurs", "python",
                 {"price": 360, "modes": ("101",)}),
                ("Kommunikation am Telefon und im Kundenkontakt", "kunden"),
                ("Projektarbeit im Ehrenamt und Beruf", "pm", {"price": 180}),
            )),
        ),
        price_factor=0.35,
    ),
    PartnerSpec(
        "technikakademie-senne", "Technikakademie Senne GmbH (fiktiv)", "privat", "TAS",
        ("pb-paderborn", "pb-delbrueck", "pb-salzkotten"),
        (
            FeedSpec("technikakademie-senne", "jsonld-inline", True, (
                (DUPLICATE_TITLE, "i40", {"code": "I40-FK"}),
                ("SPS-Programmierung mit TIA Portal – Grundkurs", "sps"),
                ("SPS-Programmierung mit TIA Portal – Aufbaukurs", "sps", {"price": 1990}),
                ("SPS-Technik im Fernlehrgang", "fernlehrgang-sps", {"flexible": True}),
                ("Industrieroboter programmieren – Praxiswoche", "robotik"),
                ("CNC-Fachkraft Fräsen (Heidenhain und Siemens)", "cnc"),
                ("CNC-Fachkraft Drehen", "cnc", {"price": 3050}),
                ("Pneumatik und Elektropneumatik", "fluid"),
                ("Mechatroniker/in – Teilqualifizierung Modul 1", "mechatronik"),
                ("3D-CAD-Konstruktion für Einsteiger", "cad"),
                ("Instandhaltung 4.0 – Condition Monitoring", "instandhaltung"),
                ("Gabelstaplerfahrer/in mit Prüfung", "gabelstapler"),
                ("Fachlagerist/in – Teilqualifizierung", "lager"),
                ("Python für die Automatisierung", "python", {"modes": ("201",)}),
                ("Photovoltaik-Monteur/in", "pv"),
            )),
        ),
    ),
    PartnerSpec(
        "pflegeakademie-dalke", "Pflege- und Gesundheitsakademie an der Dalke (fiktiv)",
        "privat", "PGD", ("gt-guetersloh", "gt-rheda"),
        (
            FeedSpec("pflegeakademie-dalke", "turtle", False, (
                ("Pflegehelfer/in – Basisqualifikation mit Praktikum", "pflegehelfer"),
                ("Pflegehelfer/in – Basisqualifikation in Teilzeit", "pflegehelfer",
                 {"price": 3800}),
                ("Praxisanleitung in der Pflege (300 Stunden)", "praxisanleitung"),
                ("Refresher Praxisanleitung (24 Stunden)", "praxisanleitung",
                 {"price": 290, "ue": 24, "span": 3, "modes": ("102",), "funding": _NRW,
                  "description": "Jährliche berufspädagogische Fortbildung für Praxisanleitende: "
                  "Lernaufgaben, Beurteilen und Prüfen in der generalistischen Ausbildung.",
                  "credential": "Fortbildungsnachweis Praxisanleitung (24 Stunden)"}),
                ("Zusätzliche Betreuungskraft nach § 53b SGB XI", "betreuung"),
                ("Demenz verstehen – Fortbildung für Pflegekräfte", "demenz"),
                ("Wundmanagement in der Pflege", "wunde"),
                ("Hygienebeauftragte/r in Pflegeeinrichtungen", "hygiene"),
                ("Wohnbereichs- und Stationsleitung", "pdl"),
                ("Deutsch für Pflegekräfte B2 (Fachsprache Pflege)", "deutsch-pflege"),
                ("Erste Hilfe für Pflege- und Betreuungskräfte", "erstehilfe"),
                ("Praxisanleitung – Online-Modul Berufspädagogik", "praxisanleitung",
                 {"modes": ("202",), "price": 990}),
            )),
        ),
    ),
    PartnerSpec(
        "lingua-teuto", "Sprachschule Lingua Teuto (fiktiv)", "privat", "LT",
        ("bi-brackwede", "bi-mitte"),
        (
            FeedSpec("lingua-teuto", "jsonld-remote", True, (
                ("Berufssprachkurs Deutsch B1", "bsk"),
                ("Berufssprachkurs Deutsch B2", "bsk"),
                ("Berufssprachkurs Deutsch B2 – online", "bsk", {"modes": ("201",)}),
                ("Berufssprachkurs Deutsch C1", "bsk"),
                ("Deutsch A2/B1 für den Alltag", "daf"),
                ("Deutsch intensiv B1 (Vollzeit)", "daf"),
                ("Deutsch für Pflegeberufe B2", "deutsch-pflege"),
                ("Deutsch für technische Berufe B1/B2", "bsk", {"modes": ("101",)}),
                ("Business English Intensive (B2)", "englisch", {"modes": ("101",)}),
                ("Business English online (B1)", "englisch", {"modes": ("201",)}),
                ("Englisch für Pflege und Gesundheit", "englisch",
                 {"topics": ("sprachen", "gesundheit"),
                  "description": "English for nurses and care workers: admissions, handovers, "
                  "talking to patients and relatives; taught in English."}),
                ("Deutsch-Selbstlernprogramm B1 mit Tutor/in", "selbstlern-office",
                 {"flexible": True, "topics": ("sprachen",), "kldb": None, "isced": "0231",
                  "skills": ("486e4f39-e968-41f4-955e-56e9eba96ef5",),
                  "description": "Deutsch lernen im eigenen Tempo: Lernplattform mit Hör- und "
                  "Schreibaufgaben, wöchentliche Online-Sprechstunde mit einer Tutorin. "
                  "Einstieg jederzeit möglich."}),
            )),
        ),
    ),
    PartnerSpec(
        "werkakademie-lippe", "Werkakademie Lippe der Externstein Maschinenbau AG (fiktiv)",
        "unternehmensakademie", "WAL", ("li-lage", "li-salzuflen"),
        (
            FeedSpec("werkakademie-lippe", "rdfxml", True, (
                ("Lean Production und kontinuierliche Verbesserung", "qm",
                 {"modes": ("103",), "ue": 24, "span": 3,
                  "description": "Verschwendung erkennen und Abläufe verbessern: Wertstrom, "
                  "5S, Shopfloor-Management und KVP-Workshops in der eigenen Fertigung."}),
                ("SPS-Fehlersuche an Werkzeugmaschinen", "sps", {"modes": ("104",)}),
                ("Schweißen in der Fertigung: MAG-Auffrischung", "mag", {"price": 950}),
                ("Instandhaltung mit Sensorik und Datenauswertung", "instandhaltung"),
                ("Teamleitung in der Produktion", "fuehrung"),
                ("Excel für Fertigungssteuerung und Controlling", "excel"),
                ("Gabelstapler – Jährliche Unterweisung und Prüfung", "gabelstapler",
                 {"price": 120}),
                ("Hochvolt-Sicherheit für Instandhalter/innen", "hochvolt"),
                ("Digitaler Schichtbetrieb – Arbeit 4.0 in der Fertigung", "arbeit40"),
                ("Englisch für Montage und Service im Ausland", "englisch"),
                ("Robotik für Anlagenführer/innen", "robotik"),
                ("Informationssicherheit am Arbeitsplatz", "itsec", {"modes": ("202",),
                                                                    "price": 190}),
            )),
        ),
    ),
)
