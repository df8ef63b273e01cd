"""The shape of a ``GET /offers`` answer, as the OpenAPI document shows it to portal builders.

Why models that the handler does not use to serialise: the answer is built from the side
table's JSON summaries (:mod:`registry.search_query`) and written as bytes under an ETag;
these pydantic models only *document* that shape (``response_model`` of the route), one item
per offer with its matching runs nested, so a portal can rely on it.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

__all__ = ["FacetValue", "OfferHit", "OfferList", "RunHit"]


class RunHit(BaseModel):
    """One run of the offer that matches every filter."""

    run: str = Field(description="IRI of the course run (schema:CourseInstance)")
    start_date: str | None = Field(description="ISO date; null for a flexible start")
    end_date: str | None = None
    flexible_start: bool = False
    mode: dict[str, str | None] | None = Field(
        None, description="delivery mode: code, iri, rollup, label"
    )
    kreis: dict[str, str | None] | None = Field(None, description="ags, iri, label")
    place: dict[str, str | float | None] | None = Field(
        None, description="name, postal_code, locality, lat, lon"
    )
    price: float | None = None
    currency: str | None = None
    language: str | None = None
    funding: list[str] = Field(default_factory=list, description="Förderart codes of this run")
    registration_deadline: str | None = None
    distance_km: float | None = Field(None, description="distance to `near`; null without it")


class OfferHit(BaseModel):
    """One offer (schema:Course) with at least one run matching every filter."""

    id: str = Field(description="offer IRI as unpadded base64url (for `/offers/{id}`)")
    iri: str
    source: str
    title: str
    title_en: str | None = None
    description: str = ""
    url: str | None = None
    provider: dict[str, str | None]
    topics: list[str] = Field(default_factory=list)
    eqf: str | None = None
    next_start_date: str | None = Field(
        description="start of the first matching run (the date order); null when every "
        "matching run has a flexible start"
    )
    price: float | None = Field(description="lowest price of the matching runs")
    currency: str | None = None
    funding: list[str] = Field(description="Förderart codes of any matching run")
    score: float | None = Field(description="best BM25 score of its runs (with `q`), else null")
    distance_km: float | None = Field(description="smallest distance of its runs to `near`")
    stale: bool = Field(description="every run of the offer has ended")
    run_count: int = Field(description="number of matching runs")
    runs: list[RunHit] = Field(
        description="the matching runs by start date (at most 20; `run_count` says how many)"
    )


class FacetValue(BaseModel):
    value: str = Field(description="what the filter parameter takes")
    iri: str | None = None
    label: str
    count: int = Field(description="distinct offers with a matching run having this value")


class OfferList(BaseModel):
    """One page of ``GET /offers``."""

    items: list[OfferHit]
    next: str | None = Field(description="cursor of the next page; null on the last")
    next_url: str | None = None
    total: int | None = Field(None, description="matching offers (with facets)")
    facets: dict[str, list[FacetValue]] | None = Field(
        None, description="per dimension, most frequent first (with `facets=true`)"
    )
