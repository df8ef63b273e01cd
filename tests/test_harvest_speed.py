"""The shortcuts of the harvest's hot path give what the plain definitions give.

* closure hashes come from one serialisation of the feed, yet equal ``content_hash`` (the
  sorted ``str`` of each triple), so states saved before the shortcut stay valid;
* the validator's serialisation is the graph published when nothing is quarantined;
* a worker process sends its fetch without the body (the hash stays) and its reports with
  their state and report text already rendered, exactly as the writer would render them.
"""

from __future__ import annotations

import hashlib
import pickle
from collections.abc import Callable

import pyoxigraph as ox
from feedserver import FeedServer, Reply

from importers import pipeline
from importers.fetch import FetchConfig, FetchResult
from importers.load import publish_ntriples
from importers.state import FeedState, report_graph, save_report, save_state, state_graph
from importers.validate import Validator, content_hash
from registry.config import sources_from_dict
from registry.store import OxigraphStore

NS = "https://anbieter-a.example/"
FETCH = FetchConfig(allow_hosts=frozenset({"127.0.0.1"}), backoff_s=0.01, timeout_s=5, retries=1)

TRICKY = """
@prefix schema: <https://schema.org/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
<https://anbieter-a.example/kurs/1> a schema:Course ;
    schema:name "Grüße \\"zitiert\\"\\nzweite Zeile 😀"@de, "Greetings"@en, "Zürich" ;
    schema:hasCourseInstance <https://anbieter-a.example/lauf/1> .
<https://anbieter-a.example/lauf/1> a schema:CourseInstance ;
    schema:startDate "2027-03-01"^^xsd:date ;
    schema:offers [ a schema:Offer ; schema:price "12.50"^^xsd:decimal ; schema:name "ä\\tb" ] .
<https://anbieter-a.example/kurs/2> a schema:Course ; schema:name "Ω und Ä"@de .
"""


def _triples() -> list[ox.Triple]:
    return [q.triple for q in ox.parse(TRICKY.encode(), ox.RdfFormat.TURTLE)]


def test_closure_hash_from_one_serialisation_equals_content_hash() -> None:
    validator = Validator()
    triples = _triples()
    for iri in (NS + "kurs/1", NS + "kurs/2"):
        found, digest = validator.offer_closure(triples, iri)
        assert found
        assert digest == content_hash(found)
        lines = sorted({str(t) for t in found})
        assert digest == hashlib.sha256("\n".join(lines).encode()).hexdigest()
    # the two offers differ, so must their hashes
    assert (
        validator.offer_closure(triples, NS + "kurs/1")[1]
        != (validator.offer_closure(triples, NS + "kurs/2")[1])
    )


def test_validation_text_is_the_graph_to_publish() -> None:
    triples = _triples() + _triples()[:3]  # duplicates are published once
    result = Validator().validate(triples)
    assert result.ntriples is not None
    published = {q.triple for q in ox.parse(result.ntriples, ox.RdfFormat.N_TRIPLES)}
    assert published == set(triples)
    assert sorted(result.ntriples.splitlines()) == sorted(publish_ntriples(triples).splitlines())


def test_fetch_result_without_body_keeps_its_hash() -> None:
    body = b"<urn:a> <urn:b> <urn:c> .\n"
    full = FetchResult(url="http://x/a.nt", status=200, data=body, etag='"1"')
    light = full.without_data()
    assert light.data is None and light.etag == '"1"'
    assert light.content_hash == full.content_hash == "sha256:" + hashlib.sha256(body).hexdigest()
    assert FetchResult(url="http://x/a.nt", status=304, data=None).content_hash is None


def _graph_lines(store: OxigraphStore, graph: str) -> set[bytes]:
    data = store.dump(ox.RdfFormat.N_TRIPLES, graph=graph)
    return {line for line in data.splitlines() if b"stateToken" not in line}


def test_worker_sends_rendered_reports_the_writer_writes_unchanged(
    feed_server: FeedServer, make_feed: Callable[..., bytes]
) -> None:
    body = make_feed(NS, range(3), invalid=(1,))
    feed_server.routes["/a.ttl"] = Reply(body, etag='"a1"')
    sources = sources_from_dict(
        {
            "partner": [
                {
                    "id": "a",
                    "name": "Anbieter A",
                    "namespaces": [NS],
                    "feed": [{"id": "a", "url": feed_server.url("/a.ttl")}],
                }
            ]
        }
    )
    (feed,) = sources.select(None)
    fingerprint = pipeline.shapes_fingerprint()
    sent = pipeline._prepare_in_worker(
        feed, sources.partner(feed.partner_id), FeedState(), FETCH, fingerprint
    )
    prepared = pickle.loads(pickle.dumps(sent))  # what crosses from the worker process
    assert prepared.outcome is None and prepared.fetched is not None
    assert prepared.fetched.data is None
    assert prepared.fetched.content_hash == "sha256:" + hashlib.sha256(body).hexdigest()
    assert prepared.rejected == [NS + "kurs/1"]
    assert prepared.validation is not None
    assert all(r.cache for r in prepared.validation.offers.values())

    store = OxigraphStore(None)
    record = pipeline.commit(
        store,
        prepared,
        FeedState(),
        guard_min=2,
        keep_run_details=5,
        shapes_hash=fingerprint,
    )
    assert record.outcome == "Published" and record.offers_published == 2
    assert record.content_hash == prepared.fetched.content_hash

    # the same reports rendered afresh by the writer's own functions give the same graphs
    fresh = OxigraphStore(None)
    reports = {iri: r for iri, r in prepared.validation.offers.items()}
    for r in reports.values():
        r.cache.clear()
    state = FeedState(
        etag='"a1"',
        content_hash=prepared.fetched.content_hash,
        shapes_hash=fingerprint,
        offers=reports,
        published=frozenset(iri for iri, r in reports.items() if r.conforms),
    )
    save_state(fresh, "a", state, token="t")
    save_report(fresh, "a", prepared.validation)
    assert _graph_lines(store, state_graph("a")) == _graph_lines(fresh, state_graph("a"))
    assert _graph_lines(store, report_graph("a")) == _graph_lines(fresh, report_graph("a"))
