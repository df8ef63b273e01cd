"""Accessible HTML pages: the search page at ``/``, offer pages, and any described IRI.

German by default, English with ``?lang=en`` (every text from :mod:`registry.i18n`). Everything
works as plain GET forms and links, without JavaScript. The search page calls the same index
function as ``GET /offers`` (no HTTP to itself); when the index returns facets (counts per
value) the filters show them, otherwise the filters are plain selects of the vocabulary labels.
An offer page embeds the offer's schema.org JSON-LD in ``<script type="application/ld+json">``
(what search engines read). Pages are jinja2 templates in ``registry/templates`` with
autoescaping on; the JSON-LD is escaped for a script element (``<``, ``>``, ``&`` as JSON
unicode escapes) so no feed text can close it. The style sheet is ``/static/site.css``.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date
from typing import Any
from urllib.parse import urlencode, urlsplit

import pyoxigraph as ox
from fastapi import APIRouter, Request
from fastapi.responses import Response
from jinja2 import Environment, PackageLoader, select_autoescape

from .api import HTML, cached, negotiated
from .catalogue import Catalogue, _compact, _key, offer_id
from .clock import SYSTEM_CLOCK, Clock
from .errors import InvalidParameter
from .geo import Gazetteer, gazetteer_for
from .i18n import check_lang, translator
from .namespaces import (
    BASE,
    PARTNER,
    RDF,
    REGION,
    SCHEME_DELIVERY,
    SCHEME_FUNDING,
    SKOS,
    VOCABULARY_GRAPH,
)
from .offer_index import ROLLUPS, OfferFilters, OfferPage, Term, rollup_of
from .search_facets import LANGUAGE_NAMES, FacetLabels
from .vocabulary import Labels

__all__ = ["CARD_DATES", "PAGE_SIZE", "offer_page", "pages_router", "resource_page", "search_page"]

_env = Environment(
    loader=PackageLoader("registry", "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)

#: results per page of the search page
PAGE_SIZE = 20

#: ``?format=`` names for links (a browser cannot set Accept on a link)
FORMAT_LINKS = (
    ("text/turtle", "ttl"),
    ("application/ld+json", "jsonld"),
    ("application/n-triples", "nt"),
    ("application/rdf+xml", "rdfxml"),
)


def _script_json(doc: Any) -> str:
    text = json.dumps(doc, ensure_ascii=False, indent=1)
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


def _local(iri: str) -> str | None:
    """The path on this server of a minted IRI (the base maps to the root)."""
    return "/" + iri[len(BASE) :] if iri.startswith(BASE) else None


def _alternates(request: Request) -> list[tuple[str, str]]:
    return [(media, f"{request.url.path}?format={name}") for media, name in FORMAT_LINKS]


def _lang_url(request: Request, lang: str) -> str:
    """This page in the other language (German is the default: no ``lang`` parameter)."""
    other = "en" if lang == "de" else "de"
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
    if other == "en":
        params.append(("lang", "en"))
    return request.url.path + ("?" + urlencode(params) if params else "")


def _render(template: str, lang: str, request: Request, **context: Any) -> str:
    return _env.get_template(template).render(
        lang=lang,
        t=translator(lang),
        lang_url=_lang_url(request, lang),
        lang_query="?lang=en" if lang == "en" else "",
        **context,
    )


def _back_link(request: Request, lang: str) -> str:
    """The search this page was opened from (same host, path ``/``), else the empty search."""
    referer = urlsplit(request.headers.get("referer", ""))
    if referer.netloc == request.url.netloc and referer.path == "/":
        return "/" + ("?" + referer.query if referer.query else "")
    return "/" + ("?lang=en" if lang == "en" else "")


def offer_page(
    request: Request, catalogue: Catalogue, offer: dict[str, Any], jsonld: Any, lang: str
) -> str:
    lang = check_lang(lang)
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
                "start_text": _date(run.get("start_date"), lang),
                "end_text": _date(run.get("end_date"), lang),
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
        request,
        back=_back_link(request, lang),
        title=title,
        offer=offer,
        runs=runs,
        funding=funding,
        price=None
        if offer.get("price") is None
        else _money(float(offer["price"]), offer.get("currency") or "EUR", lang),
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
    lang = check_lang(lang)
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
            "partner.html",
            lang,
            request,
            offers=offers,
            partner_id=pid,
            more=page.next_cursor is not None,
        )
    return _render(
        "resource.html",
        lang,
        request,
        title=catalogue.label(iri, lang) or iri,
        iri=iri,
        nodes=nodes,
        extra=extra,
        alternates=_alternates(request),
    )


# -- the search page ------------------------------------------------------------------------
#: form fields of the search page, in form order (a name the index does not know is left out)
_SELECTS = ("kreis", "mode", "funding", "topic", "provider", "language", "eqf")
_TEXTS = ("q", "near", "radius_km", "start_from", "max_price")
_INSCHEME = SKOS + "inScheme"
#: form field → its message key (to name the field of an invalid input)
_FIELD_KEYS = {
    **{name: name for name in _SELECTS},
    "q": "query",
    "near": "near",
    "radius_km": "radius",
    "start_from": "start_from",
    "max_price": "max_price",
}
_vocab_cache: dict[tuple[int, str], tuple[Labels, dict[str, list[tuple[str, str]]]]] = {}


def _vocabulary(catalogue: Catalogue) -> tuple[Labels, dict[str, list[tuple[str, str]]]]:
    """Labels and (value, IRI) choices per filter from the vocabulary graph, per generation."""
    key = (id(catalogue), catalogue.generation)
    if key in _vocab_cache:
        return _vocab_cache[key]
    store = catalogue.ox_store()
    graph = ox.NamedNode(VOCABULARY_GRAPH)
    wanted: dict[str, list[str]] = defaultdict(list)
    for quad in store.quads_for_pattern(None, ox.NamedNode(_INSCHEME), None, graph):
        if not isinstance(quad.subject, ox.NamedNode) or not isinstance(quad.object, ox.NamedNode):
            continue
        iri, scheme = quad.subject.value, quad.object.value
        if scheme == SCHEME_FUNDING:
            wanted["funding"].append(iri)
        elif scheme == SCHEME_DELIVERY:
            wanted["mode"].append(iri)
        elif scheme.startswith(REGION) and "/kreis/" in iri:
            wanted["kreis"].append(iri)
        elif scheme.startswith(REGION) and "/topic/" in iri:
            wanted["topic"].append(iri)
    triples = [
        q.triple
        for iris in wanted.values()
        for iri in iris
        for q in store.quads_for_pattern(ox.NamedNode(iri), None, None, graph)
    ]
    labels = Labels(triples)
    choices: dict[str, list[tuple[str, str]]] = {}
    for name, iris in wanted.items():
        values = sorted({(iri.rsplit("/", 1)[-1], iri) for iri in iris})
        if name == "mode":  # the roll-ups first, then the openQ-cat codes under them
            values = [v for v in values if v[0] in ROLLUPS or (v[0].isdigit() and len(v[0]) == 3)]
            values.sort(key=lambda v: (v[0] not in ROLLUPS, v[0]))
        choices[name] = values
    _vocab_cache.clear()
    _vocab_cache[key] = (labels, choices)
    return labels, choices


def _fallback_options(catalogue: Catalogue, name: str, lang: str) -> list[dict[str, Any]]:
    """Choices of a filter without counts, labelled from the vocabulary."""
    if name == "provider":
        return [{"value": p["id"], "label": p["name"], "count": None} for p in catalogue.partners()]
    if name == "language":
        return [
            {"value": code, "label": label, "count": None}
            for code, label in ((c, LANGUAGE_NAMES[c][lang]) for c in ("de", "en"))
        ]
    labels, choices = _vocabulary(catalogue)
    options = [
        {"value": value, "label": labels.label(iri, lang) or value, "count": None}
        for value, iri in choices.get(name, [])
    ]
    if name != "mode":
        options.sort(key=lambda o: str(o["label"]).casefold())
    return options


def _facet_options(facets: dict[str, Any], name: str, lang: str) -> list[dict[str, Any]] | None:
    """The choices with counts of facet ``name`` (entries ``{value, iri, label, count}`` as
    ``GET /offers`` shows them); delivery modes get their roll-ups (summed) in front."""
    if name not in facets:
        return None
    out = [
        {"value": str(e["value"]), "label": e.get("label") or e["value"], "count": e.get("count")}
        for e in facets[name]
        if e.get("value") not in (None, "")
    ]
    if name == "mode":
        sums: dict[str, int] = defaultdict(int)
        for option in out:
            rollup = rollup_of(option["value"])
            if rollup:
                sums[rollup] += int(option["count"] or 0)
        t = translator(lang)
        rollups = [
            {"value": r, "label": t("rollup_" + r), "count": sums[r]} for r in ROLLUPS if sums[r]
        ]
        out = rollups + out
    return out


def _form_values(request: Request) -> dict[str, str]:
    """The submitted form, blank fields dropped (a no-JS form sends every field)."""
    values: dict[str, str] = {}
    for name in (*_TEXTS, *_SELECTS):
        raw = request.query_params.get(name, "").strip()
        if raw:
            values[name] = raw
    return values


def _number(name: str, raw: str) -> float:
    try:
        value = float(raw.replace(",", "."))
    except ValueError:
        raise InvalidParameter(f"{name} must be a number", parameter=name, value=raw) from None
    if value != value or value < 0:
        raise InvalidParameter(f"{name} must be a number ≥ 0", parameter=name, value=raw)
    return value


def _filters(form: dict[str, str], gazetteer: Gazetteer, today: date) -> OfferFilters:
    """The filters of the form, parsed as ``GET /offers`` parses its parameters."""
    args: dict[str, Any] = dict(form)
    if "start_from" in form:
        try:
            args["start_from"] = date.fromisoformat(form["start_from"])
        except ValueError:
            raise InvalidParameter(
                "start_from must be a date (YYYY-MM-DD)",
                parameter="start_from",
                value=form["start_from"],
            ) from None
    for name in ("max_price", "radius_km"):
        if name in form:
            args[name] = _number(name, form[name])
    return OfferFilters.parse(**args, today=today, gazetteer=gazetteer)


def _money(amount: float, currency: str, lang: str) -> str:
    text = f"{amount:,.2f}"
    if lang == "de":
        text = text.replace(",", " ").replace(".", ",").replace(" ", ".")
        return f"{text} {'€' if currency == 'EUR' else currency}"
    return f"{currency} {text}"


def _date(value: str | None, lang: str) -> str | None:
    if not value:
        return None
    year, month, day = value[:10].split("-")
    return f"{day}.{month}.{year}" if lang == "de" else value[:10]


#: run dates listed on a result card (the offer page lists them all)
CARD_DATES = 4


def _place(run: dict[str, Any], catalogue: Catalogue, lang: str) -> str | None:
    place = run.get("place") or {}
    kreis = run.get("kreis") or {}
    where = [place.get("name"), place.get("locality")]
    kreis_label = (catalogue.label(kreis["iri"], lang) if kreis.get("iri") else None) or kreis.get(
        "label"
    )
    if kreis_label and kreis_label not in where:
        where.append(kreis_label)
    return ", ".join(w for w in where if w) or None


def _result(item: dict[str, Any], catalogue: Catalogue, lang: str) -> dict[str, Any]:
    """One result card per offer: its next matching run in full (date, place, mode), how many
    matching runs there are and their dates, the lowest price."""
    t = translator(lang)
    runs = item.get("runs") or []
    first = runs[0] if runs else {}
    mode = first.get("mode") or {}
    mode_label = (catalogue.label(mode["iri"], lang) if mode.get("iri") else None) or mode.get(
        "label"
    )
    price = item.get("price")
    if price is None:
        price_text = t("price_unknown")
    elif price == 0:
        price_text = t("free")
    else:
        price_text = _money(float(price), item.get("currency") or "EUR", lang)
        if len({r.get("price") for r in runs}) > 1:
            price_text = t("price_from", price=price_text)
    funding = [
        catalogue.label(f"{SCHEME_FUNDING}/{code}", lang) or code
        for code in item.get("funding", [])
    ]
    distance = item.get("distance_km")
    count = int(item.get("run_count") or len(runs))
    dates = [
        {"iso": r["start_date"], "text": _date(r["start_date"], lang)}
        for r in runs[1:CARD_DATES]
        if r.get("start_date")
    ]
    return {
        "id": offer_id(item["iri"]),
        "title": (item.get("title_en") if lang == "en" else None) or item.get("title") or "",
        "provider": (item.get("provider") or {}).get("name"),
        "start": first.get("start_date"),
        "start_text": _date(first.get("start_date"), lang),
        "end": first.get("end_date"),
        "end_text": _date(first.get("end_date"), lang),
        "place": _place(first, catalogue, lang),
        "run_count": count,
        "later_dates": dates,
        "more_dates": max(0, count - 1 - len(dates)),
        "mode": mode_label,
        "rollup": mode.get("rollup"),
        "price": price_text,
        "funding": funding,
        "distance": None if distance is None else f"{float(distance):.0f}",
        "stale": bool(item.get("stale")),
        "deadline": _date(first.get("registration_deadline"), lang),
    }


def search_page(
    request: Request,
    catalogue: Catalogue,
    lang: str,
    *,
    gazetteer: Gazetteer,
    facet_labels: FacetLabels,
    today: date,
) -> tuple[int, str]:
    """The search page for this request: (status, HTML); bad input is a 422 page saying why.

    The same calls as ``GET /offers``: filters parsed with today's date and the region's
    gazetteer, one index search with facets, facet labels in ``lang``.
    """
    lang = check_lang(lang)
    form = _form_values(request)
    cursor = request.query_params.get("cursor") or None
    error = None
    page: OfferPage | None = None
    try:
        filters = _filters(form, gazetteer, today)
        page = catalogue.index.search(filters, limit=PAGE_SIZE, cursor=cursor, facets=True)
    except InvalidParameter as exc:
        parameter = str(exc.details.get("parameter") or "")
        field = _FIELD_KEYS.get(parameter)
        error = {
            "parameter": parameter,
            "field": translator(lang)(field) if field else None,
            "message": exc.message,
        }
    extra = page.extra if page is not None else {}
    facets = facet_labels.render(extra["facets"], lang) if "facets" in extra else {}
    selects = []
    for name in _SELECTS:
        options = _facet_options(facets, name, lang)
        if options is None:
            if name == "eqf":
                continue
            options = _fallback_options(catalogue, name, lang)
        current = form.get(name)
        if current and all(o["value"] != current for o in options):
            # a value the results do not count (a roll-up, a slug): keep it selectable
            known = [o for o in _fallback_options(catalogue, name, lang) if o["value"] == current]
            label = known[0]["label"] if known else current
            options.insert(0, {"value": current, "label": label, "count": None})
        selects.append({"name": name, "options": options, "selected": current})
    results = [_result(i, catalogue, lang) for i in page.items] if page is not None else []
    base = [*form.items()] + ([("lang", "en")] if lang == "en" else [])
    next_url = None
    if page is not None and page.next_cursor:
        next_url = "/?" + urlencode([*base, ("cursor", page.next_cursor)])
    html = _render(
        "search.html",
        lang,
        request,
        title="Bildungsnetz",
        form=form,
        selects=selects,
        distance=True,
        results=results,
        total=extra.get("total"),
        next_url=next_url,
        first_url=("/?" + urlencode(base)) if cursor else None,
        error=error,
        alternates=[
            ("application/json", "/offers" + ("?" + urlencode(form) if form else "")),
            ("application/ld+json", "/catalog?format=jsonld"),
        ],
    )
    return (422 if error else 200), html


def pages_router(catalogue: Catalogue) -> APIRouter:
    router = APIRouter(tags=["pages"])
    gazetteer = gazetteer_for(catalogue.sources.region_files if catalogue.sources else None)
    facet_labels = FacetLabels(catalogue)

    @router.get(
        "/",
        summary="Search page (HTML)",
        description="Search, filters and paging as a plain GET form; `?lang=en` for English.",
        response_class=Response,
    )
    def home(request: Request, lang: str = "de") -> Response:
        media = negotiated(request, [HTML])
        check_lang(lang)
        clock: Clock = getattr(request.app.state, "clock", SYSTEM_CLOCK)
        today = clock.today()
        status, html = search_page(
            request,
            catalogue,
            lang,
            gazetteer=gazetteer,
            facet_labels=facet_labels,
            today=today,
        )
        if status != 200:
            return Response(html, status_code=status, media_type="text/html; charset=utf-8")
        return cached(
            request, catalogue, media, lambda: html.encode("utf-8"), extra_key=today.isoformat()
        )

    return router
