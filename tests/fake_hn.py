"""A fake Hacker News API plus article pages, served on 127.0.0.1 for offline tests.

Usage::

    from fake_hn import FakeHN, story, comment

    with FakeHN() as hn:
        hn.add(story(1, "A title", url=hn.page_url("a")))
        hn.add(comment(2, parent=1, text="first!"))
        hn.add_page("a", "<html><body><p>Article text</p></body></html>")
        api = hn.url                  # "http://127.0.0.1:PORT/v0", what the HN client takes
        hn.edit(1, title="New title")  # changes the item and lists it in /v0/updates.json
        hn.delete(2)                   # the API's deleted form, listed in updates too
        hn.fail("/v0/maxitem.json", times=2, status=503)  # next 2 requests answer 503
        hn.count("/v0/item/1.json")    # how many requests that path got

Served paths:

- ``/v0/maxitem.json``: the largest id in ``items`` (or ``hn.maxitem`` when set explicitly)
- ``/v0/item/<id>.json``: ``items[id]`` as JSON, ``null`` when absent or None (like the real API)
- ``/v0/updates.json``: ``{"items": hn.updates, "profiles": hn.profiles}``
- ``/pages/<name>``: pages added with ``add_page`` (any status, content type and bytes)

Everything else is 404. All state is plain attributes guarded by ``hn.lock``; tests may mutate
``hn.items`` directly. ``hn.requests`` is a ``Counter`` of request paths.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def story(item_id: int, title: str, url: str | None = None, by: str = "alice", score: int = 1,
          time_: int = 1_700_000_000, **extra: Any) -> dict[str, Any]:
    """An HN story item as the API returns it (``url`` left out when None, like a text post)."""
    item: dict[str, Any] = {"id": item_id, "type": "story", "by": by, "time": time_ + item_id,
                            "title": title, "score": score, "descendants": 0}
    if url is not None:
        item["url"] = url
    item.update(extra)
    return item


def comment(item_id: int, parent: int, text: str = "a comment", by: str = "bob",
            time_: int = 1_700_000_000, **extra: Any) -> dict[str, Any]:
    """An HN comment item as the API returns it."""
    item: dict[str, Any] = {"id": item_id, "type": "comment", "by": by, "time": time_ + item_id,
                            "parent": parent, "text": text}
    item.update(extra)
    return item


@dataclass
class FakePage:
    status: int
    content_type: str
    body: bytes
    delay_s: float = 0.0


class FakeHN:
    """Threaded local HTTP server faking the HN API (``/v0/...``) and article pages (``/pages/...``)."""

    def __init__(self, items: dict[int, dict[str, Any] | None] | None = None) -> None:
        self.lock = threading.RLock()
        self.items: dict[int, dict[str, Any] | None] = dict(items or {})
        self.maxitem: int | None = None  # None: the largest key of ``items``
        self.updates: list[int] = []
        self.profiles: list[str] = []
        self.pages: dict[str, FakePage] = {}
        self.requests: Counter[str] = Counter()
        self.delays: dict[str, float] = {}  # path -> seconds to wait before answering
        self._failures: dict[str, list[int]] = {}  # path -> statuses to answer next, in order
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ---- lifecycle ---------------------------------------------------------------------------

    def start(self) -> FakeHN:
        handler = _make_handler(self)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-hn", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeHN:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base(self) -> str:
        """``http://127.0.0.1:PORT``."""
        assert self._server is not None, "FakeHN is not started: use `with FakeHN() as hn:`"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def url(self) -> str:
        """The API base, ``http://127.0.0.1:PORT/v0``."""
        return f"{self.base}/v0"

    def page_url(self, name: str) -> str:
        return f"{self.base}/pages/{name}"

    # ---- state helpers -----------------------------------------------------------------------

    def current_maxitem(self) -> int:
        with self.lock:
            if self.maxitem is not None:
                return self.maxitem
            return max(self.items, default=0)

    def add(self, *items: dict[str, Any]) -> None:
        """Add (or replace) items by their ``id``; maxitem follows unless set explicitly."""
        with self.lock:
            for item in items:
                self.items[item["id"]] = item

    def edit(self, item_id: int, **fields: Any) -> dict[str, Any]:
        """Change fields of an item and list it in ``updates.json``; returns the new item."""
        with self.lock:
            item = dict(self.items[item_id] or {"id": item_id})
            item.update(fields)
            self.items[item_id] = item
            self._updated(item_id)
            return item

    def delete(self, item_id: int) -> dict[str, Any]:
        """Replace an item by the API's deleted form (id, type, time, parent, deleted) and list it."""
        with self.lock:
            old = self.items.get(item_id) or {}
            item = {k: old[k] for k in ("id", "type", "time", "parent", "kids") if k in old}
            item.update({"id": item_id, "deleted": True})
            self.items[item_id] = item
            self._updated(item_id)
            return item

    def kill(self, item_id: int) -> dict[str, Any]:
        """Mark an item dead (moderated) and list it in updates."""
        return self.edit(item_id, dead=True)

    def _updated(self, item_id: int) -> None:
        if item_id in self.updates:
            self.updates.remove(item_id)
        self.updates.insert(0, item_id)

    def add_page(self, name: str, body: str | bytes, status: int = 200,
                 content_type: str = "text/html; charset=utf-8", delay_s: float = 0.0) -> str:
        """Serve ``body`` at ``/pages/<name>``; returns its URL."""
        data = body.encode("utf-8") if isinstance(body, str) else body
        with self.lock:
            self.pages[name] = FakePage(status, content_type, data, delay_s)
        return self.page_url(name)

    def fail(self, path: str, times: int = 1, status: int = 503) -> None:
        """Answer the next ``times`` requests to ``path`` (e.g. ``/v0/maxitem.json``) with ``status``."""
        with self.lock:
            self._failures.setdefault(path, []).extend([status] * times)

    def count(self, path: str) -> int:
        """Requests received for ``path`` (failed ones included)."""
        with self.lock:
            return self.requests[path]

    def item_requests(self) -> int:
        """Requests received for any ``/v0/item/...`` path."""
        with self.lock:
            return sum(n for p, n in self.requests.items() if p.startswith("/v0/item/"))

    # ---- serving -----------------------------------------------------------------------------

    def _answer(self, path: str) -> tuple[int, str, bytes, float]:
        """``(status, content_type, body, delay)`` for ``path``."""
        with self.lock:
            self.requests[path] += 1
            delay = self.delays.get(path, 0.0)
            pending = self._failures.get(path)
            if pending:
                return pending.pop(0), "application/json", b'{"error": "injected failure"}', delay
            if path == "/v0/maxitem.json":
                return 200, "application/json", json.dumps(self.current_maxitem()).encode(), delay
            if path == "/v0/updates.json":
                body = {"items": list(self.updates), "profiles": list(self.profiles)}
                return 200, "application/json", json.dumps(body).encode(), delay
            if path.startswith("/v0/item/") and path.endswith(".json"):
                raw_id = path[len("/v0/item/"):-len(".json")]
                if not raw_id.isdigit():
                    return 400, "application/json", b'{"error": "bad id"}', delay
                item = self.items.get(int(raw_id))
                return 200, "application/json", json.dumps(item).encode(), delay
            if path.startswith("/pages/"):
                page = self.pages.get(path[len("/pages/"):])
                if page is not None:
                    return page.status, page.content_type, page.body, max(delay, page.delay_s)
            return 404, "text/plain", b"not found", delay


def _make_handler(hn: FakeHN) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            path = self.path.split("?", 1)[0]
            status, ctype, body, delay = hn._answer(path)
            if delay:
                time.sleep(delay)
            try:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass  # keep test output clean

    return Handler
