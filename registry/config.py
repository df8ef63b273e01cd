"""Configuration, declared once and read once at start-up.

Two inputs: the *sources file* (TOML: harvest settings, the region, partners and their feeds,
shape in ``docs/design.md``) and *settings* for the server. Every setting carries a help text;
``bildungsnetz settings`` and the docs test read :data:`SETTINGS`.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

from .errors import ConfigError
from .namespaces import PARTNER, SOURCE
from .resources import ontology_dir

__all__ = [
    "SETTINGS",
    "Feed",
    "HarvestSettings",
    "Partner",
    "ServerSettings",
    "Sources",
    "load_sources",
]

_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


@dataclass(frozen=True)
class HarvestSettings:
    """The ``[harvest]`` table."""

    allow_private_networks: bool = False
    feed_base_url: str | None = None
    timeout_s: float = 30.0
    max_bytes: int = 50 * 1024 * 1024
    max_redirects: int = 5
    retries: int = 2
    concurrency: int = 4
    #: processes that fetch, parse and validate feeds beside the writer (validation is CPU
    #: work in Python and Oxigraph; threads share one core); 0 = threads of this process
    processes: int = 2
    user_agent: str = "Bildungsnetz-Harvester/0.1 (+https://w3id.org/bildungsnetz/)"
    #: a feed that parses with zero valid offers where the last good run had this many or more
    #: keeps its last good graph and is flagged
    collapse_guard_min_offers: int = 5
    #: the newest N runs per feed keep their full details (offer lists, SHACL report); older
    #: runs keep only their summary and supply counts
    keep_run_details: int = 10
    #: runs older than this many days are deleted (summary and supply counts too), except
    #: each feed's newest run and newest published run; 0 keeps every run
    keep_runs_days: int = 730


@dataclass(frozen=True)
class Feed:
    """One feed of a partner: ``[[partner.feed]]``."""

    id: str
    partner_id: str
    url: str
    format: str | None = None
    license: str | None = None

    @property
    def iri(self) -> str:
        """The feed's IRI: a ``dcat:Dataset`` and the name of its graph."""
        return SOURCE + self.id


@dataclass(frozen=True)
class Partner:
    """A publisher: ``[[partner]]``."""

    id: str
    name: str
    namespaces: tuple[str, ...]
    feeds: tuple[Feed, ...]
    type: str | None = None
    homepage: str | None = None
    license: str | None = None

    @property
    def iri(self) -> str:
        return PARTNER + self.id

    def owns(self, iri: str) -> bool:
        return any(iri.startswith(ns) for ns in self.namespaces)


@dataclass(frozen=True)
class Sources:
    """The whole sources file."""

    path: Path | None
    harvest: HarvestSettings
    partners: tuple[Partner, ...]
    region_files: tuple[Path, ...] = field(default_factory=tuple)
    #: the ``[server]`` table, checked against :class:`ServerSettings` when it is read
    server: dict[str, Any] = field(default_factory=dict)

    def server_settings(self, **overrides: Any) -> ServerSettings:
        """Server settings: defaults, then ``[server]`` of the sources file, then ``overrides``."""
        known = {f.name for f in fields(ServerSettings)}
        unknown = set(self.server) - known
        if unknown:
            raise ConfigError(f"unknown [server] settings: {', '.join(sorted(unknown))}")
        values = {**self.server, **{k: v for k, v in overrides.items() if v is not None}}
        if "service_allow_list" in values:
            values["service_allow_list"] = tuple(values["service_allow_list"])
        for name in (
            "processes",
            "query_workers",
            "query_lookup_workers",
            "response_cache_entries",
        ):
            value = values.get(name, 1)
            least = 0 if name in ("query_lookup_workers", "response_cache_entries") else 1
            if isinstance(value, bool) or not isinstance(value, int) or value < least:
                raise ConfigError(
                    f"[server] {name} must be a whole number ≥ {least}, not {value!r}",
                    setting=name,
                )
        return ServerSettings(**values)

    def partner(self, partner_id: str) -> Partner:
        for p in self.partners:
            if p.id == partner_id:
                return p
        raise ConfigError(f"no partner with id {partner_id!r}", partner=partner_id)

    @property
    def feeds(self) -> tuple[Feed, ...]:
        return tuple(f for p in self.partners for f in p.feeds)

    def feed(self, feed_id: str) -> Feed:
        for f in self.feeds:
            if f.id == feed_id:
                return f
        raise ConfigError(f"no source with id {feed_id!r}", source=feed_id)

    def select(self, ids: list[str] | None) -> tuple[Feed, ...]:
        """Feeds named by id — a feed id or a partner id; all feeds when ``ids`` is empty."""
        if not ids:
            return self.feeds
        chosen: list[Feed] = []
        for ident in ids:
            match = [f for f in self.feeds if f.id == ident or f.partner_id == ident]
            if not match:
                raise ConfigError(f"no source or partner with id {ident!r}", source=ident)
            chosen.extend(f for f in match if f not in chosen)
        return tuple(chosen)


def _check_id(kind: str, value: Any) -> str:
    if not isinstance(value, str) or not _ID.match(value):
        raise ConfigError(
            f"{kind} id {value!r} must be lower-case letters, digits and '-' (at most 63)"
        )
    return value


