"""The harvest end to end against a real loopback server: publish, 304, quarantine, records."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
from feedserver import FeedServer, Reply
from typer.testing import CliRunner

from importers.fetch import FetchConfig
from importers.pipeline import harvest
from importers.record import read_runs
from importers.state import load_state, report_graph, state_graph
from importers.validate import Validator
from registry.cli import app
from registry.config import Sources, sources_from_dict
from registry.namespaces import DCAT, DCTERMS, FOAF, REGISTRY_GRAPH, SOURCE, VOCABULARY_GRAPH
from registry.store import OxigraphStore

#: shapes loaded once per module (0.5 s each time otherwise)
VALIDATOR = Validator()
NS_A = "https://anbieter-a.example/"
NS_B = "https://anbieter-b.example/"
FETCH = FetchConfig(allow_hosts=frozenset({"127.0.0.1"}), backoff_s=0.01, timeout_s=5, retries=1)


def sources_for(server: FeedServer, **harvest_settings: Any) -> Sources:
    return sources_from_dict(
        {
            "harvest": {"collapse_guard_min_offers": 2, **harvest_settings},
            "partner": [
                {
                    "id": "a",
                    "name": "Anbieter A",
                    "namespaces": [NS_A],
                    "license": "CC-BY-4.0",
                    "feed": [{"id": "a", "url": server.url("/a.ttl")}],
                },
                {
                    "id": "b",
                    "name": "Anbieter B",
                    "namespaces": [NS_B],
                    "feed": [{"id": "b", "url": server.url("/b.ttl"), "format": "turtle"}],
                },
            ],
        }
    )


def offers_in(store: OxigraphStore, feed: str) -> set[str]:
    rows = store.query(
        "SELECT ?o WHERE { GRAPH <%s> { ?o a <https://schema.org/Course> } }" % (SOURCE + feed)
    )
    assert isinstance(rows, ox.QuerySolutions)
    return {r["o"].value for r in rows}


def test_cold_then_304_then_change(
    feed_server: FeedServer, empty_store: OxigraphStore, make_feed: Callable[..., bytes]
) -> None:
    feed_server.routes["/a.ttl"] = Reply(make_feed(NS_A, range(3)), etag='"a1"')
    feed_server.routes["/b.ttl"] = Reply(make_feed(NS_B, range(2)))
    sources = sources_for(feed_server)
    first = harvest(sources, empty_store, fetch_config=FETCH, validator=VALIDATOR)
    assert [(r.feed_id, r.outcome, r.offers_published) for r in first] == [
        ("a", "Published", 3),
        ("b", "Published", 2),
    ]
    assert len(first[0].added) == 3 and first[0].by_kreis == {
        "https://w3id.org/bildungsnetz/region/owl/kreis/05766": 3
    }
    assert len(offers_in(empty_store, "a")) == 3
    assert VOCABULARY_GRAPH in empty_store.named_graphs()

    second = harvest(sources, empty_store, fetch_config=FETCH, validator=VALIDATOR)
    assert [r.outcome for r in second] == ["NotModified", "Unchanged"]
    assert second[0].offers_published == 3
    assert feed_server.requests_to("/a.ttl")[-1].headers["if-none-match"] == '"a1"'

    feed_server.routes["/a.ttl"] = Reply(make_feed(NS_A, [0, 1, 3], version=" neu"), etag='"a2"')
    third = harvest(sources, empty_store, fetch_config=FETCH, validator=VALIDATOR, feed_ids=["a"])
    (run,) = third
    assert run.outcome == "Published"
    assert run.added == [NS_A + "kurs/3"] and run.removed == [NS_A + "kurs/2"]
    assert run.changed == [NS_A + "kurs/0", NS_A + "kurs/1"]
    assert offers_in(empty_store, "a") == {NS_A + "kurs/0", NS_A + "kurs/1", NS_A + "kurs/3"}


def test_unchanged_offers_are_not_revalidated(
    feed_server: FeedServer, empty_store: OxigraphStore, make_feed: Callable[..., bytes]
) -> None:
    feed_server.routes["/a.ttl"] = Reply(make_feed(NS_A, range(4)))
    feed_server.routes["/b.ttl"] = Reply(make_feed(NS_B, range(1)))
    sources = sources_for(feed_server)
    harvest(sources, empty_store, fetch_config=FETCH, validator=VALIDATOR, load_vocabulary=False)
    feed_server.routes["/a.ttl"] = Reply(make_feed(NS_A, range(5)))
    (run,) = harvest(
        sources,
        empty_store,
        fetch_config=FETCH,
        validator=VALIDATOR,
        feed_ids=["a"],
        load_vocabulary=False,
    )
    assert run.offers_revalidated == 1 and run.offers_published == 5


def test_invalid_offer_is_quarantined_and_shared_provider_kept(
    feed_server: FeedServer, empty_store: OxigraphStore, make_feed: Callable[..., bytes]
) -> None:
    feed_server.routes["/a.ttl"] = Reply(make_feed(NS_A, range(3), invalid=(1,)))
    feed_server.routes["/b.ttl"] = Reply(make_feed(NS_B, range(1)))
    (run,) = harvest(
        sources_for(feed_server),
        empty_store,
        fetch_config=FETCH,
        validator=VALIDATOR,
        feed_ids=["a"],
        load_vocabulary=False,
    )
    assert run.outcome == "Published"
    assert run.rejected == [NS_A + "kurs/1"] and run.offers_rejected == 1
    assert run.offers_published == 2
    assert offers_in(empty_store, "a") == {NS_A + "kurs/0", NS_A + "kurs/2"}
    subjects = {str(t.subject.value) for t in empty_store.triples(SOURCE + "a")}  # type: ignore[union-attr]
    assert NS_A + "anbieter" in subjects  # shared with valid offers
    assert NS_A + "kurs/1/termin" not in subjects and NS_A + "ort/1" not in subjects
    saved = read_runs(empty_store, SOURCE + "a")[0]
    assert saved["outcome"] == "Published" and saved["offerRejected"] == [NS_A + "kurs/1"]
    assert saved["offersRejected"] == 1
    # the quarantined offer's violations: in the feed state and in the feed's SHACL report
    rejected = load_state(empty_store, "a").offers[NS_A + "kurs/1"]
    assert not rejected.conforms and rejected.violations
    assert saved["reportGraph"] == report_graph("a")
    assert empty_store.query(
        f"""ASK {{ GRAPH <{report_graph("a")}> {{ ?r <http://www.w3.org/ns/shacl#result> ?x .
             ?x <http://www.w3.org/ns/shacl#focusNode> <{NS_A}kurs/1> ;
                <http://www.w3.org/ns/shacl#resultSeverity>
                <http://www.w3.org/ns/shacl#Violation> }} }}"""
    )


def test_registry_graph_holds_dcat_and_prov(
    feed_server: FeedServer, empty_store: OxigraphStore, make_feed: Callable[..., bytes]
) -> None:
    feed_server.routes["/a.ttl"] = Reply(make_feed(NS_A, range(1)))
    feed_server.routes["/b.ttl"] = Reply(status=500)
    harvest(
        sources_for(feed_server),
        empty_store,
        fetch_config=FETCH,
        validator=VALIDATOR,
        load_vocabulary=False,
    )
    ask = empty_store.query(
        f"""ASK {{ GRAPH <{REGISTRY_GRAPH}> {{
          <{SOURCE}a> a <{DCAT}Dataset> ; <{DCTERMS}license> <http://spdx.org/licenses/CC-BY-4.0> ;
             <{DCAT}distribution> ?d ; <{DCTERMS}publisher> ?p .
          ?p a <{FOAF}Agent> .
          ?run a <http://www.w3.org/ns/prov#Activity> ;
             <http://www.w3.org/ns/prov#used> <{SOURCE}b> ;
             <https://w3id.org/bildungsnetz/ontology#outcome>
             <https://w3id.org/bildungsnetz/ontology#FetchFailed> ;
             <https://w3id.org/bildungsnetz/ontology#httpStatus> ?s .
          FILTER(STRSTARTS(STR(?run), "https://w3id.org/bildungsnetz/harvest/b-")) }} }}"""
    )
    assert bool(ask)
    assert state_graph("b") not in empty_store.named_graphs()


def test_retention_prunes_old_run_details(
    feed_server: FeedServer, empty_store: OxigraphStore, make_feed: Callable[..., bytes]
) -> None:
    feed_server.routes["/b.ttl"] = Reply(make_feed(NS_B, range(1)))
    sources = sources_for(feed_server, keep_run_details=1)
    for n in range(3):
        feed_server.routes["/a.ttl"] = Reply(make_feed(NS_A, range(1), version=str(n)))
        harvest(
            sources,
            empty_store,
            fetch_config=FETCH,
            validator=VALIDATOR,
            feed_ids=["a"],
            load_vocabulary=False,
        )
    runs = read_runs(empty_store, SOURCE + "a", limit=3)
    assert [bool(r.get("detailsPruned")) for r in runs] == [False, True, True]
    assert "reportGraph" in runs[0] and "reportGraph" not in runs[1]
    assert runs[2]["supplyByTopic"]  # summary counts are kept
    reports = [g for g in empty_store.named_graphs() if "/report" in g]
    assert reports == [report_graph("a")]


@pytest.mark.parametrize("concurrency", [1, 3])
def test_many_feeds_concurrently_one_writer(
    feed_server: FeedServer,
    empty_store: OxigraphStore,
    make_feed: Callable[..., bytes],
    concurrency: int,
) -> None:
    partners = []
    for n in range(6):
        ns = f"https://p{n}.example/"
        feed_server.routes[f"/p{n}.ttl"] = Reply(make_feed(ns, range(2)))
        partners.append(
            {"id": f"p{n}", "namespaces": [ns], "feed": [{"url": feed_server.url(f"/p{n}.ttl")}]}
        )
    sources = sources_from_dict({"harvest": {"concurrency": concurrency}, "partner": partners})
    runs = harvest(
        sources, empty_store, fetch_config=FETCH, validator=VALIDATOR, load_vocabulary=False
    )
    assert [r.feed_id for r in runs] == [f"p{n}" for n in range(6)]
    assert all(r.outcome == "Published" and r.offers_published == 2 for r in runs)


def test_cli_harvest_and_report(
    feed_server: FeedServer, tmp_path: Path, make_feed: Callable[..., bytes]
) -> None:
    feed_server.routes["/a.ttl"] = Reply(make_feed(NS_A, range(2), invalid=(1,)))
    config = tmp_path / "sources.toml"
    config.write_text(
        f"""[harvest]
allow_private_networks = true
[[partner]]
id = "a"
name = "Anbieter A"
namespaces = ["{NS_A}"]
  [[partner.feed]]
  url = "{feed_server.url("/a.ttl")}"
""",
        encoding="utf-8",
    )
    store = str(tmp_path / "store")
    runner = CliRunner()
    done = runner.invoke(app, ["harvest", "--config", str(config), "--store", store])
    assert done.exit_code == 0, done.output
    assert "Published" in done.output
    de = runner.invoke(app, ["report", "a", "--config", str(config), "--store", store])
    assert de.exit_code == 0 and "1 Angebote veröffentlicht, 1 zurückgewiesen" in de.output
    assert "Fehler:" in de.output
    en = runner.invoke(
        app, ["report", "a", "--config", str(config), "--store", store, "--lang", "en"]
    )
    assert "1 offers published, 1 rejected" in en.output
    js = runner.invoke(
        app, ["report", "a", "--config", str(config), "--store", store, "--format", "json"]
    )
    last = json.loads(js.output)["feeds"][0]["last_run"]
    assert last["offerRejected"] == [NS_A + "kurs/1"]


def test_cli_configuration_errors_exit_2(tmp_path: Path) -> None:
    config = tmp_path / "sources.toml"
    config.write_text('[[partner]]\nid = "a"\nnamespaces = ["https://a.example/"]\n')
    for args in (
        ["harvest", "--config", str(tmp_path / "missing.toml"), "--store", str(tmp_path / "s")],
        ["harvest", "--config", str(config), "--store", str(tmp_path / "s"), "--source", "zz"],
    ):
        result = subprocess.run(
            [sys.executable, "-c", "from registry.cli import main; main()", *args],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 2, result.stderr
        assert "Traceback" not in result.stderr


def test_worker_processes_keep_quarantine_of_unchanged_offers(
    feed_server: FeedServer, empty_store: OxigraphStore, make_feed: Callable[..., bytes]
) -> None:
    """In worker processes, an unchanged invalid offer stays quarantined when its feed
    changes elsewhere (the worker only gets hashes and violations of the old reports)."""
    sources = sources_for(feed_server, processes=1)
    feed_server.routes["/b.ttl"] = Reply(make_feed(NS_B, range(1)))
    feed_server.routes["/a.ttl"] = Reply(make_feed(NS_A, range(3), invalid=(1,)))
    first = harvest(sources, empty_store, fetch_config=FETCH, feed_ids=["a"], load_vocabulary=False)
    feed_server.routes["/a.ttl"] = Reply(make_feed(NS_A, range(4), invalid=(1,)))
    (run,) = harvest(
        sources, empty_store, fetch_config=FETCH, feed_ids=["a"], load_vocabulary=False
    )
    assert first[0].rejected == run.rejected == [NS_A + "kurs/1"]
    assert run.offers_revalidated == 1 and run.offers_published == 3
    assert offers_in(empty_store, "a") == {NS_A + f"kurs/{n}" for n in (0, 2, 3)}
    # the writer's own reports are back in the state: warnings and names, not stand-ins
    state = load_state(empty_store, "a")
    assert state.offers[NS_A + "kurs/1"].violations and state.offers[NS_A + "kurs/0"].name


def test_a_dead_worker_fails_its_feed_not_the_harvest() -> None:
    from concurrent.futures import Future
    from concurrent.futures.process import BrokenProcessPool

    from importers import pipeline

    sources = sources_from_dict(
        {
            "partner": [
                {
                    "id": "a",
                    "name": "A",
                    "namespaces": [NS_A],
                    "feed": [{"id": "a", "url": "http://a.example/f"}],
                }
            ]
        }
    )
    feed = sources.select(None)[0]
    future: Future[pipeline.Prepared] = Future()
    future.set_exception(BrokenProcessPool("gone"))
    pipeline._POOL = (1, None)  # type: ignore[assignment]
    prepared = pipeline._outcome(future, feed, sources.partner("a"))
    assert prepared.outcome == "Failed" and "ended abruptly" in (prepared.message or "")
    assert pipeline._POOL is None  # the next harvest starts new workers
