"""A fixed-duration, fixed-concurrency HTTP load against a list of request paths.

Why: the benchmarks' servers run on the same 2 cores as the load. 32 Python httpx clients
used most of the CPU themselves, so their latencies said more about the client than about the
server. ``wrk`` (one thread, N connections, an event loop in C) needs a few percent of a core
for the same load. A Lua script cycles through the paths (one request function per thread;
with one thread the connections share one round-robin counter, so consecutive requests differ)
and prints one parseable summary line in ``done()``.

When ``wrk`` is not installed the same load runs from ``clients`` httpx clients in this process
(``generator == "python httpx"``), so the benchmarks still run everywhere; the output names the
generator that ran and, for that case, how to install wrk. Next to the figures stands the CPU
time the generator and the server used, as a share of the machine's cores, so a reader sees
who took the CPU.

Percentiles: wrk's latency object (microseconds, responses of every status, no timeouts) and,
for httpx, the exact order statistic of the successful requests.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import random
import resource
import shutil
import subprocess
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psutil

from .common import Report

__all__ = [
    "INSTALL_HINT",
    "LUA_SCRIPT",
    "LoadResult",
    "LoadSummary",
    "add_to_report",
    "cpu_seconds",
    "run",
    "run_load",
    "wrk_path",
]

INSTALL_HINT = (
    "install wrk for a load generator that leaves the CPU to the server: apt-get install wrk"
)

#: the wrk script: ``init`` reads the paths file (args: file, start offset), ``request`` cycles,
#: ``response`` counts non-2xx by status, ``done`` prints ``WRK_SUMMARY {json}`` (latency in µs)
LUA_SCRIPT = r"""
paths = {}
count = 0
at = 0
non2xx = 0
statuses = {}

function init(args)
  for line in io.lines(args[1]) do
    if #line > 0 then
      count = count + 1
      paths[count] = line
    end
  end
  at = (tonumber(args[2]) or 0) % count
end

function request()
  at = at % count + 1
  return wrk.format("GET", paths[at])
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
    local key = tostring(status)
    statuses[key] = (statuses[key] or 0) + 1
  end
end

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function done(summary, latency, requests)
  local bad = 0
  local codes = {}
  for _, thread in ipairs(threads) do
    bad = bad + thread:get("non2xx")
    for key, n in pairs(thread:get("statuses")) do
      codes[key] = (codes[key] or 0) + n
    end
  end
  local parts = {}
  for key, n in pairs(codes) do
    table.insert(parts, string.format('"%s":%d', key, n))
  end
  local e = summary.errors
  io.write(string.format(
    'WRK_SUMMARY {"requests":%d,"duration_us":%d,"bytes":%d,"connect":%d,"read":%d,' ..
    '"write":%d,"timeout":%d,"status_ge_400":%d,"non2xx":%d,"statuses":{%s},' ..
    '"p50_us":%d,"p95_us":%d,"p99_us":%d,"max_us":%d,"mean_us":%.1f}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write,
    e.timeout, e.status, bad, table.concat(parts, ","),
    latency:percentile(50), latency:percentile(95), latency:percentile(99),
    latency.max, latency.mean))
end
"""


def wrk_path() -> str | None:
    """The ``wrk`` executable on PATH, or None."""
    return shutil.which("wrk")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` and its live descendants (SPARQL workers)."""
    try:
        proc = psutil.Process(pid)
        procs = [proc, *proc.children(recursive=True)]
    except psutil.Error:
        return 0.0
    total = 0.0
    for p in procs:
        try:
            t = p.cpu_times()
        except psutil.Error:
            continue
        total += t.user + t.system
    return total


@dataclass
class LoadSummary:
    """What one load run measured; latencies in milliseconds."""

    generator: str
    connections: int
    seconds: float
    requests: int
    errors: dict[str, int]
    statuses: dict[str, int]
    p50_ms: float
    p95_ms: float
    p99_ms: float
    generator_cpu_s: float
    server_cpu_s: float | None
    load_before: float
    load_after: float
    paths: int
    notes: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float:
        """Responses per second, of any status."""
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    def core_share(self, cpu_s: float | None) -> float | None:
        """``cpu_s`` as a share of all cores over the run (1.0 = the whole machine)."""
        if cpu_s is None or not self.seconds:
            return None
        return cpu_s / (self.seconds * (os.cpu_count() or 1))