def _resolve_url(url: str, base_url: str | None, base_dir: Path | None) -> str:
    if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", url):
        return url
    if base_url:
        return urljoin(base_url if base_url.endswith("/") else base_url + "/", url)
    if base_dir is not None:
        return (base_dir / url).resolve().as_uri()
    raise ConfigError(f"relative feed url {url!r} needs [harvest] feed_base_url")


def _harvest_settings(table: dict[str, Any], overrides: dict[str, Any]) -> HarvestSettings:
    known = {f.name for f in fields(HarvestSettings)}
    unknown = set(table) - known
    if unknown:
        raise ConfigError(f"unknown [harvest] settings: {', '.join(sorted(unknown))}")
    values = {**table, **overrides}
    try:
        return HarvestSettings(**values)
    except TypeError as exc:  # pragma: no cover - defensive, fields are checked above
        raise ConfigError(str(exc)) from exc


def load_sources(path: Path | str, **harvest_overrides: Any) -> Sources:
    """Read and check a sources file; ``harvest_overrides`` replace ``[harvest]`` settings."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"sources file not found: {path}") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not a valid TOML file: {exc}") from exc
    return sources_from_dict(data, base_dir=path.parent, path=path, **harvest_overrides)


def sources_from_dict(
    data: dict[str, Any],
    *,
    base_dir: Path | None = None,
    path: Path | None = None,
    **harvest_overrides: Any,
) -> Sources:
    harvest = _harvest_settings(data.get("harvest", {}), harvest_overrides)
    region = data.get("region", {})
    region_names = region.get("files", ["regions/owl.ttl"])
    region_files: list[Path] = []
    for name in region_names:
        candidate = (base_dir / name) if base_dir is not None else Path(name)
        if not candidate.exists():
            candidate = ontology_dir() / name
        if not candidate.exists():
            raise ConfigError(f"region data file not found: {name}")
        region_files.append(candidate)

    partners: list[Partner] = []
    seen_feeds: set[str] = set()
    seen_partners: set[str] = set()
    for entry in data.get("partner", []):
        pid = _check_id("partner", entry.get("id"))
        if pid in seen_partners:
            raise ConfigError(f"partner id {pid!r} appears twice")
        seen_partners.add(pid)
        namespaces = entry.get("namespaces") or []
        if not namespaces or not all(isinstance(n, str) and "://" in n for n in namespaces):
            raise ConfigError(f"partner {pid!r} must declare at least one namespace IRI")
        feeds: list[Feed] = []
        for n, feed in enumerate(entry.get("feed", []), start=1):
            if "url" not in feed:
                raise ConfigError(f"a feed of partner {pid!r} has no url")
            fid = _check_id("feed", feed.get("id", pid if n == 1 else f"{pid}-{n}"))
            if fid in seen_feeds:
                raise ConfigError(f"feed id {fid!r} appears twice")
            seen_feeds.add(fid)
            feeds.append(
                Feed(
                    id=fid,
                    partner_id=pid,
                    url=_resolve_url(feed["url"], harvest.feed_base_url, base_dir),
                    format=feed.get("format"),
                    license=feed.get("license", entry.get("license")),
                )
            )
        partners.append(
            Partner(
                id=pid,
                name=entry.get("name", pid),
                namespaces=tuple(namespaces),
                feeds=tuple(feeds),
                type=entry.get("type"),
                homepage=entry.get("homepage"),
                license=entry.get("license"),
            )
        )
    return Sources(
        path=path,
        harvest=harvest,
        partners=tuple(partners),
        region_files=tuple(region_files),
        server=dict(data.get("server", {})),
    )


@dataclass(frozen=True)
class ServerSettings:
    """Settings of ``bildungsnetz serve``; each field is listed in :data:`SETTINGS`."""

    host: str = "127.0.0.1"
    port: int = 8000
    base_url: str | None = None
    query_timeout_s: float = 30.0
    query_workers: int = 2
    query_lookup_workers: int = 1
    processes: int = 1
    max_result_rows: int = 100_000
    max_request_bytes: int = 1_000_000
    service_allow_list: tuple[str, ...] = ()
    page_size: int = 20
    max_page_size: int = 200
    response_cache_entries: int = 256


SETTINGS: dict[str, str] = {
    "host": "address the server listens on",
    "port": "TCP port the server listens on",
    "base_url": "public address of the server, when behind a proxy (links in responses)",
    "query_timeout_s": "a SPARQL query running longer is stopped and answered with 503",
    "query_workers": "processes that answer SPARQL queries (each can be ended on timeout)",
    "query_lookup_workers": "further query processes kept for short lookups (DESCRIBE, ASK, "
    "small LIMIT), so they never wait behind long aggregations",
    "processes": "server processes accepting requests on the port: the writer, which owns the "
    "store and harvests, and processes - 1 read-only replicas (one per core)",
    "max_result_rows": "SPARQL results larger than this are refused with 413",
    "max_request_bytes": "requests with a larger body are refused with 413",
    "service_allow_list": "SERVICE targets a query may call; empty: SERVICE is refused",
    "page_size": "offers per page of GET /offers unless limit is given",
    "max_page_size": "largest limit GET /offers accepts",
    "response_cache_entries": "finished GET /offers answers kept per process until the data or "
    "the day changes (least recently used go first); 0: none",
}
