"""A multi-process server: the writer and read-only replicas on one port (registry/replica.py)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import psutil
import pyoxigraph as ox
import pytest
from test_demo import free_port, wait_for

from registry.demo import FeedServer
from registry.errors import RegistryError
from registry.replica import SnapshotStore
from registry.resources import examples_dir
from registry.store import OxigraphStore

G = "https://example.org/graph"


def _triple(n: int) -> ox.Triple:
    return ox.Triple(
        ox.NamedNode(f"https://example.org/s{n}"),
        ox.NamedNode("https://schema.org/name"),
        ox.Literal(f"name {n}"),
    )


def test_a_snapshot_store_reads_what_the_writer_published_and_refuses_writes(
    tmp_path: Path,
) -> None:
    writer = OxigraphStore(tmp_path / "store")
    writer.replace_graph(G, [_triple(1)])
    writer.publish()
    reader = SnapshotStore(tmp_path / "store")
    assert reader.named_graphs() == [G]
    assert [t.subject.value for t in reader.triples(G)] == ["https://example.org/s1"]

    writer.replace_graph(G, [_triple(1), _triple(2)])
    assert len(list(reader.triples(G))) == 1, "unpublished writes stay invisible"
    writer.publish()
    assert len(list(reader.triples(G))) == 2
    assert b"name 2" in reader.dump(ox.RdfFormat.N_TRIPLES, graph=G)

    with pytest.raises(RegistryError, match="only reads"):
        reader.update(f"INSERT DATA {{ GRAPH <{G}> {{ <a:b> <a:c> <a:d> }} }}")
    with pytest.raises(RegistryError, match="writer process owns it"):
        reader.replace_graph(G, [])
    assert len(list(writer.triples(G))) == 2
    writer.close()


def _health(base: str) -> dict[str, Any]:
    # a new connection each time, so the kernel may hand it to any process
    with httpx.Client(base_url=base, timeout=5) as client:
        response = client.get("/healthz")
    response.raise_for_status()
    body: dict[str, Any] = response.json()
    return body


def _both_roles(base: str, tries: int = 60) -> dict[str, dict[str, Any]]:
    seen: dict[str, dict[str, Any]] = {}
    for _ in range(tries):
        health = _health(base)
        seen[health["process"]["role"]] = health
        if len(seen) == 2:
            break
    return seen


def test_writer_and_replica_serve_one_port_and_the_replica_sees_the_harvest(
    tmp_path: Path,
) -> None:
    with FeedServer(examples_dir()) as feeds:
        config = tmp_path / "sources.toml"
        text = (examples_dir() / "sources.toml").read_text(encoding="utf-8")
        config.write_text(
            text.replace("[harvest]\n", f'[harvest]\nfeed_base_url = "{feeds.url}"\n', 1),
            encoding="utf-8",
        )
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        cmd = [str(Path(sys.executable).parent / "bildungsnetz"), "serve", "--config", str(config)]
        cmd += ["--store", str(tmp_path / "s"), "--port", str(port), "--processes", "2"]
        log = (tmp_path / "server.log").open("wb")  # a file: a full pipe would stall the server
        proc = subprocess.Popen(
            [*cmd, "--harvest-on-start"],
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        try:
            wait_for(lambda: _health(base))
            roles = wait_for(lambda: len(_both_roles(base)) == 2 and _both_roles(base))
            assert roles["writer"]["process"]["pid"] != roles["replica"]["process"]["pid"]
            assert roles["replica"]["harvesting"] is None, "a replica never harvests"

            def settled() -> dict[str, dict[str, Any]] | None:
                seen = _both_roles(base)
                if len(seen) < 2 or seen["writer"]["harvesting"]:
                    return None
                w, r = seen["writer"], seen["replica"]
                ok = w["offer_runs"] > 0 and (w["generation"], w["offer_runs"]) == (
                    r["generation"],
                    r["offer_runs"],
                )
                return seen if ok else None

            # the harvest runs in the writer; the replica answers from the same data after it
            seen = wait_for(settled)
            totals = set()
            for _ in range(12):
                with httpx.Client(base_url=base, timeout=10) as client:
                    page = client.get("/offers", params={"limit": 1, "include_past": "true"})
                assert page.status_code == 200
                totals.add(page.json()["total"])
            assert len(totals) == 1 and totals.pop() > 0

            # counts of every process are summed, whichever process answers /metrics
            with httpx.Client(base_url=base, timeout=10) as client:
                metrics = client.get("/metrics").text
            offers_line = next(
                line
                for line in metrics.splitlines()
                if line.startswith("bildungsnetz_http_requests_total")
                and 'route="/offers"' in line
                and 'status="200"' in line
            )
            assert float(offers_line.rsplit(" ", 1)[1]) >= 12

            # a replica that dies is replaced; the port keeps answering
            old = seen["replica"]["process"]["pid"]
            os.kill(old, signal.SIGKILL)

            def replaced() -> dict[str, Any] | None:
                replica = _both_roles(base).get("replica")
                return replica if replica and replica["process"]["pid"] != old else None

            fresh = wait_for(replaced)
            assert fresh["generation"] == seen["writer"]["generation"]
            children = [c.pid for c in psutil.Process(proc.pid).children()]
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                code = proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                raise
        log.close()
        output = (tmp_path / "server.log").read_text(encoding="utf-8", errors="replace")
        assert code == 0, output
        assert "starting another" in output
        time.sleep(0.5)
        assert not [
            p
            for p in children
            if psutil.pid_exists(p) and psutil.Process(p).status() != psutil.STATUS_ZOMBIE
        ], "the children end with the server"


@pytest.mark.parametrize(
    ("setting", "value"),
    [("processes", 0), ("processes", "2"), ("query_workers", 0), ("query_lookup_workers", -1)],
)
def test_process_counts_in_the_sources_file_are_checked(setting: str, value: object) -> None:
    from registry.config import sources_from_dict
    from registry.errors import ConfigError

    sources = sources_from_dict({"server": {setting: value}}, base_dir=Path("."))
    with pytest.raises(ConfigError, match=f"{setting} must be a whole number"):
        sources.server_settings()
    assert (
        sources_from_dict({"server": {"processes": 2}}, base_dir=Path("."))
        .server_settings(port=9000)
        .processes
        == 2
    )


def test_a_replica_waits_until_the_writer_has_built_its_index(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from webapp import example_store

    from registry import replica
    from registry.catalogue import Catalogue
    from registry.offer_index import OfferIndex

    store = example_store(tmp_path / "store")
    index = OfferIndex(tmp_path / "store" / "offers.sqlite")
    Catalogue(store, index, None).refresh(publish=False)  # snapshot and committed index
    ready = tmp_path / "writer.ready"
    monkeypatch.setenv(replica.READY_ENV, str(ready))
    monkeypatch.setattr(replica, "READY_TIMEOUT_S", 1.2)
    with pytest.raises(RegistryError, match="did not publish"):
        replica._wait_for_writer(tmp_path / "store")  # index there, writer not ready
    ready.touch()
    replica._wait_for_writer(tmp_path / "store")  # returns at once
    index.close()
    store.close()
