"""The parse cache (importers/blocks.py): a feed read in blocks, cached or not, gives exactly
the lines and triple count of the feed read whole; where cutting is not safe it is not done;
and a harvest through the cache publishes the same graph as one without it."""

from __future__ import annotations

import random
from pathlib import Path

import pyoxigraph as ox
import pytest
from feedserver import FeedServer, Reply

from bench import corpus as corpus_mod
from importers import blocks
from importers.blocks import read_blocks, split_blocks
from importers.lines import normalise_lines
from importers.parse import parse_rdf_text
from importers.pipeline import harvest
from registry.config import load_sources
from registry.store import OxigraphStore

TTL = ox.RdfFormat.TURTLE
NT = ox.RdfFormat.N_TRIPLES
EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "feeds"
BASE = "http://127.0.0.1:8/feed.ttl"


def whole(data: bytes, fmt: ox.RdfFormat = TTL) -> tuple[set[bytes], int]:
    text = parse_rdf_text(data, format=fmt, source="t", base_iri=BASE)
    lines = normalise_lines(text, source_id="p")
    assert lines is not None
    return set(lines), text.count(b"\n")


def in_blocks(data: bytes, cache: Path, fmt: ox.RdfFormat = TTL) -> blocks.BlockLines:
    read = read_blocks(data, format=fmt, base_iri=BASE, source_id="p", cache=cache)
    assert read is not None, "expected the feed to be read in blocks"
    return read


def feed(offers: int = 120, seed: int = 1, revision: int = 0) -> bytes:
    corpus = corpus_mod.generate(offers, 1, seed)
    if revision:
        corpus, _changed = corpus_mod.mutate(corpus, 10, seed=revision)
    return corpus_mod.feed_turtle(corpus, 0).encode()


@pytest.fixture(autouse=True)
def small_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(blocks, "MIN_BYTES", 1)  # the test feeds are small


def test_blocks_give_the_lines_and_count_of_the_whole_feed(tmp_path: Path) -> None:
    data = feed()
    lines, count = whole(data)
    cold = in_blocks(data, tmp_path / "c")
    assert (set(cold.lines), cold.triples) == (lines, count)
    assert len(cold.lines) == len(set(cold.lines))
    assert cold.blocks > 5 and cold.reused == 0
    again = in_blocks(data, tmp_path / "c")
    assert (set(again.lines), again.triples, again.reused) == (lines, count, again.blocks)


def test_changed_added_and_removed_offers_reparse_only_their_blocks(tmp_path: Path) -> None:
    cache = tmp_path / "c"
    in_blocks(feed(400), cache)
    changed = feed(400, revision=3)
    read = in_blocks(changed, cache)
    assert (set(read.lines), read.triples) == whole(changed)
    assert 0 < read.reused < read.blocks
    # statements removed here and there and at the end, the last one moved to the start
    statements = [s for s in changed.split(b"\n\n") if s.strip()]
    header, body = statements[0], statements[1:]
    rng = random.Random(5)
    kept = [s for s in body[:-1] if rng.random() > 0.01][:-3]
    edits = (len(body) - 1 - len(kept)) + 1
    edited = b"\n\n".join([header, body[-1], *kept]) + b"\n"
    read = in_blocks(edited, cache)
    assert (set(read.lines), read.triples) == whole(edited)
    # an edit changes the block it falls in (and, at a block's end, joins it to the next)
    assert read.blocks - read.reused <= 2 * edits < read.blocks // 2


