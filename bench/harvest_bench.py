"""Harvest benchmark: the whole pipeline against plain bulk load and a naive rdflib + pySHACL run.

One run, one corpus (``bench/corpus.py``) served over loopback HTTP by a real threading server:

1. **cold harvest** — ``importers.pipeline`` harvests every feed into an empty on-disk store:
   fetch, parse, normalise, ownership, per-offer SHACL, load. Triples/s and offers/s.
2. **plain bulk load** — the same feed files into an empty on-disk store with pyoxigraph
   ``Store.bulk_load``, one named graph per feed: the practical upper limit (no validation).
3. **naive baseline** — per feed: fetch, ``rdflib.Graph.parse``, ``pyshacl.validate`` with the
   project's shapes, on the whole feed graph. pySHACL is slow on large graphs, so above
   ``--baseline-offers`` offers it runs on a sample (the first offers of every feed) and the time
   is extrapolated by triples; the output says so.
4. **re-harvest, unchanged** — the server answers 304 to the conditional GET; % of cold.
5. **re-harvest, 1 % changed** — ``corpus.mutate``; every feed holding a changed offer is served
   anew; % of cold.

Peak RSS is sampled per phase (this process and its children).

Usage: ``./dev bench harvest --offers 10000 --partners 20``
"""

from __future__ import annotations

import argparse
import importlib
import math
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pyoxigraph as ox

from registry.config import load_sources
from registry.namespaces import SOURCE
from registry.resources import shapes_dir
from registry.store import OxigraphStore

from . import corpus as corpus_mod
from .common import CpuTime, FeedServer, PeakRss, Report, machine_info, mib, stopwatch

__all__ = [
    "count_triples",
    "find_harvest",
    "main",
    "naive_baseline",
    "plain_bulk_load",
    "run",
    "summarise",
]

Harvest = Callable[..., list[Any]]


def find_harvest() -> Harvest | None:
    """``importers.pipeline.harvest(sources, store)``, or ``None`` while the module is missing."""
    try:
        pipeline = importlib.import_module("importers.pipeline")
    except ImportError:
        return None
    fn = getattr(pipeline, "harvest", None)
    return fn if callable(fn) else None


def summarise(records: list[Any]) -> str:
    """Outcomes and offer counts of the pipeline's run records, for the notes of a phase."""
    outcomes: dict[str, int] = {}
    for r in records:
        outcomes[r.outcome] = outcomes.get(r.outcome, 0) + 1
    published = sum(getattr(r, "offers_published", 0) for r in records)
    rejected = sum(getattr(r, "offers_rejected", 0) for r in records)
    revalidated = sum(getattr(r, "offers_revalidated", 0) for r in records)
    shown = ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items()))
    return (
        f"feeds: {shown}; offers published {published:,}, rejected {rejected:,}, "
        f"re-validated {revalidated:,}"
    )


def count_triples(feed_dir: Path) -> int:
    """Triples in all Turtle files under ``feed_dir`` (pyoxigraph, fast)."""
    return sum(
        sum(1 for _ in ox.parse(path=str(f), format=ox.RdfFormat.TURTLE))
        for f in sorted(feed_dir.glob("*.ttl"))
    )


def plain_bulk_load(feed_dir: Path, corpus: corpus_mod.Corpus, store_dir: Path) -> None:
    """Every feed file into its named graph of an empty on-disk store, in one bulk load.

    One ``bulk_extend`` over all feeds: a ``bulk_load`` call per file pays the loader's set-up
    (sorted files, ingestion) once per feed, which at 20 feeds costs more than the triples.
    """

    def quads() -> Iterator[ox.Quad]:
        for p in corpus.partners:
            graph = ox.NamedNode(SOURCE + p.id)
            path = feed_dir.parent / corpus_mod.feed_name(p)
            for t in ox.parse(path=str(path), format=ox.RdfFormat.TURTLE):
                yield ox.Quad(t.subject, t.predicate, t.object, graph)

    store = ox.Store(str(store_dir))
    store.bulk_extend(quads())
    store.flush()
    del store


def _shape_graph() -> Any:
    import rdflib

    shapes = rdflib.Graph()
    for name in ("core.ttl", "quality.ttl"):
        path = shapes_dir() / name
        if path.exists():
            shapes.parse(str(path), format="turtle")
    return shapes


def naive_baseline(urls: list[str]) -> tuple[int, int]:
    """Fetch, rdflib-parse and pySHACL-validate each feed; (triples, conforming feeds)."""
    import pyshacl
    import rdflib

    shapes = _shape_graph()
    triples = 0
    conforming = 0
    with httpx.Client(trust_env=False) as client:
        for url in urls:
            body = client.get(url).raise_for_status().content
            graph = rdflib.Graph()
            graph.parse(data=body, format="turtle", publicID=url)
            triples += len(graph)
            conforms, _, _ = pyshacl.validate(
                graph, shacl_graph=shapes, inference="none", allow_warnings=True
            )
            conforming += bool(conforms)
    return triples, conforming


