"""In-process figures of the portal search: index build, re-index of one source, query latency.

Why in-process: the HTTP layer is measured by ``serve_bench``; this isolates the index (SQLite
rows + FTS5) so the figures say what the search itself costs. It also builds a tantivy index
over the same analysed text, as the side-by-side baseline the choice of FTS5 was made against.

Over HTTP (``--http-duration``, default 20 s; 0 skips it): the same requests as ``GET /offers``
against a ``bildungsnetz serve`` subprocess on that store, from ``--connections`` connections
of ``bench/loadgen.py`` (wrk when installed), twice: the ``MIX`` paths cycled (facet counts
cached after their first answer), and each path in ``HTTP_VARIANTS`` spellings that select the
same runs but are distinct cache keys (cycled in order, more than the facet cache holds, so
every request counts its facets).

The corpus has one run per offer; ``--runs N`` gives every offer N runs (the copies a quarter
year apart and a few km apart), so the per-offer grouping of ``GET /offers`` (one item per
offer, facets counting offers) is measured where it costs something.

Usage: ``python -m bench.search_bench --offers 10000 --partners 20 [--runs 3]``
"""

from __future__ import annotations

import argparse
import copy
import gc
import statistics
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pyoxigraph as ox

from bench import corpus as corpus_mod
from bench.common import Report
from bench.serve_bench import build_store
from registry.catalogue import Catalogue
from registry.config import load_sources
from registry.geo import gazetteer_for
from registry.namespaces import BN, SCHEMA
from registry.offer_delta import state_graph
from registry.offer_index import OfferFilters, OfferIndex, extract_runs
from registry.store import OxigraphStore

__all__ = ["HTTP_VARIANTS", "MIX", "http_mix", "http_paths", "main"]

#: the request mix: q + two facet filters + near/radius, and simpler neighbours
MIX: tuple[dict[str, str | float], ...] = (
    {"q": "Schweißer", "kreis": "05766", "funding": "2", "near": "Detmold", "radius_km": 40},
    {"q": "SPS Programmierung", "mode": "101", "funding": "2", "near": "37671", "radius_km": 60},
    {"q": "Pflege Praxisanleitung", "kreis": "05754", "funding": "2", "near": "Gütersloh"},
    {"q": "Excel", "mode": "digital", "funding": "2"},
    {"q": "Excel Pivot", "near": "51.72,8.75", "radius_km": 30},
    {"q": "Schweisstechnik"},
    {"q": "kurs"},
    {"kreis": "05766", "funding": "2"},
)


def _shift(day: str | None, days: int) -> str | None:
    return (date.fromisoformat(day) + timedelta(days=days)).isoformat() if day else None


def _more_runs(index: OfferIndex, catalogue: Catalogue, store: OxigraphStore, runs: int) -> None:
    """Give every offer ``runs`` runs: copies of its run, 91 days and ~4 km apart each."""
    for source in index.sources():
        rows: list[dict[str, Any]] = extract_runs(
            store, source, catalogue.partner_of(source), index.gazetteer
        )
        extra = []
        for row in rows:
            for k in range(1, runs):
                new = copy.deepcopy(row)
                new["run_iri"] = f"{row['run_iri']}-w{k}"
                new["start_date"] = _shift(row["start_date"], 91 * k)
                new["end_date"] = _shift(row["end_date"], 91 * k)
                new["sort_key"] = new["start_date"] or row["sort_key"]
                if row["lat"] is not None:
                    new["lat"] = row["lat"] + 0.04 * k
                summary = new["summary"]
                summary.update(
                    run=new["run_iri"], start_date=new["start_date"], end_date=new["end_date"]
                )
                extra.append(new)
        index.replace_source(source, rows + extra)


def _set_state_token(store: OxigraphStore, source: str, token: str) -> None:
    """What a harvest's save of the feed state leaves (the corpus is loaded, not harvested):
    the token the index's changed-offers path checks against."""
    graph = state_graph(source)
    store.replace_graph(
        graph, [ox.Triple(ox.NamedNode(graph), ox.NamedNode(BN + "stateToken"), ox.Literal(token))]
    )


