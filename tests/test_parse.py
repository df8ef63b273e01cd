"""Parse stage: format detection, clear errors with positions, size limits, XML/JSON-LD safety."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from importers.parse import detect_format, parse_rdf, read_path
from registry.errors import (
    InputTooLarge,
    ParseError,
    RemoteContextRefused,
    UnsupportedFormat,
)

TURTLE = b'@prefix s: <https://schema.org/> .\n<https://a.example/k> a s:Course ; s:name "K" .\n'


def test_declared_beats_content_type_beats_extension_beats_sniffing() -> None:
    assert detect_format(declared="jsonld", content_type="text/turtle") == ox.RdfFormat.JSON_LD
    assert detect_format(content_type="text/turtle", name="x.jsonld") == ox.RdfFormat.TURTLE
    assert detect_format(name="x.nt", data=b"{}") == ox.RdfFormat.N_TRIPLES
    assert detect_format(name="feed", data=b'  {"@id": "x"}') == ox.RdfFormat.JSON_LD
    assert detect_format(data=TURTLE) == ox.RdfFormat.TURTLE
    rdfxml = (
        b'<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/>'
    )
    assert detect_format(name="x.xml", data=rdfxml) == ox.RdfFormat.RDF_XML


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"declared": "excel"}, "unknown format"),
        ({"content_type": "text/html; charset=utf-8"}, "HTML"),
        ({"name": "x.bin", "data": b"<!DOCTYPE html><html></html>"}, "HTML"),
        ({"data": b'<?xml version="1.0"?><catalog xmlns="http://xcri.org/"/>'}, "<catalog>"),
        ({"data": b"\x89PNG\r\n\x1a\n\x00\x00"}, "binary"),
    ],
)
def test_unsupported_inputs_are_named(kwargs: dict[str, object], needle: str) -> None:
    with pytest.raises(UnsupportedFormat, match=needle):
        detect_format(**kwargs)  # type: ignore[arg-type]


def test_named_graphs_become_one_graph() -> None:
    data = (
        b"<http://a/s> <http://a/p> <http://a/o> <http://a/g> .\n"
        b"<http://a/s> <http://a/p> <http://a/o2> .\n"
    )
    triples = parse_rdf(data, format=ox.RdfFormat.N_QUADS, source="q")
    assert {str(t.object) for t in triples} == {"<http://a/o>", "<http://a/o2>"}
    assert all(isinstance(t, ox.Triple) for t in triples)


def test_syntax_error_carries_line_and_column() -> None:
    data = TURTLE + b'<https://a.example/k> s:name "unterminated .\n'
    with pytest.raises(ParseError) as info:
        parse_rdf(data, format=ox.RdfFormat.TURTLE, source="feed.ttl")
    assert info.value.line == 3 and info.value.column is not None
    assert str(info.value).startswith("feed.ttl:3:")
    assert "Parser error at" not in info.value.message


def test_empty_and_non_utf8_input() -> None:
    with pytest.raises(ParseError, match="empty"):
        parse_rdf(b"  \n", format=ox.RdfFormat.TURTLE, source="e")
    with pytest.raises(ParseError, match="UTF-8") as info:
        parse_rdf(b'<http://a/s> <http://a/p> "\xe4" .', format=ox.RdfFormat.TURTLE, source="l")
    assert info.value.line == 1 and info.value.column == 28


def test_over_the_limit_before_parsing() -> None:
    with pytest.raises(InputTooLarge):
        parse_rdf(TURTLE, format=ox.RdfFormat.TURTLE, source="x", max_bytes=10)


def test_read_path_refuses_a_huge_sparse_file_quickly(tmp_path: Path) -> None:
    big = tmp_path / "big.ttl"
    with big.open("wb") as handle:
        handle.truncate(200 * 1024 * 1024)
    with pytest.raises(InputTooLarge, match="larger than"):
        read_path(big)


def test_read_path_uses_file_uri_as_base(tmp_path: Path) -> None:
    path = tmp_path / "rel.ttl"
    path.write_bytes(b"<k> a <https://schema.org/Course> .")
    (triple,) = read_path(path)
    assert triple.subject == ox.NamedNode((tmp_path / "k").as_uri())


@pytest.mark.parametrize(
    "doctype",
    [
        b'<!DOCTYPE r [ <!ENTITY a "aaaa"> <!ENTITY b "&a;&a;&a;&a;&a;&a;"> ]>',
        b'<!DOCTYPE r [ <!ENTITY ext SYSTEM "file:///etc/passwd"> ]>',
        b'<!DOCTYPE rdf:RDF SYSTEM "http://127.0.0.1:9/evil.dtd">',
    ],
)
def test_xml_entities_and_external_dtds_are_refused(doctype: bytes) -> None:
    body = (
        b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
        b'xmlns:s="https://schema.org/"><s:Course rdf:about="https://a.example/k">'
        b"<s:name>x</s:name></s:Course></rdf:RDF>"
    )
    data = b'<?xml version="1.0"?>\n' + doctype + b"\n" + body
    with pytest.raises(ParseError, match="entit"):
        parse_rdf(data, format=ox.RdfFormat.RDF_XML, source="x.rdf")
    # the same document without the DOCTYPE is fine
    assert (
        len(parse_rdf(b'<?xml version="1.0"?>\n' + body, format=ox.RdfFormat.RDF_XML, source="x"))
        == 2
    )


def test_jsonld_with_schema_org_context_uses_the_bundled_one() -> None:
    data = (
        b'{"@context": "http://schema.org/", "@id": "https://a.example/k", "@type": "Course",'
        b' "name": "K", "url": "https://a.example/k.html", "provider": "https://a.example/org"}'
    )
    triples = parse_rdf(data, format=ox.RdfFormat.JSON_LD, source="k.jsonld")
    objects = {t.predicate.value: t.object for t in triples}
    assert objects["https://schema.org/url"] == ox.NamedNode("https://a.example/k.html")
    assert objects["https://schema.org/provider"] == ox.NamedNode("https://a.example/org")
    assert objects["https://schema.org/name"] == ox.Literal("K")


@pytest.mark.parametrize(
    "context",
    [
        b'"https://evil.example/ctx.jsonld"',
        b'"file:///etc/ctx.jsonld"',
        b'["https://schema.org", "ctx.json"]',
        b'{"@import": "https://evil.example/ctx"}',
        b'{"k": {"@id": "https://a.example/k", "@context": "https://evil.example/scoped"}}',
    ],
)
def test_jsonld_other_contexts_are_refused(context: bytes) -> None:
    data = b'{"@context": ' + context + b', "@id": "https://a.example/k", "name": "K"}'
    with pytest.raises(RemoteContextRefused):
        parse_rdf(data, format=ox.RdfFormat.JSON_LD, source="k.jsonld")


def test_jsonld_syntax_error_has_position() -> None:
    with pytest.raises(ParseError) as info:
        parse_rdf(
            b'{\n  "@context": "https://schema.org",\n  "name": }',
            format=ox.RdfFormat.JSON_LD,
            source="j",
        )
    assert (info.value.line, info.value.column) == (3, 11)
