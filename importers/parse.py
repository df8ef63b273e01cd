"""Parse stage: bytes → pyoxigraph triples, with format detection and clear errors.

Interface (the harvester and ``bildungsnetz validate`` call these):

* :func:`detect_format` picks the RDF syntax: a *declared* format name (sources file,
  ``--input-format``) wins over the HTTP content type, which wins over the file extension, which
  wins over sniffing the first bytes. HTML and XML that is not RDF/XML raise
  :class:`~registry.errors.UnsupportedFormat`, naming what was found.
* :func:`parse_rdf` parses with pyoxigraph and returns a list of triples: quads of any named
  graph become triples of the one graph of the source. Every failure is a
  :class:`~registry.errors.InputError`: :class:`ParseError` with ``line``/``column`` taken from
  pyoxigraph's ``SyntaxError`` position, :class:`InputTooLarge` above ``max_bytes``,
  :class:`UnsupportedFormat` for binary content, :class:`RemoteContextRefused` from
  :mod:`importers.jsonld`.
* :func:`read_path` reads at most ``max_bytes + 1`` bytes of a file (so a 200 MB file ends at
  once) and parses it with its ``file:`` URI as base.

Why the RDF/XML guard: pyoxigraph 0.5.13 expands internal XML entities (so a "billion laughs"
document would be expanded) and fails on external ones with an obscure message. Feeds have no
reason to declare entities or a DTD, so any ``<!DOCTYPE`` with an internal subset or an external
identifier, and any ``<!ENTITY``, is refused before the parser sees the document.
"""

from __future__ import annotations

import re
from pathlib import Path

import pyoxigraph as ox

from registry.errors import InputTooLarge, ParseError, UnsupportedFormat

from .jsonld import prepare_jsonld

__all__ = [
    "DEFAULT_MAX_BYTES",
    "FORMAT_NAMES",
    "check_text",
    "detect_format",
    "format_name",
    "ntriples_of",
    "parse_rdf",
    "parse_rdf_text",
    "read_path",
]

DEFAULT_MAX_BYTES = 50 * 1024 * 1024

#: declared format names (sources file ``format =``, ``--input-format``) → pyoxigraph format
FORMAT_NAMES: dict[str, ox.RdfFormat] = {
    "turtle": ox.RdfFormat.TURTLE,
    "ttl": ox.RdfFormat.TURTLE,
    "jsonld": ox.RdfFormat.JSON_LD,
    "json-ld": ox.RdfFormat.JSON_LD,
    "rdfxml": ox.RdfFormat.RDF_XML,
    "rdf/xml": ox.RdfFormat.RDF_XML,
    "ntriples": ox.RdfFormat.N_TRIPLES,
    "n-triples": ox.RdfFormat.N_TRIPLES,
    "nquads": ox.RdfFormat.N_QUADS,
    "n-quads": ox.RdfFormat.N_QUADS,
    "trig": ox.RdfFormat.TRIG,
    "n3": ox.RdfFormat.N3,
}

_RDF_NS = b"http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_HTML_TYPES = {"text/html", "application/xhtml+xml"}
_GENERIC_TYPES = {
    "text/plain",
    "application/octet-stream",
    "application/xml",
    "text/xml",
    "application/json",
    "binary/octet-stream",
}
_POSITION = re.compile(r"^Parser error at line \d+ (?:between columns \d+ and \d+|column \d+): ")
_BOM = b"\xef\xbb\xbf"


def format_name(fmt: ox.RdfFormat) -> str:
    """The short name of ``fmt`` as :data:`FORMAT_NAMES` spells it (``turtle``, ``jsonld`` …)."""
    for name, value in FORMAT_NAMES.items():
        if value == fmt:
            return name
    return fmt.name  # pragma: no cover - every pyoxigraph format has a name above


