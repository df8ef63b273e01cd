"""What the benchmarks share: machine info, a loopback feed server, RSS sampling, reporting.

Every benchmark prints the machine it ran on first, so a figure pasted into an issue carries its
context. Figures are printed as a table of ``name  value  unit  target``; a target line says
whether it was met, so a run at the size the target names reads as a verdict.
"""

from __future__ import annotations

import hashlib
import os
import platform
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import psutil

__all__ = [
    "CpuTime",
    "FeedServer",
    "Figure",
    "PeakRss",
    "Report",
    "free_port",
    "machine_info",
    "mib",
    "stopwatch",
]


def _version(package: str) -> str:
    try:
        return version(package)
    except PackageNotFoundError:
        return "not installed"


def machine_info() -> str:
    """One line: cores, memory, Python and the versions of the engines measured."""
    mem = psutil.virtual_memory().total / 2**30
    return (
        f"machine: {os.cpu_count()} cores, {mem:.0f} GiB RAM, {platform.machine()}, "
        f"Python {platform.python_version()}, pyoxigraph {_version('pyoxigraph')}, "
        f"oxigraph server {_version('oxigraph')}, rdflib {_version('rdflib')}, "
        f"pyshacl {_version('pyshacl')}; load average {os.getloadavg()[0]:.2f} "
        "(other processes on the machine skew wall-clock figures)"
    )


def mib(n_bytes: float) -> float:
    return n_bytes / 2**20


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago (for servers run as subprocesses)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Figure:
    name: str
    value: float | None
    unit: str
    target: str = ""
    met: bool | None = None
    note: str = ""


@dataclass
class Report:
    """Figures of one run, printed as an aligned table."""

    title: str
    figures: list[Figure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(
        self,
        name: str,
        value: float | None,
        unit: str = "",
        *,
        target: str = "",
        met: bool | None = None,
        note: str = "",
    ) -> None:
        self.figures.append(Figure(name, value, unit, target, met, note))

    def render(self) -> str:
        lines = [self.title, "=" * len(self.title)]
        width = max((len(f.name) for f in self.figures), default=10)
        for f in self.figures:
            if f.value is None:
                shown = "n/a"
            elif abs(f.value) >= 100:
                shown = f"{f.value:,.0f}"
            else:
                shown = f"{f.value:,.3g}" if abs(f.value) < 10 else f"{f.value:,.1f}"
            verdict = {True: "  [met]", False: "  [NOT met]", None: ""}[f.met]
            target = f"  target {f.target}{verdict}" if f.target else ""
            note = f"  ({f.note})" if f.note else ""
            lines.append(f"  {f.name:<{width}}  {shown:>12} {f.unit:<10}{target}{note}")
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)


class PeakRss:
    """Samples the resident set of this process and its children; :attr:`peak` in bytes.

    A sampler thread rather than ``ru_maxrss``: the high-water mark of the whole process would
    mix the phases of a benchmark, and worker processes would be missed.
    """

    def __init__(self, interval_s: float = 0.05) -> None:
        self.interval_s = interval_s
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> int:
        me = psutil.Process()
        total = me.memory_info().rss
        for child in me.children(recursive=True):
            try:
                total += child.memory_info().rss
            except psutil.Error:
                continue
        return int(total)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._sample())
            self._stop.wait(self.interval_s)

    def __enter__(self) -> PeakRss:
        self.peak = self._sample()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._sample())


class CpuTime:
    """CPU seconds (user + system) this process and its live child processes spent inside the
    block: on a shared machine, a figure that other load does not inflate the way it inflates
    wall-clock time. Children that end inside the block are missed (the harvest's worker
    processes live on between harvests, so they are counted)."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._start: dict[int, float] = {}

    @staticmethod
    def _sample() -> dict[int, float]:
        me = psutil.Process()
        found: dict[int, float] = {}
        for proc in [me, *me.children(recursive=True)]:
            try:
                times = proc.cpu_times()
            except psutil.Error:
                continue
            found[proc.pid] = times.user + times.system
        return found

    def __enter__(self) -> CpuTime:
        self._start = self._sample()
        return self

    def __exit__(self, *exc: object) -> None:
        end = self._sample()
        self.seconds = sum(t - self._start.get(pid, 0.0) for pid, t in end.items())


@dataclass
class _Cached:
    stamp: tuple[int, int]
    body: bytes
    etag: str
    modified: str


class FeedServer:
    """Serves the files under ``root`` on 127.0.0.1 with ETag, Last-Modified and 304 answers.

    A real threading HTTP server on loopback, as a partner's web server would answer a
    conditional GET: ``If-None-Match`` matching the file's content hash gives 304 Not Modified.
    Files are re-read when their size or modification time changes (a mutated feed).
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root).resolve()
        self.requests = 0
        self.not_modified = 0
        self._cache: dict[Path, _Cached] = {}
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/"

    def _file(self, path: Path) -> _Cached | None:
        try:
            st = path.stat()
        except OSError:
            return None
        stamp = (st.st_mtime_ns, st.st_size)
        with self._lock:
            cached = self._cache.get(path)
            if cached is None or cached.stamp != stamp:
                body = path.read_bytes()
                etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
                cached = _Cached(stamp, body, etag, formatdate(st.st_mtime, usegmt=True))
                self._cache[path] = cached
            return cached

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                return None

            def do_GET(self) -> None:
                server.requests += 1
                target = (server.root / self.path.split("?")[0].lstrip("/")).resolve()
                if not target.is_relative_to(server.root):
                    self.send_error(404)
                    return
                found = server._file(target)
                if found is None:
                    self.send_error(404)
                    return
                match = self.headers.get("If-None-Match")
                since = self.headers.get("If-Modified-Since")
                if match == found.etag or (match is None and since == found.modified):
                    server.not_modified += 1
                    self.send_response(304)
                    self.send_header("ETag", found.etag)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/turtle; charset=utf-8")
                self.send_header("Content-Length", str(len(found.body)))
                self.send_header("ETag", found.etag)
                self.send_header("Last-Modified", found.modified)
                self.end_headers()
                self.wfile.write(found.body)

        return Handler

    def reset_counts(self) -> None:
        self.requests = 0
        self.not_modified = 0

    def __enter__(self) -> FeedServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


@contextmanager
def stopwatch() -> Iterator[list[float]]:
    """``with stopwatch() as t: …`` then ``t[0]`` holds the elapsed seconds."""
    box = [0.0]
    started = time.perf_counter()
    try:
        yield box
    finally:
        box[0] = time.perf_counter() - started
