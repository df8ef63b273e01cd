"""The query cookbook: one SPARQL file per researchers' question in ``registry/queries/``.

Why files and not Python strings: researchers copy them into their own tools, and the query
page (:mod:`registry.query_page`) preloads them as tabs. Each ``.rq`` file opens with a header
of comment lines ``# key@lang: text`` (``title@de``, ``title@en``, ``description@de``,
``description@en``) and optionally ``# chart: bar`` when a chart says more than a table.

Parameters are ordinary ``BIND(expression AS ?name)`` lines, so every query runs unchanged;
:func:`with_bindings` swaps the expression for a given SPARQL term (tests use a fixed date
instead of ``NOW()``, researchers their topic or threshold).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .errors import ConfigError, InputError

__all__ = ["CookbookQuery", "load_cookbook", "queries_dir", "with_bindings"]

_HEADER = re.compile(r"^#\s*(?P<key>[a-z]+)(?:@(?P<lang>[a-z]{2}))?:\s*(?P<text>.*)$")
_BIND = re.compile(r"BIND\s*\((?P<expr>[^\n]*?)\s+AS\s+\?(?P<name>\w+)\s*\)")
_REQUIRED = ("title@de", "title@en", "description@de", "description@en")


def queries_dir() -> Path:
    """The bundled cookbook folder."""
    return Path(__file__).resolve().parent / "queries"


@dataclass(frozen=True)
class CookbookQuery:
    """One cookbook entry: its id (file stem), texts in German and English, the SPARQL."""

    id: str
    title: dict[str, str]
    description: dict[str, str]
    sparql: str
    chart: str | None = None
    parameters: tuple[str, ...] = field(default_factory=tuple)


def _body(text: str) -> str:
    """The query after its header comment lines (whose descriptions mention BIND too)."""
    lines = text.splitlines(keepends=True)
    n = 0
    while n < len(lines) and lines[n].startswith("#"):
        n += 1
    return "".join(lines[n:])


def _parse(path: Path) -> CookbookQuery:
    text = path.read_text(encoding="utf-8")
    meta: dict[str, str] = {}
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        match = _HEADER.match(line)
        if match:
            key = match["key"] + (f"@{match['lang']}" if match["lang"] else "")
            meta[key] = match["text"].strip()
    missing = [k for k in _REQUIRED if not meta.get(k)]
    if missing:
        raise ConfigError(f"cookbook query {path.name} lacks {', '.join(missing)}", file=str(path))
    params = tuple(
        dict.fromkeys(m["name"] for m in _BIND.finditer(_body(text)) if "?" not in m["expr"])
    )
    return CookbookQuery(
        id=path.stem,
        title={"de": meta["title@de"], "en": meta["title@en"]},
        description={"de": meta["description@de"], "en": meta["description@en"]},
        sparql=text,
        chart=meta.get("chart"),
        parameters=params,
    )


def load_cookbook(directory: Path | None = None) -> list[CookbookQuery]:
    """All queries of ``directory`` (default: the bundled ones), ordered by file name."""
    folder = directory or queries_dir()
    return [_parse(p) for p in sorted(folder.glob("*.rq"))]


def _constant(text: str) -> Callable[[re.Match[str]], str]:
    return lambda _match: text


def with_bindings(sparql: str, **values: str) -> str:
    """``sparql`` with the expression of ``BIND(… AS ?name)`` replaced by ``values[name]``
    (a SPARQL term or expression) for the first such BIND of each name."""
    body = _body(sparql)
    head = sparql[: len(sparql) - len(body)]
    for name, term in values.items():
        pattern = re.compile(
            r"BIND\s*\((?P<expr>[^\n]*?)\s+AS\s+\?" + re.escape(name) + r"\s*\)"
        )
        # a function, not a template: the term's backslashes must stay as written
        body, count = pattern.subn(_constant(f"BIND({term} AS ?{name})"), body, count=1)
        if not count:
            raise InputError(f"the query has no parameter ?{name}", parameter=name)
    return head + body
