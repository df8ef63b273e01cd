"""Normalise stage: one spelling of the same data, so that re-harvests compare equal.

:func:`normalise` (``triples, *, source_id``) returns deduplicated triples where

1. ``http://schema.org/…`` is read as ``https://schema.org/…`` in every position (subjects,
   predicates, types, IRI objects, literal datatypes);
2. plain-string values of date properties (``schema:startDate``, ``schema:endDate``,
   ``bn:registrationDeadline``) get ``xsd:date`` / ``xsd:dateTime`` when their lexical form is
   one, and numeric values of ``schema:price`` and ``bn:teachingUnits`` (strings, ``xsd:integer``,
   ``xsd:double``) get ``xsd:decimal``. Why: JSON-LD with schema.org's context (bundled or
   not) can only produce strings and JSON numbers there, while the model asks for these types;
   a value that does not look like a date or number is left alone for the shapes to report;
3. blank nodes become skolem IRIs ``https://w3id.org/bildungsnetz/genid/{source_id}/{hash}``.

Skolem IRIs must be *stable*: parsers label blank nodes at random, and a re-harvest of unchanged
content must give identical triples (else every harvest would rewrite the graph and re-validate
every offer). The hash of a blank node combines

* its *content*: its own triples, with blank objects replaced recursively by their content hash
  (a blank node met again on the way down, i.e. a cycle, contributes a fixed marker), and
* its *places*: the sorted (subject, predicate) pairs pointing to it, where a blank subject
  stands for its own full hash (recursively upwards; in a cycle, its content hash).

So two equal addresses under different places get different IRIs, while two blank nodes that
are indistinguishable in every respect (same content, same parents) share one IRI — merging
them does not change what the graph says. The result depends only on the set of triples, not on
their order or the parser's labels (checked by a property test).
"""

from __future__ import annotations

import hashlib
import re
import sys
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation

import pyoxigraph as ox

from registry.namespaces import BN, GENID, SCHEMA, SCHEMA_HTTP, XSD

__all__ = ["fix_triple", "normalise", "skolem_names", "skolem_prefix"]

_XSD_STRING = ox.NamedNode(XSD + "string")
_XSD_DATE = ox.NamedNode(XSD + "date")
_XSD_DATETIME = ox.NamedNode(XSD + "dateTime")
_XSD_DECIMAL = ox.NamedNode(XSD + "decimal")
_NUMERIC_SOURCE = {_XSD_STRING, ox.NamedNode(XSD + "integer"), ox.NamedNode(XSD + "double")}

_DATE_PROPERTIES = {
    ox.NamedNode(SCHEMA + "startDate"),
    ox.NamedNode(SCHEMA + "endDate"),
    ox.NamedNode(BN + "registrationDeadline"),
}
_DECIMAL_PROPERTIES = {ox.NamedNode(SCHEMA + "price"), ox.NamedNode(BN + "teachingUnits")}

_TZ = r"(?:Z|[+-]\d{2}:\d{2})?"
_DATE = re.compile(rf"-?\d{{4,}}-\d{{2}}-\d{{2}}{_TZ}")
_DATETIME = re.compile(rf"-?\d{{4,}}-\d{{2}}-\d{{2}}T\d{{2}}:\d{{2}}:\d{{2}}(?:\.\d+)?{_TZ}")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")

_CYCLE = "cycle"


def skolem_prefix(source_id: str) -> str:
    """The IRI prefix of the skolem IRIs minted for ``source_id``."""
    return f"{GENID}{source_id}/"


def _https(term: ox.NamedNode) -> ox.NamedNode:
    if term.value.startswith(SCHEMA_HTTP):
        return ox.NamedNode(SCHEMA + term.value[len(SCHEMA_HTTP) :])
    return term


def _fix_literal(predicate: ox.NamedNode, literal: ox.Literal) -> ox.Literal:
    datatype = literal.datatype
    if datatype.value.startswith(SCHEMA_HTTP):
        return ox.Literal(literal.value, datatype=_https(datatype))
    if predicate in _DATE_PROPERTIES and datatype == _XSD_STRING:
        text = literal.value.strip()
        if _DATE.fullmatch(text):
            return ox.Literal(text, datatype=_XSD_DATE)
        if _DATETIME.fullmatch(text):
            return ox.Literal(text, datatype=_XSD_DATETIME)
    elif predicate in _DECIMAL_PROPERTIES and datatype in _NUMERIC_SOURCE:
        text = literal.value.strip()
        if _NUMBER.fullmatch(text):
            try:
                return ox.Literal(format(Decimal(text), "f"), datatype=_XSD_DECIMAL)
            except InvalidOperation:  # pragma: no cover - the pattern admits only numbers
                return literal
    return literal