def _time_reindex(catalogue: Catalogue, store: OxigraphStore, source: str) -> None:
    """Re-index of one source: the whole source with nothing changed, and only the offers a
    harvest changed (1 % of the source's offers renamed in the store, then published)."""
    index = catalogue.index
    started = time.perf_counter()
    catalogue.refresh([source], publish=False)
    full_s = time.perf_counter() - started
    offers = sorted({o for s, o, _ in index.rows() if s == source})
    count = max(1, len(offers) // 100)
    picked = offers[:: len(offers) // count][:count]
    raw = store.raw  # the writer's pyoxigraph store (a harvest's swap writes there too)
    name = ox.NamedNode(SCHEMA + "name")
    edits = [q for iri in picked for q in raw.quads_for_pattern(ox.NamedNode(iri), name, None)]
    for quad in edits:
        raw.remove(quad)
        assert isinstance(quad.object, ox.Literal)
        renamed = ox.Literal(f"{quad.object.value} (geändert)", language="de")
        raw.add(ox.Quad(quad.subject, quad.predicate, renamed, quad.graph_name))
    _set_state_token(store, source, "bench-2")
    store.publish()
    started = time.perf_counter()
    catalogue.refresh(
        [source], publish=False, changed_offers={source: set(picked)}, since={source: "bench-1"}
    )
    delta_s = time.perf_counter() - started
    synced = index.synced(source)
    path = "changed offers only" if synced and synced[0] == "bench-2" else "FELL BACK to whole"
    renamed_runs = sum(
        1 for iri in picked for run in index.runs_of(iri) if run["title"].endswith("(geändert)")
    )
    print(
        f"re-index of one source ({index.count(source):,} runs): nothing changed, whole source "
        f"{full_s:.2f} s; {len(picked)} offers changed, {path} {delta_s:.3f} s "
        f"({renamed_runs} runs renamed)"
    )


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def _time_queries(
    index: OfferIndex, repeat: int
) -> list[tuple[str, float, float, float, float, int]]:
    """(label, p50, p95 with the columns in memory, p50, p95 in SQLite alone, total) of each
    MIX request, every answer computed anew (no kept facets, rankings or text hits)."""
    gazetteer = gazetteer_for()
    sqlite_only = OfferIndex(index.path, columns=False)
    out = []
    for params in MIX:
        filters = OfferFilters.parse(gazetteer=gazetteer, **params)  # type: ignore[arg-type]
        figures: list[float] = []
        total = 0
        for which in (index, sqlite_only):
            times = []
            for _ in range(repeat):
                # measure the counting and ranking, not the caches
                for kept in (which._facet_cache, which._base_facets, which._ranked):
                    kept.clear()
                which._text_hits.clear()
                started = time.perf_counter()
                page = which.search(filters, limit=20, facets=True)
                times.append((time.perf_counter() - started) * 1000)
                total = page.extra["total"]
            figures += [statistics.median(times), _percentile(times, 95)]
        label = "&".join(f"{k}={v}" for k, v in params.items())
        p50, p95, sql50, sql95 = figures
        out.append((label, p50, p95, sql50, sql95, total))
    sqlite_only.close()
    return out


#: queries whose *next* pages are timed (facets come from the cache then: the paging alone)
PAGED: tuple[dict[str, str], ...] = ({}, {"kreis": "05766"}, {"q": "kurs"})


def _time_paging(index: OfferIndex, repeat: int) -> list[tuple[str, float, float]]:
    out = []
    for params in PAGED:
        filters = OfferFilters.parse(**params)  # type: ignore[arg-type]
        cursor = index.search(filters, limit=20).next_cursor
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            index.search(filters, limit=20, cursor=cursor)
            times.append((time.perf_counter() - started) * 1000)
        label = "&".join(f"{k}={v}" for k, v in params.items()) or "(no filter)"
        out.append((label, statistics.median(times), _percentile(times, 95)))
    return out


def _tantivy(index: OfferIndex, repeat: int) -> tuple[float, list[tuple[str, float]]]:
    import tantivy

    builder = tantivy.SchemaBuilder()
    for name in ("title", "description", "topics"):
        builder.add_text_field(name, stored=False)
    builder.add_integer_field("rowid", stored=True)
    ti = tantivy.Index(builder.build())
    started = time.perf_counter()
    writer = ti.writer()
    rows = index._conn().execute("SELECT rowid, title, description, topics FROM run_fts")
    for rowid, title, description, topics in rows:
        writer.add_document(
            tantivy.Document(rowid=rowid, title=title, description=description, topics=topics)
        )
    writer.commit()
    writer.wait_merging_threads()
    ti.reload()
    build_s = time.perf_counter() - started
    searcher = ti.searcher()
    timings = []
    for text in ("schweiss", "sps AND programmi", "pfleg AND praxisanleit", "kurs"):
        query = ti.parse_query(text, ["title", "description", "topics"])
        times = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            searcher.search(query, 20)
            times.append((time.perf_counter() - t0) * 1000)
        timings.append((text, statistics.median(times)))
    return build_s, timings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--offers", type=int, default=10_000)
    parser.add_argument("--partners", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--runs", type=int, default=1, help="runs per offer (default 1)")
    _http_arguments(parser)
    opts = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        corpus = corpus_mod.generate(opts.offers, opts.partners, 1)
        sources_path = corpus_mod.write_corpus(corpus, root / "corpus")
        build_store(corpus, sources_path, root / "store", "load")
        sources = load_sources(sources_path)
        store = OxigraphStore(root / "store")
        index = OfferIndex(root / "store" / "offers.sqlite")
        _set_state_token(store, corpus.partners[0].id, "bench-1")
        store.publish()
        catalogue = Catalogue(store, index, sources)
        started = time.perf_counter()
        catalogue.refresh(publish=False)
        build_s = time.perf_counter() - started
        print(f"{opts.offers:,} offers, {index.count():,} runs, {opts.partners} sources")
        print(f"index build (rows + FTS5, all sources): {build_s:.1f} s")
        one = corpus.partners[0].id
        _time_reindex(catalogue, store, one)
        if opts.runs > 1:
            _more_runs(index, catalogue, store, opts.runs)
            print(f"now {opts.runs} runs per offer: {index.count():,} runs")
        started = time.perf_counter()
        index.load_columns()  # what a server does in the background once the index stands
        print(f"runs' columns read into memory: {time.perf_counter() - started:.2f} s")
        print(
            "query (limit 20, all 7 facets, computed anew): p50 ms, p95 ms with the columns;"
            " p50 ms, p95 ms in SQLite alone; total (matching offers)"
        )
        for label, p50, p95, sql50, sql95, total in _time_queries(index, opts.repeat):
            print(f"  {p50:6.1f} {p95:6.1f}   {sql50:6.1f} {sql95:6.1f}  {total:6d}  {label}")
        print("second page (limit 20, no facets): p50 ms, p95 ms")
        for label, p50, p95 in _time_paging(index, opts.repeat):
            print(f"  {p50:6.1f} {p95:6.1f}  {label}")
        tbuild, ttimes = _tantivy(index, opts.repeat)
        print(
            f"tantivy baseline (same analysed text, ranked top 20, no filters/facets): "
            f"build {tbuild:.1f} s"
        )
        for text, p50 in ttimes:
            print(f"  {p50:6.2f} ms  {text}")
        index.close()
        store.close()
        if opts.http_duration > 0:
            del catalogue, store  # the pyoxigraph store holds the directory's lock until freed
            gc.collect()
            print(http_mix(root, sources_path, opts).render(), flush=True)
    return 0


# -- over HTTP --------------------------------------------------------------------------------

#: spellings per MIX request in the facet-counting run: 8 × 64 = 512 > the 256-entry facet cache
HTTP_VARIANTS = 64
#: a max_price above every corpus price: the same runs, a distinct filter key per spelling
_NO_PRICE_LIMIT = 1_000_000


def http_paths(variants: int = 0) -> list[str]:
    """The ``MIX`` as ``GET /offers`` paths (limit 20, facets on); with ``variants`` each
    request in that many spellings (``max_price`` above every price), grouped by spelling."""
    base = ["/offers?" + urlencode({**params, "limit": 20}) for params in MIX]
    if not variants:
        return base
    return [f"{path}&max_price={_NO_PRICE_LIMIT + i}" for i in range(variants) for path in base]


def _same_totals(base_url: str) -> str | None:
    """The spellings must select the same runs as the plain requests (else the run measures
    other work): compare ``total`` for each pair; the first difference as a message."""
    with httpx.Client(trust_env=False, timeout=120) as client:
        for plain, spelled in zip(http_paths(), http_paths(1), strict=True):
            a = client.get(base_url + plain)
            b = client.get(base_url + spelled)
            if a.status_code != 200 or b.status_code != 200:
                return f"{plain} answered {a.status_code}, {spelled} answered {b.status_code}"
            if a.json().get("total") != b.json().get("total"):
                return f"{spelled} selects other runs than {plain}"
    return None


def http_mix(root: Path, sources_path: Path, opts: argparse.Namespace) -> Report:
    """Serve the store under ``root`` and load the search mix over HTTP (see the module doc)."""
    from bench import loadgen
    from bench.serve_bench import start_bildungsnetz, stop

    report = Report(
        f"Search over HTTP: GET /offers, {opts.offers:,} offers, {opts.connections} connections"
    )
    server = start_bildungsnetz(
        root / "store", sources_path, root / "bildungsnetz.log", opts.server_processes
    )
    try:
        base = server.url.removesuffix("/sparql")
        problem = _same_totals(base)
        if problem is not None:
            report.notes.append(problem)
            return report
        assert server.process is not None
        for label, paths in (
            ("search mix, facets cached", http_paths()),
            ("search mix, facets counted", http_paths(HTTP_VARIANTS)),
        ):
            summary = loadgen.run(
                base,
                paths,
                connections=opts.connections,
                duration_s=opts.http_duration,
                server_pid=server.process.pid,
                generator=opts.generator,
            )
            loadgen.add_to_report(report, label, summary)
    finally:
        stop(server)
    return report


def _http_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--http-duration",
        type=float,
        default=20.0,
        help="seconds of HTTP load per run of the mix (0: no HTTP part)",
    )
    parser.add_argument("--connections", type=int, default=32, help="HTTP connections")
    parser.add_argument(
        "--generator",
        choices=("auto", "wrk", "python"),
        default="auto",
        help="HTTP load generator: wrk when installed (auto), or httpx clients",
    )
    parser.add_argument(
        "--server-processes",
        type=int,
        default=1,
        help="bildungsnetz serve --processes: the writer plus read-only replicas (1)",
    )


if __name__ == "__main__":
    raise SystemExit(main())
