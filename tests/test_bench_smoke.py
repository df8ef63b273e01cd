"""The benchmarks still run: each at a tiny size, checking that it prints its figures.

Not timed tests: the figures are not judged, only that every phase ran and reported a number.
The corpus itself is checked for real: deterministic, mutated as asked, and conforming to the
core shapes (the benchmarks would measure the wrong work if offers were quarantined).
"""

from __future__ import annotations

import asyncio
import re
import shutil
import socket
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest

from bench import corpus, harvest_bench, loadgen, search_bench, serve_bench
from bench.common import FeedServer, Report
from registry.resources import shapes_dir


def _figure(output: str, name: str) -> float:
    match = re.search(rf"^\s+{re.escape(name)}\s+([\d,.]+)\s", output, re.MULTILINE)
    assert match, f"figure {name!r} missing in:\n{output}"
    return float(match.group(1).replace(",", ""))


def test_corpus_is_deterministic_and_sized(tmp_path: Path) -> None:
    a = corpus.generate(60, 3, seed=5)
    b = corpus.generate(60, 3, seed=5)
    assert corpus.feed_turtle(a, 1) == corpus.feed_turtle(b, 1)
    assert corpus.feed_turtle(a, 1) != corpus.feed_turtle(corpus.generate(60, 3, seed=6), 1)
    corpus.write_corpus(a, tmp_path)
    triples = harvest_bench.count_triples(tmp_path / "feeds")
    assert 18 <= triples / 60 <= 30
    assert len(list((tmp_path / "feeds").glob("*.ttl"))) == 3
    assert 'namespaces = ["https://p001-' in (tmp_path / "sources.toml").read_text()


def test_mutate_changes_the_given_share() -> None:
    base = corpus.generate(200, 4)
    changed, feeds = corpus.mutate(base, 5)
    differing = [
        i for i, (x, y) in enumerate(zip(base.offers, changed.offers, strict=True)) if x != y
    ]
    assert len(differing) == 10
    assert feeds == {base.offers[i].partner for i in differing}
    assert all(changed.offers[i].price > base.offers[i].price for i in differing)


def test_corpus_conforms_to_core_shapes() -> None:
    pyshacl = pytest.importorskip("pyshacl")
    rdflib = pytest.importorskip("rdflib")
    sample = corpus.generate(24, 8)
    shapes = rdflib.Graph().parse(str(shapes_dir() / "core.ttl"), format="turtle")
    for partner in range(len(sample.partners)):
        graph = rdflib.Graph().parse(data=corpus.feed_turtle(sample, partner), format="turtle")
        conforms, _, text = pyshacl.validate(graph, shacl_graph=shapes, inference="none")
        assert conforms, text


def test_feed_server_answers_conditional_get(tmp_path: Path) -> None:
    (tmp_path / "feed.ttl").write_text("<urn:a> <urn:b> <urn:c> .\n")
    with FeedServer(tmp_path) as server:
        first = httpx.get(server.base_url + "feed.ttl", trust_env=False)
        assert first.status_code == 200 and first.headers["ETag"]
        again = httpx.get(
            server.base_url + "feed.ttl",
            trust_env=False,
            headers={"If-None-Match": first.headers["ETag"]},
        )
        assert again.status_code == 304
        (tmp_path / "feed.ttl").write_text("<urn:a> <urn:b> <urn:d> .\n")
        changed = httpx.get(
            server.base_url + "feed.ttl",
            trust_env=False,
            headers={"If-None-Match": first.headers["ETag"]},
        )
        assert changed.status_code == 200 and b"urn:d" in changed.content
        assert httpx.get(server.base_url + "../x", trust_env=False).status_code == 404
    assert server.not_modified == 1


def test_plain_bulk_load_holds_every_triple(tmp_path: Path) -> None:
    small = corpus.generate(30, 3)
    corpus.write_corpus(small, tmp_path / "c")
    harvest_bench.plain_bulk_load(tmp_path / "c" / "feeds", small, tmp_path / "s")
    store = ox.Store.read_only(str(tmp_path / "s"))
    assert len(store) == harvest_bench.count_triples(tmp_path / "c" / "feeds")
    assert len(list(store.named_graphs())) == 3


