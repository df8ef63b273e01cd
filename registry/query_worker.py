"""SPARQL query workers: separate processes, so a runaway query can be ended.

pyoxigraph's ``Store.query`` has no timeout and cannot be cancelled, and a thread cannot be
killed, so each query runs in a worker *process*. A worker opens the current published
snapshot read-only (:class:`registry.store.SnapshotReader`; it follows newer snapshots by
itself), runs one query at a time and sends back the serialised result. When a query outlives
the timeout the pool kills its worker with SIGKILL — the snapshot is read-only, so nothing is
left half written — and starts a fresh one; the other workers keep serving.

Two lanes, so a lookup never waits behind an aggregation: ``workers`` processes take any
query, ``lookup_workers`` more take only queries the caller marks as lookups
(``run(request, lookup=True)``; the endpoint marks DESCRIBE of named resources and small
LIMITed queries without aggregation or sorting, :func:`registry.sparql.is_lookup`). A lookup
goes to whichever idle worker of either lane is free first; the same timeout bounds it, so a
lookup that turns out long holds a lookup worker only until it is killed.

Workers are fresh interpreters (``subprocess`` with a socket pair carrying
:mod:`multiprocessing.connection` messages), so no worker is ever forked from a process that
holds a RocksDB handle, and none re-imports the server's ``__main__`` module.

Use::

    pool = QueryPool(store_dir / "snapshots", workers=2, timeout_s=30, max_rows=100_000)
    await pool.start()                 # in the app's lifespan
    result = await pool.run(QueryRequest(query, rdf_format=..., results_format=...))
    found = await pool.run(QueryRequest("DESCRIBE <…>"), lookup=True)   # the lookup lane
    await pool.close()

``run`` raises :class:`~registry.errors.QueryTimeout` (503),
:class:`~registry.errors.ResultTooLarge` (413), :class:`~registry.errors.QuerySyntaxError`
(400) or :class:`~registry.errors.NotAcceptable` (406).
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import io
import os
import signal
import socket
import subprocess
import sys
from collections import deque
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import islice
from multiprocessing.connection import Connection
from pathlib import Path
from typing import IO, cast

import pyoxigraph as ox

from .errors import (
    NotAcceptable,
    QuerySyntaxError,
    QueryTimeout,
    RegistryError,
    ResultTooLarge,
)
from .store import SnapshotReader

__all__ = [
    "DEFAULT_MAX_RESULT_BYTES",
    "QueryPool",
    "QueryRequest",
    "QueryResponse",
    "execute",
    "run_in_process",
    "worker_main",
]

#: serialised results larger than this are refused with 413 (the row cap alone does not bound
#: the size: one row can hold a long literal)
DEFAULT_MAX_RESULT_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class QueryRequest:
    """What a worker needs to answer one query (pickled to the worker).

    Formats travel as media types: pyoxigraph's format objects cannot be pickled.
    """

    query: str
    #: media type for SELECT/ASK results, and for CONSTRUCT/DESCRIBE graphs; None: refuse
    results_media_type: str | None = "application/sparql-results+json"
    rdf_media_type: str | None = "text/turtle"
    #: the protocol dataset; both empty: the union of all graphs is the default graph
    default_graphs: tuple[str, ...] = ()
    named_graphs: tuple[str, ...] = ()
    base_iri: str | None = None

    @classmethod
    def of(
        cls,
        query: str,
        results_format: ox.QueryResultsFormat | None = ox.QueryResultsFormat.JSON,
        rdf_format: ox.RdfFormat | None = ox.RdfFormat.TURTLE,
        **kwargs: object,
    ) -> QueryRequest:
        """A request naming the formats by their pyoxigraph objects."""
        return cls(
            query,
            results_format.media_type if results_format is not None else None,
            rdf_format.media_type if rdf_format is not None else None,
            **kwargs,  # type: ignore[arg-type]
        )

    @property
    def results_format(self) -> ox.QueryResultsFormat | None:
        if self.results_media_type is None:
            return None
        return ox.QueryResultsFormat.from_media_type(self.results_media_type)

    @property
    def rdf_format(self) -> ox.RdfFormat | None:
        if self.rdf_media_type is None:
            return None
        return ox.RdfFormat.from_media_type(self.rdf_media_type)


@dataclass(frozen=True)
class QueryResponse:
    """The serialised answer and what it is."""

    body: bytes
    #: "solutions", "boolean" or "graph"
    kind: str
    #: the media type of the format used, as pyoxigraph names it
    media_type: str


@dataclass(frozen=True)
class _Limits:
    max_rows: int
    max_bytes: int


class _CappedBuffer(io.RawIOBase):
    """A write target that refuses to grow beyond ``limit`` bytes."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit
        self.parts: list[bytes] = []
        self.size = 0
        self.overflowed = False

    def writable(self) -> bool:
        return True

    def write(self, data: bytes | bytearray | memoryview) -> int:  # type: ignore[override]
        self.size += len(data)
        if self.size > self.limit:
            self.overflowed = True
            raise OSError("result size cap reached")
        self.parts.append(bytes(data))
        return len(data)