@dataclass
class LoadResult:
    """The httpx loop's raw result: latencies of the successful requests, in seconds."""

    requests: int
    errors: int
    seconds: float
    latencies: list[float]
    by_label: dict[str, list[float]] = field(default_factory=dict)
    statuses: dict[str, int] = field(default_factory=dict)
    kinds: dict[str, int] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def run_load(
    send: Callable[[httpx.AsyncClient, int], Awaitable[httpx.Response]],
    clients: int,
    duration_s: float,
    max_requests: int | None = None,
    label: Callable[[int], str] | None = None,
) -> LoadResult:
    """``clients`` concurrent loops calling ``await send(client, n)`` until the time is up."""
    latencies: list[float] = []
    by_label: dict[str, list[float]] = {}
    statuses: dict[str, int] = {}
    kinds: dict[str, int] = {}
    counter = 0
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    started = time.perf_counter()
    deadline = started + duration_s

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal counter
        while time.perf_counter() < deadline and (max_requests is None or counter < max_requests):
            n = counter
            counter += 1
            t0 = time.perf_counter()
            try:
                response = await send(client, n)
            except httpx.TimeoutException:
                kinds["timeout"] = kinds.get("timeout", 0) + 1
                continue
            except httpx.HTTPError as exc:
                kind = "connect" if isinstance(exc, httpx.ConnectError) else "read"
                kinds[kind] = kinds.get(kind, 0) + 1
                continue
            if 200 <= response.status_code <= 299:
                latencies.append(time.perf_counter() - t0)
                if label is not None:
                    by_label.setdefault(label(n), []).append(latencies[-1])
            else:
                key = str(response.status_code)
                statuses[key] = statuses.get(key, 0) + 1
                kinds["non2xx"] = kinds.get("non2xx", 0) + 1

    timeout = httpx.Timeout(duration_s + 60)
    async with httpx.AsyncClient(limits=limits, timeout=timeout, trust_env=False) as client:
        await asyncio.gather(*(worker(client) for _ in range(clients)))
    seconds = time.perf_counter() - started
    errors = sum(kinds.values())
    return LoadResult(len(latencies), errors, seconds, latencies, by_label, statuses, kinds)


def _order(paths: Sequence[str], seed: int | None) -> list[str]:
    out = list(paths)
    if seed is not None:
        random.Random(seed).shuffle(out)
    return out


def run(
    base_url: str,
    paths: Sequence[str],
    *,
    connections: int,
    duration_s: float,
    server_pid: int | None = None,
    seed: int | None = None,
    generator: str = "auto",
    timeout_s: float | None = None,
) -> LoadSummary:
    """Load ``base_url`` + each of ``paths`` (cycled, in a ``seed``-shuffled order when given)
    from ``connections`` connections for ``duration_s`` seconds.

    ``generator``: ``auto`` (wrk when installed, else httpx), ``wrk`` or ``python``.
    ``server_pid``: the server process whose CPU time (with its children) is reported.
    """
    if not paths:
        raise ValueError("no request paths")
    if any(not p.startswith("/") for p in paths):
        raise ValueError("request paths must start with /")
    ordered = _order(paths, seed)
    use_wrk = generator == "wrk" or (generator == "auto" and wrk_path() is not None)
    if generator == "wrk" and wrk_path() is None:
        raise RuntimeError(f"wrk is not installed; {INSTALL_HINT}")
    timeout = timeout_s if timeout_s is not None else max(30.0, duration_s)
    load_before = os.getloadavg()[0]
    server_before = cpu_seconds(server_pid) if server_pid is not None else None
    if use_wrk:
        summary = _run_wrk(base_url, ordered, connections, duration_s, timeout, seed or 0)
    else:
        summary = _run_python(base_url, ordered, connections, duration_s, timeout)
        if generator == "auto":
            summary.notes.append(f"wrk not found, httpx clients ran; {INSTALL_HINT}")
    if server_pid is not None and server_before is not None:
        summary.server_cpu_s = cpu_seconds(server_pid) - server_before
    summary.load_before = load_before
    summary.load_after = os.getloadavg()[0]
    summary.paths = len(ordered)
    return summary


