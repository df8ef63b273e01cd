"""Rendering validation results for people (text, de/en), programs (JSON) and SHACL tools (Turtle).

* :func:`render_text` — for a course coordinator: per offer with problems its name and IRI, per
  problem the property (the shape's ``sh:name`` in the language, else the path's local name),
  the value, the message and the severity; then a summary line such as
  ``120 Angebote geprüft: 118 gültig, 2 mit Fehlern, 15 Warnungen``. Colour only when
  ``color=True`` (the CLI passes whether stdout is a terminal).
* :func:`render_json` — stable keys, sorted offers::

    {"source": str|null, "conforms": bool,
     "summary": {"offers": int, "valid": int, "invalid": int, "violations": int, "warnings": int},
     "offers": [{"iri", "name", "conforms", "content_hash",
                 "problems": [{"focus", "path", "value", "severity", "component", "shape",
                               "messages": {"de", "en"}, "labels": {lang: name}}]}],
     "other_problems": [problem, …]}

* :func:`render_turtle` — the SHACL ``sh:ValidationReport`` graph as Turtle.
"""

from __future__ import annotations

import io
import json
from typing import Any, Literal

import pyoxigraph as ox
from rich.console import Console
from rich.markup import escape

from importers.state import problem_to_dict
from importers.validate import Problem, ValidationResult

from .namespaces import PREFIXES

__all__ = ["render_json", "render_text", "render_turtle", "summary"]

Lang = Literal["de", "en"]

_WORDS: dict[str, dict[str, str]] = {
    "de": {
        "Violation": "Fehler",
        "Warning": "Warnung",
        "Info": "Hinweis",
        "checked": (
            "{n} Angebote geprüft: {valid} gültig, {invalid} mit Fehlern, {warnings} Warnungen"
        ),
        "other": "Angaben außerhalb der Angebote",
        "value": "Wert",
        "node": "bei",
        "ok": "Alle Angebote sind gültig.",
        "source": "Quelle",
        "none": "keine Angebote (schema:Course) gefunden",
    },
    "en": {
        "Violation": "error",
        "Warning": "warning",
        "Info": "note",
        "checked": "{n} offers checked: {valid} valid, {invalid} with errors, {warnings} warnings",
        "other": "Data outside any offer",
        "value": "value",
        "node": "at",
        "ok": "All offers are valid.",
        "source": "Source",
        "none": "no offers (schema:Course) found",
    },
}
_STYLE = {"Violation": "bold red", "Warning": "yellow", "Info": "cyan"}


def summary(result: ValidationResult) -> dict[str, int]:
    """Counts: offers, valid, invalid, violations, warnings (warnings include infos)."""
    problems = result.problems()
    return {
        "offers": len(result.offers),
        "valid": sum(1 for o in result.offers.values() if o.conforms),
        "invalid": sum(1 for o in result.offers.values() if not o.conforms),
        "violations": sum(1 for p in problems if p.severity == "Violation"),
        "warnings": sum(1 for p in problems if p.severity != "Violation"),
    }


def _local_name(iri: str) -> str:
    for sep in ("#", "/", ":"):
        if sep in iri.rstrip(sep):
            return iri.rstrip(sep).rsplit(sep, 1)[1]
    return iri


def _property(problem: Problem, lang: str) -> str:
    label = problem.label(lang)
    if label:
        return label
    if problem.path:
        return problem.path if " " in problem.path else _local_name(problem.path)
    return ""


def _problem_lines(problem: Problem, lang: Lang, *, focus_differs: bool) -> list[str]:
    words = _WORDS[lang]
    severity = words[problem.severity]
    head = f"[{_STYLE[problem.severity]}]{escape(severity)}[/]"
    prop = _property(problem, lang)
    text = f"  - {head}: " + (f"[bold]{escape(prop)}[/]: " if prop else "")
    text += escape(problem.message(lang))
    lines = [text]
    if problem.value is not None:
        lines.append(f"      {words['value']}: {escape(problem.value)}")
    if focus_differs:
        lines.append(f"      {words['node']}: {escape(problem.focus)}")
    return lines


def render_text(
    result: ValidationResult,
    *,
    lang: Lang = "de",
    source: str | None = None,
    color: bool = False,
    show_valid: bool = False,
) -> str:
    """A readable report; offers without problems are listed only with ``show_valid``."""
    words = _WORDS.get(lang, _WORDS["de"])
    lang = lang if lang in _WORDS else "de"
    out: list[str] = []
    if source:
        out.append(f"[bold]{escape(words['source'])}: {escape(source)}[/]")
    for iri in sorted(result.offers):
        offer = result.offers[iri]
        if not offer.problems and not show_valid:
            continue
        mark = "[green]✓[/]" if offer.conforms else "[bold red]✗[/]"
        title = escape(offer.name) if offer.name else ""
        out.append(f"{mark} [bold]{title}[/] <{escape(iri)}>" if title else f"{mark} <{iri}>")
        for problem in offer.problems:
            out.extend(_problem_lines(problem, lang, focus_differs=problem.focus != iri))
    if result.other_problems:
        out.append(f"[bold]{escape(words['other'])}[/]")
        for problem in result.other_problems:
            out.extend(_problem_lines(problem, lang, focus_differs=True))
    counts = summary(result)
    if not result.offers:
        out.append(words["none"])
    out.append(
        words["checked"].format(
            n=counts["offers"],
            valid=counts["valid"],
            invalid=counts["invalid"],
            warnings=counts["warnings"],
        )
    )
    buffer = io.StringIO()
    console = Console(
        file=buffer,
        force_terminal=color,
        no_color=not color,
        width=10_000,
        highlight=False,
        soft_wrap=True,
    )
    for line in out:
        console.print(line)
    return buffer.getvalue()


#: the problem fields a validation report shows (the feed state keeps more)
_REPORT_FIELDS = ("focus", "path", "value", "severity", "component", "shape", "messages", "labels")


def _problem_dict(problem: Problem) -> dict[str, Any]:
    data = problem_to_dict(problem)
    return {name: data[name] for name in _REPORT_FIELDS}


def render_json(result: ValidationResult, *, source: str | None = None) -> str:
    """The result as JSON with the stable keys listed in the module docstring."""
    document = {
        "source": source,
        "conforms": result.conforms,
        "summary": summary(result),
        "offers": [
            {
                "iri": offer.iri,
                "name": offer.name,
                "conforms": offer.conforms,
                "content_hash": offer.content_hash,
                "problems": [_problem_dict(p) for p in offer.problems],
            }
            for offer in (result.offers[iri] for iri in sorted(result.offers))
        ],
        "other_problems": [_problem_dict(p) for p in result.other_problems],
    }
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def render_turtle(result: ValidationResult) -> str:
    """The SHACL validation report graph as Turtle."""
    prefixes = {p: PREFIXES[p] for p in ("sh", "xsd", "schema", "bn")}
    data = ox.serialize(result.report_graph(), format=ox.RdfFormat.TURTLE, prefixes=prefixes)
    return data.decode("utf-8") if isinstance(data, bytes) else str(data)