@pytest.mark.parametrize("generator", ["python", "wrk", "auto"])
def test_loadgen_cycles_paths_and_counts_non_2xx(
    tmp_path: Path, generator: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if generator == "wrk" and loadgen.wrk_path() is None:
        pytest.skip("wrk is not installed")
    if generator == "auto":  # a machine without wrk: the httpx clients run and say so
        monkeypatch.setattr(loadgen, "wrk_path", lambda: None)
    (tmp_path / "a.ttl").write_text("<urn:a> <urn:b> <urn:c> .\n")
    (tmp_path / "b.ttl").write_text("<urn:a> <urn:b> <urn:d> .\n")
    with FeedServer(tmp_path) as server:
        summary = loadgen.run(
            server.base_url,
            ["/a.ttl", "/b.ttl", "/missing.ttl"],
            connections=2,
            duration_s=1,
            generator=generator,
            seed=3,
        )
        served = server.requests
    assert summary.generator.startswith("wrk" if generator == "wrk" else "python httpx")
    assert any("apt-get install wrk" in n for n in summary.notes) == (generator == "auto")
    assert summary.requests > 10
    # every third request asks for the missing file: counted as non-2xx, by status
    assert summary.statuses["404"] == summary.errors["non2xx"]
    assert summary.requests / 3 - 2 <= summary.errors["non2xx"] <= summary.requests / 3 + 2
    assert served >= summary.requests
    assert 0 < summary.p50_ms <= summary.p95_ms <= summary.p99_ms
    assert summary.generator_cpu_s > 0
    report = Report("load")
    loadgen.add_to_report(report, "files", summary)
    out = report.render()
    assert _figure(out, "files: throughput") > 0
    assert summary.generator.split(" (")[0] in out


def test_loadgen_refuses_bad_paths() -> None:
    with pytest.raises(ValueError, match="start with /"):
        loadgen.run("http://127.0.0.1:9/", ["offers"], connections=1, duration_s=1)


def test_search_http_variants_are_distinct_spellings() -> None:
    plain = search_bench.http_paths()
    spelled = search_bench.http_paths(search_bench.HTTP_VARIANTS)
    assert len(plain) == len(search_bench.MIX)
    assert len(set(spelled)) == len(plain) * search_bench.HTTP_VARIANTS
    assert all(p.startswith("/offers?") and "limit=20" in p for p in spelled)
    # more distinct requests than the facet cache holds, so a cycle never meets a cached count
    from registry.search_query import _CACHE_SIZE

    assert len(spelled) > _CACHE_SIZE


@pytest.mark.slow
def test_harvest_bench_prints_its_figures(capsys: pytest.CaptureFixture[str]) -> None:
    assert harvest_bench.main(["--offers", "40", "--partners", "2", "--baseline-offers", "10"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("machine: ")
    assert _figure(out, "corpus triples") > 40 * 18
    assert _figure(out, "plain bulk_load (no validation)") > 0
    assert _figure(out, "naive rdflib + pySHACL") > 0
    assert "extrapolated" in out
    if harvest_bench.find_harvest() is not None:
        assert _figure(out, "cold harvest rate") > 0
        assert "2/2 answered 304" in out
        assert _figure(out, "as share of cold") > 0


@pytest.mark.slow
def test_serve_bench_prints_its_figures(capsys: pytest.CaptureFixture[str]) -> None:
    for tool in ("bildungsnetz", "oxigraph", "rdflib-endpoint"):
        if shutil.which(tool, path=str(Path(serve_bench.sys.executable).parent)) is None:
            pytest.skip(f"{tool} is not installed in the virtual environment")
    assert (
        serve_bench.main(
            [
                "--offers",
                "40",
                "--partners",
                "2",
                "--duration",
                "0.5",
                "--clients",
                "2",
                "--api-clients",
                "4",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    for name in (
        "bildungsnetz /sparql: throughput",
        "oxigraph server: throughput",
        "rdflib-endpoint: throughput",
        "GET /offers: p95",
        "GET /offers: server CPU",
        "ours / oxigraph server",
    ):
        assert _figure(out, name) > 0
    assert "answers differ" not in out
    assert "GET /offers: generator " in out


@pytest.mark.slow
def test_search_bench_over_http_prints_its_figures(capsys: pytest.CaptureFixture[str]) -> None:
    if shutil.which("bildungsnetz", path=str(Path(serve_bench.sys.executable).parent)) is None:
        pytest.skip("bildungsnetz is not installed in the virtual environment")
    args = ["--offers", "60", "--partners", "2", "--repeat", "2", "--http-duration", "1"]
    assert search_bench.main([*args, "--connections", "4"]) == 0
    out = capsys.readouterr().out
    for name in ("search mix, facets cached", "search mix, facets counted"):
        assert _figure(out, f"{name}: throughput") > 0
        assert _figure(out, f"{name}: p99") > 0
        assert _figure(out, f"{name}: server CPU") > 0
    assert "errors: none" in out


def test_sparql_load_counts_timeouts_and_reports_completed_only() -> None:
    # a listener that accepts connections and never answers: every query must time out
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/sparql"

        async def send(client: httpx.AsyncClient, n: int) -> httpx.Response:
            return await serve_bench._post_query(client, url, "price_by_level_mode", [], n, 0.2)

        stalled = asyncio.run(serve_bench.run_load(send, 2, 0.5))
    assert stalled.requests == 0 and stalled.kinds["timeout"] == stalled.errors >= 2
    assert stalled.seconds < 2  # bounded by the query timeout, not by the load's own timeout
    ours = serve_bench.LoadResult(30, 0, 10.0, [0.1] * 30)
    report = Report("t")
    serve_bench._report_load(report, "slow", stalled, query_timeout_s=0.2)
    serve_bench._ratios(report, {"ours": ours, "rdflib": stalled})
    out = report.render()
    assert _figure(out, "slow: timed out") == stalled.errors
    assert f"0 completed, {stalled.errors} timed out (> 0.2 s)" in out
    assert "no request completed" in out
    # nothing completed: the ratio is a lower bound, ours' rate times the phase's length
    bound = _figure(out, "ours / rdflib-endpoint")
    assert bound == pytest.approx(3.0 * stalled.seconds, rel=0.05)
    assert "× (lower bound)" in out


def test_rdflib_endpoint_that_does_not_load_in_time_is_reported(tmp_path: Path) -> None:
    if shutil.which("rdflib-endpoint", path=str(Path(serve_bench.sys.executable).parent)) is None:
        pytest.skip("rdflib-endpoint is not installed in the virtual environment")
    dump = tmp_path / "dump.nq"
    dump.write_text("<urn:a> <urn:b> <urn:c> <urn:g> .\n")
    report = Report("t")
    assert serve_bench._rdflib_endpoint(report, tmp_path, dump, 0.0) is None
    out = report.render()
    assert "rdflib-endpoint: load" in out and "not ready after 0 s" in out
    assert "rdflib-endpoint did not serve dump.nq" in out
