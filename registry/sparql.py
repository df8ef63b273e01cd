"""The public SPARQL 1.1 endpoint (Protocol, read-only) as a FastAPI router.

::

    pool = QueryPool(snapshots_dir, settings.query_workers, settings.query_timeout_s,
                     settings.max_result_rows)
    app.include_router(sparql_router(pool, settings))          # serves /sparql and /sparql/

``sparql_router(pool, settings, *, path="/sparql", html_page=None) -> APIRouter``

* queries by GET ``?query=``, POST form (``query=``) or POST ``application/sparql-query``;
  ``default-graph-uri`` / ``named-graph-uri`` (repeatable) replace the dataset, otherwise the
  union of all graphs is the default graph and every source graph is a named graph;
* results negotiated by ``Accept`` (:mod:`registry.rdf_formats`) or forced with ``format=``;
* GET without a query answers the SPARQL Service Description (Turtle unless negotiated) —
  or, when ``html_page`` is given and the client prefers ``text/html``, whatever
  ``await html_page(request)`` returns (the hook for the browser query page);
* lookups (:func:`is_lookup`: DESCRIBE of named resources, small LIMITed queries without
  aggregation or sorting) run in the pool's lookup lane, so they never queue behind
  aggregations;
* read-only: an update in any form is refused (403); ``SERVICE`` is refused (403) unless its
  target is in ``settings.service_allow_list``; bodies over ``max_request_bytes`` and longer
  query strings get 413.

Errors are raised as :class:`registry.errors.RegistryError` subclasses: the app's one error
handler renders them (``to_dict()`` with ``status``); the router never logs a traceback for a
refused query.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urljoin

import pyoxigraph as ox
from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from .config import ServerSettings
from .errors import (
    InputError,
    InputTooLarge,
    QueryError,
    ServiceRefused,
    UnsupportedFormat,
    UpdateRefused,
)
from .namespaces import RDF, SD
from .query_worker import QueryPool, QueryRequest
from .rdf_formats import (
    GRAPH_FORMATS,
    RESULTS_FORMATS,
    format_by_name,
    negotiate_rdf,
    negotiate_results,
    parse_accept,
    query_kind_formats,
)

__all__ = [
    "LOOKUP_MAX_LIMIT",
    "HtmlPage",
    "QueryAnalysis",
    "analyse_query",
    "is_lookup",
    "read_body",
    "sparql_router",
]

log = logging.getLogger(__name__)

HtmlPage = Callable[[Request], Awaitable[Response]]

_QUERY_FORMS = frozenset({"SELECT", "ASK", "CONSTRUCT", "DESCRIBE"})
_UPDATE_OPERATIONS = frozenset(
    {"INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD", "WITH"}
)
#: keywords that make a query read (and hold) every match before its first answer
_WHOLE_RESULT = frozenset(
    {"GROUP", "ORDER", "HAVING", "COUNT", "SUM", "AVG", "MIN", "MAX", "SAMPLE", "GROUP_CONCAT"}
)
#: a query with ``LIMIT`` up to this (and nothing from ``_WHOLE_RESULT``) counts as a lookup
LOOKUP_MAX_LIMIT = 1000

# SPARQL tokens that can hide keywords: comments, strings (long ones first), IRIs; then
# variables, words (keywords, prefixed names) and any other single character.
_TOKEN = re.compile(
    r"""
    (?P<comment>\#[^\n]*)
  | (?P<string>'''(?:[^'\\]|\\.|'(?!''))*'''|\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"
               |'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*")
  | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
  | (?P<var>[?$][^\W][\w]*)
  | (?P<word>(?:[^\W\d][\w.\-]*)?:(?:[\w\-:%]|\\.|\.(?=[\w\-:%]))*|[^\W\d][\w\-]*)
  | (?P<number>\d+)
  | (?P<other>\S)
    """,
    re.VERBOSE | re.DOTALL,
)


@dataclass(frozen=True)
class QueryAnalysis:
    """What a lexical scan of a query string tells before it is run."""

    #: SELECT, ASK, CONSTRUCT, DESCRIBE; None when the scan found no query form
    kind: str | None
    is_update: bool
    #: SERVICE targets (absolute IRIs); None for a variable target
    services: tuple[str | None, ...] = field(default_factory=tuple)
    #: likely answered in milliseconds: see :func:`is_lookup`
    lookup: bool = False


def analyse_query(text: str) -> QueryAnalysis:
    """Query form, update or not, and SERVICE targets, ignoring strings, comments and IRIs.

    Robust against keywords inside literals (``"SERVICE"``), IRIs (``<…/SERVICE>``),
    comments and prefixed names (``ex:service``); pyoxigraph checks the full grammar later.
    """
    tokens = [(m.lastgroup or "", m.group()) for m in _TOKEN.finditer(text)]
    tokens = [t for t in tokens if t[0] != "comment"]
    prefixes: dict[str, str] = {}
    base = ""
    kind: str | None = None
    is_update = False
    i = 0
    # the prologue: BASE and PREFIX declarations, then the first keyword names the operation
    while i < len(tokens):
        group, value = tokens[i]
        upper = value.upper()
        if group == "word" and upper == "BASE" and i + 1 < len(tokens):
            base = urljoin(base, tokens[i + 1][1][1:-1])
            i += 2
            continue
        if group == "word" and upper == "PREFIX" and i + 2 < len(tokens):
            prefixes[tokens[i + 1][1].rstrip(":").rstrip()] = urljoin(base, tokens[i + 2][1][1:-1])
            i += 3
            continue
        if group == "word" and upper in _QUERY_FORMS:
            kind = upper
        elif group == "word" and upper in _UPDATE_OPERATIONS:
            is_update = True
        break
    services: list[str | None] = []
    for n, (group, value) in enumerate(tokens):
        if group != "word" or value.upper() != "SERVICE":
            continue
        j = n + 1
        if j < len(tokens) and tokens[j][1].upper() == "SILENT":
            j += 1
        target = tokens[j] if j < len(tokens) else ("other", "")
        services.append(_resolve(target, prefixes, base))
    return QueryAnalysis(
        kind=kind,
        is_update=is_update,
        services=tuple(services),
        lookup=_is_lookup(kind, tokens[i:]) and not services and not is_update,
    )


def is_lookup(text: str) -> bool:
    """Whether a query is a lookup, which the endpoint runs in the pool's lookup lane.

    A lookup is a DESCRIBE of named resources only (no variables), an ASK, or a SELECT /
    CONSTRUCT whose ``LIMIT`` plus ``OFFSET`` is at most :data:`LOOKUP_MAX_LIMIT` — each without
    GROUP BY, ORDER BY, HAVING or aggregates (they read every match before the first answer)
    and without SERVICE. A lexical guess: a lookup that runs long anyway is stopped by the same
    timeout as every query, and holds only a lookup worker meanwhile.
    """
    return analyse_query(text).lookup


def _is_lookup(kind: str | None, body: list[tuple[str, str]]) -> bool:
    """The lookup rule of :func:`is_lookup` over the tokens from the query form on."""
    words = {value.upper() for group, value in body if group == "word"}
    if kind is None or words & _WHOLE_RESULT:
        return False
    if kind == "DESCRIBE":
        return not any(group == "var" or value == "*" for group, value in body)
    if kind == "ASK":
        return True
    # the outer LIMIT and OFFSET (a subquery's are inside braces); an OFFSET reads its rows too
    depth = 0
    modifiers: dict[str, int] = {}
    for n, (group, value) in enumerate(body[:-1]):
        depth += {"{": 1, "}": -1}.get(value, 0) if group == "other" else 0
        name = value.upper()
        if depth == 0 and group == "word" and name in ("LIMIT", "OFFSET"):
            following = body[n + 1]
            modifiers[name] = int(following[1]) if following[0] == "number" else 1 << 62
    if "LIMIT" not in modifiers:
        return False
    return modifiers["LIMIT"] + modifiers.get("OFFSET", 0) <= LOOKUP_MAX_LIMIT


def _resolve(token: tuple[str, str], prefixes: dict[str, str], base: str) -> str | None:
    group, value = token
    if group == "iri":
        return urljoin(base, value[1:-1])
    if group == "word" and ":" in value:
        prefix, _, local = value.partition(":")
        if prefix in prefixes:
            return prefixes[prefix] + local.replace("\\", "")
    return None


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refused with 413 as soon as it exceeds ``limit`` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise InputTooLarge(f"the request body is larger than {limit} bytes", limit=limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise InputTooLarge(f"the request body is larger than {limit} bytes", limit=limit)
        chunks.append(chunk)
    return b"".join(chunks)


def _media_type(request: Request) -> tuple[str, dict[str, str]]:
    raw = request.headers.get("content-type", "")
    parts = [p.strip() for p in raw.split(";")]
    params = {}
    for p in parts[1:]:
        key, _, value = p.partition("=")
        params[key.strip().lower()] = value.strip().strip('"').lower()
    return parts[0].lower(), params


def _check_charset(params: dict[str, str]) -> None:
    charset = params.get("charset", "utf-8")
    if charset not in ("utf-8", "utf8"):
        raise UnsupportedFormat(f"only UTF-8 request bodies are accepted, not {charset}")


def _decode(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"the request body is not valid UTF-8: {exc}") from None


async def _parameters(request: Request, limit: int) -> list[tuple[str, str]]:
    """All protocol parameters: the query string plus a form body or a direct query."""
    params = list(request.query_params.multi_items())
    if request.method != "POST":
        return params
    media, options = _media_type(request)
    body = await read_body(request, limit)
    if media == "application/x-www-form-urlencoded":
        _check_charset(options)
        try:
            params += parse_qsl(body.decode("ascii"), keep_blank_values=True, errors="strict")
        except (UnicodeDecodeError, ValueError) as exc:
            raise InputError(f"the form body cannot be decoded: {exc}") from None
    elif media == "application/sparql-query":
        _check_charset(options)
        params.append(("query", _decode(body)))
    elif media == "application/sparql-update":
        raise UpdateRefused("this SPARQL endpoint is read-only: updates are refused")
    else:
        raise UnsupportedFormat(
            "POST a query as application/x-www-form-urlencoded (query=…) or as "
            f"application/sparql-query, not {media or 'a body without Content-Type'}"
        )
    return params


def _values(params: list[tuple[str, str]], name: str) -> list[str]:
    return [v for k, v in params if k == name]


def _graph_iris(params: list[tuple[str, str]], name: str) -> tuple[str, ...]:
    iris = _values(params, name)
    for iri in iris:
        try:
            ox.NamedNode(iri)
        except ValueError:
            raise QueryError(f"{name} is not a valid IRI: {iri!r}", parameter=name) from None
    return tuple(iris)


def _prefers_html(accept: str | None) -> bool:
    ranges = parse_accept(accept)
    html = max((r.q for r in ranges if r.matches("text/html") == 3), default=0.0)
    rdf = max(
        (r.q for r in ranges for m in ("text/turtle", "application/ld+json") if r.matches(m) == 3),
        default=0.0,
    )
    return html > 0 and html >= rdf


class _Endpoint:
    """The request handling behind :func:`sparql_router`."""

    def __init__(
        self, pool: QueryPool, settings: ServerSettings, path: str, html_page: HtmlPage | None
    ) -> None:
        self.pool = pool
        self.settings = settings
        self.path = path
        self.html_page = html_page
        self.allowed_services = frozenset(settings.service_allow_list)

    def endpoint_iri(self, request: Request) -> str:
        if self.settings.base_url:
            return self.settings.base_url.rstrip("/") + self.path
        return str(request.url.replace(query="", fragment="")).rstrip("?")

    async def handle(self, request: Request) -> Response:
        limit = self.settings.max_request_bytes
        if len(request.url.query.encode()) > limit:
            raise InputTooLarge(
                f"the query string is longer than {limit} bytes; POST the query instead",
                limit=limit,
            )
        params = await _parameters(request, limit)
        if _values(params, "update"):
            raise UpdateRefused("this SPARQL endpoint is read-only: updates are refused")
        queries = _values(params, "query")
        if not queries:
            if request.method == "GET":
                return await self.describe(request)
            raise QueryError("the request carries no query (parameter 'query')")
        if len(queries) > 1:
            raise QueryError("the request carries more than one query", count=len(queries))
        return await self.query(request, queries[0], params)

    async def query(self, request: Request, text: str, params: list[tuple[str, str]]) -> Response:
        analysis = analyse_query(text)
        if analysis.is_update:
            raise UpdateRefused(
                "this SPARQL endpoint is read-only: the text is an update, not a query"
            )
        for target in analysis.services:
            if target is None or target not in self.allowed_services:
                raise ServiceRefused(
                    f"SERVICE {('<' + target + '>') if target else 'with a variable target'} "
                    "is not allowed here"
                    + ("" if self.allowed_services else ": federated queries are switched off"),
                    service=target,
                )
        kind = analysis.kind or "SELECT"
        forced = _values(params, "format")
        if forced:
            fmt, media = format_by_name(forced[-1], query_kind_formats(kind))
        else:
            fmt, media = negotiate_results(request.headers.get("accept"), kind)
        results_format = fmt if isinstance(fmt, ox.QueryResultsFormat) else None
        rdf_format = fmt if isinstance(fmt, ox.RdfFormat) else None
        if analysis.kind is None:
            # the scan did not see the form: let the worker's parser decide, default formats
            results_format = results_format or ox.QueryResultsFormat.JSON
            rdf_format = rdf_format or ox.RdfFormat.TURTLE
        job = QueryRequest.of(
            text,
            results_format=results_format,
            rdf_format=rdf_format,
            default_graphs=_graph_iris(params, "default-graph-uri"),
            named_graphs=_graph_iris(params, "named-graph-uri"),
            base_iri=self.endpoint_iri(request),
        )
        answer = await self.pool.run(job, lookup=analysis.lookup)
        if answer.media_type != fmt.media_type:
            media = answer.media_type
        return Response(answer.body, media_type=media, headers={"Vary": "Accept"})

    async def describe(self, request: Request) -> Response:
        accept = request.headers.get("accept")
        if self.html_page is not None and _prefers_html(accept):
            return await self.html_page(request)
        forced = request.query_params.getlist("format")
        if forced:
            rdf_format, media = format_by_name(forced[-1], GRAPH_FORMATS)
        else:
            rdf_format, media = negotiate_rdf(accept)
        assert isinstance(rdf_format, ox.RdfFormat)
        graphs = await self._named_graphs()
        triples = _service_description(self.endpoint_iri(request), graphs, self.allowed_services)
        body = ox.serialize(triples, format=rdf_format, prefixes={"sd": SD}) or b""
        return Response(body, media_type=media, headers={"Vary": "Accept"})

    async def _named_graphs(self) -> list[str]:
        job = QueryRequest.of(
            "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } } ORDER BY ?g",
            results_format=ox.QueryResultsFormat.JSON,
        )
        answer = await self.pool.run(job)
        solutions = ox.parse_query_results(answer.body, format=ox.QueryResultsFormat.JSON)
        return [s["g"].value for s in solutions]  # type: ignore[union-attr]


def _service_description(
    endpoint: str, graphs: list[str], services: frozenset[str]
) -> list[ox.Triple]:
    def sd(name: str) -> ox.NamedNode:
        return ox.NamedNode(SD + name)

    a = ox.NamedNode(RDF + "type")
    service = ox.NamedNode(endpoint)
    dataset = ox.BlankNode()
    default = ox.BlankNode()
    triples = [
        ox.Triple(service, a, sd("Service")),
        ox.Triple(service, sd("endpoint"), service),
        ox.Triple(service, sd("supportedLanguage"), sd("SPARQL11Query")),
        ox.Triple(service, sd("feature"), sd("UnionDefaultGraph")),
        *([ox.Triple(service, sd("feature"), sd("BasicFederatedQuery"))] if services else []),
        *(
            ox.Triple(service, sd("resultFormat"), ox.NamedNode(fmt.iri))
            for _, _, fmt in RESULTS_FORMATS + GRAPH_FORMATS
        ),
        ox.Triple(service, sd("defaultDataset"), dataset),
        ox.Triple(dataset, a, sd("Dataset")),
        ox.Triple(dataset, sd("defaultGraph"), default),
        ox.Triple(default, a, sd("Graph")),
    ]
    for graph in graphs:
        named = ox.BlankNode()
        triples += [
            ox.Triple(dataset, sd("namedGraph"), named),
            ox.Triple(named, a, sd("NamedGraph")),
            ox.Triple(named, sd("name"), ox.NamedNode(graph)),
        ]
    return triples


def _method_not_allowed() -> Response:
    error = QueryError("the SPARQL endpoint accepts GET and POST only")
    body = {**error.to_dict(), "error": "method_not_allowed", "status": 405}
    return JSONResponse(body, status_code=405, headers={"Allow": "GET, POST, OPTIONS"})


def sparql_router(
    pool: QueryPool,
    settings: ServerSettings,
    *,
    path: str = "/sparql",
    html_page: HtmlPage | None = None,
) -> APIRouter:
    """The SPARQL endpoint at ``path`` (and ``path/``), answering through ``pool``."""
    endpoint = _Endpoint(pool, settings, path, html_page)
    router = APIRouter(tags=["sparql"])

    async def sparql(request: Request) -> Response:
        return await endpoint.handle(request)

    async def refuse(request: Request) -> Response:
        return _method_not_allowed()

    for route in (path, path + "/"):
        router.add_api_route(
            route, sparql, methods=["GET", "POST"], include_in_schema=route == path
        )
        router.add_api_route(
            route, refuse, methods=["PUT", "DELETE", "PATCH"], include_in_schema=False
        )
    return router
