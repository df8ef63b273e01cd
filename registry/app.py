"""The FastAPI application: JSON API, SPARQL, Graph Store, dereferenceable IRIs, pages.

:func:`create_app` takes a store the caller owns (the server process is its one writer) and
mounts the routers. The lifespan starts the SPARQL query workers and, when asked, harvests
every source before the first request is served.

One error shape: a single renderer turns a :class:`~registry.errors.RegistryError` into
``to_dict()`` with its status. FastAPI's request-validation errors become
:class:`~registry.errors.InvalidParameter` naming the parameter, Starlette's HTTP errors (an
unknown path, a wrong method) become errors of the same shape; an unexpected exception is
logged once with its traceback and answered as a 500 of the same shape. Refused requests
(4xx) never log a traceback.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio.to_thread
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from prometheus_client import CONTENT_TYPE_LATEST as METRICS_TYPE
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import __version__
from .api import api_router
from .catalogue import Catalogue
from .clock import SYSTEM_CLOCK
from .config import ServerSettings, Sources
from .deref import deref_router
from .errors import InvalidParameter, NotFound, RegistryError
from .gsp import gsp_router
from .offer_index import OfferIndex
from .pages import pages_router
from .query_page import QueryPage
from .query_worker import QueryPool
from .replica import MULTIPROC_ENV, SnapshotStore
from .response_cache import ResponseCache
from .selfdesc import selfdesc_router
from .sparql import sparql_router
from .store import Store

__all__ = [
    "READ_THREADS",
    "Harvester",
    "Metrics",
    "create_app",
    "pipeline_harvester",
    "render_error",
]

log = logging.getLogger("bildungsnetz.app")

#: threads that run the sync endpoints (anyio's default is 40). Why few: the endpoints are
#: mostly Python under one GIL; 32 connections on 40 threads spent their time handing the GIL
#: around (server CPU per ``GET /offers`` answer 12–16 ms against 7–8 ms with 4 threads, and
#: half the throughput, bench/README.md 2026-11-21). 4 still lets SQLite work (outside the
#: GIL) overlap; more requests wait in the event loop, which costs nothing. A slow sync request
#: (a large page, a harvest history) holds one of them while it runs.
READ_THREADS = 4

#: ``harvester(catalogue)`` harvests sources into the catalogue's store and re-indexes them
Harvester = Callable[[Catalogue], None]


def render_error(exc: RegistryError) -> JSONResponse:
    """The one place an error becomes a response."""
    headers = {"Allow": str(exc.details["allow"])} if "allow" in exc.details else None
    return JSONResponse(exc.to_dict(), status_code=exc.status, headers=headers)


def _http_error(status: int, message: str, **details: object) -> RegistryError:
    if status == 404:
        return NotFound(message, **details)
    kind = {405: "method_not_allowed", 413: "request_too_large"}.get(status, f"http_{status}")
    cls = type(f"HTTP{status}", (RegistryError,), {"status": status, "kind": kind})
    return cls(message, **details)


def _validation_error(exc: RequestValidationError) -> InvalidParameter:
    problems = []
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ()) if p not in ("query", "path", "body", "header")]
        problems.append({"parameter": ".".join(loc) or "request", "message": err.get("msg", "")})
    first = problems[0] if problems else {"parameter": "request", "message": "invalid request"}
    return InvalidParameter(
        f"invalid value for {first['parameter']}: {first['message']}",
        parameter=first["parameter"],
        problems=problems if len(problems) > 1 else None,
    )


def _install_error_handlers(app: FastAPI) -> None:
    async def registry_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RegistryError)
        if exc.status >= 500:
            log.warning("%s %s: %s", request.method, request.url.path, exc.message)
        return render_error(exc)

    async def validation_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        return render_error(_validation_error(exc))

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        message = str(exc.detail) if exc.detail else "error"
        if exc.status_code == 404:
            message = f"nothing at {request.url.path}"
        allow = (exc.headers or {}).get("Allow") if exc.status_code == 405 else None
        return render_error(_http_error(exc.status_code, message, allow=allow))

    async def unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unexpected error in %s %s", request.method, request.url.path)
        return render_error(RegistryError("internal error; the server log has the details"))

    app.add_exception_handler(RegistryError, registry_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(Exception, unexpected)


class Metrics:
    """Prometheus metrics of one app (its own registry, so several apps can coexist).

    In a multi-process server (:mod:`registry.replica`, the environment names a metrics
    directory) every process writes its counts to files there and ``/metrics`` sums them,
    whichever process answers."""

    def __init__(self, catalogue: Catalogue) -> None:
        self.shared = MULTIPROC_ENV in os.environ
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "bildungsnetz_http_requests",
            "HTTP requests",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "bildungsnetz_http_request_seconds",
            "HTTP request latency",
            ["route"],
            buckets=(0.005, 0.01, 0.02, 0.03, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
            registry=self.registry,
        )
        self.offers = Gauge(
            "bildungsnetz_offer_runs",
            "course runs in the catalogue",
            registry=self.registry,
            multiprocess_mode="mostrecent",
        )
        self.last_harvest = Gauge(
            "bildungsnetz_last_harvest_timestamp_seconds",
            "end of the last harvest run per source (unix time)",
            ["source"],
            registry=self.registry,
            multiprocess_mode="mostrecent",
        )
        self.cached_answers = Counter(
            "bildungsnetz_response_cache_lookups",
            "GET /offers requests looked up in the answer cache, by result (hit or miss)",
            ["result"],
            registry=self.registry,
        )
        self.catalogue = catalogue

    def render(self) -> bytes:
        self.offers.set(self.catalogue.index.count())
        for source, ended in self.catalogue.last_harvests().items():
            self.last_harvest.labels(source=source).set(ended)
        if not self.shared:
            return generate_latest(self.registry)
        merged = CollectorRegistry()
        MultiProcessCollector(merged)
        return generate_latest(merged)


class MeasureMiddleware:
    """Counts requests per (method, route, status) and their latency per route.

    A plain ASGI middleware, not ``@app.middleware("http")``: Starlette's function
    middleware passes every response through an in-memory stream and a task group, which
    cost more CPU than a cached ``GET /offers`` answer itself.
    """

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # an exception escaping the app becomes a 500 outside this middleware

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            # the router put the matched route into the (shared) scope
            name = getattr(scope.get("route"), "path", "unmatched")
            self.metrics.requests.labels(scope["method"], name, str(status)).inc()
            self.metrics.latency.labels(name).observe(time.perf_counter() - started)


def create_app(
    store: Store,
    *,
    sources: Sources | None = None,
    settings: ServerSettings | None = None,
    index_path: Path | None = None,
    harvester: Harvester | None = None,
    query_workers: bool = True,
) -> FastAPI:
    """The app over ``store`` (which the caller opened and closes).

    ``harvester`` runs once, in a background thread started by the lifespan
    (``--harvest-on-start``, the demo): the server answers at once, and the harvested offers
    appear when the harvest has published its snapshot and re-indexed what changed;
    ``/healthz`` says whether it is still running.
    ``query_workers=False`` leaves ``/sparql`` unmounted (tests of the other parts).
    """
    settings = settings or ServerSettings()
    #: a replica (:mod:`registry.replica`) reads another process's store and never harvests
    writer = not isinstance(store, SnapshotStore)
    if store.path is None and index_path is None:
        raise RegistryError("an in-memory store needs an explicit index_path")
    index = OfferIndex(index_path or (store.path / "offers.sqlite"))  # type: ignore[operator]
    catalogue = Catalogue(store, index, sources)
    if index.generation == 0:
        catalogue.refresh()
    pool: QueryPool | None = None
    if query_workers and store.path is not None:
        if not (store.path / "snapshots" / "CURRENT").exists():
            store.publish()
        pool = QueryPool(
            store.path / "snapshots",
            workers=settings.query_workers,
            lookup_workers=settings.query_lookup_workers,
            timeout_s=settings.query_timeout_s,
            max_rows=settings.max_result_rows,
        )

    def run_harvest() -> None:
        started = time.perf_counter()
        try:
            assert harvester is not None
            harvester(catalogue)
        except RegistryError as exc:
            log.error("harvest stopped: %s", exc.message)
        except Exception:
            log.exception("harvest failed")
        else:
            log.info(
                "harvest finished in %.1f s: %d course runs indexed",
                time.perf_counter() - started,
                index.count(),
            )

    # a daemon: ending the server does not wait for a long harvest (the store's journal
    # finishes or undoes an interrupted swap when it is next opened)
    harvest_thread = threading.Thread(target=run_harvest, name="harvest", daemon=True)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        anyio.to_thread.current_default_thread_limiter().total_tokens = READ_THREADS
        if pool is not None:
            await pool.start()
        # the runs' columns before the first request (≈ 2 s at 100k offers): else the first
        # searches count facets in SQLite, 10–50 times slower, while the columns are read
        await anyio.to_thread.run_sync(index.load_columns)
        try:
            if harvester is not None:
                harvest_thread.start()
            yield
        finally:
            if pool is not None:
                await pool.close()
            index.close()

    app = FastAPI(
        title="Bildungsnetz",
        version=__version__,
        summary="Regional registry of continuing-education offers: JSON API, SPARQL, linked data",
        description=(
            "Offers of all partners of the region, harvested from their feeds. `/offers` lists "
            "course runs with filters; `/sparql` answers SPARQL 1.1; every IRI under "
            "`https://w3id.org/bildungsnetz/` resolves here at the same path. Every error has "
            "the shape `{error, status, message, …}`."
        ),
        lifespan=lifespan,
    )
    app.state.catalogue = catalogue
    app.state.settings = settings
    metrics = Metrics(catalogue)
    app.state.metrics = metrics
    _install_error_handlers(app)

    # the answer cache inside the measurement, so kept answers are counted and timed too
    app.add_middleware(
        ResponseCache,
        key_of=lambda: (
            catalogue.generation,
            getattr(app.state, "clock", SYSTEM_CLOCK).today().isoformat(),
        ),
        entries=settings.response_cache_entries,
        on_lookup=lambda result: metrics.cached_answers.labels(result).inc(),
    )
    app.add_middleware(MeasureMiddleware, metrics=metrics)

    @app.get("/healthz", tags=["operations"], summary="Liveness and the data generation")
    def healthz() -> dict[str, Any]:
        return {
            "status": "ok",
            "generation": catalogue.generation,
            "offer_runs": index.count(),
            "harvesting": harvest_thread.is_alive() if writer else None,
            "process": {"role": "writer" if writer else "replica", "pid": os.getpid()},
        }

    @app.get("/metrics", tags=["operations"], summary="Prometheus metrics")
    def metrics_route() -> Response:
        return Response(metrics.render(), media_type=METRICS_TYPE)

    app.include_router(api_router(catalogue, settings))
    if pool is not None:
        page = QueryPage()
        app.include_router(sparql_router(pool, settings, html_page=page.html_page))
        app.include_router(page.router)
    if store.path is not None:
        app.include_router(gsp_router(store.path / "snapshots"))
    app.include_router(selfdesc_router(catalogue, settings))
    app.mount("/static", StaticFiles(packages=[("registry", "static")]), name="static")
    app.include_router(pages_router(catalogue))
    app.include_router(deref_router(catalogue))
    return app


def pipeline_harvester(sources: Sources) -> Harvester:
    """A harvester running the pipeline over every feed of ``sources``, then re-indexing
    what the runs changed.

    Why once at the end, not after each feed: the pipeline publishes one snapshot for the
    whole harvest, and the index reads the published snapshot, so a re-index after a
    feed's commit would read the graph before its swap. What is re-read: for a published
    run its added, removed and changed offers, for a run that left the graph as it was
    nothing; the index falls back to the whole source when it cannot trust those lists
    (:meth:`registry.offer_index.OfferIndex.update_offers`: it last read the source at
    another feed state, or the vocabulary changed), and a feed without a run record is
    re-read whole."""

    def run(catalogue: Catalogue) -> None:
        from importers.pipeline import harvest

        feed_ids = [f.id for f in sources.feeds]
        since = catalogue.state_tokens(feed_ids)
        try:
            records = harvest(sources, catalogue.store)
        except Exception:
            # some feeds may have been swapped: re-read every source before giving up
            catalogue.refresh(feed_ids, publish=False)
            raise
        changed: dict[str, set[str]] = {}
        for record in records:
            log.info("harvested %s: %s", record.feed_id, record.outcome)
            if record.outcome == "Published":
                changed[record.feed_id] = {*record.added, *record.removed, *record.changed}
            else:  # the run kept the source graph (not modified, unchanged or failed)
                changed[record.feed_id] = set()
        catalogue.refresh(feed_ids, publish=False, changed_offers=changed, since=since)

    return run
