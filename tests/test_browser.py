"""The search page in a real browser: Debian's Chromium driven by Playwright over HTTP.

The server is the real app (uvicorn on 127.0.0.1, a free port, in a thread) over the example
feeds. The test types a query, submits, applies a facet, opens an offer and goes back, checking
what a reader sees; it saves screenshots to ``tests/output/`` (gitignored) and prints their
paths. Skipped only when ``/usr/bin/chromium`` is absent.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from sparqlserver import LiveServer
from webapp import example_app

CHROMIUM = Path("/usr/bin/chromium")
OUTPUT = Path(__file__).parent / "output"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian chromium at /usr/bin/chromium"),
]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    app, store = example_app(tmp_path_factory.mktemp("browser") / "store")
    live = LiveServer(app)
    try:
        yield live.url
    finally:
        live.close()
        store.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        # the test server is local: no proxy from the environment may capture it
        env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, env=env)
        try:
            yield chromium
        finally:
            chromium.close()


def _shot(page: object, name: str) -> Path:
    OUTPUT.mkdir(exist_ok=True)
    path = OUTPUT / name
    page.screenshot(path=str(path), full_page=True)  # type: ignore[attr-defined]
    print(f"screenshot: {path}")
    return path


def _name(option: str) -> str:
    """An option's label without its count."""
    return re.sub(r"\s*\(\d+\)$", "", option).strip()


def _total(page: Any) -> int:
    """The number of matching offers the page states."""
    return int(re.findall(r"\d+", page.locator("p.count").inner_text())[0])


def test_search_facet_offer_round_trip(server: str, browser: object) -> None:
    context = browser.new_context(  # type: ignore[attr-defined]
        viewport={"width": 1280, "height": 900}, java_script_enabled=False, locale="de-DE"
    )
    page = context.new_page()
    page.set_default_timeout(5000)
    page.goto(server + "/")
    assert page.locator("html").get_attribute("lang") == "de"
    assert page.locator("ol.hits > li").count() > 0
    everything = _total(page)
    # one card per offer; an offer with several runs says how many and lists further dates
    links = [a.get_attribute("href") for a in page.locator("ol.hits h3 a").all()]
    assert len(links) == len(set(links))
    several = page.locator("ol.hits div.runs").first
    assert re.match(r"\d+ Termine", several.locator("dd").inner_text())
    assert several.locator("time").count() >= 1
    _shot(page, "search-start.png")

    # type a query and submit with the keyboard (the form works without JavaScript)
    page.get_by_label("Suchbegriff").fill("Schweißen")
    page.get_by_label("Suchbegriff").press("Enter")
    page.wait_for_load_state()
    assert parse_qs(urlsplit(page.url).query)["q"] == ["Schweißen"]
    titles = page.locator("ol.hits h3").all_inner_texts()
    assert titles and _total(page) < everything
    assert any("schweiss" in t.casefold() for t in titles), titles

    # apply a facet: the Kreis of the first hit, then the filter button
    first_place = page.locator("ol.hits dl.meta").first.inner_text()
    kreis = page.get_by_label("Kreis", exact=True)
    chosen = next(
        o
        for o in kreis.locator("option").all()
        if o.get_attribute("value") and _name(o.inner_text()) in first_place
    )
    chosen_text = chosen.inner_text().strip()
    value, name = chosen.get_attribute("value"), _name(chosen_text)
    kreis.select_option(value)
    page.get_by_role("button", name="Filter anwenden").click()
    page.wait_for_load_state()
    query = parse_qs(urlsplit(page.url).query)
    assert query["kreis"] == [value] and query["q"] == ["Schweißen"]
    assert page.get_by_label("Kreis", exact=True).input_value() == value
    places = page.locator("ol.hits dl.meta").all_inner_texts()
    assert places and _total(page) == int(re.findall(r"\((\d+)\)$", chosen_text)[0])
    assert all(name in p for p in places), (name, places)
    _shot(page, "search-filtered.png")

    # open an offer from the unfiltered query and come back
    page.goto(server + "/?q=Schwei%C3%9Fen")
    first = page.locator("ol.hits h3 a").first
    title = first.inner_text()
    first.click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == title
    assert page.locator("table tbody tr").count() >= 1
    _shot(page, "offer.png")
    page.get_by_role("link", name="Zurück zur Suche").click()
    page.wait_for_load_state()
    assert parse_qs(urlsplit(page.url).query)["q"] == ["Schweißen"]

    # the language switch is a plain link
    page.get_by_role("link", name="English").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_label("Search term").input_value() == "Schweißen"
    _shot(page, "search-en.png")
    context.close()


def test_keyboard_reaches_skip_link_first(server: str, browser: object) -> None:
    page = browser.new_page()  # type: ignore[attr-defined]
    page.goto(server + "/")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.getAttribute('href')")
    assert focused == "#main"
    assert page.locator(".skip").is_visible()
    page.close()
