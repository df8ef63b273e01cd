"""The query cookbook answers each researchers' question on the example region.

Every expected value is computed here in Python by walking the triples of the example feeds
(and the region data) — never by running the same SPARQL. Questions 6 and 10 need harvest
provenance, so a module fixture harvests the examples twice over loopback HTTP, changing one
feed in between.
"""

from __future__ import annotations

import shutil
import statistics
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pyoxigraph as ox
import pytest

from importers.fetch import FetchConfig
from importers.normalise import normalise
from importers.parse import read_path
from importers.pipeline import harvest
from importers.record import RunRecord
from importers.validate import Validator
from registry.cookbook import CookbookQuery, load_cookbook, with_bindings
from registry.demo import FeedServer, demo_sources
from registry.errors import InputError
from registry.namespaces import BN, CODE, REGION, SCHEMA, SKOS
from registry.resources import examples_dir
from registry.store import OxigraphStore
from registry.vocabulary import vocabulary_files, vocabulary_triples

Term = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple
COOKBOOK = {q.id.split("-", 1)[0]: q for q in load_cookbook()}
TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
KREIS = REGION + "owl/kreis/"


@dataclass
class Graph:
    """The example triples indexed as subject → predicate → objects, for plain Python walks."""

    index: dict[str, dict[str, list[Term]]]

    @classmethod
    def of(cls, triples: list[ox.Triple]) -> Graph:
        index: dict[str, dict[str, list[Term]]] = defaultdict(lambda: defaultdict(list))
        for t in triples:
            if isinstance(t.subject, ox.NamedNode | ox.BlankNode):
                index[t.subject.value][t.predicate.value].append(t.object)
        return cls(index)

    def objs(self, s: str, p: str) -> list[Term]:
        return self.index.get(s, {}).get(p, [])

    def iris(self, s: str, p: str) -> list[str]:
        return [o.value for o in self.objs(s, p) if isinstance(o, ox.NamedNode | ox.BlankNode)]

    def one(self, s: str, p: str) -> str | None:
        values = self.objs(s, p)
        return values[0].value if values and not isinstance(values[0], ox.Triple) else None

    def label(self, s: str) -> str:
        for o in self.objs(s, SKOS + "prefLabel"):
            if isinstance(o, ox.Literal) and o.language == "de":
                return o.value
        raise AssertionError(f"no German label for {s}")

    def courses(self) -> list[str]:
        return [
            s
            for s, ps in self.index.items()
            if any(o == ox.NamedNode(SCHEMA + "Course") for o in ps.get(TYPE, []))
        ]

    def runs(self, course: str) -> list[str]:
        return self.iris(course, SCHEMA + "hasCourseInstance")

    def kreise_of_run(self, run: str) -> set[str]:
        return {
            k
            for place in self.iris(run, SCHEMA + "location")
            for k in self.iris(place, SCHEMA + "containedInPlace")
        }

    def mode(self, run: str) -> str | None:
        codes = self.iris(run, SCHEMA + "courseMode")
        return self.one(codes[0], BN + "schemaCourseMode") if codes else None


def feed_triples(folder: Path) -> list[ox.Triple]:
    out: list[ox.Triple] = []
    for path in sorted(folder.iterdir()):
        if path.suffix in (".ttl", ".nt", ".jsonld", ".rdf"):
            out += normalise(read_path(path), source_id=path.stem)
    return out


@pytest.fixture(scope="module")
def examples() -> Graph:
    return Graph.of(feed_triples(examples_dir() / "feeds") + list(vocabulary_triples()))


@dataclass
class Harvested:
    store: OxigraphStore
    first: list[RunRecord]
    second: list[RunRecord]
    between: datetime
    removed: list[str]
    feed: str


