"""Catalogue reads: offers, partners and harvest runs as JSON, from the published snapshot.

The API and the pages read through :class:`Catalogue`, never the writer: for an on-disk store
every read goes to the newest published snapshot (so a reader never sees half a swap), for an
in-memory store (tests) to the store itself. Listing offers goes to the SQLite side table
(:mod:`registry.offer_index`); single resources are read from the store.

Offer ids in URLs: ``/offers/{id}`` where ``id`` is the offer IRI encoded as unpadded base64url
(:func:`offer_id` / :func:`offer_iri`). It is opaque but stable (a function of the IRI alone)
and reversible without a lookup; ``/offers/by-iri?iri=…`` and ``?iri=`` accept the IRI itself.

:func:`to_jsonld` renders triples as compact JSON-LD with the schema.org vocabulary as
``@vocab`` (plus the project's prefixes), nesting the nodes reachable from the root once.
"""

from __future__ import annotations

import base64
import binascii
import threading
import time
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from datetime import datetime
from typing import Any

import pyoxigraph as ox

from .config import Sources
from .errors import NotFound
from .geo import gazetteer_for
from .namespaces import (
    DCTERMS,
    FOAF,
    GENID,
    HARVEST,
    PARTNER,
    PREFIXES,
    PROV,
    RDF,
    RDFS,
    REGISTRY_GRAPH,
    SCHEMA,
    SKOS,
    SOURCE,
    XSD,
)
from .offer_delta import state_tokens
from .offer_index import OfferIndex, Term
from .offer_rows import row_context
from .search_query import RUN_FIELDS
from .store import OxigraphStore, SnapshotReader, Store

__all__ = [
    "GENERATION_TTL_S",
    "JSONLD_CONTEXT",
    "Catalogue",
    "describe",
    "offer_id",
    "offer_iri",
    "to_jsonld",
]

#: the context of every JSON-LD answer: schema.org terms bare, the rest by prefix
JSONLD_CONTEXT: dict[str, str] = {
    "@vocab": SCHEMA,
    **{p: iri for p, iri in PREFIXES.items() if p not in ("schema",)},
}

#: seconds a computed :attr:`Catalogue.generation` is trusted before the snapshot pointer and
#: the index generation are read again (a write through this process is seen at once)
GENERATION_TTL_S = 0.25

#: predicates an offer's description follows beyond its own triples (runs, prices, places …)
_OFFER_LINKS = {
    SCHEMA + p
    for p in (
        "hasCourseInstance",
        "offers",
        "location",
        "address",
        "geo",
        "audience",
        "courseSchedule",
        "provider",
    )
}
_NAME_PROPS = (
    SCHEMA + "name",
    FOAF + "name",
    RDFS + "label",
    SKOS + "prefLabel",
    DCTERMS + "title",
)


def offer_id(iri: str) -> str:
    """The URL id of an offer IRI: unpadded base64url of its UTF-8 bytes."""
    return base64.urlsafe_b64encode(iri.encode("utf-8")).decode("ascii").rstrip("=")


def offer_iri(ident: str) -> str:
    """The offer IRI an id stands for; an id that does not decode is a 404."""
    try:
        raw = base64.urlsafe_b64decode(ident + "=" * (-len(ident) % 4))
        iri = raw.decode("utf-8")
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise NotFound(f"no offer with id {ident!r}", id=ident) from exc
    if "://" not in iri:
        raise NotFound(f"no offer with id {ident!r}", id=ident)
    return iri


def _key(term: Term) -> str:
    if isinstance(term, ox.NamedNode):
        return term.value
    return f"_:{term.value}" if isinstance(term, ox.BlankNode | ox.Literal) else str(term)


def describe(
    store: ox.Store, iri: str, *, follow: Iterable[str] = (), depth: int = 3
) -> list[ox.Triple]:
    """A concise bounded description of ``iri`` over all graphs: its triples, recursively those
    of blank nodes and skolem IRIs it points to, and of nodes reached through ``follow``."""
    follow_set = set(follow)
    seen: set[str] = set()
    out: dict[ox.Triple, None] = {}
    frontier: list[tuple[ox.NamedNode | ox.BlankNode, int]] = [(ox.NamedNode(iri), 0)]
    while frontier:
        node, level = frontier.pop()
        key = _key(node)
        if key in seen:
            continue
        seen.add(key)
        for quad in store.quads_for_pattern(node, None, None, None):
            out[ox.Triple(quad.subject, quad.predicate, quad.object)] = None
            obj = quad.object
            if isinstance(obj, ox.BlankNode) or (
                isinstance(obj, ox.NamedNode)
                and (
                    obj.value.startswith(GENID)
                    or (quad.predicate.value in follow_set and level < depth)
                )
            ):
                frontier.append((obj, level + 1))
    return list(out)


