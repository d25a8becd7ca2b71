"""Offline tests for ``streamrag.fetch`` (the HTTP client, the SSRF guard, the content checks): every request
goes to a local server on 127.0.0.1."""

from __future__ import annotations

import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from streamrag.config import FetchConfig
from streamrag.fetch import Fetcher, guard
from streamrag.fetch import http as fetch_http
from streamrag.fetch.content import looks_binary, sniffs_as_html
from streamrag.fetch.guard import ip_refusal
from streamrag.records import Page

HTML = b"<!DOCTYPE html><html><head><title>Hi</title></head><body><p>Hello, world.</p></body></html>"
HUGE_TOTAL = 64 * 1024 * 1024
CHUNK = 64 * 1024


class _Server(ThreadingHTTPServer):
    daemon_threads = True  # a handler still sleeping must not block teardown

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients hanging up on purpose (size cap, timeouts) are expected here


class LocalServer:
    """A threaded HTTP server on 127.0.0.1 with routes for every fetch behaviour under test."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.counts: Counter[str] = Counter()
        self.headers: list[dict[str, str]] = []
        self.inflight: Counter[str] = Counter()
        self.max_inflight: Counter[str] = Counter()
        self.total_inflight = 0
        self.max_total_inflight = 0
        self.huge_sent = 0
        self.huge_done = threading.Event()
        self.routes: dict[str, Callable[[BaseHTTPRequestHandler, dict[str, list[str]]], None]] = {}
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                with server.lock:
                    server.counts[parts.path] += 1
                    server.counts["*"] += 1
                    server.headers.append(dict(self.headers.items()))
                route = server.routes.get(parts.path)
                if route is None:
                    for prefix, candidate in server.routes.items():
                        if prefix.endswith("/") and parts.path.startswith(prefix):
                            route = candidate
                            break
                if route is None:
                    self.send_error(404)
                    return
                route(self, parse_qs(parts.query))

        self.httpd = _Server(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    def url(self, path: str) -> str:
        return self.base + path

    def count(self, path: str) -> int:
        with self.lock:
            return self.counts[path]

    def __enter__(self) -> LocalServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def _send(h: BaseHTTPRequestHandler, status: int, body: bytes = b"", ctype: str | None = "text/html; charset=utf-8",
          headers: dict[str, str] | None = None) -> None:
    h.send_response(status)
    if ctype is not None:
        h.send_header("Content-Type", ctype)
    for key, value in (headers or {}).items():
        h.send_header(key, value)
    h.send_header("Content-Length", str(len(body)))
    h.end_headers()
    h.wfile.write(body)


def _install_routes(srv: LocalServer) -> None:
    def page(h: BaseHTTPRequestHandler, q: dict[str, list[str]]) -> None:
        _send(h, 200, HTML)

    def not_found(h: BaseHTTPRequestHandler, q: dict[str, list[str]]) -> None:
        _send(h, 404, b"<html>nope</html>")

    def flaky(h: BaseHTTPRequestHandler, q: dict[str, list[str]]) -> None:
        if srv.count("/flaky") == 1:
            _send(h, 500, b"oops")
        else:
            _send(h, 200, HTML)

    def ratelimited(h: BaseHTTPRequestHandler, q: dict[str, list[str]]) -> None:
        if srv.count("/ratelimited") == 1:
            _send(h, 429, b"slow down", headers={"Retry-After": q.get("after", ["0"])[0]})
        else:
            _send(h, 200, HTML)

    def always500(h: BaseHTTPRequestHandler, q: dict[str, list[str]]) -> None:
        _send(h, 500, b"down")

    def pdf(h: BaseHTTPRequestHandler, q: dict[str, list[str]]) -> None:
        _send(h, 200, b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", ctype="application/pdf")

    def huge(h: BaseHTTPRequestHandler, q: dict[str, list[str]]) -> None:
        try:
            h.send_response(200)
            h.send_header("Content-Type", "text/html")
            h.end_headers()  # no Content-Length: the body runs until the connection closes
            h.wfile.write(b"<html><body>")
            chunk = b"<p>" + b"x" * (CHUNK - 7) + b"</p>"
            while srv.huge_sent < HUGE_TOTAL:
                h.wfile.write(chunk)
                with srv.lock:
                    srv.huge_sent += len(chunk)
        except OSError:
            pass
        finally:
            srv.huge_done.set()

    def biglength(h: BaseHTTPRequestHandler, q: dict[str, list[str]]) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "text/html")
        h.send_header("Content-Length", str(2_000_000))
        h.end_headers()
        h.wfile.write(b"<html>")
        h.wfile.flush()
        time.sleep(3)  # a fetcher that waited for the declared body would time out instead

    def slow(h: BaseHTTPRequestHandler, q: dict[str, list[str]]) -> None:
        time.sleep(1.0)
        try:
            _send(h, 200, HTML)
        except OSError:
            pass

    def redirect(h: BaseHTTPRequestHandler, q: dict[str, list[str]]) -> None:
        n = int(urlsplit(h.path).path.rsplit("/", 1)[1])
        if n == 0:
            _send(h, 200, HTML)
        else:
            _send(h, 302, b"", headers={"Location": f"/redirect/{n - 1}"})

    def redirect_to(h: BaseHTTPRequestHandler, q: dict[str, list[str]]) -> None:
        _send(h, 302, b"", headers={"Location": q["url"][0]})

    def binary(h: BaseHTTPRequestHandler, q: dict[str, list[str]]) -> None:
        _send(h, 200, b"<html>" + bytes(range(256)) * 8)

    def empty(h: BaseHTTPRequestHandler, q: dict[str, list[str]]) -> None:
        _send(h, 200, b"")

    def latin1(h: BaseHTTPRequestHandler, q: dict[str, list[str]]) -> None:
        _send(h, 200, "<html><body>Caf\u00e9 cr\u00e8me br\u00fbl\u00e9e</body></html>".encode("latin-1"))

    def xhtml(h: BaseHTTPRequestHandler, q: dict[str, list[str]]) -> None:
        _send(h, 200, HTML, ctype="application/xhtml+xml")

    def no_ctype_html(h: BaseHTTPRequestHandler, q: dict[str, list[str]]) -> None:
        _send(h, 200, b"\n  " + HTML, ctype=None)

    def no_ctype_text(h: BaseHTTPRequestHandler, q: dict[str, list[str]]) -> None:
        _send(h, 200, b"just some plain text", ctype=None)

    def concurrent(h: BaseHTTPRequestHandler, q: dict[str, list[str]]) -> None:
        host = h.headers.get("Host", "").split(":")[0]
        with srv.lock:
            srv.inflight[host] += 1
            srv.total_inflight += 1
            srv.max_inflight[host] = max(srv.max_inflight[host], srv.inflight[host])
            srv.max_total_inflight = max(srv.max_total_inflight, srv.total_inflight)
        try:
            time.sleep(0.15)
            _send(h, 200, f"<html><body>item {q['i'][0]}</body></html>".encode())
        finally:
            with srv.lock:
                srv.inflight[host] -= 1
                srv.total_inflight -= 1

    srv.routes.update({
        "/page": page, "/404": not_found, "/flaky": flaky, "/ratelimited": ratelimited,
        "/always500": always500, "/pdf": pdf, "/huge": huge, "/biglength": biglength, "/slow": slow,
        "/redirect/": redirect, "/redirect-to": redirect_to, "/binary": binary, "/empty": empty,
        "/latin1": latin1, "/xhtml": xhtml, "/no-ctype-html": no_ctype_html,
        "/no-ctype-text": no_ctype_text, "/concurrent": concurrent,
    })


@pytest.fixture
def server() -> Iterator[LocalServer]:
    with LocalServer() as srv:
        _install_routes(srv)
        yield srv


@pytest.fixture
def canary() -> Iterator[LocalServer]:
    """A server that must never be reached: any request to it is an SSRF escape."""
    with LocalServer() as srv:
        srv.routes["/"] = lambda h, q: _send(h, 200, b"<html>secret</html>")
        yield srv


def cfg(**overrides: Any) -> FetchConfig:
    base: dict[str, Any] = dict(
        connect_timeout_s=1.0, read_timeout_s=2.0, retries=2, backoff_s=0.01,
        allow_hosts=("127.0.0.1",), cache_dir=None,
    )
    base.update(overrides)
    return FetchConfig(**base)


@pytest.fixture
def fetcher() -> Iterator[Fetcher]:
    with Fetcher(cfg()) as f:
        yield f


# -- the happy path and HTTP statuses ------------------------------------------------------


def test_fetches_html_page(server: LocalServer, fetcher: Fetcher) -> None:
    page = fetcher.fetch(server.url("/page"))
    assert page.ok and page.reason == ""
    assert page.status == 200
    assert page.body == HTML
    assert page.content_type == "text/html; charset=utf-8"
    assert page.final_url == server.url("/page")
    assert page.url == server.url("/page")
    assert page.from_cache is False


def test_sends_polite_user_agent(server: LocalServer) -> None:
    with Fetcher(cfg(user_agent="streamrag-test/9 (+mailto:ops@example.org)")) as f:
        assert f.fetch(server.url("/page")).ok
    headers = {k.lower(): v for k, v in server.headers[-1].items()}
    assert headers["user-agent"] == "streamrag-test/9 (+mailto:ops@example.org)"
    assert "text/html" in headers["accept"]


def test_404_is_not_retried(server: LocalServer, fetcher: Fetcher) -> None:
    page = fetcher.fetch(server.url("/404"))
    assert not page.ok
    assert page.reason == "http_404"
    assert page.status == 404
    assert server.count("/404") == 1


def test_500_then_200_is_retried(server: LocalServer, fetcher: Fetcher) -> None:
    page = fetcher.fetch(server.url("/flaky"))
    assert page.ok and page.body == HTML
    assert server.count("/flaky") == 2


def test_429_honours_retry_after_zero(server: LocalServer, fetcher: Fetcher) -> None:
    page = fetcher.fetch(server.url("/ratelimited?after=0"))
    assert page.ok
    assert server.count("/ratelimited") == 2


def test_long_retry_after_is_capped(server: LocalServer, monkeypatch: pytest.MonkeyPatch) -> None:
    slept: list[float] = []
    monkeypatch.setattr(fetch_http, "_sleep", slept.append)
    with Fetcher(cfg()) as f:
        assert f.fetch(server.url("/ratelimited?after=3600")).ok
    assert slept == [fetch_http.MAX_RETRY_AFTER_S]


def test_always_500_gives_up_after_retries_with_backoff(server: LocalServer, monkeypatch: pytest.MonkeyPatch) -> None:
    slept: list[float] = []
    monkeypatch.setattr(fetch_http, "_sleep", slept.append)
    with Fetcher(cfg(retries=3, backoff_s=0.5)) as f:
        page = f.fetch(server.url("/always500"))
    assert not page.ok
    assert page.reason == "http_500" and page.status == 500
    assert server.count("/always500") == 1 + 3
    assert slept == [0.5, 1.0, 2.0]  # exponential


def test_retries_zero_means_one_attempt(server: LocalServer) -> None:
    with Fetcher(cfg(retries=0)) as f:
        assert f.fetch(server.url("/always500")).reason == "http_500"
    assert server.count("/always500") == 1


# -- content checks ------------------------------------------------------------------------


def test_pdf_is_not_html(server: LocalServer, fetcher: Fetcher) -> None:
    page = fetcher.fetch(server.url("/pdf"))
    assert not page.ok
    assert page.reason == "not_html:application/pdf"
    assert page.body is None


def test_xhtml_is_accepted(server: LocalServer, fetcher: Fetcher) -> None:
    page = fetcher.fetch(server.url("/xhtml"))
    assert page.ok and page.content_type == "application/xhtml+xml"


def test_missing_content_type_is_sniffed(server: LocalServer, fetcher: Fetcher) -> None:
    page = fetcher.fetch(server.url("/no-ctype-html"))
    assert page.ok and page.content_type == ""
    assert fetcher.fetch(server.url("/no-ctype-text")).reason == "not_html:missing"


def test_binary_body_labelled_html(server: LocalServer, fetcher: Fetcher) -> None:
    assert fetcher.fetch(server.url("/binary")).reason == "binary_body"


def test_empty_body(server: LocalServer, fetcher: Fetcher) -> None:
    assert fetcher.fetch(server.url("/empty")).reason == "empty_body"


def test_wrong_charset_body_is_returned_raw(server: LocalServer, fetcher: Fetcher) -> None:
    page = fetcher.fetch(server.url("/latin1"))
    assert page.ok
    assert page.body == "<html><body>Caf\u00e9 cr\u00e8me br\u00fbl\u00e9e</body></html>".encode("latin-1")
    assert page.content_type == "text/html; charset=utf-8"  # as received, however wrong


def test_huge_body_stops_streaming_at_the_cap(server: LocalServer) -> None:
    started = time.monotonic()
    with Fetcher(cfg(max_bytes=256 * 1024)) as f:
        page = f.fetch(server.url("/huge"))
    assert not page.ok and page.reason == "too_large"
    assert page.body is None
    assert server.huge_done.wait(5), "the server should have been cut off"
    assert server.huge_sent < HUGE_TOTAL // 4, f"server sent {server.huge_sent} bytes: the body was not capped"
    assert time.monotonic() - started < 5


def test_content_length_over_cap_is_refused_before_reading(server: LocalServer) -> None:
    started = time.monotonic()
    with Fetcher(cfg(max_bytes=1_000_000, read_timeout_s=2.0, retries=0)) as f:
        page = f.fetch(server.url("/biglength"))
    assert page.reason == "too_large"
    assert time.monotonic() - started < 1.5  # did not wait for the (never sent) declared body


def test_slow_server_times_out_and_is_retried(server: LocalServer) -> None:
    with Fetcher(cfg(read_timeout_s=0.2, retries=1)) as f:
        page = f.fetch(server.url("/slow"))
    assert not page.ok and page.reason == "timeout"
    assert server.count("/slow") == 2


def test_connection_refused_is_connect_error(closed_port: int) -> None:
    with Fetcher(cfg(retries=1)) as f:
        page = f.fetch(f"http://127.0.0.1:{closed_port}/")
    assert page.reason == "connect_error"


# -- redirects -----------------------------------------------------------------------------


def test_redirect_chain_within_limit(server: LocalServer) -> None:
    with Fetcher(cfg(max_redirects=3)) as f:
        page = f.fetch(server.url("/redirect/3"))
    assert page.ok and page.body == HTML
    assert page.url == server.url("/redirect/3")
    assert page.final_url == server.url("/redirect/0")


def test_redirect_chain_over_limit(server: LocalServer) -> None:
    with Fetcher(cfg(max_redirects=3)) as f:
        page = f.fetch(server.url("/redirect/4"))
    assert not page.ok and page.reason == "too_many_redirects"
    assert server.count("/redirect/0") == 0


@pytest.mark.parametrize(
    ("location", "reason"),
    [
        ("http://10.0.0.1/admin", "ssrf_refused:private"),
        ("http://169.254.169.254/latest/meta-data", "ssrf_refused:link_local"),
        ("ftp://example.org/file", "bad_url:scheme"),
        ("file:///etc/passwd", "bad_url:scheme"),
    ],
)
def test_redirect_to_disallowed_target(server: LocalServer, fetcher: Fetcher, location: str, reason: str) -> None:
    page = fetcher.fetch(server.url(f"/redirect-to?url={location}"))
    assert not page.ok and page.reason == reason


# -- SSRF ----------------------------------------------------------------------------------


@pytest.fixture
def no_connect(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Record (and block) every outgoing TCP connection attempt."""
    attempts: list[Any] = []

    def refuse(address: Any, *args: Any, **kwargs: Any) -> Any:
        attempts.append(address)
        raise OSError("connection attempted in a test that must not connect")

    monkeypatch.setattr(socket, "create_connection", refuse)
    return attempts


