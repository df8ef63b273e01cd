"""Serve benchmark: our ``/sparql`` against the plain Oxigraph server and rdflib-endpoint, and
``GET /offers`` under load.

One corpus (``bench/corpus.py``) is loaded into a store (``--build load``: normalised feed graphs,
vocabulary and registry graph written directly, fast; ``--build harvest``: the real pipeline),
then three servers answer the same query mix, one after the other so they never share the CPU:

(a) ``bildungsnetz serve`` on the store (its SPARQL worker processes);
(b) ``oxigraph serve --union-default-graph`` on a copy of the store's RocksDB directory (one
    process per store directory);
(c) ``rdflib-endpoint serve`` on the same data dumped to N-Quads (rdflib ``Dataset``, union).

Each gets the mix of researchers' questions (``QUERIES``, from ``DOMAIN.md``) from ``--clients``
concurrent httpx clients for ``--duration`` seconds: throughput, p50 and p95 latency, ratios.
Before the load, each query runs once on each server and the answer sizes are compared.
Every SPARQL request is bounded by ``--query-timeout``: one that takes longer counts as timed
out (reported per server), so a slow engine lowers its throughput instead of hanging the run;
a server that cannot load the data within ``--load-timeout`` is reported as such.
Then ``GET /offers`` with typical filters from ``--api-clients`` clients: p50/p95/p99 and
requests/s. Load only ever targets 127.0.0.1 and is bounded in time.

Usage: ``./dev bench serve --offers 10000 --partners 20 --duration 20``
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psutil
import pyoxigraph as ox

from registry.config import load_sources
from registry.namespaces import CODE, SOURCE, VOCABULARY_GRAPH, sparql_prefixes
from registry.store import OxigraphStore

from . import corpus as corpus_mod
from . import loadgen
from .common import Report, free_port, machine_info, stopwatch
from .loadgen import LoadResult, run_load

__all__ = [
    "API_QUERIES",
    "QUERIES",
    "Endpoint",
    "LoadResult",
    "build_store",
    "main",
    "run",
    "run_load",
    "start_bildungsnetz",
]

_UF = CODE + "unterrichtsform/"
_ONLINE = ", ".join(f"<{_UF}{c}>" for c in ("201", "202", "203", "204", "205", "206"))
_IN_PERSON = ", ".join(f"<{_UF}{c}>" for c in ("101", "102", "103", "104", "105", "301"))

#: the researchers' questions (DOMAIN.md) as SPARQL over the model of docs/design.md
QUERIES: dict[str, str] = {
    "by_kreis_topic": """
SELECT ?kreis ?topic (COUNT(DISTINCT ?course) AS ?offers) WHERE {
  ?course a schema:Course ; schema:about ?topic ; schema:hasCourseInstance ?run .
  ?run schema:startDate ?start ; schema:location/schema:containedInPlace ?kreis .
  FILTER (?start >= "2027-03-01"^^xsd:date && ?start < "2027-09-01"^^xsd:date)
} GROUP BY ?kreis ?topic ORDER BY DESC(?offers)""",
    "bildungsgutschein_share": f"""
SELECT ?kreis ?ptype (COUNT(DISTINCT ?course) AS ?offers) (COUNT(DISTINCT ?bgs) AS ?withBgs)
WHERE {{
  ?course a schema:Course ; schema:provider/bn:providerType ?ptype ;
          schema:hasCourseInstance/schema:location/schema:containedInPlace ?kreis .
  OPTIONAL {{ ?course schema:financialAidEligible <{CODE}foerderart/2> . BIND(?course AS ?bgs) }}
}} GROUP BY ?kreis ?ptype""",
    "price_by_level_mode": """
SELECT ?level ?mode (COUNT(*) AS ?n) (AVG(?price) AS ?avg) (MIN(?price) AS ?min)
       (MAX(?price) AS ?max) WHERE {
  ?course schema:educationalLevel ?level ; schema:offers/schema:price ?price ;
          schema:hasCourseInstance/schema:courseMode ?mode .
} GROUP BY ?level ?mode ORDER BY ?level ?mode""",
    "online_vs_in_person": f"""