def _sample(corpus: corpus_mod.Corpus, offers: int) -> corpus_mod.Corpus:
    """The first offers of every partner, ``offers`` in all (at least one per partner)."""
    per_partner = max(1, math.ceil(offers / len(corpus.partners)))
    kept = tuple(o for o in corpus.offers if o.number <= per_partner)
    return replace(corpus, offers=kept)


def _call_harvest(harvest: Harvest, sources: Any, store: Any) -> list[Any]:
    return list(harvest(sources, store) or [])


def _mutate(
    corpus: corpus_mod.Corpus, percent: float, feeds: int | None
) -> tuple[corpus_mod.Corpus, set[int]]:
    """``percent`` % of all offers changed: scattered over every feed (``feeds`` None, what a
    partner's CMS editing a few courses looks like across the region), or all within the first
    ``feeds`` feeds (a few partners re-publishing)."""
    seed = corpus.seed + 1
    if feeds is None or feeds >= len(corpus.partners):
        return corpus_mod.mutate(corpus, percent, seed=seed)
    inside = [o for o in corpus.offers if o.partner < feeds]
    share = min(100.0, percent * len(corpus.offers) / max(1, len(inside)))
    part, changed = corpus_mod.mutate(replace(corpus, offers=tuple(inside)), share, seed=seed)
    rest = [o for o in corpus.offers if o.partner >= feeds]
    return replace(corpus, offers=tuple(part.offers) + tuple(rest)), changed


def run(
    offers: int,
    partners: int,
    *,
    seed: int = 1,
    baseline_offers: int = 1000,
    changed_percent: float = 1.0,
    workdir: Path | None = None,
    changed_feeds: int | None = None,
) -> Report:
    """Run every phase and return the figures."""
    report = Report(f"Harvest benchmark: {offers:,} offers over {partners} partner feeds")
    own_dir = workdir is None
    root = Path(tempfile.mkdtemp(prefix="bn-harvest-bench-")) if workdir is None else workdir
    try:
        return _run(
            report, root, offers, partners, seed, baseline_offers, changed_percent, changed_feeds
        )
    finally:
        if own_dir:
            shutil.rmtree(root, ignore_errors=True)


def _run(
    report: Report,
    root: Path,
    offers: int,
    partners: int,
    seed: int,
    baseline_offers: int,
    changed_percent: float,
    changed_feeds: int | None = None,
) -> Report:
    corpus = corpus_mod.generate(offers, partners, seed)
    for stale in ("corpus", "store", "bulk"):
        shutil.rmtree(root / stale, ignore_errors=True)
    data = root / "corpus"
    with stopwatch() as t_gen:
        sources_path = corpus_mod.write_corpus(corpus, data)
    triples = count_triples(data / "feeds")
    report.add("corpus triples", triples, "triples", note=f"{triples / offers:.1f} per offer")
    report.add("corpus generation", t_gen[0], "s")

    with FeedServer(data) as server:
        sources = load_sources(sources_path, feed_base_url=server.base_url)
        harvest = find_harvest()
        cold = None
        if harvest is None:
            report.notes.append("importers.pipeline has no harvest function yet: not measured")
        else:
            cold = _harvest_phases(
                report,
                harvest,
                sources,
                server,
                corpus,
                data,
                root,
                triples,
                offers,
                changed_percent,
                changed_feeds,
            )
        _bulk_phase(report, corpus, data, root, triples, cold)
        _baseline_phase(report, corpus, data, server, offers, triples, baseline_offers, cold)
    return report