def test_ssrf_refuses_local_targets_without_a_request(canary: LocalServer, no_connect: list[Any]) -> None:
    port = canary.port
    urls = [
        f"http://127.0.0.1:{port}/",
        f"http://localhost:{port}/",
        f"http://[::1]:{port}/",
        f"http://0.0.0.0:{port}/",
        f"http://[::ffff:127.0.0.1]:{port}/",
        f"http://2130706433:{port}/",  # 127.0.0.1 as one decimal number
        f"http://LOCALHOST.:{port}/",
        "http://169.254.169.254/latest/meta-data",
        "http://10.0.0.1/",
        "http://192.168.1.1/",
        "http://100.64.0.1/",  # carrier-grade NAT: not global
        "http://[fe80::1]/",
    ]
    with Fetcher(cfg(allow_hosts=())) as f:
        pages = [f.fetch(u) for u in urls]
    for url, page in zip(urls, pages):
        assert not page.ok, url
        assert page.reason.startswith("ssrf_refused"), (url, page.reason)
    assert no_connect == []
    assert canary.count("*") == 0


def test_ssrf_default_config_has_no_allow_list(canary: LocalServer) -> None:
    with Fetcher(FetchConfig(cache_dir=None)) as f:
        assert f.fetch(canary.url("/")).reason == "ssrf_refused:loopback"
    assert canary.count("*") == 0


