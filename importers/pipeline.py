"""The harvest: the stages in order, for one feed and for many, with one writer.

Per feed, :func:`prepare` (run in worker threads, never touching the store) fetches, parses,
normalises, checks ownership and validates; :func:`commit` (run only by the calling thread,
the one writer) decides with the collapse guard, swaps the source graph, saves the feed state,
records the run and publishes a snapshot. A failure in any stage before the swap ends as a run
record with a reason, and the last good graph stays published.

Concurrency: :func:`prepare` runs in ``[harvest] processes`` worker processes (spawned once
and kept for later harvests), one feed per process at a time; the calling process is the one
writer. A worker that dies (out of memory on a monstrous feed) fails its feed's run, not the
harvest, and the pool is started anew. Parsing and SHACL validation are CPU work under one
interpreter lock, so threads would share one core: measured at 10k offers, the process pool
takes a cold harvest from one core to two. A worker gets the feed state as content hashes
(and the violations of unchanged offers, which decide quarantine) and sends back the graph to
publish as N-Triples text; the writer puts its own reports back for the offers the worker
found unchanged, so their rendered report and state lines are reused. Where the store remembers
what it last wrote to the feed's graph (:meth:`Store.remembered`), the worker gets that too and
sends back only the lines removed and added (:func:`registry.store.diff_ntriples`): the writer's
swap then costs what changed, not the ~11k lines of the feed. With ``processes = 0``,
or a validator passed in (tests), threads do the same; validation then holds a lock (sharing
the shapes graph across threads is not documented as safe).

Steady state: a 304 stops after the request; a 200 with the same content hash as the last good
fetch (and the same shapes) stops before parsing; otherwise unchanged offers reuse their reports
from the feed state (``Validator.validate(previous=…)``).
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import multiprocessing
import threading
import uuid
import weakref
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import (
    Executor,
    Future,
    ProcessPoolExecutor,
    ThreadPoolExecutor,
    as_completed,
)
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from registry.config import Feed, Partner, Sources
from registry.errors import InputError, OwnershipError, RegistryError
from registry.namespaces import VOCABULARY_GRAPH
from registry.registry_graph import publish_sources
from registry.resources import shapes_dir
from registry.store import GraphChange, Remembered, Store, diff_ntriples

from .blocks import cache_file, read_blocks
from .fetch import FetchConfig, FetchResult, fetch
from .lines import normalise_lines, own_lines, parse_lines
from .load import collapse_guard_trips, load_graph, publish_ntriples, quarantine
from .normalise import normalise
from .ownership import OwnershipResult, check_ownership
from .parse import check_text, detect_format, ntriples_of
from .record import RunRecord, apply_retention, supply_counts, write_run
from .state import (
    FeedState,
    load_state,
    offer_details,
    prerender,
    save_report,
    save_state,
    state_token,
)
from .validate import OfferReport, ValidationResult, Validator

__all__ = [
    "Prepared",
    "collector_paused",
    "commit",
    "harvest",
    "prepare",
    "shapes_fingerprint",
]

Event = Callable[[str, str], None]


def shapes_fingerprint(directory: Path | None = None) -> str:
    """Hash of the shape files: reports saved under other shapes are not reused."""
    digest = hashlib.sha256()
    for path in sorted((directory or shapes_dir()).glob("*.ttl")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


#: per store, the feed states this process saved with the token saved beside them: the graphs
#: are written only by :func:`commit`, so a re-harvest in the same process (the server, the
#: benchmark) need not parse every offer's report again (a second at 10k offers, paid even
#: when every feed answers 304). A token that no longer agrees means a reload.
_SAVED: weakref.WeakKeyDictionary[Store, dict[str, tuple[str, FeedState]]] = (
    weakref.WeakKeyDictionary()
)


def _save_state(
    store: Store, feed_id: str, state: FeedState, previous: FeedState | None = None
) -> None:
    token = uuid.uuid4().hex
    save_state(store, feed_id, state, token=token, previous=previous)
    # a store that cannot be weakly referenced is simply not cached
    with contextlib.suppress(TypeError):
        _SAVED.setdefault(store, {})[feed_id] = (token, state)


def _load_state(store: Store, feed_id: str) -> FeedState:
    try:
        saved = _SAVED.get(store, {}).get(feed_id)
    except TypeError:
        saved = None
    token = state_token(store, feed_id)
    if saved is not None and saved[0] == token:
        return saved[1]
    state = load_state(store, feed_id)
    if token is not None:  # what this process read is as good as what it wrote
        with contextlib.suppress(TypeError):
            _SAVED.setdefault(store, {})[feed_id] = (token, state)
    return state


_VALIDATORS: dict[str, Validator] = {}


def _default_validator(fingerprint: str) -> Validator:
    """The project's shapes, parsed and compiled once per process and shapes version (a
    third of a second: most of a re-harvest where every feed answers 304)."""
    found = _VALIDATORS.get(fingerprint)
    if found is None:
        _VALIDATORS.clear()
        found = _VALIDATORS[fingerprint] = Validator()
    return found


def _now() -> datetime:
    return datetime.now(UTC)


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """No cyclic garbage collection inside: a harvest makes millions of objects that hold
    no reference cycles (terms, lines, reports), so reference counting frees them all the
    same, while each pass of the collector walks every object alive. In a worker that took a
    third of parsing; in the writer, holding the states of 100k offers, each pass took about
    a second. Process-wide (a server answering during a harvest collects again after it)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@dataclass
