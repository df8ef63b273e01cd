"""A live test app for the SPARQL and Graph Store Protocol routers.

The protocol matters here (real clients, the W3C manifests), so the tests talk HTTP to a real
uvicorn server on 127.0.0.1 (a random free port) running in a thread; its lifespan starts and
stops the query pool like the real app's does.
"""

from __future__ import annotations

import threading
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

import pyoxigraph as ox
import uvicorn
from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse

from registry.config import ServerSettings
from registry.errors import RegistryError
from registry.gsp import gsp_router
from registry.query_worker import QueryPool
from registry.sparql import HtmlPage, sparql_router
from registry.store import OxigraphStore

__all__ = ["LiveServer", "build_app", "fill_store"]


def fill_store(path: Path, graphs: Mapping[str, Sequence[ox.Triple]]) -> OxigraphStore:
    """A store at ``path`` holding ``graphs``, published for snapshot readers."""
    store = OxigraphStore(path)
    for name, triples in graphs.items():
        store.replace_graph(name, triples)
    store.publish()
    return store


def build_app(
    snapshots: Path,
    settings: ServerSettings,
    *,
    max_result_bytes: int | None = None,
    html_page: HtmlPage | None = None,
) -> tuple[FastAPI, QueryPool]:
    """FastAPI + the two routers + one error handler + CORS, as the real app mounts them."""
    extra = {} if max_result_bytes is None else {"max_bytes": max_result_bytes}
    pool = QueryPool(
        snapshots,
        workers=settings.query_workers,
        timeout_s=settings.query_timeout_s,
        max_rows=settings.max_result_rows,
        **extra,
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await pool.start()
        try:
            yield
        finally:
            await pool.close()

    app = FastAPI(lifespan=lifespan)
    app.add_middleware(
        CORSMiddleware, allow_origins=["*"], allow_methods=["GET", "POST"], allow_headers=["*"]
    )

    @app.exception_handler(RegistryError)
    async def registry_error(request: Request, exc: RegistryError) -> JSONResponse:
        return JSONResponse(exc.to_dict(), status_code=exc.status)

    app.include_router(sparql_router(pool, settings, html_page=html_page))
    app.include_router(gsp_router(snapshots))
    return app, pool


class LiveServer:
    """uvicorn serving ``app`` on 127.0.0.1 in a background thread."""

    def __init__(self, app: FastAPI) -> None:
        config = uvicorn.Config(
            app, host="127.0.0.1", port=0, log_level="warning", lifespan="on", access_log=False
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the test server did not start")
            time.sleep(0.02)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"

    def close(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)