def test_allowed_host_redirecting_to_disallowed_host(server: LocalServer, canary: LocalServer) -> None:
    targets = [f"http://localhost:{canary.port}/", f"http://[::1]:{canary.port}/", f"http://0.0.0.0:{canary.port}/"]
    with Fetcher(cfg(allow_hosts=("127.0.0.1",))) as f:
        for target in targets:
            page = f.fetch(server.url(f"/redirect-to?url={target}"))
            assert page.reason.startswith("ssrf_refused"), (target, page.reason)
    assert server.count("/redirect-to") == len(targets)
    assert canary.count("*") == 0


def test_dns_rebinding_is_refused_at_connect_time(canary: LocalServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """The pre-check sees a public address, the connect sees loopback: the connect is refused."""
    answers = iter([["93.184.216.34"]])

    def rebinding_resolve(host: str, port: int) -> list[str]:
        return next(answers, ["127.0.0.1"])

    monkeypatch.setattr(guard, "resolve", rebinding_resolve)
    with Fetcher(cfg(allow_hosts=(), retries=0)) as f:
        page = f.fetch(f"http://rebind.example:{canary.port}/")
    assert page.reason == "ssrf_refused:loopback"
    assert canary.count("*") == 0


def test_dns_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(host: str, port: int) -> list[str]:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(guard, "resolve", fail)
    with Fetcher(cfg(allow_hosts=())) as f:
        assert f.fetch("http://no-such-host.invalid/").reason == "connect_error:dns"


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://x/", "bad_url:scheme"),
        ("javascript:alert(1)", "bad_url:scheme"),
        ("mailto:a@b", "bad_url:scheme"),
        ("file:///etc/passwd", "bad_url:scheme"),
        ("gopher://127.0.0.1:70/", "bad_url:scheme"),
        ("http://[::1", "bad_url:unparseable"),
        ("", "bad_url:empty"),
        ("http://", "bad_url:no_host"),
        ("http://example.org:99999/", "bad_url:port"),
        ("http://exa mple.org/", "bad_url:whitespace"),
        ("//example.org/", "bad_url:scheme"),
    ],
)
def test_bad_urls_never_raise(url: str, reason: str, no_connect: list[Any]) -> None:
    with Fetcher(cfg(allow_hosts=())) as f:
        page = f.fetch(url)
    assert isinstance(page, Page)
    assert not page.ok and page.reason == reason
    assert page.url == url
    assert no_connect == []