class Prepared:
    """What the worker stages produced for one feed; ``outcome`` is set when they stopped."""

    feed: Feed
    partner: Partner
    started: datetime
    outcome: str | None = None
    message: str | None = None
    fetched: FetchResult | None = None
    triples_fetched: int = 0
    ownership: OwnershipResult | None = None
    validation: ValidationResult | None = None
    #: the graph to publish (valid offers and what they share), as N-Triples
    publish: bytes = b""
    #: instead of ``publish``: that graph as a change of what the store remembered
    change: GraphChange | None = None
    rejected: list[str] = field(default_factory=list)
    #: HTTP status of a failed fetch (a successful one is in ``fetched``)
    http_status: int | None = None


def prepare(
    feed: Feed,
    partner: Partner,
    state: FeedState,
    *,
    fetch_config: FetchConfig,
    validator: Validator,
    shapes_hash: str,
    validate_lock: threading.Lock | None = None,
    on_event: Event | None = None,
    base: Remembered | None = None,
    reports: Mapping[str, OfferReport] | None = None,
    blocks: Path | None = None,
) -> Prepared:
    """Fetch, parse, normalise, check ownership and validate one feed (no store access);
    with ``base`` (the store's remembered content of the feed's graph) the graph to publish
    comes as a change of it where a diff can apply. ``reports`` stand in for the last run's
    reports (default ``state.offers``). ``blocks`` is the folder of the parse cache
    (:mod:`importers.blocks`); without it every feed is parsed whole."""
    out = Prepared(feed=feed, partner=partner, started=_now())
    last = state.offers if reports is None else reports
    cache = None if blocks is None else cache_file(blocks, feed.id)
    _prepare_stages(
        out, state, last, fetch_config, validator, shapes_hash, validate_lock, on_event, cache
    )
    if base is not None and out.outcome is None and out.publish:
        try:
            out.change = diff_ntriples(base, out.publish)
        except zlib.error:  # a base that cannot be unpacked: send the whole graph
            out.change = None
        if out.change is not None:
            out.publish = b""
    return out