SELECT ?kreis (SUM(?online) AS ?onlineRuns) (SUM(?inPerson) AS ?inPersonRuns) WHERE {{
  ?course schema:provider/schema:location/schema:containedInPlace ?kreis ;
          schema:hasCourseInstance/schema:courseMode ?mode .
  BIND (IF(?mode IN ({_ONLINE}), 1, 0) AS ?online)
  BIND (IF(?mode IN ({_IN_PERSON}), 1, 0) AS ?inPerson)
}} GROUP BY ?kreis ORDER BY ?kreis""",
    "skills_where": """
SELECT ?skill ?kreis (COUNT(DISTINCT ?course) AS ?offers) WHERE {
  ?course schema:teaches ?skill ;
          schema:hasCourseInstance/schema:location/schema:containedInPlace ?kreis .
} GROUP BY ?skill ?kreis ORDER BY DESC(?offers) LIMIT 50""",
    "describe_offer": "DESCRIBE <{offer}>",
}

#: typical filters of a portal's search page (GET /offers)
API_QUERIES: tuple[str, ...] = (
    "",
    "kreis=05766",
    "mode=202",
    "funding=2",
    "topic=pflege",
    "kreis=05711&topic=industrie-4-0",
    "start_from=2027-03-01&start_to=2027-06-30",
    "max_price=1000&kreis=05774",
    "funding=2&kreis=05770&limit=50",
    "q=schwei",
    "q=Schwei%C3%9Fer&kreis=05766&funding=2&near=Detmold&radius_km=40",
    "q=SPS%20Programmierung&mode=101&near=37671&radius_km=60",
)


@dataclass
class Endpoint:
    """A SPARQL endpoint under test: where to POST and what it answered."""

    name: str
    url: str
    process: subprocess.Popen[bytes] | None = None
    answers: dict[str, int] = field(default_factory=dict)
    #: queries of the answer check that took longer than the query timeout
    timed_out: list[str] = field(default_factory=list)


# -- data -------------------------------------------------------------------------------------


def build_store(corpus: corpus_mod.Corpus, sources_path: Path, store_dir: Path, how: str) -> None:
    """Fill ``store_dir`` with the corpus: by the pipeline (``harvest``) or directly (``load``)."""
    sources = load_sources(sources_path)
    store = OxigraphStore(store_dir)
    try:
        if how == "harvest":
            from importers.pipeline import harvest

            harvest(sources, store)
            return
        from importers.normalise import normalise
        from registry.registry_graph import publish_sources
        from registry.vocabulary import vocabulary_triples

        vocab = normalise(vocabulary_triples(list(sources.region_files)), source_id="vocabulary")
        store.replace_graph(VOCABULARY_GRAPH, vocab)
        publish_sources(store, sources)
        for p in corpus.partners:
            path = sources_path.parent / corpus_mod.feed_name(p)
            triples = list(ox.parse(path=str(path), format=ox.RdfFormat.TURTLE))
            store.replace_graph(SOURCE + p.id, normalise(triples, source_id=p.id))
        store.publish()
    finally:
        store.close()


def _offer_iris(corpus: corpus_mod.Corpus, count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    picks = rng.sample(corpus.offers, k=min(count, len(corpus.offers)))
    return [f"{corpus.partners[o.partner].namespace}angebot/{o.number}" for o in picks]


# -- servers ----------------------------------------------------------------------------------


def _start(cmd: Sequence[str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(list(cmd), stdout=out, stderr=subprocess.STDOUT)


#: a loading server is given up when the machine has less memory available than this
MIN_AVAILABLE_BYTES = 1 << 30


def _wait_ready(url: str, process: subprocess.Popen[bytes], log: Path, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited ({process.returncode}): {log.read_text()[-2000:]}")
        if psutil.virtual_memory().available < MIN_AVAILABLE_BYTES:
            raise RuntimeError("less than 1 GiB of memory left on the machine while loading")
        try:
            httpx.get(url, timeout=2.0, trust_env=False)
            return
        except httpx.HTTPError:
            time.sleep(0.3)
    raise RuntimeError(f"server not ready after {timeout_s:.0f} s: {url}")


def _stop(process: subprocess.Popen[bytes] | None) -> None:
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _bin(name: str) -> str:
    return str(Path(sys.executable).parent / name)


# -- load -------------------------------------------------------------------------------------


def _sparql_request(name: str, offers: list[str], n: int) -> tuple[dict[str, str], str]:
    text = QUERIES[name]
    if name == "describe_offer":
        return {"Accept": "application/n-triples"}, text.format(offer=offers[n % len(offers)])
    return {"Accept": "application/sparql-results+json"}, text


def _answer_size(name: str, response: httpx.Response) -> int:
    if name == "describe_offer":
        return sum(1 for line in response.text.splitlines() if line.strip())
    return len(response.json()["results"]["bindings"])


async def _post_query(
    client: httpx.AsyncClient, url: str, name: str, offers: list[str], n: int, timeout_s: float
) -> httpx.Response:
    headers, text = _sparql_request(name, offers, n)
    return await client.post(
        url, data={"query": sparql_prefixes() + text}, headers=headers, timeout=timeout_s
    )


async def _check_answers(endpoint: Endpoint, offers: list[str], timeout_s: float) -> None:
    async with httpx.AsyncClient(trust_env=False) as client:
        for name in QUERIES:
            try:
                response = await _post_query(client, endpoint.url, name, offers, 0, timeout_s)
            except httpx.TimeoutException:
                endpoint.timed_out.append(name)
                continue
            if response.status_code != 200:
                raise RuntimeError(
                    f"{endpoint.name}: {name} answered {response.status_code}: "
                    f"{response.text[:300]}"
                )
            endpoint.answers[name] = _answer_size(name, response)


def _bench_endpoint(
    report: Report,
    endpoint: Endpoint,
    offers: list[str],
    opts: Options,
) -> LoadResult:
    """Answer check, then ``opts.clients`` clients for ``opts.duration_s``; every request is
    bounded by ``opts.query_timeout_s`` (a timed-out request is counted, not retried: the
    server may still be working on it, which is part of what a slow engine costs)."""
    with stopwatch() as t:
        asyncio.run(_check_answers(endpoint, offers, opts.query_timeout_s))
    if endpoint.timed_out:
        report.notes.append(
            f"{endpoint.name}: answer check timed out (> {opts.query_timeout_s:g} s) for "
            + ", ".join(endpoint.timed_out)
        )
    report.notes.append(f"{endpoint.name}: answer check (each query once) took {t[0]:.1f} s")
    names = list(QUERIES)

    async def send(client: httpx.AsyncClient, n: int) -> httpx.Response:
        name = names[n % len(names)]
        return await _post_query(client, endpoint.url, name, offers, n, opts.query_timeout_s)

    before = os.getloadavg()[0]
    result = asyncio.run(
        run_load(send, opts.clients, opts.duration_s, label=lambda n: names[n % len(names)])
    )
    report.notes.append(
        f"{endpoint.name}: load average {before:.1f} -> {os.getloadavg()[0]:.1f} during the load, "
        f"server RSS {_rss_mib(endpoint):,.0f} MiB after it"
    )
    return result


def _rss_mib(endpoint: Endpoint) -> float:
    """Resident memory of the endpoint's server process and its children, in MiB."""
    if endpoint.process is None:
        return math.nan
    try:
        proc = psutil.Process(endpoint.process.pid)
        total = proc.memory_info().rss
        for child in proc.children(recursive=True):
            total += child.memory_info().rss
    except psutil.Error:
        return math.nan
    return total / (1 << 20)


