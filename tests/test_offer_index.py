"""The SQLite side table of offers: agrees with the store, filters, keyset paging."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pyoxigraph as ox
import pytest
from webapp import example_store

from registry.errors import InvalidParameter
from registry.namespaces import SCHEMA, SOURCE
from registry.offer_index import OfferFilters, OfferIndex, decode_cursor, rollup_of
from registry.store import OxigraphStore


def store_runs(store: OxigraphStore) -> list[tuple[str, str, str]]:
    rows = store.query(
        f"SELECT ?g ?c ?r WHERE {{ GRAPH ?g {{ ?c a <{SCHEMA}Course> ; "
        f"<{SCHEMA}hasCourseInstance> ?r }} FILTER(STRSTARTS(STR(?g), '{SOURCE}')) }}"
    )
    return sorted((r["g"].value[len(SOURCE) :], r["c"].value, r["r"].value) for r in rows)


def all_items(index: OfferIndex, filters: OfferFilters, limit: int = 500) -> list[dict]:
    items: list[dict] = []
    cursor = None
    while True:
        page = index.search(filters, limit=limit, cursor=cursor)
        items.extend(page.items)
        cursor = page.next_cursor
        if cursor is None:
            return items


def test_index_agrees_with_the_store(
    store_with_demo_region: OxigraphStore, demo_offer_index: OfferIndex
) -> None:
    expected = store_runs(store_with_demo_region)
    assert len({c for _, c, _ in expected}) >= 120
    assert demo_offer_index.rows() == expected


def test_rebuild_of_one_source_leaves_the_others(tmp_path: Path) -> None:
    store = example_store(tmp_path / "store")
    idx = OfferIndex(tmp_path / "offers.sqlite")
    idx.rebuild_all(store, lambda sid: sid)
    source = idx.sources()[0]
    others = [r for r in idx.rows() if r[0] != source]
    triples = list(store.triples(SOURCE + source))
    first_course = next(t.subject for t in triples if t.object == ox.NamedNode(SCHEMA + "Course"))
    store.replace_graph(SOURCE + source, [t for t in triples if t.subject != first_course])
    generation = idx.generation
    idx.rebuild_source(store, source, source)
    assert idx.generation == generation + 1
    assert [r for r in idx.rows() if r[0] != source] == others
    assert idx.rows() == store_runs(store)
    assert first_course.value not in {r[1] for r in idx.rows()}
    store.close()


def test_paging_visits_every_run_once_in_order(demo_offer_index: OfferIndex) -> None:
    items = all_items(demo_offer_index, OfferFilters(), limit=7)
    keys = [(i["start_date"] or "9999-12-31", i["iri"], i["run"]) for i in items]
    assert keys == sorted(keys)
    assert len(set(keys)) == len(keys) == demo_offer_index.count()


@pytest.mark.parametrize(
    ("filters", "check"),
    [
        (OfferFilters.parse(kreis="05766"), lambda i: (i["kreis"] or {}).get("ags") == "05766"),
        (OfferFilters.parse(mode="digital"), lambda i: i["mode"]["rollup"] == "digital"),
        (OfferFilters.parse(mode="praesenz"), lambda i: i["mode"]["code"].startswith("1")),
        (OfferFilters.parse(funding="2"), lambda i: "2" in i["funding"]),
        (
            OfferFilters.parse(topic="industrie-4-0"),
            lambda i: any(t.endswith("/topic/industrie-4-0") for t in i["topics"]),
        ),
        (OfferFilters.parse(max_price=500), lambda i: i["price"] is not None and i["price"] <= 500),
        (
            OfferFilters.parse(start_from=date(2026, 1, 1), start_to=date(2026, 12, 31)),
            lambda i: i["start_date"] and "2026-01-01" <= i["start_date"] <= "2026-12-31",
        ),
    ],
)
def test_filters_select_exactly_the_matching_runs(
    demo_offer_index: OfferIndex, filters, check
) -> None:
    everything = all_items(demo_offer_index, OfferFilters())
    expected = sorted(i["run"] for i in everything if check(i))
    found = sorted(i["run"] for i in all_items(demo_offer_index, filters))
    assert found == expected


def test_filters_find_something(demo_offer_index: OfferIndex) -> None:
    for filters in (OfferFilters.parse(mode="digital"), OfferFilters.parse(funding="2")):
        assert demo_offer_index.search(filters, limit=5).items


def test_invalid_filters_name_the_parameter() -> None:
    for kwargs, name in (
        ({"kreis": "Lippe"}, "kreis"),
        ({"mode": "online"}, "mode"),
        ({"topic": "Industrie 4.0"}, "topic"),
        ({"language": "deutsch!"}, "language"),
        ({"start_from": date(2026, 2, 1), "start_to": date(2026, 1, 1)}, "start_to"),
    ):
        with pytest.raises(InvalidParameter) as info:
            OfferFilters.parse(**kwargs)
        assert info.value.parameter == name
    with pytest.raises(InvalidParameter):
        decode_cursor("not a cursor!")


def test_rollup_by_code() -> None:
    assert rollup_of("101") == "praesenz"
    assert rollup_of("202") == "digital"
    assert rollup_of("303") == "kombiniert"
    assert rollup_of("xyz") is None