def _sniff(data: bytes, what: str) -> ox.RdfFormat:
    head = data[:4096].removeprefix(_BOM).lstrip()
    lower = head.lower()
    if not head:
        raise UnsupportedFormat(f"{what}: the file is empty")
    if b"\x00" in head:
        raise UnsupportedFormat(f"{what}: binary content, not an RDF text format")
    if lower.startswith((b"<!doctype html", b"<html")) or b"<html" in lower[:512]:
        raise UnsupportedFormat(
            f"{what}: an HTML page, not RDF (embedded schema.org markup is not read here)"
        )
    if head.startswith((b"{", b"[")):
        return ox.RdfFormat.JSON_LD
    if head.startswith(b"<?xml") or head.startswith(b"<!") or re.match(rb"<[A-Za-z_]", head):
        # "<http…> <…> ." is Turtle/N-Triples, "<rdf:RDF" or "<?xml" is XML
        if re.match(rb"<[a-zA-Z][a-zA-Z0-9+.-]*:[^\s>]*>", head) and not head.startswith(b"<rdf:"):
            return ox.RdfFormat.TURTLE
        if _RDF_NS in data[:65536]:
            return ox.RdfFormat.RDF_XML
        root = re.search(rb"<([A-Za-z_][\w.:-]*)[\s>/]", re.sub(rb"<[?!][^>]*>", b"", head))
        name = root.group(1).decode("ascii", "replace") if root else "?"
        raise UnsupportedFormat(f"{what}: XML that is not RDF/XML (root element <{name}>)")
    return ox.RdfFormat.TURTLE


def detect_format(
    *,
    name: str | None = None,
    content_type: str | None = None,
    data: bytes | None = None,
    declared: str | None = None,
) -> ox.RdfFormat:
    """The RDF format of a document: declared > content type > extension > sniffing ``data``."""
    what = name or "input"
    if declared:
        fmt = FORMAT_NAMES.get(declared.strip().lower())
        if fmt is None:
            choices = ", ".join(sorted({n for n in FORMAT_NAMES if "-" not in n and "/" not in n}))
            raise UnsupportedFormat(f"unknown format {declared!r}; choose one of {choices}")
        return fmt
    if content_type:
        media = content_type.split(";")[0].strip().lower()
        if media in _HTML_TYPES:
            raise UnsupportedFormat(f"{what}: served as {media}, an HTML page, not RDF")
        if media not in _GENERIC_TYPES:
            fmt = ox.RdfFormat.from_media_type(media)
            if fmt is not None:
                return fmt
    if name:
        ext = name.rsplit("/", 1)[-1].rpartition(".")[2].lower() if "." in name else ""
        if ext in {"html", "htm", "xhtml"}:
            raise UnsupportedFormat(f"{what}: an HTML page, not RDF")
        if ext and ext not in {"xml", "json", "txt"}:
            fmt = ox.RdfFormat.from_extension(ext)
            if fmt is not None:
                return fmt
    if data is not None:
        return _sniff(data, what)
    raise UnsupportedFormat(f"{what}: cannot tell the RDF format; declare it (e.g. turtle)")


def _check_xml(data: bytes, source: str) -> None:
    doctype = re.search(rb"<!DOCTYPE[^>\[]*(\[|SYSTEM|PUBLIC)", data[:65536])
    if doctype or b"<!ENTITY" in data:
        raise ParseError(
            "XML with a DOCTYPE declaring entities or an external DTD is refused "
            "(entity expansion is not allowed in feeds)",
            source=source,
        )


def _syntax_error(exc: SyntaxError, source: str) -> ParseError:
    message = _POSITION.sub("", str(exc.msg or exc))
    line = exc.lineno if isinstance(exc.lineno, int) else None
    column = exc.offset if isinstance(exc.offset, int) else None
    if message.startswith("No LoadDocumentCallback"):
        message = "a remote JSON-LD @context cannot be loaded (contexts are never fetched)"
    return ParseError(message, source=source, line=line, column=column)


