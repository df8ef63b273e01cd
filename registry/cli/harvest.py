"""``bildungsnetz harvest`` and ``bildungsnetz report``: thin commands over importers.pipeline.

Exit codes (the contract in ARCHITECTURE.md): 0 when every source was harvested or kept its
last good graph for a reported reason; 2 on configuration errors (unreadable sources file,
unknown source id, store that cannot be opened).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from importers.pipeline import harvest as run_harvest
from importers.record import RunRecord, read_runs
from importers.state import load_state, offer_details

from ..config import load_sources
from ..errors import ConfigError, InvalidParameter
from ..store import Store, open_store

_TEXTS = {
    "de": {
        "title": "Ernte-Bericht für {name}",
        "feed": "Quelle {id}",
        "when": "Lauf {start} bis {end}",
        "outcome": "Ergebnis: {outcome}",
        "counts": "{published} Angebote veröffentlicht, {rejected} zurückgewiesen, "
        "{warnings} mit Hinweisen",
        "changes": "Änderungen: {added} neu, {removed} entfernt, {changed} geändert",
        "dropped": "{n} Tripel über fremde Subjekte verworfen, z. B.: {sample}",
        "never": "Noch nie geerntet.",
        "violation": "Fehler",
        "warning": "Hinweis",
        "Published": "veröffentlicht",
        "NotModified": "unverändert (HTTP 304)",
        "Unchanged": "unverändert (gleicher Inhalt)",
        "FetchFailed": "Abruf fehlgeschlagen – letzter guter Stand bleibt",
        "ParseFailed": "nicht lesbar – letzter guter Stand bleibt",
        "EmptyFeed": "leer – letzter guter Stand bleibt",
        "OwnershipRefused": "nur fremde Angebote – letzter guter Stand bleibt",
        "CollapseGuarded": "keine gültigen Angebote mehr – letzter guter Stand bleibt",
        "Failed": "unerwarteter Fehler – letzter guter Stand bleibt",
    },
    "en": {
        "title": "Harvest report for {name}",
        "feed": "Source {id}",
        "when": "Run {start} to {end}",
        "outcome": "Outcome: {outcome}",
        "counts": "{published} offers published, {rejected} rejected, {warnings} with warnings",
        "changes": "Changes: {added} added, {removed} removed, {changed} changed",
        "dropped": "{n} triples about others' subjects dropped, e.g.: {sample}",
        "never": "Never harvested.",
        "violation": "error",
        "warning": "warning",
        "Published": "published",
        "NotModified": "not modified (HTTP 304)",
        "Unchanged": "unchanged (same content)",
        "FetchFailed": "fetch failed – last good state kept",
        "ParseFailed": "unreadable – last good state kept",
        "EmptyFeed": "empty – last good state kept",
        "OwnershipRefused": "only others' offers – last good state kept",
        "CollapseGuarded": "no valid offers any more – last good state kept",
        "Failed": "unexpected error – last good state kept",
    },
}


def _open(store: str) -> Store:
    try:
        return open_store(store)
    except ConfigError:
        raise
    except Exception as exc:  # the store's own errors are RegistryErrors already
        raise ConfigError(f"cannot open the store {store}: {exc}") from exc


def _table(records: list[RunRecord]) -> Table:
    table = Table("source", "status", "published", "rejected", "warnings", "changes", "note")
    for r in records:
        changes = f"+{len(r.added)} −{len(r.removed)} ~{len(r.changed)}"
        note = (r.message or "")[:80]
        if r.triples_dropped:
            note = (note + f" {r.triples_dropped} foreign triples dropped").strip()
        table.add_row(
            r.feed_id,
            r.outcome,
            str(r.offers_published),
            str(r.offers_rejected),
            str(r.offers_with_warnings),
            changes,
            note,
        )
    return table


def harvest(
    config: Path = typer.Option(..., "--config", help="sources file (TOML)"),
    store: str = typer.Option(..., "--store", help="store directory (or http(s) URL)"),
    source: list[str] = typer.Option(None, "--source", help="feed or partner id (repeatable)"),
) -> None:
    """Harvest the partner feeds into the store.

    Example: ``bildungsnetz harvest --config examples/sources.toml --store data/``
    """
    sources = load_sources(config)
    sources.select(source)  # unknown ids are a configuration error before anything runs
    console = Console(stderr=True)
    with _open(store) as target:
        if console.is_terminal:
            with Progress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                TimeElapsedColumn(),
                console=console,
                transient=True,
            ) as progress:
                tasks: dict[str, TaskID] = {}

                def on_event(feed_id: str, stage: str) -> None:
                    if feed_id not in tasks:
                        tasks[feed_id] = progress.add_task(feed_id)
                    progress.update(tasks[feed_id], description=f"{feed_id}: {stage}")

                def on_done(record: RunRecord) -> None:
                    progress.update(
                        tasks[record.feed_id], description=f"{record.feed_id}: {record.outcome}"
                    )

                records = run_harvest(
                    sources, target, feed_ids=source, on_event=on_event, on_done=on_done
                )
        else:

            def log(record: RunRecord) -> None:
                typer.echo(
                    f"harvest {record.feed_id}: {record.outcome} "
                    f"published={record.offers_published} rejected={record.offers_rejected} "
                    f"warnings={record.offers_with_warnings}"
                    + (f" ({record.message})" if record.message else ""),
                    err=True,
                )

            records = run_harvest(sources, target, feed_ids=source, on_done=log)
    Console().print(_table(records))


def _render_text(
    partner_name: str, runs: list[tuple[str, dict[str, Any] | None]], lang: str
) -> str:
    t = _TEXTS[lang]
    lines = [t["title"].format(name=partner_name), ""]
    for feed_id, run in runs:
        lines.append(t["feed"].format(id=feed_id))
        if run is None:
            lines += ["  " + t["never"], ""]
            continue
        outcome = str(run.get("outcome", ""))
        lines.append(
            "  " + t["when"].format(start=run.get("startedAtTime"), end=run.get("endedAtTime"))
        )
        lines.append("  " + t["outcome"].format(outcome=t.get(outcome, outcome)))
        if run.get("message"):
            lines.append(f"  {run['message']}")
        lines.append(
            "  "
            + t["counts"].format(
                published=run.get("offersPublished", 0),
                rejected=run.get("offersRejected", 0),
                warnings=run.get("offersWithWarnings", 0),
            )
        )
        lines.append(
            "  "
            + t["changes"].format(
                added=len(run.get("offerAdded", [])),
                removed=len(run.get("offerRemoved", [])),
                changed=len(run.get("offerChanged", [])),
            )
        )
        if run.get("triplesDropped"):
            sample = ", ".join(run.get("droppedSubject", [])[:3])
            lines.append("  " + t["dropped"].format(n=run["triplesDropped"], sample=sample))
        for offer in run.get("reportDetails", []) or []:
            lines.append(f"  – {offer.get('name') or offer['iri']} <{offer['iri']}>")
            for p in offer["problems"]:
                kind = t["violation"] if p["severity"] == "Violation" else t["warning"]
                message = p["messages"].get(lang) or next(iter(p["messages"].values()), "")
                lines.append(f"      {kind}: {message}")
        lines.append("")
    return "\n".join(lines)


def report(
    partner: str = typer.Argument(..., help="partner id"),
    config: Path = typer.Option(..., "--config", help="sources file (TOML)"),
    store: str = typer.Option(..., "--store", help="store directory (or http(s) URL)"),
    lang: str = typer.Option("de", "--lang", help="de or en"),
    format: str = typer.Option("text", "--format", help="text or json"),
) -> None:
    """Show a partner what the last harvest of each of its feeds did.

    Example: ``bildungsnetz report technikakademie-lippe --config sources.toml --store data/``
    """
    if lang not in _TEXTS:
        raise InvalidParameter(f"--lang must be de or en, not {lang!r}", parameter="lang")
    if format not in {"text", "json"}:
        raise InvalidParameter(f"--format must be text or json, not {format!r}", parameter="format")
    sources = load_sources(config)
    chosen = sources.partner(partner)
    with _open(store) as target:
        runs = []
        for feed in chosen.feeds:
            found = read_runs(target, feed.iri, limit=1)
            run = found[0] if found else None
            if run is not None and "reportDetails" not in run:
                # the problems of what is published: the feed state's per-offer reports
                run["reportDetails"] = offer_details(load_state(target, feed.id).offers)
            runs.append((feed.id, run))
    if format == "json":
        payload = {
            "partner": chosen.id,
            "name": chosen.name,
            "feeds": [{"feed": fid, "last_run": run} for fid, run in runs],
        }
        sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2, default=str) + "\n")
    else:
        sys.stdout.write(_render_text(chosen.name, runs, lang) + "\n")


def register(app: typer.Typer) -> None:
    app.command()(harvest)
    app.command()(report)
