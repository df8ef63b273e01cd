"""Whole answers of ``GET /offers`` kept per catalogue generation, served before the router.

Why: portals ask the same few questions again and again (the start page, one-click facet
refinements, the next page of a popular search) — the benchmark's 12 portal filter sets are
that traffic. Each answer is a function of the catalogue generation, the day (lifecycle
filters), the request line and the headers that choose its form; so the finished bytes can be
kept and sent again until the generation moves. A kept answer skips routing, the validation
of twenty query parameters, the search and the JSON encoding: it costs about as much as
``/healthz``, where computing it costs 4–25 ms at 100k offers.

Never stale: the key holds :attr:`Catalogue.generation <registry.catalogue.Catalogue.generation>`
(it moves with every publish and re-index, another process's within
:data:`~registry.catalogue.GENERATION_TTL_S`) and the clock's day, so after a harvest or at
midnight the next request computes its answer anew. Only 200 answers with an ``ETag`` are
kept (errors and 304s are always computed); ``If-None-Match`` is honoured for kept answers
exactly as the route does (304 with the same headers). Bounded by entries and bytes; the
least recently used answer goes first. Runs in the event loop only, so it needs no lock.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["MAX_ANSWER_BYTES", "ResponseCache"]

#: larger answers (a page of 200 offers with all runs) are not kept
MAX_ANSWER_BYTES = 1 << 20
#: request headers that change the answer (besides the request line)
_KEY_HEADERS = (b"host", b"accept")


@dataclass
class _Answer:
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes
    etag: str
    route: Any


class ResponseCache:
    """ASGI middleware keeping the 200 answers of ``paths`` (``GET`` only).

    ``key_of()`` gives the part of the key the request does not carry (the catalogue
    generation and the clock's day); ``entries = 0`` turns the cache off. ``on_lookup``
    hears ``"hit"`` or ``"miss"`` for every request the cache looks up (the metrics)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        key_of: Callable[[], tuple[Any, ...]],
        paths: tuple[str, ...] = ("/offers",),
        entries: int = 256,
        max_bytes: int = 64 << 20,
        on_lookup: Callable[[str], None] | None = None,
    ) -> None:
        self.app = app
        self.key_of = key_of
        self.paths = frozenset(paths)
        self.entries = entries
        self.max_bytes = max_bytes
        self.on_lookup = on_lookup or (lambda result: None)
        self._answers: OrderedDict[tuple[Any, ...], _Answer] = OrderedDict()
        self._bytes = 0

    def __len__(self) -> int:
        return len(self._answers)

    def clear(self) -> None:
        self._answers.clear()
        self._bytes = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            self.entries <= 0
            or scope["type"] != "http"
            or scope["method"] != "GET"
            or scope["path"] not in self.paths
        ):
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])  # the last of repeated headers, as Starlette reads
        key = (
            *self.key_of(),
            scope["scheme"],
            scope.get("root_path", ""),
            scope["path"],
            scope["query_string"],
            *(headers.get(name, b"") for name in _KEY_HEADERS),
        )
        answer = self._answers.get(key)
        if answer is not None:
            self._answers.move_to_end(key)
            scope["route"] = answer.route  # the metrics name the route as for a computed one
            self.on_lookup("hit")
            await self._send_kept(answer, headers.get(b"if-none-match"), send)
            return
        self.on_lookup("miss")
        await self._compute_and_keep(key, scope, receive, send)

    async def _send_kept(self, answer: _Answer, wanted: bytes | None, send: Send) -> None:
        if wanted is not None and _matches(wanted.decode("latin-1"), answer.etag):
            kept = [
                (k, v) for k, v in answer.headers if k not in (b"content-length", b"content-type")
            ]
            await send({"type": "http.response.start", "status": 304, "headers": kept})
            await send({"type": "http.response.body", "body": b""})
            return
        await send(
            {"type": "http.response.start", "status": answer.status, "headers": answer.headers}
        )
        await send({"type": "http.response.body", "body": answer.body})

    async def _compute_and_keep(
        self, key: tuple[Any, ...], scope: Scope, receive: Receive, send: Send
    ) -> None:
        start: Message | None = None
        chunks: list[bytes] = []
        size = 0
        keep = True

        async def capture(message: Message) -> None:
            nonlocal start, size, keep
            if message["type"] == "http.response.start":
                start = message
                keep = message["status"] == 200
            elif message["type"] == "http.response.body" and keep:
                body = message.get("body", b"")
                size += len(body)
                if size > MAX_ANSWER_BYTES:
                    keep = False
                    chunks.clear()
                else:
                    chunks.append(body)
            await send(message)

        await self.app(scope, receive, capture)
        if not keep or start is None:
            return
        etag = dict(start.get("headers", [])).get(b"etag")
        if etag is None:
            return
        answer = _Answer(
            status=start["status"],
            headers=list(start.get("headers", [])),
            body=b"".join(chunks),
            etag=etag.decode("latin-1"),
            route=scope.get("route"),
        )
        self._store(key, answer)

    def _store(self, key: tuple[Any, ...], answer: _Answer) -> None:
        old = self._answers.pop(key, None)
        if old is not None:
            self._bytes -= len(old.body)
        self._answers[key] = answer
        self._bytes += len(answer.body)
        while self._answers and (len(self._answers) > self.entries or self._bytes > self.max_bytes):
            _, dropped = self._answers.popitem(last=False)
            self._bytes -= len(dropped.body)


def _matches(if_none_match: str, etag: str) -> bool:
    """``If-None-Match`` matches ``etag`` (weak comparison, as the route does)."""
    wanted = if_none_match.strip()
    if wanted == "*":
        return True
    return etag in [t.strip().removeprefix("W/") for t in wanted.split(",")]