@pytest.fixture(scope="module")
def harvested(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Harvested]:
    """Examples harvested, then one feed loses its Pflege offers and is harvested again."""
    root = tmp_path_factory.mktemp("cookbook")
    folder = root / "examples"
    shutil.copytree(examples_dir(), folder, ignore=shutil.ignore_patterns("flawed", "*.py"))
    store = OxigraphStore(root / "store")
    validator = Validator()
    config = FetchConfig(allow_hosts=frozenset({"127.0.0.1"}), backoff_s=0.01, retries=0)
    with FeedServer(folder) as server:
        sources = demo_sources(server)
        first = harvest(sources, store, fetch_config=config, validator=validator)
        between = datetime.now().astimezone()
        feed = folder / "feeds" / "pflegeakademie-dalke.ttl"
        kept, removed = _drop_courses(feed, keep=2)
        feed.write_bytes(kept)
        second = harvest(
            sources,
            store,
            fetch_config=config,
            validator=validator,
            feed_ids=["pflegeakademie-dalke"],
        )
    store.publish()
    try:
        yield Harvested(store, first, second, between, removed, "pflegeakademie-dalke")
    finally:
        store.close()


def _drop_courses(path: Path, *, keep: int) -> tuple[bytes, list[str]]:
    """The feed with all but its first ``keep`` courses (and their runs) removed."""
    triples = [q.triple for q in ox.parse(path.read_bytes(), ox.RdfFormat.TURTLE)]
    graph = Graph.of(triples)
    courses = sorted(graph.courses())
    removed = courses[keep:]
    gone = set(removed) | {r for c in removed for r in graph.runs(c)}
    gone |= {o for c in removed for o in graph.iris(c, SCHEMA + "offers")}
    kept = [t for t in triples if t.subject.value not in gone]
    return ox.serialize(kept, format=ox.RdfFormat.TURTLE) or b"", removed


def run(store: OxigraphStore, query: CookbookQuery, **params: str) -> list[dict[str, str]]:
    text = with_bindings(query.sparql, **params) if params else query.sparql
    result = store.query(text)
    assert isinstance(result, ox.QuerySolutions)
    names = [v.value for v in result.variables]
    return [{n: row[n].value for n in names if row[n] is not None} for row in result]


@pytest.fixture(scope="module")
def store(examples: Graph, tmp_path_factory: pytest.TempPathFactory) -> Iterator[OxigraphStore]:
    """The examples loaded as feeds are (no harvest records), for questions 1–5 and 7–9."""
    s = OxigraphStore(None)
    s.replace_graph("urn:x-test:vocabulary", vocabulary_triples())
    s.replace_graph("urn:x-test:feeds", feed_triples(examples_dir() / "feeds"))
    yield s
    s.close()


# -- the cookbook itself ------------------------------------------------------------------------
def test_ten_questions_each_titled_and_explained_in_two_languages() -> None:
    assert sorted(COOKBOOK) == [f"{n:02d}" for n in range(1, 11)]
    for q in COOKBOOK.values():
        assert q.title["de"] and q.title["en"] and q.title["de"] != q.title["en"]
        assert len(q.description["de"]) > 80 and len(q.description["en"]) > 80
    assert COOKBOOK["01"].parameters == ("now",)
    assert COOKBOOK["10"].parameters == ("from", "to")


def test_unknown_parameter_is_a_clear_input_error() -> None:
    with pytest.raises(InputError, match=r"no parameter \?nope"):
        with_bindings(COOKBOOK["02"].sparql, nope="1")


# -- questions 1–5, 7–9 on the example feeds -----------------------------------------------------
def _kreis_name(g: Graph, kreise: set[str]) -> set[str]:
    return {g.label(k) for k in kreise} or {"(ohne Ort)"}


def test_q1_offers_starting_in_the_next_six_months(store: OxigraphStore, examples: Graph) -> None:
    start, until = date(2027, 1, 1), date(2027, 1, 1) + timedelta(days=183)
    expected: dict[tuple[str, str], set[str]] = defaultdict(set)
    for c in examples.courses():
        for r in examples.runs(c):
            begin = examples.one(r, SCHEMA + "startDate")
            if begin is None or not start <= date.fromisoformat(begin[:10]) < until:
                continue
            for kreis in _kreis_name(examples, examples.kreise_of_run(r)):
                for topic in examples.iris(c, SCHEMA + "about"):
                    expected[(kreis, examples.label(topic))].add(c)
    rows = run(store, COOKBOOK["01"], now='"2027-01-01T00:00:00Z"^^xsd:dateTime')
    got = {(r["kreisName"], r["topicName"]): int(r["offers"]) for r in rows}
    assert got == {k: len(v) for k, v in expected.items()}
    assert sum(got.values()) > 20


