"""Parse cache: a Turtle or N-Triples feed read in blocks of statements, each block's
normalised lines kept on disk, so a re-harvest parses only the blocks whose text changed.

Why: when 1 % of a feed's offers changed, parsing and normalising the whole feed again was
the largest cost of the re-harvest (a third of a worker's time at 5,000 offers per feed).

How: the text is cut after statements (a ``.`` ending a line, the next line starting at its
first column with something other than a comment), and statements are grouped into blocks at
content-defined points (after a statement whose checksum is divisible by :data:`SPREAD`), so
an offer added or removed moves only the blocks around it. Each block is parsed with the
document's directives in front of it (the *header*) and normalised on its own
(:func:`importers.lines.normalise_lines`); the lines of all blocks, without duplicates, are
the feed's normalised lines. Blocks already seen, under the same header, base IRI and source,
come from the cache file without parsing.

When cutting is safe (anything else reads the feed whole, as before):

* Turtle or N-Triples, at least :data:`MIN_BYTES` long;
* no ``_:`` label (a labelled blank node may be used by several statements: its triples must
  meet in one skolemisation) and no long string (``\"\"\"`` or ``'''``, whose lines may look like
  statement ends). Anonymous nodes (``[ ]``) stay inside their statement, and their skolem
  names depend only on their own triples, so a block names them as the whole feed would;
* directives (``@prefix``, ``PREFIX``, ``@base``, ``BASE``) only in the leading statements: a
  later one would change how the blocks after it read;
* every block parses on its own. A cut inside a statement (a comment ending in ``.`` before a
  continuation line at the first column) leaves a block that does not parse: the whole feed is
  then read as before, so errors are reported with the feed's own line numbers.

The cache (one file per feed under the store's ``cache/blocks`` folder) holds the blocks of the
last text read; it is only a cache: a missing, stale or unreadable file means a full parse.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import chain
from pathlib import Path

import pyoxigraph as ox

from registry.errors import InputError

from .lines import normalise_lines
from .parse import ntriples_of

__all__ = [
    "FORMATS",
    "MIN_BYTES",
    "SPREAD",
    "BlockLines",
    "cache_file",
    "read_blocks",
    "split_blocks",
]

#: below this many bytes a feed is parsed whole (the cache would not pay for itself)
MIN_BYTES = 64 * 1024
#: statements per block on average (a block boundary follows one statement in SPREAD)
SPREAD = 16
#: a block is cut after this many statements whatever their checksums
_MAX_STATEMENTS = 8 * SPREAD
#: changes when the block format or what a block's lines mean changes
_VERSION = b"bildungsnetz-blocks-1"

#: a statement's end: ``.`` ending a line, blank lines, then a line starting at column one
_END = re.compile(rb"\.[ \t]*\r?\n(?:[ \t]*\r?\n)*(?=[^\s#])")
_COMMENTS = re.compile(rb"(?:[ \t]*(?:#[^\n]*)?\r?\n)*[ \t]*(?:#[^\n]*)?")
#: a statement that is a directive (after comment lines)
_DIRECTIVE_START = re.compile(rb"(?i)(?:\s*#[^\n]*\n)*\s*(?:@prefix|@base|prefix\s|base\s)")
#: a SPARQL-style directive from its keyword on (in lower case text)
_SPARQL_DIRECTIVE = re.compile(rb"(?:prefix[ \t]+[^\s<>:]*:|base)[ \t]*<")
_UNSAFE = (b"_:", b'"""', b"'''")
#: the syntaxes read in blocks
FORMATS = frozenset({ox.RdfFormat.TURTLE, ox.RdfFormat.N_TRIPLES})


def cache_file(directory: Path, feed_id: str) -> Path:
    """Where the blocks of ``feed_id`` are kept under ``directory``."""
    return directory / f"{hashlib.sha256(feed_id.encode()).hexdigest()[:32]}.blocks"


def _statements(data: bytes) -> Iterator[bytes]:
    start = 0
    for match in _END.finditer(data):
        yield data[start : match.end()]
        start = match.end()
    if data[start:].strip():
        yield data[start:]


