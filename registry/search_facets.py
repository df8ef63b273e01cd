"""Facet values of ``GET /offers`` as the API shows them: value, IRI, label in ``lang``, count.

Why separate: the counts come from the side table (:mod:`registry.search`); labels come from
the vocabulary graph of the published store through :class:`registry.vocabulary.Labels`
(German or English, the one fallback order), read once per data generation.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from .namespaces import PARTNER
from .offer_rows import vocabulary_labels

if TYPE_CHECKING:
    from .catalogue import Catalogue
    from .vocabulary import Labels

__all__ = ["EQF", "LANGUAGE_NAMES", "FacetLabels"]

EQF = "http://data.europa.eu/snb/eqf/"
#: names of the languages of instruction that occur in the region (others show their tag)
LANGUAGE_NAMES: dict[str, dict[str, str]] = {
    "de": {"de": "Deutsch", "en": "German"},
    "en": {"de": "Englisch", "en": "English"},
    "tr": {"de": "Türkisch", "en": "Turkish"},
    "ar": {"de": "Arabisch", "en": "Arabic"},
    "uk": {"de": "Ukrainisch", "en": "Ukrainian"},
    "ru": {"de": "Russisch", "en": "Russian"},
    "pl": {"de": "Polnisch", "en": "Polish"},
    "fr": {"de": "Französisch", "en": "French"},
    "es": {"de": "Spanisch", "en": "Spanish"},
}


class FacetLabels:
    """Renders facet counts with labels from the catalogue's vocabulary graph."""

    def __init__(self, catalogue: Catalogue) -> None:
        self.catalogue = catalogue
        self._lock = threading.Lock()
        self._cached: tuple[str, Labels] | None = None

    def labels(self, generation: str | None = None) -> Labels:
        """The labels of the vocabulary of ``generation`` (the catalogue's current one when
        None), read once per snapshot."""
        snapshot = (generation or self.catalogue.generation).split(".")[0]
        cached = self._cached
        if cached is not None and cached[0] == snapshot:
            return cached[1]
        with self._lock:
            if self._cached is None or self._cached[0] != snapshot:
                self._cached = (snapshot, vocabulary_labels(self.catalogue))
            return self._cached[1]

    def render(
        self,
        counts: dict[str, list[tuple[str, str | None, int]]],
        lang: str,
        generation: str | None = None,
    ) -> dict[str, list[dict[str, Any]]]:
        labels = self.labels(generation)
        out: dict[str, list[dict[str, Any]]] = {}
        for name, rows in counts.items():
            entries = []
            for value, extra, count in rows:
                iri: str | None
                if name == "provider":
                    iri, label = PARTNER + value, extra or value
                elif name == "language":
                    base = value.split("-")[0]
                    iri, label = None, LANGUAGE_NAMES.get(base, {}).get(lang, value)
                elif name == "eqf":
                    iri = EQF + value
                    label = labels.label(iri, lang) or (
                        f"EQF-Niveau {value}" if lang == "de" else f"EQF level {value}"
                    )
                else:
                    iri = extra
                    label = (labels.label(iri, lang) if iri else None) or value
                entries.append({"value": value, "iri": iri, "label": label, "count": count})
            out[name] = entries
        return out