def test_q2_kreise_without_in_person_topic_nearby(store: OxigraphStore, examples: Graph) -> None:
    topic = REGION + "owl/topic/pflege"
    kreise = [
        s
        for s in examples.index
        if s.startswith(KREIS) and "#" not in s and examples.objs(s, BN + "rural")
    ]
    import math

    def km(a: tuple[float, float], b: tuple[float, float]) -> float:
        # haversine, the real great-circle distance the query approximates
        p1, p2 = math.radians(a[0]), math.radians(b[0])
        dp, dl = p2 - p1, math.radians(b[1] - a[1])
        h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
        return 2 * 6371 * math.asin(math.sqrt(h))

    def geo(node: str) -> tuple[float, float]:
        g = examples.iris(node, SCHEMA + "geo")[0]
        return (
            float(examples.one(g, SCHEMA + "latitude") or 0),
            float(examples.one(g, SCHEMA + "longitude") or 0),
        )

    places = [
        geo(p)
        for c in examples.courses()
        if topic in examples.iris(c, SCHEMA + "about")
        for r in examples.runs(c)
        if examples.mode(r) in ("Onsite", "Blended")
        for p in examples.iris(r, SCHEMA + "location")
    ]
    assert places
    for radius in (30, 60):
        expected = {k for k in kreise if all(km(geo(k), p) > radius for p in places)}
        rows = run(store, COOKBOOK["02"], topic=f"<{topic}>", maxKm=str(radius))
        assert {r["kreis"] for r in rows} == expected
    assert len(expected) < len(kreise)


def test_q3_bildungsgutschein_share(store: OxigraphStore, examples: Graph) -> None:
    offers: dict[tuple[str, str], set[str]] = defaultdict(set)
    eligible: dict[tuple[str, str], set[str]] = defaultdict(set)
    funding = CODE + "foerderart/2"
    for c in examples.courses():
        kreise = {k for r in examples.runs(c) for k in examples.kreise_of_run(r)}
        for provider in examples.iris(c, SCHEMA + "provider"):
            for ptype in examples.iris(provider, BN + "providerType"):
                for kreis in _kreis_name(examples, kreise):
                    key = (kreis, examples.label(ptype))
                    offers[key].add(c)
                    if funding in examples.iris(c, SCHEMA + "financialAidEligible"):
                        eligible[key].add(c)
    rows = run(store, COOKBOOK["03"])
    got = {(r["kreisName"], r["providerType"]): r for r in rows}
    assert set(got) == set(offers)
    for key, courses in offers.items():
        share = round(1000 * len(eligible[key]) / len(courses)) / 10
        assert int(got[key]["offers"]) == len(courses)
        assert int(got[key]["withBildungsgutschein"]) == len(eligible[key])
        assert float(got[key]["sharePercent"]) == pytest.approx(share)


def test_q4_gaps_against_occupations_in_demand(store: OxigraphStore, examples: Graph) -> None:
    kldb = CODE + "kldb2010/"
    demanded = ["26123", "43413", "82102", "52122", "29302", "81313"]
    codes = {
        c: [
            i.removeprefix(kldb)
            for i in examples.iris(c, SCHEMA + "occupationalCategory")
            if i.startswith(kldb)
        ]
        for c in examples.courses()
    }
    rows = {r["occupation"]: r for r in run(store, COOKBOOK["04"])}
    assert set(rows) == set(demanded)
    for occ in demanded:
        group = {c for c, cs in codes.items() if any(x.startswith(occ[:3]) for x in cs)}
        exact = {c for c, cs in codes.items() if occ in cs}
        assert int(rows[occ]["offersInGroup"]) == len(group)
        assert int(rows[occ]["offersExact"]) == len(exact)
        assert (rows[occ]["gap"] == "Lücke") == (not group)
    assert rows["52122"]["gap"] == "Lücke" and rows["26123"]["gap"] == ""


