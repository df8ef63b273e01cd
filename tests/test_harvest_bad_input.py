"""Bad input from a real loopback server never loses what is already published.

Each test first publishes a good feed for partner A (and one for partner B), then serves a bad
answer and harvests again: the run must end with a recorded reason and both graphs must be
exactly what they were.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pyoxigraph as ox
import pytest
from feedserver import FeedServer, Reply, drip, gzip_bomb

from importers.fetch import FetchConfig
from importers.pipeline import harvest
from importers.record import RunRecord, read_runs
from importers.validate import Validator
from registry.config import sources_from_dict
from registry.namespaces import SOURCE
from registry.store import OxigraphStore

#: shapes loaded once per module (0.5 s each time otherwise)
VALIDATOR = Validator()
NS_A = "https://anbieter-a.example/"
NS_B = "https://anbieter-b.example/"
FETCH = FetchConfig(
    allow_hosts=frozenset({"127.0.0.1"}),
    backoff_s=0.01,
    timeout_s=1.0,
    retries=1,
    max_bytes=200_000,
)


@dataclass
class Harvested:
    server: FeedServer
    store: OxigraphStore
    before: dict[str, set[ox.Triple]]

    def again(self, path: str, *, fmt: str | None = None, url: str | None = None) -> RunRecord:
        """Harvest feed A from ``path`` (or ``url``) and return its run record."""
        feed: dict[str, object] = {"id": "a", "url": url or self.server.url(path)}
        if fmt:
            feed["format"] = fmt
        sources = sources_from_dict(
            {
                "harvest": {"collapse_guard_min_offers": 2},
                "partner": [
                    {"id": "a", "namespaces": [NS_A], "feed": [feed]},
                    {
                        "id": "b",
                        "namespaces": [NS_B],
                        "feed": [{"id": "b", "url": self.server.url("/b.ttl")}],
                    },
                ],
            }
        )
        (run,) = harvest(
            sources,
            self.store,
            fetch_config=FETCH,
            validator=VALIDATOR,
            feed_ids=["a"],
            load_vocabulary=False,
        )
        return run

    def assert_intact(self) -> None:
        for feed, triples in self.before.items():
            assert set(self.store.triples(SOURCE + feed)) == triples, feed


@pytest.fixture
def harvested(
    feed_server: FeedServer, memory_store: OxigraphStore, make_feed: Callable[..., bytes]
) -> Iterator[Harvested]:
    feed_server.routes["/good.ttl"] = Reply(make_feed(NS_A, range(3)))
    feed_server.routes["/b.ttl"] = Reply(make_feed(NS_B, range(2)))
    h = Harvested(feed_server, memory_store, {})
    h.again("/good.ttl")
    sources = sources_from_dict(
        {
            "partner": [
                {
                    "id": "b",
                    "namespaces": [NS_B],
                    "feed": [{"id": "b", "url": feed_server.url("/b.ttl")}],
                }
            ]
        }
    )
    harvest(sources, memory_store, fetch_config=FETCH, validator=VALIDATOR, load_vocabulary=False)
    h.before = {f: set(memory_store.triples(SOURCE + f)) for f in ("a", "b")}
    assert len(h.before["a"]) > 30 and len(h.before["b"]) > 20
    yield h


def kept(h: Harvested, run: RunRecord, outcome: str) -> None:
    assert run.outcome == outcome, run.message
    assert run.kept_last_good and run.message
    h.assert_intact()
    assert read_runs(h.store, SOURCE + "a")[0]["outcome"] == outcome


def test_404(harvested: Harvested) -> None:
    run = harvested.again("/missing.ttl")
    kept(harvested, run, "FetchFailed")
    assert run.http_status == 404


def test_500(harvested: Harvested) -> None:
    harvested.server.routes["/err.ttl"] = Reply(b"boom", status=500)
    run = harvested.again("/err.ttl")
    kept(harvested, run, "FetchFailed")
    assert run.http_status == 500 and len(harvested.server.requests_to("/err.ttl")) == 2


def test_connection_refused(harvested: Harvested) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    kept(harvested, harvested.again("", url=f"http://127.0.0.1:{port}/a.ttl"), "FetchFailed")


def test_timeout(harvested: Harvested) -> None:
    harvested.server.routes["/silent.ttl"] = lambda h: time.sleep(2)
    started = time.monotonic()
    kept(harvested, harvested.again("/silent.ttl"), "FetchFailed")
    assert time.monotonic() - started < 3


def test_slow_drip(harvested: Harvested, make_feed: Callable[..., bytes]) -> None:
    harvested.server.routes["/drip.ttl"] = drip(make_feed(NS_A, range(1)), pause_s=0.02)
    started = time.monotonic()
    kept(harvested, harvested.again("/drip.ttl"), "FetchFailed")
    assert time.monotonic() - started < 3


def test_body_over_the_size_limit(harvested: Harvested, make_feed: Callable[..., bytes]) -> None:
    harvested.server.routes["/big.ttl"] = Reply(make_feed(NS_A, range(400)))
    kept(harvested, harvested.again("/big.ttl"), "FetchFailed")


def test_gzip_bomb(harvested: Harvested) -> None:
    harvested.server.routes["/bomb.ttl"] = gzip_bomb(20 * 1024 * 1024)
    run = harvested.again("/bomb.ttl")
    kept(harvested, run, "FetchFailed")
    assert "decompression" in (run.message or "")


MALFORMED = {
    "/bad.ttl": (b'<https://anbieter-a.example/x> <https://schema.org/name> "x\n', "text/turtle"),
    "/bad.trig": (b"<urn:g> { <https://anbieter-a.example/x> <urn:p> . }", "application/trig"),
    "/bad.nt": (b"<https://anbieter-a.example/x> <urn:p> <urn:o>\n", "application/n-triples"),
    "/bad.nq": (
        b'<https://anbieter-a.example/x> <urn:p> "o" <urn:g> <urn:x> .\n',
        "application/n-quads",
    ),
    "/bad.rdf": (
        b'<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        b"<rdf:Description></rdf:RDF>",
        "application/rdf+xml",
    ),
    "/bad.jsonld": (b'{"@id": "https://anbieter-a.example/x", "urn:p": ', "application/ld+json"),
}


@pytest.mark.parametrize("path", sorted(MALFORMED))
def test_malformed_syntax_in_each_format(harvested: Harvested, path: str) -> None:
    body, media = MALFORMED[path]
    harvested.server.routes[path] = Reply(body, content_type=media)
    kept(harvested, harvested.again(path), "ParseFailed")


def test_wrong_content_type(harvested: Harvested, make_feed: Callable[..., bytes]) -> None:
    harvested.server.routes["/wrong"] = Reply(
        make_feed(NS_A, range(1)), content_type="application/rdf+xml"
    )
    kept(harvested, harvested.again("/wrong"), "ParseFailed")


def test_html_instead_of_rdf(harvested: Harvested) -> None:
    harvested.server.routes["/page"] = Reply(
        b"<!doctype html><html></html>", content_type="text/html"
    )
    kept(harvested, harvested.again("/page"), "ParseFailed")


def test_missing_content_type_is_sniffed(
    harvested: Harvested, make_feed: Callable[..., bytes]
) -> None:
    harvested.server.routes["/feed"] = Reply(make_feed(NS_A, range(4)), content_type=None)
    run = harvested.again("/feed")
    assert run.outcome == "Published" and run.offers_published == 4


XML_ATTACKS = {
    "laughs": b"""<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:s="https://schema.org/">
