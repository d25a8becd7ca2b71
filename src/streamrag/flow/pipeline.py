"""What one process needs to run the stages: the fetcher, parser, embedder and store, built lazily and shared by
its workers, and the fetch+parse work for one source record."""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor

from ..config import Config
from ..embed import Embedder
from ..fetch import Fetcher
from ..metrics import RunMetrics
from ..parse import Parser
from ..records import Chunk, Deletion, Document, Page, Skip
from ..sources import Record
from ..store import Store, open_store

logger = logging.getLogger(__name__)


def item_of(record: Record | Chunk) -> int:
    """The item a record belongs to (0 when it has none): the key that keeps an item's records in order."""
    return int(getattr(record, "item_id", None) or getattr(record, "id", None) or 0)


class Pipeline:
    """Everything one process needs to run the stages, created lazily and shared by its workers."""

    def __init__(self, config: Config, metrics: RunMetrics | None = None, pages=None) -> None:
        self.config = config
        self.metrics = metrics or RunMetrics(config.run.errors_path, config.run.metrics_path)
        self._pages = pages  # a Fetcher or RecordingPages; None = the network
        self._lock = threading.Lock()
        self._parser: Parser | None = None
        self._embedder: Embedder | None = None
        self._store: Store | None = None
        self.pool = ThreadPoolExecutor(max_workers=config.fetch.max_in_flight, thread_name_prefix="fetch-parse")
        self._parse_slots = threading.BoundedSemaphore(max(1, config.parse.concurrency))
        self.source_description = ""

    # -- lazily built components ----------------------------------------------------------------------
    @property
    def pages(self):
        with self._lock:
            if self._pages is None:
                self._pages = Fetcher(self.config.fetch)
            return self._pages

    @property
    def parser(self) -> Parser:
        with self._lock:
            if self._parser is None:
                self._parser = Parser(self.config.parse)
            return self._parser

    @property
    def embedder(self) -> Embedder:
        with self._lock:
            if self._embedder is None:
                self._embedder = Embedder(self.config.embed)
            return self._embedder

    @property
    def store(self) -> Store:
        with self._lock:
            if self._store is None:
                self._store = open_store(self.config.sink)
            return self._store

    def warm_up(self) -> None:
        """Load the model, tokenizer and collection before the clock starts (first use would stall)."""
        self.embedder.encode(["warm up"])
        self.parser.chunk("warm up", title="")
        _ = self.store

    def close(self) -> None:
        self.pool.shutdown(wait=True)
        if self._store is not None:
            self._store.close()
        close = getattr(self._pages, "close", None)
        if close:
            close()

    # -- stage functions (run in pool threads) --------------------------------------------------------
    def fetch_and_parse(self, record: Record) -> list[Chunk | Deletion | Skip]:
        """One source record -> its chunks, a deletion, or skips. Never raises."""
        self.metrics.count("items_seen")
        try:
            return self._fetch_and_parse(record)
        except Exception as exc:  # a bug or a truly weird input must not stop the stream
            logger.exception("item %s failed in fetch/parse", item_of(record))
            url = record.url if isinstance(record, Document) else ""
            return [Skip(item_of(record), url, "parse", f"exception:{exc.__class__.__name__}", str(exc)[:300])]

    def _fetch_and_parse(self, record: Record) -> list[Chunk | Deletion | Skip]:
        if not isinstance(record, Document):
            return _without_text(record)  # a deletion, or input the source could not use
        out: list[Chunk | Deletion | Skip] = []
        page: Page | None = None
        if record.url and record.kind == "story":
            page = self.pages.fetch(record.url)
            if page.ok:
                self.metrics.count("pages_fetched")
            else:
                self.metrics.count("pages_failed")
                out.append(Skip(record.item_id, record.url, "fetch", page.reason))
        skips: list[Skip] = []
        # Fetching overlaps freely (I/O); parsing is CPU-bound Python that holds the GIL the embedding model
        # needs between its ops: more parallel parses only slow embedding down (profiled: docs/benchmarks.md).
        with self._parse_slots:
            result = self.parser.chunks_for(record, page, skips=skips)
        out.extend(skips)
        out.extend(result if isinstance(result, list) else _without_text(result))
        return out


def _without_text(record: Deletion | Skip) -> list[Deletion | Skip]:
    """A deletion passes on; a skipped document also deletes what was stored for it (it has no text any more)."""
    if isinstance(record, Skip) and record.stage == "parse":
        return [record, Deletion(record.id or 0, f"no_text:{record.reason}", record.at)]
    return [record]
