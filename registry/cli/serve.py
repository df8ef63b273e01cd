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
from starlette.types import ASGIApp

from ..app import Harvester, create_app, pipeline_harvester
from ..config import ServerSettings, Sources, load_sources
from ..replica import supervise
from ..store import OxigraphStore

_LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure_logging() -> None:
    """Plain log lines with time and level (the same in every server process)."""
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


def serve_app(
    app: ASGIApp,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    sock: socket.socket | None = None,
    banner: str | None = None,
) -> None:
    """Serve ``app`` on ``host:port``, or on the listening socket ``sock`` (a process of a
    multi-process server); ``banner`` is printed once the server listens."""
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
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
    server.run(sockets=[sock] if sock is not None else None)


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
    serve_app(app, host=settings.host, port=settings.port, banner=banner)


def serve(
    config: Path = typer.Option(..., "--config", help="sources file (TOML)"),
    store: Path = typer.Option(..., "--store", help="store directory (created if missing)"),
    host: str = typer.Option(ServerSettings.host, help="address to listen on"),
    port: int = typer.Option(ServerSettings.port, help="TCP port"),
    harvest_on_start: bool = typer.Option(
        False, "--harvest-on-start", help="harvest every source before serving"
    ),
    processes: int | None = typer.Option(
        None,
        "--processes",
        min=1,
        help="server processes on the port: one writer and read-only replicas "
        "(default: [server] processes of the sources file, else 1)",
    ),
) -> None:
    """Serve catalogue, JSON API, SPARQL and pages over a store.

    Example: ``bildungsnetz serve --config sources.toml --store data/ --harvest-on-start``
    """
    configure_logging()
    sources = load_sources(config)
    overrides: dict[str, object] = {"host": host, "port": port}
    if processes is not None:
        overrides["processes"] = processes
    settings = sources.server_settings(**overrides)
    banner = f"Bildungsnetz serving http://{host}:{port}/"
    if settings.processes > 1:
        code = supervise(
            settings.processes,
            config=config,
            store=store,
            host=host,
            port=port,
            harvest_on_start=harvest_on_start,
            banner=banner,
        )
        raise typer.Exit(code)
    opened = OxigraphStore(store)
    try:
        run_server(
            opened,
            settings,
            sources=sources,
            harvester=pipeline_harvester(sources) if harvest_on_start else None,
            banner=banner,
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

    configure_logging()
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
