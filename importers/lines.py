"""The harvest's per-triple stages on N-Triples lines instead of pyoxigraph term objects.

Why: a re-harvest must normalise, ownership-check and hash every offer of a changed feed
before it knows which offers changed. Done on term objects that cost ≈ 1 µs per triple per
pass (every ``.subject`` or ``.value`` builds a new Python object), most of a re-harvest where
1 % of the offers changed. Here the feed is serialised once by pyoxigraph (one line per
triple, each line the canonical N-Triples of its triple) and the passes work on byte strings:

* :func:`normalise_lines` — the same result as :func:`importers.normalise.normalise`, line for
  line: only the lines a rule can change (typed dates and prices, blank nodes) are parsed back
  into terms and given to the very same code; returns ``None`` when the feed uses
  ``http://schema.org/`` (that rewrite touches any position; the term path does it);
* :func:`own_lines` — :func:`importers.ownership.check_ownership` on lines;
* :class:`LineIndex` — lines by subject, the offers, their closures and content hashes (the
  digest is the one :class:`importers.validate.Validator` computes from terms, so feed states
  saved by either stay valid).

Lines here keep their trailing ``" ."``; an IRI term is ``b"<iri>"``. The text after a line's
last space (before ``" ."``) is its object when that is an IRI or a blank node; for a literal it
holds a ``"``, and so equals no IRI or blank node (terms that never contain ``"``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

import pyoxigraph as ox

from registry.namespaces import BN, GENID, RDF, SCHEMA, SCHEMA_HTTP

from .normalise import fix_triple, skolem_names
from .ownership import all_foreign

__all__ = [
    "LineIndex",
    "LinesOwnership",
    "normalise_lines",
    "own_lines",
    "parse_lines",
    "serialise_lines",
]

_NT = ox.RdfFormat.N_TRIPLES

#: predicates whose literal objects a normalisation rule may retype (dates, prices, units)
_FIXABLE = tuple(
    f" <{iri}> \"".encode()
    for iri in (
        SCHEMA + "startDate",
        SCHEMA + "endDate",
        BN + "registrationDeadline",
        SCHEMA + "price",
        BN + "teachingUnits",
    )
)
#: datatypes a retyping rule never changes (it starts from strings, integers and doubles)
_FINAL = tuple(f"#{name}> .".encode() for name in ("date", "dateTime", "decimal"))
_COURSE_SUFFIX = f" <{RDF}type> <{SCHEMA}Course> .".encode()


def parse_lines(lines: Iterable[bytes]) -> list[ox.Triple]:
    """The triples of N-Triples ``lines`` (one per line, in order)."""
    data = b"\n".join(lines)
    return [q.triple for q in ox.parse(data, _NT)] if data else []


def serialise_lines(triples: Sequence[ox.Triple]) -> list[bytes]:
    """One N-Triples line (with ``" ."``) per triple, in order."""
    text = ox.serialize(list(triples), format=_NT) or b""
    return text.split(b"\n")[:-1]


def _object_iri(line: bytes) -> bytes:
    """The text after the last space before ``" ."``: the object when it is an IRI or a blank
    node; otherwise it holds a ``"`` and so equals no IRI or blank node term."""
    return line[line.rfind(b" ", 0, -2) + 1 : -2]


def _fixable(text: bytes) -> list[bytes]:
    """The lines of ``text`` (N-Triples) whose predicate is in :data:`_FIXABLE`."""
    found: list[bytes] = []
    for needle in _FIXABLE:
        at = text.find(needle)
        while at >= 0:
            start = text.rfind(b"\n", 0, at) + 1
            end = text.find(b"\n", at)
            end = len(text) if end < 0 else end
            line = text[start:end]
            if text.find(b" ", start) == at and not line.endswith(_FINAL):
                found.append(line)
            at = text.find(needle, end)
    return found


def _blank_lines(text: bytes) -> list[bytes]:
    """The lines of ``text`` (N-Triples) whose subject or object is a blank node."""
    found: list[bytes] = []
    at = text.find(b"_:")
    while at >= 0:
        start = text.rfind(b"\n", 0, at) + 1
        end = text.find(b"\n", at)
        end = len(text) if end < 0 else end
        line = text[start:end]
        obj = _object_iri(line)
        if line.startswith(b"_:") or (obj.startswith(b"_:") and b'"' not in obj):
            found.append(line)
        at = text.find(b"_:", end)
    return found