def _dataset_kwargs(request: QueryRequest) -> dict[str, object]:
    kwargs: dict[str, object] = {}
    if request.base_iri:
        kwargs["base_iri"] = request.base_iri
    if request.default_graphs or request.named_graphs:
        # a protocol dataset replaces the query's own FROM / FROM NAMED entirely
        kwargs["default_graph"] = [ox.NamedNode(g) for g in request.default_graphs]
        kwargs["named_graphs"] = [ox.NamedNode(g) for g in request.named_graphs]
    else:
        kwargs["use_default_graph_as_union"] = True
    return kwargs


def _too_large(limit: int, unit: str) -> ResultTooLarge:
    return ResultTooLarge(
        f"the result has more than {limit} {unit}; narrow the query (LIMIT, filters) "
        f"or download the dump for bulk access",
        limit=limit,
        unit=unit,
    )


def _count_rows(body: bytes, fmt: ox.QueryResultsFormat, stop: int) -> int:
    """Rows in serialised solutions, counting no further than ``stop``."""
    if fmt == ox.QueryResultsFormat.CSV:
        # pyoxigraph does not read CSV results back (lossy); quoted newlines need a CSV reader
        rows = csv.reader(io.StringIO(body.decode("utf-8"), newline=""))
        return sum(1 for _ in islice(rows, stop + 1)) - 1
    n = 0
    for _ in ox.parse_query_results(body, format=fmt):  # type: ignore[union-attr]
        n += 1
        if n >= stop:
            break
    return n


def execute(store: ox.Store, request: QueryRequest, limits: _Limits) -> QueryResponse:
    """Run and serialise one query; used by the worker processes (and directly by tests)."""
    try:
        result = store.query(request.query, **_dataset_kwargs(request))  # type: ignore[arg-type]
    except SyntaxError as exc:
        raise QuerySyntaxError(f"malformed query: {exc}") from None
    except ValueError as exc:
        raise QuerySyntaxError(f"unusable query or dataset: {exc}") from None
    buffer = _CappedBuffer(limits.max_bytes)
    target = cast(IO[bytes], buffer)
    try:
        if isinstance(result, ox.QueryTriples):
            rdf_format = request.rdf_format
            if rdf_format is None:
                raise NotAcceptable("no acceptable RDF format for a CONSTRUCT/DESCRIBE result")
            fmt: ox.QueryResultsFormat | ox.RdfFormat = rdf_format
            ox.serialize(_capped(result, limits.max_rows), target, format=rdf_format)
            kind = "graph"
        else:
            results_format = request.results_format
            if results_format is None:
                raise NotAcceptable("no acceptable results format for a SELECT/ASK result")
            fmt = results_format
            result.serialize(target, format=results_format)
            kind = "boolean" if isinstance(result, ox.QueryBoolean) else "solutions"
    except OSError:
        if buffer.overflowed:
            raise _too_large(limits.max_bytes, "bytes") from None
        raise
    body = b"".join(buffer.parts)
    # a row takes at least two bytes in every results format: small bodies need no count
    if kind == "solutions" and len(body) > 2 * limits.max_rows:
        assert isinstance(fmt, ox.QueryResultsFormat)
        if _count_rows(body, fmt, limits.max_rows + 1) > limits.max_rows:
            raise _too_large(limits.max_rows, "rows")
    return QueryResponse(body=body, kind=kind, media_type=fmt.media_type)


def _capped(triples: ox.QueryTriples, limit: int) -> Iterator[ox.Triple]:
    for n, triple in enumerate(triples, start=1):
        if n > limit:
            raise _too_large(limit, "triples")
        yield triple


def worker_main(argv: list[str] | None = None) -> None:
    """Entry of a worker process: ``worker_main([fd, snapshots_dir, max_rows, max_bytes])``.

    The pool starts ``python -c "from registry.query_worker import worker_main; worker_main()"``
    with one end of a socket pair: a fresh interpreter that never shares a RocksDB handle and
    never re-imports the server's ``__main__`` (as multiprocessing's spawn would).
    """
    fd, snapshots, max_rows, max_bytes = (argv if argv is not None else sys.argv[1:])[:4]
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the server ends its workers itself
    conn = Connection(int(fd))
    limits = _Limits(int(max_rows), int(max_bytes))
    reader = SnapshotReader(Path(snapshots))
    while True:
        try:
            request = conn.recv()
        except (EOFError, OSError):
            return
        if request is None:
            return
        try:
            reply: object = execute(reader.current(), request, limits)
        except RegistryError as exc:
            reply = _ErrorReply(type(exc).__name__, exc.message, exc.details)
        except Exception as exc:  # reported to the parent, which owns logging
            reply = _ErrorReply("RegistryError", f"query failed: {type(exc).__name__}: {exc}", {})
        try:
            conn.send(reply)
        except OSError:
            return


