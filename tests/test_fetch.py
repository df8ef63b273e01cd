"""The fetch stage against a real loopback HTTP server: limits, redirects, retries, 304."""

from __future__ import annotations

import gzip
import socket
import time
from pathlib import Path
from typing import Any

import pytest
from feedserver import FeedServer, Reply, drip, gzip_bomb

from importers.fetch import ACCEPT_RDF, FetchConfig, fetch, is_public_address
from registry.errors import AddressRefused, FetchError, InputTooLarge

BODY = b'<https://a.example/x> <https://schema.org/name> "x" .\n'


def loopback(**kw: Any) -> FetchConfig:
    """Limits for tests: loopback allowed as a named host, fast backoff."""
    values: dict[str, Any] = {
        "allow_hosts": frozenset({"127.0.0.1"}),
        "backoff_s": 0.01,
        "timeout_s": 5.0,
    }
    values.update(kw)
    return FetchConfig(**values)


def test_plain_fetch_sends_accept_and_returns_body(feed_server: FeedServer) -> None:
    feed_server.routes["/f.ttl"] = Reply(
        BODY, etag='"v1"', last_modified="Mon, 01 Jan 2024 00:00:00 GMT"
    )
    result = fetch(feed_server.url("/f.ttl"), config=loopback())
    assert result.status == 200 and result.data == BODY
    assert result.etag == '"v1"' and (result.last_modified or "").startswith("Mon")
    assert result.content_type == "text/turtle"
    assert feed_server.requests_to("/f.ttl")[0].headers["accept"] == ACCEPT_RDF


def test_conditional_get_answers_304_without_body(feed_server: FeedServer) -> None:
    feed_server.routes["/f.ttl"] = Reply(BODY, etag='"v1"')
    result = fetch(feed_server.url("/f.ttl"), config=loopback(), etag='"v1"')
    assert result.not_modified and result.data is None
    assert feed_server.requests_to("/f.ttl")[0].headers["if-none-match"] == '"v1"'


def test_gzip_body_is_decompressed(feed_server: FeedServer) -> None:
    feed_server.routes["/f.ttl"] = Reply(BODY * 100, gzip=True)
    assert fetch(feed_server.url("/f.ttl"), config=loopback()).data == BODY * 100


def test_deflate_body_is_decompressed(feed_server: FeedServer) -> None:
    import zlib

    feed_server.routes["/f.ttl"] = Reply(
        zlib.compress(BODY), headers={"Content-Encoding": "deflate"}
    )
    assert fetch(feed_server.url("/f.ttl"), config=loopback()).data == BODY


def test_gzip_bomb_stops_at_the_decompressed_limit(feed_server: FeedServer) -> None:
    feed_server.routes["/bomb"] = gzip_bomb(50 * 1024 * 1024)
    started = time.monotonic()
    with pytest.raises(InputTooLarge, match="after decompression"):
        fetch(feed_server.url("/bomb"), config=loopback(max_bytes=1024 * 1024))
    assert time.monotonic() - started < 3


def test_body_over_the_limit_is_refused(feed_server: FeedServer) -> None:
    feed_server.routes["/big"] = Reply(b"#" * 200_000)
    with pytest.raises(InputTooLarge):
        fetch(feed_server.url("/big"), config=loopback(max_bytes=100_000))
    assert fetch(feed_server.url("/big"), config=loopback(max_bytes=200_000)).data


def test_slow_drip_ends_at_the_wall_time_limit(feed_server: FeedServer) -> None:
    feed_server.routes["/drip"] = drip(BODY * 10, pause_s=0.05)
    started = time.monotonic()
    with pytest.raises(FetchError, match="in all"):
        fetch(feed_server.url("/drip"), config=loopback(timeout_s=0.6, retries=0))
    assert time.monotonic() - started < 2


def test_404_is_final_without_retry(feed_server: FeedServer) -> None:
    with pytest.raises(FetchError, match="HTTP 404"):
        fetch(feed_server.url("/missing"), config=loopback(retries=3))
    assert len(feed_server.requests_to("/missing")) == 1


def test_500_is_retried_then_reported(feed_server: FeedServer) -> None:
    feed_server.routes["/err"] = Reply(b"oops", status=500)
    with pytest.raises(FetchError, match="HTTP 500") as info:
        fetch(feed_server.url("/err"), config=loopback(retries=2))
    assert len(feed_server.requests_to("/err")) == 3
    assert info.value.details["http_status"] == 500


def test_500_then_success_counts_attempts(feed_server: FeedServer) -> None:
    calls: list[int] = []

    def flaky(h):
        calls.append(1)
        FeedServer._reply(h, Reply(b"x", status=503) if len(calls) == 1 else Reply(BODY))

    feed_server.routes["/flaky"] = flaky
    result = fetch(feed_server.url("/flaky"), config=loopback(retries=2))
    assert result.data == BODY and result.attempts == 2