def _compact(iri: str) -> str:
    if iri.startswith(SCHEMA):
        return iri[len(SCHEMA) :]
    for prefix, ns in PREFIXES.items():
        if prefix != "schema" and iri.startswith(ns) and len(iri) > len(ns):
            return f"{prefix}:{iri[len(ns) :]}"
    return iri


def _literal(lit: ox.Literal) -> Any:
    if lit.language:
        return {"@value": lit.value, "@language": lit.language}
    dt = lit.datatype.value
    if dt == XSD + "string":
        return lit.value
    if dt == XSD + "boolean":
        return lit.value == "true"
    return {"@value": lit.value, "@type": _compact(dt)}


def to_jsonld(triples: Iterable[ox.Triple], root: str | None = None) -> dict[str, Any]:
    """Compact JSON-LD of ``triples``: the root node with what it reaches nested once."""
    nodes: dict[str, dict[str, list[Term]]] = defaultdict(lambda: defaultdict(list))
    for t in triples:
        nodes[_key(t.subject)][t.predicate.value].append(t.object)
    used: set[str] = set()

    def render(key: str) -> dict[str, Any]:
        used.add(key)
        out: dict[str, Any] = {} if key.startswith("_:") else {"@id": key}
        for pred, objects in sorted(nodes[key].items()):
            if pred == RDF + "type":
                types = [_compact(o.value) for o in objects if isinstance(o, ox.NamedNode)]
                out["@type"] = types[0] if len(types) == 1 else types
                continue
            values: list[Any] = []
            for obj in objects:
                if isinstance(obj, ox.Literal):
                    values.append(_literal(obj))
                elif _key(obj) in nodes and _key(obj) not in used and _key(obj) != root:
                    values.append(render(_key(obj)))
                else:
                    values.append({"@id": _key(obj)})
            out[_compact(pred)] = values[0] if len(values) == 1 else values
        return out

    graph: list[dict[str, Any]] = []
    if root is not None and root in nodes:
        graph.append(render(root))
    for key in list(nodes):
        if key not in used:
            graph.append(render(key))
    if len(graph) == 1:
        return {"@context": JSONLD_CONTEXT, **graph[0]}
    return {"@context": JSONLD_CONTEXT, "@graph": graph}


def _text(store: ox.Store, iri: str, props: Iterable[str], lang: str = "de") -> str | None:
    found: list[ox.Literal] = []
    for prop in props:
        for q in store.quads_for_pattern(ox.NamedNode(iri), ox.NamedNode(prop), None, None):
            if isinstance(q.object, ox.Literal):
                found.append(q.object)
    for want in (lang, None):
        for lit in found:
            if lit.language == want:
                return lit.value
    return found[0].value if found else None


def _plain(term: Term) -> Any:
    if isinstance(term, ox.Literal):
        dt = term.datatype.value
        if dt in (XSD + "integer", XSD + "long", XSD + "int", XSD + "nonNegativeInteger"):
            try:
                return int(term.value)
            except ValueError:
                return term.value
        if dt == XSD + "boolean":
            return term.value == "true"
        return term.value
    return _key(term)