<rdf:Description rdf:about="https://anbieter-a.example/x"><s:name>&c;</s:name></rdf:Description>
</rdf:RDF>""",
    "external": b"""<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY e SYSTEM "file:///etc/passwd">]>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:s="https://schema.org/">
<rdf:Description rdf:about="https://anbieter-a.example/x"><s:name>&e;</s:name></rdf:Description>
</rdf:RDF>""",
}


@pytest.mark.parametrize("kind", sorted(XML_ATTACKS))
def test_xml_entities(harvested: Harvested, kind: str) -> None:
    harvested.server.routes["/x.rdf"] = Reply(XML_ATTACKS[kind], content_type="application/rdf+xml")
    run = harvested.again("/x.rdf")
    kept(harvested, run, "ParseFailed")
    assert "root:" not in (run.message or "")


@pytest.mark.parametrize(
    "context", ["https://evil.example/context.jsonld", "file:///etc/passwd", "ctx.jsonld"]
)
def test_jsonld_remote_or_local_context(harvested: Harvested, context: str) -> None:
    body = json.dumps({"@context": context, "@id": "https://anbieter-a.example/x", "name": "x"})
    harvested.server.routes["/x.jsonld"] = Reply(body.encode(), content_type="application/ld+json")
    kept(harvested, harvested.again("/x.jsonld"), "ParseFailed")
    assert not [r for r in harvested.server.requests if "ctx" in r.path]


def test_redirect_loop(harvested: Harvested) -> None:
    harvested.server.routes["/loop1"] = Reply(status=302, headers={"Location": "/loop2"})
    harvested.server.routes["/loop2"] = Reply(status=302, headers={"Location": "/loop1"})
    kept(harvested, harvested.again("/loop1"), "FetchFailed")


def test_redirect_to_private_address(harvested: Harvested, make_feed: Callable[..., bytes]) -> None:
    harvested.server.routes["/moved"] = Reply(
        status=301, headers={"Location": f"http://localhost:{harvested.server.port}/inner.ttl"}
    )
    harvested.server.routes["/inner.ttl"] = Reply(make_feed(NS_A, range(1)))
    run = harvested.again("/moved")
    kept(harvested, run, "FetchFailed")
    assert "private or loopback" in (run.message or "")
    assert not harvested.server.requests_to("/inner.ttl")


def test_feed_describing_another_partners_offers(
    harvested: Harvested, make_feed: Callable[..., bytes]
) -> None:
    harvested.server.routes["/theirs.ttl"] = Reply(make_feed(NS_B, range(2), version=" gekapert"))
    run = harvested.again("/theirs.ttl")
    kept(harvested, run, "OwnershipRefused")
    assert run.triples_dropped > 0 and NS_B + "kurs/0" in run.dropped_sample


def test_mixed_feed_drops_foreign_subjects(
    harvested: Harvested, make_feed: Callable[..., bytes]
) -> None:
    mine = make_feed(NS_A, range(3))
    theirs = (
        make_feed(NS_B, [0], version=" gekapert")
        .replace(b"@base", b"#")
        .replace(b"<kurs/", f"<{NS_B}kurs/".encode())
        .replace(b"<ort/", f"<{NS_B}ort/".encode())
        .replace(b"<anbieter>", f"<{NS_B}anbieter>".encode())
    )
    harvested.server.routes["/mixed.ttl"] = Reply(mine + theirs)
    run = harvested.again("/mixed.ttl")
    assert run.outcome == "Published" and run.triples_dropped > 0
    assert NS_B + "kurs/0" in run.dropped_sample
    assert set(harvested.store.triples(SOURCE + "b")) == harvested.before["b"]
    saved = read_runs(harvested.store, SOURCE + "a")[0]
    assert saved["triplesDropped"] == run.triples_dropped and saved["droppedSubject"]


def test_duplicate_offer_iris_within_one_feed(
    harvested: Harvested, make_feed: Callable[..., bytes]
) -> None:
    twice = make_feed(NS_A, range(3)) + make_feed(NS_A, [0], version=" zweimal")
    harvested.server.routes["/dup.ttl"] = Reply(twice)
    run = harvested.again("/dup.ttl")
    assert run.outcome == "Published"
    # the two descriptions merge into one offer with two names: a core violation
    assert run.rejected == [NS_A + "kurs/0"] and run.offers_published == 2
    assert set(harvested.store.triples(SOURCE + "b")) == harvested.before["b"]


def test_empty_feed(harvested: Harvested) -> None:
    harvested.server.routes["/empty.ttl"] = Reply(b"\n  \n")
    kept(harvested, harvested.again("/empty.ttl"), "EmptyFeed")
    harvested.server.routes["/comments.ttl"] = Reply(
        b"# nothing here\n@prefix s: <https://schema.org/> .\n"
    )
    kept(harvested, harvested.again("/comments.ttl"), "EmptyFeed")


def test_feed_that_suddenly_loses_all_offers(
    harvested: Harvested, make_feed: Callable[..., bytes]
) -> None:
    harvested.server.routes["/none.ttl"] = Reply(make_feed(NS_A, []))
    run = harvested.again("/none.ttl")
    kept(harvested, run, "CollapseGuarded")
    harvested.server.routes["/broken.ttl"] = Reply(make_feed(NS_A, range(3), invalid=(0, 1, 2)))
    run = harvested.again("/broken.ttl")
    kept(harvested, run, "CollapseGuarded")
    assert run.offers_rejected == 3


def test_unexpected_error_in_one_feed_keeps_its_graph(
    harvested: Harvested, make_feed: Callable[..., bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    import importers.pipeline as pipeline

    def broken(*args: object, **kwargs: object) -> list[bytes]:
        raise ValueError("a bug in a stage")

    monkeypatch.setattr(pipeline, "normalise_lines", broken)
    harvested.server.routes["/ok.ttl"] = Reply(make_feed(NS_A, range(2)))
    run = harvested.again("/ok.ttl")
    kept(harvested, run, "Failed")
    assert "a bug in a stage" in (run.message or "")
