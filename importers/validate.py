"""Validate stage: per-offer SHACL, core = violations (blocking), quality = warnings.

Interface (the harvester and ``bildungsnetz validate`` call these)::

    validator = Validator()                      # shapes from registry.resources.shapes_dir()
    result = validator.validate(triples, previous=last_reports)   # -> ValidationResult
    result.offers[iri].conforms                  # no Violation; warnings never block
    result.other_problems                        # focus node outside every offer
    result.report_graph()                        # SHACL ValidationReport as pyoxigraph triples

An *offer* is a ``schema:Course``; its *closure* (:meth:`Validator.offer_closure`) is the Course
and everything reachable from it through objects (runs, places, addresses, prices, the provider
node), stopping at other Courses. The closure's ``content_hash`` (sha256 over its sorted
N-Triples) lets a re-harvest skip SHACL for unchanged offers: an offer whose hash equals
``previous[iri].content_hash`` reuses that report.

Offers are validated in batches: the closures of ``batch_size`` offers go into one rdflib graph,
pySHACL runs once, and each result is attributed to every offer of the batch whose closure holds
the focus node (a provider shared by many offers reports its problem on each, just as validating
each offer alone would). Measured (1k offers, see the report) batching is several times faster
than one pySHACL run per offer. Subjects outside every closure (an orphan run, a stray place) are
validated once more on their own; results whose focus lies in no offer's closure go to
``other_problems``.

Messages: ``Problem.messages`` holds ``de`` and ``en``, each from the shape's ``sh:message`` in
that language, else the other language, else an untagged one, else pySHACL's own message.
``Problem.labels`` holds the shape's ``sh:name`` per language (for reports). ``Problem.shape`` is
the IRI of the source shape, or of the nearest named shape holding a blank one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Container, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Literal

import pyoxigraph as ox

from registry.namespaces import RDF, SCHEMA, SH
from registry.resources import shapes_dir as default_shapes_dir

from .lines import LineIndex, parse_lines
from .shacl import RawResult, Shapes, to_rdflib_graph
from .shacl_sparql import SparqlShapes, UnsupportedShape

__all__ = ["OfferReport", "Problem", "Severity", "ValidationResult", "Validator"]

Severity = Literal["Violation", "Warning", "Info"]
Node = ox.NamedNode | ox.BlankNode

_TYPE = ox.NamedNode(RDF + "type")
_COURSE = ox.NamedNode(SCHEMA + "Course")
_NAME = ox.NamedNode(SCHEMA + "name")
_SEVERITY_ORDER = {"Violation": 0, "Warning": 1, "Info": 2}


def _node_text(node: Node | ox.Literal) -> str:
    if isinstance(node, ox.Literal):
        return str(node)  # a literal focus node (sh:targetObjectsOf) in N-Triples syntax
    return node.value if isinstance(node, ox.NamedNode) else f"_:{node.value}"


def _text_node(text: str) -> Node:
    return ox.BlankNode(text[2:]) if text.startswith("_:") else ox.NamedNode(text)


@dataclass
class Problem:
    """One SHACL result, attributed to an offer (``offer``) or to none."""

    offer: str | None
    focus: str
    path: str | None
    value: str | None
    severity: Severity
    component: str
    shape: str
    messages: dict[str, str]
    #: ``sh:name`` of the source shape by language (``""`` = untagged); may be empty
    labels: dict[str, str] = field(default_factory=dict)
    #: the value as an RDF term, for the SHACL report graph
    value_term: ox.NamedNode | ox.BlankNode | ox.Literal | None = field(
        default=None, repr=False, compare=False
    )
    #: the focus node as an RDF term, for the SHACL report graph
    focus_term: ox.NamedNode | ox.BlankNode | ox.Literal | None = field(
        default=None, repr=False, compare=False
    )

    def message(self, lang: str = "de") -> str:
        """The message in ``lang``, falling back to any message there is."""
        return self.messages.get(lang) or next(iter(self.messages.values()), "")

    def label(self, lang: str = "de") -> str | None:
        """The property's name in ``lang`` from the shape's ``sh:name``, if the shape has one."""
        return self.labels.get(lang) or self.labels.get("") or None

    def sort_key(self) -> tuple[int, str, str, str, str]:
        return (
            _SEVERITY_ORDER[self.severity],
            self.focus,
            self.path or "",
            self.component,
            self.value or "",
        )


@dataclass
class OfferReport:
    """The validation report of one offer (a ``schema:Course`` and its closure)."""

    iri: str
    name: str | None
    content_hash: str
    problems: list[Problem] = field(default_factory=list)
    #: the Kreise of the offer's run places and its topics (``schema:about``), for the
    #: supply counts of harvest runs: computed once with the closure, reused with the report
    kreise: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    #: renderings of this report (state entry, report lines) by key, made once: a report
    #: reused for an unchanged offer is the same object, so its text is not rendered again
    cache: dict[str, object] = field(default_factory=dict, repr=False, compare=False)

    @property
    def conforms(self) -> bool:
        """True when no problem is a Violation (warnings never block)."""
        return not any(p.severity == "Violation" for p in self.problems)

    @property
    def violations(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "Violation"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity != "Violation"]


@dataclass
class ValidationResult:
    """Reports per offer (keyed by IRI) and the problems outside every offer."""

    offers: dict[str, OfferReport]
    other_problems: list[Problem] = field(default_factory=list)
    #: offers whose report was reused from ``previous`` (content unchanged)
    reused: int = 0
    #: the distinct validated triples as N-Triples, serialised once for the closure hashes;
    #: the harvester publishes it as is when no offer is quarantined (no second serialisation)
    ntriples: bytes | None = field(default=None, repr=False, compare=False)

    @property
    def conforms(self) -> bool:
        """True when no offer and no other problem has a Violation."""
        return all(o.conforms for o in self.offers.values()) and not any(
            p.severity == "Violation" for p in self.other_problems
        )

    def problems(self) -> list[Problem]:
        """Every problem: per offer in IRI order, then the others."""
        found = [p for iri in sorted(self.offers) for p in self.offers[iri].problems]
        return found + list(self.other_problems)

    def report_graph(self) -> list[ox.Triple]:
        """The SHACL ``sh:ValidationReport`` of all problems, as triples."""
        report = ox.BlankNode()
        conforms = ox.Literal("true" if self.conforms else "false", datatype=_XSD_BOOLEAN)
        triples = [
            ox.Triple(report, _TYPE, _SH_REPORT),
            ox.Triple(report, _SH_CONFORMS, conforms),
        ]
        Triple = ox.Triple
        for problem in self.problems():
            node = ox.BlankNode()
            triples += [
                Triple(report, _SH_RESULT, node),
                Triple(node, _TYPE, _SH_VALIDATION_RESULT),
                Triple(node, _SH_FOCUS, problem.focus_term or _text_node(problem.focus)),
                Triple(node, _SH_SEVERITY, _SEVERITY_NODE[problem.severity]),
                Triple(node, _SH_COMPONENT, _named(problem.component)),
            ]
            if not problem.shape.startswith("_:"):
                triples.append(Triple(node, _SH_SHAPE, _named(problem.shape)))
            if problem.path and not problem.path.startswith(("^", "(")) and " " not in problem.path:
                triples.append(Triple(node, _SH_PATH, _named(problem.path)))
            if problem.value_term is not None:
                triples.append(Triple(node, _SH_VALUE, problem.value_term))
            for lang, text in sorted(problem.messages.items()):
                message = ox.Literal(text, language=lang) if lang else ox.Literal(text)
                triples.append(Triple(node, _SH_MESSAGE, message))
        return triples


_XSD_BOOLEAN = ox.NamedNode("http://www.w3.org/2001/XMLSchema#boolean")
_SH_REPORT = ox.NamedNode(SH + "ValidationReport")
_SH_CONFORMS = ox.NamedNode(SH + "conforms")
_SH_RESULT = ox.NamedNode(SH + "result")
_SH_VALIDATION_RESULT = ox.NamedNode(SH + "ValidationResult")
_SH_FOCUS = ox.NamedNode(SH + "focusNode")
_SH_SEVERITY = ox.NamedNode(SH + "resultSeverity")
_SH_COMPONENT = ox.NamedNode(SH + "sourceConstraintComponent")
_SH_SHAPE = ox.NamedNode(SH + "sourceShape")
_SH_PATH = ox.NamedNode(SH + "resultPath")
_SH_VALUE = ox.NamedNode(SH + "value")
_SH_MESSAGE = ox.NamedNode(SH + "resultMessage")
_SEVERITY_NODE = {name: ox.NamedNode(SH + name) for name in _SEVERITY_ORDER}


@lru_cache(maxsize=4096)
def _named(iri: str) -> ox.NamedNode:
    """A NamedNode per IRI, built once: reports repeat the same components and shapes."""
    return ox.NamedNode(iri)


class _Index:
    """Triples by subject, and the offers (``schema:Course`` subjects) in IRI order."""

    def __init__(self, triples: Iterable[ox.Triple]) -> None:
        self.by_subject: dict[Node, list[ox.Triple]] = {}
        self.triples = list(dict.fromkeys(triples))
        self._lines: dict[ox.Triple, bytes] | None = None
        self.text = b""
        courses: set[Node] = set()
        for t in self.triples:
            self.by_subject.setdefault(t.subject, []).append(t)  # type: ignore[arg-type]
            if t.predicate == _TYPE and t.object == _COURSE:
                courses.add(t.subject)  # type: ignore[arg-type]
        self.courses = sorted(courses, key=_node_text)
        self.course_set = courses

    def closure(self, starts: Iterable[Node]) -> tuple[list[ox.Triple], set[Node]]:
        """Triples reachable from ``starts`` through objects, not entering other Courses."""
        nodes: set[Node] = set(starts)
        queue = list(nodes)
        found: list[ox.Triple] = []
        while queue:
            node = queue.pop()
            for t in self.by_subject.get(node, ()):
                found.append(t)
                obj = t.object
                if obj in self.by_subject and obj not in nodes and obj not in self.course_set:
                    nodes.add(obj)  # type: ignore[arg-type]
                    queue.append(obj)  # type: ignore[arg-type]
        return found, nodes

    def content_hash(self, triples: Iterable[ox.Triple]) -> str:
        """:func:`content_hash` of some of the index's triples, from N-Triples lines made by
        one serialisation of all of them (``str`` per triple cost more than SHACL when a
        re-harvest reuses most reports). Same digest: the lines are ``str(t) + " ."`` and
        UTF-8 bytes sort like the code points they encode."""
        lines = self._lines
        if lines is None:
            self.text = ox.serialize(self.triples, format=ox.RdfFormat.N_TRIPLES) or b""
            parts = self.text.split(b"\n")
            if len(parts) != len(self.triples) + 1:  # not one line per triple: never seen
                parts = [f"{t} .".encode() for t in self.triples] + [b""]
            lines = self._lines = dict(zip(self.triples, [p[:-2] for p in parts[:-1]], strict=True))
        return hashlib.sha256(b"\n".join(sorted({lines[t] for t in triples}))).hexdigest()

    def values(self, node: object, predicate: ox.NamedNode) -> list[object]:
        return [t.object for t in self.by_subject.get(node, ()) if t.predicate == predicate]  # type: ignore[call-overload]

    def supply_facts(self, course: Node) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """The Kreise of the course's run places (run → ``schema:location`` →
        ``schema:containedInPlace``) and its topics (``schema:about``), IRIs only."""
        kreise = {
            kreis.value
            for run in self.values(course, _RUNS)
            for place in self.values(run, _LOCATION)
            for kreis in self.values(place, _CONTAINED)
            if isinstance(kreis, ox.NamedNode)
        }
        topics = {t.value for t in self.values(course, _ABOUT) if isinstance(t, ox.NamedNode)}
        return tuple(sorted(kreise)), tuple(sorted(topics))


_RUNS = ox.NamedNode(SCHEMA + "hasCourseInstance")
_LOCATION = ox.NamedNode(SCHEMA + "location")
_CONTAINED = ox.NamedNode(SCHEMA + "containedInPlace")
_ABOUT = ox.NamedNode(SCHEMA + "about")


def content_hash(triples: Iterable[ox.Triple]) -> str:
    """sha256 over the sorted, distinct N-Triples lines of ``triples``."""
    lines = sorted({str(t) for t in triples})
    return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()


def _offer_name(triples: Sequence[ox.Triple], course: Node) -> str | None:
    names = [
        t.object
        for t in triples
        if t.subject == course and t.predicate == _NAME and isinstance(t.object, ox.Literal)
    ]
    for wanted in ("de", None):
        for n in names:
            if n.language == wanted:
                return n.value
    return names[0].value if names else None


def _literal_holders(pending: Sequence[_Pending]) -> dict[object, list[str]]:
    """Offers by the literals their closures hold as objects (in pending order, once each)."""
    holders: dict[object, list[str]] = {}
    for item in pending:
        for lit in {t.object for t in item.triples if isinstance(t.object, ox.Literal)}:
            holders.setdefault(lit, []).append(item.iri)
    return holders


@dataclass
class _Pending:
    iri: str
    name: str | None
    content_hash: str
    triples: list[ox.Triple]
    nodes: set[Node]


class _LineKeys:
    """A set of line terms (``b"<iri>"``) asked with pyoxigraph terms."""

    def __init__(self, keys: set[bytes]) -> None:
        self.keys = keys

    def __contains__(self, term: object) -> bool:
        if isinstance(term, ox.NamedNode):
            return f"<{term.value}>".encode() in self.keys
        if isinstance(term, ox.BlankNode):
            return f"_:{term.value}".encode() in self.keys
        return False


class Validator:
    """Per-offer SHACL validation with shapes loaded once (see the module docstring)."""

    def __init__(
        self,
        shapes_dir: Path | None = None,
        *,
        shape_files: Sequence[Path] = (),
        batch_size: int = 100,
        engine: Literal["auto", "sparql", "pyshacl"] = "auto",
    ) -> None:
        if shapes_dir is None and not shape_files:
            shapes_dir = default_shapes_dir()
        self.shapes = Shapes(shapes_dir, files=shape_files)
        self._texts: dict[object, tuple[dict[str, str], str, dict[str, str]]] = {}
        self.batch_size = max(1, batch_size)
        # the SPARQL engine (importers.shacl_sparql) validates the whole feed in one store;
        # shapes it cannot translate fall back to pySHACL in batches ("auto")
        self.fast: SparqlShapes | None = None
        if engine != "pyshacl":
            try:
                self.fast = SparqlShapes(self.shapes.graph)
            except UnsupportedShape:
                if engine == "sparql":
                    raise

    def offer_closure(
        self, triples: Sequence[ox.Triple] | _Index, iri: str
    ) -> tuple[list[ox.Triple], str]:
        """The triples of the offer ``iri`` (its closure) and their content hash."""
        index = triples if isinstance(triples, _Index) else _Index(triples)
        found, _nodes = index.closure([_text_node(iri)])
        return found, index.content_hash(found)

    def validate(
        self,
        triples: Sequence[ox.Triple],
        *,
        previous: Mapping[str, OfferReport] | None = None,
    ) -> ValidationResult:
        """Validate every offer in ``triples``; unchanged offers reuse ``previous`` reports."""
        index = _Index(triples)
        result = ValidationResult(offers={})
        if index.courses:  # serialise once; the hashes below and the publisher use it
            index.content_hash(())
            result.ntriples = index.text
        covered: set[Node] = set()
        pending: list[_Pending] = []
        for course in index.courses:
            found, nodes = index.closure([course])
            covered |= nodes
            iri = _node_text(course)
            digest = index.content_hash(found)
            if _reuse(result, previous, iri, digest):
                continue
            name = _offer_name(found, course)
            kreise, topics = index.supply_facts(course)
            result.offers[iri] = OfferReport(
                iri=iri, name=name, content_hash=digest, kreise=kreise, topics=topics
            )
            pending.append(_Pending(iri, name, digest, found, nodes))
        if self.fast is not None:
            self._run_fast(index, pending, covered, result)
            return result
        for start in range(0, len(pending), self.batch_size):
            self._run_batch(pending[start : start + self.batch_size], result)
        rest = [s for s in index.by_subject if s not in covered]
        if rest:
            found, _nodes = index.closure(rest)
            for raw in self.shapes.run(to_rdflib_graph(found)):
                if raw.focus not in covered:
                    result.other_problems.append(self._problem(raw, None))
            result.other_problems.sort(key=Problem.sort_key)
        return result

    def validate_lines(
        self, lines: list[bytes], *, previous: Mapping[str, OfferReport] | None = None
    ) -> ValidationResult:
        """:meth:`validate` on distinct normalised N-Triples lines (:mod:`importers.lines`):
        closures and hashes are taken on the lines, and terms are built only for the offers
        to validate and the subjects outside every offer (a re-harvest of a feed where a few
        offers changed builds a few hundred terms, not the whole feed)."""
        if self.fast is None:
            return self.validate(parse_lines(lines), previous=previous)
        index = LineIndex(lines)
        result = ValidationResult(offers={})
        result.ntriples = b"\n".join(lines) + b"\n" if lines else b""
        covered: set[bytes] = set()
        todo: list[tuple[str, str]] = []
        chosen: dict[bytes, None] = {}
        for course in index.courses:
            found, nodes = index.closure([course])
            covered |= nodes
            iri = course.decode("utf-8")[1:-1]
            digest = index.content_hash(found)
            if _reuse(result, previous, iri, digest):
                continue
            todo.append((iri, digest))
            chosen.update(dict.fromkeys(found))
        rest = [s for s in index.by_subject if s not in covered]
        if rest:
            chosen.update(dict.fromkeys(index.closure(rest)[0]))
        if not chosen:
            return result  # every offer reused, nothing outside them
        sub = _Index(parse_lines(chosen))
        pending: list[_Pending] = []
        for iri, digest in todo:
            node = ox.NamedNode(iri)
            triples, terms = sub.closure([node])
            name = _offer_name(triples, node)
            kreise, topics = sub.supply_facts(node)
            result.offers[iri] = OfferReport(
                iri=iri, name=name, content_hash=digest, kreise=kreise, topics=topics
            )
            pending.append(_Pending(iri, name, digest, triples, terms))
        self._run_fast(sub, pending, _LineKeys(covered), result)
        order = [c.decode("utf-8")[1:-1] for c in index.courses]
        result.offers = {iri: result.offers[iri] for iri in order}
        return result

    def _run_batch(self, batch: list[_Pending], result: ValidationResult) -> None:
        owners: dict[Node, list[str]] = {}
        triples: dict[ox.Triple, None] = {}
        for item in batch:
            for node in item.nodes:
                owners.setdefault(node, []).append(item.iri)
            triples.update(dict.fromkeys(item.triples))
        for raw in self.shapes.run(to_rdflib_graph(triples)):
            if isinstance(raw.focus, ox.Literal):  # a literal focus belongs where it is a value
                found = [i.iri for i in batch if any(t.object == raw.focus for t in i.triples)]
            else:
                found = owners.get(raw.focus, [])
            for iri in found:
                result.offers[iri].problems.append(self._problem(raw, iri))
        for item in batch:
            result.offers[item.iri].problems.sort(key=Problem.sort_key)

    def _run_fast(
        self,
        index: _Index,
        pending: list[_Pending],
        covered: Container[object],
        result: ValidationResult,
    ) -> None:
        """One SPARQL run over the changed offers' closures and the subjects outside all."""
        assert self.fast is not None
        owners: dict[Node, list[str]] = {}
        for item in pending:
            for node in item.nodes:
                owners.setdefault(node, []).append(item.iri)
        data: Iterable[ox.Triple]
        if len(pending) == len(index.courses):
            # nothing reused: the closures and the rest together are every triple
            data = (t for ts in index.by_subject.values() for t in ts)
        else:
            triples: dict[ox.Triple, None] = {}
            for item in pending:
                triples.update(dict.fromkeys(item.triples))
            rest = [s for s in index.by_subject if s not in covered]
            if rest:
                triples.update(dict.fromkeys(index.closure(rest)[0]))
            if not triples:
                return  # every offer reused, nothing outside them: ~120 queries saved
            data = triples
        holders: dict[object, list[str]] | None = None
        for raw in self.fast.run(data):
            if isinstance(raw.focus, ox.Literal):
                if holders is None:  # built once: a scan per result grew with offers × results
                    holders = _literal_holders(pending)
                found = holders.get(raw.focus, [])
            else:
                found = owners.get(raw.focus, [])
            for iri in found:
                result.offers[iri].problems.append(self._problem(raw, iri))
            if not found and raw.focus not in covered:
                result.other_problems.append(self._problem(raw, None))
        for item in pending:
            result.offers[item.iri].problems.sort(key=Problem.sort_key)
        result.other_problems.sort(key=Problem.sort_key)

    def _shape_texts(self, shape: object) -> tuple[dict[str, str], str, dict[str, str]]:
        """Messages, named shape and labels of ``shape``, looked up once per shape (the
        rdflib lookups cost more than the SPARQL run when thousands of offers warn)."""
        found = self._texts.get(shape)
        if found is None:
            found = (
                self.shapes.messages(shape),  # type: ignore[arg-type]
                self.shapes.named(shape),  # type: ignore[arg-type]
                self.shapes.names(shape),  # type: ignore[arg-type]
            )
            self._texts[shape] = found
        return found

    def _problem(self, raw: RawResult, offer: str | None) -> Problem:
        own, named, labels = self._shape_texts(raw.shape)
        fallback = own.get("") or (raw.messages[0] if raw.messages else raw.component)
        messages = {
            "de": own.get("de") or own.get("en") or fallback,
            "en": own.get("en") or own.get("de") or fallback,
        }
        value: str | None = None
        if raw.value is not None:
            value = raw.value.value if not isinstance(raw.value, ox.BlankNode) else str(raw.value)
        return Problem(
            offer=offer,
            focus=_node_text(raw.focus),
            path=raw.path,
            value=value,
            severity=raw.severity,  # type: ignore[arg-type]
            component=raw.component,
            shape=named,
            messages=messages,
            labels=dict(labels),
            value_term=raw.value,
            focus_term=raw.focus,
        )


def _reuse(
    result: ValidationResult,
    previous: Mapping[str, OfferReport] | None,
    iri: str,
    digest: str,
) -> bool:
    """Take the previous report of offer ``iri`` when its content hash is unchanged."""
    old = previous.get(iri) if previous else None
    if old is None or old.content_hash != digest:
        return False
    result.offers[iri] = old
    result.reused += 1
    return True
