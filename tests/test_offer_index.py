"""The SQLite side table of offers: agrees with the store, filters, keyset paging, and a
search that answers per offer (one item per offer, facets and total in offers)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import pyoxigraph as ox
import pytest
from feedserver import FeedServer, Reply
from webapp import example_store

from registry.app import pipeline_harvester
from registry.catalogue import Catalogue
from registry.config import sources_from_dict
from registry.errors import InvalidParameter
from registry.geo import gazetteer_for
from registry.namespaces import BN, SCHEMA, SKOS, SOURCE, VOCABULARY_GRAPH
from registry.offer_delta import state_graph
from registry.offer_index import (
    OfferFilters,
    OfferIndex,
    content_key,
    decode_cursor,
    extract_runs,
    rollup_of,
)
from registry.search import FTS_COLUMNS
from registry.store import OxigraphStore


def store_runs(store: OxigraphStore) -> list[tuple[str, str, str]]:
    rows = store.query(
        f"SELECT ?g ?c ?r WHERE {{ GRAPH ?g {{ ?c a <{SCHEMA}Course> ; "
        f"<{SCHEMA}hasCourseInstance> ?r }} FILTER(STRSTARTS(STR(?g), '{SOURCE}')) }}"
    )
    assert isinstance(rows, ox.QuerySolutions)
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
    assert isinstance(first_course, ox.NamedNode)
    assert first_course.value not in {r[1] for r in idx.rows()}
    store.close()


def test_paging_visits_every_offer_once_in_order(demo_offer_index: OfferIndex) -> None:
    items = all_items(demo_offer_index, OfferFilters(), limit=7)
    keys = [(i["next_start_date"] or "9999-12-31", i["iri"]) for i in items]
    assert keys == sorted(keys)
    assert len(set(keys)) == len(keys) == demo_offer_index.count_offers()
    assert sum(i["run_count"] for i in items) == demo_offer_index.count()
    for item in items:
        starts = [r["start_date"] or "9999-12-31" for r in item["runs"]]
        assert starts == sorted(starts) and item["next_start_date"] == item["runs"][0]["start_date"]


def test_an_offer_with_several_runs_is_one_item(demo_offer_index: OfferIndex) -> None:
    conn = demo_offer_index._conn()
    offer, runs = conn.execute(
        "SELECT offer_iri, count(*) FROM runs GROUP BY offer_iri HAVING count(*) > 2 LIMIT 1"
    ).fetchone()
    items = all_items(demo_offer_index, OfferFilters(), limit=10)
    mine = [i for i in items if i["iri"] == offer]
    assert len(mine) == 1
    assert mine[0]["run_count"] == len(mine[0]["runs"]) == runs
    assert {r["run"] for r in mine[0]["runs"]} == {
        r for _, o, r in demo_offer_index.rows() if o == offer
    }


def test_total_and_kreis_facet_count_offers(demo_offer_index: OfferIndex) -> None:
    page = demo_offer_index.search(OfferFilters(), limit=5, facets=True)
    items = all_items(demo_offer_index, OfferFilters())
    assert page.extra["total"] == len(items) == demo_offer_index.count_offers()
    assert page.extra["total"] < demo_offer_index.count()  # several runs per offer exist
    offers_in: dict[str, set[str]] = {}
    for item in items:
        for run in item["runs"]:
            if run["kreis"]:
                offers_in.setdefault(run["kreis"]["ags"], set()).add(item["iri"])
    counted = {value: n for value, _, n in page.extra["facets"]["kreis"]}
    assert counted == {ags: len(offers) for ags, offers in offers_in.items()}
    runs_in = dict(
        demo_offer_index._conn().execute(
            "SELECT kreis_ags, count(*) FROM runs WHERE kreis_ags IS NOT NULL GROUP BY kreis_ags"
        )
    )
    assert any(counted[ags] < runs_in[ags] for ags in counted)
    for ags, n in counted.items():
        chosen = demo_offer_index.search(OfferFilters.parse(kreis=ags), limit=1, facets=True)
        assert chosen.extra["total"] == n


def test_near_gives_the_smallest_distance_of_the_runs(demo_offer_index: OfferIndex) -> None:
    filters = OfferFilters.parse(near="Detmold", radius_km=100, gazetteer=gazetteer_for())
    items = all_items(demo_offer_index, filters)
    spread = [i for i in items if len({r["distance_km"] for r in i["runs"]}) > 1]
    assert spread
    for item in items:
        distances = [r["distance_km"] for r in item["runs"]]
        assert all(d is not None and d <= 100 for d in distances)
        assert item["distance_km"] == min(distances)
    assert all(i["distance_km"] is None for i in all_items(demo_offer_index, OfferFilters()))


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
            OfferFilters.parse(start_from=date(2027, 1, 1), start_to=date(2027, 6, 30)),
            lambda i: i["start_date"] and "2027-01-01" <= i["start_date"] <= "2027-06-30",
        ),
    ],
)
def test_filters_select_exactly_the_matching_runs(
    demo_offer_index: OfferIndex, filters, check
) -> None:
    """An offer is a hit when one of its runs matches; the item lists exactly those runs
    (``check`` sees a run with its offer's fields)."""
    everything = all_items(demo_offer_index, OfferFilters())
    expected = {
        i["iri"]: sorted(r["run"] for r in i["runs"] if check({**i, **r})) for i in everything
    }
    expected = {iri: runs for iri, runs in expected.items() if runs}
    found = {
        i["iri"]: sorted(r["run"] for r in i["runs"]) for i in all_items(demo_offer_index, filters)
    }
    assert found == expected and found


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


def test_offer_keys_follow_the_rows(tmp_path: Path) -> None:
    """Every run carries the integer key of its offer; keys of unchanged offers survive a
    re-index, the key of an offer no source lists any more goes."""
    store = example_store(tmp_path / "store")
    idx = OfferIndex(tmp_path / "offers.sqlite")
    idx.rebuild_all(store, lambda sid: sid)
    conn = idx._conn()

    def keys() -> dict[str, int]:
        return dict(conn.execute("SELECT iri, id FROM offers"))

    before = keys()
    assert set(before) == {o for _, o, _ in idx.rows()}
    assert conn.execute(
        "SELECT count(*) FROM runs JOIN offers ON offers.id = runs.offer "
        "WHERE offers.iri != runs.offer_iri"
    ).fetchone() == (0,)
    source = idx.sources()[0]
    triples = list(store.triples(SOURCE + source))
    gone = next(t.subject for t in triples if t.object == ox.NamedNode(SCHEMA + "Course"))
    assert isinstance(gone, ox.NamedNode)
    store.replace_graph(SOURCE + source, [t for t in triples if t.subject != gone])
    idx.rebuild_source(store, source, source)
    after = keys()
    assert gone.value not in after
    assert after == {iri: key for iri, key in before.items() if iri != gone.value}
    store.close()


def test_an_offer_listed_by_two_sources_counts_once(tmp_path: Path) -> None:
    store = example_store(tmp_path / "store")
    idx = OfferIndex(tmp_path / "offers.sqlite")
    idx.rebuild_all(store, lambda sid: sid)
    first = idx.search(OfferFilters(), limit=1, facets=True).extra["total"]
    source = idx.sources()[0]
    row = extract_runs(store, source, source, idx.gazetteer)[0]
    copy = {**row, "run_iri": row["run_iri"] + "-elsewhere", "source": "mirror"}
    idx.replace_source("mirror", [copy])
    page = idx.search(OfferFilters(), limit=1, facets=True)
    assert idx.count() == len(idx.rows()) and page.extra["total"] == first
    assert idx.count_offers() == first
    store.close()


def test_unfiltered_facets_outlive_the_long_tail_and_follow_a_reindex(tmp_path: Path) -> None:
    """The start page's counts are kept for the whole generation (300 other filter sets do
    not push them out) and counted anew after a re-index."""
    store = example_store(tmp_path / "store")
    idx = OfferIndex(tmp_path / "offers.sqlite")
    idx.rebuild_all(store, lambda sid: sid)
    plain = OfferFilters.parse(kreis="05766")
    first = idx.search(plain, limit=1, facets=True).extra
    for i in range(300):
        idx.search(OfferFilters.parse(max_price=100_000 + i), limit=1, facets=True)
    statements: list[str] = []
    idx._conn().set_trace_callback(statements.append)
    assert idx.search(plain, limit=1, facets=True).extra == first
    assert not [s for s in statements if "hit_runs" in s]  # answered without counting
    sql = "SELECT source FROM runs WHERE kreis_ags = '05766' GROUP BY source ORDER BY count(*)"
    idx.replace_source(idx._conn().execute(sql).fetchone()[0], [])
    recounted = idx.search(plain, limit=1, facets=True).extra
    idx._conn().set_trace_callback(None)
    expected = len(all_items(idx, plain))
    assert recounted["total"] == expected < first["total"]
    store.close()


def _dump(idx: OfferIndex) -> dict[tuple[str, str], tuple[object, ...]]:
    """Everything the index holds per (offer, run), without the row ids."""
    conn = idx._conn()
    fts = ", ".join(f"f.{c}" for c in FTS_COLUMNS)
    out: dict[tuple[str, str], tuple[object, ...]] = {}
    for row in conn.execute(
        f"SELECT r.id, r.offer_iri, r.run_iri, o.iri, r.*, s.summary, {fts} FROM runs r "
        "JOIN offers o ON o.id = r.offer JOIN run_summary s ON s.id = r.id "
        "JOIN run_fts f ON f.rowid = r.id"
    ):
        run_id = row[0]
        funding = sorted(conn.execute("SELECT code, iri FROM run_funding WHERE run = ?", (run_id,)))
        topics = sorted(conn.execute("SELECT topic FROM run_topic WHERE run = ?", (run_id,)))
        # r.* starts with the ids (run, offer key): left out, they differ between indexes
        out[(row[1], row[2])] = (row[3], row[6:], funding, topics)
    return out


def test_reindex_writes_only_changed_rows_and_equals_a_fresh_build(tmp_path: Path) -> None:
    """A re-index keeps unchanged runs as they are (same row ids, nothing written), rewrites
    changed ones (text, filter columns, funding) and ends up holding exactly what an index
    built from scratch on the same store holds."""
    store = example_store(tmp_path / "store")
    idx = OfferIndex(tmp_path / "offers.sqlite")
    idx.rebuild_all(store, lambda sid: sid)
    source = idx.sources()[0]
    ids = dict(
        ((o, r), i) for i, o, r in idx._conn().execute("SELECT id, offer_iri, run_iri FROM runs")
    )
    statements: list[str] = []
    idx._conn().set_trace_callback(statements.append)
    idx.rebuild_source(store, source, source)
    assert not [
        s
        for s in statements
        if s.lstrip().startswith(("INSERT OR IGNORE INTO runs", "UPDATE runs", "DELETE FROM runs"))
    ]
    idx._conn().set_trace_callback(None)

    triples = list(store.triples(SOURCE + source))
    courses = sorted(
        {
            t.subject.value
            for t in triples
            if t.object == ox.NamedNode(SCHEMA + "Course") and isinstance(t.subject, ox.NamedNode)
        }
    )
    renamed, dropped = ox.NamedNode(courses[0]), ox.NamedNode(courses[1])
    dated = {t.subject for t in triples if t.predicate == ox.NamedNode(SCHEMA + "startDate")}
    course, moved = next(
        (t.subject.value, t.object)
        for t in triples
        if t.predicate == ox.NamedNode(SCHEMA + "hasCourseInstance")
        and t.object in dated
        and isinstance(t.subject, ox.NamedNode)
    )
    changed: list[ox.Triple] = []
    for t in triples:
        if t.subject == renamed and t.predicate == ox.NamedNode(SCHEMA + "name"):
            t = ox.Triple(t.subject, t.predicate, ox.Literal("Zauberschweißtechnik", language="de"))
        elif t.subject == moved and t.predicate == ox.NamedNode(SCHEMA + "startDate"):
            t = ox.Triple(t.subject, t.predicate, ox.Literal("2031-02-03"))
        elif t.subject == dropped and t.predicate == ox.NamedNode(SCHEMA + "financialAidEligible"):
            continue
        changed.append(t)
    store.replace_graph(SOURCE + source, changed)
    idx.rebuild_source(store, source, source)

    fresh = OfferIndex(tmp_path / "fresh.sqlite")
    fresh.rebuild_all(store, lambda sid: sid)
    assert _dump(idx) == _dump(fresh)
    assert idx.rows() == store_runs(store)
    kept = dict(
        ((o, r), i) for i, o, r in idx._conn().execute("SELECT id, offer_iri, run_iri FROM runs")
    )
    assert kept == ids  # rows changed in place keep their ids too
    hits = all_items(idx, OfferFilters.parse(q="Zauberschweisstechnik"))
    assert [item["iri"] for item in hits] == [renamed.value]
    assert isinstance(moved, ox.NamedNode)
    assert [r["start_date"] for r in idx.runs_of(course) if r["run"] == moved.value] == [
        "2031-02-03"
    ]
    store.close()


def test_content_key_follows_every_field() -> None:
    row = {"offer_iri": "o", "run_iri": "r", "price": 10.0, "summary": {"title": "A"}}
    key = content_key(row)
    assert key == content_key(dict(row))
    assert content_key({**row, "price": 10.5}) != key
    assert content_key({**row, "summary": {"title": "B"}}) != key


# -- re-reading only the offers a harvest changed ----------------------------------------------
def _set_token(store: OxigraphStore, source: str, token: str) -> None:
    """What a harvest's save of the feed state leaves: a new state token for the source."""
    graph = state_graph(source)
    store.replace_graph(
        graph, [ox.Triple(ox.NamedNode(graph), ox.NamedNode(BN + "stateToken"), ox.Literal(token))]
    )


def _courses(store: OxigraphStore, source: str) -> list[ox.NamedNode]:
    return sorted(
        {
            t.subject
            for t in store.triples(SOURCE + source)
            if t.object == ox.NamedNode(SCHEMA + "Course") and isinstance(t.subject, ox.NamedNode)
        },
        key=lambda n: n.value,
    )


def _edit_source(store: OxigraphStore, source: str) -> set[str]:
    """Rename one course, move a run's start, drop a course, add a new one (a copy of a
    course under a new IRI, with its own run); the IRIs of the offers touched."""
    courses = _courses(store, source)
    renamed, dropped, copied = courses[0], courses[1], courses[2]
    triples = list(store.triples(SOURCE + source))
    runs = {
        t.subject: t.object
        for t in triples
        if t.predicate == ox.NamedNode(SCHEMA + "hasCourseInstance")
    }
    moved_course = next(c for c in courses[3:] if c in runs)
    moved_run = runs[moved_course]
    new_course = ox.NamedNode(copied.value + "-neu")
    new_run = ox.NamedNode(copied.value + "-neu/termin")
    out: list[ox.Triple] = []
    for t in triples:
        if t.subject == renamed and t.predicate == ox.NamedNode(SCHEMA + "name"):
            t = ox.Triple(t.subject, t.predicate, ox.Literal("Zauberschweißtechnik", language="de"))
        elif t.subject == moved_run and t.predicate == ox.NamedNode(SCHEMA + "startDate"):
            t = ox.Triple(t.subject, t.predicate, ox.Literal("2031-02-03"))
        elif t.subject == dropped:
            continue
        out.append(t)
        if t.subject == copied:
            obj = new_run if t.predicate == ox.NamedNode(SCHEMA + "hasCourseInstance") else t.object
            out.append(ox.Triple(new_course, t.predicate, obj))
        if t.subject == runs.get(copied):
            out.append(ox.Triple(new_run, t.predicate, t.object))
    store.replace_graph(SOURCE + source, out)
    return {renamed.value, dropped.value, new_course.value, moved_course.value}


def test_update_of_changed_offers_equals_a_fresh_build(tmp_path: Path) -> None:
    store = example_store(tmp_path / "store")
    idx = OfferIndex(tmp_path / "offers.sqlite")
    source = sorted(g[len(SOURCE) :] for g in store.named_graphs() if g.startswith(SOURCE))[0]
    _set_token(store, source, "t1")
    idx.rebuild_all(store, lambda sid: sid)
    assert idx.synced(source) is not None and idx.synced(source)[0] == "t1"  # type: ignore[index]
    before = {r for r in idx.rows() if r[0] != source}
    touched = _edit_source(store, source)
    _set_token(store, source, "t2")
    statements: list[str] = []
    idx._conn().set_trace_callback(statements.append)
    assert idx.update_offers(store, source, source, touched, since="t1") is True
    idx._conn().set_trace_callback(None)
    # only the touched offers' rows were looked up, not the source's
    assert not [s for s in statements if s.rstrip().endswith("WHERE r.source = ?")]
    fresh = OfferIndex(tmp_path / "fresh.sqlite")
    fresh.rebuild_all(store, lambda sid: sid)
    assert _dump(idx) == _dump(fresh)
    assert idx.rows() == store_runs(store)
    assert {r for r in idx.rows() if r[0] != source} == before
    assert [i["iri"] for i in all_items(idx, OfferFilters.parse(q="Zauberschweisstechnik"))]
    assert idx.synced(source) == fresh.synced(source)  # token t2, same context
    # nothing changed since t2: nothing is written, the generation stays
    generation = idx.generation
    assert idx.update_offers(store, source, source, set(), since="t2") is True
    assert idx.generation == generation
    store.close()


def test_update_reads_the_whole_source_when_it_cannot_trust_the_changes(tmp_path: Path) -> None:
    """Another state than the one the index read, no state at all, or a changed vocabulary
    label (rows of untouched offers change too): the source is re-read whole."""
    store = example_store(tmp_path / "store")
    idx = OfferIndex(tmp_path / "offers.sqlite")
    source = sorted(g[len(SOURCE) :] for g in store.named_graphs() if g.startswith(SOURCE))[0]
    _set_token(store, source, "t1")
    idx.rebuild_all(store, lambda sid: sid)
    touched = _edit_source(store, source)
    _set_token(store, source, "t2")
    assert idx.update_offers(store, source, source, touched, since="t0") is False
    assert idx.update_offers(store, source, source, set(), since=None) is False

    mode = "https://w3id.org/bildungsnetz/code/unterrichtsform/"
    label = ox.NamedNode(SKOS + "prefLabel")
    vocab = list(store.triples(VOCABULARY_GRAPH))
    store.replace_graph(
        VOCABULARY_GRAPH,
        [
            ox.Triple(t.subject, t.predicate, ox.Literal("Zauberunterricht", language="de"))
            if t.predicate == label
            and isinstance(t.subject, ox.NamedNode)
            and t.subject.value.startswith(mode)
            and isinstance(t.object, ox.Literal)
            and t.object.language == "de"
            else t
            for t in vocab
        ],
    )
    assert idx.update_offers(store, source, source, set(), since="t2") is False
    fresh = OfferIndex(tmp_path / "fresh.sqlite")
    fresh.rebuild_all(store, lambda sid: sid)
    mine = {
        k: v
        for k, v in _dump(idx).items()
        if k in {(o, r) for s, o, r in idx.rows() if s == source}
    }
    theirs = {k: v for k, v in _dump(fresh).items() if k in mine}
    assert mine == theirs and "Zauberunterricht" in str(mine)
    store.close()


def test_a_harvest_through_the_app_reindexes_only_what_changed(
    feed_server: FeedServer,
    empty_store: OxigraphStore,
    make_feed: Callable[..., bytes],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """pipeline_harvester: a first harvest, then one that renames, drops and adds offers
    of one feed while the other answers the same bytes; after each the index equals a
    fresh build from the published snapshot, and the second re-read no whole source."""
    ns_a, ns_b = "https://anbieter-a.example/", "https://anbieter-b.example/"
    sources = sources_from_dict(
        {
            "harvest": {"allow_private_networks": True, "processes": 0},
            "partner": [
                {
                    "id": p,
                    "name": f"Anbieter {p}",
                    "namespaces": [ns],
                    "feed": [{"id": p, "url": feed_server.url(f"/{p}.ttl")}],
                }
                for p, ns in (("a", ns_a), ("b", ns_b))
            ],
        }
    )
    feed_server.routes["/a.ttl"] = Reply(make_feed(ns_a, range(4)))
    feed_server.routes["/b.ttl"] = Reply(make_feed(ns_b, range(2)))
    idx = OfferIndex(tmp_path / "offers.sqlite")
    catalogue = Catalogue(empty_store, idx, sources)
    harvester = pipeline_harvester(sources)

    def agrees() -> None:
        fresh = OfferIndex(tmp_path / f"fresh-{idx.generation}.sqlite")
        fresh.rebuild_all(catalogue.ox_store(), lambda sid: sid)
        assert _dump(idx) == _dump(fresh)
        assert len(idx.rows()) == len(fresh.rows()) > 0

    harvester(catalogue)
    agrees()
    whole: list[str] = []
    real = OfferIndex.rebuild_source
    monkeypatch.setattr(
        OfferIndex,
        "rebuild_source",
        lambda self, store, sid, *a, **k: (
            (self is idx and whole.append(sid)) or real(self, store, sid, *a, **k)
        ),
    )
    second = make_feed(ns_a, [0, 1, 3, 4]).replace(b'"Kurs 1"@de', b'"Kurs eins"@de')
    feed_server.routes["/a.ttl"] = Reply(second)
    harvester(catalogue)
    agrees()
    assert whole == []
    offers = {o for _, o, _ in idx.rows()}
    assert ns_a + "kurs/4" in offers and ns_a + "kurs/2" not in offers
    assert [r["title"] for r in idx.runs_of(ns_a + "kurs/1")] == ["Kurs eins"]
