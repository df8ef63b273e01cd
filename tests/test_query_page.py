"""The researchers' query page at /sparql, in headless Chromium (Python Playwright).

A live uvicorn server over the example store serves the SPARQL router with the page hook and
the YASGUI assets; the browser picks a cookbook query, runs it and must see rows; a query that
breaks the result cap must show a readable message, not an empty table. Every request the page
makes must stay on the test server (no CDN).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sparqlserver import LiveServer, build_app
from webapp import fill_with_examples

from registry.config import ServerSettings
from registry.query_page import QueryPage
from registry.store import OxigraphStore

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
PAGE = QueryPage()

pytestmark = [
    pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is not installed"),
    pytest.mark.skipif(
        PAGE.asset_dir() is None, reason="YASGUI is not installed: run ./dev setup (npm ci)"
    ),
]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("page")
    store = OxigraphStore(root / "store")
    fill_with_examples(store)
    settings = ServerSettings(query_workers=1, max_result_rows=200, query_timeout_s=5)
    app, _ = build_app(store.path / "snapshots", settings, html_page=PAGE.html_page)  # type: ignore[operator]
    app.include_router(PAGE.router)
    live = LiveServer(app)
    try:
        yield live.url
    finally:
        live.close()
        store.close()


def test_content_negotiation_keeps_the_protocol(server: str) -> None:
    html = httpx.get(server + "/sparql", headers={"Accept": "text/html"})
    assert html.status_code == 200 and "text/html" in html.headers["content-type"]
    assert 'data-query-id="04-occupation-gaps"' in html.text and "yasgui.min.js" in html.text
    turtle = httpx.get(server + "/sparql", headers={"Accept": "text/turtle"})
    assert "sd:Service" in turtle.text or "ns/sparql-service-description" in turtle.text
    answer = httpx.get(server + "/sparql", params={"query": "ASK {}"},
                       headers={"Accept": "application/sparql-results+json"})
    assert answer.json()["boolean"] is True
    assert httpx.get(server + "/static/yasgui/yasgui.min.js").status_code == 200
    assert httpx.get(server + "/static/yasgui/secret.txt").status_code == 404


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield b
        finally:
            b.close()


def test_pick_cookbook_query_run_see_rows_and_chart(server: str, browser: object) -> None:
    page = browser.new_page()  # type: ignore[attr-defined]
    foreign: list[str] = []
    page.on("request", lambda r: foreign.append(r.url) if not r.url.startswith(server) else None)
    page.goto(server + "/sparql")
    page.click('button[data-query-id="07-duplicates"]')
    assert "Dubletten" in page.inner_text("#about")
    assert "GROUP BY ?key" in page.evaluate("bnYasgui.getTab().getQuery()")
    page.click(".yasqe_queryButton")
    page.wait_for_selector(".yasr table.dataTable tbody tr", timeout=15000)
    text = page.inner_text(".yasr table.dataTable tbody")
    assert "Fachkraft für Industrie 4.0" in text
    page.click('button[data-query-id="03-bildungsgutschein-share"]')
    page.click(".yasqe_queryButton")
    page.wait_for_function(
        "document.querySelectorAll('.yasr table.dataTable tbody tr').length > 5", timeout=15000
    )
    page.click(".yasr .select_chart")
    page.wait_for_selector(".bn-chart svg rect", timeout=5000)
    assert page.locator(".bn-chart svg rect").count() > 5
    assert not page.is_visible("#query-error")
    assert foreign == [], f"the page loaded from elsewhere: {foreign}"
    page.close()


def test_result_cap_shows_a_readable_message(server: str, browser: object) -> None:
    page = browser.new_page()  # type: ignore[attr-defined]
    page.goto(server + "/sparql")
    page.evaluate("() => { bnYasgui.getTab().setQuery('SELECT * WHERE { ?s ?p ?o } LIMIT 5000'); }")
    page.click(".yasqe_queryButton")
    page.wait_for_selector("#query-error", state="visible", timeout=15000)
    message = page.inner_text("#query-error")
    assert "200" in message and "result_too_large" in message, message
    page.close()


def test_page_without_yasgui_says_how_to_install(tmp_path: Path) -> None:
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    bare = QueryPage(assets=[tmp_path])
    app = FastAPI()
    app.add_api_route("/sparql", bare.html_page, methods=["GET"])
    app.include_router(bare.router)
    client = TestClient(app, raise_server_exceptions=False)
    html = client.get("/sparql").text
    assert 'id="not-installed"' in html and "./dev setup" in html and "yasgui.min.js" not in html
    assert client.get("/static/yasgui/yasgui.min.js").status_code != 200