def _prepare_stages(
    out: Prepared,
    state: FeedState,
    last: Mapping[str, OfferReport],
    fetch_config: FetchConfig,
    validator: Validator,
    shapes_hash: str,
    validate_lock: threading.Lock | None,
    on_event: Event | None,
    cache: Path | None = None,
) -> Prepared:
    """The stages of :func:`prepare`, filling ``out``."""
    feed, partner = out.feed, out.partner
    emit = on_event or (lambda _feed, _stage: None)
    try:
        emit(feed.id, "fetch")
        result = fetch(
            feed.url, config=fetch_config, etag=state.etag, last_modified=state.last_modified
        )
        out.fetched = result
        if result.not_modified:
            out.outcome = "NotModified"
            return out
        data = result.data or b""
        if result.content_hash == state.content_hash and shapes_hash == state.shapes_hash:
            out.outcome = "Unchanged"
            return out
        if not data.strip():
            out.outcome, out.message = "EmptyFeed", "the feed is empty"
            return out
        emit(feed.id, "parse")
        fmt = detect_format(
            name=urlsplit(result.url).path or None,
            content_type=result.content_type,
            data=data,
            declared=feed.format,
        )
        checked = check_text(data, format=fmt, source=feed.id, max_bytes=fetch_config.max_bytes)
        read = None
        lines: list[bytes] | None
        if cache is not None:
            read = read_blocks(
                checked, format=fmt, base_iri=result.url, source_id=feed.id, cache=cache
            )
        if read is not None:
            text, lines, out.triples_fetched = b"", read.lines, read.triples
        else:
            text = ntriples_of(checked, format=fmt, source=feed.id, base_iri=result.url)
            lines = normalise_lines(text, source_id=feed.id)
            out.triples_fetched = text.count(b"\n")
        if not out.triples_fetched:
            out.outcome, out.message = "EmptyFeed", "the feed holds no triples"
            return out
        previous = last if state.shapes_hash == shapes_hash else None
        lock = validate_lock or threading.Lock()
        if lines is None:  # http://schema.org: the rewrite is done on terms
            _prepare_terms(out, text, validator, previous, lock, emit)
            return out
        owned = own_lines(lines, namespaces=partner.namespaces, source_id=feed.id)
        out.ownership = OwnershipResult(
            kept=[],
            dropped=owned.dropped,
            dropped_subjects=owned.dropped_subjects,
            sample=owned.sample,
        )
        emit(feed.id, "validate")
        with lock:
            out.validation = validator.validate_lines(owned.kept, previous=previous)
        conforms = {iri: r.conforms for iri, r in out.validation.offers.items()}
        text, out.validation.ntriples = out.validation.ntriples or b"", None
        if all(conforms.values()):
            out.publish = text
        else:
            kept, out.rejected = quarantine(parse_lines(owned.kept), conforms)
            out.publish = publish_ntriples(kept)
    except OwnershipError as exc:
        out.outcome, out.message = "OwnershipRefused", exc.message
        sample = exc.details.get("sample")
        out.ownership = OwnershipResult(
            kept=[],
            dropped=int(str(exc.details.get("dropped", 0))),
            sample=tuple(str(s) for s in sample) if isinstance(sample, list) else (),
        )
    except InputError as exc:
        out.outcome, out.message = "ParseFailed", str(exc)
        if out.fetched is None:  # over the byte limit while fetching
            out.outcome = "FetchFailed"
    except RegistryError as exc:
        out.outcome, out.message = "FetchFailed", exc.message
        status = exc.details.get("http_status")
        out.http_status = status if isinstance(status, int) else None
    except Exception as exc:  # one feed's unforeseen failure must not end the whole run
        out.outcome = "Failed"
        out.message = f"unexpected error ({type(exc).__name__}): {exc}"
    return out


def _prepare_terms(
    out: Prepared,
    text: bytes,
    validator: Validator,
    previous: Mapping[str, OfferReport] | None,
    lock: threading.Lock,
    emit: Event,
) -> None:
    """Normalise, check ownership and validate on pyoxigraph terms: the way for a feed that
    :func:`~importers.lines.normalise_lines` leaves to :func:`~importers.normalise.normalise`.
    ``out.ownership.kept`` holds the triples kept."""
    feed, partner = out.feed, out.partner
    triples = normalise(parse_lines([text.rstrip(b"\n")]), source_id=feed.id)
    out.ownership = check_ownership(triples, namespaces=partner.namespaces, source_id=feed.id)
    emit(feed.id, "validate")
    with lock:
        out.validation = validator.validate(out.ownership.kept, previous=previous)
    conforms = {iri: r.conforms for iri, r in out.validation.offers.items()}
    kept, out.rejected = quarantine(out.ownership.kept, conforms)
    published, out.validation.ntriples = out.validation.ntriples, None
    # the validator serialised the same distinct triples when nothing is withheld
    out.publish = (
        published if published is not None and not out.rejected else publish_ntriples(kept)
    )


#: marks a stand-in report sent to a worker process (see :func:`_lite_state`)
_STUB = "stub"