def _harvest_phases(
    report: Report,
    harvest: Harvest,
    sources: Any,
    server: FeedServer,
    corpus: corpus_mod.Corpus,
    data: Path,
    root: Path,
    triples: int,
    offers: int,
    changed_percent: float,
    changed_feeds: int | None = None,
) -> float:
    store = OxigraphStore(root / "store")
    try:
        with PeakRss() as rss, CpuTime() as cpu, stopwatch() as t:
            records = _call_harvest(harvest, sources, store)
        cold = t[0]
        cold_cpu = cpu.seconds
        report.notes.append("cold harvest: " + summarise(records))
        loaded = sum(1 for g in store.named_graphs() if g.startswith(SOURCE))
        report.add("cold harvest", cold, "s", note=f"{loaded} feed graphs in the store")
        report.add(
            "  CPU time (this process + workers)",
            cold_cpu,
            "s",
            note=f"{cold_cpu / cold:.2f} cores busy on average",
        )
        target_ok = triples / cold >= 100_000 if offers >= 100_000 else None
        report.add(
            "cold harvest rate",
            triples / cold,
            "triples/s",
            target="≥ 100k triples/s at 100k offers",
            met=target_ok,
        )
        report.add("cold harvest rate (offers)", offers / cold, "offers/s")
        report.add("peak RSS, cold harvest", mib(rss.peak), "MiB")

        server.reset_counts()
        with CpuTime() as cpu, stopwatch() as t:
            records = _call_harvest(harvest, sources, store)
        report.notes.append("re-harvest, nothing changed: " + summarise(records))
        report.add(
            "  CPU time", cpu.seconds, "s", note=f"{100 * cpu.seconds / cold_cpu:.1f} % of cold CPU"
        )
        report.add(
            "re-harvest, nothing changed",
            t[0],
            "s",
            note=f"{100 * t[0] / cold:.1f} % of cold; "
            f"{server.not_modified}/{server.requests} answered 304",
        )

        mutated, changed = _mutate(corpus, changed_percent, changed_feeds)
        corpus_mod.write_feeds(mutated, data, sorted(changed))
        server.reset_counts()
        with PeakRss() as rss, CpuTime() as cpu, stopwatch() as t:
            records = _call_harvest(harvest, sources, store)
        report.notes.append(f"re-harvest, {changed_percent:g} % changed: " + summarise(records))
        share = 100 * t[0] / cold
        report.add(
            f"re-harvest, {changed_percent:g} % of offers changed",
            t[0],
            "s",
            note=f"{len(changed)} of {len(corpus.partners)} feeds changed",
        )
        report.add("  as share of cold", share, "%", target="≤ 3 %", met=share <= 3)
        report.add(
            "  CPU time", cpu.seconds, "s", note=f"{100 * cpu.seconds / cold_cpu:.1f} % of cold CPU"
        )
        report.add("peak RSS, re-harvest", mib(rss.peak), "MiB")
        # put the feeds back as they were, so the later phases measure the original corpus
        corpus_mod.write_feeds(corpus, data, sorted(changed))
        return cold
    finally:
        store.close()


def _bulk_phase(
    report: Report,
    corpus: corpus_mod.Corpus,
    data: Path,
    root: Path,
    triples: int,
    cold: float | None,
) -> None:
    with PeakRss() as rss, CpuTime() as cpu, stopwatch() as t:
        plain_bulk_load(data / "feeds", corpus, root / "bulk")
    report.add(
        "plain bulk_load (no validation)",
        triples / t[0],
        "triples/s",
        note=f"{t[0]:.2f} s, {cpu.seconds:.2f} CPU s, peak RSS {mib(rss.peak):.0f} MiB",
    )
    if cold is not None:
        ratio = t[0] / cold
        report.add("harvest / bulk_load", ratio, "×", target="≥ 0.33", met=ratio >= 1 / 3)


def _baseline_phase(
    report: Report,
    corpus: corpus_mod.Corpus,
    data: Path,
    server: FeedServer,
    offers: int,
    triples: int,
    baseline_offers: int,
    cold: float | None,
) -> None:
    sampled = offers > baseline_offers
    sample = _sample(corpus, baseline_offers) if sampled else corpus
    sample_dir = data / "sample"
    corpus_mod.write_feeds(sample, sample_dir)
    urls = [server.base_url + "sample/" + corpus_mod.feed_name(p) for p in corpus.partners]
    with PeakRss() as rss, stopwatch() as t:
        seen, conforming = naive_baseline(urls)
    rate = seen / t[0]
    note = f"{t[0]:.1f} s for {seen:,} triples, {conforming}/{len(urls)} feeds conform"
    if sampled:
        note += f"; measured on a sample of {len(sample.offers):,} offers, extrapolated"
    report.add("naive rdflib + pySHACL", rate, "triples/s", note=note)
    projected = triples / rate
    report.add(
        "naive, whole corpus" + (" (extrapolated)" if sampled else ""),
        projected,
        "s",
        note=f"peak RSS {mib(rss.peak):.0f} MiB",
    )
    if cold is not None:
        ratio = projected / cold
        report.add("harvest speed-up over naive", ratio, "×")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench harvest", description=__doc__.split("\n")[0])
    parser.add_argument("--offers", type=int, default=10_000)
    parser.add_argument("--partners", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--changed", type=float, default=1.0, help="%% of offers changed")
    parser.add_argument(
        "--changed-feeds",
        type=int,
        help="concentrate the changed offers in this many feeds (default: scattered over all)",
    )
    parser.add_argument(
        "--baseline-offers",
        type=int,
        default=1000,
        help="above this many offers the naive baseline runs on a sample",
    )
    parser.add_argument("--workdir", type=Path, help="keep the corpus and stores here")
    args = parser.parse_args(argv)
    if args.offers < 1 or args.partners < 1 or args.partners > args.offers:
        parser.error("need 1 ≤ partners ≤ offers")
    print(machine_info(), flush=True)
    report = run(
        args.offers,
        args.partners,
        seed=args.seed,
        baseline_offers=args.baseline_offers,
        changed_percent=args.changed,
        workdir=args.workdir,
        changed_feeds=args.changed_feeds,
    )
    print(report.render(), flush=True)
    return 0