def test_q5_online_vs_in_person_rural(store: OxigraphStore, examples: Graph) -> None:
    chosen = {
        k
        for k in examples.index
        if k.startswith(KREIS) and (examples.one(k, BN + "rural") == "true" or k == KREIS + "05711")
    }
    expected: dict[tuple[str, str], set[str]] = defaultdict(set)
    online = 0
    for c in examples.courses():
        # a run without a place counts in the Kreis of its provider's seat
        seats = {
            k for p in examples.iris(c, SCHEMA + "provider") for k in examples.kreise_of_run(p)
        }
        for r in examples.runs(c):
            mode = examples.mode(r)
            kreise = examples.kreise_of_run(r) if examples.iris(r, SCHEMA + "location") else seats
            online += not examples.iris(r, SCHEMA + "location")
            for k in kreise & chosen:
                if mode:
                    expected[(examples.label(k), mode)].add(r)
    got = {(r["kreisName"], r["mode"]): int(r["runs"]) for r in run(store, COOKBOOK["05"])}
    assert got == {k: len(v) for k, v in expected.items()}
    assert online and any(mode == "Online" for _, mode in got)
    assert {k for _, k in got} >= {"Onsite", "Online"}


SEAT_FEED = f"""
@prefix schema: <https://schema.org/> .
@prefix ex: <https://seat.example/> .
ex:org a schema:Organization ; schema:location ex:seat .
ex:seat a schema:Place ; schema:containedInPlace <{KREIS}05766> .
ex:site a schema:Place ; schema:containedInPlace <{KREIS}05762> .
ex:course a schema:Course ; schema:provider ex:org ;
    schema:hasCourseInstance ex:onsite, ex:online .
ex:onsite schema:courseMode <{CODE}unterrichtsform/101> ; schema:location ex:site .
ex:online schema:courseMode <{CODE}unterrichtsform/201> .
"""


def test_q5_counts_an_online_run_at_the_providers_seat_only() -> None:
    """The seat decides, not the Kreise where the provider also holds in-person runs."""
    s = OxigraphStore(None)
    try:
        s.replace_graph("urn:x-test:vocabulary", vocabulary_triples())
        s.replace_graph(
            "urn:x-test:feed", [q.triple for q in ox.parse(SEAT_FEED.encode(), ox.RdfFormat.TURTLE)]
        )
        got = {(r["kreisName"], r["mode"]): int(r["runs"]) for r in run(s, COOKBOOK["05"])}
    finally:
        s.close()
    assert got == {("Kreis Lippe", "Online"): 1, ("Kreis Höxter", "Onsite"): 1}


def test_every_example_provider_has_a_seat_in_a_kreis(examples: Graph) -> None:
    providers = {p for c in examples.courses() for p in examples.iris(c, SCHEMA + "provider")}
    assert len(providers) == 9
    for p in providers:
        assert len(examples.kreise_of_run(p)) == 1, p


def test_q7_duplicates(store: OxigraphStore, examples: Graph) -> None:
    by_title: dict[str, set[str]] = defaultdict(set)
    for c in examples.courses():
        for name in examples.objs(c, SCHEMA + "name"):
            assert isinstance(name, ox.Literal)
            by_title[name.value.lower()] |= set(examples.iris(c, SCHEMA + "provider"))
    expected = {t for t, providers in by_title.items() if len(providers) > 1}
    rows = run(store, COOKBOOK["07"])
    assert {r["title"].lower() for r in rows} == expected
    assert all(int(r["providers"]) >= 2 and " | " in r["claimedBy"] for r in rows)


