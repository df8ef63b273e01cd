"""SHACL validation as SPARQL over an in-memory Oxigraph store: the fast engine.

The shapes are compiled once (:mod:`importers.shacl_compile`); a run loads the data triples into
a fresh in-memory :class:`pyoxigraph.Store` and asks one SELECT per (shape, constraint) for ALL
focus nodes at once. A *focus* is a SPARQL group pattern that binds one variable: the targets of
a shape, or the value nodes of a path from the focus of an enclosing shape (a projecting
sub-select, so patterns nest without variable clashes). Logical and qualified constraints
(``sh:or``, ``sh:and``, ``sh:not``, ``sh:node``, ``sh:qualifiedValueShape``) are combined in
Python from the sets of nodes that violate each nested shape, computed over all candidate value
nodes with the same queries.

Oxigraph stores numbers and dates in canonical form (``1234.50`` comes back as ``1234.5``); the
runner keeps the typed literals of the input in a side graph so that a reported value is the
literal as the feed wrote it, as pySHACL reports it. ``tests/test_shacl_sparql.py`` checks the
results against pySHACL.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pyoxigraph as ox
import rdflib
from rdflib.namespace import SH

from .shacl import RawResult
from .shacl_compile import Constraint, CShape, UnsupportedShape, compile_shapes

__all__ = ["SparqlShapes", "UnsupportedShape"]

_PREFIXES = {
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}
_XSD_STRING = ox.NamedNode(_PREFIXES["xsd"] + "string")
_LANG_STRING = ox.NamedNode(_PREFIXES["rdf"] + "langString")
_CANON_GRAPH = ox.NamedNode("urn:x-bildungsnetz:shacl-sparql:literals")
_CANON_P = ox.NamedNode("urn:x-bildungsnetz:shacl-sparql:literal")
_FOCUS_GRAPH = ox.NamedNode("urn:x-bildungsnetz:shacl-sparql:focus")
_FOCUS_P = ox.NamedNode("urn:x-bildungsnetz:shacl-sparql:focus-node")
_QMIN = f"{SH}QualifiedMinCountConstraintComponent"
_QMAX = f"{SH}QualifiedMaxCountConstraintComponent"

Term = ox.NamedNode | ox.BlankNode | ox.Literal


@dataclass(frozen=True)
class _Focus:
    """A SPARQL group pattern binding ``?{var}`` to the focus nodes; ``depth`` names helpers."""

    template: str  # with {v} for the variable name
    depth: int

    def pattern(self, var: str) -> str:
        return self.template.replace("{v}", var)


@dataclass(frozen=True)
class _Hit:
    focus: Term
    value: Term | None
    component: str
    shape: CShape
    messages: tuple[str, ...] = ()


class SparqlShapes:
    """Compiled shapes and the runner (see the module docstring)."""

    def __init__(self, graph: rdflib.Graph) -> None:
        self.roots = compile_shapes(graph)
        #: seconds per query text of the last run, for measurements
        self.timings: dict[str, float] = {}

    def run(self, triples: Iterable[ox.Triple]) -> list[RawResult]:
        """Validate ``triples``; one :class:`RawResult` per distinct SHACL result."""
        store = ox.Store()
        literals: list[ox.Literal] = []
        quads = []
        for t in triples:
            quads.append(ox.Quad(t.subject, t.predicate, t.object))
            o = t.object
            if isinstance(o, ox.Literal) and o.datatype not in (_XSD_STRING, _LANG_STRING):
                literals.append(o)
        distinct = list(dict.fromkeys(literals))
        quads += [
            ox.Quad(ox.NamedNode(f"urn:x-l:{i}"), _CANON_P, lit, _CANON_GRAPH)
            for i, lit in enumerate(distinct)
        ]
        store.extend(quads)  # measured faster than bulk_extend for an in-memory store
        return _Run(store, distinct, self.timings).results(self.roots)


class _Run:
    def __init__(self, store: ox.Store, literals: Sequence[ox.Literal], timings: dict) -> None:
        self.store = store
        self.literals = literals
        self.timings = timings
        timings.clear()
        self.memo: dict[tuple[int, str], list[_Hit]] = {}

    def select(self, query: str) -> list[tuple[Term | None, ...]]:
        start = time.perf_counter()
        rows = [tuple(s) for s in self.store.query(query, prefixes=_PREFIXES)]  # type: ignore[union-attr]
        self.timings[query] = self.timings.get(query, 0.0) + time.perf_counter() - start
        return rows

    def results(self, roots: list[CShape]) -> list[RawResult]:
        hits: dict[tuple[object, ...], _Hit] = {}
        for i, shape in enumerate(roots):
            # the target nodes are stored once in a side graph: every query of the shape
            # starts from them, and an index lookup is cheaper than the UNION of targets
            body = " } UNION { ".join(shape.targets)
            targets = self.select(f"SELECT DISTINCT ?this WHERE {{ {{ {body} }} }}")
            holder = ox.NamedNode(f"urn:x-f:{i}")
            self.store.extend(ox.Quad(holder, _FOCUS_P, r[0], _FOCUS_GRAPH) for r in targets)  # type: ignore[arg-type]
            quad = f"<{holder.value}> <{_FOCUS_P.value}> ?{{v}}"
            focus = _Focus(f"{{ GRAPH <{_FOCUS_GRAPH.value}> {{ {quad} }} }}", 0)
            for hit in self.evaluate(shape, focus):
                key = (hit.focus, hit.value, hit.component, hit.shape.node)
                hits.setdefault(key, hit)
        original = self.originals([t for h in hits.values() for t in (h.focus, h.value)])
        return [
            RawResult(
                focus=original.get(h.focus, h.focus),
                path=h.shape.path_text,
                value=original.get(h.value, h.value) if h.value is not None else None,
                severity=h.shape.severity,
                component=h.component,
                shape=h.shape.node,
                messages=h.messages or h.shape.messages,
            )
            for h in hits.values()
        ]

    def originals(self, values: Iterable[Term | None]) -> dict[Term, ox.Literal]:
        """The input's own lexical form of each canonicalised typed literal among ``values``."""
        wanted = {
            v
            for v in values
            if isinstance(v, ox.Literal) and v.datatype not in (_XSD_STRING, _LANG_STRING)
        }
        if not wanted:
            return {}
        rows = " ".join(str(v) for v in wanted)
        query = (
            f"SELECT ?s ?o WHERE {{ VALUES ?o {{ {rows} }} GRAPH <{_CANON_GRAPH.value}> "
            f"{{ ?s <{_CANON_P.value}> ?o }} }}"
        )
        found: dict[Term, ox.Literal] = {}
        for s, o in self.select(query):
            assert isinstance(s, ox.NamedNode) and o is not None
            found.setdefault(o, self.literals[int(s.value.rsplit(":", 1)[1])])
        return found

    # --- evaluation -----------------------------------------------------------------------

    def evaluate(self, shape: CShape, focus: _Focus) -> list[_Hit]:
        """Every result of ``shape`` (and its property shapes) for the nodes of ``focus``."""
        key = (id(shape), focus.template)
        if key in self.memo:
            return self.memo[key]
        self.memo[key] = []  # a recursive shape conforms while it is being evaluated
        hits: list[_Hit] = []
        for constraint in shape.constraints:
            hits += self.constraint(shape, constraint, focus)
        for prop in shape.properties:
            hits += self.evaluate(prop, focus)
        self.memo[key] = hits
        return hits

    def violators(self, shape: CShape, focus: _Focus) -> set[Term]:
        return {h.focus for h in self.evaluate(shape, focus)}

    def values_of(self, shape: CShape, focus: _Focus) -> _Focus:
        """The focus of the value nodes of ``shape`` (the focus itself for a node shape)."""
        if shape.path is None:
            return focus
        inner = f"_d{focus.depth}"
        template = (
            "{ SELECT DISTINCT ?{v} WHERE { "
            + focus.pattern(inner)
            + f" ?{inner} {shape.path} ?{{v}} . }} }}"
        )
        return _Focus(template, focus.depth + 1)

    def pairs(self, shape: CShape, focus: _Focus) -> list[tuple[Term, Term]]:
        if shape.path is None:
            rows = self.select(f"SELECT ?this WHERE {{ {focus.pattern('this')} }}")
            return [(r[0], r[0]) for r in rows]  # type: ignore[misc]
        query = (
            f"SELECT DISTINCT ?this ?value WHERE {{ {focus.pattern('this')} "
            f"?this {shape.path} ?value . }}"
        )
        return self.select(query)  # type: ignore[return-value]

    def constraint(self, shape: CShape, c: Constraint, focus: _Focus) -> list[_Hit]:
        this = focus.pattern("this")
        kind = c.kind
        # FILTER NOT EXISTS is avoided: Oxigraph 0.5 evaluates it with a path per solution and
        # grew quadratic at 10k offers; MINUS is a hash anti-join
        if kind in ("filter", "minus"):
            if shape.path is None:
                where = f"{this} BIND (?this AS ?value)"
            else:
                where = f"{this} ?this {shape.path} ?value ."
            test = f"FILTER ({c.sparql})" if kind == "filter" else f"MINUS {{ {c.sparql} }}"
            rows = self.select(f"SELECT DISTINCT ?this ?value WHERE {{ {where} {test} }}")
            return [_Hit(r[0], r[1], c.component, shape) for r in rows]  # type: ignore[arg-type]
        if kind in ("min", "max"):
            return self.count(shape, c, this)
        if kind == "hasValue":
            if shape.path is None:
                where = f"{this} FILTER (!sameTerm(?this, {c.sparql}))"
            else:
                where = f"{this} MINUS {{ ?this {shape.path} {c.sparql} }}"
            rows = self.select(f"SELECT DISTINCT ?this WHERE {{ {where} }}")
            return [_Hit(r[0], None, c.component, shape) for r in rows]  # type: ignore[arg-type]
        if kind == "select":
            inner = c.sparql.replace("$PATH", shape.path or "").replace("$this", "?this")
            head, _sep, body = inner.partition("SELECT")
            query = f"{head}\nSELECT DISTINCT ?this ?value WHERE {{ {this} {{ SELECT{body} }} }}"
            rows = self.select(query)
            return [_Hit(r[0], r[1], c.component, shape, c.messages) for r in rows]  # type: ignore[arg-type]
        values = self.values_of(shape, focus)
        if kind == "qualified":
            return self.qualified(shape, c, focus, values)
        sets = [self.violators(s, values) for s in c.shapes]
        found = []
        for f, v in self.pairs(shape, focus):
            if kind == "or":
                bad = all(v in s for s in sets)
            elif kind == "and" or kind == "node":
                bad = any(v in s for s in sets)
            else:  # not
                bad = v not in sets[0]
            if bad:
                found.append(_Hit(f, v, c.component, shape))
        return found

    def count(self, shape: CShape, c: Constraint, this: str) -> list[_Hit]:
        n = c.count or 0
        if shape.path is None:  # a node shape has exactly one value node: the focus
            bad = (c.kind == "min" and n > 1) or (c.kind == "max" and n < 1)
            rows = self.select(f"SELECT ?this WHERE {{ {this} }}") if bad else []
        elif c.kind == "min" and n == 1:
            rows = self.select(f"SELECT ?this WHERE {{ {this} MINUS {{ ?this {shape.path} ?v }} }}")
        elif c.kind == "min":
            rows = self.select(
                f"SELECT ?this WHERE {{ {this} OPTIONAL {{ ?this {shape.path} ?v }} }} "
                f"GROUP BY ?this HAVING (COUNT(DISTINCT ?v) < {n})"
            )
        else:
            rows = self.select(
                f"SELECT ?this WHERE {{ {this} ?this {shape.path} ?v }} "
                f"GROUP BY ?this HAVING (COUNT(DISTINCT ?v) > {n})"
            )
        return [_Hit(r[0], None, c.component, shape) for r in rows]  # type: ignore[arg-type]

    def qualified(self, shape: CShape, c: Constraint, focus: _Focus, values: _Focus) -> list[_Hit]:
        bad = self.violators(c.shapes[0], values)
        counts: dict[Term, int] = {}
        if shape.path is None:
            for f, v in self.pairs(shape, focus):
                counts[f] = counts.get(f, 0) + (v not in bad)
        else:
            for row in self.select(f"SELECT ?this WHERE {{ {focus.pattern('this')} }}"):
                counts[row[0]] = 0  # type: ignore[index]
            for f, v in self.pairs(shape, focus):
                counts[f] += v not in bad
        found = []
        for f, n in counts.items():
            if c.count is not None and n < c.count:
                found.append(_Hit(f, None, _QMIN, shape))
            if c.upper is not None and n > c.upper:
                found.append(_Hit(f, None, _QMAX, shape))
        return found
