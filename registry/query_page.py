"""The browser page behind ``/sparql``: YASGUI preloaded with the cookbook and our prefixes.

Why YASGUI served from here: researchers get an editor with syntax checks, a result table with
CSV download, the raw response (JSON download) and a chart, without installing anything, and
the registry never loads code from a third-party host. The files come from the npm package
``@zazuko/yasgui`` (pinned in ``package.json``); ``./dev setup`` copies its ``build/`` folder to
``registry/static/yasgui/`` (not committed). A checkout with only ``node_modules`` works too.

Wiring (``registry/app.py``)::

    page = QueryPage()
    app.include_router(sparql_router(pool, settings, html_page=page.html_page))
    app.include_router(page.router)

The SPARQL protocol stays on the same path: ``sparql_router`` calls :meth:`QueryPage.html_page`
only for a GET without a query whose client prefers ``text/html``.
"""

from __future__ import annotations

import json
from pathlib import Path

from fastapi import APIRouter, Request, Response
from fastapi.responses import FileResponse, HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from .cookbook import CookbookQuery, load_cookbook
from .errors import NotFound
from .namespaces import PREFIXES, REGION

__all__ = ["ASSET_FILES", "QueryPage", "asset_dirs", "page_prefixes"]

#: the files of YASGUI's ``build/`` folder the page needs
ASSET_FILES = ("yasgui.min.js", "yasgui.min.css")
_HERE = Path(__file__).resolve().parent
_MEDIA = {".js": "text/javascript", ".css": "text/css"}


def asset_dirs() -> list[Path]:
    """Where the YASGUI files may be, in order: the copy made by set-up, then node_modules."""
    return [
        _HERE / "static" / "yasgui",
        _HERE.parent / "node_modules" / "@zazuko" / "yasgui" / "build",
    ]


def page_prefixes() -> dict[str, str]:
    """Prefixes preloaded in the editor: the project's plus the region and code lists."""
    return {
        **PREFIXES,
        "code": "https://w3id.org/bildungsnetz/code/",
        "region": REGION + "owl/",
        "kldb": "https://w3id.org/bildungsnetz/code/kldb2010/",
        "esco": "http://data.europa.eu/esco/",
        "nuts": "http://data.europa.eu/nuts/code/",
    }


class QueryPage:
    """The ``html_page`` hook for :func:`registry.sparql.sparql_router` and its asset route."""

    def __init__(
        self,
        queries: list[CookbookQuery] | None = None,
        *,
        assets: list[Path] | None = None,
        asset_path: str = "/static/yasgui",
    ) -> None:
        self.queries = queries if queries is not None else load_cookbook()
        self.assets = assets if assets is not None else asset_dirs()
        self.asset_path = asset_path
        env = Environment(
            loader=FileSystemLoader(_HERE / "templates"), autoescape=select_autoescape(["html"])
        )
        self.template = env.get_template("query.html")
        self.router = APIRouter(tags=["sparql"])
        self.router.add_api_route(
            asset_path + "/{name}", self.asset, methods=["GET"], include_in_schema=False
        )

    def asset_dir(self) -> Path | None:
        for folder in self.assets:
            if all((folder / name).is_file() for name in ASSET_FILES):
                return folder
        return None

    async def asset(self, name: str) -> Response:
        folder = self.asset_dir()
        if name not in ASSET_FILES or folder is None:
            raise NotFound(f"no query-page asset {name!r}; run ./dev setup to install YASGUI")
        return FileResponse(
            folder / name,
            media_type=_MEDIA[Path(name).suffix],
            headers={"Cache-Control": "public, max-age=3600"},
        )

    async def html_page(self, request: Request) -> Response:
        endpoint = str(request.url.replace(query="", fragment=""))
        prefixes = "".join(f"PREFIX {p}: <{iri}>\n" for p, iri in page_prefixes().items())
        cookbook = [
            {
                "id": q.id,
                "title": q.title,
                "description": q.description,
                "sparql": q.sparql,
                "chart": q.chart,
            }
            for q in self.queries
        ]
        html = self.template.render(
            endpoint=endpoint,
            assets=self.asset_path,
            installed=self.asset_dir() is not None,
            queries=self.queries,
            config_json=json.dumps(
                {"endpoint": endpoint, "prefixes": prefixes, "cookbook": cookbook},
                ensure_ascii=False,
            ).replace("</", "<\\/"),
        )
        return HTMLResponse(html, headers={"Vary": "Accept"})
