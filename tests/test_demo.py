"""``bildungsnetz demo`` for real: a subprocess serving the harvested example region."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from registry.namespaces import PARTNER


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(check, timeout: float = 60.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < deadline:
        try:
            last = check()
            if last:
                return last
        except httpx.HTTPError as exc:
            last = exc
        time.sleep(0.3)
    raise AssertionError(f"gave up waiting: {last!r}")


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[str]:
    port = free_port()
    bin_dir = Path(sys.executable).parent
    proc = subprocess.Popen(
        [
            str(bin_dir / "bildungsnetz"),
            "demo",
            "--port",
            str(port),
            "--store",
            str(tmp_path / "s"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: httpx.get(base + "/healthz", timeout=2).status_code == 200)
        yield base
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            output, _ = proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            output, _ = proc.communicate()
        assert b"Traceback" not in output, output.decode(errors="replace")[-3000:]


def test_demo_serves_offers_sparql_and_partner_pages(demo: str) -> None:
    offers = httpx.get(demo + "/offers", timeout=10)
    assert offers.status_code == 200 and "items" in offers.json()
    ask = wait_for(
        lambda: httpx.get(
            demo + "/sparql",
            params={"query": "ASK { ?s ?p ?o }"},
            headers={"Accept": "application/sparql-results+json"},
            timeout=10,
        ).json()["boolean"]
    )
    assert ask is True
    page = wait_for(
        lambda: (
            (
                r := httpx.get(
                    demo + "/partner/ihk-teutoburg", headers={"Accept": "text/html"}, timeout=10
                )
            ).status_code
            == 200
            and r
        )
    )
    assert "Teutoburger" in page.text
    turtle = httpx.get(demo + "/partner/ihk-teutoburg", headers={"Accept": "text/turtle"})
    assert (PARTNER + "ihk-teutoburg").encode() in turtle.content or b"partner:" in turtle.content
    partners = httpx.get(demo + "/partners", timeout=10).json()
    assert len(partners) >= 8
