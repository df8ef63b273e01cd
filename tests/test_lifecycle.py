"""Course-run lifecycle: ended runs hidden, stale offers, starting_within, one settable clock."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from webapp import example_app

from registry.clock import Clock


@pytest.fixture(scope="module")
def app_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, Clock]]:
    app, store = example_app(tmp_path_factory.mktemp("life") / "store")
    clock = Clock(date(2020, 1, 1))
    app.state.clock = clock
    with TestClient(app) as c:
        yield c, clock
    store.close()


def every(client: TestClient, **params: str | int) -> list[dict]:
    items: list[dict] = []
    cursor = None
    while True:
        page = client.get(
            "/offers", params={**params, "limit": 200, **({"cursor": cursor} if cursor else {})}
        )
        assert page.status_code == 200, page.text
        items += page.json()["items"]
        cursor = page.json()["next"]
        if not cursor:
            return items


def runs(items: list[dict]) -> list[dict]:
    """The runs of the items (each with its offer's IRI), in item order."""
    return [{**r, "iri": i["iri"]} for i in items for r in i["runs"]]


def last_day(run: dict) -> str | None:
    return run["end_date"] or run["start_date"]


def test_ended_runs_are_hidden_unless_include_past(app_client) -> None:
    client, clock = app_client
    clock.set(date(2020, 1, 1))
    everything = runs(every(client, include_past="true"))
    days = sorted(d for d in (last_day(r) for r in everything) if d)
    today = date.fromisoformat(days[len(days) // 2])
    clock.set(today)
    shown = every(client)
    current = runs(shown)
    assert 0 < len(current) < len(everything)
    assert all((d := last_day(r)) is None or d >= today.isoformat() for r in current)
    expected = [r for r in everything if (d := last_day(r)) is None or d >= str(today)]
    assert {r["run"] for r in current} == {r["run"] for r in expected}
    # an offer is shown once when one of its runs is current
    assert sorted(i["iri"] for i in shown) == sorted({r["iri"] for r in expected})
    assert len(runs(every(client, include_past="true"))) == len(everything)


def test_offers_with_only_past_runs_are_stale(app_client) -> None:
    client, clock = app_client
    clock.set(date(2020, 1, 1))
    everything = every(client, include_past="true")
    assert not any(i["stale"] for i in everything)
    days = sorted(d for d in (last_day(r) for r in runs(everything)) if d)
    today = date.fromisoformat(days[len(days) // 2])
    clock.set(today)
    marked = every(client, include_past="true")
    by_offer: dict[str, list[str | None]] = {}
    for run in runs(marked):
        by_offer.setdefault(run["iri"], []).append(last_day(run))
    stale = {o for o, ds in by_offer.items() if all(d is not None and d < str(today) for d in ds)}
    assert stale and len(stale) < len(by_offer)
    assert {i["iri"] for i in marked if i["stale"]} == stale
    assert not any(i["stale"] for i in every(client))


def test_starting_within_days(app_client) -> None:
    client, clock = app_client
    clock.set(date(2020, 1, 1))
    everything = runs(every(client, include_past="true"))
    starts = sorted(r["start_date"] for r in everything if r["start_date"])
    today = date.fromisoformat(starts[len(starts) // 3])
    clock.set(today)
    soon = every(client, starting_within=60)
    end = (today + timedelta(days=60)).isoformat()
    assert soon and all(today.isoformat() <= r["start_date"] <= end for r in runs(soon))
    expected = [
        r for r in everything if r["start_date"] and today.isoformat() <= r["start_date"] <= end
    ]
    assert len(runs(soon)) == len(expected)
    assert sorted(i["iri"] for i in soon) == sorted({r["iri"] for r in expected})
    assert all(i["next_start_date"] == i["runs"][0]["start_date"] for i in soon)
    r = client.get("/offers", params={"starting_within": -1})
    assert r.status_code == 422 and r.json()["parameter"] == "starting_within"


def test_registration_deadlines_are_in_the_answer(app_client) -> None:
    client, clock = app_client
    clock.set(date(2020, 1, 1))
    items = runs(every(client, include_past="true"))
    assert all("registration_deadline" in r for r in items)
    deadlines = [r for r in items if r["registration_deadline"]]
    assert deadlines
    for run in deadlines:
        date.fromisoformat(run["registration_deadline"])
        if run["start_date"]:
            assert run["registration_deadline"] <= run["start_date"]


def test_the_clock_is_part_of_the_etag(app_client) -> None:
    client, clock = app_client
    clock.set(date(2020, 1, 1))
    first = client.get("/offers", params={"limit": 2})
    clock.set(date(2030, 1, 1))
    again = client.get(
        "/offers", params={"limit": 2}, headers={"If-None-Match": first.headers["etag"]}
    )
    assert again.status_code == 200 and again.headers["etag"] != first.headers["etag"]


def test_contradictory_filters_give_an_empty_answer_with_facets(app_client) -> None:
    client, clock = app_client
    clock.set(date(2030, 1, 1))
    body = client.get("/offers", params={"start_to": "2021-01-01"}).json()
    assert body["items"] == [] and body["total"] == 0 and body["facets"]["kreis"] == []
    r = client.get("/offers", params={"start_from": "2027-02-01", "start_to": "2027-01-01"})
    assert r.status_code == 422 and r.json()["parameter"] == "start_to"
