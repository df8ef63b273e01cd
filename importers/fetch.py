"""Fetch stage: one feed URL → bytes, bounded in time, size and hops.

Why each guard (the known failures of CKAN harvest and piveau that this module prevents):

* **Conditional GET** (``If-None-Match``/``If-Modified-Since``): an unchanged feed costs one
  small request and a 304, nothing is parsed.
* **Wall-time deadline**: httpx timeouts are per read, so a server dripping one byte a second
  would keep a job alive forever. The body loop checks one deadline for the whole fetch, and
  each read waits at most the time left.
* **Decompressed byte limit**: the body is read as a stream and decompressed here, chunk by
  chunk with ``max_length``, so a gzip bomb stops at the limit without ever being inflated in
  memory (httpx's own decoder would inflate a whole chunk at once).
* **Redirects followed by hand**, at most ``max_redirects``, and every hop's host is resolved
  and each address checked: a public feed redirecting to ``127.0.0.1`` or ``10.x`` is refused
  unless ``allow_private_networks``. ``allow_hosts`` exempts named hosts (tests use it to allow
  the loopback server for the first hop only).
* **The checked address is the one connected to**: the request goes to the address the check
  resolved (the ``Host`` header and, for HTTPS, the TLS server name and certificate check stay
  those of the feed's host), so a DNS server answering a public address to the check and a
  private one a moment later (DNS rebinding) cannot steer the harvester into the network.
* **Retries with backoff** for 5xx answers, timeouts and connection failures; 4xx is final.
"""

from __future__ import annotations

import hashlib
import ipaddress
import socket
import ssl
import threading
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

import httpx

from registry.config import HarvestSettings
from registry.errors import AddressRefused, FetchError, InputTooLarge

__all__ = ["ACCEPT_RDF", "FetchConfig", "FetchResult", "fetch", "is_public_address"]

#: content negotiation: the RDF syntaxes the parse stage reads, preferred first
ACCEPT_RDF = (
    "text/turtle, application/trig;q=0.95, application/n-triples;q=0.9, "
    "application/n-quads;q=0.9, application/ld+json;q=0.9, application/rdf+xml;q=0.8, "
    "*/*;q=0.1"
)
_REDIRECTS = {301, 302, 303, 307, 308}


@dataclass(frozen=True)
class FetchConfig:
    """Limits of one fetch; :meth:`from_settings` takes them from the ``[harvest]`` table."""

    timeout_s: float = 30.0
    max_bytes: int = 50 * 1024 * 1024
    max_redirects: int = 5
    retries: int = 2
    backoff_s: float = 0.5
    allow_private_networks: bool = False
    allow_hosts: frozenset[str] = field(default_factory=frozenset)
    user_agent: str = "Bildungsnetz-Harvester/0.1"
    connect_timeout_s: float = 10.0

    @classmethod
    def from_settings(cls, settings: HarvestSettings, **overrides: Any) -> FetchConfig:
        values: dict[str, Any] = {
            "timeout_s": settings.timeout_s,
            "max_bytes": settings.max_bytes,
            "max_redirects": settings.max_redirects,
            "retries": settings.retries,
            "allow_private_networks": settings.allow_private_networks,
            "user_agent": settings.user_agent,
        }
        values.update(overrides)
        return cls(**values)


@dataclass(frozen=True)
class FetchResult:
    """What a fetch brought: ``data`` is ``None`` when the server answered 304."""

    url: str
    status: int
    data: bytes | None
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    attempts: int = 1
    #: the content hash of dropped ``data`` (see :meth:`without_data`)
    known_hash: str | None = None

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    @property
    def content_hash(self) -> str | None:
        if self.data is None:
            return self.known_hash
        return "sha256:" + hashlib.sha256(self.data).hexdigest()

    def without_data(self) -> FetchResult:
        """This result without the body but with its hash: what a worker process sends back
        (the body is parsed there; sending it to the writer doubled what crossed over)."""
        return replace(self, data=None, known_hash=self.content_hash)