def test_every_example_feed_in_turtle_or_ntriples_reads_the_same(tmp_path: Path) -> None:
    seen = 0
    for path in sorted(EXAMPLES.glob("*")):
        fmt = {".ttl": TTL, ".nt": NT}.get(path.suffix)
        if fmt is None:
            continue
        data = path.read_bytes()
        read = read_blocks(data, format=fmt, base_iri=BASE, source_id="p", cache=tmp_path / "x")
        if b"_:" in data:
            assert read is None, path.name  # labelled blank nodes: read whole
            continue
        assert read is not None, path.name
        assert (set(read.lines), read.triples) == whole(data, fmt), path.name
        seen += 1
    assert seen >= 2


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("labelled blank node", b"<https://a.example/x> <https://schema.org/p> _:b1 .\n"),
        ("long string", b'<https://a.example/x> <https://schema.org/p> """a\nb .\n""" .\n'),
        ("later @prefix", b"@prefix schema: <https://example.org/other#> .\n"),
        ("later PREFIX", b"PREFIX schema: <https://example.org/other#>\n"),
        ("later BASE", b"base <https://example.org/>\n"),
    ],
)
def test_unsafe_feeds_are_not_cut(name: str, text: bytes) -> None:
    data = feed(40)
    assert split_blocks(data, TTL) is not None
    assert split_blocks(data + text, TTL) is None, name


def test_a_cut_inside_a_statement_falls_back_to_the_whole_feed(tmp_path: Path) -> None:
    # a comment ending in "." before a continuation line at the first column looks like a
    # statement's end: where a block ends there, that block does not parse on its own, and
    # the feed is read whole
    tricky = b"".join(
        b"<https://p001-technikakademie-bielefeld.example/x%d> <https://schema.org/name> "
        b'"x" ; # note %d.\n<https://schema.org/url> <https://p001.example/> .\n' % (i, i)
        for i in range(64)
    )
    data = feed(40) + tricky
    whole(data)  # the feed itself is valid Turtle
    split = split_blocks(data, TTL)
    assert split is not None
    assert any(block.endswith(b".\n") and b"# note" in block[-12:] for block in split[1])
    assert read_blocks(data, format=TTL, base_iri=BASE, source_id="p", cache=tmp_path / "c") is None


def test_a_broken_or_foreign_cache_file_is_ignored(tmp_path: Path) -> None:
    data = feed()
    cache = tmp_path / "c"
    in_blocks(data, cache)
    for junk in (b"", b"not marshal", (cache.read_bytes())[:100]):
        cache.write_bytes(junk)
        read = in_blocks(data, cache)
        assert (set(read.lines), read.triples, read.reused) == (*whole(data), 0)
    # another source or base IRI never shares blocks (skolem names and relative IRIs differ)
    in_blocks(data, cache)
    other = read_blocks(data, format=TTL, base_iri=BASE, source_id="q", cache=cache)
    assert other is not None and other.reused == 0


class _Uncached(OxigraphStore):
    def cache_dir(self, name: str) -> Path | None:
        return None


def test_a_harvest_through_the_cache_publishes_what_a_whole_read_does(tmp_path: Path) -> None:
    corpus = corpus_mod.generate(300, 2, 7)
    root = tmp_path / "corpus"
    sources_path = corpus_mod.write_corpus(corpus, root)
    mutated, _changed = corpus_mod.mutate(corpus, 5, seed=9)
    server = FeedServer()
    try:
        files = {p.name: p for p in (root / "feeds").iterdir()}
        for name, path in files.items():
            server.routes[f"/feeds/{name}"] = Reply(path.read_bytes())
        sources = load_sources(sources_path, feed_base_url=server.url("/"))
        cached = OxigraphStore(tmp_path / "cached")
        harvest(sources, cached)
        corpus_mod.write_feeds(mutated, root)
        for name, path in files.items():
            server.routes[f"/feeds/{name}"] = Reply(path.read_bytes())
        harvest(sources, cached)
        cache_files = list((tmp_path / "cached" / "cache" / "blocks").glob("*.blocks"))
        assert len(cache_files) == 2
        fresh = _Uncached(tmp_path / "fresh")  # every feed read whole
        harvest(sources, fresh)
        assert not (tmp_path / "fresh" / "cache" / "blocks").exists()
        for feed_cfg in sources.feeds:
            assert set(cached.triples(feed_cfg.iri)) == set(fresh.triples(feed_cfg.iri))
            assert len(set(fresh.triples(feed_cfg.iri))) > 1000
        cached.close()
        fresh.close()
    finally:
        server.close()
