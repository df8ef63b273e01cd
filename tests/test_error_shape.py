"""One error shape for every error: {error, status, message, …}, never a traceback."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from webapp import example_app


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    app, store = example_app(tmp_path_factory.mktemp("errors") / "store")
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c
    store.close()


def shape(body: dict[str, object], status: int, error: str) -> None:
    assert {"error", "status", "message"} <= set(body)
    assert body["status"] == status and body["error"] == error
    assert isinstance(body["message"], str) and body["message"]


@pytest.mark.parametrize(
    ("url", "parameter"),
    [
        ("/offers?limit=0", "limit"),
        ("/offers?limit=abc", "limit"),
        ("/offers?start_from=2026-13-01", "start_from"),
        ("/offers?max_price=-1", "max_price"),
        ("/offers?kreis=Lippe", "kreis"),
        ("/offers?mode=irgendwie", "mode"),
        ("/offers?cursor=%%%", "cursor"),
        ("/offers?funding=Bildungs%20gutschein", "funding"),
    ],
)
def test_invalid_parameters_are_422_naming_the_parameter(
    client: TestClient, url: str, parameter: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        r = client.get(url)
    assert r.status_code == 422
    shape(r.json(), 422, "invalid_parameter")
    assert r.json()["parameter"] == parameter
    assert parameter in r.json()["message"] or r.json()["parameter"] == parameter
    assert not any(rec.exc_info for rec in caplog.records)


@pytest.mark.parametrize(
    ("url", "headers", "status", "error"),
    [
        ("/no/such/path", {}, 404, "not_found"),
        ("/offers/aGVsbG8", {}, 404, "not_found"),
        ("/partners/nobody", {}, 404, "not_found"),
        ("/partner/nobody", {}, 404, "not_found"),
        ("/offers", {"Accept": "image/png"}, 406, "not_acceptable"),
        ("/partner/x", {"Accept": "application/pdf"}, 406, "not_acceptable"),
    ],
)
def test_other_errors_share_the_shape(
    client: TestClient,
    url: str,
    headers: dict[str, str],
    status: int,
    error: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.DEBUG):
        r = client.get(url, headers=headers)
    assert r.status_code == status
    assert r.headers["content-type"].startswith("application/json")
    shape(r.json(), status, error)
    assert not any(rec.exc_info for rec in caplog.records)


def test_wrong_method_has_the_shape(client: TestClient) -> None:
    r = client.post("/offers")
    assert r.status_code == 405
    shape(r.json(), 405, "method_not_allowed")


def test_unexpected_errors_are_500_in_the_shape(client: TestClient) -> None:
    app = client.app

    @app.get("/boom-for-test")  # type: ignore[attr-defined]
    def boom() -> None:
        raise RuntimeError("kaputt")

    r = client.get("/boom-for-test")
    assert r.status_code == 500
    shape(r.json(), 500, "registry_error")
    assert "kaputt" not in r.text