def test_non_string_url_never_raises() -> None:
    with Fetcher(cfg()) as f:
        assert f.fetch(None).reason == "bad_url:empty"  # type: ignore[arg-type]


def test_ip_refusal_table() -> None:
    assert ip_refusal("93.184.216.34") is None
    assert ip_refusal("2606:2800:220:1:248:1893:25c8:1946") is None
    assert ip_refusal("127.0.0.1") == "loopback"
    assert ip_refusal("::1") == "loopback"
    assert ip_refusal("::ffff:10.1.2.3") == "private"
    assert ip_refusal("2002:7f00:1::") == "loopback"  # 6to4 wrapping 127.0.0.1
    assert ip_refusal("0.0.0.0") == "unspecified"
    assert ip_refusal("169.254.169.254") == "link_local"
    assert ip_refusal("224.0.0.1") == "multicast"
    assert ip_refusal("fc00::1") == "private"
    assert ip_refusal("not-an-ip") == "bad_address"


def test_sniffing_helpers() -> None:
    assert sniffs_as_html(b"\xef\xbb\xbf  <!DOCTYPE html><html>")
    assert sniffs_as_html(b"<html lang=en>")
    assert not sniffs_as_html(b"<?xml version='1.0'?><rss>")
    assert not sniffs_as_html(b"hello")
    assert looks_binary(b"<html>\x00\x00")
    assert looks_binary(b"%PDF-1.7 ...")
    assert not looks_binary("<html>caf\u00e9</html>".encode("latin-1"))
    assert not looks_binary("<html>\u00e9</html>".encode("utf-16"))  # BOM: text


