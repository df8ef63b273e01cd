"""The filters of ``GET /offers``, its paging cursors and its page: what a request asks for.

Parsed and checked here (a bad value is a 422 naming the parameter), evaluated by
:mod:`registry.search_query` over the index of :mod:`registry.offer_index`.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from .errors import InvalidParameter
from .geo import Gazetteer, gazetteer_for
from .namespaces import REGION, SCHEME_DELIVERY, SCHEME_FUNDING
from .offer_rows import MODE_CODE, ROLLUPS, last_segment
from .search import MAX_QUERY_CHARS

__all__ = [
    "DEFAULT_RADIUS_KM",
    "RADIUS_RANGE",
    "OfferFilters",
    "OfferPage",
    "decode_cursor",
    "encode_cursor",
]

_AGS = re.compile(r"^[0-9]{5}([0-9]{3})?$")


@dataclass(frozen=True)
class OfferFilters:
    """Validated filters of ``GET /offers``; :meth:`parse` raises 422 naming the parameter."""

    q: str | None = None
    kreis: str | None = None  # AGS
    kreis_iri: str | None = None
    mode: str | None = None  # a code such as "202"
    rollup: str | None = None  # praesenz | digital | kombiniert
    eqf: str | None = None  # "1" … "8"
    near_lat: float | None = None
    near_lon: float | None = None
    radius_km: float | None = None
    include_past: bool = False
    starting_within: int | None = None  # days
    today: date | None = None
    funding: str | None = None  # Förderart notation
    topic: str | None = None  # topic IRI
    topic_slug: str | None = None
    provider: str | None = None  # partner id
    start_from: date | None = None
    start_to: date | None = None
    max_price: float | None = None
    language: str | None = None

    @classmethod
    def parse(
        cls,
        *,
        q: str | None = None,
        kreis: str | None = None,
        mode: str | None = None,
        funding: str | None = None,
        topic: str | None = None,
        provider: str | None = None,
        start_from: date | None = None,
        start_to: date | None = None,
        max_price: float | None = None,
        language: str | None = None,
        eqf: str | None = None,
        near: str | None = None,
        radius_km: float | None = None,
        include_past: bool = False,
        starting_within: int | None = None,
        today: date | None = None,
        gazetteer: Gazetteer | None = None,
    ) -> OfferFilters:
        values: dict[str, Any] = {"include_past": include_past, "today": today}
        if q is not None and q.strip():
            if len(q) > MAX_QUERY_CHARS:
                raise InvalidParameter(
                    f"q is longer than {MAX_QUERY_CHARS} characters",
                    parameter="q",
                    value=q[:40] + "…",
                )
            values["q"] = q.strip().casefold()
        values.update(_parse_extra(eqf, near, radius_km, starting_within, gazetteer))
        if kreis:
            if kreis.startswith(REGION) and "/kreis/" in kreis:
                values["kreis_iri"] = kreis
            elif _AGS.match(kreis):
                values["kreis"] = kreis
            else:
                raise InvalidParameter(
                    "kreis must be an AGS (5 digits, e.g. 05766) or a Kreis IRI",
                    parameter="kreis",
                    value=kreis,
                )
        if mode:
            code = last_segment(mode) if mode.startswith(SCHEME_DELIVERY + "/") else mode
            code = code.casefold()
            if code in ROLLUPS:
                values["rollup"] = code
            elif MODE_CODE.match(code):
                values["mode"] = code
            else:
                raise InvalidParameter(
                    "mode must be a delivery-mode code (e.g. 202) or one of " + ", ".join(ROLLUPS),
                    parameter="mode",
                    value=mode,
                )
        if funding:
            code = last_segment(funding) if funding.startswith(SCHEME_FUNDING + "/") else funding
            if not re.match(r"^[a-z0-9][a-z0-9-]{0,62}$", code):
                raise InvalidParameter(
                    "funding must be a Förderart code (e.g. 2) or its IRI",
                    parameter="funding",
                    value=funding,
                )
            values["funding"] = code
        if topic:
            if topic.startswith(("https://", "http://")):
                values["topic"] = topic
            elif re.match(r"^[a-z0-9][a-z0-9-]{0,99}$", topic):
                values["topic_slug"] = topic
            else:
                raise InvalidParameter(
                    "topic must be a topic slug (e.g. industrie-4-0) or a topic IRI",
                    parameter="topic",
                    value=topic,
                )
        if provider:
            if not re.match(r"^[a-z0-9][a-z0-9-]{0,62}$", provider):
                raise InvalidParameter(
                    "provider must be a partner id", parameter="provider", value=provider
                )
            values["provider"] = provider
        if start_from and start_to and start_to < start_from:
            raise InvalidParameter(
                "start_to lies before start_from", parameter="start_to", value=str(start_to)
            )
        values["start_from"] = start_from
        values["start_to"] = start_to
        if max_price is not None:
            if max_price < 0 or max_price != max_price:
                raise InvalidParameter(
                    "max_price must be a number ≥ 0", parameter="max_price", value=max_price
                )
            values["max_price"] = max_price
        if language:
            if not re.match(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$", language):
                raise InvalidParameter(
                    "language must be a BCP 47 tag such as de or en",
                    parameter="language",
                    value=language,
                )
            values["language"] = language.casefold()
        return cls(**values)

    def key(self) -> str:
        """A canonical text of the filters (for cursors bound to one filter set)."""
        return json.dumps({k: str(v) for k, v in vars(self).items() if v is not None})


#: radius_km must lie in this range (km)
RADIUS_RANGE = (0.5, 300.0)
DEFAULT_RADIUS_KM = 25.0


def _parse_extra(
    eqf: str | None,
    near: str | None,
    radius_km: float | None,
    starting_within: int | None,
    gazetteer: Gazetteer | None,
) -> dict[str, Any]:
    """EQF level, distance and ``starting_within`` (422 naming the parameter)."""
    values: dict[str, Any] = {}
    if eqf:
        code = eqf.rstrip("/").rsplit("/", 1)[-1]
        if code not in {str(n) for n in range(1, 9)}:
            raise InvalidParameter(
                "eqf must be an EQF level 1–8 or its IRI", parameter="eqf", value=eqf
            )
        values["eqf"] = code
    if radius_km is not None:
        low, high = RADIUS_RANGE
        if radius_km != radius_km or not low <= radius_km <= high:
            raise InvalidParameter(
                f"radius_km must lie between {low:g} and {high:g}",
                parameter="radius_km",
                value=radius_km,
            )
        if not near:
            raise InvalidParameter(
                "radius_km needs near (the place to measure from)",
                parameter="radius_km",
                value=radius_km,
            )
    if near is not None:
        if not near.strip():
            raise InvalidParameter("near is empty", parameter="near", value=near)
        place = (gazetteer or gazetteer_for()).locate(near)
        values["near_lat"], values["near_lon"] = place.lat, place.lon
        values["radius_km"] = radius_km if radius_km is not None else DEFAULT_RADIUS_KM
    if starting_within is not None:
        if not 0 <= starting_within <= 3650:
            raise InvalidParameter(
                "starting_within must be a number of days between 0 and 3650",
                parameter="starting_within",
                value=starting_within,
            )
        values["starting_within"] = starting_within
    return values


def encode_cursor(key: tuple[str, str, str]) -> str:
    raw = json.dumps(list(key), separators=(",", ":")).encode("utf-8")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_cursor(cursor: str) -> tuple[str, str, str]:
    """The key a cursor stands for; anything else is a 422 naming ``cursor``."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        value = json.loads(raw.decode("utf-8"))
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise InvalidParameter(
            "cursor is not a cursor this server issued", parameter="cursor"
        ) from exc
    if not (isinstance(value, list) and len(value) == 3 and all(isinstance(v, str) for v in value)):
        raise InvalidParameter("cursor is not a cursor this server issued", parameter="cursor")
    return (value[0], value[1], value[2])


@dataclass
class OfferPage:
    """One page of ``GET /offers``: summaries plus the cursor of the next page (or None)."""

    items: list[dict[str, Any]]
    next_cursor: str | None
    generation: int = 0
    extra: dict[str, Any] = field(default_factory=dict)
