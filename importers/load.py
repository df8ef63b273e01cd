"""Load stage: decide what of a feed is published, and swap it in as one change.

* **Quarantine.** An offer with a core violation is not published: the triples of its closure
  (the Course and what it reaches through objects, not entering other Courses — the same
  closure the validator checks) are withheld, except nodes that a valid offer's closure uses
  too (a provider Organization shared by a good and a bad offer stays).
* **Collapse guard.** A feed that parses but has no valid offer, where the last published graph
  had ``guard_min`` offers or more, is not loaded: a partner's CMS emitting an empty or broken
  export must not wipe its catalogue (piveau's "deletions that go wrong").
* **One swap.** :meth:`Store.replace_graph` applies the difference in one transaction; the
  caller publishes a snapshot afterwards, so readers see the old graph or the new one. A worker
  that was given the graph's remembered content sends the difference instead
  (:class:`~registry.store.GraphChange`); the store applies it only while the graph is still
  what the worker diffed against, else the new content is swapped in as a whole.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import pyoxigraph as ox

from registry.namespaces import RDF, SCHEMA
from registry.store import GraphChange, GraphDelta, Store

__all__ = ["LoadResult", "collapse_guard_trips", "load_graph", "publish_ntriples", "quarantine"]

_TYPE = ox.NamedNode(RDF + "type")
_COURSE = ox.NamedNode(SCHEMA + "Course")


def _node(text: str) -> ox.NamedNode | ox.BlankNode:
    return ox.BlankNode(text[2:]) if text.startswith("_:") else ox.NamedNode(text)


def _closure_nodes(
    start: ox.NamedNode | ox.BlankNode,
    by_subject: Mapping[object, list[ox.Triple]],
    courses: set[object],
) -> set[object]:
    nodes: set[object] = {start}
    queue: list[object] = [start]
    while queue:
        for t in by_subject.get(queue.pop(), ()):
            obj = t.object
            if obj in by_subject and obj not in nodes and obj not in courses:
                nodes.add(obj)
                queue.append(obj)
    return nodes


def quarantine(
    triples: Iterable[ox.Triple], conforms: Mapping[str, bool]
) -> tuple[list[ox.Triple], list[str]]:
    """The triples to publish, and the IRIs of the offers withheld.

    ``conforms`` maps each offer IRI to whether it has no violation.
    """
    data = list(triples)
    rejected = sorted(iri for iri, ok in conforms.items() if not ok)
    if not rejected:
        return data, []
    by_subject: dict[object, list[ox.Triple]] = {}
    courses: set[object] = set()
    for t in data:
        by_subject.setdefault(t.subject, []).append(t)
        if t.predicate == _TYPE and t.object == _COURSE:
            courses.add(t.subject)
    withheld: set[object] = set()
    for iri in rejected:
        withheld |= _closure_nodes(_node(iri), by_subject, courses)
    for iri, ok in conforms.items():
        if ok:
            withheld -= _closure_nodes(_node(iri), by_subject, courses)
    return [t for t in data if t.subject not in withheld], rejected


def collapse_guard_trips(*, valid_offers: int, previous_offers: int, guard_min: int) -> bool:
    """True when publishing would replace ``previous_offers`` (≥ ``guard_min``) with none."""
    return valid_offers == 0 and previous_offers >= guard_min > 0


@dataclass(frozen=True)
class LoadResult:
    """What the swap changed in the source graph."""

    graph: str
    delta: GraphDelta
    triples: int


def publish_ntriples(triples: Iterable[ox.Triple]) -> bytes:
    """The distinct ``triples`` as N-Triples, the form :func:`load_graph` swaps in: made by
    the worker that validated the feed, so the writer neither builds nor serialises terms."""
    return ox.serialize(list(set(triples)), format=ox.RdfFormat.N_TRIPLES) or b""


def load_graph(
    store: Store, graph: str, content: bytes, *, change: GraphChange | None = None
) -> LoadResult:
    """Replace ``graph`` with the N-Triples ``content`` in one swap (the caller publishes);
    with ``change``, the new content is the change's, applied as a diff where it still fits."""
    if change is not None:
        delta = store.change_graph(graph, change)
        if delta is not None:
            return LoadResult(graph=graph, delta=delta, triples=change.lines)
        content = change.content()
    delta = store.replace_graph_ntriples(graph, content)
    return LoadResult(graph=graph, delta=delta, triples=content.count(b"\n"))