def test_q8_price_distribution(store: OxigraphStore, examples: Graph) -> None:
    prices: dict[tuple[int, str], list[Decimal]] = defaultdict(list)
    for c in examples.courses():
        levels = examples.iris(c, SCHEMA + "educationalLevel")
        course_prices = [
            examples.one(o, SCHEMA + "price") for o in examples.iris(c, SCHEMA + "offers")
        ]
        for r in examples.runs(c):
            own = [examples.one(o, SCHEMA + "price") for o in examples.iris(r, SCHEMA + "offers")]
            mode = examples.mode(r)
            for level in levels:
                for price in own or course_prices:
                    if price is not None and mode:
                        prices[(int(level.rsplit("/", 1)[1]), mode)].append(Decimal(price))
    rows = run(store, COOKBOOK["08"])
    got = {(int(r["level"]), r["mode"]): r for r in rows}
    assert set(got) == set(prices)
    for key, values in prices.items():
        assert int(got[key]["runs"]) == len(values)
        assert Decimal(got[key]["minPrice"]) == min(values)
        assert Decimal(got[key]["maxPrice"]) == max(values)
        assert float(got[key]["meanPrice"]) == pytest.approx(
            float(sum(values)) / len(values), abs=0.01
        )
        assert Decimal(got[key]["medianPrice"]) == statistics.median(values), key
    counts = {len(v) for v in prices.values()}
    assert any(n % 2 for n in counts) and any(n % 2 == 0 for n in counts)
    # even counts whose two middle prices differ: the mean of both, not one of them
    assert any(statistics.median(v) not in v for v in prices.values())


def _skill_labels(path: Path) -> dict[str, dict[str, str]]:
    """skill IRI → language → skos:prefLabel, read from one Turtle file."""
    out: dict[str, dict[str, str]] = defaultdict(dict)
    for quad in ox.parse(path=str(path), format=ox.RdfFormat.TURTLE):
        t = quad.triple
        if t.predicate.value == SKOS + "prefLabel" and isinstance(t.object, ox.Literal):
            out[t.subject.value][t.object.language or ""] = t.object.value
    return out


ESCO_LABELS = Path(__file__).parents[1] / "ontology" / "esco" / "skills.ttl"


def test_q9_skills_taught_where(store: OxigraphStore, examples: Graph) -> None:
    labels = _skill_labels(ESCO_LABELS)
    expected: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    for c in examples.courses():
        kreise = {k for r in examples.runs(c) for k in examples.kreise_of_run(r)}
        for skill in examples.iris(c, SCHEMA + "teaches"):
            for k in kreise:
                expected[(skill, labels[skill]["en"], examples.label(k))].add(c)
    for lang in ("de", "en"):
        got = {
            (r["skill"], r["skillLabel"], r["kreisName"]): int(r["offers"])
            for r in run(store, COOKBOOK["09"], lang=f'"{lang}"')
        }
        assert got == {k: len(v) for k, v in expected.items()}


def test_q9_prefers_a_label_in_the_requested_language(examples: Graph) -> None:
    skill = "http://data.europa.eu/esco/skill/1973c966-f236-40c9-b2d4-5d71a89019be"
    s = OxigraphStore(None)
    try:
        s.replace_graph("urn:x-test:vocabulary", vocabulary_triples())
        s.replace_graph("urn:x-test:feeds", feed_triples(examples_dir() / "feeds"))
        s.replace_graph(
            "urn:x-test:labels",
            [
                ox.Triple(
                    ox.NamedNode(skill),
                    ox.NamedNode(SKOS + "prefLabel"),
                    ox.Literal("Testbezeichnung", language="de"),
                )
            ],
        )
        by_lang = {
            lang: {
                r["skillLabel"]
                for r in run(s, COOKBOOK["09"], lang=f'"{lang}"')
                if r["skill"] == skill
            }
            for lang in ("de", "en", "fr")
        }
    finally:
        s.close()
    english = _skill_labels(ESCO_LABELS)[skill]["en"]
    assert by_lang == {"de": {"Testbezeichnung"}, "en": {english}, "fr": {english}}


