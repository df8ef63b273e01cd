"""The ownership check: a partner describes only subjects in its own namespaces."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from importers.ownership import check_ownership
from registry.errors import OwnershipError

NAME = ox.NamedNode("https://schema.org/name")
ADDRESS = ox.NamedNode("https://schema.org/address")
MINE = "https://mine.example/"
SKOLEM = "https://w3id.org/bildungsnetz/genid/mine/"


def t(s: str, p: ox.NamedNode = NAME, o: ox.NamedNode | ox.Literal | None = None) -> ox.Triple:
    return ox.Triple(ox.NamedNode(s), p, o if o is not None else ox.Literal("x"))


def test_foreign_subjects_are_dropped_and_sampled() -> None:
    data = [t(MINE + "a"), t("https://other.example/b"), t("https://other.example/c")]
    result = check_ownership(data, namespaces=[MINE], source_id="mine")
    assert result.kept == [data[0]]
    assert result.dropped == 2 and result.dropped_subjects == 2
    assert result.sample == ("https://other.example/b", "https://other.example/c")


def test_own_skolem_nodes_are_kept_when_reached_from_owned_subjects() -> None:
    own_addr = SKOLEM + "1"
    foreign_addr = SKOLEM + "2"
    data = [
        t(MINE + "place", ADDRESS, ox.NamedNode(own_addr)),
        t(own_addr),
        t("https://other.example/place", ADDRESS, ox.NamedNode(foreign_addr)),
        t(foreign_addr),
        t("https://w3id.org/bildungsnetz/genid/someone-else/9"),
    ]
    result = check_ownership(data, namespaces=[MINE], source_id="mine")
    assert set(result.kept) == {data[0], data[1]}
    assert result.dropped == 3


def test_nothing_left_is_an_ownership_error() -> None:
    with pytest.raises(OwnershipError) as info:
        check_ownership([t("https://other.example/b")], namespaces=[MINE], source_id="mine")
    assert info.value.details["dropped"] == 1


def test_prefix_must_match_the_declared_namespace() -> None:
    # "https://mine.example.evil/" starts with "https://mine.example" but not with the namespace
    data = [t(MINE + "a"), t("https://mine.example.evil/x")]
    assert check_ownership(data, namespaces=[MINE], source_id="mine").dropped == 1