# -- cache ---------------------------------------------------------------------------------


def test_cache_serves_second_fetch_from_disk(server: LocalServer, tmp_path: Path) -> None:
    cache = tmp_path / "pages"
    url = server.url("/page")
    with Fetcher(cfg(cache_dir=cache)) as f:
        first = f.fetch(url)
        second = f.fetch(url)
    assert first.ok and not first.from_cache
    assert second.ok and second.from_cache
    assert second.body == first.body
    assert (second.status, second.content_type, second.final_url) == (200, first.content_type, url)
    assert server.count("/page") == 1
    with Fetcher(cfg(cache_dir=cache)) as f:  # a new process reads the same files
        assert f.fetch(url).from_cache
    assert server.count("/page") == 1
    files = [p for p in cache.rglob("*") if p.is_file()]
    assert len(files) == 1 and not files[0].name.startswith(".tmp")


def test_cache_keeps_redirect_metadata(server: LocalServer, tmp_path: Path) -> None:
    with Fetcher(cfg(cache_dir=tmp_path)) as f:
        f.fetch(server.url("/redirect/2"))
        page = f.fetch(server.url("/redirect/2"))
    assert page.from_cache and page.final_url == server.url("/redirect/0")
    assert server.count("/redirect/2") == 1


def test_failures_are_not_cached(server: LocalServer, tmp_path: Path) -> None:
    with Fetcher(cfg(cache_dir=tmp_path, retries=0)) as f:
        assert f.fetch(server.url("/404")).reason == "http_404"
        assert f.fetch(server.url("/404")).reason == "http_404"
        assert f.fetch(server.url("/pdf")).reason.startswith("not_html")
    assert server.count("/404") == 2
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]


