"""``bildungsnetz validate``: exit codes, one-line errors, formats; in-process and as a process."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from feedserver import FeedServer, Reply
from typer.testing import CliRunner

from registry.cli import app

DATA = Path(__file__).parent / "data" / "validate"
SHAPES = ["--shapes", str(DATA)]
BIN = Path(sys.executable).parent / "bildungsnetz"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["validate", *args])
    return result.exit_code, result.stdout, result.stderr


def test_good_feed_exits_0() -> None:
    code, out, _ = run(str(DATA / "good.ttl"), *SHAPES)
    assert code == 0
    assert "1 Angebote geprüft: 1 gültig, 0 mit Fehlern" in out


def test_flawed_feed_exits_1_with_english_json() -> None:
    code, out, _ = run(str(DATA / "feed.ttl"), *SHAPES, "--format", "json", "--lang", "en")
    assert code == 1
    assert json.loads(out)["summary"]["invalid"] == 1


def test_turtle_output() -> None:
    code, out, _ = run(str(DATA / "feed.ttl"), *SHAPES, "--format", "turtle")
    assert code == 1 and "sh:ValidationReport" in out


def test_syntax_error_is_one_line_with_position(tmp_path: Path) -> None:
    bad = tmp_path / "bad.ttl"
    bad.write_text(
        '<https://a.example/k> <https://schema.org/name> "x" .\n<https://a.example/k> oops .\n'
    )
    code, _out, err = run(str(bad), *SHAPES)
    assert code == 2
    assert err.strip().startswith(f"bildungsnetz: {bad}:2:")
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_unknown_input_format_is_a_usage_error() -> None:
    code, _, err = run(str(DATA / "good.ttl"), *SHAPES, "--input-format", "excel")
    assert code == 2 and "unknown format" in err


def test_several_inputs_one_unreadable_exits_2(tmp_path: Path) -> None:
    code, out, err = run(str(DATA / "good.ttl"), str(tmp_path / "missing.ttl"), *SHAPES)
    assert code == 2
    assert "file not found" in err and "1 gültig" in out


def test_url_input_is_fetched_with_its_content_type(feed_server: FeedServer) -> None:
    body = (DATA / "good.ttl").read_bytes()
    feed_server.routes["/feed"] = Reply(body=body, content_type="text/turtle")
    code, out, _ = run(feed_server.url("/feed"), *SHAPES)
    assert code == 0 and "1 gültig" in out
    feed_server.routes["/page"] = Reply(body=b"<html></html>", content_type="text/html")
    code, _, err = run(feed_server.url("/page"), *SHAPES)
    assert code == 2 and "HTML" in err


def test_only_http_urls() -> None:
    code, _, err = run("ftp://a.example/feed.ttl", *SHAPES)
    assert code == 2 and "http" in err


def _make_inputs(tmp: Path) -> dict[str, Path]:
    files = {
        "empty": b"",
        "binary": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
        "syntax": b'<https://a.example/k> <https://schema.org/name> "x" .\n'
        b"<https://a.example/k> oops .\n",
        "remote-context": b'{"@context": "https://evil.example/ctx", "@id": "https://a.example/"}',
        "local-context": b'{"@context": "file:///etc/ctx.jsonld", "@id": "https://a.example/"}',
        "entities": b'<?xml version="1.0"?>\n'
        b'<!DOCTYPE r [<!ENTITY a "aa"><!ENTITY b "&a;&a;&a;">]>\n'
        b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/>',
    }
    suffix = {"remote-context": ".jsonld", "local-context": ".jsonld", "entities": ".rdf"}
    paths = {}
    for name, data in files.items():
        path = tmp / (name + suffix.get(name, ".ttl"))
        path.write_bytes(data)
        paths[name] = path
    big = tmp / "big.ttl"
    with big.open("wb") as handle:
        handle.truncate(200 * 1024 * 1024)
    paths["big"] = big
    return paths


def test_real_process_exit_codes(tmp_path: Path) -> None:
    assert BIN.exists(), BIN
    ok = subprocess.run(
        [BIN, "validate", DATA / "good.ttl", *SHAPES], capture_output=True, text=True
    )
    assert ok.returncode == 0, ok.stderr
    flawed = subprocess.run(
        [BIN, "validate", DATA / "feed.ttl", *SHAPES], capture_output=True, text=True
    )
    assert flawed.returncode == 1 and "mit Fehlern" in flawed.stdout
    inputs = _make_inputs(tmp_path)
    # all unreadable inputs in one process keeps the test fast; each gets its own line
    bad = subprocess.run(
        [BIN, "validate", *inputs.values(), *SHAPES], capture_output=True, text=True, timeout=60
    )
    assert bad.returncode == 2
    lines = bad.stderr.strip().splitlines()
    assert "Traceback" not in bad.stderr and len(lines) == len(inputs)
    by_file = {
        name: next(line for line in lines if str(path) in line) for name, path in inputs.items()
    }
    assert "empty" in by_file["empty"]
    assert "binary" in by_file["binary"]
    assert f"{inputs['syntax']}:2:" in by_file["syntax"]
    assert "evil.example" in by_file["remote-context"]
    assert "file:///etc/ctx.jsonld" in by_file["local-context"]
    assert "entit" in by_file["entities"]
    assert "larger than" in by_file["big"]
