"""Ownership stage: a partner may only describe subjects in the namespaces it declared.

Why: without this check one publisher's feed could overwrite (or add to) another's offers —
the CKAN harvest failure where a feed "adopts" records it does not own. A triple whose subject
lies outside the partner's namespaces is dropped; the skolem IRIs minted for blank nodes of the
same feed (``genid/{source}/…``) are the feed's own. Objects are not checked: linking to other
partners' offers, to code lists or to ESCO is what linked data is for.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import pyoxigraph as ox

from registry.errors import OwnershipError
from registry.namespaces import GENID

__all__ = ["OwnershipResult", "all_foreign", "check_ownership"]

#: how many foreign subjects a report lists by name
SAMPLE_SIZE = 10


@dataclass(frozen=True)
class OwnershipResult:
    """The triples kept, and what was dropped (count and a sorted sample of subjects)."""

    kept: list[ox.Triple]
    dropped: int = 0
    dropped_subjects: int = 0
    sample: tuple[str, ...] = field(default_factory=tuple)


def _subject_text(term: object) -> str:
    return term.value if isinstance(term, ox.NamedNode) else str(term)


def check_ownership(
    triples: Iterable[ox.Triple], *, namespaces: Sequence[str], source_id: str
) -> OwnershipResult:
    """Keep the triples whose subject the partner owns; raise :class:`OwnershipError` when
    there were triples and none is left (the feed describes only someone else's data)."""
    skolem = f"{GENID}{source_id}/"
    data = list(triples)
    by_subject: dict[str, list[ox.Triple]] = {}
    kept: list[ox.Triple] = []
    foreign: set[str] = set()
    dropped = 0
    for t in data:
        subject = t.subject
        if isinstance(subject, ox.NamedNode) and subject.value.startswith(skolem):
            by_subject.setdefault(subject.value, []).append(t)
        elif isinstance(subject, ox.NamedNode) and subject.value.startswith(tuple(namespaces)):
            kept.append(t)
        else:
            dropped += 1
            foreign.add(_subject_text(subject))
    # the feed's own skolem nodes count only where an owned subject reaches them: the address
    # node of another partner's place would otherwise survive as an orphan
    queue = [t.object.value for t in kept if isinstance(t.object, ox.NamedNode)]
    while queue:
        for t in by_subject.pop(queue.pop(), ()):
            kept.append(t)
            if isinstance(t.object, ox.NamedNode):
                queue.append(t.object.value)
    for orphans in by_subject.values():
        dropped += len(orphans)
    sample = tuple(sorted(foreign)[:SAMPLE_SIZE])
    if dropped and not kept:
        raise all_foreign(source_id, dropped, namespaces, sample)
    return OwnershipResult(kept=kept, dropped=dropped, dropped_subjects=len(foreign), sample=sample)


def all_foreign(
    source_id: str, dropped: int, namespaces: Sequence[str], sample: Sequence[str]
) -> OwnershipError:
    """The error of a feed whose every triple describes another partner's subjects."""
    return OwnershipError(
        f"feed {source_id!r}: all {dropped} triples describe subjects outside the "
        f"partner's namespaces ({', '.join(namespaces)}), e.g. {sample[0]}",
        source=source_id,
        dropped=dropped,
        sample=list(sample),
    )
