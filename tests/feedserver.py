"""A real HTTP server on 127.0.0.1 that serves partner feeds for the harvest tests.

Each path answers with a :class:`Reply` (status, body, headers) or a handler function for
protocol behaviour that a static reply cannot show (a slow drip of bytes, a gzip bomb). ETag and
Last-Modified are honoured: a request with a matching ``If-None-Match`` gets 304. Every request
is recorded, so tests can assert what the harvester sent.
"""

from __future__ import annotations

import gzip
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

__all__ = ["FeedServer", "Reply", "drip", "gzip_bomb"]


@dataclass
class Reply:
    """A static answer; ``etag`` enables conditional GET, ``gzip`` compresses the body."""

    body: bytes = b""
    status: int = 200
    content_type: str | None = "text/turtle"
    etag: str | None = None
    last_modified: str | None = None
    gzip: bool = False
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[[BaseHTTPRequestHandler], None]


@dataclass(frozen=True)
class Request:
    path: str
    headers: dict[str, str]


def drip(data: bytes, *, pause_s: float, content_type: str = "text/turtle") -> Handler:
    """A handler sending ``data`` one byte at a time with ``pause_s`` between bytes."""

    def handle(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", content_type)
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        for i in range(len(data)):
            h.wfile.write(data[i : i + 1])
            h.wfile.flush()
            time.sleep(pause_s)

    return handle


def gzip_bomb(decompressed_size: int) -> Handler:
    """A handler answering with a small gzip body that inflates to ``decompressed_size`` bytes."""
    payload = gzip.compress(b"#" * decompressed_size, compresslevel=9)

    def handle(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "text/turtle")
        h.send_header("Content-Encoding", "gzip")
        h.send_header("Content-Length", str(len(payload)))
        h.end_headers()
        h.wfile.write(payload)

    return handle


class FeedServer:
    """Serves ``routes`` on a free loopback port (or ``port``) of ``host`` until :meth:`close`."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host = host
        self.routes: dict[str, Reply | Handler] = {}
        self.requests: list[Request] = []
        server = self

        class _Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                return  # quiet tests

            def do_GET(self) -> None:
                server.requests.append(
                    Request(self.path, {k.lower(): v for k, v in self.headers.items()})
                )
                route = server.routes.get(self.path.split("?", 1)[0])
                if route is None:
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                try:
                    if isinstance(route, Reply):
                        server._reply(self, route)
                    else:
                        route(self)
                except (BrokenPipeError, ConnectionResetError):
                    return  # the client gave up, as the limits tell it to

        self._httpd = ThreadingHTTPServer((host, port), _Handler)
        self._httpd.daemon_threads = True
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()

    def url(self, path: str) -> str:
        return f"http://{self.host}:{self.port}{path}"

    def requests_to(self, path: str) -> list[Request]:
        return [r for r in self.requests if r.path == path]

    @staticmethod
    def _reply(h: BaseHTTPRequestHandler, reply: Reply) -> None:
        if reply.etag and h.headers.get("If-None-Match") == reply.etag:
            h.send_response(304)
            h.send_header("ETag", reply.etag)
            h.end_headers()
            return
        body = gzip.compress(reply.body) if reply.gzip else reply.body
        h.send_response(reply.status)
        if reply.content_type:
            h.send_header("Content-Type", reply.content_type)
        if reply.gzip:
            h.send_header("Content-Encoding", "gzip")
        if reply.etag:
            h.send_header("ETag", reply.etag)
        if reply.last_modified:
            h.send_header("Last-Modified", reply.last_modified)
        for name, value in reply.headers.items():
            h.send_header(name, value)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
