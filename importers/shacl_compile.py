"""Compiles a SHACL shapes graph into a plan of SPARQL queries (see :mod:`importers.shacl_sparql`).

pySHACL on rdflib validates about 90 offers/s with the project's shapes; Oxigraph answers one
SELECT over all focus nodes at once far faster. This module reads the shapes graph (rdflib, as
:class:`importers.shacl.Shapes` holds it) into :class:`CShape` records: the shape's SPARQL
property path, targets as SPARQL group patterns, and its constraints, each either a SPARQL
*violation filter* on ``?value`` or a structural constraint (counts, logical and qualified
shapes, SPARQL-based constraints) that the runner turns into queries. Anything outside the
SHACL Core subset the project's shapes use raises :class:`UnsupportedShape`, and the caller
falls back to pySHACL.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import rdflib
from rdflib.collection import Collection
from rdflib.namespace import RDF, RDFS, SH, XSD

from registry.errors import ConfigError

from .shacl import _path_text

__all__ = ["CShape", "Constraint", "UnsupportedShape", "compile_shapes", "term_sparql"]


class UnsupportedShape(ConfigError):
    """A shape uses a SHACL feature the SPARQL compiler does not translate."""


_SEVERITIES: dict[rdflib.term.Node, str] = {
    SH.Violation: "Violation",
    SH.Warning: "Warning",
    SH.Info: "Info",
}
_TARGETS = (SH.targetClass, SH.targetSubjectsOf, SH.targetObjectsOf, SH.targetNode)
# predicates of a shape that carry no constraint of their own
_PASSIVE = {
    RDF.type,
    RDFS.label,
    RDFS.comment,
    SH.name,
    SH.description,
    SH.message,
    SH.severity,
    SH.path,
    SH.property,
    SH.order,
    SH.group,
    SH.defaultValue,
    *_TARGETS,
    SH.qualifiedMinCount,
    SH.qualifiedMaxCount,
    SH.declare,
    rdflib.URIRef("http://purl.org/dc/terms/description"),
}
_NODE_KINDS: dict[rdflib.term.Node, str] = {
    SH.IRI: "isIRI(?value)",
    SH.BlankNode: "isBlank(?value)",
    SH.Literal: "isLiteral(?value)",
    SH.BlankNodeOrIRI: "(isBlank(?value) || isIRI(?value))",
    SH.BlankNodeOrLiteral: "(isBlank(?value) || isLiteral(?value))",
    SH.IRIOrLiteral: "(isIRI(?value) || isLiteral(?value))",
}
# datatypes whose lexical form Oxigraph checks on a cast: an ill-typed literal fails the cast,
# as rdflib marks it ``ill_typed`` and pySHACL rejects it
_CASTS = {
    XSD.integer,
    XSD.decimal,
    XSD.double,
    XSD.float,
    XSD.boolean,
    XSD.date,
    XSD.dateTime,
    XSD.time,
    XSD.duration,
    XSD.gYear,
}
_RANGES = {
    SH.minInclusive: (">=", "MinInclusive"),
    SH.maxInclusive: ("<=", "MaxInclusive"),
    SH.minExclusive: (">", "MinExclusive"),
    SH.maxExclusive: ("<", "MaxExclusive"),
}


def term_sparql(term: rdflib.term.Node) -> str:
    """An rdflib IRI or literal in SPARQL syntax (N-Triples form)."""
    if isinstance(term, rdflib.URIRef):
        return f"<{term}>"
    if isinstance(term, rdflib.Literal):
        text = json.dumps(str(term), ensure_ascii=False)
        if term.language:
            return f"{text}@{term.language}"
        if term.datatype is not None and term.datatype != XSD.string:
            return f"{text}^^<{term.datatype}>"
        return text
    raise UnsupportedShape(f"blank node {term} used as a value in a shape")


@dataclass
class Constraint:
    """One constraint of a shape.

    ``kind`` is ``filter`` (``sparql`` is a violation condition on ``?value``), ``minus`` (a
    value violates unless it matches the pattern ``sparql``), ``min``/``max``
    (``count``), ``hasValue`` (``sparql`` is the value), ``or``/``and``/``not``/``node``
    (``shapes``), ``qualified`` (``shapes[0]``, ``count`` min, ``upper`` max) or ``select``
    (``sparql`` is the SELECT text, ``messages`` the constraint's own).
    """

    kind: str
    component: str
    sparql: str = ""
    count: int | None = None
    upper: int | None = None
    shapes: tuple[CShape, ...] = ()
    messages: tuple[str, ...] = ()


@dataclass(eq=False)
class CShape:
    """A compiled node or property shape."""

    node: rdflib.term.Node
    path: str | None
    path_text: str | None
    severity: str
    messages: tuple[str, ...]
    targets: list[str] = field(default_factory=list)
    constraints: list[Constraint] = field(default_factory=list)
    properties: list[CShape] = field(default_factory=list)


def _component(name: str) -> str:
    return f"{SH}{name}ConstraintComponent"


class _Compiler:
    def __init__(self, graph: rdflib.Graph) -> None:
        self.g = graph
        self.done: dict[rdflib.term.Node, CShape] = {}

    def items(self, head: rdflib.term.Node) -> list[rdflib.term.Node]:
        return list(Collection(self.g, head))

    def path(self, node: rdflib.term.Node) -> str:
        g = self.g
        if isinstance(node, rdflib.URIRef):
            return f"<{node}>"
        if (node, RDF.first, None) in g:
            return "(" + "/".join(self.path(i) for i in self.items(node)) + ")"
        for key, mark in (
            (SH.zeroOrMorePath, "*"),
            (SH.oneOrMorePath, "+"),
            (SH.zeroOrOnePath, "?"),
        ):
            inner = g.value(node, key)
            if inner is not None:
                return f"({self.path(inner)}){mark}"
        inverse = g.value(node, SH.inversePath)
        if inverse is not None:
            return f"^({self.path(inverse)})"
        alternatives = g.value(node, SH.alternativePath)
        if alternatives is not None:
            return "(" + "|".join(self.path(i) for i in self.items(alternatives)) + ")"
        raise UnsupportedShape(f"path {node} is not a SHACL path this engine translates")

    def targets(self, node: rdflib.term.Node) -> list[str]:
        g = self.g
        found = [
            f"?this rdf:type/rdfs:subClassOf* {term_sparql(c)} ."
            for c in g.objects(node, SH.targetClass)
        ]
        found += [f"?this {term_sparql(p)} ?_t ." for p in g.objects(node, SH.targetSubjectsOf)]
        found += [f"?_t {term_sparql(p)} ?this ." for p in g.objects(node, SH.targetObjectsOf)]
        found += [f"VALUES ?this {{ {term_sparql(n)} }}" for n in g.objects(node, SH.targetNode)]
        if (node, RDF.type, RDFS.Class) in g:
            raise UnsupportedShape(f"implicit class target of {node}")
        return found

    def shape(self, node: rdflib.term.Node) -> CShape:
        if node in self.done:
            return self.done[node]
        g = self.g
        for predicate in set(g.predicates(node, None)):
            if predicate not in _PASSIVE and predicate not in _HANDLED:
                raise UnsupportedShape(f"shape {node} uses {predicate}")
        if (node, SH.deactivated, None) in g:
            raise UnsupportedShape(f"shape {node} uses sh:deactivated")
        raw_path = g.value(node, SH.path)
        shape = CShape(
            node=node,
            path=self.path(raw_path) if raw_path is not None else None,
            path_text=_path_text(g, raw_path) if raw_path is not None else None,
            severity=_SEVERITIES.get(g.value(node, SH.severity), "Violation"),  # type: ignore[arg-type]
            messages=tuple(str(m) for m in g.objects(node, SH.message)),
            targets=self.targets(node),
        )
        self.done[node] = shape  # before recursing: a cycle of sh:node meets the same record
        shape.constraints = self.constraints(node)
        shape.properties = [self.shape(p) for p in g.objects(node, SH.property)]
        return shape

    def constraints(self, node: rdflib.term.Node) -> list[Constraint]:
        g = self.g
        found: list[Constraint] = []
        for n in g.objects(node, SH.minCount):
            found.append(Constraint("min", _component("MinCount"), count=int(n)))  # type: ignore[call-overload]
        for n in g.objects(node, SH.maxCount):
            found.append(Constraint("max", _component("MaxCount"), count=int(n)))  # type: ignore[call-overload]
        for d in g.objects(node, SH.datatype):
            found.append(Constraint("filter", _component("Datatype"), sparql=_datatype(d)))
        for k in g.objects(node, SH.nodeKind):
            if k not in _NODE_KINDS:
                raise UnsupportedShape(f"sh:nodeKind {k}")
            found.append(Constraint("filter", _component("NodeKind"), sparql=f"!{_NODE_KINDS[k]}"))
        for c in g.objects(node, SH["class"]):
            member = f"?value rdf:type/rdfs:subClassOf* {term_sparql(c)}"
            found.append(Constraint("minus", _component("Class"), sparql=member))
        for head in g.objects(node, SH["in"]):
            same = " || ".join(f"sameTerm(?value, {term_sparql(m)})" for m in self.items(head))
            found.append(Constraint("filter", _component("In"), sparql=f"!({same or 'false'})"))
        for pattern in g.objects(node, SH.pattern):
            flags = g.value(node, SH.flags)
            args = json.dumps(str(pattern), ensure_ascii=False)
            if flags is not None:
                args += ", " + json.dumps(str(flags))
            cond = f"isBlank(?value) || !REGEX(STR(?value), {args})"
            found.append(Constraint("filter", _component("Pattern"), sparql=cond))
        for key, (op, name) in _RANGES.items():
            for limit in g.objects(node, key):
                cond = f"!COALESCE(?value {op} {term_sparql(limit)}, false)"
                found.append(Constraint("filter", _component(name), sparql=cond))
        for head in g.objects(node, SH.languageIn):
            tests = " || ".join(
                f"langMatches(lang(?value), {term_sparql(rdflib.Literal(str(t)))})"
                for t in self.items(head)
            )
            cond = f"!COALESCE(isLiteral(?value) && ({tests or 'false'}), false)"
            found.append(Constraint("filter", _component("LanguageIn"), sparql=cond))
        for v in g.objects(node, SH.hasValue):
            found.append(Constraint("hasValue", _component("HasValue"), sparql=term_sparql(v)))
        for key, kind, name in ((SH["or"], "or", "Or"), (SH["and"], "and", "And")):
            for head in g.objects(node, key):
                members = tuple(self.shape(m) for m in self.items(head))
                found.append(Constraint(kind, _component(name), shapes=members))
        for inner in g.objects(node, SH["not"]):
            found.append(Constraint("not", _component("Not"), shapes=(self.shape(inner),)))
        for inner in g.objects(node, SH.node):
            found.append(Constraint("node", _component("Node"), shapes=(self.shape(inner),)))
        for inner in g.objects(node, SH.qualifiedValueShape):
            if g.value(node, SH.qualifiedValueShapesDisjoint) == rdflib.Literal(True):
                raise UnsupportedShape(f"sh:qualifiedValueShapesDisjoint in {node}")
            low, high = g.value(node, SH.qualifiedMinCount), g.value(node, SH.qualifiedMaxCount)
            found.append(
                Constraint(
                    "qualified",
                    "",
                    count=int(low) if low is not None else None,  # type: ignore[call-overload]
                    upper=int(high) if high is not None else None,  # type: ignore[call-overload]
                    shapes=(self.shape(inner),),
                )
            )
        for constraint in g.objects(node, SH.sparql):
            found.append(self.select(constraint))
        return found

    def select(self, node: rdflib.term.Node) -> Constraint:
        g = self.g
        text = g.value(node, SH.select)
        if text is None or (node, SH.deactivated, rdflib.Literal(True)) in g:
            raise UnsupportedShape(f"SPARQL constraint {node} without sh:select")
        prefixes = []
        for ontology in g.objects(node, SH.prefixes):
            for declaration in g.objects(ontology, SH.declare):
                prefix, namespace = (
                    g.value(declaration, SH.prefix),
                    g.value(declaration, SH.namespace),
                )
                prefixes.append(f"PREFIX {prefix}: <{namespace}>")
        messages = tuple(str(m) for m in g.objects(node, SH.message))
        return Constraint(
            "select",
            _component("SPARQL"),
            sparql="\n".join([*prefixes, str(text)]),
            messages=messages,
        )


_HANDLED = {
    SH.minCount,
    SH.maxCount,
    SH.datatype,
    SH.nodeKind,
    SH["class"],
    SH["in"],
    SH.pattern,
    SH.flags,
    *_RANGES,
    SH.languageIn,
    SH.hasValue,
    SH["or"],
    SH["and"],
    SH["not"],
    SH.node,
    SH.qualifiedValueShape,
    SH.qualifiedValueShapesDisjoint,
    SH.sparql,
}


def _datatype(datatype: rdflib.term.Node) -> str:
    """The violation condition of ``sh:datatype``: wrong datatype, or an ill-typed literal."""
    if datatype == RDF.langString:
        return '!COALESCE(isLiteral(?value) && lang(?value) != "", false)'
    if datatype == RDFS.Literal:
        return "!isLiteral(?value)"
    dt = term_sparql(datatype)
    well_formed = ""
    if datatype in _CASTS:
        well_formed = f" && isLiteral({dt}(STR(?value)))"
    return f"!COALESCE(isLiteral(?value) && datatype(?value) = {dt}{well_formed}, false)"


def compile_shapes(graph: rdflib.Graph) -> list[CShape]:
    """The shapes of ``graph`` that have targets, compiled (with everything they use)."""
    compiler = _Compiler(graph)
    roots = {s for t in _TARGETS for s in graph.subjects(t, None)}
    return [compiler.shape(s) for s in sorted(roots, key=str)]