def _report_load(
    report: Report,
    label: str,
    result: LoadResult,
    unit: str = "queries/s",
    query_timeout_s: float | None = None,
) -> None:
    """Throughput = completed (2xx) answers per second of the whole phase (until the last
    request in flight ended or timed out); p50/p95 over the completed ones only."""
    timeouts = result.kinds.get("timeout", 0)
    other = result.errors - timeouts
    bound = f" (> {query_timeout_s:g} s)" if query_timeout_s is not None else ""
    report.add(
        f"{label}: throughput",
        result.rate,
        unit,
        note=f"{result.requests:,} completed, {timeouts} timed out{bound}, {other} other errors "
        f"in {result.seconds:.1f} s",
    )
    report.add(f"{label}: timed out", timeouts, "requests")
    if result.latencies:
        report.add(f"{label}: p50", 1000 * result.percentile(50), "ms")
        report.add(f"{label}: p95", 1000 * result.percentile(95), "ms")
    else:
        report.add(f"{label}: p50", None, "ms", note="no request completed")
        report.add(f"{label}: p95", None, "ms", note="no request completed")
    if result.by_label:
        medians = ", ".join(
            f"{name} {1000 * sorted(v)[len(v) // 2]:,.0f}" for name, v in result.by_label.items()
        )
        report.notes.append(f"{label}, median ms per query under load: {medians}")


