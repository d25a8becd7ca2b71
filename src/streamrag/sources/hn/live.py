"""Live Hacker News as a Bytewax input: poll ``/maxitem.json`` and ``/updates.json``, fetch items.

The HN Firebase API has no push without Firebase's streaming protocol, so the source polls:
new ids come from ``maxitem`` growing, changes to items it already covers (edits, score changes,
deletions, dead flags) from ``updates``. It runs on ONE partition; the flow redistributes after it.
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import json
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
from bytewax.inputs import FixedPartitionedSource, StatefulSourcePartition

from streamrag.config import HN_API
from streamrag.sources.hn.items import ItemEvent
from streamrag.sources.hn.roots import RootResolver

log = logging.getLogger(__name__)

PARTITION = "hn-live"
USER_AGENT = "streamrag/0.1 (real-time RAG tutorial; polite HN API poller)"
_RETRY_FAILED_ITEM = 3  # polls at which an item that failed to fetch is tried again
_FINGERPRINTS = 200_000  # how many emitted versions the source remembers to drop unchanged updates
_NULL_RECHECKS = 2  # a new id the API answered null for is re-fetched at this many later polls...
_MAX_NULLS = 1_000  # ...for at most this many ids (fresh items can read null for a moment)


class HNError(Exception):
    """The HN API did not give a usable answer (after retries where retrying made sense)."""


class HNClient:
    """A small synchronous client for the HN Firebase API (``/v0``).

    Retries with exponential backoff on 5xx, 429, timeouts and connection errors; never on other
    4xx. ``item``/``items`` never raise for a bad item: they log and leave it out (or return None).
    ``items`` fetches concurrently, at most ``concurrency`` requests in flight.
    """

    def __init__(
        self,
        api_base: str = HN_API,
        timeout_s: float = 5.0,
        concurrency: int = 8,
        retries: int = 3,
        backoff_s: float = 0.25,
        max_backoff_s: float = 5.0,
    ) -> None:
        self.api_base = api_base.rstrip("/")
        self.timeout_s = timeout_s
        self.concurrency = max(1, concurrency)
        self.retries = max(0, retries)
        self.backoff_s = backoff_s
        self.max_backoff_s = max_backoff_s
        self._client = httpx.Client(
            timeout=httpx.Timeout(timeout_s),
            limits=httpx.Limits(max_connections=self.concurrency, max_keepalive_connections=self.concurrency),
            headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
            follow_redirects=True,
        )
        self._pool: concurrent.futures.ThreadPoolExecutor | None = None
        self._lock = threading.Lock()
        self.requests = 0
        self.failures = 0

    def __enter__(self) -> HNClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
        self._client.close()

    def _sleep_before_retry(self, attempt: int, retry_after: str | None) -> None:
        delay = min(self.max_backoff_s, self.backoff_s * (2**attempt))
        if retry_after:
            try:
                delay = min(self.max_backoff_s, max(delay, float(retry_after)))
            except ValueError:
                pass
        time.sleep(delay)

    def get_json(self, path: str) -> Any:
        """GET ``<api_base>/<path>`` and decode JSON; raise ``HNError`` when no usable answer came."""
        url = f"{self.api_base}/{path.lstrip('/')}"
        problem = ""
        for attempt in range(self.retries + 1):
            retry_after = None
            with self._lock:
                self.requests += 1
            try:
                resp = self._client.get(url)
            except httpx.TimeoutException:
                problem = f"timed out after {self.timeout_s}s"
            except httpx.TransportError as exc:
                problem = f"connection error ({exc.__class__.__name__}: {exc})"
            else:
                code = resp.status_code
                if code == 429 or code >= 500:
                    problem = f"HTTP {code}"
                    retry_after = resp.headers.get("Retry-After")
                elif code >= 400:
                    raise HNError(f"GET {url}: HTTP {code} (not retried: the request itself is refused)")
                else:
                    try:
                        return resp.json()
                    except ValueError:
                        raise HNError(f"GET {url}: answer is not JSON") from None
            if attempt < self.retries:
                log.debug("GET %s: %s; retry %d/%d", url, problem, attempt + 1, self.retries)
                self._sleep_before_retry(attempt, retry_after)
        with self._lock:
            self.failures += 1
        raise HNError(f"GET {url}: {problem} ({self.retries + 1} attempts)")

    def maxitem(self) -> int:
        """The largest item id so far. Raises ``HNError`` when the API does not answer with an int."""
        value = self.get_json("maxitem.json")
        if not isinstance(value, int) or isinstance(value, bool):
            raise HNError(f"{self.api_base}/maxitem.json answered {value!r}, not an item id")
        return value

    def fetch_item(self, item_id: int) -> tuple[bool, dict[str, Any] | None]:
        """``(True, item)`` when the API answered (``item`` is None for ``null``), ``(False, None)`` on failure."""
        try:
            value = self.get_json(f"item/{int(item_id)}.json")
        except HNError as exc:
            log.warning("item %s not fetched: %s", item_id, exc)
            return False, None
        if value is not None and not isinstance(value, dict):
            log.warning("item %s: API answered %r, not an object; treating it as a failure", item_id, value)
            return False, None
        return True, value

    def item(self, item_id: int) -> dict[str, Any] | None:
        """The item, or None when the API said ``null`` or the fetch failed (logged)."""
        return self.fetch_item(item_id)[1]

    def items(self, ids: Iterable[int]) -> dict[int, dict[str, Any] | None]:
        """Fetch many items concurrently. Ids that failed are absent; ``null`` answers map to None."""
        ids = list(dict.fromkeys(ids))
        if not ids:
            return {}
        if len(ids) == 1 or self.concurrency == 1:
            results = [self.fetch_item(i) for i in ids]
        else:
            if self._pool is None:
                self._pool = concurrent.futures.ThreadPoolExecutor(self.concurrency, thread_name_prefix="hn-item")
            results = list(self._pool.map(self.fetch_item, ids))
        return {i: item for i, (ok, item) in zip(ids, results) if ok}

    def updates(self) -> dict[str, list[Any]]:
        """``{"items": [ids], "profiles": [names]}`` recently changed; empty lists when unavailable."""
        try:
            value = self.get_json("updates.json")
        except HNError as exc:
            log.warning("updates not fetched: %s", exc)
            return {"items": [], "profiles": []}
        if not isinstance(value, dict):
            return {"items": [], "profiles": []}
        items = [i for i in value.get("items") or [] if isinstance(i, int) and not isinstance(i, bool)]
        profiles = [p for p in value.get("profiles") or [] if isinstance(p, str)]
        return {"items": items, "profiles": profiles}


def probe(api_base: str = HN_API, timeout_s: float = 3.0) -> bool:
    """True when ``<api_base>/maxitem.json`` answers with an int within ``timeout_s`` seconds (hard bound)."""
    result: list[bool] = []

    def attempt() -> None:
        try:
            with httpx.Client(timeout=httpx.Timeout(timeout_s), headers={"User-Agent": USER_AGENT}) as client:
                resp = client.get(f"{api_base.rstrip('/')}/maxitem.json")
                value = resp.json() if resp.status_code == 200 else None
                result.append(isinstance(value, int) and not isinstance(value, bool))
        except Exception as exc:  # any failure means "not reachable"
            log.debug("probe of %s failed: %s", api_base, exc)
            result.append(False)

    thread = threading.Thread(target=attempt, name="hn-probe", daemon=True)
    thread.start()
    thread.join(timeout_s)
    return bool(result and result[0])


def _fingerprint(item: dict[str, Any] | None) -> str:
    return hashlib.sha1(json.dumps(item, sort_keys=True).encode("utf-8")).hexdigest()


class _LivePartition(StatefulSourcePartition[ItemEvent, dict[str, Any]]):
    """The polling loop. Snapshot: ``{"first_id", "last_id", "retry"}`` (see ``LiveSource``)."""

    def __init__(
        self,
        client: HNClient,
        resume_state: dict[str, Any] | None,
        poll_interval_s: float,
        backfill: int,
        max_items: int | None,
        duration_s: float | None,
        follow_updates: bool,
        chunk_size: int,
    ) -> None:
        state = resume_state if isinstance(resume_state, dict) else {}
        self.client = client
        self._first_id: int | None = state.get("first_id")
        self._last_id: int | None = state.get("last_id")  # every id <= this was emitted (or is in retry)
        self._target: int | None = self._last_id  # the latest maxitem seen
        self._retry: dict[int, int] = {int(i): 0 for i in state.get("retry", [])}
        self._poll_interval = max(0.0, poll_interval_s)
        self._backfill = max(0, backfill)
        self._max_items = max_items
        self._follow_updates = follow_updates
        self._chunk = max(1, chunk_size)
        self._resolver = RootResolver(client.item)
        self._fingerprints: OrderedDict[int, str] = OrderedDict()
        self._nulls: OrderedDict[int, int] = OrderedDict()  # id -> rechecks done
        self._start = time.monotonic()
        self._deadline = self._start + duration_s if duration_s is not None else None
        self._next_poll = self._start
        self.emitted = 0
        if self._last_id is not None:
            log.info("live source resumes after item %d (no backfill)", self._last_id)

    # ---- state -------------------------------------------------------------------------------

    def _budget(self) -> int | None:
        return None if self._max_items is None else max(0, self._max_items - self.emitted)

    def _done(self) -> bool:
        if self._max_items is not None and self.emitted >= self._max_items:
            return True
        return self._deadline is not None and time.monotonic() >= self._deadline

    def _catching_up(self) -> bool:
        return self._last_id is not None and self._target is not None and self._last_id < self._target

    def _covers(self, item_id: int) -> bool:
        if item_id in self._fingerprints:
            return True
        return (
            self._first_id is not None and self._last_id is not None and self._first_id <= item_id <= self._last_id
        )

    def _event(self, item_id: int, item: dict[str, Any] | None) -> ItemEvent:
        root_id, root_title, _ = self._resolver.annotate(item)
        self._fingerprints[item_id] = _fingerprint(item)
        self._fingerprints.move_to_end(item_id)
        while len(self._fingerprints) > _FINGERPRINTS:
            self._fingerprints.popitem(last=False)
        self.emitted += 1
        return ItemEvent(item_id, item, time.time(), root_id, root_title)

    # ---- polling -----------------------------------------------------------------------------

    def _poll_maxitem(self) -> None:
        try:
            maxitem = self.client.maxitem()
        except HNError as exc:
            log.warning("maxitem not available (%s); trying again in %.1fs", exc, self._poll_interval)
            return
        if self._last_id is None:
            self._first_id = max(1, maxitem - self._backfill + 1)
            self._last_id = self._first_id - 1
            log.info("live source starts at item %d (backfilling %d ids)", maxitem, maxitem - self._last_id)
        self._target = max(self._target or 0, maxitem)

    def _emit_new(self, budget: int | None) -> list[ItemEvent]:
        """Fetch and emit the next chunk of ids above ``last_id`` (concurrently, in id order)."""
        assert self._last_id is not None and self._target is not None
        n = min(self._chunk, self._target - self._last_id)
        if budget is not None:
            n = min(n, budget)
        ids = list(range(self._last_id + 1, self._last_id + 1 + n))
        if not ids:
            return []
        got = self.client.items(ids)
        events = []
        for item_id in ids:
            if item_id in got:
                events.append(self._event(item_id, got[item_id]))
                if got[item_id] is None:
                    self._nulls[item_id] = 0
                    while len(self._nulls) > _MAX_NULLS:
                        self._nulls.popitem(last=False)
            else:
                self._retry.setdefault(item_id, 0)
        self._last_id = ids[-1]
        return events

    def _emit_nulls(self, budget: int | None) -> list[ItemEvent]:
        """Re-fetch new ids that read null: HN sometimes serves a fresh item as null for a moment."""
        ids = list(self._nulls)[: budget if budget is not None else None]
        if not ids:
            return []
        got = self.client.items(ids)
        events = []
        for item_id in ids:
            self._nulls[item_id] += 1
            item = got.get(item_id)
            if item is not None:
                events.append(self._event(item_id, item))
            if item is not None or self._nulls[item_id] >= _NULL_RECHECKS:
                del self._nulls[item_id]
        return events

    def _emit_retries(self, budget: int | None) -> list[ItemEvent]:
        ids = sorted(self._retry)[: budget if budget is not None else None]
        if not ids:
            return []
        got = self.client.items(ids)
        events = []
        for item_id in ids:
            if item_id in got:
                del self._retry[item_id]
                events.append(self._event(item_id, got[item_id]))
            else:
                self._retry[item_id] += 1
                if self._retry[item_id] >= _RETRY_FAILED_ITEM:
                    del self._retry[item_id]
                    log.error("item %d could not be fetched after %d polls; it is skipped", item_id,
                              _RETRY_FAILED_ITEM + 1)
        return events

    def _emit_updates(self, budget: int | None) -> list[ItemEvent]:
        """Re-fetch changed items this source covers; emit the ones whose content really changed."""
        # Ascending ids: a story before its comments, so they see its new title.
        changed = sorted({i for i in self.client.updates()["items"] if self._covers(i) and i not in self._retry})
        if not changed or budget == 0:
            return []
        got = self.client.items(changed)
        events = []
        for item_id in changed:
            if budget is not None and len(events) >= budget:
                break
            if item_id in got and self._fingerprints.get(item_id) != _fingerprint(got[item_id]):
                events.append(self._event(item_id, got[item_id]))
        if events:
            log.debug("updates: %d of %d changed items re-emitted", len(events), len(changed))
        return events

    def next_batch(self) -> list[ItemEvent]:
        if self._done():
            raise StopIteration
        if self._catching_up():
            return self._emit_new(self._budget())
        now = time.monotonic()
        if now < self._next_poll:
            return []
        self._next_poll = now + self._poll_interval
        first_poll = self._last_id is None
        self._poll_maxitem()
        events: list[ItemEvent] = []
        if self._catching_up():
            events += self._emit_new(self._budget())
        if self._retry and not first_poll:
            events += self._emit_retries(self._budget())
        if self._nulls and not first_poll:
            events += self._emit_nulls(self._budget())
        if self._follow_updates and not first_poll and self._last_id is not None:
            events += self._emit_updates(self._budget())
        return events

    def next_awake(self) -> datetime | None:
        if self._done() or self._catching_up():
            return None  # done: next_batch ends the partition at once, not after another poll interval
        now = time.monotonic()
        wake = self._next_poll
        if self._deadline is not None:
            wake = min(wake, self._deadline)
        if wake <= now:
            return None
        return datetime.now(timezone.utc) + timedelta(seconds=wake - now)

    def snapshot(self) -> dict[str, Any]:
        return {"first_id": self._first_id, "last_id": self._last_id, "retry": sorted(self._retry)}

    def close(self) -> None:
        self.client.close()


class LiveSource(FixedPartitionedSource[ItemEvent, dict[str, Any]]):
    """Emit live HN items as ``ItemEvent`` from one partition.

    First start: the last ``backfill`` ids up to ``maxitem``; then every new id as ``maxitem`` grows
    (polled every ``poll_interval_s``), plus new versions of covered items listed by ``updates.json``
    (edits, score changes, deletions, dead flags; unchanged re-fetches are dropped). Stops after
    ``max_items`` events or ``duration_s`` seconds (per run). The recovery snapshot is
    ``{"first_id", "last_id", "retry"}``: a resumed run continues after ``last_id`` without backfill.
    """

    def __init__(
        self,
        api_base: str = HN_API,
        poll_interval_s: float = 5.0,
        backfill: int = 30,
        max_items: int | None = None,
        duration_s: float | None = None,
        concurrency: int = 8,
        timeout_s: float = 5.0,
        follow_updates: bool = True,
        chunk_size: int | None = None,
    ) -> None:
        self.api_base = api_base
        self.poll_interval_s = poll_interval_s
        self.backfill = backfill
        self.max_items = max_items
        self.duration_s = duration_s
        self.concurrency = concurrency
        self.timeout_s = timeout_s
        self.follow_updates = follow_updates
        self.chunk_size = chunk_size or max(8, 4 * concurrency)

    def list_parts(self) -> list[str]:
        return [PARTITION]

    def build_part(self, step_id: str, for_part: str, resume_state: dict[str, Any] | None) -> _LivePartition:
        client = HNClient(self.api_base, timeout_s=self.timeout_s, concurrency=self.concurrency)
        return _LivePartition(
            client,
            resume_state,
            self.poll_interval_s,
            self.backfill,
            self.max_items,
            self.duration_s,
            self.follow_updates,
            self.chunk_size,
        )