def _fix(triple: ox.Triple) -> ox.Triple:
    s, p, o = triple.subject, triple.predicate, triple.object
    changed = False
    if isinstance(s, ox.NamedNode) and s.value.startswith(SCHEMA_HTTP):
        s, changed = _https(s), True
    if p.value.startswith(SCHEMA_HTTP):
        p, changed = _https(p), True
    if isinstance(o, ox.NamedNode):
        if o.value.startswith(SCHEMA_HTTP):
            o, changed = _https(o), True
    elif isinstance(o, ox.Literal):
        fixed = _fix_literal(p, o)
        if fixed is not o:
            o, changed = fixed, True
    return ox.Triple(s, p, o) if changed else triple


def _digest(parts: list[str]) -> str:
    parts.sort()
    return hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()


class _Skolemiser:
    def __init__(self, triples: list[ox.Triple]) -> None:
        self.out: dict[ox.BlankNode, list[tuple[str, object]]] = defaultdict(list)
        self.into: dict[ox.BlankNode, list[tuple[object, str]]] = defaultdict(list)
        for t in triples:
            s, o = t.subject, t.object
            if isinstance(s, ox.BlankNode):
                self.out[s].append((str(t.predicate), o))
            if isinstance(o, ox.BlankNode):
                self.into[o].append((s, str(t.predicate)))
        self.content_memo: dict[ox.BlankNode, str] = {}
        self.full_memo: dict[ox.BlankNode, str] = {}

    def content(self, node: ox.BlankNode, stack: set[ox.BlankNode]) -> tuple[str, bool]:
        """Content hash of ``node`` and whether a cycle was met below it."""
        memo = self.content_memo.get(node)
        if memo is not None:
            return memo, False
        if node in stack:
            return _CYCLE, True
        stack.add(node)
        cyclic = False
        parts: list[str] = []
        for predicate, obj in self.out.get(node, ()):
            if isinstance(obj, ox.BlankNode):
                sig, below = self.content(obj, stack)
                cyclic = cyclic or below
                parts.append(f"{predicate} _:{sig}")
            else:
                parts.append(f"{predicate} {obj}")
        stack.discard(node)
        result = _digest(parts)
        if not cyclic:
            self.content_memo[node] = result
        return result, cyclic

    def full(self, node: ox.BlankNode, stack: set[ox.BlankNode]) -> tuple[str, bool]:
        """Hash of ``node``'s content and of the places pointing to it; whether a cycle was met."""
        memo = self.full_memo.get(node)
        if memo is not None:
            return memo, False
        stack.add(node)
        parts = [self.content(node, set())[0]]
        cyclic = False
        for subject, predicate in self.into.get(node, ()):
            if isinstance(subject, ox.BlankNode):
                if subject in stack:
                    cyclic = True
                    parts.append(f"^{predicate} _:{self.content(subject, set())[0]}")
                else:
                    sig, above = self.full(subject, stack)
                    cyclic = cyclic or above
                    parts.append(f"^{predicate} _:{sig}")
            else:
                parts.append(f"^{predicate} {subject}")
        stack.discard(node)
        result = _digest(parts)
        if not cyclic:
            self.full_memo[node] = result
        return result, cyclic


def skolem_names(
    triples: list[ox.Triple], *, source_id: str
) -> dict[ox.BlankNode, ox.NamedNode]:
    """The skolem IRI of every blank node in ``triples``, which must be every (fixed,
    distinct) triple of the graph that touches a blank node: the names depend on nothing else."""
    skolem = _Skolemiser(triples)
    prefix = skolem_prefix(source_id)
    names: dict[ox.BlankNode, ox.NamedNode] = {}
    limit = sys.getrecursionlimit()
    # chains of blank nodes (RDF lists) recurse once per element
    sys.setrecursionlimit(max(limit, 4 * len(triples) + 1000))
    try:
        for node in {*skolem.out, *skolem.into}:
            names[node] = ox.NamedNode(prefix + skolem.full(node, set())[0][:32])
    finally:
        sys.setrecursionlimit(limit)
    return names


def fix_triple(triple: ox.Triple) -> ox.Triple:
    """Steps 1 and 2 of :func:`normalise` on one triple (the same object when nothing changes)."""
    return _fix(triple)


def normalise(triples: Iterable[ox.Triple], *, source_id: str) -> list[ox.Triple]:
    """Deduplicated triples with https schema.org, typed dates/prices and stable skolem IRIs."""
    fixed = list(dict.fromkeys(_fix(t) for t in triples))
    blank = ox.BlankNode
    # only triples touching a blank node take part in skolemising (one pass to find them)
    where = [
        i
        for i, t in enumerate(fixed)
        if isinstance(t.subject, blank) or isinstance(t.object, blank)
    ]
    if not where:
        return fixed
    names = skolem_names([fixed[i] for i in where], source_id=source_id)
    for i in where:
        t = fixed[i]
        s, o = t.subject, t.object
        fixed[i] = ox.Triple(
            names[s] if isinstance(s, blank) else s,
            t.predicate,
            names[o] if isinstance(o, blank) else o,
        )
    # blank nodes indistinguishable in every respect share a name: their triples merge
    return list(dict.fromkeys(fixed))