@dataclass(frozen=True)
class _ErrorReply:
    """An error crossing the pipe (exceptions with keyword-only arguments do not unpickle)."""

    error: str
    message: str
    details: dict[str, object]

    def exception(self) -> RegistryError:
        cls = _ERRORS.get(self.error, RegistryError)
        exc = cls(self.message)
        exc.details = dict(self.details)
        return exc


_ERRORS: dict[str, type[RegistryError]] = {
    cls.__name__: cls for cls in (NotAcceptable, QuerySyntaxError, ResultTooLarge, RegistryError)
}


@dataclass
class _Worker:
    process: subprocess.Popen[bytes]
    conn: Connection
    #: a worker of the lookup lane: it never takes a long query
    lookup: bool = False
    busy: bool = field(default=False)


class _Lanes:
    """Idle workers of both lanes and the queries waiting for one (used on the event loop).

    A long query takes a general worker; a lookup takes an idle lookup worker, else an idle
    general one. A worker coming free serves waiting lookups before waiting long queries (a
    lookup costs milliseconds), each kind in order of arrival.
    """

    def __init__(self) -> None:
        self.idle: dict[bool, deque[_Worker]] = {False: deque(), True: deque()}
        self.waiting: dict[bool, deque[asyncio.Future[_Worker]]] = {
            False: deque(),
            True: deque(),
        }

    def _take_idle(self, lookup: bool) -> _Worker | None:
        for lane in (True, False) if lookup else (False,):
            if self.idle[lane]:
                return self.idle[lane].popleft()
        return None

    async def acquire(self, lookup: bool, timeout_s: float) -> _Worker | None:
        """An idle worker for the query, or None when none came free within ``timeout_s``."""
        worker = self._take_idle(lookup)
        if worker is not None:
            return worker
        waiter: asyncio.Future[_Worker] = asyncio.get_running_loop().create_future()
        self.waiting[lookup].append(waiter)
        try:
            await asyncio.wait({waiter}, timeout=timeout_s)
        except BaseException:
            # the caller was cancelled: a worker handed over meanwhile goes to the next query
            if waiter.done() and not waiter.cancelled():
                self.release(waiter.result())
            waiter.cancel()
            raise
        if not waiter.done():
            waiter.cancel()  # release() skips it
            return None
        return waiter.result()

    def release(self, worker: _Worker) -> None:
        """Hand a free worker to the first waiting query that may use it, or keep it idle."""
        kinds = (True,) if worker.lookup else (True, False)
        for kind in kinds:
            queue = self.waiting[kind]
            while queue:
                waiter = queue.popleft()
                if not waiter.done():
                    waiter.set_result(worker)
                    return
        self.idle[worker.lookup].append(worker)


_BOOT = "from registry.query_worker import worker_main; worker_main()"


