"""The de/en message table of the HTML pages.

Why one table: every visible text of the pages is looked up here by key, so a missing English
text is a missing key (a ``KeyError`` in the tests), not a German word left in an English page.
German is the default language; ``?lang=en`` switches.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from .errors import InvalidParameter

__all__ = ["LANGUAGES", "MESSAGES", "check_lang", "translator"]

LANGUAGES: Final = ("de", "en")

#: key → (German, English)
MESSAGES: Final[dict[str, tuple[str, str]]] = {
    "skip": ("Zum Inhalt springen", "Skip to content"),
    "main_nav": ("Hauptnavigation", "Main navigation"),
    "search_nav": ("Suche", "Search"),
    "switch_lang": ("English", "Deutsch"),
    "tagline": (
        "Weiterbildungsangebote der Region aus den Feeds der Partner",
        "Continuing-education offers of the region from the partners' feeds",
    ),
    "search_heading": ("Weiterbildung finden", "Find continuing education"),
    "query": ("Suchbegriff", "Search term"),
    "query_hint": ("z. B. Schweißen, Excel, Pflege", "e.g. welding, Excel, care"),
    "submit": ("Suchen", "Search"),
    "filters": ("Filter", "Filters"),
    "apply": ("Filter anwenden", "Apply filters"),
    "reset": ("Alle Filter zurücksetzen", "Reset all filters"),
    "any": ("alle", "any"),
    "kreis": ("Kreis", "District"),
    "mode": ("Lernform", "Mode"),
    "rollup_praesenz": ("Präsenz (alle)", "In person (all)"),
    "rollup_digital": ("Digital (alle)", "Digital (all)"),
    "rollup_kombiniert": ("Kombiniert (alle)", "Combined (all)"),
    "funding": ("Förderung", "Funding"),
    "topic": ("Thema", "Topic"),
    "provider": ("Anbieter", "Provider"),
    "language": ("Unterrichtssprache", "Language of instruction"),
    "eqf": ("EQR-Niveau", "EQF level"),
    "distance": ("Entfernung", "Distance"),
    "near": ("Ort oder Postleitzahl", "Place or postcode"),
    "near_hint": ("z. B. Detmold oder 32756", "e.g. Detmold or 32756"),
    "radius": ("Umkreis (km)", "Radius (km)"),
    "start_from": ("Beginn ab", "Starting from"),
    "max_price": ("Höchstpreis (EUR)", "Maximum price (EUR)"),
    "results": ("Ergebnisse", "Results"),
    "results_count": ("{n} Angebote gefunden", "{n} offers found"),
    "results_shown": ("{n} Angebote auf dieser Seite", "{n} offers on this page"),
    "next_start": ("Nächster Beginn", "Next start"),
    "run_count": ("{n} Termine", "{n} runs"),
    "further": ("weitere am", "also on"),
    "more_runs": ("und {n} weitere", "and {n} more"),
    "price_from": ("ab {price}", "from {price}"),
    "no_results": (
        "Keine Angebote gefunden. Versuchen Sie weniger Filter oder einen anderen Begriff.",
        "No offers found. Try fewer filters or another term.",
    ),
    "next_page": ("Nächste Seite", "Next page"),
    "first_page": ("Erste Seite", "First page"),
    "paging": ("Seiten", "Pages"),
    "start": ("Beginn", "Start"),
    "end": ("Ende", "End"),
    "flexible_start": ("flexibler Einstieg", "flexible start"),
    "place": ("Ort", "Place"),
    "online": ("online", "online"),
    "price": ("Preis", "Price"),
    "free": ("kostenfrei", "free of charge"),
    "price_unknown": ("Preis auf Anfrage", "price on request"),
    "km_away": ("{km} km entfernt", "{km} km away"),
    "stale": ("Daten evtl. veraltet", "data may be outdated"),
    "deadline": ("Anmeldeschluss", "Registration deadline"),
    "invalid_input": ("Ungültige Eingabe", "Invalid input"),
    "back": ("Zurück zur Suche", "Back to the search"),
    "description": ("Beschreibung", "Description"),
    "web_page": ("Webseite", "Web page"),
    "runs": ("Termine", "Runs"),
    "as_data": ("Als Daten", "As data"),
    "offers": ("Angebote", "Offers"),
    "all_offers_json": ("Alle Angebote (JSON)", "All offers (JSON)"),
    "harvests_json": ("Ernteläufe (JSON)", "Harvest runs (JSON)"),
    "data_access": ("Daten und Schnittstellen", "Data and interfaces"),
    "api_offers": ("Angebote (JSON-API)", "Offers (JSON API)"),
    "api_docs": ("API-Dokumentation", "API documentation"),
    "catalogue": ("Katalog (DCAT)", "Catalogue (DCAT)"),
    "void": ("Datensatzbeschreibung (VoID)", "Dataset description (VoID)"),
    "sparql_endpoint": ("SPARQL-Abfragen", "SPARQL queries"),
    "ontology": ("Ontologie", "Ontology"),
    "dump": ("Gesamtdump (N-Quads)", "Full dump (N-Quads)"),
    "partners": ("Partner", "Partners"),
}


def check_lang(lang: str) -> str:
    """``lang`` if the pages speak it, else a 422 naming ``lang``."""
    if lang not in LANGUAGES:
        raise InvalidParameter("lang must be de or en", parameter="lang", value=lang)
    return lang


def translator(lang: str) -> Callable[..., str]:
    """``t(key, **values)`` for ``lang``; ``{name}`` placeholders are filled from ``values``."""
    column = LANGUAGES.index(check_lang(lang))

    def t(key: str, **values: object) -> str:
        text = MESSAGES[key][column]
        return text.format(**values) if values else text

    return t
