"""Fetch article HTML over the network: safely, politely and with bounded cost.

``Fetcher.fetch(url)`` never raises for bad input or network trouble: it returns a ``Page`` with
``ok=False`` and a short, stable ``reason``:

``http_<status>``, ``timeout``, ``connect_error`` (``connect_error:dns``, ``connect_error:read``,
``connect_error:protocol``), ``too_large``, ``not_html:<mime type>``, ``too_many_redirects``,
``ssrf_refused:<why>``, ``bad_url:<why>``, ``binary_body``, ``empty_body`` (and ``error:<Exception>``
for a bug we did not foresee).

Safety: every hop passes the SSRF guard (:mod:`.guard`); redirects are followed by hand so each hop is
checked; bodies are streamed and capped at ``max_bytes``.
"""

from __future__ import annotations

import email.utils
import hashlib
import json
import logging
import os
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from http.cookiejar import CookieJar, DefaultCookiePolicy
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx

from ..config import FetchConfig
from ..records import Page
from .content import HTML_TYPES, body_problem, mime_type
from .guard import GuardedTransport, Refused, SSRFBlocked, Target, check_target, host_key, parse_url

logger = logging.getLogger(__name__)

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
MAX_WORKERS = 16  # overall cap on fetch_many's threads (per-host limits come on top)
MAX_RETRY_AFTER_S = 5.0  # a Retry-After longer than this is cut down to it
MAX_BACKOFF_S = 30.0
CHUNK_BYTES = 64 * 1024
CACHE_VERSION = 1
ACCEPT = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.1"

class _Retryable(Exception):
    """Internal: a failure worth another attempt (5xx, 429, timeouts, connection errors)."""

    def __init__(
        self, reason: str, status: int | None = None, content_type: str = "", retry_after: float | None = None
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.content_type = content_type
        self.retry_after = retry_after


def _sleep(seconds: float) -> None:
    """Wait between retries (a seam for tests)."""
    time.sleep(seconds)


class _NoCookies(DefaultCookiePolicy):
    """Accept and send no cookies: fetches must not leak state into each other."""

    def set_ok(self, cookie: Any, request: Any) -> bool:
        return False

    def return_ok(self, cookie: Any, request: Any) -> bool:
        return False


def _retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - time.time())


