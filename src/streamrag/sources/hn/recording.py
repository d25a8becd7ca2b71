"""Read and write recordings in the ``hn-recording/1`` format.

A recording is a folder that replays a Hacker News session offline::

    manifest.json   {"format": "hn-recording/1", "items": N, "pages": M, "description": "..."}
    items.jsonl     {"at": <s since start>, "id": <int>, "item": <object|null>} per line, in arrival order
    pages.jsonl     {"url", "status", "content_type", "body": "pages/<file>"} or {"url", "error": "<reason>"}
    pages/          raw response bodies

The same id may appear several times in ``items.jsonl``: each line is a newer version of that item.
A URL absent from ``pages.jsonl`` was never fetched and replays as a failed fetch (``not_recorded``).
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from streamrag.records import Page

log = logging.getLogger(__name__)

FORMAT = "hn-recording/1"
MANIFEST = "manifest.json"
ITEMS = "items.jsonl"
PAGES = "pages.jsonl"
PAGES_DIR = "pages"

# Malformed lines are logged one by one up to this many per iteration, then only counted.
_MAX_LOGGED_BAD_LINES = 10


class RecordingError(Exception):
    """A recording is missing, unreadable or not in the ``hn-recording/1`` format."""


@dataclass(frozen=True)
class ItemEntry:
    """One valid line of ``items.jsonl``; ``line`` is its 0-based line index (the replay position)."""

    line: int
    at: float
    id: int
    item: dict[str, Any] | None


def page_key(url: str) -> str:
    """The file name stem a recording uses for the body of ``url``: ``sha1(url)[:16]``."""
    return hashlib.sha1(url.encode("utf-8")).hexdigest()[:16]


def _missing_message(path: Path, what: str) -> str:
    return (
        f"no recording at {path} ({what}): make one with `python -m streamrag record --out {path}` "
        f"or use data/sample"
    )


def _parse_item_line(raw: str) -> tuple[float, int, dict[str, Any] | None]:
    """Parse one ``items.jsonl`` line or raise ``ValueError`` saying what is wrong with it."""
    try:
        obj = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not JSON ({exc.msg})") from None
    if not isinstance(obj, dict):
        raise ValueError("not a JSON object")
    at, item_id = obj.get("at"), obj.get("id")
    if isinstance(item_id, bool) or not isinstance(item_id, int):
        raise ValueError("'id' is missing or not an integer")
    if isinstance(at, bool) or not isinstance(at, (int, float)):
        raise ValueError("'at' is missing or not a number")
    if "item" not in obj:
        raise ValueError("'item' is missing")
    item = obj["item"]
    if item is not None and not isinstance(item, dict):
        raise ValueError("'item' is neither an object nor null")
    return float(at), item_id, item


class Recording:
    """A recording on disk, validated on construction.

    ``iter_items()`` streams the items; ``page(url)`` answers what fetching ``url`` gave when recorded.
    Raises ``RecordingError`` when ``path`` holds no usable recording.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        manifest_path = self.path / MANIFEST
        if not self.path.is_dir():
            raise RecordingError(_missing_message(self.path, "no such folder"))
        if not manifest_path.is_file():
            raise RecordingError(_missing_message(self.path, f"no {MANIFEST}"))
        try:
            manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise RecordingError(
                f"{manifest_path} is not readable JSON ({exc}): re-record it with "
                f"`python -m streamrag record --out {self.path}` or use data/sample"
            ) from exc
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            found = manifest.get("format") if isinstance(manifest, dict) else type(manifest).__name__
            raise RecordingError(
                f"{self.path} is not an {FORMAT} recording (manifest format is {found!r}): "
                f"point --recording at a folder made by `python -m streamrag record` or use data/sample"
            )
        if not (self.path / ITEMS).is_file():
            raise RecordingError(_missing_message(self.path, f"manifest present but no {ITEMS}"))
        self.manifest: dict[str, Any] = manifest
        self.malformed_lines = 0  # malformed lines met by the latest iteration over items.jsonl
        self._latest: dict[int, dict[str, Any] | None] | None = None
        self._pages: dict[str, dict[str, Any]] | None = None
        self.malformed_page_lines = 0

    def __repr__(self) -> str:
        return f"Recording({str(self.path)!r})"

    @property
    def description(self) -> str:
        return str(self.manifest.get("description", ""))

    @property
    def declared_items(self) -> int | None:
        """The item count the manifest claims (the file is the truth; this is for progress bars)."""
        n = self.manifest.get("items")
        return n if isinstance(n, int) else None

    # ---- items -------------------------------------------------------------------------------

    def iter_entries(self, start_line: int = 0) -> Iterator[ItemEntry]:
        """Yield valid item lines from line index ``start_line`` on, skipping (and counting) bad ones."""
        self.malformed_lines = 0
        logged = 0
        with open(self.path / ITEMS, encoding="utf-8", errors="replace") as fh:
            for line_no, raw in enumerate(fh):
                if line_no < start_line:
                    continue
                if not raw.strip():
                    continue
                try:
                    at, item_id, item = _parse_item_line(raw)
                except ValueError as exc:
                    self.malformed_lines += 1
                    if logged < _MAX_LOGGED_BAD_LINES:
                        logged += 1
                        log.warning("%s line %d skipped: %s", self.path / ITEMS, line_no + 1, exc)
                    continue
                yield ItemEntry(line_no, at, item_id, item)
        if self.malformed_lines:
            log.warning(
                "%s: skipped %d malformed line(s); the rest replays normally",
                self.path / ITEMS,
                self.malformed_lines,
            )

    def iter_items(self) -> Iterator[tuple[float, int, dict[str, Any] | None]]:
        """Yield ``(at, id, item)`` for every valid line, in file order."""
        for entry in self.iter_entries():
            yield entry.at, entry.id, entry.item

    def latest_items(self) -> dict[int, dict[str, Any] | None]:
        """The last recorded version of every id (computed once, then cached)."""
        if self._latest is None:
            latest: dict[int, dict[str, Any] | None] = {}
            for entry in self.iter_entries():
                latest[entry.id] = entry.item
            self._latest = latest
        return self._latest

    # ---- pages -------------------------------------------------------------------------------

    def _page_index(self) -> dict[str, dict[str, Any]]:
        if self._pages is None:
            pages: dict[str, dict[str, Any]] = {}
            self.malformed_page_lines = 0
            pages_file = self.path / PAGES
            if pages_file.is_file():
                with open(pages_file, encoding="utf-8", errors="replace") as fh:
                    for line_no, raw in enumerate(fh, start=1):
                        if not raw.strip():
                            continue
                        try:
                            obj = json.loads(raw)
                        except json.JSONDecodeError:
                            obj = None
                        if not isinstance(obj, dict) or not isinstance(obj.get("url"), str):
                            self.malformed_page_lines += 1
                            log.warning("%s line %d skipped: not a page entry", pages_file, line_no)
                            continue
                        pages[obj["url"]] = obj  # a later line for the same URL wins
            self._pages = pages
        return self._pages

    def page_urls(self) -> list[str]:
        """Every URL the recorder tried, in file order (last occurrence)."""
        return list(self._page_index())

    def page(self, url: str) -> Page:
        """What fetching ``url`` gave when this recording was made, as a ``records.Page``."""
        entry = self._page_index().get(url)
        if entry is None:
            return Page(url=url, ok=False, reason="not_recorded")
        status = entry.get("status")
        status = status if isinstance(status, int) and not isinstance(status, bool) else None
        content_type = str(entry.get("content_type") or "")
        final_url = str(entry.get("final_url") or url)
        body = self._read_body(entry.get("body"))
        error = entry.get("error")
        if error:
            return Page(url, ok=False, status=status, content_type=content_type, body=body,
                        final_url=final_url, reason=str(error))
        if status is None:
            return Page(url, ok=False, content_type=content_type, final_url=final_url,
                        reason="malformed_entry")
        if status >= 400:
            return Page(url, ok=False, status=status, content_type=content_type, body=body,
                        final_url=final_url, reason=f"http_{status}")
        if body is None:
            return Page(url, ok=False, status=status, content_type=content_type, final_url=final_url,
                        reason="body_missing")
        return Page(url, ok=True, status=status, content_type=content_type, body=body, final_url=final_url)

    def _read_body(self, rel: Any) -> bytes | None:
        if not isinstance(rel, str) or not rel:
            return None
        root = self.path.resolve()
        target = (self.path / rel).resolve()
        if root not in target.parents:  # a body path must stay inside the recording
            log.warning("%s: body path %r points outside the recording; ignored", self.path, rel)
            return None
        try:
            return target.read_bytes()
        except OSError:
            return None