def is_public_address(address: str) -> bool:
    """True for a globally routable address (not loopback, private, link-local, reserved …)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def _check_host(url: str, config: FetchConfig) -> str | None:
    """Refuse a host resolving to a private address; return the checked address to connect
    to (``None`` when the host is exempt from the check)."""
    parts = urlsplit(url)
    host = parts.hostname
    if not host:
        raise FetchError(f"{url}: no host in the URL", url=url)
    if config.allow_private_networks or host.lower() in config.allow_hosts:
        return None
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except socket.gaierror as exc:
        raise FetchError(f"{url}: cannot resolve host {host!r}: {exc.strerror}", url=url) from None
    addresses = sorted({str(info[4][0]) for info in infos})
    refused = [a for a in addresses if not is_public_address(a)]
    if refused:
        raise AddressRefused(
            f"{url}: host {host!r} resolves to a private or loopback address ({refused[0]}); "
            "set allow_private_networks to harvest it",
            url=url,
            address=refused[0],
        )
    return str(infos[0][4][0])  # the resolver's first choice, as a connect would take it


def _pinned_request(
    client: httpx.Client,
    url: str,
    address: str | None,
    headers: dict[str, str],
    timeout: httpx.Timeout,
) -> httpx.Request:
    """A GET of ``url`` sent to ``address`` (when given) instead of a fresh lookup of the host:
    the URL names the address, ``Host`` names the host, and HTTPS verifies the host's
    certificate (``sni_hostname``)."""
    if address is None:
        return client.build_request("GET", url, headers=headers, timeout=timeout)
    target = httpx.URL(url)
    host_header = target.host if target.port is None else f"{target.host}:{target.port}"
    return client.build_request(
        "GET",
        target.copy_with(host=address.split("%", 1)[0]),
        headers={**headers, "Host": host_header},
        timeout=timeout,
        extensions={"sni_hostname": target.host},
    )


class _Decoder:
    """Incremental gzip/deflate/identity decoding that never yields more than asked for."""

    def __init__(self, encoding: str | None) -> None:
        enc = (encoding or "identity").strip().lower()
        self._raw_deflate_tried = False
        if enc in {"gzip", "x-gzip"}:
            self._obj: zlib._Decompress | None = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif enc == "deflate":
            self._obj = zlib.decompressobj()
        elif enc == "identity":
            self._obj = None
        else:
            raise FetchError(f"unsupported Content-Encoding {encoding!r}")
        self._deflate = enc == "deflate"

    def feed(self, data: bytes, budget: int) -> bytes:
        """Decode ``data``; at most ``budget`` bytes come out (more means over the limit)."""
        if self._obj is None:
            return data
        try:
            out = self._obj.decompress(data, budget)
        except zlib.error:
            if self._deflate and not self._raw_deflate_tried:
                # some servers send raw deflate without the zlib header
                self._raw_deflate_tried = True
                self._obj = zlib.decompressobj(-zlib.MAX_WBITS)
                return self.feed(data, budget)
            raise FetchError("the compressed body is corrupt") from None
        self._raw_deflate_tried = True
        return out


def _read_body(response: httpx.Response, config: FetchConfig, deadline: float, url: str) -> bytes:
    decoder = _Decoder(response.headers.get("content-encoding"))
    limit = config.max_bytes
    parts: list[bytes] = []
    size = 0
    # no chunk_size: httpx would buffer up to it, and a drip would never reach the check
    raw: Iterator[bytes] = response.iter_raw()
    for chunk in raw:
        if time.monotonic() > deadline:
            raise FetchError(f"{url}: took longer than {config.timeout_s:g} s in all", url=url)
        pending = chunk
        while pending:
            out = decoder.feed(pending, limit - size + 1)
            size += len(out)
            if size > limit:
                raise InputTooLarge(
                    f"{url}: body larger than the limit of {limit} bytes (after decompression)",
                    url=url,
                    limit=limit,
                )
            parts.append(out)
            obj = decoder._obj
            pending = obj.unconsumed_tail if obj is not None else b""
    return b"".join(parts)


def _read_file(url: str, config: FetchConfig) -> FetchResult:
    path = Path(unquote(urlsplit(url).path))
    try:
        with path.open("rb") as fh:
            data = fh.read(config.max_bytes + 1)
    except OSError as exc:
        raise FetchError(f"{url}: cannot read: {exc.strerror or exc}", url=url) from None
    if len(data) > config.max_bytes:
        raise InputTooLarge(
            f"{url}: larger than the limit of {config.max_bytes} bytes",
            url=url,
            limit=config.max_bytes,
        )
    return FetchResult(url=url, status=200, data=data)


def _once(
    client: httpx.Client,
    url: str,
    config: FetchConfig,
    headers: dict[str, str],
    deadline: float,
) -> FetchResult:
    current = url
    for _hop in range(config.max_redirects + 1):
        address = _check_host(current, config)
        left = deadline - time.monotonic()
        if left <= 0:
            raise FetchError(f"{url}: took longer than {config.timeout_s:g} s in all", url=url)
        timeout = httpx.Timeout(left, connect=min(left, config.connect_timeout_s))
        request = _pinned_request(client, current, address, headers, timeout)
        response = client.send(request, stream=True)
        try:
            if response.status_code in _REDIRECTS:
                location = response.headers.get("location")
                if not location:
                    raise FetchError(f"{current}: redirect without a Location header", url=url)
                current = urljoin(current, location)
                if urlsplit(current).scheme not in {"http", "https"}:
                    raise FetchError(f"{url}: redirect to a non-HTTP URL {current}", url=url)
                continue
            if response.status_code == 304:
                return FetchResult(
                    url=current,
                    status=304,
                    data=None,
                    etag=response.headers.get("etag"),
                    last_modified=response.headers.get("last-modified"),
                )
            if response.status_code >= 400:
                raise _HttpStatus(response.status_code, current)
            data = _read_body(response, config, deadline, url)
            return FetchResult(
                url=current,
                status=response.status_code,
                data=data,
                content_type=response.headers.get("content-type"),
                etag=response.headers.get("etag"),
                last_modified=response.headers.get("last-modified"),
            )
        finally:
            response.close()
    raise FetchError(f"{url}: more than {config.max_redirects} redirects", url=url)


_SSL: list[ssl.SSLContext] = []
_SSL_LOCK = threading.Lock()


def _ssl_context() -> ssl.SSLContext:
    """One verifying TLS context per process: building it loads the CA bundle (30 ms, measured
    at 20 feeds as a sixth of a worker's CPU in a re-harvest), even for plain-HTTP feeds."""
    with _SSL_LOCK:
        if not _SSL:
            _SSL.append(httpx.create_ssl_context())
        return _SSL[0]


class _HttpStatus(FetchError):
    def __init__(self, status: int, url: str) -> None:
        super().__init__(f"{url}: HTTP {status}", url=url, http_status=status)
        self.http_status = status


def fetch(
    url: str,
    *,
    config: FetchConfig | None = None,
    etag: str | None = None,
    last_modified: str | None = None,
    client: httpx.Client | None = None,
) -> FetchResult:
    """Fetch ``url`` within the limits of ``config``; raise a :class:`HarvestError` or
    :class:`InputTooLarge` on failure. ``etag``/``last_modified`` make the request conditional.
    """
    config = config or FetchConfig()
    scheme = urlsplit(url).scheme.lower()
    if scheme == "file":
        return _read_file(url, config)
    if scheme not in {"http", "https"}:
        raise FetchError(f"{url}: only http, https and file URLs can be harvested", url=url)
    headers = {"Accept": ACCEPT_RDF, "Accept-Encoding": "gzip, deflate"}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    own = client is None
    http = client or httpx.Client(
        follow_redirects=False,
        headers={"User-Agent": config.user_agent},
        trust_env=False,
        verify=_ssl_context(),
    )
    deadline = time.monotonic() + config.timeout_s
    try:
        attempt = 0
        while True:
            attempt += 1
            try:
                result = _once(http, url, config, headers, deadline)
                return FetchResult(**{**result.__dict__, "attempts": attempt})
            except _HttpStatus as exc:
                if exc.http_status < 500 or attempt > config.retries:
                    raise FetchError(exc.message, **exc.details) from None
                error: FetchError = exc
            except (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError) as exc:
                kind = "timed out" if isinstance(exc, httpx.TimeoutException) else "failed"
                error = FetchError(f"{url}: request {kind}: {exc}", url=url)
                if attempt > config.retries:
                    raise error from None
            pause = config.backoff_s * 2 ** (attempt - 1)
            if time.monotonic() + pause >= deadline:
                raise FetchError(
                    f"{error.message} (no time left to retry within {config.timeout_s:g} s)",
                    **error.details,
                ) from None
            time.sleep(pause)
    except httpx.HTTPError as exc:
        raise FetchError(f"{url}: {exc}", url=url) from None
    finally:
        if own:
            http.close()
