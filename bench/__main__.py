"""``python -m bench NAME [args]``: run one benchmark, or ``all`` at its default size.

Names: ``harvest`` (bench/harvest_bench.py), ``serve`` (bench/serve_bench.py), ``search``
(bench/search_bench.py: in-process and over HTTP), ``corpus`` (write a corpus to a directory,
for runs by hand), ``all``. The HTTP loads use wrk when it is installed (bench/loadgen.py).
"""

from __future__ import annotations

import sys
from collections.abc import Callable

__all__ = ["main"]


def _benchmarks() -> dict[str, Callable[[list[str]], int]]:
    from . import corpus_cli, harvest_bench, search_bench, serve_bench

    return {
        "harvest": harvest_bench.main,
        "serve": serve_bench.main,
        "search": search_bench.main,
        "corpus": corpus_cli.main,
    }


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    benches = _benchmarks()
    if not args or args[0] in {"-h", "--help"}:
        print(__doc__)
        return 0 if args else 2
    name, rest = args[0], args[1:]
    if name == "all":
        return max(benches[n](list(rest)) for n in ("harvest", "serve"))
    if name not in benches:
        print(
            f"bench: unknown benchmark {name!r}; choose from {', '.join([*benches, 'all'])}",
            file=sys.stderr,
        )
        return 2
    return benches[name](rest)


if __name__ == "__main__":
    sys.exit(main())
