"""Minimal, accessible HTML pages: home, offer, and any described IRI (partner, concept, run).

German by default, English with ``?lang=en``. An offer page embeds the offer's schema.org
JSON-LD in ``<script type="application/ld+json">`` (what search engines read). Pages are
jinja2 templates in ``registry/templates`` with autoescaping on; the JSON-LD is escaped for a
script element (``<``, ``>``, ``&`` as JSON unicode escapes) so no feed text can close it.
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

import pyoxigraph as ox
from fastapi import APIRouter, Request
from fastapi.responses import Response
from jinja2 import Environment, PackageLoader, select_autoescape

from .api import HTML, cached, negotiated
from .catalogue import Catalogue, _compact, _key, offer_id
from .errors import InvalidParameter
from .namespaces import BASE, PARTNER, RDF
from .offer_index import OfferFilters, Term

__all__ = ["home_page", "offer_page", "pages_router", "resource_page"]

_env = Environment(
    loader=PackageLoader("registry", "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
)

#: ``?format=`` names for links (a browser cannot set Accept on a link)
FORMAT_LINKS = (
    ("text/turtle", "ttl"),
    ("application/ld+json", "jsonld"),
    ("application/n-triples", "nt"),
    ("application/rdf+xml", "rdfxml"),
)


def _translator(lang: str) -> Any:
    def t(de: str, en: str) -> str:
        return en if lang == "en" else de

    return t


def _check_lang(lang: str) -> str:
    if lang not in ("de", "en"):
        raise InvalidParameter("lang must be de or en", parameter="lang", value=lang)
    return lang


def _script_json(doc: Any) -> str:
    text = json.dumps(doc, ensure_ascii=False, indent=1)
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


def _local(iri: str) -> str | None:
    """The path on this server of a minted IRI (the base maps to the root)."""
    return "/" + iri[len(BASE) :] if iri.startswith(BASE) else None


def _alternates(request: Request) -> list[tuple[str, str]]:
    return [(media, f"{request.url.path}?format={name}") for media, name in FORMAT_LINKS]


def _render(template: str, lang: str, **context: Any) -> str:
    return _env.get_template(template).render(lang=lang, t=_translator(lang), **context)


def offer_page(
    request: Request, catalogue: Catalogue, offer: dict[str, Any], jsonld: Any, lang: str
) -> str:
    lang = _check_lang(lang)
    title = (offer.get("title_en") if lang == "en" else None) or offer["title"]
    runs = []
    for run in offer["runs"]:
        mode = run.get("mode") or {}
        place = run.get("place") or {}
        kreis = run.get("kreis") or {}
        runs.append(
            {
                **run,
                "mode_label": (catalogue.label(mode["iri"], lang) if mode.get("iri") else None)
                or mode.get("code")
                or "",
                "place_label": ", ".join(
                    p for p in (place.get("name"), place.get("locality"), kreis.get("label")) if p
                ),
            }
        )
    funding = [
        catalogue.label(f"{BASE}code/foerderart/{code}", lang) or code
        for code in offer.get("funding", [])
    ]
    return _render(
        "offer.html",
        lang,
        title=title,
        offer=offer,
        runs=runs,
        funding=funding,
        jsonld=_script_json(jsonld),
        alternates=_alternates(request),
    )


def _value(term: Term, catalogue: Catalogue, lang: str) -> dict[str, str | None]:
    if isinstance(term, ox.Literal):
        suffix = f" @{term.language}" if term.language else ""
        return {"text": term.value + suffix, "href": None}
    if not isinstance(term, ox.NamedNode):
        return {"text": _key(term), "href": None}
    iri = term.value
    label = catalogue.label(iri, lang)
    href = _local(iri) or iri
    return {"text": f"{label} ({_compact(iri)})" if label else _compact(iri), "href": href}


def resource_page(
    request: Request,
    catalogue: Catalogue,
    iri: str,
    triples: list[ox.Triple],
    lang: str,
) -> str:
    """A table per described node: the IRI first, then the nodes it brought along."""
    lang = _check_lang(lang)
    by_subject: dict[str, dict[str, list[Term]]] = defaultdict(lambda: defaultdict(list))
    order: list[str] = []
    for t in triples:
        key = _key(t.subject)
        if key not in by_subject:
            order.append(key)
        by_subject[key][t.predicate.value].append(t.object)
    if iri in order:
        order.remove(iri)
        order.insert(0, iri)
    nodes = []
    for key in order:
        props = sorted(
            by_subject[key].items(), key=lambda kv: (kv[0] != RDF + "type", _compact(kv[0]))
        )
        nodes.append(
            {
                "label": catalogue.label(key, lang) or key,
                "properties": [
                    (_compact(p), [_value(o, catalogue, lang) for o in objs]) for p, objs in props
                ],
            }
        )
    extra = ""
    if iri.startswith(PARTNER):
        pid = iri[len(PARTNER) :]
        page = catalogue.index.search(OfferFilters(provider=pid), limit=50)
        offers = [{**o, "id": offer_id(o["iri"])} for o in page.items]
        extra = _render(
            "partner.html", lang, offers=offers, partner_id=pid, more=page.next_cursor is not None
        )
    return _render(
        "resource.html",
        lang,
        title=catalogue.label(iri, lang) or iri,
        iri=iri,
        nodes=nodes,
        extra=extra,
        alternates=_alternates(request),
    )


def home_page(request: Request, catalogue: Catalogue, lang: str) -> str:
    lang = _check_lang(lang)
    return _render(
        "home.html",
        lang,
        title="Bildungsnetz",
        runs=catalogue.index.count(),
        partners=catalogue.partners(),
        alternates=[
            ("application/ld+json", "/catalog?format=jsonld"),
            ("text/turtle", "/.well-known/void"),
        ],
    )


def pages_router(catalogue: Catalogue) -> APIRouter:
    router = APIRouter(tags=["pages"])

    @router.get("/", summary="Home page (HTML)", response_class=Response)
    def home(request: Request, lang: str = "de") -> Response:
        media = negotiated(request, [HTML])
        return cached(
            request, catalogue, media, lambda: home_page(request, catalogue, lang).encode("utf-8")
        )

    return router
