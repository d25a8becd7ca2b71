"""Record a live Hacker News session (items and the article pages they link) for offline replay."""

from __future__ import annotations

import logging
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from streamrag.config import HN_API, FetchConfig
from streamrag.sources.hn.items import ItemEvent
from streamrag.sources.hn.live import PARTITION, LiveSource
from streamrag.sources.hn.recording import RecordingWriter

log = logging.getLogger(__name__)


def _story_url(event: ItemEvent) -> str | None:
    item = event.item
    if not isinstance(item, dict) or event.is_gone:
        return None
    url = item.get("url")
    return url if isinstance(url, str) and url.startswith(("http://", "https://")) else None


def record(
    out_dir: str | Path,
    api_base: str = HN_API,
    duration_s: float | None = None,
    max_items: int | None = None,
    fetch_config: FetchConfig | None = None,
    poll_interval_s: float = 5.0,
    backfill: int = 30,
    concurrency: int = 8,
    timeout_s: float = 5.0,
    fetch_pages: bool = True,
    description: str = "",
    overwrite: bool = False,
) -> dict[str, Any]:
    """Write an ``hn-recording/1`` folder at ``out_dir`` from live HN; return counts.

    Items come from the same polling code as ``LiveSource`` (driven here without Bytewax); every
    story URL is fetched once through ``streamrag.fetch.Fetcher`` and its outcome (body or failure
    reason) stored. Stops after ``max_items`` items or ``duration_s`` seconds, or on Ctrl-C; the
    recording is usable in every case.
    """
    from streamrag.fetch import Fetcher  # lazy: the recorder is the only user of the network fetcher here

    if duration_s is None and max_items is None:
        log.warning("recording without --duration or --max-items: stop it with Ctrl-C")
    source = LiveSource(
        api_base=api_base,
        poll_interval_s=poll_interval_s,
        backfill=backfill,
        max_items=max_items,
        duration_s=duration_s,
        concurrency=concurrency,
        timeout_s=timeout_s,
    )
    part = source.build_part("record", PARTITION, None)
    fetcher = Fetcher(fetch_config or FetchConfig()) if fetch_pages else None
    desc = description or (
        f"Live HN session recorded from {api_base} on "
        f"{datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}"
    )
    writer = RecordingWriter(out_dir, description=desc, overwrite=overwrite)
    stats: dict[str, Any] = {"out": str(out_dir), "items": 0, "pages": 0, "pages_ok": 0, "pages_failed": 0,
                             "page_reasons": {}, "interrupted": False}
    tried: set[str] = set()
    start = time.monotonic()
    try:
        while True:
            awake = part.next_awake()
            if awake is not None:
                wait = (awake - datetime.now(timezone.utc)).total_seconds()
                if wait > 0:
                    time.sleep(wait)
            try:
                batch = part.next_batch()
            except StopIteration:
                break
            urls: list[str] = []
            for event in batch:
                writer.add_item(time.monotonic() - start, event.item_id, event.item)
                stats["items"] += 1
                url = _story_url(event)
                if url and url not in tried:
                    tried.add(url)
                    urls.append(url)
            if fetcher is not None and urls:
                for url, page in zip(urls, fetcher.fetch_many(urls)):
                    writer.add_page(url, page)
                    stats["pages"] += 1
                    if page.ok:
                        stats["pages_ok"] += 1
                    else:
                        stats["pages_failed"] += 1
                        stats["page_reasons"][page.reason] = stats["page_reasons"].get(page.reason, 0) + 1
            if batch:
                log.info("recorded %d items, %d pages", stats["items"], stats["pages"])
            elif awake is None:
                time.sleep(0.01)
    except KeyboardInterrupt:
        stats["interrupted"] = True
        log.warning("recording interrupted: keeping what was recorded so far")
    finally:
        writer.close()
        part.close()
        if fetcher is not None:
            fetcher.close()
    stats["duration_s"] = round(time.monotonic() - start, 3)
    log.info(
        "recording at %s: %d items, %d pages (%d ok) in %.1fs; replay it with --source replay --recording %s",
        out_dir, stats["items"], stats["pages"], stats["pages_ok"], stats["duration_s"], out_dir,
    )
    return stats
