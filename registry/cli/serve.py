"""``bildungsnetz serve`` and ``bildungsnetz demo``: the web application under uvicorn.

The server process opens the store and is its one writer; readers (API, pages, SPARQL workers)
use published snapshots. ``demo`` serves the bundled example feeds on loopback, harvests them
into a fresh store and serves the result, printing the addresses to open.
"""

from __future__ import annotations

import logging
import shutil
import socket
import tempfile
from pathlib import Path

import typer
import uvicorn

from ..app import Harvester, create_app, pipeline_harvester
from ..config import ServerSettings, Sources, load_sources
from ..store import OxigraphStore

_LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def _logging() -> None:
    logging.basicConfig(level=logging.INFO, format=_LOG_FORMAT)


def _uvicorn_log_config() -> dict[str, object]:
    """Plain log lines for uvicorn too (its default colours and formats differ)."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"plain": {"format": _LOG_FORMAT}},
        "handlers": {"default": {"class": "logging.StreamHandler", "formatter": "plain"}},
        "loggers": {
            "uvicorn": {"handlers": ["default"], "level": "INFO", "propagate": False},
            "uvicorn.access": {"handlers": ["default"], "level": "INFO", "propagate": False},
        },
    }


def _free_port(host: str) -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def run_server(
    store: OxigraphStore,
    settings: ServerSettings,
    *,
    sources: Sources | None,
    harvester: Harvester | None,
    banner: str | None = None,
) -> None:
    """Serve until interrupted; ``banner`` is printed once the server listens."""
    app = create_app(store, sources=sources, settings=settings, harvester=harvester)
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_config=_uvicorn_log_config(),
        access_log=True,
    )
    server = uvicorn.Server(config)
    if banner:
        started = server.startup

        async def startup(sockets: list[socket.socket] | None = None) -> None:
            await started(sockets)
            typer.echo(banner, err=False)

        server.startup = startup  # type: ignore[method-assign]
    server.run()


def serve(
    config: Path = typer.Option(..., "--config", help="sources file (TOML)"),
    store: Path = typer.Option(..., "--store", help="store directory (created if missing)"),
    host: str = typer.Option(ServerSettings.host, help="address to listen on"),
    port: int = typer.Option(ServerSettings.port, help="TCP port"),
    harvest_on_start: bool = typer.Option(
        False, "--harvest-on-start", help="harvest every source before serving"
    ),
) -> None:
    """Serve catalogue, JSON API, SPARQL and pages over a store.

    Example: ``bildungsnetz serve --config sources.toml --store data/ --harvest-on-start``
    """
    _logging()
    sources = load_sources(config)
    settings = sources.server_settings(host=host, port=port)
    opened = OxigraphStore(store)
    try:
        run_server(
            opened,
            settings,
            sources=sources,
            harvester=pipeline_harvester(sources) if harvest_on_start else None,
            banner=f"Bildungsnetz serving http://{host}:{port}/",
        )
    finally:
        opened.close()


def demo(
    port: int = typer.Option(8000, help="TCP port on 127.0.0.1 (0: any free port)"),
    store: Path | None = typer.Option(
        None, "--store", help="store directory (default: a fresh temporary directory)"
    ),
) -> None:
    """Harvest the bundled example feeds from a loopback server and serve them.

    Example: ``bildungsnetz demo --port 8000``
    """
    from ..demo import FeedServer, demo_sources

    _logging()
    host = "127.0.0.1"
    port = port or _free_port(host)
    temporary = store is None
    directory = Path(tempfile.mkdtemp(prefix="bildungsnetz-demo-")) if store is None else store
    base = f"http://{host}:{port}"
    banner = "\n".join(
        [
            "",
            "Bildungsnetz demo is ready:",
            f"  home page   {base}/",
            f"  offers      {base}/offers",
            f"  SPARQL      {base}/sparql",
            f"  API docs    {base}/docs",
            f"  dump        {base}/dump.nq",
            "Stop with Ctrl-C.",
            "",
        ]
    )
    with FeedServer() as feeds:
        sources = demo_sources(feeds)
        opened = OxigraphStore(directory)
        try:
            run_server(
                opened,
                sources.server_settings(host=host, port=port),
                sources=sources,
                harvester=pipeline_harvester(sources),
                banner=banner,
            )
        finally:
            opened.close()
            if temporary:
                shutil.rmtree(directory, ignore_errors=True)


def register(app: typer.Typer) -> None:
    app.command()(serve)
    app.command()(demo)
