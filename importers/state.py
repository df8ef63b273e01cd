"""What a feed's last good run leaves behind: its state and its current SHACL report.

Two graphs per feed, both replaced after each published run:

``…/harvest/state/{feed}``
    ETag/Last-Modified and content hash of the last good fetch, and per offer its content hash
    and report (JSON: name, problems in German and English, published or quarantined), so the
    next run can ask conditionally and re-validate only changed offers. It always describes the
    published graph. ``bildungsnetz report`` reads the offers' problems from here.
``…/harvest/report/{feed}``
    The feed's SHACL ``sh:ValidationReport`` for that content: every offer's results, published
    or quarantined, with ``sh:resultMessage`` in German and English. The newest published run
    links it with ``bn:reportGraph``.

Why rendered as text, per offer, under offer-derived IRIs: at 10k offers the report is ~180k
triples and the state ~40k. Rebuilding them as Python term objects and JSON on every run was a
third of a cold harvest and most of a re-harvest. Each offer's lines are now rendered once and
cached on its :class:`~importers.validate.OfferReport` (a report reused for an unchanged offer
brings its text along), the IRIs of results and state entries derive from the offer and the
result (not from a counter or a blank node), and the store diffs N-Triples lines
(:meth:`registry.store.Store.replace_graph_ntriples`), so a run that changed 1 % of the offers
writes about 1 % of these graphs.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import pyoxigraph as ox

from registry.namespaces import BN, HARVEST, RDF, SH, XSD
from registry.store import GraphDelta, Store

from .validate import OfferReport, Problem, ValidationResult

__all__ = [
    "FeedState",
    "load_state",
    "offer_details",
    "prerender",
    "problem_from_dict",
    "problem_to_dict",
    "report_graph",
    "save_report",
    "save_state",
    "state_graph",
    "state_token",
]

_TYPE = f"<{RDF}type>"
_RDF_JSON = ox.NamedNode(RDF + "JSON")
_SH_RESULT = f"<{SH}result>"
_CONFORMS = {
    True: f'<{SH}conforms> "true"^^<{XSD}boolean> .',
    False: f'<{SH}conforms> "false"^^<{XSD}boolean> .',
}


def state_graph(feed_id: str) -> str:
    return f"{HARVEST}state/{feed_id}"


def report_graph(feed_id: str) -> str:
    return f"{HARVEST}report/{feed_id}"


def _digest(*parts: str | None) -> str:
    return hashlib.sha1("\0".join(p or "" for p in parts).encode()).hexdigest()[:20]


# -- problems as JSON ---------------------------------------------------------------------------
def problem_to_dict(problem: Problem) -> dict[str, object]:
    """A problem as JSON-ready data; RDF terms (``*_term``) as N-Triples (``*_nt``)."""
    return {
        "offer": problem.offer,
        "focus": problem.focus,
        "path": problem.path,
        "value": problem.value,
        "severity": problem.severity,
        "component": problem.component,
        "shape": problem.shape,
        "messages": dict(sorted(problem.messages.items())),
        "labels": dict(sorted(problem.labels.items())),
        "value_nt": str(problem.value_term) if problem.value_term is not None else None,
        "focus_nt": str(problem.focus_term) if problem.focus_term is not None else None,
    }


def _term(text: object) -> ox.NamedNode | ox.BlankNode | ox.Literal | None:
    if not isinstance(text, str) or not text:
        return None
    try:
        quad = next(iter(ox.parse(f"<urn:s> <urn:p> {text} .".encode(), ox.RdfFormat.N_TRIPLES)))
    except SyntaxError:
        return None
    obj = quad.object
    return obj if isinstance(obj, ox.NamedNode | ox.BlankNode | ox.Literal) else None


def problem_from_dict(data: dict[str, object]) -> Problem:
    messages = data.get("messages")
    labels = data.get("labels")
    return Problem(
        offer=data.get("offer"),  # type: ignore[arg-type]
        focus=str(data.get("focus", "")),
        path=data.get("path"),  # type: ignore[arg-type]
        value=data.get("value"),  # type: ignore[arg-type]
        severity=data.get("severity", "Violation"),  # type: ignore[arg-type]
        component=str(data.get("component", "")),
        shape=str(data.get("shape", "")),
        messages=dict(messages) if isinstance(messages, dict) else {},
        labels=dict(labels) if isinstance(labels, dict) else {},
        value_term=_term(data.get("value_nt")),
        focus_term=_term(data.get("focus_nt")),
    )


def _details(report: OfferReport) -> dict[str, object]:
    return {
        "iri": report.iri,
        "name": report.name,
        "conforms": report.conforms,
        "problems": [problem_to_dict(p) for p in report.problems],
    }


def offer_details(reports: list[OfferReport] | dict[str, OfferReport]) -> list[dict[str, object]]:
    """Per offer with problems: IRI, name, conforms and problems, in IRI order."""
    values = reports.values() if isinstance(reports, dict) else reports
    return [_details(r) for r in sorted(values, key=lambda r: r.iri) if r.problems]


# -- the per-feed state -----------------------------------------------------------------------
@dataclass
class FeedState:
    """What the last good run of a feed left: conditional-GET keys and per-offer reports."""

    etag: str | None = None
    last_modified: str | None = None
    content_hash: str | None = None
    shapes_hash: str | None = None
    offers: dict[str, OfferReport] = field(default_factory=dict)
    #: offer IRIs published (valid), for the collapse guard and the change lists
    published: frozenset[str] = frozenset()
    #: values derived from this state once (the stand-in sent to worker processes)
    cache: dict[str, object] = field(default_factory=dict, repr=False, compare=False)


def _state_entry(graph: str, report: OfferReport, published: bool) -> str:
    """The offer's state lines, rendered once per report and publication flag."""
    key = f"state:{graph}:{int(published)}"
    cached = report.cache.get(key)
    if cached is None:
        entry = f"<{graph}#o-{_digest(report.iri)}>"
        blob = {
            "name": report.name,
            "content_hash": report.content_hash,
            "problems": [problem_to_dict(p) for p in report.problems],
            "published": published,
            "kreise": list(report.kreise),
            "topics": list(report.topics),
        }
        text = ox.Literal(json.dumps(blob, ensure_ascii=False), datatype=_RDF_JSON)
        cached = (
            f"<{graph}> <{BN}offerState> {entry} .\n"
            f"{entry} <{BN}offer> <{report.iri}> .\n"
            f'{entry} <{BN}contentHash> "{report.content_hash}" .\n'
            f"{entry} <{BN}offerReport> {text} .\n"
        )
        report.cache[key] = cached
    return str(cached)