class Catalogue:
    """Read access for the API and the pages; also knows how to refresh the offer index."""

    def __init__(self, store: Store, index: OfferIndex, sources: Sources | None = None) -> None:
        self.store = store
        self.index = index
        self.sources = sources
        if sources is not None and sources.region_files:
            # runs without coordinates are placed by the configured region's places table
            index.gazetteer = gazetteer_for(sources.region_files)
        # an on-disk store (or a replica's view of one) is read through its snapshots
        snapshot_reader = getattr(store, "snapshot_reader", None)
        self._reader: SnapshotReader | None = snapshot_reader() if snapshot_reader else None
        self._memory_generation = 0
        self._reader_lock = threading.Lock()
        self._refresh_lock = threading.Lock()
        #: (valid until (monotonic s), index writes seen, value) of the last computed generation
        self._generation: tuple[float, int, str] | None = None

    # -- the snapshot --------------------------------------------------------------------
    def ox_store(self) -> ox.Store:
        """The pyoxigraph store readers use: the current snapshot, or the in-memory store."""
        if self._reader is not None:
            with self._reader_lock:  # one reopen when a new snapshot appears, not one per thread
                return self._reader.current()
        assert isinstance(self.store, OxigraphStore)
        return self.store.raw

    @property
    def generation(self) -> str:
        """Changes whenever readers may see different data (part of every ETag).

        Why cached: every request needs it (ETag, facet labels) and reading it means reading
        ``snapshots/CURRENT`` under the reader lock plus a query of the index; that was a
        quarter of a ``GET /offers``. The value is trusted for :data:`GENERATION_TTL_S`; a
        re-index or publish through this process (:meth:`refresh`, any write to the index)
        is seen at once, a snapshot or index written by another process within the TTL.
        """
        cached = self._generation
        writes = self.index.writes
        if cached is not None and cached[1] == writes and time.monotonic() < cached[0]:
            return cached[2]
        snap = None
        if self._reader is not None:
            self.ox_store()
            snap = self._reader.generation
        value = f"{snap or self._memory_generation}.{self.index.generation}"
        self._generation = (time.monotonic() + GENERATION_TTL_S, writes, value)
        return value

    def invalidate(self) -> None:
        """Forget the cached generation (after this process published or re-indexed)."""
        self._generation = None

    def query(self, sparql: str) -> Any:
        from .store import _run_query  # one place translates pyoxigraph's errors

        return _run_query(self.ox_store(), sparql, None, None)

    def partner_of(self, source_id: str) -> str | None:
        """The partner id of a source: from the sources file, else from the registry graph."""
        if self.sources is not None:
            for feed in self.sources.feeds:
                if feed.id == source_id:
                    return feed.partner_id
        store = self.ox_store()
        source = ox.NamedNode(SOURCE + source_id)
        for q in store.quads_for_pattern(source, None, None, ox.NamedNode(REGISTRY_GRAPH)):
            if isinstance(q.object, ox.NamedNode) and q.object.value.startswith(PARTNER):
                return q.object.value[len(PARTNER) :]
        for q in store.quads_for_pattern(None, None, source, ox.NamedNode(REGISTRY_GRAPH)):
            if isinstance(q.subject, ox.NamedNode) and q.subject.value.startswith(PARTNER):
                return q.subject.value[len(PARTNER) :]
        return None

    def refresh(
        self,
        source_ids: Iterable[str] | None = None,
        *,
        publish: bool = True,
        changed_offers: Mapping[str, Collection[str]] | None = None,
        since: Mapping[str, str | None] | None = None,
    ) -> None:
        """Publish the writer's state (unless the caller just did) and re-index
        ``source_ids`` (every source graph in the store when None).

        ``changed_offers`` (source id → offer IRIs a harvest added, removed or changed; an
        empty set when its graph was not swapped) lets the index re-read only those offers
        of a source, when it last read the source at the feed state ``since[source id]``
        (the state token before the harvest, :meth:`state_tokens`) and nothing else rows
        use changed; otherwise, and for sources not in ``changed_offers``, the whole source
        is re-read (:meth:`OfferIndex.update_offers`)."""
        with self._refresh_lock:
            try:
                if publish:
                    self.store.publish()
                self._memory_generation += 1
                self.invalidate()
                reader = _Reader(self)
                if source_ids is None:
                    self.index.rebuild_all(reader, self.partner_of)
                    return
                context = row_context(reader)
                for sid in source_ids:
                    offers = changed_offers.get(sid) if changed_offers is not None else None
                    if offers is None:
                        self.index.rebuild_source(
                            reader, sid, self.partner_of(sid), context=context
                        )
                    else:
                        self.index.update_offers(
                            reader,
                            sid,
                            self.partner_of(sid),
                            offers,
                            since=(since or {}).get(sid),
                            context=context,
                        )
            finally:
                self.invalidate()

    def state_tokens(self, source_ids: Iterable[str]) -> dict[str, str | None]:
        """Source id → the token of its feed state in the writer's store (what a harvest
        counts its changes from; pass it to :meth:`refresh` as ``since``)."""
        return state_tokens(self.store, source_ids)

    # -- offers --------------------------------------------------------------------------
    def offer_triples(self, iri: str) -> list[ox.Triple]:
        triples = describe(self.ox_store(), iri, follow=_OFFER_LINKS)
        if not triples:
            raise NotFound(f"no offer {iri}", iri=iri)
        return triples

    def offer(self, iri: str) -> dict[str, Any]:
        """The JSON of one offer: the summary of its first run plus all runs."""
        runs = self.index.runs_of(iri)
        if not runs:
            raise NotFound(f"no offer {iri}", iri=iri)
        first = dict(runs[0])
        for key in ("run", "start_date", "end_date", "flexible_start", "mode", "kreis", "place"):
            first.pop(key, None)
        first["id"] = offer_id(iri)
        first["runs"] = [{k: r.get(k) for k in RUN_FIELDS} for r in runs]
        return first

    # -- partners and harvests -------------------------------------------------------------
    def _registry_subjects(self, prefix: str) -> list[str]:
        store = self.ox_store()
        found = {
            q.subject.value
            for q in store.quads_for_pattern(
                None, ox.NamedNode(RDF + "type"), None, ox.NamedNode(REGISTRY_GRAPH)
            )
            if isinstance(q.subject, ox.NamedNode) and q.subject.value.startswith(prefix)
        }
        return sorted(found)

    def _properties(self, iri: str) -> dict[str, Any]:
        props: dict[str, list[Any]] = defaultdict(list)
        for q in self.ox_store().quads_for_pattern(
            ox.NamedNode(iri), None, None, ox.NamedNode(REGISTRY_GRAPH)
        ):
            props[_compact(q.predicate.value)].append(_plain(q.object))
        return {k: v[0] if len(v) == 1 else sorted(v, key=str) for k, v in sorted(props.items())}

    def partners(self) -> list[dict[str, Any]]:
        out = []
        store = self.ox_store()
        for iri in self._registry_subjects(PARTNER):
            pid = iri[len(PARTNER) :]
            out.append(
                {
                    "id": pid,
                    "iri": iri,
                    "name": _text(store, iri, _NAME_PROPS) or pid,
                    "offers": self.index.count_offers(pid),
                }
            )
        return out

    def partner(self, partner_id: str) -> dict[str, Any]:
        iri = PARTNER + partner_id
        if iri not in self._registry_subjects(PARTNER):
            raise NotFound(f"no partner {partner_id!r}", partner=partner_id)
        store = self.ox_store()
        return {
            "id": partner_id,
            "iri": iri,
            "name": _text(store, iri, _NAME_PROPS) or partner_id,
            "offers": self.index.count_offers(partner_id),
            "sources": [
                {"id": s[len(SOURCE) :], "iri": s, **self._properties(s)}
                for s in self._sources_of(partner_id)
            ],
            "properties": self._properties(iri),
        }

    def _sources_of(self, partner_id: str) -> list[str]:
        return [
            s
            for s in self._registry_subjects(SOURCE)
            if self.partner_of(s[len(SOURCE) :]) == partner_id
        ]

    def harvests(self, partner_id: str) -> list[dict[str, Any]]:
        """The harvest runs of a partner's sources, newest first, with all recorded properties."""
        self.partner(partner_id)
        store = self.ox_store()
        graph = ox.NamedNode(REGISTRY_GRAPH)
        sources = {ox.NamedNode(s) for s in self._sources_of(partner_id)}
        runs: set[str] = set()
        for source in sources:
            for q in store.quads_for_pattern(None, None, source, graph):
                subject = q.subject
                if (
                    isinstance(subject, ox.NamedNode)
                    and subject.value.startswith(HARVEST)
                    and "/" not in subject.value[len(HARVEST) :]
                ):
                    runs.add(subject.value)
        out = []
        for run in runs:
            props = self._properties(run)
            detail = describe(store, run)
            nested = {_key(t.subject): None for t in detail if _key(t.subject) != run}
            record: dict[str, Any] = {"iri": run, "id": run.rsplit("/", 1)[-1], **props}
            if nested:
                record["details"] = to_jsonld(detail, run)
            out.append(record)
        out.sort(
            key=lambda r: str(r.get("prov:startedAtTime") or r.get("prov:endedAtTime") or ""),
            reverse=True,
        )
        return out

    def last_harvests(self) -> dict[str, float]:
        """Source id → end of its newest recorded harvest run (unix time), for /metrics."""
        store = self.ox_store()
        graph = ox.NamedNode(REGISTRY_GRAPH)
        ended: dict[str, float] = {}
        for q in store.quads_for_pattern(None, ox.NamedNode(PROV + "endedAtTime"), None, graph):
            if not isinstance(q.object, ox.Literal):
                continue
            try:
                stamp = datetime.fromisoformat(q.object.value).timestamp()
            except ValueError:
                continue
            for link in store.quads_for_pattern(q.subject, None, None, graph):
                obj = link.object
                if isinstance(obj, ox.NamedNode) and obj.value.startswith(SOURCE):
                    sid = obj.value[len(SOURCE) :]
                    ended[sid] = max(ended.get(sid, 0.0), stamp)
        return ended

    def label(self, iri: str, lang: str = "de") -> str | None:
        """A display label of ``iri`` from any graph (names, labels, titles)."""
        return _text(self.ox_store(), iri, _NAME_PROPS, lang)


class _Reader:
    """Adapter giving the index rebuild SPARQL over the catalogue's current view, pinned
    to the snapshot current when it was made: every query of one refresh (the source, the
    vocabulary, the feed state token) reads the same data."""

    def __init__(self, catalogue: Catalogue) -> None:
        self._store = catalogue.ox_store()

    def query(self, sparql: str) -> Any:
        from .store import _run_query  # one place translates pyoxigraph's errors

        return _run_query(self._store, sparql, None, None)
