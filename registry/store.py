"""The store: everything the registry reads and writes goes through :class:`Store`.

Two implementations share the interface: :class:`OxigraphStore` (embedded pyoxigraph, on disk
by default) and ``RemoteStore`` (a SPARQL 1.1 + Graph Store Protocol server, in
``registry/remote_store.py``).

How the embedded store keeps the promises of the architecture:

* **One writer.** RocksDB allows one process per directory, so the process that opened the
  store (the server, or ``bildungsnetz harvest``) is the only writer.
* **Readers never see half a swap.** After a batch of writes the writer *publishes a snapshot*:
  a RocksDB checkpoint (hard links, cheap) under ``snapshots/``. Readers — the API in the
  server process and the SPARQL query worker processes — open the current snapshot read-only, so
  they see whole swaps only, and a query worker can be killed without touching the store.
* **A swap is a diff.** :meth:`Store.replace_graph` compares the new content with the graph's
  current triples, as N-Triples lines, and applies only the difference: the removed lines in
  one ``DELETE DATA``, the added ones with a transactional load, or the bulk loader above
  1,000 lines (a cold feed). An unchanged re-harvest writes nothing; 1 % changed writes 1 %.
  The "current triples" are what the last swap of the graph wrote, remembered compressed in
  the process while no other write names the graph and its quad count agrees; otherwise the
  graph is dumped. Readers never see the bulk loader's partial state: they read published
  snapshots only. Before a swap the target content is written to ``journal/``; a crash in the
  middle is finished when the store is next opened, so a graph is never left half replaced.
* **A diff made elsewhere.** :meth:`Store.remembered` hands out that remembered content with a
  token naming the swap that wrote it; a worker process diffs the new content against it
  (:func:`diff_ntriples`) and :meth:`Store.change_graph` applies the lines removed and added
  while the token still names the graph's last write (else the caller replaces the graph
  whole). The writer then touches only the changed lines: unpacking, splitting and repacking
  ~11k lines per feed was most of its cost in a re-harvest where a few offers of every feed
  changed. Its journal holds just those lines; replaying it twice gives the same graph.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import uuid
import zlib
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeAlias

import pyoxigraph as ox

from .errors import QuerySyntaxError, RegistryError

__all__ = [
    "GraphChange",
    "GraphDelta",
    "OxigraphStore",
    "PyoxigraphReads",
    "QueryResult",
    "Remembered",
    "SnapshotReader",
    "Store",
    "diff_ntriples",
    "open_store",
]

QueryResult: TypeAlias = ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples

#: above this many new triples a swap adds them with the bulk loader (measured 3x faster than a
#: transactional load at 11k triples); below it, one transaction
_BULK_THRESHOLD = 1_000
#: publish compacts the store first once this many triples were bulk-loaded since the last
#: compaction: a snapshot keeps the bulk loader's files as they are, and uncompacted they made
#: readers' aggregations about 1.8x slower (10k offers); compacting costs 0.7 s at 229k quads,
#: 4-5 s at 2.27M, so small changes do not pay it
_COMPACT_AFTER = 100_000


@dataclass(frozen=True)
class GraphDelta:
    """What a :meth:`Store.replace_graph` changed."""

    added: int
    removed: int

    @property
    def changed(self) -> bool:
        return bool(self.added or self.removed)


@dataclass(frozen=True)
class Remembered:
    """A graph's content as the last swap through the store wrote it (zlib-packed N-Triples
    lines), and the token naming that swap: a new token for every write of the graph."""

    token: str
    packed: bytes


@dataclass(frozen=True)
class GraphChange:
    """From :func:`diff_ntriples`: the N-Triples lines to remove and to add to turn the
    content of the swap ``base`` names into a new content, which comes along packed (the
    next diff's base, and the content to swap in whole if the graph moved on meanwhile)."""

    base: str
    remove: bytes
    add: bytes
    packed: bytes
    #: lines of the new content
    lines: int

    def content(self) -> bytes:
        """The new content as N-Triples."""
        return zlib.decompress(self.packed)


class Store(ABC):
    """What the registry needs from a triple store."""

    #: the store directory of an on-disk store (None: in memory or remote)
    path: Path | None = None

    @abstractmethod
    def query(
        self,
        sparql: str,
        *,
        default_graph: Sequence[str] | None = None,
        named_graphs: Sequence[str] | None = None,
    ) -> QueryResult:
        """Run a SPARQL query; the default graph is the union of all graphs unless
        ``default_graph`` names graphs."""

    @abstractmethod
    def update(self, sparql: str) -> None:
        """Run a SPARQL update (one transaction)."""

    @abstractmethod
    def triples(self, graph: str) -> Iterator[ox.Triple]:
        """The triples of one named graph."""

    @abstractmethod
    def replace_graph(self, graph: str, triples: Iterable[ox.Triple]) -> GraphDelta:
        """Make ``graph`` hold exactly ``triples``; readers see the old or the new graph."""

    def replace_graph_ntriples(self, graph: str, content: bytes) -> GraphDelta:
        """Make ``graph`` hold the N-Triples ``content``: for writers that render text
        directly (the per-feed state and report, thousands of cached lines per feed)."""
        triples: list[ox.Triple] = []
        if content.strip():
            triples = [ox.Triple(q.subject, q.predicate, q.object) for q in ox.parse(content, _NT)]
        return self.replace_graph(graph, triples)

    def change_graph_ntriples(self, graph: str, *, remove: bytes, add: bytes) -> GraphDelta:
        """Remove and add N-Triples lines in one transaction: for a writer that knows what
        changed (the feed state and report, whose lines are rendered per offer)."""
        sparql = _delta_update(graph, remove, add)
        if sparql:
            self.update(sparql)
        return GraphDelta(added=add.count(b"\n"), removed=remove.count(b"\n"))

    def remembered(self, graph: str) -> Remembered | None:
        """What the last swap of ``graph`` wrote, when the store remembers it and nothing
        else wrote the graph since (``None``: a caller must send the whole content)."""
        return None

    def cache_dir(self, name: str) -> Path | None:
        """A folder beside the store for the cache ``name`` (files that may be deleted at any
        time); ``None`` for a store that has no place on disk."""
        return None

    def change_graph(self, graph: str, change: GraphChange) -> GraphDelta | None:
        """Apply ``change`` when ``graph`` still holds what its base token names; ``None``
        (nothing written) when not: the caller replaces the graph with ``change.content()``."""
        return None

    @abstractmethod
    def add(self, graph: str, triples: Iterable[ox.Triple]) -> None:
        """Add triples to ``graph`` in one transaction."""

    @abstractmethod
    def remove_graph(self, graph: str) -> None:
        """Remove a named graph and its triples."""

    @abstractmethod
    def named_graphs(self) -> list[str]:
        """IRIs of the named graphs."""

    @abstractmethod
    def dump(self, format: ox.RdfFormat, *, graph: str | None = None) -> bytes:
        """Serialise one graph, or the whole dataset for a dataset format."""

    def publish(self) -> None:  # noqa: B027 - optional hook, nothing to do by default
        """Make the writes so far visible to snapshot readers."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release the store."""

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_NT = ox.RdfFormat.N_TRIPLES
#: an update that may write graphs it does not name by IRI
_ANY_GRAPH = re.compile(r"GRAPH\s*[?$]|\b(?:ALL|NAMED|DEFAULT|WITH|LOAD|USING)\b", re.IGNORECASE)
#: a graph an update names (``GRAPH <g>``, ``DROP GRAPH <g>``, ``ADD <a> TO <b>`` …)
_NAMED_GRAPH = re.compile(
    r"\b(?:GRAPH|INTO|TO|ADD|COPY|MOVE)\s+(?:SILENT\s+)?<([^>]*)>", re.IGNORECASE
)
#: a blank node as subject (line start) or object (last term) of an N-Triples line; a literal
#: ending in such text matches too, which only costs a whole swap instead of a diff
_BLANK = re.compile(rb"^_:|\s_:\S+ \.$", re.MULTILINE)


def _delta_update(graph: str, remove: bytes, add: bytes) -> str:
    """One SPARQL update removing and adding N-Triples lines in ``graph`` ("" if neither)."""
    parts = []
    if remove.strip():
        parts.append(f"DELETE DATA {{ GRAPH <{graph}> {{ {remove.decode('utf-8')} }} }}")
    if add.strip():
        parts.append(f"INSERT DATA {{ GRAPH <{graph}> {{ {add.decode('utf-8')} }} }}")
    return " ;\n".join(parts)


def _nt_bytes(triples: Iterable[ox.Triple]) -> bytes:
    return ox.serialize(list(triples), format=_NT) or b""


def _has_blank_nodes(data: bytes) -> bool:
    return b"_:" in data and _BLANK.search(data) is not None


def _lines(data: bytes) -> set[bytes]:
    return {line for line in data.split(b"\n") if line}


def _joined(lines: set[bytes]) -> bytes:
    return b"\n".join(lines) + b"\n" if lines else b""


def _pack(content: bytes) -> Remembered:
    return Remembered(token=uuid.uuid4().hex, packed=zlib.compress(content, 1))


def diff_ntriples(base: Remembered, content: bytes) -> GraphChange | None:
    """The change from ``base`` to the N-Triples ``content``, for :meth:`Store.change_graph`;
    ``None`` where only a whole swap will do: blank nodes on either side (the store relabels
    them), no content left, or most of the graph going. Pure: runs in a worker process, so
    the writer never splits or repacks the ~11k lines of a feed where a few offers changed."""
    if not content.strip():
        return None
    old_data = zlib.decompress(base.packed)
    if _has_blank_nodes(old_data) or _has_blank_nodes(content):
        return None
    new, old = _lines(content), _lines(old_data)
    to_add, to_remove = new - old, old - new
    if to_remove and len(to_remove) >= len(new):
        return None
    return GraphChange(
        base=base.token,
        remove=_joined(to_remove),
        add=_joined(to_add),
        # the same lines: the old packing serves as the next base
        packed=zlib.compress(content, 1) if to_add or to_remove else base.packed,
        lines=content.count(b"\n"),
    )


def _translate(exc: Exception) -> RegistryError:
    return QuerySyntaxError(str(exc))


class PyoxigraphReads(Store):
    """The reading half of :class:`Store` over a pyoxigraph store that :meth:`_reads` names
    (the writer's own store, or a published snapshot for a process that only reads)."""

    @abstractmethod
    def _reads(self) -> ox.Store:
        """The pyoxigraph store reads go to."""

    def query(
        self,
        sparql: str,
        *,
        default_graph: Sequence[str] | None = None,
        named_graphs: Sequence[str] | None = None,
    ) -> QueryResult:
        return _run_query(self._reads(), sparql, default_graph, named_graphs)

    def triples(self, graph: str) -> Iterator[ox.Triple]:
        for q in self._reads().quads_for_pattern(None, None, None, ox.NamedNode(graph)):
            yield ox.Triple(q.subject, q.predicate, q.object)

    def named_graphs(self) -> list[str]:
        graphs = self._reads().named_graphs()
        return sorted(g.value for g in graphs if isinstance(g, ox.NamedNode))

    def dump(self, format: ox.RdfFormat, *, graph: str | None = None) -> bytes:
        store = self._reads()
        if graph is not None:
            return store.dump(format=format, from_graph=ox.NamedNode(graph)) or b""
        return store.dump(format=format) or b""


class OxigraphStore(PyoxigraphReads):
    """The embedded pyoxigraph store; ``path=None`` keeps everything in memory (tests)."""

    def __init__(self, path: Path | str | None = None) -> None:
        self.path = Path(path) if path is not None else None
        #: graph -> the N-Triples the last swap wrote (zlib): the "old" side of the next diff
        #: without dumping the graph (see :meth:`_old`)
        self._last: dict[str, Remembered] = {}
        #: triples bulk-loaded since the last compaction (see _COMPACT_AFTER)
        self._bulk_loaded = 0
        if self.path is None:
            self._store = ox.Store()
        else:
            (self.path / "data").mkdir(parents=True, exist_ok=True)
            try:
                self._store = ox.Store(str(self.path / "data"))
            except OSError as exc:
                raise RegistryError(
                    f"cannot open the store at {self.path}: {exc} "
                    "(is another process using it? one process owns a store directory)"
                ) from exc
            self._recover()

    # -- reading -------------------------------------------------------------------------
    @property
    def raw(self) -> ox.Store:
        """The pyoxigraph store, for code that needs its full API (bulk export, benchmarks).

        Whoever holds it may write behind this object's back, so the remembered contents of
        earlier swaps (see :meth:`_old`) are dropped: the next swap of each graph dumps it.
        """
        self._last.clear()
        return self._store

    def _reads(self) -> ox.Store:
        return self._store

    # -- writing -------------------------------------------------------------------------
    def update(self, sparql: str) -> None:
        self._forget_for(sparql)
        try:
            self._store.update(sparql)
        except SyntaxError as exc:
            raise _translate(exc) from exc

    def add(self, graph: str, triples: Iterable[ox.Triple]) -> None:
        self._last.pop(graph, None)
        g = ox.NamedNode(graph)
        self._store.extend([ox.Quad(t.subject, t.predicate, t.object, g) for t in triples])

    def remove_graph(self, graph: str) -> None:
        self._last.pop(graph, None)
        g = ox.NamedNode(graph)
        if self._store.contains_named_graph(g):
            self._store.remove_graph(g)

    def replace_graph(self, graph: str, triples: Iterable[ox.Triple]) -> GraphDelta:
        return self.replace_graph_ntriples(graph, _nt_bytes(set(triples)))

    def change_graph_ntriples(self, graph: str, *, remove: bytes, add: bytes) -> GraphDelta:
        # the graph is known: forget its remembered content without scanning the update text
        # for graph names (a regex over megabytes of lines on every harvest of a big feed)
        self._last.pop(graph, None)
        sparql = _delta_update(graph, remove, add)
        if sparql:
            try:
                self._store.update(sparql)
            except SyntaxError as exc:
                raise _translate(exc) from exc
        return GraphDelta(added=add.count(b"\n"), removed=remove.count(b"\n"))

    def remembered(self, graph: str) -> Remembered | None:
        return self._last.get(graph)

    def cache_dir(self, name: str) -> Path | None:
        return None if self.path is None else self.path / "cache" / name

    def change_graph(self, graph: str, change: GraphChange) -> GraphDelta | None:
        last = self._last.get(graph)
        if last is None or last.token != change.base:
            return None
        delta = GraphDelta(added=change.add.count(b"\n"), removed=change.remove.count(b"\n"))
        if not delta.changed:
            return delta  # the same lines: the remembered content stays true
        journal = self._write_change_journal(graph, change.remove, change.add)
        try:
            del self._last[graph]
            self._apply_change(graph, change.remove, change.add)
            self._last[graph] = Remembered(token=uuid.uuid4().hex, packed=change.packed)
        finally:
            if journal is not None:
                journal.unlink(missing_ok=True)
        return delta

    def _apply_change(self, graph: str, remove: bytes, add: bytes) -> None:
        """Delete the ``remove`` lines, then add the ``add`` lines: the same graph however
        often it runs (recovery may repeat a change that was applied before a crash)."""
        g = ox.NamedNode(graph)
        if remove.strip():
            self._store.update(f"DELETE DATA {{ GRAPH <{graph}> {{ {remove.decode('utf-8')} }} }}")
        self._load(g, add, add.count(b"\n"))
        if not self._store.contains_named_graph(g):
            self._store.add_graph(g)

    def replace_graph_ntriples(self, graph: str, content: bytes) -> GraphDelta:
        journal = self._write_journal(graph, content)
        try:
            delta = self._apply(graph, content)
        finally:
            if journal is not None:
                journal.unlink(missing_ok=True)
        return delta

    def _apply(self, graph: str, content: bytes) -> GraphDelta:
        """Make ``graph`` hold the N-Triples ``content`` (distinct lines).

        The diff is taken on N-Triples lines: the old graph is dumped by Oxigraph and the new
        content serialised once (for the journal too), so no Python term objects are built for
        the triples that stay. Removals go first (a typed literal comes back from the store in
        canonical form, so an equal value may show as one removed and one added line).
        """
        g = ox.NamedNode(graph)
        exists = self._store.contains_named_graph(g)
        old_data = self._old(graph, g) if exists else b""
        self._last.pop(graph, None)
        new = _lines(content)
        old = _lines(old_data)
        if _has_blank_nodes(old_data) or _has_blank_nodes(content):
            # blank nodes get new labels on insert, so no diff can match them: swap whole
            if exists:
                self._store.clear_graph(g)
            self._load(g, content, len(new))
            return GraphDelta(added=len(new), removed=len(old))
        to_add = new - old
        to_remove = old - new
        if to_remove and len(to_remove) >= len(new):
            # most of the graph goes: clearing and loading is cheaper than a long DELETE DATA
            self._store.clear_graph(g)
            self._load(g, content, len(new))
        else:
            if to_remove:
                body = b"\n".join(to_remove).decode("utf-8")
                self._store.update(f"DELETE DATA {{ GRAPH <{graph}> {{ {body} }} }}")
            if to_add:
                self._load(g, b"\n".join(to_add) + b"\n", len(to_add))
        if not new:
            self.remove_graph(graph)
            return GraphDelta(added=len(to_add), removed=len(to_remove))
        if not self._store.contains_named_graph(g):
            self._store.add_graph(g)
        self._last[graph] = _pack(content)
        return GraphDelta(added=len(to_add), removed=len(to_remove))

    def _old(self, graph: str, g: ox.NamedNode) -> bytes:
        """The graph's current content as N-Triples: what the last swap wrote, when no other
        write touched the graph since, else a dump. Every write through this object forgets
        the graphs it may touch, and handing out :attr:`raw` forgets all, so no count of the
        graph is needed to trust it (counting cost more than the diff it guarded).

        Dumping the old graph was the largest single cost of a re-harvest (every changed feed
        and its state graph). The remembered content is the swap's own lines, so a typed
        literal the store canonicalised (``1234.50`` → ``1234.5``) does not show as changed.
        """
        last = self._last.get(graph)
        if last is not None:
            return zlib.decompress(last.packed)
        return self._store.dump(format=_NT, from_graph=g) or b""

    def _forget_for(self, sparql: str) -> None:
        """Drop remembered contents an update may change: graphs it names, or all when it
        could write a graph it does not name (a graph variable, ALL, NAMED, DEFAULT, WITH)."""
        if not self._last:
            return
        if _ANY_GRAPH.search(sparql):
            self._last.clear()
            return
        for graph in _NAMED_GRAPH.findall(sparql):
            self._last.pop(graph, None)

    def _load(self, g: ox.NamedNode, data: bytes, count: int) -> None:
        if not count:
            return
        if count > _BULK_THRESHOLD:
            self._store.bulk_load(data, format=_NT, to_graph=g)
            self._bulk_loaded += count
        else:
            self._store.load(data, format=_NT, to_graph=g)

    # -- crash safety ----------------------------------------------------------------------
    def _journal_dir(self) -> Path | None:
        return None if self.path is None else self.path / "journal"

    def _write_journal(self, graph: str, content: bytes | Iterable[ox.Triple]) -> Path | None:
        data = content if isinstance(content, bytes) else _nt_bytes(set(content))
        return self._journal(graph, f"# graph <{graph}>\n".encode() + data)

    def _write_change_journal(self, graph: str, remove: bytes, add: bytes) -> Path | None:
        """A change's journal: the lines to remove (their byte length in the header), then
        the lines to add."""
        return self._journal(graph, f"# change <{graph}> {len(remove)}\n".encode() + remove + add)

    def _journal(self, graph: str, data: bytes) -> Path | None:
        jdir = self._journal_dir()
        if jdir is None:
            return None
        jdir.mkdir(exist_ok=True)
        name = hashlib.sha256(graph.encode()).hexdigest()[:32]
        target = jdir / f"{name}.nt"
        tmp = target.with_suffix(".tmp")
        tmp.write_bytes(data)
        os.replace(tmp, target)
        return target

    def _recover(self) -> None:
        """Finish swaps that a crash interrupted: each journal holds a graph's target content."""
        jdir = self._journal_dir()
        if jdir is None or not jdir.is_dir():
            return
        for stale in jdir.glob("*.tmp"):
            stale.unlink()  # written before the swap began: the old graph is intact
        for journal in sorted(jdir.glob("*.nt")):
            header, _sep, content = journal.read_bytes().partition(b"\n")
            text = header.decode("utf-8").rstrip()
            if text.startswith("# change <"):
                graph, _gt, size = text.removeprefix("# change <").rpartition("> ")
                cut = int(size)
                self._apply_change(graph, content[:cut], content[cut:])
            else:
                graph = text.removeprefix("# graph <").removesuffix(">")
                self._apply(graph, content)
            journal.unlink()

    # -- snapshots -------------------------------------------------------------------------
    def _snapshot_dir(self) -> Path | None:
        return None if self.path is None else self.path / "snapshots"

    def publish(self) -> None:
        sdir = self._snapshot_dir()
        if sdir is None:
            return
        sdir.mkdir(exist_ok=True)
        self._store.flush()
        if self._bulk_loaded >= _COMPACT_AFTER:
            self._store.optimize()
            self._bulk_loaded = 0
        generation = _current_generation(sdir) + 1
        target = sdir / f"gen-{generation:08d}"
        if target.exists():
            shutil.rmtree(target)
        self._store.backup(str(target))
        tmp = sdir / "CURRENT.tmp"
        tmp.write_text(target.name, encoding="utf-8")
        os.replace(tmp, sdir / "CURRENT")
        _prune(sdir, keep=3)

    def snapshot_reader(self) -> SnapshotReader | None:
        """A reader of the published snapshots, or ``None`` for an in-memory store."""
        sdir = self._snapshot_dir()
        if sdir is None:
            return None
        if not (sdir / "CURRENT").exists():
            self.publish()
        return SnapshotReader(sdir)

    def close(self) -> None:
        self._store.flush()


def _run_query(
    store: ox.Store,
    sparql: str,
    default_graph: Sequence[str] | None,
    named_graphs: Sequence[str] | None,
) -> QueryResult:
    kwargs: dict[str, object] = {}
    if default_graph:
        kwargs["default_graph"] = [ox.NamedNode(g) for g in default_graph]
    else:
        kwargs["use_default_graph_as_union"] = True
    if named_graphs:
        kwargs["named_graphs"] = [ox.NamedNode(g) for g in named_graphs]
    try:
        return store.query(sparql, **kwargs)  # type: ignore[arg-type]
    except SyntaxError as exc:
        raise _translate(exc) from exc


def _current_generation(sdir: Path) -> int:
    current = sdir / "CURRENT"
    if not current.exists():
        return 0
    return int(current.read_text(encoding="utf-8").strip().removeprefix("gen-"))


def _prune(sdir: Path, *, keep: int) -> None:
    generations = sorted(p for p in sdir.glob("gen-*") if p.is_dir())
    for old in generations[:-keep]:
        shutil.rmtree(old, ignore_errors=True)


class SnapshotReader:
    """Opens the current published snapshot read-only and follows newer ones.

    Each process that reads (the API, each SPARQL worker) holds its own reader. A snapshot
    directory is never written after it is published, so read-only access is safe.
    """

    def __init__(self, snapshots: Path) -> None:
        self.snapshots = Path(snapshots)
        self._name: str | None = None
        self._store: ox.Store | None = None

    def current(self) -> ox.Store:
        """The store of the newest snapshot (reopened only when a newer one was published)."""
        name = (self.snapshots / "CURRENT").read_text(encoding="utf-8").strip()
        if name != self._name or self._store is None:
            self._store = ox.Store.read_only(str(self.snapshots / name))
            self._name = name
        return self._store

    @property
    def generation(self) -> str | None:
        return self._name

    def query(
        self,
        sparql: str,
        *,
        default_graph: Sequence[str] | None = None,
        named_graphs: Sequence[str] | None = None,
    ) -> QueryResult:
        return _run_query(self.current(), sparql, default_graph, named_graphs)


def open_store(location: str | Path | None) -> Store:
    """The store at ``location``: a directory (embedded), ``http(s)://…`` (remote), or memory."""
    if location is None or str(location) == ":memory:":
        return OxigraphStore(None)
    text = str(location)
    if text.startswith(("http://", "https://")):
        from .remote_store import RemoteStore  # remote access is optional

        return RemoteStore(text)
    return OxigraphStore(Path(text))