def test_corrupt_cache_entry_is_a_miss(server: LocalServer, tmp_path: Path) -> None:
    url = server.url("/page")
    with Fetcher(cfg(cache_dir=tmp_path)) as f:
        f.fetch(url)
        (entry,) = [p for p in tmp_path.rglob("*") if p.is_file()]
        entry.write_bytes(b"garbage")
        page = f.fetch(url)
    assert page.ok and not page.from_cache
    assert server.count("/page") == 2


# -- fetch_many ----------------------------------------------------------------------------


def test_fetch_many_keeps_order_and_per_host_limit(server: LocalServer) -> None:
    hosts = ["127.0.0.1", "localhost"]
    urls = [f"http://{hosts[i % 2]}:{server.port}/concurrent?i={i}" for i in range(12)]
    urls.insert(3, "ftp://bad/")
    urls.insert(7, server.url("/404"))
    with Fetcher(cfg(per_host_concurrency=2, allow_hosts=tuple(hosts))) as f:
        pages = f.fetch_many(urls)
    assert [p.url for p in pages] == urls
    for url, page in zip(urls, pages):
        if "/concurrent" in url:
            assert page.ok, (url, page.reason)
            assert page.body == f"<html><body>item {url.rsplit('=', 1)[1]}</body></html>".encode()
    assert pages[3].reason == "bad_url:scheme"
    assert pages[7].reason == "http_404"
    assert max(server.max_inflight.values()) <= 2
    assert server.max_inflight["127.0.0.1"] == 2  # the limit is used, not just respected
    assert server.max_total_inflight > 2  # different hosts run side by side


def test_fetch_many_empty() -> None:
    with Fetcher(cfg()) as f:
        assert f.fetch_many([]) == []


def test_per_host_limit_applies_to_threads_calling_fetch(server: LocalServer) -> None:
    with Fetcher(cfg(per_host_concurrency=1)) as f:
        threads = [threading.Thread(target=f.fetch, args=(server.url(f"/concurrent?i={i}"),)) for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert server.max_inflight["127.0.0.1"] == 1
    assert server.count("/concurrent") == 4
