"""``bildungsnetz validate``: check feeds against the shapes before publishing them.

Exit codes (``ARCHITECTURE.md``): 0 every offer conforms (warnings allowed), 1 violations
found, 2 an input could not be read (or usage error) — reported in one line naming file, line
and column, never with a traceback. The library does the work (parse → normalise → validate →
report); heavy imports happen inside the command so other commands start fast.
"""

from __future__ import annotations

import re
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from ..errors import FetchError, InputTooLarge, RegistryError

if TYPE_CHECKING:
    import pyoxigraph as ox

    from importers.validate import ValidationResult, Validator

__all__ = ["fetch_url", "register", "validate"]

_MAX_BYTES = 50 * 1024 * 1024
_TIMEOUT_S = 30.0


class OutputFormat(StrEnum):
    text = "text"
    json = "json"
    turtle = "turtle"


class Language(StrEnum):
    de = "de"
    en = "en"


def fetch_url(url: str, *, max_bytes: int = _MAX_BYTES) -> tuple[bytes, str | None, str]:
    """GET ``url`` (http/https only, size limit, timeout): body, content type, final URL.

    Deliberately simple; the harvester's fetch stage adds conditional GET, retries and the
    private-address guard.
    """
    import httpx

    if not re.match(r"^https?://", url, flags=re.I):
        raise FetchError(f"{url}: only http and https addresses can be fetched", url=url)
    try:
        with (
            httpx.Client(timeout=_TIMEOUT_S, follow_redirects=True, max_redirects=5) as client,
            client.stream("GET", url, headers={"Accept": _ACCEPT}) as response,
        ):
            if response.status_code >= 400:
                raise FetchError(f"{url}: HTTP {response.status_code}", url=url)
            chunks: list[bytes] = []
            size = 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > max_bytes:
                    raise InputTooLarge(f"{url}: larger than the limit of {max_bytes} bytes")
                chunks.append(chunk)
            return b"".join(chunks), response.headers.get("content-type"), str(response.url)
    except httpx.HTTPError as exc:
        raise FetchError(f"{url}: {exc}", url=url) from None


_ACCEPT = (
    "text/turtle, application/ld+json;q=0.9, application/n-triples;q=0.8, "
    "application/rdf+xml;q=0.7, */*;q=0.1"
)


def _read(target: str, input_format: str | None) -> list[ox.Triple]:
    from importers.parse import detect_format, parse_rdf, read_path

    if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]+://", target):
        data, content_type, final = fetch_url(target)
        fmt = detect_format(name=final, content_type=content_type, data=data, declared=input_format)
        return parse_rdf(data, format=fmt, source=target, base_iri=final)
    return read_path(Path(target), declared=input_format)


def _check(validator: Validator, target: str, input_format: str | None) -> ValidationResult:
    from importers.normalise import normalise

    triples = _read(target, input_format)
    return validator.validate(normalise(triples, source_id="validate"))


def validate(
    inputs: list[str] = typer.Argument(
        ..., metavar="PATH_OR_URL...", help="Feed files or http(s) addresses to check."
    ),
    output: OutputFormat = typer.Option(
        OutputFormat.text, "--format", "-f", help="Report format: text, json or turtle (SHACL)."
    ),
    lang: Language = typer.Option(Language.de, "--lang", help="Language of the messages."),
    input_format: str | None = typer.Option(
        None,
        "--input-format",
        help="Input syntax (turtle, jsonld, rdfxml, ntriples, nquads, trig); "
        "guessed from the name and content otherwise.",
    ),
    shapes: Path | None = typer.Option(
        None, "--shapes", help="Folder with core.ttl/quality.ttl instead of the bundled shapes."
    ),
) -> None:
    """Check feeds against the Bildungsnetz shapes and report per offer.

    Exit code 0: every offer is valid (warnings allowed); 1: violations found;
    2: an input could not be read.

    Example: ``bildungsnetz validate angebote.ttl --lang en --format json``
    """
    from importers.validate import Validator
    from registry.report import render_json, render_text, render_turtle

    try:
        validator = Validator(shapes)
    except RegistryError as exc:
        typer.echo(f"bildungsnetz: {exc}", err=True)
        raise typer.Exit(exc.exit_code) from None
    exit_code = 0
    documents: list[str] = []
    for target in inputs:
        try:
            result = _check(validator, target, input_format)
        except RegistryError as exc:
            typer.echo(f"bildungsnetz: {exc}", err=True)
            exit_code = 2
            continue
        if not result.conforms and exit_code == 0:
            exit_code = 1
        if output is OutputFormat.json:
            documents.append(render_json(result, source=target))
        elif output is OutputFormat.turtle:
            documents.append(render_turtle(result))
        else:
            color = sys.stdout.isatty()
            documents.append(render_text(result, lang=lang.value, source=target, color=color))
    if output is OutputFormat.json and len(inputs) > 1:
        typer.echo("[\n" + ",\n".join(d.rstrip("\n") for d in documents) + "\n]")
    else:
        for document in documents:
            typer.echo(document, nl=False)
    raise typer.Exit(exit_code)


def register(app: typer.Typer) -> None:
    app.command()(validate)