def _wrk_version(exe: str) -> str:
    """``wrk 4.1.0-…`` from the first line wrk prints for ``-v``."""
    done = subprocess.run([exe, "-v"], capture_output=True, text=True, timeout=10)
    first = (done.stdout or done.stderr).strip().splitlines()
    words = first[0].split() if first else []
    return " ".join(words[:2]) if words else "wrk"


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _run_wrk(
    base_url: str,
    paths: list[str],
    connections: int,
    duration_s: float,
    timeout_s: float,
    offset: int,
) -> LoadSummary:
    exe = wrk_path()
    assert exe is not None
    with tempfile.TemporaryDirectory(prefix="bn-wrk-") as tmp:
        script = Path(tmp) / "cycle.lua"
        script.write_text(LUA_SCRIPT, encoding="utf-8")
        listing = Path(tmp) / "paths.txt"
        listing.write_text("\n".join(paths) + "\n", encoding="utf-8")
        seconds = max(1, math.ceil(duration_s))  # wrk takes whole seconds
        cmd = [
            exe,
            "-t1",
            f"-c{connections}",
            f"-d{seconds}s",
            f"--timeout={math.ceil(timeout_s)}s",
            "-s",
            str(script),
            base_url.rstrip("/") + "/",
            "--",
            str(listing),
            str(offset),
        ]
        cpu_before = _children_cpu()
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + timeout_s + 30)
        generator_cpu = _children_cpu() - cpu_before
    line = next((x for x in done.stdout.splitlines() if x.startswith("WRK_SUMMARY ")), None)
    if done.returncode != 0 or line is None:
        said = done.stderr[-500:] or done.stdout[-500:]
        raise RuntimeError(f"wrk failed ({done.returncode}): {said}")
    data: dict[str, Any] = json.loads(line.removeprefix("WRK_SUMMARY "))
    errors = {k: int(data[k]) for k in ("connect", "read", "write", "timeout", "non2xx") if data[k]}
    return LoadSummary(
        generator=f"{_wrk_version(exe)} (1 thread, {connections} connections)",
        connections=connections,
        seconds=data["duration_us"] / 1e6,
        requests=int(data["requests"]),
        errors=errors,
        statuses={k: int(v) for k, v in data["statuses"].items()},
        p50_ms=data["p50_us"] / 1000,
        p95_ms=data["p95_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        generator_cpu_s=generator_cpu,
        server_cpu_s=None,
        load_before=0.0,
        load_after=0.0,
        paths=len(paths),
    )


def _run_python(
    base_url: str, paths: list[str], clients: int, duration_s: float, timeout_s: float
) -> LoadSummary:
    base = base_url.rstrip("/")

    async def send(client: httpx.AsyncClient, n: int) -> httpx.Response:
        return await client.get(base + paths[n % len(paths)], timeout=timeout_s)

    me = psutil.Process()
    before = me.cpu_times()
    result = asyncio.run(run_load(send, clients, duration_s))
    after = me.cpu_times()
    ms = [1000 * result.percentile(p) for p in (50, 95, 99)]
    return LoadSummary(
        generator=f"python httpx ({clients} clients in the benchmark process)",
        connections=clients,
        seconds=result.seconds,
        requests=result.requests + result.kinds.get("non2xx", 0),
        errors=dict(result.kinds),
        statuses=dict(result.statuses),
        p50_ms=ms[0],
        p95_ms=ms[1],
        p99_ms=ms[2],
        generator_cpu_s=(after.user + after.system) - (before.user + before.system),
        server_cpu_s=None,
        load_before=0.0,
        load_after=0.0,
        paths=len(paths),
    )


def _share(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.0f} % of {os.cpu_count()} cores"


def add_to_report(
    report: Report,
    label: str,
    summary: LoadSummary,
    *,
    p95_target: str = "",
    p95_met: bool | None = None,
) -> None:
    """The load figures as lines of ``report``: rate, p50/p95/p99, CPU of generator and server."""
    errors = ", ".join(f"{k} {v}" for k, v in sorted(summary.errors.items())) or "none"
    report.add(
        f"{label}: throughput",
        summary.rate,
        "requests/s",
        note=f"{summary.requests:,} responses in {summary.seconds:.1f} s; errors: {errors}",
    )
    report.add(f"{label}: p50", summary.p50_ms, "ms")
    report.add(f"{label}: p95", summary.p95_ms, "ms", target=p95_target, met=p95_met)
    report.add(f"{label}: p99", summary.p99_ms, "ms")
    report.add(
        f"{label}: generator CPU",
        summary.generator_cpu_s,
        "s",
        note=_share(summary.core_share(summary.generator_cpu_s)),
    )
    report.add(
        f"{label}: server CPU",
        summary.server_cpu_s,
        "s",
        note=_share(summary.core_share(summary.server_cpu_s)),
    )
    report.notes.append(
        f"{label}: generator {summary.generator}, {summary.paths} distinct paths cycled; "
        f"load average {summary.load_before:.2f} before, {summary.load_after:.2f} after"
    )
    if summary.statuses:
        report.notes.append(f"{label}: non-2xx answers by status {summary.statuses}")
    report.notes.extend(f"{label}: {n}" for n in summary.notes)
