"""More than one server process on one port: a writer and read-only replicas.

Why: a Python process answers on about one core (the GIL), so one server process leaves the
second core of a 2-core machine to the load. The store directory has one owner (RocksDB allows
one writing process): the *writer* opens it, runs harvests and publishes snapshots, exactly as
the single-process server does. A *replica* opens nothing for writing: its catalogue and its
SPARQL workers read the published snapshots (as SPARQL workers always have), and the offer
index is SQLite in WAL mode, so a replica sees each re-index the writer commits (within the
catalogue's generation TTL). No HTTP route writes, so every request can go to any process.

``bildungsnetz serve`` with ``[server] processes = N`` (N > 1) becomes a small supervisor
(:func:`supervise`): it opens the listening socket, starts the writer and N - 1 replicas as
fresh interpreters (``python -m registry.replica``; never forked from a process holding
RocksDB) that inherit the socket and accept from it (the pre-fork model: the kernel hands each
new connection to one process), restarts a replica that dies, and ends everything when the
writer ends or on SIGINT/SIGTERM. Prometheus counters are kept per process in files under a
temporary directory and summed by whichever process answers ``/metrics``.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

import pyoxigraph as ox

from .errors import RegistryError
from .store import GraphDelta, PyoxigraphReads, SnapshotReader, Store

__all__ = ["MULTIPROC_ENV", "SnapshotStore", "main", "supervise"]

log = logging.getLogger(__name__)

#: where prometheus-client keeps per-process metric files (set for every child)
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
#: the file the writer creates once its app is made (its offer index built): replicas wait
#: for it, so none answers from an index the writer is still building
READY_ENV = "BILDUNGSNETZ_WRITER_READY"
#: seconds a replica waits for the writer's first snapshot and index (a cold index build
#: of a large store takes minutes)
READY_TIMEOUT_S = 3600.0
#: seconds the children get to finish their requests after SIGTERM
STOP_GRACE_S = 10.0


class SnapshotStore(PyoxigraphReads):
    """A store directory seen by a process that does not own it: every read goes to the
    newest published snapshot; writes are refused."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._snapshots = self.path / "snapshots"
        self._reader = SnapshotReader(self._snapshots)

    def snapshot_reader(self) -> SnapshotReader:
        return SnapshotReader(self._snapshots)

    def _reads(self) -> ox.Store:
        return self._reader.current()

    def _refuse(self) -> RegistryError:
        return RegistryError(f"this process only reads {self.path}; the writer process owns it")

    def update(self, sparql: str) -> None:
        raise self._refuse()

    def replace_graph(self, graph: str, triples: Iterable[ox.Triple]) -> GraphDelta:
        raise self._refuse()

    def change_graph_ntriples(self, graph: str, *, remove: bytes, add: bytes) -> GraphDelta:
        raise self._refuse()

    def add(self, graph: str, triples: Iterable[ox.Triple]) -> None:
        raise self._refuse()

    def remove_graph(self, graph: str) -> None:
        raise self._refuse()


# -- the supervisor -----------------------------------------------------------------------------
def listening_socket(host: str, port: int) -> socket.socket:
    """The server socket all processes accept from (inheritable by the children)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise RegistryError(f"cannot listen on {host}:{port}: {exc.strerror}") from exc
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def _child(
    role: str,
    sock: socket.socket,
    config: Path,
    store: Path,
    args: Sequence[str],
    env: dict[str, str],
) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-m", "registry.replica", role, "--fd", str(sock.fileno())]
    cmd += ["--config", str(config), "--store", str(store), *args]
    return subprocess.Popen(cmd, pass_fds=[sock.fileno()], env=env)


def supervise(
    processes: int,
    *,
    config: Path,
    store: Path,
    host: str,
    port: int,
    harvest_on_start: bool,
    banner: str | None,
) -> int:
    """Run the writer and ``processes - 1`` replicas on ``host:port`` until the writer ends
    or a signal arrives; the writer's exit code."""
    sock = listening_socket(host, port)
    metrics_dir = Path(tempfile.mkdtemp(prefix="bildungsnetz-metrics-"))
    env = {
        **os.environ,
        MULTIPROC_ENV: str(metrics_dir),
        READY_ENV: str(metrics_dir / "writer.ready"),  # not a metrics file (no .db)
    }
    address = ["--host", host, "--port", str(port)]
    writer_args = [*address, *(["--harvest-on-start"] if harvest_on_start else [])]
    if banner:
        writer_args += ["--banner", banner]
    stopping = False

    def stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    old = {s: signal.signal(s, stop) for s in (signal.SIGINT, signal.SIGTERM)}
    writer = _child("writer", sock, config, store, writer_args, env)
    replicas = [_child("replica", sock, config, store, address, env) for _ in range(processes - 1)]
    log.info(
        "serving with %d processes: writer %d, replicas %s",
        processes,
        writer.pid,
        [r.pid for r in replicas],
    )
    ended_by_itself = False
    try:
        while not stopping:
            if writer.poll() is not None:
                ended_by_itself = True
                break
            for i, replica in enumerate(replicas):
                if replica.poll() is not None and not stopping:
                    log.warning(
                        "replica %d ended (%s); starting another", replica.pid, replica.returncode
                    )
                    replicas[i] = _child("replica", sock, config, store, address, env)
            time.sleep(0.2)
    finally:
        _stop_all([writer, *replicas])
        sock.close()
        shutil.rmtree(metrics_dir, ignore_errors=True)
        for s, handler in old.items():
            signal.signal(s, handler)
    if not ended_by_itself:
        # uvicorn re-raises the SIGTERM it handled: a writer ended by it stopped cleanly
        return 0 if writer.returncode in (0, -signal.SIGTERM) else 1
    code = writer.returncode or 0
    return 128 - code if code < 0 else code


