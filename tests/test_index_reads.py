"""Readers of the offer index see each re-index as soon as it is committed.

The serving threads keep one SQLite connection each for their life; a read transaction left
open on one of them (facet counting writes a temporary table, which opens one implicitly)
would pin that thread to the data of its first counted search, so the API would disagree
with the store after the next harvest."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from webapp import example_store

from registry.catalogue import Catalogue
from registry.offer_index import OfferFilters, OfferIndex


class _Reader:
    """One long-lived thread, as a server's worker thread is."""

    def __init__(self) -> None:
        self.jobs: queue.Queue[Callable[[], Any]] = queue.Queue()
        self.out: queue.Queue[Any] = queue.Queue()
        threading.Thread(target=self._loop, daemon=True).start()

    def _loop(self) -> None:
        while True:
            job = self.jobs.get()
            self.out.put(job())

    def __call__(self, job: Callable[[], Any]) -> Any:
        self.jobs.put(job)
        return self.out.get(timeout=60)


@pytest.mark.parametrize("facets", [False, True])
@pytest.mark.parametrize("q", [None, "Excel"])
def test_a_reader_thread_sees_the_next_reindex(tmp_path: Path, facets: bool, q: str | None) -> None:
    store = example_store(tmp_path / "store")
    index = OfferIndex(tmp_path / "store" / "offers.sqlite")
    catalogue = Catalogue(store, index, None)
    catalogue.refresh(publish=False)
    reader = _Reader()
    wanted = OfferFilters.parse(q=q, today=date(2026, 3, 1), include_past=True)

    def offers() -> set[str]:
        page = index.search(wanted, limit=200, facets=facets)
        return {item["iri"] for item in page.items}

    before = reader(offers)
    source = next(s for s in index.sources() if any(r[0] == s for r in index.rows()))
    held = {r[1] for r in index.rows() if r[0] == source}
    index.replace_source(source, [])
    after = reader(offers)
    assert before and after == before - held
    assert reader(lambda: index.count(source)) == 0
    catalogue.refresh([source], publish=False)
    assert reader(offers) == before
    index.close()
    store.close()