# -- the run ----------------------------------------------------------------------------------


@dataclass
class Options:
    offers: int
    partners: int
    seed: int = 1
    clients: int = 8
    api_clients: int = 32
    duration_s: float = 20.0
    build: str = "load"
    skip: tuple[str, ...] = ()
    #: bound on rdflib-endpoint loading the N-Quads dump (minutes at 100k offers)
    load_timeout_s: float = 900.0
    #: bound on one SPARQL request (answer check and load)
    query_timeout_s: float = 60.0
    generator: str = "auto"
    only_api: bool = False
    #: ``bildungsnetz serve --processes``: the writer plus read-only replicas
    server_processes: int = 1


def run(opts: Options, workdir: Path | None = None) -> Report:
    report = Report(
        f"Serve benchmark: {opts.offers:,} offers over {opts.partners} partner "
        f"feeds, {opts.clients} SPARQL clients, {opts.api_clients} API clients"
    )
    root = Path(tempfile.mkdtemp(prefix="bn-serve-bench-")) if workdir is None else workdir
    try:
        _run(report, opts, root)
    finally:
        if workdir is None:
            shutil.rmtree(root, ignore_errors=True)
    return report


def _run(report: Report, opts: Options, root: Path) -> None:
    corpus = corpus_mod.generate(opts.offers, opts.partners, opts.seed)
    for stale in ("corpus", "store", "oxigraph", "dump.nq"):
        shutil.rmtree(root / stale, ignore_errors=True)
    sources_path = corpus_mod.write_corpus(corpus, root / "corpus")
    with stopwatch() as t:
        build_store(corpus, sources_path, root / "store", opts.build)
    report.add(f"store built ({opts.build})", t[0], "s")
    if opts.only_api:
        ours = start_bildungsnetz(
            root / "store", sources_path, root / "bildungsnetz.log", opts.server_processes
        )
        try:
            _api_bench(report, ours, opts)
        finally:
            _stop(ours.process)
        return
    shutil.copytree(root / "store" / "data", root / "oxigraph")
    dump = root / "dump.nq"
    reader = ox.Store.read_only(str(root / "oxigraph"))
    reader.dump(output=str(dump), format=ox.RdfFormat.N_QUADS)
    report.add("triples served", len(reader), "quads")
    del reader
    offers = _offer_iris(corpus, 200, opts.seed)
    results: dict[str, LoadResult] = {}
    endpoints: list[Endpoint] = []

    qt = opts.query_timeout_s
    ours = start_bildungsnetz(
        root / "store", sources_path, root / "bildungsnetz.log", opts.server_processes
    )
    try:
        endpoints.append(ours)
        results["ours"] = _bench_endpoint(report, ours, offers, opts)
        _report_load(report, "bildungsnetz /sparql", results["ours"], query_timeout_s=qt)
        if "api" not in opts.skip:
            _api_bench(report, ours, opts)
    finally:
        _stop(ours.process)

    if "oxigraph" not in opts.skip:
        oxi = _oxigraph(root)
        try:
            endpoints.append(oxi)
            results["oxigraph"] = _bench_endpoint(report, oxi, offers, opts)
            _report_load(report, "oxigraph server", results["oxigraph"], query_timeout_s=qt)
        finally:
            _stop(oxi.process)

    if "rdflib" not in opts.skip:
        rdf = _rdflib_endpoint(report, root, dump, opts.load_timeout_s)
        if rdf is not None:
            try:
                endpoints.append(rdf)
                results["rdflib"] = _bench_endpoint(report, rdf, offers, opts)
                _report_load(report, "rdflib-endpoint", results["rdflib"], query_timeout_s=qt)
            finally:
                _stop(rdf.process)

    _ratios(report, results)
    _compare_answers(report, endpoints)