class _StandIns(Mapping[str, OfferReport]):
    """The last run's reports as a worker process needs them: per offer its content hash and
    only its violations (quarantine needs them; warnings and rendered text stay). Sent as two
    plain dicts, and a stand-in report is made only for an offer the worker looks up: 500
    report objects per feed, pickled there and back on every harvest, cost more than the
    hashes they carry (on a harvest where every feed answers 304 too)."""

    def __init__(self, reports: Mapping[str, OfferReport]) -> None:
        self.hashes = {iri: r.content_hash for iri, r in reports.items()}
        self.violations = {iri: v for iri, r in reports.items() if (v := r.violations)}

    def __getitem__(self, iri: str) -> OfferReport:
        return OfferReport(
            iri=iri,
            name=None,
            content_hash=self.hashes[iri],
            problems=list(self.violations.get(iri, ())),
            cache={_STUB: True},
        )

    def __iter__(self) -> Iterator[str]:
        return iter(self.hashes)

    def __len__(self) -> int:
        return len(self.hashes)


def _lite_state(state: FeedState) -> tuple[FeedState, _StandIns]:
    """The feed state a worker process needs: conditional-GET keys and, apart, the stand-ins
    of the offers' reports. Made once per state: a feed answering 304 for days sends the same
    each time."""
    found = state.cache.get("lite")
    if isinstance(found, tuple):
        return found
    lite = (replace(state, cache={}, offers={}), _StandIns(state.offers))
    state.cache["lite"] = lite
    return lite


#: what a worker sends back for every offer whose report it reused: one object, so pickling
#: the result costs a reference per reused offer (the writer puts its own report back)
_REUSED = OfferReport(iri="", name=None, content_hash="", cache={_STUB: True})


def _prepare_in_worker(
    feed: Feed,
    partner: Partner,
    state: FeedState,
    fetch_config: FetchConfig,
    shapes_hash: str,
    base: Remembered | None = None,
    reports: _StandIns | None = None,
    blocks: Path | None = None,
) -> Prepared:
    """:func:`prepare` in a worker process, with that process's validator; the triples kept by
    the ownership check are not sent back (the writer needs only the N-Triples to publish),
    nor the reports reused from ``reports`` (the writer has them)."""
    if shapes_fingerprint() != shapes_hash:
        raise RegistryError("the shape files changed while harvesting; run the harvest again")
    validator = _default_validator(shapes_hash)
    with collector_paused():
        out = prepare(
            feed,
            partner,
            state,
            fetch_config=fetch_config,
            validator=validator,
            shapes_hash=shapes_hash,
            base=base,
            reports=reports,
            blocks=blocks,
        )
    if out.ownership is not None:
        out.ownership = replace(out.ownership, kept=[])
    if out.fetched is not None:
        out.fetched = out.fetched.without_data()
    if out.validation is not None:  # the text goes back with the reports, ready to write
        offers = out.validation.offers
        prerender(feed.id, (r for r in offers.values() if not r.cache.get(_STUB)))
        out.validation.offers = {
            iri: _REUSED if r.cache.get(_STUB) else r for iri, r in offers.items()
        }
    return out


def _outcome(future: Future[Prepared], feed: Feed, partner: Partner) -> Prepared:
    """The worker's result, or a failed run when the worker could not deliver one."""
    global _POOL
    try:
        return future.result()
    except BrokenProcessPool:
        with _POOL_LOCK:
            _POOL = None  # the next harvest starts fresh workers
        message = "the worker process ended abruptly (out of memory?); the last good graph stays"
    except Exception as exc:  # e.g. a result that could not be sent back
        message = f"the worker failed ({type(exc).__name__}): {exc}"
    return Prepared(feed=feed, partner=partner, started=_now(), outcome="Failed", message=message)


def _restore(prepared: Prepared, state: FeedState) -> Prepared:
    """Put the writer's own reports back where the worker reused a stand-in."""
    if prepared.validation is not None:
        offers = prepared.validation.offers
        for iri, report in offers.items():
            if report.cache.get(_STUB) and iri in state.offers:
                offers[iri] = state.offers[iri]
    return prepared


_POOL: tuple[int, ProcessPoolExecutor] | None = None
_POOL_LOCK = threading.Lock()


