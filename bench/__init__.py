"""Benchmarks: scripts that print figures and ratios against a baseline measured in the same run.

Run them with ``./dev bench NAME`` (``python -m bench NAME``); see ``bench/README.md``. They
are not timed tests: ``tests/test_bench_smoke.py`` only checks that each still runs at a tiny
size and prints its figures.
"""

__all__: list[str] = []