def normalise_lines(text: bytes, *, source_id: str) -> list[bytes] | None:
    """Distinct normalised lines of the N-Triples ``text`` (see the module docstring)."""
    if SCHEMA_HTTP.encode() in text:
        return None
    lines = list(dict.fromkeys(text.split(b"\n")))
    if lines and not lines[-1]:
        lines.pop()
    if b"" in lines:
        return None  # not one line per triple: never written by the serialiser
    fixes: dict[bytes, bytes] = {}
    candidates = _fixable(text)
    if candidates:
        for line, triple in zip(candidates, parse_lines(candidates), strict=True):
            fixed = fix_triple(triple)
            if fixed is not triple:
                fixes[line] = serialise_lines([fixed])[0]
    if fixes:
        lines = list(dict.fromkeys(fixes.get(line, line) for line in lines))
    if b"_:" not in text:
        return lines
    blank = list(dict.fromkeys(fixes.get(line, line) for line in _blank_lines(text)))
    if not blank:
        return lines
    triples = parse_lines(blank)
    names = skolem_names(triples, source_id=source_id)
    renamed = serialise_lines(
        [
            ox.Triple(
                names.get(t.subject, t.subject),  # type: ignore[arg-type]
                t.predicate,
                names.get(t.object, t.object),  # type: ignore[arg-type]
            )
            for t in triples
        ]
    )
    gone = set(blank)
    return list(dict.fromkeys([line for line in lines if line not in gone] + renamed))


class LinesOwnership:
    """What :func:`own_lines` kept and dropped (the fields of ``OwnershipResult``)."""

    def __init__(
        self, kept: list[bytes], dropped: int, dropped_subjects: int, sample: tuple[str, ...]
    ) -> None:
        self.kept = kept
        self.dropped = dropped
        self.dropped_subjects = dropped_subjects
        self.sample = sample


def _subject(line: bytes) -> bytes:
    return line[: line.find(b" ")]


def own_lines(
    lines: list[bytes], *, namespaces: Sequence[str], source_id: str, sample_size: int = 10
) -> LinesOwnership:
    """:func:`importers.ownership.check_ownership` on normalised lines (same kept triples,
    counts, sample and error)."""
    skolem = f"<{GENID}{source_id}/".encode()
    owned = tuple(f"<{ns}".encode() for ns in namespaces)
    by_skolem: dict[bytes, list[bytes]] = {}
    kept: list[bytes] = []
    foreign: set[str] = set()
    dropped = 0
    for line in lines:
        if line.startswith(skolem):
            by_skolem.setdefault(_subject(line), []).append(line)
        elif line.startswith(owned):
            kept.append(line)
        else:
            dropped += 1
            subject = _subject(line).decode("utf-8")
            foreign.add(subject[1:-1] if subject.startswith("<") else subject)
    if by_skolem:
        queue = [_object_iri(line) for line in kept if skolem in line]
        while queue:
            for line in by_skolem.pop(queue.pop(), ()):
                kept.append(line)
                queue.append(_object_iri(line))
        for orphans in by_skolem.values():
            dropped += len(orphans)
    sample = tuple(sorted(foreign)[:sample_size])
    if dropped and not kept:
        raise all_foreign(source_id, dropped, namespaces, sample)
    return LinesOwnership(kept, dropped, len(foreign), sample)


class LineIndex:
    """Lines by subject, the offers (``schema:Course`` subjects) in IRI order, closures."""

    def __init__(self, lines: Iterable[bytes]) -> None:
        self.by_subject: dict[bytes, list[tuple[bytes, bytes]]] = {}
        courses: set[bytes] = set()
        by_subject = self.by_subject
        for line in lines:
            subject = line[: line.find(b" ")]
            obj = line[line.rfind(b" ", 0, -2) + 1 : -2]
            found = by_subject.get(subject)
            if found is None:
                by_subject[subject] = [(line, obj)]
            else:
                found.append((line, obj))
            if line.endswith(_COURSE_SUFFIX) and len(subject) + len(_COURSE_SUFFIX) == len(line):
                courses.add(subject)
        self.course_set = courses
        self.courses = sorted(courses, key=_node_text)

    def closure(self, starts: Iterable[bytes]) -> tuple[list[bytes], set[bytes]]:
        """Lines reachable from ``starts`` through objects, not entering other Courses."""
        nodes = set(starts)
        queue = list(nodes)
        found: list[bytes] = []
        by_subject, courses = self.by_subject, self.course_set
        while queue:
            for line, obj in by_subject.get(queue.pop(), ()):
                found.append(line)
                if obj in by_subject and obj not in nodes and obj not in courses:
                    nodes.add(obj)
                    queue.append(obj)
        return found, nodes

    @staticmethod
    def content_hash(lines: Iterable[bytes]) -> str:
        """sha256 over the sorted distinct lines without ``" ."`` (the validator's digest)."""
        return hashlib.sha256(b"\n".join(sorted({line[:-2] for line in lines}))).hexdigest()


def _node_text(term: bytes) -> str:
    """The text the validator sorts offers by (an IRI without brackets, ``_:label``)."""
    text = term.decode("utf-8")
    return text[1:-1] if text.startswith("<") else text
