"""A store behind a SPARQL 1.1 Protocol + Graph Store Protocol server, over httpx.

Tested against the Oxigraph server (``oxigraph serve``), whose endpoints are the defaults:
``/query``, ``/update`` and ``/store``; other servers name theirs in the constructor.

How it keeps the :class:`~registry.store.Store` promises:

* **Union default graph**: queries without ``default_graph`` are sent with Oxigraph's
  ``union-default-graph`` parameter. A server without it needs its own union setting.
* **Diff swaps**: :meth:`replace_graph` reads the graph (GSP GET, N-Triples), computes the
  difference and sends one SPARQL update (``DELETE DATA`` + ``INSERT DATA``), which the server
  runs as one transaction, so readers see the old or the new graph.
* Results come back as pyoxigraph objects (``QuerySolutions``/``QueryBoolean`` parsed from
  SPARQL JSON results; CONSTRUCT/DESCRIBE as a list of triples).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import httpx
import pyoxigraph as ox

from .errors import QuerySyntaxError, RegistryError
from .store import GraphDelta, QueryResult, Store

__all__ = ["RemoteStore"]


def _nt(triples: Iterable[ox.Triple]) -> str:
    return (ox.serialize(list(triples), format=ox.RdfFormat.N_TRIPLES) or b"").decode("utf-8")


class RemoteStore(Store):
    """A remote SPARQL store at ``base_url`` (``http://host:port``)."""

    def __init__(
        self,
        base_url: str,
        *,
        query_path: str = "/query",
        update_path: str = "/update",
        store_path: str = "/store",
        timeout_s: float = 60.0,
        client: httpx.Client | None = None,
    ) -> None:
        base = base_url.rstrip("/")
        self.query_url = base + query_path
        self.update_url = base + update_path
        self.store_url = base + store_path
        self._own = client is None
        self._client = client or httpx.Client(timeout=timeout_s, trust_env=False)

    # -- transport ---------------------------------------------------------------------------
    def _send(self, method: str, url: str, **kw: Any) -> httpx.Response:
        try:
            response = self._client.request(method, url, **kw)
        except httpx.HTTPError as exc:
            raise RegistryError(f"remote store {url}: {exc}") from exc
        if response.status_code == 400:
            raise QuerySyntaxError(response.text.strip()[:500])
        if response.status_code >= 400 and not (method == "GET" and response.status_code == 404):
            raise RegistryError(
                f"remote store {url}: HTTP {response.status_code}: {response.text.strip()[:300]}"
            )
        return response

    # -- reading ---------------------------------------------------------------------------
    def query(
        self,
        sparql: str,
        *,
        default_graph: Sequence[str] | None = None,
        named_graphs: Sequence[str] | None = None,
    ) -> QueryResult:
        params: list[tuple[str, str]] = []
        if default_graph:
            params += [("default-graph-uri", g) for g in default_graph]
        else:
            params.append(("union-default-graph", ""))
        params += [("named-graph-uri", g) for g in named_graphs or ()]
        response = self._send(
            "POST",
            self.query_url,
            params=params,
            content=sparql.encode("utf-8"),
            headers={
                "Content-Type": "application/sparql-query",
                "Accept": "application/sparql-results+json, application/n-triples;q=0.9",
            },
        )
        media = response.headers.get("content-type", "").split(";")[0].strip()
        if media == "application/n-triples":
            triples = [q.triple for q in ox.parse(response.content, ox.RdfFormat.N_TRIPLES)]
            return triples  # type: ignore[return-value]  # a list of triples stands in
        return ox.parse_query_results(response.content, format=ox.QueryResultsFormat.JSON)

    def triples(self, graph: str) -> Iterator[ox.Triple]:
        response = self._send(
            "GET",
            self.store_url,
            params={"graph": graph},
            headers={"Accept": "application/n-triples"},
        )
        if response.status_code == 404:
            return iter(())
        return (q.triple for q in ox.parse(response.content, ox.RdfFormat.N_TRIPLES))

    def named_graphs(self) -> list[str]:
        result = self.query("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
        assert isinstance(result, ox.QuerySolutions)
        return sorted(row["g"].value for row in result)

    def dump(self, format: ox.RdfFormat, *, graph: str | None = None) -> bytes:
        params = {"graph": graph} if graph is not None else {}
        response = self._send(
            "GET", self.store_url, params=params, headers={"Accept": format.media_type}
        )
        return b"" if response.status_code == 404 else response.content

    # -- writing -----------------------------------------------------------------------------
    def update(self, sparql: str) -> None:
        self._send(
            "POST",
            self.update_url,
            content=sparql.encode("utf-8"),
            headers={"Content-Type": "application/sparql-update"},
        )

    def add(self, graph: str, triples: Iterable[ox.Triple]) -> None:
        data = _nt(triples)
        if data:
            self._send(
                "POST",
                self.store_url,
                params={"graph": graph},
                content=data.encode("utf-8"),
                headers={"Content-Type": "application/n-triples"},
            )

    def remove_graph(self, graph: str) -> None:
        self.update(f"DROP SILENT GRAPH <{graph}>")

    def replace_graph(self, graph: str, triples: Iterable[ox.Triple]) -> GraphDelta:
        new = set(triples)
        old = set(self.triples(graph))
        to_add, to_remove = new - old, old - new
        parts = []
        if to_remove:
            parts.append(f"DELETE DATA {{ GRAPH <{graph}> {{ {_nt(to_remove)} }} }}")
        if to_add:
            parts.append(f"INSERT DATA {{ GRAPH <{graph}> {{ {_nt(to_add)} }} }}")
        if parts:
            self.update(" ;\n".join(parts))
        return GraphDelta(added=len(to_add), removed=len(to_remove))

    def close(self) -> None:
        if self._own:
            self._client.close()