#: a delta above this many lines is written as a whole graph (bulk load) instead
_DELTA_LIMIT = 5_000


def _entry_texts(
    render: Callable[[OfferReport, bool], str], state: FeedState
) -> dict[str, tuple[OfferReport, bool, str]]:
    return {
        iri: (r, iri in state.published, render(r, iri in state.published))
        for iri, r in state.offers.items()
    }


def _write(
    store: Store,
    graph: str,
    head: str,
    entries: dict[str, tuple[OfferReport, bool, str]],
    before: tuple[str, dict[str, tuple[OfferReport, bool, str]]] | None,
) -> GraphDelta:
    """Write ``head`` + the entries' texts as ``graph``: as a change of the entries that
    differ from ``before`` (what this process last wrote there), else as a whole."""
    if before is not None:
        old_head, old_entries = before
        remove = [old_head] if old_head != head else []
        add = [head] if old_head != head else []
        for iri, (report, published, text) in entries.items():
            old = old_entries.get(iri)
            if old is not None and old[0] is report and old[1] == published:
                continue  # the same report object renders the same text
            if old is not None:
                remove.append(old[2])
            add.append(text)
        remove += [old[2] for iri, old in old_entries.items() if iri not in entries]
        added = "".join(add)
        if added.count("\n") <= _DELTA_LIMIT:
            return store.change_graph_ntriples(
                graph, remove="".join(remove).encode("utf-8"), add=added.encode("utf-8")
            )
    body = head + "".join(entries[iri][2] for iri in sorted(entries))
    return store.replace_graph_ntriples(graph, body.encode("utf-8"))


def save_state(
    store: Store,
    feed_id: str,
    state: FeedState,
    *,
    token: str | None = None,
    previous: FeedState | None = None,
) -> GraphDelta:
    """Replace the feed's state graph; ``token`` (any string) is saved with it, for a
    writer that caches the state and must know whether the graph is still what it wrote.

    ``previous`` is the state this process saved last for the feed (so its lines are what
    the graph holds): only offers whose report object changed are rewritten.
    """
    graph = state_graph(feed_id)
    parts = [f"<{graph}> {_TYPE} <{BN}FeedState> .\n"]
    for name, text in (
        ("stateToken", token),
        ("etag", state.etag),
        ("lastModified", state.last_modified),
        ("contentHash", state.content_hash),
        ("shapesHash", state.shapes_hash),
    ):
        if text:
            parts.append(f"<{graph}> <{BN}{name}> {ox.Literal(text)} .\n")
    head = "".join(parts)

    def render(report: OfferReport, published: bool) -> str:
        return _state_entry(graph, report, published)

    entries = _entry_texts(render, state)
    before = previous.cache.get("written_state") if previous is not None else None
    delta = _write(store, graph, head, entries, before)  # type: ignore[arg-type]
    state.cache["written_state"] = (head, entries)
    return delta


def state_token(store: Store, feed_id: str) -> str | None:
    """The token saved with the feed's state graph (one indexed lookup, not a read)."""
    graph = state_graph(feed_id)
    rows = store.query(f"SELECT ?t WHERE {{ GRAPH <{graph}> {{ <{graph}> <{BN}stateToken> ?t }} }}")
    for row in rows:  # type: ignore[union-attr]
        return str(row[0].value)
    return None


