"""In-process figures of the portal search: index build, re-index of one source, query latency.

Why in-process: the HTTP layer is measured by ``serve_bench``; this isolates the index (SQLite
rows + FTS5) so the figures say what the search itself costs. It also builds a tantivy index
over the same analysed text, as the side-by-side baseline the choice of FTS5 was made against.

Usage: ``python -m bench.search_bench --offers 10000 --partners 20``
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from bench import corpus as corpus_mod
from bench.serve_bench import build_store
from registry.catalogue import Catalogue
from registry.config import load_sources
from registry.geo import gazetteer_for
from registry.offer_index import OfferFilters, OfferIndex
from registry.store import OxigraphStore

__all__ = ["MIX", "main"]

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


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def _time_queries(index: OfferIndex, repeat: int) -> list[tuple[str, float, float, int]]:
    gazetteer = gazetteer_for()
    out = []
    for params in MIX:
        filters = OfferFilters.parse(gazetteer=gazetteer, **params)  # type: ignore[arg-type]
        times = []
        total = 0
        for _ in range(repeat):
            index._facet_cache.clear()  # measure the counting, not the cache
            started = time.perf_counter()
            page = index.search(filters, limit=20, facets=True)
            times.append((time.perf_counter() - started) * 1000)
            total = page.extra["total"]
        label = "&".join(f"{k}={v}" for k, v in params.items())
        out.append((label, statistics.median(times), _percentile(times, 95), total))
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
    opts = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        corpus = corpus_mod.generate(opts.offers, opts.partners, 1)
        sources_path = corpus_mod.write_corpus(corpus, root / "corpus")
        build_store(corpus, sources_path, root / "store", "load")
        sources = load_sources(sources_path)
        store = OxigraphStore(root / "store")
        index = OfferIndex(root / "store" / "offers.sqlite")
        catalogue = Catalogue(store, index, sources)
        started = time.perf_counter()
        catalogue.refresh(publish=False)
        build_s = time.perf_counter() - started
        print(f"{opts.offers:,} offers, {index.count():,} runs, {opts.partners} sources")
        print(f"index build (rows + FTS5, all sources): {build_s:.1f} s")
        one = corpus.partners[0].id
        started = time.perf_counter()
        catalogue.refresh([one], publish=False)
        print(
            f"re-index of one source ({index.count(one):,} runs): "
            f"{time.perf_counter() - started:.2f} s"
        )
        print("query (limit 20, with all 7 facets): p50 ms, p95 ms, matching runs")
        for label, p50, p95, total in _time_queries(index, opts.repeat):
            print(f"  {p50:6.1f} {p95:6.1f} {total:6d}  {label}")
        tbuild, ttimes = _tantivy(index, opts.repeat)
        print(
            f"tantivy baseline (same analysed text, ranked top 20, no filters/facets): "
            f"build {tbuild:.1f} s"
        )
        for text, p50 in ttimes:
            print(f"  {p50:6.2f} ms  {text}")
        index.close()
        store.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
