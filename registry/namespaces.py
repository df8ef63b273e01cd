"""IRIs used across Bildungsnetz: the one place where namespaces are spelt out.

Every IRI the registry mints starts with :data:`BASE` (``https://w3id.org/bildungsnetz/``):

=====================  ===========================================================
``ontology#``          own classes and properties (prefix ``bn:``)
``code/{scheme}``      SKOS concept schemes; concepts at ``code/{scheme}/{notation}``
``region/{region}``    a region's data: ``…/kreis/{AGS}``, ``…/topic/{slug}``
``partner/{id}``       partners (publishers) from the sources file
``source/{id}``        a partner's feed (a ``dcat:Dataset``); also its named graph
``harvest/{id}``       one harvest run (``prov:Activity``)
``graph/registry``     the registry graph (partners, sources, runs, reports)
``graph/vocabulary``   the vocabulary graph (ontology, code lists, region data)
``genid/{source}/…``   skolem IRIs for blank nodes of one source
=====================  ===========================================================
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "BASE",
    "BN",
    "CODE",
    "DCAT",
    "DCTERMS",
    "ELM",
    "EQF",
    "ESCO",
    "FOAF",
    "GENID",
    "HARVEST",
    "ISCED_F",
    "NUTS",
    "ONTOLOGY",
    "OWL",
    "PARTNER",
    "PREFIXES",
    "PROV",
    "RDF",
    "RDFS",
    "REGION",
    "REGISTRY_GRAPH",
    "SCHEMA",
    "SCHEMA_HTTP",
    "SCHEME_ATTENDANCE",
    "SCHEME_AZAV",
    "SCHEME_DELIVERY",
    "SCHEME_DURATION",
    "SCHEME_FUNDING",
    "SCHEME_KLDB",
    "SCHEME_LANGUAGE",
    "SCHEME_PROVIDER_TYPE",
    "SD",
    "SH",
    "SKOS",
    "SOURCE",
    "VOCABULARY_GRAPH",
    "VOID",
    "XSD",
    "code",
    "sparql_prefixes",
    "turtle_prefixes",
]

BASE: Final = "https://w3id.org/bildungsnetz/"

BN: Final = BASE + "ontology#"
ONTOLOGY: Final = BASE + "ontology"
CODE: Final = BASE + "code/"
REGION: Final = BASE + "region/"
PARTNER: Final = BASE + "partner/"
SOURCE: Final = BASE + "source/"
HARVEST: Final = BASE + "harvest/"
GENID: Final = BASE + "genid/"
REGISTRY_GRAPH: Final = BASE + "graph/registry"
VOCABULARY_GRAPH: Final = BASE + "graph/vocabulary"

SCHEMA: Final = "https://schema.org/"
SCHEMA_HTTP: Final = "http://schema.org/"
RDF: Final = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS: Final = "http://www.w3.org/2000/01/rdf-schema#"
OWL: Final = "http://www.w3.org/2002/07/owl#"
XSD: Final = "http://www.w3.org/2001/XMLSchema#"
SKOS: Final = "http://www.w3.org/2004/02/skos/core#"
SH: Final = "http://www.w3.org/ns/shacl#"
DCTERMS: Final = "http://purl.org/dc/terms/"
DCAT: Final = "http://www.w3.org/ns/dcat#"
PROV: Final = "http://www.w3.org/ns/prov#"
FOAF: Final = "http://xmlns.com/foaf/0.1/"
VOID: Final = "http://rdfs.org/ns/void#"
SD: Final = "http://www.w3.org/ns/sparql-service-description#"
ELM: Final = "http://data.europa.eu/snb/model/elm/"
EQF: Final = "http://data.europa.eu/snb/eqf/"
ISCED_F: Final = "http://data.europa.eu/snb/isced-f/"
ESCO: Final = "http://data.europa.eu/esco/"
NUTS: Final = "http://data.europa.eu/nuts/code/"

# Concept schemes (``code/{name}``); notations are the official codes.
SCHEME_FUNDING: Final = CODE + "foerderart"  # openQ-cat foerderartenbund + Land programmes
SCHEME_AZAV: Final = CODE + "zulassungsstatus"  # openQ-cat zertstatus
SCHEME_DELIVERY: Final = CODE + "unterrichtsform"  # openQ-cat unterrichtsform + roll-up
SCHEME_ATTENDANCE: Final = CODE + "unterrichtszeit"  # Vollzeit, Teilzeit, berufsbegleitend …
SCHEME_DURATION: Final = CODE + "dauerklasse"  # openQ-cat dauerklassen
SCHEME_PROVIDER_TYPE: Final = CODE + "anbietertyp"  # chamber, university, VHS …
SCHEME_LANGUAGE: Final = CODE + "unterrichtssprache"  # openQ-cat unterrichtssprache (ISO 639-2)
SCHEME_KLDB: Final = CODE + "kldb2010"  # occupations, KldB 2010 (5-digit; groups by prefix)

PREFIXES: Final[dict[str, str]] = {
    "bn": BN,
    "schema": SCHEMA,
    "rdf": RDF,
    "rdfs": RDFS,
    "owl": OWL,
    "xsd": XSD,
    "skos": SKOS,
    "sh": SH,
    "dcterms": DCTERMS,
    "dcat": DCAT,
    "prov": PROV,
    "foaf": FOAF,
    "void": VOID,
    "elm": ELM,
}


def code(scheme: str, notation: str) -> str:
    """IRI of the concept with ``notation`` in the scheme IRI ``scheme``."""
    return f"{scheme}/{notation}"


def sparql_prefixes() -> str:
    """The PREFIX lines for :data:`PREFIXES`, for queries written in this project."""
    return "".join(f"PREFIX {p}: <{iri}>\n" for p, iri in PREFIXES.items())


def turtle_prefixes() -> str:
    """The @prefix lines for :data:`PREFIXES`."""
    return "".join(f"@prefix {p}: <{iri}> .\n" for p, iri in PREFIXES.items())
