"""``python -m bench corpus DIR --offers N --partners M``: write a corpus for runs by hand.

Writes ``DIR/feeds/*.ttl`` and ``DIR/sources.toml``; harvest it with
``bildungsnetz harvest --config DIR/sources.toml --store STORE`` (feeds resolve to ``file:``
URIs) or serve ``DIR`` over HTTP and pass ``feed_base_url``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from .corpus import generate, write_corpus

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench corpus", description=__doc__.split("\n")[0])
    parser.add_argument("directory", type=Path)
    parser.add_argument("--offers", type=int, default=10_000)
    parser.add_argument("--partners", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    if args.offers < 1 or args.partners < 1 or args.partners > args.offers:
        parser.error("need 1 ≤ partners ≤ offers")
    path = write_corpus(generate(args.offers, args.partners, args.seed), args.directory)
    print(f"wrote {args.offers:,} offers in {args.partners} feeds; sources file {path}")
    return 0
