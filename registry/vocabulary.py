"""Loading the vocabulary: ontology, SKOS code lists and region data, and labels from it.

The vocabulary graph (``graph/vocabulary`` in the store) is the union of
``ontology/bildungsnetz.ttl``, every ``ontology/codelists/*.ttl``, the ESCO labels in
``ontology/esco/*.ttl`` (feeds cannot label ESCO IRIs: the ownership stage drops triples about
subjects outside a partner's namespace) and the region files the sources file names (default
``ontology/regions/owl.ttl``). Reports, API facets and pages need a
human-readable name for every concept, term and Kreis in German or English; :class:`Labels`
answers that with a fixed fallback order so that no caller writes its own.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import pyoxigraph
import rdflib

from .errors import ConfigError, ParseError
from .namespaces import RDFS, SCHEMA, SKOS
from .resources import ontology_dir

__all__ = [
    "Labels",
    "default_region_files",
    "load_vocabulary_graph",
    "vocabulary_files",
    "vocabulary_triples",
]

_PREF = SKOS + "prefLabel"
_LABEL_PREDICATES = (_PREF, RDFS + "label", SCHEMA + "name")
_NOTATION = SKOS + "notation"


def default_region_files() -> list[Path]:
    """The bundled example region, Ostwestfalen-Lippe."""
    return [ontology_dir() / "regions" / "owl.ttl"]


def _resolve(path: Path) -> Path:
    # sources files name regions relative to ontology/ ("regions/owl.ttl")
    if not path.is_absolute() and not path.exists():
        path = ontology_dir() / path
    if not path.is_file():
        raise ConfigError(f"vocabulary file not found: {path}")
    return path


def vocabulary_files(region_files: Sequence[Path] | None = None) -> list[Path]:
    """Ontology, all code lists and ESCO label files (sorted by name) and the region files,
    in load order.

    ``region_files`` defaults to :func:`default_region_files`; relative paths are read against
    ``ontology/`` when they do not exist relative to the working directory.
    """
    base = ontology_dir()
    regions = default_region_files() if region_files is None else list(region_files)
    files = [
        base / "bildungsnetz.ttl",
        *sorted((base / "codelists").glob("*.ttl")),
        *sorted((base / "esco").glob("*.ttl")),
    ]
    return [_resolve(Path(p)) for p in [*files, *regions]]


def _parse(path: Path) -> list[pyoxigraph.Triple]:
    try:
        quads = pyoxigraph.parse(path=str(path), format=pyoxigraph.RdfFormat.TURTLE)
        return [quad.triple for quad in quads]
    except SyntaxError as exc:
        line = column = None
        location = getattr(exc, "lineno", None)
        if location is not None:
            line, column = location, getattr(exc, "offset", None)
        raise ParseError(str(exc), source=str(path), line=line, column=column) from exc
    except OSError as exc:
        raise ConfigError(f"cannot read vocabulary file {path}: {exc}") from exc


def vocabulary_triples(region_files: Sequence[Path] | None = None) -> list[pyoxigraph.Triple]:
    """All vocabulary triples, parsed with pyoxigraph (blank nodes stay distinct per file)."""
    triples: list[pyoxigraph.Triple] = []
    for path in vocabulary_files(region_files):
        triples.extend(_parse(path))
    return triples


def _to_rdflib(term: object) -> rdflib.term.Node:
    if isinstance(term, pyoxigraph.NamedNode):
        return rdflib.URIRef(term.value)
    if isinstance(term, pyoxigraph.BlankNode):
        return rdflib.BNode(term.value)
    if isinstance(term, pyoxigraph.Literal):
        if term.language:
            return rdflib.Literal(term.value, lang=term.language)
        return rdflib.Literal(term.value, datatype=rdflib.URIRef(term.datatype.value))
    raise TypeError(f"unexpected term {term!r}")


def load_vocabulary_graph(region_files: Sequence[Path] | None = None) -> rdflib.Graph:
    """The vocabulary as an rdflib Graph (for pySHACL, which needs the code lists)."""
    graph = rdflib.Graph()
    for triple in vocabulary_triples(region_files):
        graph.add(
            (_to_rdflib(triple.subject), _to_rdflib(triple.predicate), _to_rdflib(triple.object))
        )
    return graph


def _pick(by_lang: dict[str, tuple[int, str]], primary: str) -> str | None:
    if primary in by_lang:
        return by_lang[primary][1]
    for key, (_, text) in sorted(by_lang.items()):
        if key.split("-")[0] == primary:
            return text
    return None


class Labels:
    """Display labels for vocabulary IRIs.

    ``label(iri, lang)`` tries, in order: a label in ``lang`` (``skos:prefLabel``,
    ``rdfs:label``, ``schema:name``; ``de-DE`` matches ``de``), then English, then German,
    then any untagged label, then ``skos:notation``; ``None`` when the IRI is unknown.
    """

    def __init__(self, triples: Iterable[pyoxigraph.Triple]) -> None:
        # iri → {language ("" for untagged) → label}, first label per predicate rank wins
        self._labels: dict[str, dict[str, tuple[int, str]]] = {}
        self._notations: dict[str, str] = {}
        for triple in triples:
            subject, predicate, obj = triple.subject, triple.predicate.value, triple.object
            if not isinstance(subject, pyoxigraph.NamedNode):
                continue
            if not isinstance(obj, pyoxigraph.Literal):
                continue
            if predicate == _NOTATION:
                self._notations.setdefault(subject.value, obj.value)
            elif predicate in _LABEL_PREDICATES:
                rank = _LABEL_PREDICATES.index(predicate)
                lang = (obj.language or "").lower()
                by_lang = self._labels.setdefault(subject.value, {})
                if lang not in by_lang or rank < by_lang[lang][0]:
                    by_lang[lang] = (rank, obj.value)

    @classmethod
    def from_vocabulary(cls, region_files: Sequence[Path] | None = None) -> Labels:
        """Labels of the bundled ontology, code lists and the given (or default) regions."""
        return cls(vocabulary_triples(region_files))

    def __contains__(self, iri: object) -> bool:
        return isinstance(iri, str) and (iri in self._labels or iri in self._notations)

    def label(self, iri: str, lang: str = "de") -> str | None:
        """The best label of ``iri`` for ``lang`` (see the class docstring for the order)."""
        by_lang = self._labels.get(iri, {})
        for primary in (lang.lower().split("-")[0], "en", "de"):
            text = _pick(by_lang, primary)
            if text is not None:
                return text
        if "" in by_lang:
            return by_lang[""][1]
        return self._notations.get(iri)