def test_connection_refused_is_a_fetch_error() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(FetchError, match="failed"):
        fetch(f"http://127.0.0.1:{port}/f.ttl", config=loopback(retries=1))


def test_read_timeout_is_a_fetch_error(feed_server: FeedServer) -> None:
    def silent(h):
        time.sleep(1.5)

    feed_server.routes["/silent"] = silent
    with pytest.raises(FetchError):
        fetch(feed_server.url("/silent"), config=loopback(timeout_s=0.5, retries=1))


def test_loopback_refused_without_permission(feed_server: FeedServer) -> None:
    feed_server.routes["/f.ttl"] = Reply(BODY)
    with pytest.raises(AddressRefused):
        fetch(feed_server.url("/f.ttl"), config=FetchConfig())
    assert not feed_server.requests
    assert fetch(feed_server.url("/f.ttl"), config=FetchConfig(allow_private_networks=True)).data


def test_redirect_to_private_address_is_refused_after_the_hop(feed_server: FeedServer) -> None:
    # the first hop is allowed by name (127.0.0.1); "localhost" is not, and resolves to loopback
    feed_server.routes["/r"] = Reply(
        status=302, headers={"Location": f"http://localhost:{feed_server.port}/f.ttl"}
    )
    feed_server.routes["/f.ttl"] = Reply(BODY)
    with pytest.raises(AddressRefused, match="localhost"):
        fetch(feed_server.url("/r"), config=loopback())
    assert not feed_server.requests_to("/f.ttl")


def test_redirect_is_followed_within_the_limit(feed_server: FeedServer) -> None:
    feed_server.routes["/r"] = Reply(status=301, headers={"Location": "/f.ttl"})
    feed_server.routes["/f.ttl"] = Reply(BODY)
    result = fetch(feed_server.url("/r"), config=loopback())
    assert result.data == BODY and result.url.endswith("/f.ttl")


def test_redirect_loop_ends(feed_server: FeedServer) -> None:
    feed_server.routes["/a"] = Reply(status=302, headers={"Location": "/b"})
    feed_server.routes["/b"] = Reply(status=302, headers={"Location": "/a"})
    with pytest.raises(FetchError, match="redirects"):
        fetch(feed_server.url("/a"), config=loopback(max_redirects=4))
    assert len(feed_server.requests) == 5


def test_file_url_obeys_the_byte_limit(tmp_path: Path) -> None:
    path = tmp_path / "f.ttl"
    path.write_bytes(BODY * 100)
    assert fetch(path.as_uri(), config=FetchConfig()).data == BODY * 100
    with pytest.raises(InputTooLarge):
        fetch(path.as_uri(), config=FetchConfig(max_bytes=len(BODY)))
    with pytest.raises(FetchError):
        fetch((tmp_path / "missing.ttl").as_uri(), config=FetchConfig())


def test_public_address_check() -> None:
    assert is_public_address("93.184.216.34")
    for private in (
        "127.0.0.1",
        "10.1.2.3",
        "192.168.0.1",
        "169.254.1.1",
        "::1",
        "fd00::1",
        "::ffff:127.0.0.1",
        "0.0.0.0",
    ):
        assert not is_public_address(private), private


def test_gzip_helper_roundtrip_is_real() -> None:
    assert gzip.decompress(gzip.compress(BODY)) == BODY


def test_the_checked_address_is_the_one_connected_to(monkeypatch: pytest.MonkeyPatch) -> None:
    """DNS rebinding: the resolver answers a "public" address to the check and a private one
    after it. The request must go to the checked address, never to the private one."""
    public = FeedServer(host="127.0.0.2")  # stands in for a public address
    try:
        internal = FeedServer(host="127.0.0.1", port=public.port)
    except OSError:
        public.close()
        pytest.skip("the same port is taken on 127.0.0.1")
    try:
        public.routes["/f.ttl"] = Reply(BODY)
        internal.routes["/f.ttl"] = Reply(b"internal secrets")
        answers = iter(["127.0.0.2"])
        real = socket.getaddrinfo

        def rebinding(host: Any, port: Any, *args: Any, **kw: Any) -> Any:
            if host != "feeds.partner.example":
                return real(host, port, *args, **kw)
            address = next(answers, "127.0.0.1")  # first answer checked, later ones rebound
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

        monkeypatch.setattr(socket, "getaddrinfo", rebinding)
        monkeypatch.setattr("importers.fetch.is_public_address", lambda a: a == "127.0.0.2")
        url = f"http://feeds.partner.example:{public.port}/f.ttl"
        result = fetch(url, config=FetchConfig(retries=0, timeout_s=5.0))
        assert result.data == BODY and result.url == url
        assert not internal.requests
        assert public.requests_to("/f.ttl")[0].headers["host"] == (
            f"feeds.partner.example:{public.port}"
        )
        # a later lookup answering the private address is refused at the check
        with pytest.raises(AddressRefused, match=r"127\.0\.0\.1"):
            fetch(url, config=FetchConfig(retries=0))
        assert not internal.requests
    finally:
        public.close()
        internal.close()
