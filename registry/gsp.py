"""Graph Store Protocol (read side) and whole-catalogue dumps, as a FastAPI router.

::

    app.include_router(gsp_router(store_dir / "snapshots"))

``gsp_router(snapshots_dir, *, path="/graph-store", dump_path="/dump") -> APIRouter``

* ``GET|HEAD path?graph=IRI`` — one named graph (404 when the store has no such graph);
  ``GET|HEAD path?default`` — the default graph, which here (as in SPARQL) is the union of all
  graphs. Turtle, N-Triples, JSON-LD or RDF/XML by ``Accept`` (or ``format=``).
* ``PUT|POST|DELETE|PATCH path`` — 405 with ``Allow: GET, HEAD``: the public store is
  read-only; data enters through harvests only.
* ``GET dump_path.nq``, ``dump_path.trig`` and ``dump_path`` (negotiated: N-Quads, TriG) — every
  quad of the published snapshot, for researchers.

Reads run on a :class:`registry.store.SnapshotReader` of this process, outside the event loop.
They are bounded by nature (no query language), so they need no worker process. Responses are
*streamed*: a producer thread serialises chunks of ``quads_for_pattern`` into a small bounded
queue, so a dump never sits in memory whole. The producer thread owns every pyoxigraph iterator
it creates, because pyoxigraph iterators abort the process when touched from another thread.
JSON-LD and RDF/XML cannot be written in pieces, so a single graph in those formats is built
whole (one source graph, not the catalogue).
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from itertools import islice
from pathlib import Path

import pyoxigraph as ox
from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse

from .errors import InvalidParameter, NotFound, RegistryError
from .rdf_formats import DATASET_FORMATS, GRAPH_FORMATS, format_by_name, negotiate
from .store import SnapshotReader

__all__ = ["CHUNK_QUADS", "gsp_router", "stream_chunks"]

#: quads serialised per streamed chunk
CHUNK_QUADS = 5_000
_STREAMABLE = (ox.RdfFormat.TURTLE, ox.RdfFormat.N_TRIPLES, ox.RdfFormat.N_QUADS, ox.RdfFormat.TRIG)
_END = object()


def stream_chunks(
    produce: Callable[[], Iterable[bytes]], *, depth: int = 4
) -> AsyncIterator[bytes]:
    """Run ``produce`` in its own thread and yield its chunks to the event loop.

    The queue holds at most ``depth`` chunks, so a slow client slows the producer instead of
    filling memory; when the client goes away the producer stops at its next chunk.
    """
    chunks: queue.Queue[object] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: object) -> bool:
        while not stop.is_set():
            try:
                chunks.put(item, timeout=0.2)
                return True
            except queue.Full:
                continue
        return False

    def run() -> None:
        try:
            for chunk in produce():
                if chunk and not put(chunk):
                    return
        except Exception as exc:  # handed to the consumer, which ends the response
            put(exc)
            return
        put(_END)

    def get() -> object:
        while not stop.is_set():
            try:
                return chunks.get(timeout=0.2)
            except queue.Empty:
                continue
        return _END

    async def consume() -> AsyncIterator[bytes]:
        thread = threading.Thread(target=run, name="bildungsnetz-dump", daemon=True)
        thread.start()
        try:
            while True:
                item = await asyncio.to_thread(get)
                if item is _END:
                    return
                if isinstance(item, Exception):
                    raise RegistryError(f"the dump stopped: {item}") from None
                assert isinstance(item, bytes)
                yield item
        finally:
            stop.set()

    return consume()


def _serialised(
    quads: Iterator[ox.Quad], fmt: ox.RdfFormat, *, as_triples: bool
) -> Iterator[bytes]:
    while True:
        chunk = list(islice(quads, CHUNK_QUADS))
        if not chunk:
            return
        items: list[ox.Triple] | list[ox.Quad] = (
            [ox.Triple(q.subject, q.predicate, q.object) for q in chunk] if as_triples else chunk
        )
        yield ox.serialize(items, format=fmt) or b""


def _graph_node(params: Request) -> ox.NamedNode | None:
    """The graph a GSP request names: ``?graph=IRI`` or ``?default`` (``None``)."""
    graphs = params.query_params.getlist("graph")
    default = "default" in params.query_params
    if (default and graphs) or len(graphs) > 1:
        raise InvalidParameter("name one graph: either ?graph=IRI or ?default", parameter="graph")
    if default:
        return None
    if not graphs:
        raise InvalidParameter(
            "name the graph with ?graph=IRI, or ask for the default graph with ?default",
            parameter="graph",
        )
    try:
        return ox.NamedNode(graphs[0])
    except ValueError:
        raise InvalidParameter(f"not a valid IRI: {graphs[0]!r}", parameter="graph") from None


def _read_only() -> Response:
    error = RegistryError("the graph store is read-only here; data enters through harvests")
    body = {**error.to_dict(), "error": "method_not_allowed", "status": 405}
    return JSONResponse(body, status_code=405, headers={"Allow": "GET, HEAD"})


def gsp_router(
    snapshots_dir: Path | str, *, path: str = "/graph-store", dump_path: str = "/dump"
) -> APIRouter:
    """Graph Store Protocol reads at ``path`` and dumps at ``dump_path`` over the snapshots."""
    reader = SnapshotReader(Path(snapshots_dir))
    lock = threading.Lock()

    def store() -> ox.Store:
        with lock:  # one reopen when a new snapshot appears, not one per thread
            return reader.current()

    router = APIRouter(tags=["graph store"])

    async def read_graph(request: Request) -> Response:
        graph = _graph_node(request)
        forced = request.query_params.getlist("format")
        if forced:
            fmt, media = format_by_name(forced[-1], GRAPH_FORMATS)
        else:
            fmt, media = negotiate(request.headers.get("accept"), GRAPH_FORMATS)
        assert isinstance(fmt, ox.RdfFormat)
        if graph is not None:
            exists = await asyncio.to_thread(lambda: store().contains_named_graph(graph))
            if not exists:
                raise NotFound(f"no graph {graph.value} in the store", graph=graph.value)
        headers = {"Vary": "Accept"}
        if request.method == "HEAD":
            return Response(media_type=media, headers=headers)
        selector = graph if graph is not None else None

        def produce() -> Iterator[bytes]:
            quads = store().quads_for_pattern(None, None, None, selector)
            if fmt in _STREAMABLE:
                yield from _serialised(quads, fmt, as_triples=True)
                return
            # dedup: in the union default graph one triple may come from several sources
            triples = {ox.Triple(q.subject, q.predicate, q.object) for q in quads}
            yield ox.serialize(triples, format=fmt) or b""

        return StreamingResponse(stream_chunks(produce), media_type=media, headers=headers)

    async def refuse(request: Request) -> Response:
        return _read_only()

    router.add_api_route(path, read_graph, methods=["GET"], operation_id="graph_store_get")
    router.add_api_route(
        path, read_graph, methods=["HEAD"], operation_id="graph_store_head", include_in_schema=False
    )
    router.add_api_route(
        path, refuse, methods=["PUT", "POST", "DELETE", "PATCH"], include_in_schema=False
    )

    def dump_response(fmt: ox.RdfFormat, media: str, extension: str) -> Response:
        def produce() -> Iterator[bytes]:
            snapshot = store()
            yield from _serialised(
                snapshot.quads_for_pattern(None, None, None, ox.DefaultGraph()),
                fmt,
                as_triples=False,
            )
            for graph in snapshot.named_graphs():
                yield from _serialised(
                    snapshot.quads_for_pattern(None, None, None, graph), fmt, as_triples=False
                )

        headers = {
            "Content-Disposition": f'attachment; filename="bildungsnetz.{extension}"',
            "Vary": "Accept",
        }
        return StreamingResponse(stream_chunks(produce), media_type=media, headers=headers)

    async def dump_nquads() -> Response:
        return dump_response(ox.RdfFormat.N_QUADS, "application/n-quads", "nq")

    async def dump_trig() -> Response:
        return dump_response(ox.RdfFormat.TRIG, "application/trig", "trig")

    async def dump(request: Request) -> Response:
        fmt, media = negotiate(request.headers.get("accept"), DATASET_FORMATS)
        assert isinstance(fmt, ox.RdfFormat)
        return dump_response(fmt, media, fmt.file_extension)

    router.add_api_route(dump_path + ".nq", dump_nquads, methods=["GET"])
    router.add_api_route(dump_path + ".trig", dump_trig, methods=["GET"])
    router.add_api_route(dump_path, dump, methods=["GET"])
    return router