def start_bildungsnetz(
    store_dir: Path,
    sources_path: Path,
    log: Path,
    processes: int = 1,
    ready_timeout_s: float = 900.0,
) -> Endpoint:
    """``bildungsnetz serve --processes N`` on ``store_dir`` as a subprocess on a free loopback
    port, ready (a new store's offer index is built first: minutes at 100k offers on a busy
    machine); the caller stops it with :func:`stop`."""
    port = free_port()
    process = _start(
        [
            _bin("bildungsnetz"),
            "serve",
            "--config",
            str(sources_path),
            "--store",
            str(store_dir),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--processes",
            str(processes),
        ],
        log,
    )
    _wait_ready(f"http://127.0.0.1:{port}/healthz", process, log, ready_timeout_s)
    return Endpoint("bildungsnetz", f"http://127.0.0.1:{port}/sparql", process)


def _oxigraph(root: Path) -> Endpoint:
    port = free_port()
    log = root / "oxigraph.log"
    process = _start(
        [
            _bin("oxigraph"),
            "serve",
            "--location",
            str(root / "oxigraph"),
            "--bind",
            f"127.0.0.1:{port}",
            "--union-default-graph",
        ],
        log,
    )
    _wait_ready(f"http://127.0.0.1:{port}/", process, log, 120)
    return Endpoint("oxigraph", f"http://127.0.0.1:{port}/query", process)


def _rdflib_endpoint(report: Report, root: Path, dump: Path, timeout_s: float) -> Endpoint | None:
    """rdflib-endpoint on the dump, ready; None (and a note) when it could not load it within
    ``timeout_s`` or the machine ran short of memory while it loaded."""
    port = free_port()
    log = root / "rdflib-endpoint.log"
    process = _start(
        [_bin("rdflib-endpoint"), "serve", str(dump), "--host", "127.0.0.1", "--port", str(port)],
        log,
    )
    endpoint = Endpoint("rdflib-endpoint", f"http://127.0.0.1:{port}/", process)
    with stopwatch() as t:
        try:
            _wait_ready(f"http://127.0.0.1:{port}/", process, log, timeout_s)
        except RuntimeError as exc:
            rss = _rss_mib(endpoint)
            _stop(process)
            report.add("rdflib-endpoint: load", None, "s", note=f"not served: {exc}")
            report.notes.append(
                f"rdflib-endpoint did not serve {dump.name}: {exc} (RSS {rss:,.0f} MiB)"
            )
            return None
    report.add("rdflib-endpoint: load", t[0], "s", note=f"RSS {_rss_mib(endpoint):,.0f} MiB")
    return endpoint


def _ratios(report: Report, results: dict[str, LoadResult]) -> None:
    ours = results.get("ours")
    if ours is None:
        return
    if "oxigraph" in results and results["oxigraph"].rate:
        ratio = ours.rate / results["oxigraph"].rate
        report.add("ours / oxigraph server", ratio, "×", target="≥ 0.7", met=ratio >= 0.7)
    if "rdflib" in results and results["rdflib"].rate:
        ratio = ours.rate / results["rdflib"].rate
        report.add("ours / rdflib-endpoint", ratio, "×", target="≥ 20", met=ratio >= 20)
    elif "rdflib" in results and results["rdflib"].seconds:
        # none completed: fewer than one answer in the phase, so the ratio is at least this
        bound = ours.rate * results["rdflib"].seconds
        report.add(
            "ours / rdflib-endpoint",
            bound,
            "× (lower bound)",
            target="≥ 20",
            met=bound >= 20,
            note="rdflib-endpoint completed no query in the phase",
        )