class RecordingWriter:
    """Write a recording: ``add_item`` / ``add_page`` as things arrive, ``close()`` at the end.

    Lines are flushed as written and the manifest is written up front and rewritten on ``close``,
    so a recording cut short (Ctrl-C, crash) still replays. Refuses to overwrite an existing
    recording unless ``overwrite=True``.
    """

    def __init__(self, path: str | Path, description: str = "", overwrite: bool = False) -> None:
        self.path = Path(path)
        if (self.path / MANIFEST).exists() and not overwrite:
            raise RecordingError(
                f"{self.path} already holds a recording: choose another --out folder or delete it first"
            )
        (self.path / PAGES_DIR).mkdir(parents=True, exist_ok=True)
        self.description = description
        self.items = 0
        self._page_urls: set[str] = set()
        self._items_fh = open(self.path / ITEMS, "w", encoding="utf-8")
        self._pages_fh = open(self.path / PAGES, "w", encoding="utf-8")
        self._closed = False
        self._write_manifest()

    def __enter__(self) -> RecordingWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def pages(self) -> int:
        return len(self._page_urls)

    def add_item(self, at: float, item_id: int, item: dict[str, Any] | None) -> None:
        line = {"at": round(float(at), 3), "id": int(item_id), "item": item}
        self._items_fh.write(json.dumps(line, ensure_ascii=False) + "\n")
        self._items_fh.flush()
        self.items += 1

    def add_page(self, url: str, page: Page) -> None:
        """Record the outcome of fetching ``url``: a response (body kept) or an error reason."""
        entry: dict[str, Any] = {"url": url}
        if page.status is not None:
            entry["status"] = page.status
            entry["content_type"] = page.content_type
            body = page.body if page.body is not None else (b"" if page.ok else None)
            if body is not None:
                ext = ".html" if "html" in page.content_type.lower() else ".bin"
                rel = f"{PAGES_DIR}/{page_key(url)}{ext}"
                (self.path / rel).write_bytes(body)
                entry["body"] = rel
            if page.final_url and page.final_url != url:
                entry["final_url"] = page.final_url
        # A failure that is not just the HTTP status (timeout, not_html, too_large...) is an error entry.
        if not page.ok and page.reason and page.reason != f"http_{page.status}":
            entry["error"] = page.reason
        elif not page.ok and page.status is None:
            entry["error"] = page.reason or "error"
        self._pages_fh.write(json.dumps(entry, ensure_ascii=False) + "\n")
        self._pages_fh.flush()
        self._page_urls.add(url)

    def _write_manifest(self) -> None:
        manifest = {
            "format": FORMAT,
            "items": self.items,
            "pages": self.pages,
            "description": self.description,
            "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        tmp = self.path / (MANIFEST + ".tmp")
        tmp.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        tmp.replace(self.path / MANIFEST)

    def close(self) -> None:
        """Flush the files and write the final manifest (idempotent)."""
        if self._closed:
            return
        self._closed = True
        self._items_fh.close()
        self._pages_fh.close()
        self._write_manifest()
        log.info("recording written to %s: %d items, %d pages", self.path, self.items, self.pages)