_STATE_FIELDS = {
    "etag": "etag",
    "lastModified": "last_modified",
    "contentHash": "content_hash",
    "shapesHash": "shapes_hash",
}


def load_state(store: Store, feed_id: str) -> FeedState:
    graph = state_graph(feed_id)
    state = FeedState()
    published: set[str] = set()
    rows = list(store.triples(graph))
    offer_of = {
        t.subject: t.object.value
        for t in rows
        if t.predicate == ox.NamedNode(BN + "offer") and isinstance(t.object, ox.NamedNode)
    }
    for t in rows:
        p = t.predicate.value.removeprefix(BN)
        if t.subject == ox.NamedNode(graph) and isinstance(t.object, ox.Literal):
            attr = _STATE_FIELDS.get(p)
            if attr:
                setattr(state, attr, t.object.value)
        elif p == "offerReport" and t.subject in offer_of and isinstance(t.object, ox.Literal):
            offer = offer_of[t.subject]
            blob = json.loads(t.object.value)
            state.offers[offer] = OfferReport(
                iri=offer,
                name=blob.get("name"),
                content_hash=blob["content_hash"],
                problems=[problem_from_dict(d) for d in blob.get("problems", [])],
                kreise=tuple(blob.get("kreise", ())),
                topics=tuple(blob.get("topics", ())),
            )
            if blob.get("published"):
                published.add(offer)
    state.published = frozenset(published)
    return state


def prerender(feed_id: str, reports: Iterable[OfferReport]) -> None:
    """Render the state entry and the report results of ``reports`` now, cached on them,
    as :func:`save_state` and :func:`save_report` will write them for a published run (a
    report's offer is published when it conforms). Called by the worker processes: rendering
    (JSON and N-Triples text for every new report) was a quarter of the one writer's work in
    a cold harvest, and the writer is the stage all feeds queue for."""
    state, report = state_graph(feed_id), report_graph(feed_id)
    for r in reports:
        _state_entry(state, r, r.conforms)
        _offer_results(report, r)


# -- the feed's current SHACL report ------------------------------------------------------------
def _result_lines(graph: str, problem: Problem, owner: str | None) -> str:
    """One ``sh:ValidationResult``, named after its owning offer and its content (stable)."""
    focus = problem.focus_term
    if focus is not None:
        focus_text = str(focus)
    elif problem.focus.startswith(('"', "_:")):
        focus_text = problem.focus
    else:
        focus_text = f"<{problem.focus}>"
    digest = _digest(
        owner,
        problem.severity,
        focus_text,
        problem.path,
        problem.component,
        problem.shape,
        str(problem.value_term),
    )
    node = f"<{graph}#r-{digest}>"
    lines = [
        f"{node} {_TYPE} <{SH}ValidationResult> .",
        f"{node} <{SH}focusNode> {focus_text} .",
        f"{node} <{SH}resultSeverity> <{SH}{problem.severity}> .",
        f"{node} <{SH}sourceConstraintComponent> <{problem.component}> .",
        f"<{graph}> {_SH_RESULT} {node} .",
    ]
    if not problem.shape.startswith("_:"):
        lines.append(f"{node} <{SH}sourceShape> <{problem.shape}> .")
    path = problem.path
    if path and not path.startswith(("^", "(", "_:")) and " " not in path:
        lines.append(f"{node} <{SH}resultPath> <{path}> .")
    if problem.value_term is not None and not isinstance(problem.value_term, ox.BlankNode):
        lines.append(f"{node} <{SH}value> {problem.value_term} .")
    for lang, text in sorted(problem.messages.items()):
        message = ox.Literal(text, language=lang) if lang else ox.Literal(text)
        lines.append(f"{node} <{SH}resultMessage> {message} .")
    return "\n".join(lines) + "\n"


def _offer_results(graph: str, report: OfferReport) -> str:
    key = f"report:{graph}"
    cached = report.cache.get(key)
    if cached is None:
        cached = report.cache[key] = "".join(
            _result_lines(graph, p, report.iri) for p in report.problems
        )
    return str(cached)


def save_report(
    store: Store,
    feed_id: str,
    result: ValidationResult,
    *,
    state: FeedState | None = None,
    previous: FeedState | None = None,
) -> str:
    """Replace the feed's report graph with ``result``'s report; returns the graph IRI.

    ``state`` (the feed state saved with this report) remembers what was written, so that
    the next run, passing it as ``previous``, rewrites only offers whose report changed.
    """
    graph = report_graph(feed_id)
    parts = [
        f"<{graph}> {_TYPE} <{SH}ValidationReport> .\n",
        f"<{graph}> {_CONFORMS[result.conforms]}\n",
        *(_result_lines(graph, p, None) for p in result.other_problems),
    ]
    entries = {
        iri: (report, False, _offer_results(graph, report))
        for iri, report in result.offers.items()
    }
    before = previous.cache.get("written_report") if previous is not None else None
    _write(store, graph, "".join(parts), entries, before)  # type: ignore[arg-type]
    if state is not None:
        state.cache["written_report"] = ("".join(parts), entries)
    return graph