def _process_pool(size: int) -> ProcessPoolExecutor:
    """The worker processes, started once per process and size (spawned, not forked: the
    writer holds RocksDB and server threads that a fork would copy mid-flight)."""
    global _POOL
    with _POOL_LOCK:
        if _POOL is None or _POOL[0] != size:
            if _POOL is not None:
                _POOL[1].shutdown(wait=False, cancel_futures=True)
            context = multiprocessing.get_context("spawn")
            _POOL = (size, ProcessPoolExecutor(max_workers=size, mp_context=context))
        return _POOL[1]


def commit(
    store: Store,
    prepared: Prepared,
    state: FeedState,
    *,
    guard_min: int,
    keep_run_details: int,
    shapes_hash: str,
    publish: bool = True,
    keep_runs_days: int | None = None,
) -> RunRecord:
    """The one writer: swap the source graph (or keep it), record the run; publish a
    snapshot when the source graph changed and ``publish`` is set (:func:`harvest` leaves
    it unset and publishes once for the whole batch: a checkpoint per feed cost about a fifth
    of a cold harvest)."""
    feed = prepared.feed
    fetched = prepared.fetched
    stamp = prepared.started.strftime("%Y%m%dT%H%M%S%fZ")
    record = RunRecord(
        run_id=f"{feed.id}-{stamp}",
        feed_id=feed.id,
        feed_iri=feed.iri,
        partner_id=prepared.partner.id,
        started=prepared.started,
        ended=prepared.started,
        outcome=prepared.outcome or "Published",
        message=prepared.message,
        http_status=fetched.status if fetched else prepared.http_status,
        etag=fetched.etag if fetched else None,
        last_modified=fetched.last_modified if fetched else None,
        content_hash=fetched.content_hash if fetched else None,
        attempts=fetched.attempts if fetched else 0,
        triples_fetched=prepared.triples_fetched,
    )
    if prepared.ownership is not None:
        record.triples_dropped = prepared.ownership.dropped
        record.dropped_sample = list(prepared.ownership.sample)
    validation = prepared.validation
    report: str | None = None
    details: list[dict[str, object]] = []
    if record.outcome == "Published" and validation is not None:
        valid = {iri for iri, r in validation.offers.items() if r.conforms}
        record.rejected = prepared.rejected
        record.offers_rejected = len(prepared.rejected)
        record.offers_revalidated = len(validation.offers) - validation.reused
        if collapse_guard_trips(
            valid_offers=len(valid), previous_offers=len(state.published), guard_min=guard_min
        ):
            record.outcome = "CollapseGuarded"
            record.message = (
                f"no valid offer in the feed where the last good run published "
                f"{len(state.published)}; the last good graph stays"
            )
            details = offer_details(validation.offers)
        else:
            loaded = load_graph(store, feed.iri, prepared.publish, change=prepared.change)
            record.triples_added, record.triples_removed = loaded.delta.added, loaded.delta.removed
            record.offers_published = len(valid)
            record.offers_with_warnings = sum(1 for iri in valid if validation.offers[iri].warnings)
            old = state.offers
            record.added = sorted(valid - state.published)
            record.removed = sorted(state.published - valid)
            record.changed = sorted(
                iri
                for iri in valid & state.published
                if iri in old and old[iri].content_hash != validation.offers[iri].content_hash
            )
            record.by_kreis, record.by_topic = supply_counts(
                validation.offers[iri] for iri in valid
            )
            record.triples_published = loaded.triples
            new_state = FeedState(
                etag=record.etag,
                last_modified=record.last_modified,
                content_hash=record.content_hash,
                shapes_hash=shapes_hash,
                offers=dict(validation.offers),
                published=frozenset(valid),
            )
            # the old state knows what this process last wrote: only changed offers move
            report = save_report(store, feed.id, validation, state=new_state, previous=state)
            _save_state(store, feed.id, new_state, previous=state)
    if record.outcome in {"NotModified", "Unchanged"}:
        record.offers_published = len(state.published)
        record.offers_with_warnings = sum(
            1 for iri in state.published if iri in state.offers and state.offers[iri].warnings
        )
        if record.outcome == "Unchanged" and (record.etag or record.last_modified):
            # the server may have sent new validators for the same bytes
            kept = replace(state, etag=record.etag, last_modified=record.last_modified, cache={})
            if "written_report" in state.cache:
                kept.cache["written_report"] = state.cache["written_report"]
            _save_state(store, feed.id, kept, previous=state)
    record.ended = _now()
    write_run(store, record, report_graph=report, details=details)
    apply_retention(
        store, feed.iri, keep=keep_run_details, keep_days=keep_runs_days, now=record.started
    )
    if publish and (record.triples_added or record.triples_removed):
        # readers see the new graph now; run records alone wait for the publish at the end
        store.publish()
    return record