class QueryPool:
    """Worker processes answering SPARQL queries with a timeout, in two lanes.

    ``QueryPool(snapshots_dir, workers=2, timeout_s=30.0, max_rows=100_000,
    max_bytes=DEFAULT_MAX_RESULT_BYTES, lookup_workers=1)``; ``await start()`` /
    ``await close()`` in the app's lifespan; ``await run(request, lookup=False)`` per query.
    ``workers`` processes take any query, ``lookup_workers`` more (0: none) only lookups. A
    query waits at most ``timeout_s`` for a free worker and at most ``timeout_s`` to run.
    """

    def __init__(
        self,
        snapshots_dir: Path | str,
        workers: int = 2,
        timeout_s: float = 30.0,
        max_rows: int = 100_000,
        max_bytes: int = DEFAULT_MAX_RESULT_BYTES,
        lookup_workers: int = 1,
    ) -> None:
        if workers < 1:
            raise ValueError("a query pool needs at least one worker")
        if lookup_workers < 0:
            raise ValueError("lookup_workers cannot be negative")
        self.snapshots_dir = Path(snapshots_dir)
        self.size = workers
        self.lookup_size = lookup_workers
        self.timeout_s = timeout_s
        self.limits = _Limits(max_rows=max_rows, max_bytes=max_bytes)
        self._lanes: _Lanes | None = None
        self._all: list[_Worker] = []
        # blocking pipe round trips run here; one thread per worker is enough
        self._threads = ThreadPoolExecutor(
            max_workers=workers + lookup_workers + 1, thread_name_prefix="sparql"
        )
        self.killed = 0

    # -- life cycle --------------------------------------------------------------------------
    def _spawn(self, lookup: bool) -> _Worker:
        parent, child = socket.socketpair()
        env = dict(os.environ)
        root = str(Path(__file__).resolve().parent.parent)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
        argv = [str(child.fileno()), str(self.snapshots_dir)]
        argv += [str(self.limits.max_rows), str(self.limits.max_bytes)]
        process = subprocess.Popen(
            [sys.executable, "-c", _BOOT, *argv], pass_fds=[child.fileno()], env=env
        )
        child.close()
        worker = _Worker(process, Connection(parent.detach()), lookup=lookup)
        self._all.append(worker)
        return worker

    async def start(self) -> None:
        """Start the worker processes (call once, from the running event loop)."""
        loop = asyncio.get_running_loop()
        self._lanes = _Lanes()
        for lookup in [False] * self.size + [True] * self.lookup_size:
            worker = await loop.run_in_executor(self._threads, self._spawn, lookup)
            self._lanes.release(worker)

    async def close(self) -> None:
        """Stop every worker (a busy one is killed)."""
        for worker in list(self._all):
            self._stop(worker, kill=worker.busy)
        self._all.clear()
        self._threads.shutdown(wait=False, cancel_futures=True)

    def _stop(self, worker: _Worker, *, kill: bool) -> None:
        if not kill:
            with contextlib.suppress(OSError):
                worker.conn.send(None)
            with contextlib.suppress(subprocess.TimeoutExpired):
                worker.process.wait(timeout=2)
        if worker.process.poll() is None:
            worker.process.kill()  # SIGKILL: the snapshot is read-only, nothing to clean up
            worker.process.wait(timeout=5)
        worker.conn.close()
        if worker in self._all:
            self._all.remove(worker)

    @property
    def pids(self) -> list[int]:
        """Process ids of the current workers of both lanes (tests and monitoring)."""
        return [w.process.pid for w in self._all]

    @property
    def lookup_pids(self) -> list[int]:
        """Process ids of the current lookup-lane workers."""
        return [w.process.pid for w in self._all if w.lookup]

    # -- queries -----------------------------------------------------------------------------
    @staticmethod
    def _round_trip(worker: _Worker, request: QueryRequest) -> object:
        worker.conn.send(request)
        return worker.conn.recv()

    async def run(self, request: QueryRequest, *, lookup: bool = False) -> QueryResponse:
        """Answer one query in a worker; see the module docstring for the errors raised.

        ``lookup=True`` lets the query use the lookup lane (or any idle general worker).
        """
        if self._lanes is None:
            raise RegistryError("the query pool is not started")
        worker = await self._lanes.acquire(lookup, self.timeout_s)
        if worker is None:
            raise QueryTimeout(
                "all query workers stayed busy; try again later",
                timeout_s=self.timeout_s,
            )
        loop = asyncio.get_running_loop()
        worker.busy = True
        future = loop.run_in_executor(self._threads, self._round_trip, worker, request)
        try:
            reply = await asyncio.wait_for(future, self.timeout_s)
        except TimeoutError:
            self.killed += 1
            await self._replace(worker)
            raise QueryTimeout(
                f"the query ran longer than {self.timeout_s:g} s and was stopped",
                timeout_s=self.timeout_s,
            ) from None
        except (EOFError, OSError, TypeError, ValueError) as exc:
            # the worker died, or the request could not cross the pipe: start afresh
            await self._replace(worker)
            raise RegistryError(f"a query worker failed ({type(exc).__name__}: {exc})") from None
        except asyncio.CancelledError:
            # the client went away while its query ran: the worker's answer is unusable
            await asyncio.shield(self._replace(worker))
            raise
        worker.busy = False
        self._lanes.release(worker)
        if isinstance(reply, _ErrorReply):
            raise reply.exception()
        if not isinstance(reply, QueryResponse):  # pragma: no cover - protocol violation
            raise RegistryError("a query worker sent an unexpected reply")
        return reply

    async def _replace(self, worker: _Worker) -> None:
        self._stop(worker, kill=True)
        loop = asyncio.get_running_loop()
        fresh = await loop.run_in_executor(self._threads, self._spawn, worker.lookup)
        assert self._lanes is not None
        self._lanes.release(fresh)

    def __repr__(self) -> str:
        return (
            f"QueryPool({self.snapshots_dir!s}, workers={self.size}, "
            f"lookup_workers={self.lookup_size}, timeout_s={self.timeout_s})"
        )


def run_in_process(
    snapshots_dir: Path, request: QueryRequest, *, max_rows: int, max_bytes: int
) -> QueryResponse:
    """Answer one query in this process (no timeout): for the CLI and for measurements."""
    reader = SnapshotReader(snapshots_dir)
    return execute(reader.current(), request, _Limits(max_rows, max_bytes))
