"""JSON-LD ``@context`` handling: bundled contexts only, never a fetch.

pyoxigraph 0.5.13 does not fetch remote contexts on its own: without a document loader it fails
with "No LoadDocumentCallback has been set to load remote contexts" (and a relative context such
as ``"ctx.json"`` fails as an invalid IRI). So nothing is fetched, but a feed written with the
usual ``"@context": "https://schema.org"`` could not be read at all. :func:`prepare_jsonld`
rewrites the document before parsing:

* every reference to schema.org's context (``https://schema.org``, ``http://schema.org/``,
  ``https://schema.org/docs/jsonldcontext.json`` …) becomes the bundled
  ``ontology/contexts/schema.jsonld`` inline;
* ``https://w3id.org/bildungsnetz/context.jsonld`` becomes the bundled ``bildungsnetz.jsonld``;
* any other string context (remote, ``file:``, relative) and any ``@import`` raises
  :class:`~registry.errors.RemoteContextRefused` naming the context.

Documents without context references are returned unchanged, so pyoxigraph's error positions
still point into the original bytes.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from registry.errors import ParseError, RemoteContextRefused
from registry.namespaces import BASE
from registry.resources import contexts_dir

__all__ = ["BILDUNGSNETZ_CONTEXT", "bundled_context", "prepare_jsonld"]

#: the IRI feeds may use for the bundled ``bn:`` context
BILDUNGSNETZ_CONTEXT = BASE + "context.jsonld"

_SCHEMA_REFS = {
    "schema.org",
    "schema.org/docs/jsonldcontext.json",
    "schema.org/docs/jsonldcontext.jsonld",
}


@cache
def _load(name: str) -> dict[str, Any]:
    with (contexts_dir() / name).open(encoding="utf-8") as handle:
        context: dict[str, Any] = json.load(handle)["@context"]
    return context


def bundled_context(reference: str) -> dict[str, Any] | None:
    """The bundled context standing for ``reference``, or None when none is bundled."""
    ref = reference.strip()
    if ref == BILDUNGSNETZ_CONTEXT:
        return _load("bildungsnetz.jsonld")
    bare = ref.lower().removeprefix("https://").removeprefix("http://").rstrip("/")
    if bare in _SCHEMA_REFS:
        return _load("schema.jsonld")
    return None


class _Rewriter:
    def __init__(self, source: str) -> None:
        self.source = source
        self.changed = False

    def context(self, value: Any) -> Any:
        if isinstance(value, str):
            bundled = bundled_context(value)
            if bundled is None:
                raise RemoteContextRefused(
                    f"{self.source}: JSON-LD @context {value!r} refused; only schema.org and "
                    f"{BILDUNGSNETZ_CONTEXT} are known (contexts are never fetched)",
                    source=self.source,
                    context=value,
                )
            self.changed = True
            return bundled
        if isinstance(value, list):
            return [self.context(item) for item in value]
        if isinstance(value, dict):
            if "@import" in value:
                raise RemoteContextRefused(
                    f"{self.source}: JSON-LD @import {value['@import']!r} refused "
                    "(contexts are never fetched)",
                    source=self.source,
                    context=str(value["@import"]),
                )
            return {key: self.node(item) for key, item in value.items()}
        return value

    def node(self, value: Any) -> Any:
        if isinstance(value, dict):
            return {
                key: self.context(item) if key == "@context" else self.node(item)
                for key, item in value.items()
            }
        if isinstance(value, list):
            return [self.node(item) for item in value]
        return value


def prepare_jsonld(data: bytes, *, source: str) -> bytes:
    """``data`` with every known ``@context`` reference replaced by its bundled context."""
    if b"@context" not in data:
        return data
    try:
        document = json.loads(data.removeprefix(b"\xef\xbb\xbf"))
    except json.JSONDecodeError as exc:
        raise ParseError(exc.msg, source=source, line=exc.lineno, column=exc.colno) from None
    except UnicodeDecodeError:
        raise ParseError("not valid UTF-8 text", source=source) from None
    except RecursionError:
        raise ParseError("JSON nested too deeply", source=source) from None
    rewriter = _Rewriter(source)
    try:
        rewritten = rewriter.node(document)
    except RecursionError:
        raise ParseError("JSON nested too deeply", source=source) from None
    if not rewriter.changed:
        return data
    return json.dumps(rewritten, ensure_ascii=False).encode("utf-8")