def parse_rdf(
    data: bytes,
    *,
    format: ox.RdfFormat,
    source: str,
    base_iri: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> list[ox.Triple]:
    """Parse ``data`` into the triples of one graph; errors name ``source``, line and column."""
    data = check_text(data, format=format, source=source, max_bytes=max_bytes)
    try:
        return [quad.triple for quad in ox.parse(data, format, base_iri=base_iri)]
    except SyntaxError as exc:
        raise _syntax_error(exc, source) from None
    except ValueError as exc:
        raise ParseError(str(exc), source=source) from None


#: formats whose quads are all in the default graph, serialisable as N-Triples as they come
_TRIPLE_FORMATS = {ox.RdfFormat.TURTLE, ox.RdfFormat.N_TRIPLES, ox.RdfFormat.RDF_XML}


def parse_rdf_text(
    data: bytes,
    *,
    format: ox.RdfFormat,
    source: str,
    base_iri: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> bytes:
    """:func:`parse_rdf` as N-Triples text, one line per parsed triple (duplicates kept):
    the parser's terms go straight to the serialiser, never through Python code."""
    data = check_text(data, format=format, source=source, max_bytes=max_bytes)
    return ntriples_of(data, format=format, source=source, base_iri=base_iri)


def ntriples_of(
    data: bytes, *, format: ox.RdfFormat, source: str, base_iri: str | None = None
) -> bytes:
    """:func:`parse_rdf_text` of text that passed :func:`check_text` (no checks again)."""
    try:
        quads = ox.parse(data, format, base_iri=base_iri)
        if format in _TRIPLE_FORMATS:
            return ox.serialize(quads, format=ox.RdfFormat.N_TRIPLES) or b""
        triples = (quad.triple for quad in quads)
        return ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b""
    except SyntaxError as exc:
        raise _syntax_error(exc, source) from None
    except ValueError as exc:
        raise ParseError(str(exc), source=source) from None


def check_text(data: bytes, *, format: ox.RdfFormat, source: str, max_bytes: int) -> bytes:
    """The checks before parsing (size, empty, binary, UTF-8, JSON-LD and XML guards); the
    text to parse (JSON-LD with its contexts resolved)."""
    if len(data) > max_bytes:
        raise InputTooLarge(
            f"{source}: larger than the limit of {max_bytes} bytes", source=source, limit=max_bytes
        )
    if not data.strip():
        raise ParseError("the file is empty", source=source)
    if b"\x00" in data[:65536]:
        raise UnsupportedFormat(f"{source}: binary content, not an RDF text format")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise ParseError(
            "not valid UTF-8 text (binary or another encoding)",
            source=source,
            line=line,
            column=column,
        ) from None
    if format == ox.RdfFormat.JSON_LD:
        return prepare_jsonld(data, source=source)
    if format == ox.RdfFormat.RDF_XML:
        _check_xml(data, source)
    return data


def read_path(
    path: Path,
    *,
    declared: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    base_iri: str | None = None,
) -> list[ox.Triple]:
    """Read and parse a local file; reads at most ``max_bytes + 1`` bytes."""
    source = str(path)
    try:
        if path.is_dir():
            raise ParseError("is a directory, not a file", source=source)
        if path.stat().st_size > max_bytes:
            raise InputTooLarge(
                f"{source}: larger than the limit of {max_bytes} bytes",
                source=source,
                limit=max_bytes,
            )
        with path.open("rb") as handle:
            data = handle.read(max_bytes + 1)
    except FileNotFoundError:
        raise ParseError("file not found", source=source) from None
    except PermissionError:
        raise ParseError("permission denied", source=source) from None
    except OSError as exc:
        raise ParseError(f"cannot read: {exc.strerror or exc}", source=source) from None
    if len(data) > max_bytes:
        raise InputTooLarge(
            f"{source}: larger than the limit of {max_bytes} bytes", source=source, limit=max_bytes
        )
    if not data.strip():
        raise ParseError("the file is empty", source=source)
    fmt = detect_format(name=path.name, data=data, declared=declared)
    return parse_rdf(
        data,
        format=fmt,
        source=source,
        base_iri=base_iri or path.resolve().as_uri(),
        max_bytes=max_bytes,
    )