def test_esco_labels_cover_the_taught_skills_and_are_generated(
    examples: Graph, tmp_path: Path
) -> None:
    import subprocess
    import sys

    labels = _skill_labels(ESCO_LABELS)
    taught = {s for c in examples.courses() for s in examples.iris(c, SCHEMA + "teaches")}
    assert taught and taught <= set(labels)
    assert all(set(by_lang) == {"en"} for by_lang in labels.values())
    assert ESCO_LABELS in vocabulary_files()
    out = tmp_path / "skills.ttl"
    subprocess.run(
        [
            sys.executable,
            str(examples_dir() / "build.py"),
            "--out",
            str(tmp_path / "feeds"),
            "--esco",
            str(out),
        ],
        check=True,
        capture_output=True,
    )
    assert out.read_bytes() == ESCO_LABELS.read_bytes()


# -- questions 6 and 10 from harvest provenance --------------------------------------------------
def test_q6_stale_feeds(harvested: Harvested) -> None:
    feeds = {r.feed_id for r in harvested.first}
    rows = {r["feedId"]: r for r in run(harvested.store, COOKBOOK["06"])}
    assert set(rows) == feeds
    assert not any(r["stale"] == "true" for r in rows.values())
    later = (datetime.now().astimezone() + timedelta(days=10)).isoformat()
    rows = {
        r["feedId"]: r
        for r in run(harvested.store, COOKBOOK["06"], now=f'"{later}"^^xsd:dateTime', days="7")
    }
    assert all(r["stale"] == "true" for r in rows.values())
    last = {r.feed_id: r for r in harvested.first}
    last.update({r.feed_id: r for r in harvested.second})
    for feed, record in last.items():
        assert rows[feed]["lastOutcome"] == record.outcome
        assert int(rows[feed]["rejected"]) == record.offers_rejected


def test_q10_supply_change_between_two_harvests(harvested: Harvested, examples: Graph) -> None:
    removed = set(harvested.removed)
    assert removed
    change: dict[str, int] = defaultdict(int)
    for c in removed:
        for k in {k for r in examples.runs(c) for k in examples.kreise_of_run(r)}:
            change[k] -= 1
        for t in set(examples.iris(c, SCHEMA + "about")):
            change[t] -= 1
    before: dict[str, int] = defaultdict(int)
    for c in examples.courses():
        for k in {k for r in examples.runs(c) for k in examples.kreise_of_run(r)}:
            before[k] += 1
        for t in set(examples.iris(c, SCHEMA + "about")):
            before[t] += 1
    between = harvested.between.isoformat()
    later = (datetime.now().astimezone() + timedelta(minutes=1)).isoformat()
    rows = run(
        harvested.store,
        COOKBOOK["10"],
        **{"from": f'"{between}"^^xsd:dateTime', "to": f'"{later}"^^xsd:dateTime'},
    )
    got = {r["area"]: (int(r["before"]), int(r["after"]), int(r["change"])) for r in rows}
    assert {a: b for a, (b, _, _) in got.items() if b} == dict(before)
    assert {a: d for a, (_, _, d) in got.items() if d} == {a: d for a, d in change.items() if d}


def test_licence_query_of_the_research_guide(harvested: Harvested) -> None:
    import re
    import tomllib

    guide = (Path(__file__).parents[1] / "docs" / "research.md").read_text(encoding="utf-8")
    section = guide[guide.index("## Licences") :]
    query = re.search(r"```sparql\n(.*?)```", section, re.DOTALL)
    assert query
    sources = tomllib.loads((examples_dir() / "sources.toml").read_text(encoding="utf-8"))
    expected = {
        "https://w3id.org/bildungsnetz/source/" + f["id"]: "http://spdx.org/licenses/"
        + (f.get("license") or p["license"])
        for p in sources["partner"]
        for f in p["feed"]
    }
    result = harvested.store.query(query.group(1))
    assert isinstance(result, ox.QuerySolutions)
    got = {row["feed"].value: row["licence"].value for row in result if row["licence"]}
    assert got == expected
