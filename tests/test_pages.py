"""The search page at ``/`` and the offer pages, in process: structure, labels, language,
filters, paging and a form round trip as a browser without JavaScript would do it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import parse_qsl, urlencode, urlsplit

import lxml.html
import pytest
from fastapi.testclient import TestClient
from webapp import example_app

from registry.i18n import MESSAGES, translator
from registry.pages import PAGE_SIZE

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    app, store = example_app(tmp_path_factory.mktemp("pages") / "store")
    with TestClient(app) as c:
        yield c
    store.close()


def _doc(
    client: TestClient, url: str, status: int = 200, headers: dict[str, str] | None = None
) -> lxml.html.HtmlElement:
    r = client.get(url, headers={"Accept": BROWSER, **(headers or {})})
    assert r.status_code == status, r.text[:500]
    assert r.headers["content-type"].startswith("text/html")
    return lxml.html.fromstring(r.text)


def _hit_ids(doc: lxml.html.HtmlElement) -> list[str]:
    return [
        a.get("href").split("?")[0].rsplit("/", 1)[-1]
        for a in doc.xpath("//ol[@class='hits']//h3/a")
    ]


def _api_ids(client: TestClient, **params: str) -> list[str]:
    items = client.get("/offers", params={**params, "limit": PAGE_SIZE}).json()["items"]
    return [i["id"] for i in items]


def _submit(doc: lxml.html.HtmlElement, **changes: str) -> str:
    """The URL a browser without JavaScript builds from the search form (all fields, even
    empty ones), after setting ``changes``."""
    form = doc.xpath("//form[@class='search']")[0]
    assert form.get("method") == "get"
    fields: list[tuple[str, str]] = []
    for el in form.iter("input", "select"):
        name = el.get("name")
        if not name:
            continue
        if el.tag == "select":
            chosen = [o.get("value") for o in el.iter("option") if o.get("selected") is not None]
            value = chosen[0] if chosen else el.xpath(".//option")[0].get("value")
        else:
            value = el.get("value") or ""
        fields.append((name, changes.get(name, value)))
    return form.get("action") + "?" + urlencode(fields)


def test_page_structure_and_accessibility(client: TestClient) -> None:
    doc = _doc(client, "/")
    assert doc.get("lang") == "de"
    body_links = doc.xpath("//body//a")
    assert body_links[0].get("href") == "#main" and "skip" in body_links[0].get("class")
    assert doc.xpath("//main[@id='main']")
    assert doc.xpath("//h1") and doc.xpath("//nav[@aria-label]")
    # every control has a visible label pointing at it
    labels = {lab.get("for"): lab.text_content().strip() for lab in doc.xpath("//label")}
    controls = [
        el
        for el in doc.xpath("//input|//select|//textarea")
        if el.get("type") not in ("hidden", "submit")
    ]
    assert len(controls) >= 6
    for el in controls:
        assert el.get("id") in labels and labels[el.get("id")], lxml.html.tostring(el)
    # the facets of the brief are there as selects
    names = {s.get("name") for s in doc.xpath("//select")}
    assert {"kreis", "mode", "funding", "topic", "provider"} <= names
    # no resource from elsewhere: style sheet served by the app, no scripts, no fonts
    sheets = [link.get("href") for link in doc.xpath("//link[@rel='stylesheet']")]
    assert sheets == ["/static/site.css"]
    assert not doc.xpath("//script[@src]")
    css = client.get("/static/site.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert ":focus-visible" in css.text and "http" not in css.text


def test_results_show_dates_place_mode_price_and_funding(client: TestClient) -> None:
    doc = _doc(client, "/?funding=2")
    hits = doc.xpath("//ol[@class='hits']/li")
    assert 0 < len(hits) <= PAGE_SIZE
    for hit in hits:
        text = hit.text_content()
        assert "Beginn" in text and "Ort" in text and "Preis" in text
        assert "Bildungsgutschein" in [
            b.text_content().split(": ")[-1]
            for b in hit.xpath(".//li[contains(@class, 'funding')]")
        ]
        assert hit.xpath(".//li[contains(@class, 'mode')]")
    dates = [t.get("datetime") for t in doc.xpath("//ol[@class='hits']//time")]
    assert dates and all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", d) for d in dates)
    assert re.search(r"\d\.?\d*,\d\d €", doc.xpath("//ol[@class='hits']")[0].text_content())


@pytest.mark.parametrize(
    "params",
    [{"mode": "digital"}, {"kreis": "05766"}, {"funding": "nrw-bildungsscheck"}, {"q": "excel"}],
)
def test_filters_change_results_like_the_api(client: TestClient, params: dict[str, str]) -> None:
    everything = _hit_ids(_doc(client, "/"))
    filtered = _hit_ids(_doc(client, "/?" + urlencode(params)))
    assert filtered and filtered != everything
    assert filtered == _api_ids(client, **params)


def test_form_round_trip_without_javascript(client: TestClient) -> None:
    start = _doc(client, "/")
    kreis = [o.get("value") for o in start.xpath("//select[@name='kreis']/option")]
    assert "05766" in kreis
    url = _submit(start, q="Excel", kreis="")
    sent = dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))
    assert sent["kreis"] == "" and sent["mode"] == ""  # empty fields are sent and ignored
    page = _doc(client, url)
    assert page.xpath("//input[@name='q']")[0].get("value") == "Excel"
    excel = _hit_ids(page)
    assert excel == _api_ids(client, q="Excel")
    # apply a facet on top of the query: the form keeps both
    mode = "digital"
    narrowed = _doc(client, _submit(page, mode=mode))
    assert narrowed.xpath("//input[@name='q']")[0].get("value") == "Excel"
    selected = narrowed.xpath("//select[@name='mode']/option[@selected]")
    assert [o.get("value") for o in selected] == [mode]
    assert _hit_ids(narrowed) == _api_ids(client, q="Excel", mode=mode)
    assert set(_hit_ids(narrowed)) < set(excel)


def test_paging_follows_the_cursor(client: TestClient) -> None:
    first = _doc(client, "/?mode=praesenz")
    assert len(_hit_ids(first)) == PAGE_SIZE
    nxt = first.xpath("//nav[@class='paging']/a[@rel='next']")[0].get("href")
    assert "mode=praesenz" in nxt and "cursor=" in nxt
    second = _doc(client, nxt)
    assert _hit_ids(second) and _hit_ids(second) != _hit_ids(first)
    back = second.xpath("//nav[@class='paging']/a")[0]
    assert back.text_content() == "Erste Seite" and "cursor" not in back.get("href")
    assert _hit_ids(_doc(client, back.get("href"))) == _hit_ids(first)


def test_language_switch_is_a_link_and_keeps_the_query(client: TestClient) -> None:
    de = _doc(client, "/?q=Excel")
    switch = [a for a in de.xpath("//nav//a") if a.text_content() == "English"]
    assert switch and switch[0].get("hreflang") == "en"
    href = switch[0].get("href")
    assert dict(parse_qsl(urlsplit(href).query)) == {"q": "Excel", "lang": "en"}
    en = _doc(client, href)
    assert en.get("lang") == "en"
    text = en.text_content()
    assert "Search term" in text and "Suchbegriff" not in text and "Filter anwenden" not in text
    assert en.xpath("//input[@name='lang']")[0].get("value") == "en"  # the form stays English
    back = next(a for a in en.xpath("//nav//a") if a.text_content() == "Deutsch").get("href")
    assert dict(parse_qsl(urlsplit(back).query)) == {"q": "Excel"}
    offer_links = [a.get("href") for a in en.xpath("//ol[@class='hits']//h3/a")]
    assert offer_links and all(h.endswith("?lang=en") for h in offer_links)
    assert client.get("/?lang=fr").status_code == 422


def test_message_table_is_complete() -> None:
    for key, (de, en) in MESSAGES.items():
        assert de.strip() and en.strip(), key
        assert set(re.findall(r"{(\w+)}", de)) == set(re.findall(r"{(\w+)}", en)), key
    assert translator("en")("results_count", n=3) == "3 offers found"
    with pytest.raises(KeyError):
        translator("de")("no-such-message")


def test_bad_input_is_a_page_naming_the_field(client: TestClient) -> None:
    doc = _doc(client, "/?max_price=viel&q=Excel", status=422)
    alert = doc.xpath("//*[@role='alert']")[0].text_content()
    assert "Höchstpreis" in alert and "max_price" in alert
    field = doc.xpath("//input[@name='max_price']")[0]
    assert field.get("aria-invalid") == "true" and field.get("value") == "viel"
    assert not doc.xpath("//ol[@class='hits']")
    assert _doc(client, "/?kreis=Lippe", status=422).xpath("//select[@aria-invalid='true']")
    assert _doc(client, "/?start_from=morgen", status=422) is not None


def test_feed_text_and_query_are_escaped(client: TestClient) -> None:
    r = client.get("/", params={"q": '"><script>alert(1)</script>'})
    assert r.status_code == 200
    assert "<script>alert(1)</script>" not in r.text and "&lt;script&gt;" in r.text


def test_offer_page_has_the_look_and_a_back_link(client: TestClient) -> None:
    search = "/?q=Excel&kreis="
    doc = _doc(client, search)
    link = doc.xpath("//ol[@class='hits']//h3/a")[0]
    offer = _doc(client, link.get("href"), headers={"Referer": "http://testserver" + search})
    assert offer.xpath("//h1")[0].text_content() == link.text_content()
    assert [x.get("href") for x in offer.xpath("//link[@rel='stylesheet']")] == ["/static/site.css"]
    back = offer.xpath("//p[@class='back']/a")[0]
    assert back.get("href") == search and back.text_content().endswith("Zurück zur Suche")
    # opened from elsewhere: back to the empty search, in the page's language
    other = _doc(client, link.get("href") + "?lang=en", headers={"Referer": "https://x.example/"})
    assert other.xpath("//p[@class='back']/a")[0].get("href") == "/?lang=en"
    assert other.xpath("//th")[0].text_content() == "Start"


def test_facets_show_counts_and_distance_filter_keeps_near_runs(client: TestClient) -> None:
    doc = _doc(client, "/?q=Excel")
    total = len(_api_ids(client, q="Excel"))
    counted = [
        (o.get("value"), int(m.group(1)))
        for o in doc.xpath("//select[@name='kreis']/option")
        if (m := re.search(r"\((\d+)\)$", o.text_content()))
    ]
    assert counted and all(0 < n <= max(total, PAGE_SIZE * 10) for _, n in counted)
    value, n = counted[0]
    assert len(_hit_ids(_doc(client, f"/?q=Excel&kreis={value}"))) == min(n, PAGE_SIZE)
    near = _doc(client, "/?near=H%C3%B6xter&radius_km=15")
    assert near.xpath("//input[@name='near']")[0].get("value") == "Höxter"
    distances = [
        float(m.group(1))
        for s in near.xpath("//span[@class='distance']")
        if (m := re.search(r"(\d+) km", s.text_content()))
    ]
    assert distances and all(d <= 15 for d in distances)
    assert _doc(client, "/?near=Atlantis", status=422).xpath("//*[@role='alert']")


def test_one_card_per_offer_with_its_run_dates(client: TestClient) -> None:
    items = client.get("/offers", params={"limit": PAGE_SIZE}).json()["items"]
    doc = _doc(client, "/")
    cards = doc.xpath("//ol[@class='hits']/li")
    assert _hit_ids(doc) == [i["id"] for i in items] and len(set(_hit_ids(doc))) == len(cards)
    several = [(card, i) for card, i in zip(cards, items, strict=True) if i["run_count"] > 1]
    assert several
    for card, item in several:
        text = card.text_content()
        assert f"{item['run_count']} Termine" in text and "Nächster Beginn" in text
        dates = [t.get("datetime") for t in card.xpath(".//time")]
        starts = [r["start_date"] for r in item["runs"] if r["start_date"]]
        assert dates[0] == item["next_start_date"] == starts[0]
        assert set(starts[1:4]) <= set(dates)
    counted = doc.xpath("//p[@class='count']")[0].text_content()
    total = client.get("/offers", params={"limit": 1}).json()["total"]
    assert counted == f"{total} Angebote gefunden"