def split_blocks(data: bytes, format: ox.RdfFormat) -> tuple[bytes, list[bytes]] | None:
    """``(header, blocks)`` of ``data``, or ``None`` where cutting is not safe (see above)."""
    if format not in FORMATS or len(data) < MIN_BYTES or any(u in data for u in _UNSAFE):
        return None
    header: list[bytes] = []
    blocks: list[bytes] = []
    current: list[bytes] = []
    pending = b""  # comment lines ending in "." read as statements: joined to the next
    for found in _statements(data):
        if _COMMENTS.fullmatch(found):
            pending += found
            continue
        statement, pending = pending + found, b""
        if not current and not blocks and _DIRECTIVE_START.match(statement):
            header.append(statement)
            continue
        current.append(statement)
        if zlib.crc32(statement) % SPREAD == 0 or len(current) >= _MAX_STATEMENTS:
            blocks.append(b"".join(current))
            current = []
    current.append(pending)
    if any(current):
        blocks.append(b"".join(current))
    if not blocks or any(_has_directive(block) for block in blocks):
        return None
    return b"".join(header), blocks


def _has_directive(text: bytes) -> bool:
    """Whether ``text`` holds a directive anywhere (``@prefix`` and ``@base`` are lower case
    in Turtle; ``PREFIX`` and ``BASE`` in any case, after a space or a statement's end)."""
    if b"@prefix" in text or b"@base" in text:
        return True
    low = text.lower()
    for word in (b"prefix", b"base"):
        at = low.find(word)
        while at >= 0:
            before = low[at - 1 : at] if at else b" "
            if (before.isspace() or before == b".") and _SPARQL_DIRECTIVE.match(low, at):
                return True
            at = low.find(word, at + 1)
    return False


@dataclass(frozen=True)
class BlockLines:
    """The distinct normalised lines of a feed read in blocks."""

    lines: list[bytes]
    #: triples parsed (duplicates kept), as a whole parse counts them
    triples: int
    blocks: int
    #: blocks taken from the cache without parsing
    reused: int


def _load(path: Path, context: bytes) -> dict[bytes, tuple[int, bytes]]:
    try:
        saved = marshal.loads(path.read_bytes())
    except (OSError, EOFError, ValueError, TypeError):
        return {}
    if not isinstance(saved, tuple) or len(saved) != 2 or saved[0] != context:
        return {}
    blocks = saved[1]
    return blocks if isinstance(blocks, dict) else {}


def _save(path: Path, context: bytes, blocks: dict[bytes, tuple[int, bytes]]) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(marshal.dumps((context, blocks)))
        os.replace(tmp, path)
    except OSError:
        return  # only a cache: the next harvest parses the feed whole


def _parse_block(
    text: bytes, format: ox.RdfFormat, base_iri: str | None, source_id: str
) -> tuple[int, bytes] | None:
    try:
        nt = ntriples_of(text, format=format, source=source_id, base_iri=base_iri)
    except InputError:
        return None
    lines = normalise_lines(nt, source_id=source_id)
    if lines is None:
        return None
    return nt.count(b"\n"), b"\n".join(lines)


def read_blocks(
    data: bytes,
    *,
    format: ox.RdfFormat,
    base_iri: str | None,
    source_id: str,
    cache: Path,
) -> BlockLines | None:
    """The feed's normalised lines read in blocks through the cache file ``cache``, or
    ``None`` where the feed must be read whole (see the module docstring). ``data`` has passed
    :func:`importers.parse.check_text`."""
    split = split_blocks(data, format)
    if split is None:
        return None
    header, blocks = split
    context = hashlib.sha256(
        b"\0".join(
            (
                _VERSION,
                str(format).encode(),
                (base_iri or "").encode(),
                source_id.encode(),
                header.strip(),
            )
        )
    ).digest()
    if header and _parse_block(header, format, base_iri, source_id) != (0, b""):
        return None  # a leading statement that is not only directives
    known = _load(cache, context)
    kept: dict[bytes, tuple[int, bytes]] = {}
    reused = triples = 0
    for block in blocks:
        key = hashlib.blake2b(block, digest_size=16).digest()
        found = kept.get(key) or known.get(key)
        if found is None:
            found = _parse_block(header + block, format, base_iri, source_id)
            if found is None:
                return None
        elif key not in kept:
            reused += 1
        kept[key] = found
        triples += found[0]
    parts = (text.split(b"\n") for _count, text in kept.values() if text)
    lines = list(dict.fromkeys(chain.from_iterable(parts)))
    if kept.keys() != known.keys():
        _save(cache, context, kept)
    return BlockLines(lines=lines, triples=triples, blocks=len(blocks), reused=reused)
