"""Reading only some offers of a source: the rows of a harvest's changed offers.

Why: a harvest run knows which offers it added, removed or changed (their closures' content
hashes, :mod:`importers.validate`); re-reading the whole source graph to find them cost about
a second per 5,000 offers. This reads the named offers and what their rows use — the runs,
prices, provider, places, addresses, geo points and the names of linked nodes, at most
:data:`DEPTH` links from the course — with one ``VALUES`` query per link level, and gives the
same subject → property → values map as the whole-source read (:mod:`registry.offer_rows`),
values in the same order: a property's ``https://schema.org/`` values before its
``http://schema.org/`` ones, each in the store's index order.

When the shortcut is sound (the caller decides, :meth:`registry.offer_index.OfferIndex.
update_offers`): the index holds the source as of the feed state the changes are counted from
(the harvest's *state token*, saved with each feed state in ``…/harvest/state/{feed}``), and
nothing outside the source graph that rows use changed (:meth:`RowContext.fingerprint`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import pyoxigraph as ox

from .namespaces import BN, HARVEST, RDF, SOURCE
from .offer_rows import COURSE_TYPES, ROW_PREDICATES, Queryable, RowContext, Term, rows_of

if TYPE_CHECKING:
    from .geo import Gazetteer

__all__ = ["DEPTH", "extract_offer_runs", "offers_graph_map", "state_graph", "state_tokens"]

#: links from a course to the farthest node a row reads (course → run → place → address)
DEPTH = 3
#: subjects per ``VALUES`` query
_CHUNK = 400


def state_graph(source_id: str) -> str:
    """The graph of a feed's harvest state (written by :mod:`importers.state`)."""
    return f"{HARVEST}state/{source_id}"


def state_tokens(store: Queryable, source_ids: Iterable[str]) -> dict[str, str | None]:
    """Source id → the token saved with its feed state in ``store`` (None: no state yet).
    The token changes with every save of the state, so an index that read a source together
    with token T holds exactly what the harvest that saved T published."""
    ids = list(dict.fromkeys(source_ids))
    found: dict[str, str | None] = dict.fromkeys(ids)
    if not ids:
        return found
    by_graph = {state_graph(sid): sid for sid in ids}
    values = " ".join(str(ox.NamedNode(g)) for g in by_graph)
    rows = store.query(
        f"SELECT ?g ?t WHERE {{ VALUES ?g {{ {values} }} GRAPH ?g {{ ?g <{BN}stateToken> ?t }} }}"
    )
    for g, t in rows:
        found[by_graph[g.value]] = t.value
    return found


def offers_graph_map(
    store: Queryable, graph: str, offers: Iterable[str]
) -> dict[str, dict[str, list[Term]]] | None:
    """Subject → normalised property → values for ``offers`` and the nodes their rows read,
    from ``graph``; None when a row would follow a blank node (they cannot be named in a
    query: the caller reads the whole source instead)."""
    frontier: list[str] = []
    for iri in dict.fromkeys(offers):
        try:
            ox.NamedNode(iri)
        except ValueError:
            continue  # not an IRI: the store cannot hold it
        frontier.append(iri)
    seen = set(frontier)
    subjects: dict[str, dict[str, list[Term]]] = {}
    named = ox.NamedNode
    for level in range(DEPTH + 1):
        if not frontier:
            break
        ranked: dict[str, dict[str, list[tuple[int, Term]]]] = {}
        for start in range(0, len(frontier), _CHUNK):
            values = " ".join(f"<{iri}>" for iri in frontier[start : start + _CHUNK])
            rows = store.query(
                f"SELECT ?s ?p ?o WHERE {{ GRAPH <{graph}> {{ VALUES ?s {{ {values} }} "
                f"?s ?p ?o }} }}"
            )
            for s, p, o in rows:
                pred = p.value
                if pred == RDF + "type":
                    rank = COURSE_TYPES.get(o.value) if type(o) is named else None
                    if rank is None:
                        continue
                    norm = pred
                else:
                    known = ROW_PREDICATES.get(pred)
                    if known is None:
                        continue
                    norm, rank = known
                    if isinstance(o, ox.BlankNode):
                        return None
                ranked.setdefault(s.value, {}).setdefault(norm, []).append((rank, o))
        frontier = []
        for subject, props in ranked.items():
            subjects[subject] = {
                norm: [o for _, o in sorted(pairs, key=_rank)] for norm, pairs in props.items()
            }
            if level == DEPTH:
                continue
            for norm, pairs in props.items():
                if norm == RDF + "type":
                    continue
                for _, o in pairs:
                    if type(o) is named and o.value not in seen:
                        seen.add(o.value)
                        frontier.append(o.value)
    return subjects


def _rank(pair: tuple[int, Term]) -> int:
    return pair[0]  # a stable sort: the store's order within one predicate stays


def extract_offer_runs(
    store: Queryable,
    source_id: str,
    partner_id: str | None,
    offers: Iterable[str],
    gazetteer: Gazetteer | None,
    context: RowContext,
) -> list[dict[str, Any]] | None:
    """The index rows of ``offers`` in the source's graph (none for an offer it no longer
    holds as a course); None when they cannot be read alone (see :func:`offers_graph_map`)."""
    wanted = list(dict.fromkeys(offers))
    graph = offers_graph_map(store, SOURCE + source_id, wanted)
    if graph is None:
        return None
    return rows_of(graph, wanted, source_id, partner_id, gazetteer, context)