def _load_vocabulary(store: Store, sources: Sources) -> None:
    from registry.vocabulary import vocabulary_triples

    # skolemised: a diff swap cannot match blank nodes (the store relabels them on insert)
    triples = normalise(vocabulary_triples(list(sources.region_files)), source_id="vocabulary")
    store.replace_graph(VOCABULARY_GRAPH, triples)


def harvest(
    sources: Sources,
    store: Store,
    *,
    feed_ids: Sequence[str] | None = None,
    fetch_config: FetchConfig | None = None,
    validator: Validator | None = None,
    load_vocabulary: bool = True,
    on_event: Event | None = None,
    on_done: Callable[[RunRecord], None] | None = None,
) -> list[RunRecord]:
    """Harvest the chosen feeds (all by default): prepare concurrently, commit one at a time."""
    with collector_paused():
        return _harvest(
            sources,
            store,
            feed_ids=feed_ids,
            fetch_config=fetch_config,
            validator=validator,
            load_vocabulary=load_vocabulary,
            on_event=on_event,
            on_done=on_done,
        )


def _harvest(
    sources: Sources,
    store: Store,
    *,
    feed_ids: Sequence[str] | None,
    fetch_config: FetchConfig | None,
    validator: Validator | None,
    load_vocabulary: bool,
    on_event: Event | None,
    on_done: Callable[[RunRecord], None] | None,
) -> list[RunRecord]:
    feeds = sources.select(list(feed_ids) if feed_ids else None)
    settings = sources.harvest
    config = fetch_config or FetchConfig.from_settings(settings)
    fingerprint = shapes_fingerprint()
    own_validator = validator is not None
    validator = validator or _default_validator(fingerprint)
    if load_vocabulary:
        _load_vocabulary(store, sources)
    publish_sources(store, sources)
    states = {f.id: _load_state(store, f.id) for f in feeds}
    blocks = store.cache_dir("blocks")
    lock = threading.Lock()
    records: list[RunRecord] = []
    processes = 0 if own_validator else settings.processes
    threads: Executor | None = None
    if processes > 0:
        pool: Executor = _process_pool(processes)
    else:
        pool = threads = ThreadPoolExecutor(max_workers=max(1, settings.concurrency))
    try:
        futures: dict[Future[Prepared], Feed] = {}
        for feed in feeds:
            partner = sources.partner(feed.partner_id)
            if threads is None:
                if on_event:
                    on_event(feed.id, "fetch")
                lite, stand_ins = _lite_state(states[feed.id])
                future = pool.submit(
                    _prepare_in_worker,
                    feed,
                    partner,
                    lite,
                    config,
                    fingerprint,
                    store.remembered(feed.iri),
                    stand_ins,
                    blocks,
                )
            else:
                future = pool.submit(
                    prepare,
                    feed,
                    partner,
                    states[feed.id],
                    fetch_config=config,
                    validator=validator,
                    shapes_hash=fingerprint,
                    validate_lock=lock,
                    on_event=on_event,
                    base=store.remembered(feed.iri),
                    blocks=blocks,
                )
            futures[future] = feed
        for future in as_completed(futures):
            feed = futures[future]
            prepared = _outcome(future, feed, sources.partner(feed.partner_id))
            prepared = _restore(prepared, states[feed.id])
            if on_event:
                on_event(prepared.feed.id, "load")
            record = commit(
                store,
                prepared,
                states[prepared.feed.id],
                guard_min=settings.collapse_guard_min_offers,
                keep_run_details=settings.keep_run_details,
                keep_runs_days=settings.keep_runs_days,
                shapes_hash=fingerprint,
                publish=False,
            )
            records.append(record)
            if on_done:
                on_done(record)
    finally:
        if threads is not None:
            threads.shutdown(wait=True)
    store.publish()
    order = {f.id: n for n, f in enumerate(feeds)}
    return sorted(records, key=lambda r: order[r.feed_id])
