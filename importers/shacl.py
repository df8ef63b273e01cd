"""The SHACL engine behind :mod:`importers.validate`: shapes loading and pySHACL runs.

pySHACL on small rdflib graphs is the path measured correct (``MEASURED.md``: on a pyoxigraph
Store it is slow and judges ``"online"`` unequal to ``"online"``). This module

* loads the shapes once (:class:`Shapes`): ``core.ttl`` as written, ``quality.ttl`` with
  ``sh:severity sh:Warning`` added to every shape that names no severity, so a quality shape can
  never block an offer; any other ``*.ttl`` in the folder as written. pySHACL's ``ShapesGraph``
  is built once and reused for every run (it caches the harvested shapes);
* converts pyoxigraph triples to rdflib terms directly (a term cache; ``xsd:string`` literals
  become plain rdflib literals, because rdflib compares ``Literal("a")`` and
  ``Literal("a", datatype=xsd:string)`` as different — the false ``sh:in`` violation above);
* runs pySHACL on one rdflib graph and returns :class:`RawResult` records with pyoxigraph terms.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import rdflib
from rdflib.collection import Collection
from rdflib.namespace import RDF, SH, XSD
from rdflib.plugins.sparql import prepareQuery
from rdflib.plugins.sparql.sparql import Query

from registry.errors import ConfigError

__all__ = ["RawResult", "Shapes", "to_oxigraph", "to_rdflib_graph"]

_LOG = logging.getLogger(__name__)
_OX_XSD_STRING = ox.NamedNode(str(XSD.string))
_OX_LANG_STRING = ox.NamedNode(str(RDF.langString))
_SEVERITIES = {SH.Violation: "Violation", SH.Warning: "Warning", SH.Info: "Info"}


@dataclass(frozen=True)
class RawResult:
    """One sh:ValidationResult with pyoxigraph terms; the shape is a shapes-graph node."""

    focus: ox.NamedNode | ox.BlankNode | ox.Literal
    path: str | None
    value: ox.NamedNode | ox.BlankNode | ox.Literal | None
    severity: str
    component: str
    shape: rdflib.term.Node
    messages: tuple[str, ...]


_PREPARED: dict[tuple[str, tuple[tuple[str, str], ...]], Query] = {}


class _PreparedQueryGraph(rdflib.Graph):
    """An rdflib graph that parses each SPARQL text once per process.

    pySHACL hands the text of a SPARQL-based constraint to ``Graph.query`` once per focus node,
    and rdflib parses it every time: measured 0.13 s per focus node, 5.6 of 7 s for 20 offers
    with the core shapes. Prepared queries are reusable across graphs.
    """

    def query(  # type: ignore[override]
        self,
        query_object: str | Query,
        processor: str = "sparql",
        result: str = "sparql",
        initNs: Mapping[str, Any] | None = None,
        initBindings: Mapping[str, Any] | None = None,
        use_store_provided: bool = True,
        **kwargs: Any,
    ) -> Any:
        if isinstance(query_object, str) and processor == "sparql":
            key = (query_object, tuple(sorted((k, str(v)) for k, v in (initNs or {}).items())))
            prepared = _PREPARED.get(key)
            if prepared is None:
                prepared = _PREPARED[key] = prepareQuery(query_object, initNs=dict(initNs or {}))
            query_object = prepared
            initNs = None
        return super().query(
            query_object, processor, result, initNs, initBindings, use_store_provided, **kwargs
        )


def to_rdflib_graph(triples: Iterable[ox.Triple]) -> rdflib.Graph:
    """An rdflib graph of ``triples``, terms converted directly (no re-parsing)."""
    graph = _PreparedQueryGraph()
    cache: dict[object, rdflib.term.Node] = {}
    add = graph.add

    def term(node: object) -> rdflib.term.Node:
        found = cache.get(node)
        if found is not None:
            return found
        converted: rdflib.term.Node
        if isinstance(node, ox.NamedNode):
            converted = rdflib.URIRef(node.value)
        elif isinstance(node, ox.BlankNode):
            converted = rdflib.BNode(node.value)
        elif isinstance(node, ox.Literal):
            if node.language:
                converted = rdflib.Literal(node.value, lang=node.language)
            elif node.datatype == _OX_XSD_STRING:
                converted = rdflib.Literal(node.value)
            else:
                converted = rdflib.Literal(
                    node.value, datatype=rdflib.URIRef(node.datatype.value), normalize=False
                )
        else:  # RDF-star triple terms are not part of the model; keep them as text
            converted = rdflib.Literal(str(node))
        cache[node] = converted
        return converted

    for t in triples:
        add((term(t.subject), term(t.predicate), term(t.object)))
    return graph


def to_oxigraph(node: rdflib.term.Node) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    """The pyoxigraph term for an rdflib term (inverse of :func:`to_rdflib_graph`)."""
    if isinstance(node, rdflib.URIRef):
        return ox.NamedNode(str(node))
    if isinstance(node, rdflib.BNode):
        return ox.BlankNode(str(node))
    if isinstance(node, rdflib.Literal):
        if node.language:
            return ox.Literal(str(node), language=node.language)
        if node.datatype is None or str(node.datatype) == str(XSD.string):
            return ox.Literal(str(node))
        return ox.Literal(str(node), datatype=ox.NamedNode(str(node.datatype)))
    raise TypeError(f"cannot convert {node!r}")


def _parse_shapes(path: Path) -> rdflib.Graph:
    graph = rdflib.Graph()
    try:
        graph.parse(path, format="turtle")
    except Exception as exc:  # rdflib raises many types; translated at this boundary
        raise ConfigError(f"shapes file {path} cannot be read: {exc}") from exc
    return graph


class Shapes:
    """The shapes graph of a folder (``core.ttl``, ``quality.ttl``, …), loaded once."""

    def __init__(self, shapes_dir: Path | None = None, *, files: Sequence[Path] = ()) -> None:
        paths = list(files)
        if shapes_dir is not None:
            paths.extend(sorted(Path(shapes_dir).glob("*.ttl")))
        if not paths:
            raise ConfigError(f"no shapes (*.ttl) found in {shapes_dir}")
        self.graph = rdflib.Graph()
        for path in paths:
            part = _parse_shapes(path)
            if path.name == "quality.ttl":
                _default_severity(part, SH.Warning)
            self.graph += part
        for prefix, namespace in self.graph.namespace_manager.namespaces():
            self.graph.namespace_manager.bind(prefix, namespace, override=False)
        self.paths = tuple(paths)
        self._parent: dict[rdflib.term.Node, rdflib.term.Node] = {
            child: parent for parent, child in self.graph.subject_objects(SH.property)
        }
        self._shapes_graph: Any = None  # pySHACL's, built at the first pySHACL run

    def messages(self, shape: rdflib.term.Node) -> dict[str, str]:
        """``sh:message`` of ``shape`` by language (``""`` for an untagged message)."""
        return {
            (m.language or ""): str(m)
            for m in self.graph.objects(shape, SH.message)
            if isinstance(m, rdflib.Literal)
        }

    def names(self, shape: rdflib.term.Node) -> dict[str, str]:
        """``sh:name`` of ``shape`` by language (``""`` for an untagged name)."""
        return {
            (m.language or ""): str(m)
            for m in self.graph.objects(shape, SH.name)
            if isinstance(m, rdflib.Literal)
        }

    def named(self, shape: rdflib.term.Node) -> str:
        """The IRI of ``shape``, or of the nearest named shape holding a blank one."""
        seen = set()
        node = shape
        while isinstance(node, rdflib.BNode) and node not in seen:
            seen.add(node)
            parent = self._parent.get(node)
            if parent is None:
                break
            node = parent
        return str(node) if isinstance(node, rdflib.URIRef) else f"_:{node}"

    def run(self, data: rdflib.Graph) -> list[RawResult]:
        """Validate ``data`` (changed in place: pySHACL adds nothing without inference)."""
        # imported here: a third of a second per worker process, and the SPARQL engine
        # (importers.shacl_sparql) validates the project's shapes without pySHACL
        from pyshacl import Validator as _PyshaclValidator
        from pyshacl.graph_abstraction import DataGraph
        from pyshacl.shapes_graph import ShapesGraph

        if self._shapes_graph is None:
            self._shapes_graph = ShapesGraph(self.graph, False, _LOG)
        validator = _PyshaclValidator(
            DataGraph.from_rdflib(data),
            shacl_graph=self.graph,
            options={"inference": "none", "inplace": True, "allow_warnings": True},
        )
        # the ShapesGraph built in __init__ replaces the one pySHACL builds per instance
        validator.shacl_graph = self._shapes_graph
        _conforms, report, _text = validator.run()
        results: list[RawResult] = []
        for result in report.objects(None, SH.result):
            focus = report.value(result, SH.focusNode)
            if focus is None:
                continue
            value = report.value(result, SH.value)
            severity = report.value(result, SH.resultSeverity)
            results.append(
                RawResult(
                    focus=to_oxigraph(focus),
                    path=_path_text(report, report.value(result, SH.resultPath)),
                    value=to_oxigraph(value) if value is not None else None,
                    severity=_SEVERITIES.get(severity, "Violation"),
                    component=str(report.value(result, SH.sourceConstraintComponent)),
                    shape=report.value(result, SH.sourceShape),
                    messages=tuple(str(m) for m in report.objects(result, SH.resultMessage)),
                )
            )
        return results


def _path_text(graph: rdflib.Graph, path: rdflib.term.Node | None) -> str | None:
    """A SHACL path as text: the IRI of a predicate path, SPARQL-like syntax otherwise."""
    if path is None:
        return None
    if isinstance(path, rdflib.URIRef):
        return str(path)
    inverse = graph.value(path, SH.inversePath)
    if inverse is not None:
        return "^" + (_path_text(graph, inverse) or "")
    if (path, RDF.first, None) in graph:
        items = list(Collection(graph, path))
        return " / ".join(_path_text(graph, i) or "" for i in items)
    for key, mark in ((SH.zeroOrMorePath, "*"), (SH.oneOrMorePath, "+"), (SH.zeroOrOnePath, "?")):
        inner = graph.value(path, key)
        if inner is not None:
            return f"({_path_text(graph, inner)}){mark}"
    alternatives = graph.value(path, SH.alternativePath)
    if alternatives is not None:
        return " | ".join(_path_text(graph, i) or "" for i in Collection(graph, alternatives))
    return str(path)


def _default_severity(graph: rdflib.Graph, severity: rdflib.URIRef) -> None:
    """Give targeted shapes and their property shapes ``severity`` unless they declare one.

    Shapes nested in ``sh:or``/``sh:not``/``sh:node`` are left alone: in SHACL their severity
    does not decide whether a node conforms to them, but pySHACL with warnings allowed would
    treat a nested shape failing with a warning as passed.
    """
    targets = (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf)
    shapes = {s for t in targets for s in graph.subjects(t, None)}
    shapes |= {p for s in list(shapes) for p in graph.objects(s, SH.property)}
    for shape in shapes:
        if (shape, SH.severity, None) not in graph:
            graph.add((shape, SH.severity, severity))