class Fetcher:
    """Fetches article pages with an SSRF guard, size cap, retries, redirects and a disk cache.

    Thread-safe: one instance can serve many threads (``fetch_many`` uses a thread pool).
    """

    def __init__(self, config: FetchConfig | None = None) -> None:
        self.config = config or FetchConfig()
        self._allow = frozenset(host_key(h) for h in self.config.allow_hosts)
        self._timeout = httpx.Timeout(
            connect=self.config.connect_timeout_s,
            read=self.config.read_timeout_s,
            write=self.config.read_timeout_s,
            pool=self.config.connect_timeout_s + self.config.read_timeout_s,
        )
        limits = httpx.Limits(max_connections=None, max_keepalive_connections=32, keepalive_expiry=30.0)
        self._client = httpx.Client(
            transport=GuardedTransport(self._allow, limits),
            timeout=self._timeout,
            follow_redirects=False,
            trust_env=False,
            cookies=httpx.Cookies(CookieJar(policy=_NoCookies())),
            headers={"User-Agent": self.config.user_agent, "Accept": ACCEPT},
        )
        self._host_limits: dict[str, threading.BoundedSemaphore] = {}
        self._host_lock = threading.Lock()
        self._cache_dir = Path(self.config.cache_dir) if self.config.cache_dir is not None else None

    # -- public API ------------------------------------------------------------------------

    def fetch(self, url: str) -> Page:
        """Fetch one URL; failures come back as ``Page(ok=False, reason=...)``, never as exceptions."""
        try:
            page = self._fetch(url)
        except Refused as exc:
            page = Page(url=url, ok=False, status=exc.status, content_type=exc.content_type, reason=exc.reason)
        except Exception as exc:  # a bug, not bad input: still never raise into the pipeline
            logger.exception("fetch crashed url=%r", url)
            page = Page(url=url, ok=False, reason=f"error:{type(exc).__name__}")
        if not page.ok:
            log = logger.warning if page.reason.startswith(("ssrf_refused", "error:")) else logger.info
            log("fetch failed url=%r reason=%s", url, page.reason)
        return page

    def fetch_many(self, urls: list[str]) -> list[Page]:
        """Fetch ``urls`` concurrently; results are in input order.

        At most ``per_host_concurrency`` requests hit one host at a time and at most ``MAX_WORKERS``
        run overall. URLs are submitted round-robin across hosts so one busy host does not park
        every worker on its semaphore.
        """
        if not urls:
            return []
        results: list[Page | None] = [None] * len(urls)
        order = _interleave_by_host(urls)
        workers = min(MAX_WORKERS, len(urls))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="fetch") as pool:
            futures = {pool.submit(self.fetch, urls[i]): i for i in order}
            for future, i in futures.items():
                results[i] = future.result()
        return [p if p is not None else Page(url=u, ok=False, reason="error:missing") for p, u in zip(results, urls)]

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self._client.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # -- the fetch itself ------------------------------------------------------------------

    def _fetch(self, url: str) -> Page:
        start = target = parse_url(url)
        cached = self._cache_get(start.url)
        if cached is not None:
            cached.url = url
            return cached
        hops = 0
        while True:
            check_target(target, self._allow)
            outcome = self._request_with_retries(target)
            if isinstance(outcome, Page):
                outcome.url = url
                self._cache_put(start.url, outcome)
                return outcome
            status, location = outcome
            hops += 1
            if hops > self.config.max_redirects:
                raise Refused("too_many_redirects", status=status)
            try:
                target = parse_url(urljoin(target.url, location))
            except Refused as exc:
                raise Refused(exc.reason, status=status) from exc
            logger.debug("redirect %s -> %s", url, target.url)

    def _request_with_retries(self, target: Target) -> Page | tuple[int, str]:
        """One hop: a page (success), a redirect ``(status, location)``, or ``Refused``."""
        attempts = 1 + max(0, self.config.retries)
        for attempt in range(attempts):
            last = attempt == attempts - 1
            try:
                with self._host_slot(target.host):
                    return self._request_once(target)
            except _Retryable as exc:
                if last:
                    raise Refused(exc.reason, status=exc.status, content_type=exc.content_type) from exc
                if exc.retry_after is None:
                    delay = self._backoff(attempt)
                else:
                    delay = min(exc.retry_after, MAX_RETRY_AFTER_S)
                logger.debug(
                    "retry %d/%d url=%r reason=%s in %.2fs", attempt + 1, attempts - 1, target.url, exc.reason, delay
                )
                _sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    def _backoff(self, attempt: int) -> float:
        return min(MAX_BACKOFF_S, self.config.backoff_s * (2**attempt))

    def _request_once(self, target: Target) -> Page | tuple[int, str]:
        """Send one GET and read its body under every limit."""
        deadline = time.monotonic() + self.config.connect_timeout_s + 3 * self.config.read_timeout_s
        try:
            with self._client.stream("GET", target.url) as response:
                return self._read_response(target, response, deadline)
        except httpx.TimeoutException as exc:
            raise _Retryable("timeout") from exc
        except httpx.TransportError as exc:
            cause = exc.__cause__
            if isinstance(cause, SSRFBlocked):
                raise Refused(cause.reason) from exc
            if isinstance(exc, httpx.ConnectError):
                reason = "connect_error:dns" if str(exc).startswith("dns:") else "connect_error"
                raise _Retryable(reason) from exc
            if isinstance(exc, (httpx.UnsupportedProtocol, httpx.LocalProtocolError)):
                raise Refused("bad_url:invalid") from exc
            if isinstance(exc, httpx.ProtocolError):
                raise _Retryable("connect_error:protocol") from exc
            raise _Retryable("connect_error:read") from exc
        except httpx.InvalidURL as exc:
            raise Refused("bad_url:invalid") from exc

    def _read_response(
        self, target: Target, response: httpx.Response, deadline: float
    ) -> Page | tuple[int, str]:
        status = response.status_code
        ctype = response.headers.get("content-type", "")
        if status in REDIRECT_STATUSES:
            location = response.headers.get("location", "").strip()
            if location:
                return status, location
            raise Refused(f"http_{status}", status=status, content_type=ctype)
        if status == 429 or status >= 500:
            retry_after = _retry_after(response.headers.get("retry-after"))
            raise _Retryable(f"http_{status}", status, ctype, retry_after)
        if not 200 <= status < 300:
            raise Refused(f"http_{status}", status=status, content_type=ctype)

        length = response.headers.get("content-length", "")
        if length.strip().isdigit() and int(length) > self.config.max_bytes:
            raise Refused("too_large", status=status, content_type=ctype)
        mime = mime_type(ctype)
        if mime and mime not in HTML_TYPES:
            raise Refused(f"not_html:{mime}", status=status, content_type=ctype)

        body = self._read_capped(response.iter_bytes(CHUNK_BYTES), status, ctype, deadline)
        problem = body_problem(ctype, body, self.config.max_bytes)
        if problem:
            raise Refused(problem, status=status, content_type=ctype)
        return Page(
            url=target.url, ok=True, status=status, content_type=ctype, body=body, final_url=str(response.url)
        )

    def _read_capped(self, chunks: Iterator[bytes], status: int, ctype: str, deadline: float) -> bytes:
        """Read a streamed body, stopping as soon as it passes ``max_bytes`` or the deadline."""
        buf = bytearray()
        for chunk in chunks:
            buf += chunk
            if len(buf) > self.config.max_bytes:
                raise Refused("too_large", status=status, content_type=ctype)
            if time.monotonic() > deadline:
                raise _Retryable("timeout", status, ctype)
        return bytes(buf)

    def _host_slot(self, host: str) -> threading.BoundedSemaphore:
        """The semaphore bounding concurrent requests to ``host``."""
        with self._host_lock:
            sem = self._host_limits.get(host)
            if sem is None:
                sem = threading.BoundedSemaphore(max(1, self.config.per_host_concurrency))
                self._host_limits[host] = sem
            return sem

    # -- disk cache ------------------------------------------------------------------------

    def _cache_path(self, url: str) -> Path | None:
        if self._cache_dir is None:
            return None
        key = hashlib.sha256(url.encode("utf-8")).hexdigest()
        return self._cache_dir / key[:2] / f"{key}.page"

    def _cache_get(self, url: str) -> Page | None:
        """A cached successful page for ``url``, or ``None``.

        File format: one JSON line of metadata, then the raw body bytes.
        """
        path = self._cache_path(url)
        if path is None:
            return None
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            logger.warning("cache read failed path=%s error=%s", path, exc)
            return None
        try:
            header, _, body = data.partition(b"\n")
            meta = json.loads(header)
            if meta.get("v") != CACHE_VERSION or meta.get("url") != url or len(body) != meta.get("length"):
                return None
            return Page(
                url=url,
                ok=True,
                status=meta.get("status"),
                content_type=meta.get("content_type", ""),
                body=body,
                final_url=meta.get("final_url", ""),
                from_cache=True,
            )
        except (ValueError, AttributeError) as exc:
            logger.warning("cache entry unreadable path=%s error=%s", path, exc)
            return None

    def _cache_put(self, url: str, page: Page) -> None:
        """Store a successful page atomically (temp file + ``os.replace``)."""
        path = self._cache_path(url)
        if path is None or not page.ok or page.body is None:
            return
        meta = {
            "v": CACHE_VERSION,
            "url": url,
            "status": page.status,
            "content_type": page.content_type,
            "final_url": page.final_url,
            "length": len(page.body),
            "fetched_at": time.time(),
        }
        tmp_name = None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".page")
            with os.fdopen(fd, "wb") as handle:
                handle.write(json.dumps(meta).encode("utf-8") + b"\n")
                handle.write(page.body)
            os.replace(tmp_name, path)
            tmp_name = None
        except OSError as exc:
            logger.warning("cache write failed url=%r error=%s", url, exc)
        finally:
            if tmp_name is not None:
                try:
                    os.unlink(tmp_name)
                except OSError:
                    pass


def _interleave_by_host(urls: list[str]) -> list[int]:
    """Indices of ``urls`` ordered round-robin across hosts."""
    groups: dict[str, list[int]] = defaultdict(list)
    for i, url in enumerate(urls):
        try:
            host = host_key(urlsplit(url).hostname or "") if isinstance(url, str) else ""
        except ValueError:
            host = ""
        groups[host].append(i)
    order: list[int] = []
    queues = [list(reversed(g)) for g in groups.values()]
    while queues:
        for queue in queues:
            order.append(queue.pop())
        queues = [q for q in queues if q]
    return order


__all__ = ["Fetcher"]
