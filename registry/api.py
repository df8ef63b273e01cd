"""The JSON API for portals: offers, partners and their harvest history.

Every catalogue answer carries an ``ETag`` (a hash of the published snapshot generation, the
offer-index generation and the request: path, query, negotiated type) and ``Cache-Control``;
a matching ``If-None-Match`` is answered 304 before any work is done. JSON is the default;
``Accept: application/ld+json`` gives JSON-LD with schema.org as ``@vocab``. Errors are raised
as :mod:`registry.errors` and rendered by the one handler in :mod:`registry.app`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import date
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from .catalogue import JSONLD_CONTEXT, Catalogue, offer_id, offer_iri, to_jsonld
from .clock import SYSTEM_CLOCK, Clock
from .config import ServerSettings
from .errors import InvalidParameter, NotAcceptable
from .geo import gazetteer_for
from .offer_index import OfferFilters
from .rdf_formats import parse_accept
from .search_facets import FacetLabels
from .search_models import OfferList

__all__ = [
    "CACHE_CONTROL",
    "FORMAT_NAMES",
    "HTML",
    "JSON",
    "JSONLD",
    "api_router",
    "cached",
    "choose_media",
    "negotiated",
    "offer_summary_jsonld",
]

JSON = "application/json"
JSONLD = "application/ld+json"
HTML = "text/html"
#: catalogue answers may be cached briefly and must be revalidated (cheap: ETag → 304)
CACHE_CONTROL = "public, max-age=60, must-revalidate"

_ERROR = {
    "description": "the one error shape",
    "content": {
        JSON: {
            "example": {
                "error": "invalid_parameter",
                "status": 422,
                "message": "kreis must be an AGS (5 digits, e.g. 05766) or a Kreis IRI",
                "parameter": "kreis",
            }
        }
    },
}
_RUN_EXAMPLE = {
    "run": "https://technikakademie-lippe.example/termin/cnc-1-2025-03",
    "start_date": "2025-03-03",
    "end_date": "2025-03-28",
    "flexible_start": False,
    "mode": {"code": "101", "rollup": "praesenz"},
    "kreis": {"ags": "05766", "label": "Lippe"},
    "place": {"name": "Werkhalle", "postal_code": "32657", "locality": "Lemgo"},
    "price": 1290.0,
    "currency": "EUR",
    "language": "de",
    "funding": ["2"],
    "registration_deadline": "2025-02-17",
    "distance_km": 8.4,
}
_OFFER_EXAMPLE = {
    "id": "aHR0cHM6Ly90ZWNobmlrYWthZGVtaWUtbGlwcGUuZXhhbXBsZS9hbmdlYm90L2NuYy0x",
    "iri": "https://technikakademie-lippe.example/angebot/cnc-1",
    "title": "CNC-Fräsen Grundkurs",
    "provider": {"partner": "technikakademie-lippe", "name": "Technikakademie Lippe"},
    "eqf": "4",
    "next_start_date": "2025-03-03",
    "price": 1290.0,
    "currency": "EUR",
    "funding": ["2"],
    "score": 12.5,
    "distance_km": 8.4,
    "stale": False,
    "run_count": 1,
    "runs": [_RUN_EXAMPLE],
}
_FACETS_EXAMPLE = {
    "kreis": [
        {
            "value": "05766",
            "iri": "https://w3id.org/bildungsnetz/region/owl/kreis/05766",
            "label": "Kreis Lippe",
            "count": 12,
        }
    ],
    "funding": [
        {
            "value": "2",
            "iri": "https://w3id.org/bildungsnetz/code/foerderart/2",
            "label": "Bildungsgutschein",
            "count": 7,
        }
    ],
}


def choose_media(accept: str | None, offered: list[str]) -> str:
    """The offered media type ``accept`` prefers (q, then specificity, then our order); 406
    when none is acceptable."""
    ranges = parse_accept(accept)
    best: tuple[float, int, int] | None = None
    chosen: str | None = None
    for order, media in enumerate(offered):
        matches = [(r.matches(media), r.q) for r in ranges if r.matches(media)]
        if not matches:
            continue
        specificity, q = max(matches)
        if q <= 0:
            continue
        rank = (q, specificity, -order)
        if best is None or rank > best:
            best, chosen = rank, media
    if chosen is None:
        raise NotAcceptable(
            f"no representation matches Accept: {accept!r}; available: {', '.join(offered)}",
            available=offered,
        )
    return chosen


#: ``?format=`` names (links cannot set Accept); a name not offered by the route is a 406
FORMAT_NAMES = {
    "json": JSON,
    "jsonld": JSONLD,
    "html": HTML,
    "ttl": "text/turtle",
    "turtle": "text/turtle",
    "nt": "application/n-triples",
    "ntriples": "application/n-triples",
    "rdfxml": "application/rdf+xml",
}


def negotiated(request: Request, offered: list[str]) -> str:
    """The media type to answer with: ``?format=`` when given, else by ``Accept``."""
    name = request.query_params.get("format")
    if name is not None:
        media = FORMAT_NAMES.get(name.strip().lower(), name.strip().lower())
        if media not in offered:
            raise NotAcceptable(
                f"format {name!r} is not available here; available: {', '.join(offered)}",
                available=offered,
            )
        return media
    return choose_media(request.headers.get("accept"), offered)


def cached(
    request: Request,
    catalogue: Catalogue,
    media: str,
    body: Callable[[], bytes],
    extra_key: str = "",
    generation: str | None = None,
) -> Response:
    """Answer with ``body()`` under an ETag of (generation, request, media, ``extra_key`` —
    e.g. the day the answer depends on), or 304. ``generation``: the catalogue generation
    the caller already read for this request (read once, so ETag and body agree)."""
    if generation is None:
        generation = catalogue.generation
    parts = (generation, request.url.path, str(request.url.query), media, extra_key)
    key = "\n".join(parts).encode("utf-8")
    etag = '"' + hashlib.sha256(key).hexdigest()[:32] + '"'
    headers = {"ETag": etag, "Cache-Control": CACHE_CONTROL, "Vary": "Accept"}
    wanted = request.headers.get("if-none-match", "")
    if wanted and (
        wanted.strip() == "*" or etag in [t.strip().removeprefix("W/") for t in wanted.split(",")]
    ):
        return Response(status_code=304, headers=headers)
    content_type = media + ("; charset=utf-8" if media.startswith("text/") else "")
    return Response(content=body(), media_type=content_type, headers=headers)


def _dumps(value: Any) -> bytes:
    """Compact UTF-8 JSON. Why orjson: a page of offers is 30–80 kB of JSON, and the standard
    encoder took a tenth of a ``GET /offers`` answer."""
    return orjson.dumps(value)


def _run_jsonld(run: dict[str, Any]) -> dict[str, Any]:
    node: dict[str, Any] = {"@id": run["run"], "@type": "CourseInstance"}
    if run.get("start_date"):
        node["startDate"] = run["start_date"]
    if run.get("end_date"):
        node["endDate"] = run["end_date"]
    mode = run.get("mode") or {}
    if mode.get("iri"):
        node["courseMode"] = {"@id": mode["iri"]}
    kreis = run.get("kreis") or {}
    place = run.get("place") or {}
    if place or kreis:
        loc: dict[str, Any] = {"@type": "Place"}
        if place.get("name"):
            loc["name"] = place["name"]
        if place.get("locality"):
            loc["address"] = {
                "@type": "PostalAddress",
                "postalCode": place.get("postal_code"),
                "addressLocality": place["locality"],
            }
        if kreis.get("iri"):
            loc["containedInPlace"] = {"@id": kreis["iri"]}
        node["location"] = loc
    if run.get("price") is not None:
        node["offers"] = {
            "@type": "Offer",
            "price": run["price"],
            "priceCurrency": run.get("currency") or "EUR",
        }
    if run.get("language"):
        node["inLanguage"] = run["language"]
    return node


def offer_summary_jsonld(item: dict[str, Any]) -> dict[str, Any]:
    """A schema.org ``Course`` node (no context) for one ``GET /offers`` item, its matching
    runs as ``hasCourseInstance``."""
    node: dict[str, Any] = {
        "@id": item["iri"],
        "@type": "Course",
        "name": item.get("title"),
        "hasCourseInstance": [_run_jsonld(r) for r in item.get("runs", [])],
    }
    provider = item.get("provider") or {}
    if provider.get("iri"):
        node["provider"] = {
            "@id": provider["iri"],
            "@type": "Organization",
            "name": provider.get("name"),
        }
    if item.get("url"):
        node["url"] = {"@id": item["url"]}
    if item.get("topics"):
        node["about"] = [{"@id": t} for t in item["topics"]]
    return node


def api_router(catalogue: Catalogue, settings: ServerSettings) -> APIRouter:
    """The routes of the JSON API over ``catalogue``."""
    router = APIRouter(tags=["catalogue"])
    gazetteer = gazetteer_for(catalogue.sources.region_files if catalogue.sources else None)
    facet_labels = FacetLabels(catalogue)

    @router.get(
        "/offers",
        summary="List offers with filters and cursor paging",
        description=(
            "One item per offer (schema:Course) that has at least one run matching every "
            "filter; the item carries the offer's data and its matching runs (`runs`, by start "
            "date, at most 20; `run_count` says how many). With `q`: ranked full text (German "
            "stemming, ß/ss and ä/ae folding, compound words) over title, description, skills, "
            "provider, place and the German and English labels of topics, funding, mode and EQF "
            "level, best first (`score`: the best of the offer's runs); without `q`: by "
            "`next_start_date` (the first matching run's start; offers whose matching runs have "
            "no date last), then offer IRI. Runs that have ended are hidden unless "
            "`include_past=true`; an offer whose runs have all ended carries `stale: true`. "
            "`near` (place, postal code of the region or `lat,lon`) with `radius_km` keeps runs "
            "within that distance; each run has `distance_km` and the item the smallest of them "
            "(null without `near`). `starting_within`, dates, price, place and mode filters "
            "apply to runs. The answer has `items`, `next` (cursor), `next_url`, `total` "
            "(matching offers) and `facets`: per dimension (kreis, mode, funding, topic, "
            "provider, language, eqf) a list of `{value, iri, label, count}`, most frequent "
            "first, `count` = distinct offers with a matching run of that value, labels in "
            "`lang`; `value` is what the filter parameter takes. Page with `limit` and `next`; a "
            "cursor stays valid while the data does not change. JSON by default, JSON-LD "
            "(schema.org) with `Accept: application/ld+json`."
        ),
        response_model=OfferList,
        responses={
            200: {
                "content": {
                    JSON: {
                        "example": {
                            "items": [_OFFER_EXAMPLE],
                            "next": None,
                            "next_url": None,
                            "total": 1,
                            "facets": _FACETS_EXAMPLE,
                        }
                    },
                    JSONLD: {},
                }
            },
            304: {"description": "not modified (If-None-Match matched the ETag)"},
            406: _ERROR,
            422: _ERROR,
        },
    )
    def list_offers(
        request: Request,
        q: Annotated[
            str | None,
            Query(
                description="search words (German and English; at most 200 characters); "
                "any characters are allowed and taken as text",
                examples=["Schweißer"],
            ),
        ] = None,
        kreis: Annotated[
            str | None, Query(description="Kreis: AGS or IRI", examples=["05766"])
        ] = None,
        mode: Annotated[
            str | None,
            Query(
                description="delivery-mode code (e.g. 202) or roll-up "
                "praesenz, digital, kombiniert",
                examples=["digital"],
            ),
        ] = None,
        funding: Annotated[
            str | None, Query(description="Förderart code (2 = Bildungsgutschein)", examples=["2"])
        ] = None,
        topic: Annotated[
            str | None, Query(description="regional topic: slug or IRI", examples=["industrie-4-0"])
        ] = None,
        provider: Annotated[
            str | None, Query(description="partner id", examples=["technikakademie-lippe"])
        ] = None,
        start_from: Annotated[
            date | None, Query(description="runs starting on or after (YYYY-MM-DD)")
        ] = None,
        start_to: Annotated[date | None, Query(description="runs starting on or before")] = None,
        max_price: Annotated[float | None, Query(description="highest price in EUR", ge=0)] = None,
        language: Annotated[
            str | None, Query(description="language of instruction (BCP 47)", examples=["de"])
        ] = None,
        eqf: Annotated[
            str | None, Query(description="EQF level 1–8 (or its IRI)", examples=["4"])
        ] = None,
        near: Annotated[
            str | None,
            Query(
                description="place of the region, its postal code, or `lat,lon`",
                examples=["Höxter", "37671", "51.77,9.38"],
            ),
        ] = None,
        radius_km: Annotated[
            float | None,
            Query(description="distance from `near` in km (0.5–300; default 25)"),
        ] = None,
        include_past: Annotated[bool, Query(description="also runs that have ended")] = False,
        starting_within: Annotated[
            int | None, Query(description="runs starting between today and today + N days")
        ] = None,
        lang: Annotated[str, Query(description="language of facet labels: de or en")] = "de",
        facets: Annotated[bool, Query(description="include facet counts")] = True,
        cursor: Annotated[
            str | None, Query(description="the `next` value of the previous page")
        ] = None,
        limit: int = Query(
            settings.page_size, ge=1, le=settings.max_page_size, description="items per page"
        ),
    ) -> Response:
        media = negotiated(request, [JSON, JSONLD])
        if lang not in ("de", "en"):
            raise InvalidParameter("lang must be de or en", parameter="lang", value=lang)
        clock: Clock = getattr(request.app.state, "clock", SYSTEM_CLOCK)
        today = clock.today()
        filters = OfferFilters.parse(
            q=q,
            kreis=kreis,
            mode=mode,
            funding=funding,
            topic=topic,
            provider=provider,
            start_from=start_from,
            start_to=start_to,
            max_price=max_price,
            language=language,
            eqf=eqf,
            near=near,
            radius_km=radius_km,
            include_past=include_past,
            starting_within=starting_within,
            today=today,
            gazetteer=gazetteer,
        )
        generation = catalogue.generation

        def body() -> bytes:
            page = catalogue.index.search(
                filters, limit=limit, cursor=cursor, facets=facets and media == JSON
            )
            page.items = [{"id": offer_id(i["iri"]), **i} for i in page.items]
            next_url = None
            if page.next_cursor:
                params = dict(request.query_params)
                params["cursor"] = page.next_cursor
                next_url = str(request.url.include_query_params(**params))
            if media == JSONLD:
                return _dumps(
                    {
                        "@context": JSONLD_CONTEXT,
                        "@graph": [offer_summary_jsonld(i) for i in page.items],
                        "bn:next": next_url,
                    }
                )
            out: dict[str, Any] = {
                "items": page.items,
                "next": page.next_cursor,
                "next_url": next_url,
            }
            if "facets" in page.extra:
                out["total"] = page.extra["total"]
                out["facets"] = facet_labels.render(page.extra["facets"], lang, generation)
            return _dumps(out)

        return cached(
            request, catalogue, media, body, extra_key=today.isoformat(), generation=generation
        )

    @router.get("/offers/by-iri", include_in_schema=False)
    def get_offer_by_iri(request: Request, iri: str, lang: str = "de") -> Response:
        return _offer_response(request, catalogue, iri, lang)

    @router.get(
        "/offers/{id}",
        summary="One offer with all its runs",
        description=(
            "`id` is the offer IRI as unpadded base64url (the `id` field of list items); "
            "`/offers/by-iri?iri=…` takes the IRI itself. JSON by default; JSON-LD (the full "
            "description from the store) with `Accept: application/ld+json`; an HTML page for "
            "browsers, in German or with `?lang=en` in English."
        ),
        responses={
            200: {"content": {JSON: {"example": _OFFER_EXAMPLE}, JSONLD: {}, HTML: {}}},
            404: _ERROR,
            406: _ERROR,
        },
    )
    def get_offer(request: Request, id: str, lang: str = "de") -> Response:
        return _offer_response(request, catalogue, offer_iri(id), lang)

    @router.get(
        "/partners",
        summary="The partners (publishers) with their number of offers",
        responses={
            200: {
                "content": {
                    JSON: {
                        "example": [
                            {
                                "id": "technikakademie-lippe",
                                "name": "Technikakademie Lippe",
                                "offers": 18,
                            }
                        ]
                    }
                }
            }
        },
    )
    def list_partners(request: Request) -> Response:
        media = negotiated(request, [JSON])
        return cached(request, catalogue, media, lambda: _dumps(catalogue.partners()))

    @router.get(
        "/partners/{id}",
        summary="One partner, its feeds and what the registry records",
        responses={404: _ERROR},
    )
    def get_partner(request: Request, id: str) -> Response:
        media = negotiated(request, [JSON])
        partner = catalogue.partner(id)
        return cached(request, catalogue, media, lambda: _dumps(partner))

    @router.get(
        "/partners/{id}/harvests",
        summary="Harvest runs of a partner's feeds (PROV-O), newest first",
        description="Each run with its recorded counts, report and the offers added, removed "
        "and changed, as recorded in the registry graph.",
        responses={404: _ERROR},
    )
    def get_harvests(request: Request, id: str) -> Response:
        media = negotiated(request, [JSON])
        runs = catalogue.harvests(id)
        return cached(request, catalogue, media, lambda: _dumps(runs))

    return router


def _offer_response(request: Request, catalogue: Catalogue, iri: str, lang: str) -> Response:
    from .pages import offer_page  # pages import the api helpers; import late

    if lang not in ("de", "en"):
        raise InvalidParameter("lang must be de or en", parameter="lang", value=lang)
    media = negotiated(request, [JSON, JSONLD, HTML])
    offer = catalogue.offer(iri)

    def body() -> bytes:
        if media == JSON:
            return _dumps(offer)
        doc = to_jsonld(catalogue.offer_triples(iri), iri)
        if media == JSONLD:
            return _dumps(doc)
        return offer_page(request, catalogue, offer, doc, lang).encode("utf-8")

    return cached(request, catalogue, media, body)