def _stop_all(children: list[subprocess.Popen[bytes]]) -> None:
    """SIGTERM (uvicorn finishes the open requests), SIGKILL after :data:`STOP_GRACE_S`."""
    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + STOP_GRACE_S
    for child in children:
        try:
            child.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


# -- the children -------------------------------------------------------------------------------
def _wait_for_writer(store: Path) -> None:
    """A replica starts once the writer has published a snapshot and built the index (the
    writer says so with the file named by :data:`READY_ENV`; the first committed source of an
    index build is not enough: the replica would answer from a partial index while the
    generation moves with every further source).

    Only reads (``mode=ro``): opening :class:`~registry.offer_index.OfferIndex` would create
    or upgrade the tables, racing the writer that is creating them."""
    deadline = time.monotonic() + READY_TIMEOUT_S
    current = store / "snapshots" / "CURRENT"
    index_path = store / "offers.sqlite"
    ready = os.environ.get(READY_ENV)
    while time.monotonic() < deadline:
        if (
            current.exists()
            and index_path.exists()
            and _index_generation(index_path) > 0
            and (ready is None or Path(ready).exists())
        ):
            return
        time.sleep(0.5)
    raise RegistryError(f"the writer did not publish {store} within {READY_TIMEOUT_S:.0f} s")


def _index_generation(path: Path) -> int:
    """The committed re-index count of the writer's offer index (0: not there yet)."""
    try:
        with contextlib.closing(sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)) as conn:
            row = conn.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()
    except sqlite3.Error:  # the writer is still creating it
        return 0
    return int(row[0]) if row else 0


def main(argv: list[str] | None = None) -> None:
    """Entry of one child process (started by :func:`supervise`)."""
    from .app import create_app, pipeline_harvester
    from .cli.serve import configure_logging, serve_app
    from .config import load_sources
    from .store import OxigraphStore

    parser = argparse.ArgumentParser(prog="python -m registry.replica")
    parser.add_argument("role", choices=["writer", "replica"])
    parser.add_argument("--fd", type=int, required=True)
    parser.add_argument("--config", type=Path, required=True)
    parser.add_argument("--store", type=Path, required=True)
    parser.add_argument("--host", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--harvest-on-start", action="store_true")
    parser.add_argument("--banner")
    args = parser.parse_args(argv)
    configure_logging()
    sources = load_sources(args.config)
    settings = sources.server_settings(host=args.host, port=args.port)
    sock = socket.socket(fileno=args.fd)
    store: Store
    if args.role == "writer":
        store = OxigraphStore(args.store)
        harvester = pipeline_harvester(sources) if args.harvest_on_start else None
    else:
        _wait_for_writer(args.store)
        store = SnapshotStore(args.store)
        harvester = None
    try:
        app = create_app(store, sources=sources, settings=settings, harvester=harvester)
        ready = os.environ.get(READY_ENV)
        if args.role == "writer" and ready:
            Path(ready).touch()
        serve_app(app, sock=sock, banner=args.banner)
    finally:
        store.close()


if __name__ == "__main__":
    # run the module's own main, so the classes the app checks (SnapshotStore) are the ones
    # of ``registry.replica``, not copies defined in ``__main__``
    from registry.replica import main as replica_main

    replica_main()
