"""The demo's feed server: the bundled example partner feeds on a loopback HTTP server.

``bildungsnetz demo`` harvests real HTTP feeds (conditional GET, content types, the whole
pipeline), so the examples are served by a small threaded HTTP server on 127.0.0.1 with an
OS-chosen port. The example sources file names its feeds relative to ``[harvest]
feed_base_url``; :func:`demo_sources` points that at this server and allows private networks
(the harvester refuses loopback addresses otherwise).
"""

from __future__ import annotations

import functools
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from .config import Sources, load_sources
from .errors import ConfigError
from .resources import examples_dir

__all__ = ["FeedServer", "demo_sources"]

_TYPES = {
    ".ttl": "text/turtle",
    ".nt": "application/n-triples",
    ".jsonld": "application/ld+json",
    ".rdf": "application/rdf+xml",
    ".xml": "application/xml",
    ".csv": "text/csv",
    ".html": "text/html",
}


class _Handler(SimpleHTTPRequestHandler):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.extensions_map = {**SimpleHTTPRequestHandler.extensions_map, **_TYPES}
        super().__init__(*args, **kwargs)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the harvester reports every fetch itself."""


class FeedServer:
    """Serves ``directory`` (default: the bundled examples) on 127.0.0.1 until closed."""

    def __init__(self, directory: Path | None = None, port: int = 0) -> None:
        self.directory = directory or examples_dir()
        handler = functools.partial(_Handler, directory=str(self.directory))
        self._server = ThreadingHTTPServer(("127.0.0.1", port), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="demo-feeds", daemon=True
        )
        self._thread.start()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> FeedServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def demo_sources(feed_server: FeedServer) -> Sources:
    """The example sources file with its feeds fetched from ``feed_server``."""
    path = feed_server.directory / "sources.toml"
    if not path.exists():
        raise ConfigError(f"the example sources file is missing: {path}")
    return load_sources(path, feed_base_url=feed_server.url, allow_private_networks=True)
