"""Shared fixtures. Name them by what they give (``feed_server``, ``empty_store``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from feedserver import FeedServer
from webapp import example_store

from registry.offer_index import OfferIndex
from registry.store import OxigraphStore


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    """A real HTTP server on 127.0.0.1 serving the routes a test sets."""
    server = FeedServer()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def empty_store(tmp_path: Path) -> Iterator[OxigraphStore]:
    """An empty embedded store on disk (journal and snapshots enabled)."""
    store = OxigraphStore(tmp_path / "store")
    try:
        yield store
    finally:
        store.close()


def offer_turtle(
    namespace: str,
    ids: list[int] | range,
    *,
    invalid: tuple[int, ...] = (),
    version: str = "",
    kreis: str = "05766",
) -> bytes:
    """A Turtle feed of offers ``ids`` in ``namespace`` (complete, as docs/design.md shows);
    offers in ``invalid`` lack their description (a core violation); ``version`` changes names.
    """
    lines = [
        "@prefix schema: <https://schema.org/> .",
        "@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .",
        f"@base <{namespace}> .",
        '<anbieter> a schema:Organization ; schema:name "Anbieter" ;',
        f"  schema:url <{namespace}> .",
    ]
    for i in ids:
        description = "" if i in invalid else f'schema:description "Kurs {i}"@de ;'
        lines.append(
            f"""<kurs/{i}> a schema:Course ; schema:name "Kurs {i}{version}"@de ; {description}
  schema:provider <anbieter> ; schema:url <{namespace}kurs/{i}.html> ;
  schema:about <https://w3id.org/bildungsnetz/region/owl/topic/industrie-4-0> ;
  schema:hasCourseInstance <kurs/{i}/termin> .
<kurs/{i}/termin> a schema:CourseInstance ;
  schema:courseMode <https://w3id.org/bildungsnetz/code/unterrichtsform/101> ;
  schema:startDate "2099-03-02"^^xsd:date ; schema:location <ort/{i}> .
<ort/{i}> a schema:Place ; schema:name "Ort {i}" ; schema:address [ a schema:PostalAddress ;
  schema:postalCode "32657" ; schema:addressLocality "Lemgo" ; schema:addressCountry "DE" ] ;
  schema:containedInPlace <https://w3id.org/bildungsnetz/region/owl/kreis/{kreis}> ."""
        )
    return ("\n".join(lines) + "\n").encode("utf-8")


@pytest.fixture
def make_feed() -> Callable[..., bytes]:
    """Builds Turtle feeds of offers: ``make_feed(namespace, range(3), invalid=(1,))``."""
    return offer_turtle


@pytest.fixture
def memory_store() -> OxigraphStore:
    """An empty in-memory store: same swaps, no disk (publishing is a no-op)."""
    return OxigraphStore(None)


@pytest.fixture(scope="module")
def store_with_demo_region(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OxigraphStore]:
    """A store holding the example region's feeds, shared by a test module."""
    s = example_store(tmp_path_factory.mktemp("region") / "store")
    yield s
    s.close()


@pytest.fixture(scope="module")
def demo_offer_index(
    store_with_demo_region: OxigraphStore, tmp_path_factory: pytest.TempPathFactory
) -> OfferIndex:
    """The offer side index (rows + full text) built from ``store_with_demo_region``."""
    idx = OfferIndex(tmp_path_factory.mktemp("sqlite") / "offers.sqlite")
    idx.rebuild_all(store_with_demo_region, lambda sid: sid)
    return idx