def _compare_answers(report: Report, endpoints: list[Endpoint]) -> None:
    if not endpoints:
        return
    first = endpoints[0]
    for name in QUERIES:
        if name == "describe_offer":
            continue  # DESCRIBE's shape is the engine's choice (rdflib adds more than the CBD)
        sizes = {e.name: e.answers[name] for e in endpoints if name in e.answers}
        if len(set(sizes.values())) > 1:
            report.notes.append(f"answers differ for {name}: {sizes}")
    shown = ", ".join(f"{k} {v}" for k, v in first.answers.items())
    report.notes.append(f"answer sizes ({first.name}): {shown}")


def stop(endpoint: Endpoint) -> None:
    """End the endpoint's server process (terminate, then kill after 15 s)."""
    _stop(endpoint.process)


def check_paths(base_url: str, paths: Sequence[str]) -> str | None:
    """GET each path once; the first that does not answer 200, as a message (else None)."""
    with httpx.Client(trust_env=False, timeout=120) as client:
        for path in paths:
            response = client.get(base_url + path)
            if response.status_code != 200:
                return f"GET {path} answered {response.status_code}: {response.text[:200]}"
    return None


def _api_bench(report: Report, ours: Endpoint, opts: Options) -> None:
    base = ours.url.removesuffix("/sparql")
    paths = [f"/offers?{q}" if q else "/offers" for q in API_QUERIES]
    problem = check_paths(base, paths)
    if problem is not None:
        report.notes.append(problem)
        return
    assert ours.process is not None
    summary = loadgen.run(
        base,
        paths,
        connections=opts.api_clients,
        duration_s=opts.duration_s,
        server_pid=ours.process.pid,
        generator=opts.generator,
    )
    loadgen.add_to_report(
        report,
        "GET /offers",
        summary,
        p95_target="≤ 30 ms at 100k offers",
        p95_met=summary.p95_ms <= 30 if opts.offers >= 100_000 else None,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench serve", description=__doc__.split("\n")[0])
    parser.add_argument("--offers", type=int, default=10_000)
    parser.add_argument("--partners", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--clients", type=int, default=8, help="concurrent SPARQL clients")
    parser.add_argument("--api-clients", type=int, default=32, help="concurrent API clients")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds of load per server")
    parser.add_argument(
        "--build",
        choices=("load", "harvest"),
        default="load",
        help="fill the store directly (fast) or through the harvest pipeline",
    )
    parser.add_argument(
        "--skip",
        action="append",
        default=[],
        choices=("oxigraph", "rdflib", "api"),
        help="leave out a comparison server, or the GET /offers load (api)",
    )
    parser.add_argument(
        "--query-timeout",
        type=float,
        default=60.0,
        help="seconds one SPARQL request may take; longer ones count as timed out",
    )
    parser.add_argument(
        "--load-timeout",
        type=float,
        default=900.0,
        help="seconds rdflib-endpoint may take to load the dump before it is reported as failed",
    )
    parser.add_argument(
        "--generator",
        choices=("auto", "wrk", "python"),
        default="auto",
        help="load generator of GET /offers: wrk when installed (auto), or httpx clients",
    )
    parser.add_argument(
        "--only-api",
        action="store_true",
        help="only GET /offers (no SPARQL mix, no comparison servers)",
    )
    parser.add_argument(
        "--server-processes",
        type=int,
        default=1,
        help="bildungsnetz serve --processes: the writer plus read-only replicas (1)",
    )
    parser.add_argument("--workdir", type=Path, help="keep the corpus, stores and logs here")
    args = parser.parse_args(argv)
    if args.offers < 1 or args.partners < 1 or args.partners > args.offers:
        parser.error("need 1 ≤ partners ≤ offers")
    if args.query_timeout <= 0 or args.load_timeout <= 0:
        parser.error("timeouts must be positive")
    if args.duration <= 0 or args.clients < 1 or args.api_clients < 1:
        parser.error("duration and client counts must be positive")
    print(machine_info(), flush=True)
    opts = Options(
        args.offers,
        args.partners,
        args.seed,
        args.clients,
        args.api_clients,
        args.duration,
        args.build,
        tuple(args.skip),
        generator=args.generator,
        only_api=args.only_api,
        load_timeout_s=args.load_timeout,
        query_timeout_s=args.query_timeout,
        server_processes=max(1, args.server_processes),
    )
    print(run(opts, args.workdir).render(), flush=True)
    return 0
