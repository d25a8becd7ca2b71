"""The Bytewax dataflow: source -> redistribute -> fetch+parse (overlapped) -> batched embed -> store.

Each stage is a step function that takes a stream and returns a stream (:func:`read_source`,
:func:`fetch_and_parse`, :func:`batch`, :func:`embed`, :func:`write`); :func:`build_flow` is only their composition.

Run it three ways:

* from the CLI: ``python -m streamrag run ...`` (uses :func:`run`);
* with Bytewax's runner: ``python -m bytewax.run "streamrag.flow:flow_from_env()" -w 2 -r DIR``
  (configure with ``STREAMRAG_*`` environment variables, see :func:`config_from_env`);
* from a thread in a notebook: :class:`PipelineThread` with a clean ``stop()``.
"""

from __future__ import annotations

import copy
import logging
import os
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Iterable, Optional

import bytewax.operators as op
from bytewax.dataflow import Dataflow, Stream
from bytewax.inputs import FixedPartitionedSource, StatefulSourcePartition
from bytewax.operators import StatefulLogic
from bytewax.outputs import DynamicSink, StatelessSinkPartition

from .config import Config
from .embed import Embedder
from .fetch import Fetcher, RecordingPages
from .metrics import RunMetrics
from .parse import Parser
from .records import Chunk, Deletion, Document, EmbeddedChunk, Page, Skip
from .sources import Record, SourceSpec, make_source
from .store import Store, open_store

logger = logging.getLogger(__name__)

N_KEYS = 16  # item-id buckets: the same item always lands in the same bucket, so its versions stay ordered


def _now() -> datetime:
    return datetime.now(timezone.utc)


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
            logger.exception("item %s failed in fetch/parse", _item_of(record))
            url = record.url if isinstance(record, Document) else ""
            return [Skip(_item_of(record), url, "parse", f"exception:{exc.__class__.__name__}", str(exc)[:300])]

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


# ---- operators ----------------------------------------------------------------------------------------


class FetchAheadLogic(StatefulLogic):
    """Runs fetch+parse in a thread pool so network waits and parsing overlap with embedding.

    Results are emitted as soon as they are ready, except that an item's result waits for any earlier
    version of the same item still in flight (an edit never overtakes the original).
    Snapshot: the events still in flight, resubmitted on resume.
    """

    POLL = timedelta(milliseconds=20)

    def __init__(self, pipeline: Pipeline, resume: Optional[list[Record]]) -> None:
        self.pipeline = pipeline
        self.pending: list[tuple[Record, Future]] = []
        for event in resume or []:
            self._submit(event)

    def _submit(self, event: Record) -> None:
        self.pending.append((event, self.pipeline.pool.submit(self.pipeline.fetch_and_parse, event)))

    def _ready(self, wait: bool = False) -> list:
        out: list = []
        blocked: set[int] = set()
        still: list[tuple[Record, Future]] = []
        for event, future in self.pending:
            if wait:
                future.result()
            if future.done() and _item_of(event) not in blocked:
                out.extend(future.result())
            else:
                blocked.add(_item_of(event))
                still.append((event, future))
        self.pending = still
        return out

    def on_item(self, value: Record):
        self._submit(value)
        return self._ready(), StatefulLogic.RETAIN

    def on_notify(self):
        return self._ready(), StatefulLogic.RETAIN

    def on_eof(self):
        return self._ready(wait=True), StatefulLogic.RETAIN

    def notify_at(self) -> Optional[datetime]:
        return _now() + self.POLL if self.pending else None

    def snapshot(self) -> list[Record]:
        return [copy.deepcopy(event) for event, _ in self.pending]


class BatchLogic(StatefulLogic):
    """Collects records into batches that flush at ``max_size`` or ``timeout`` after the batch's FIRST record.

    Bytewax 0.21's ``op.collect`` restarts its timeout with every item, so under a steady trickle it never
    flushes by time; here the deadline is fixed when a batch opens.
    """

    def __init__(self, max_size: int, timeout: timedelta, resume: Optional[list] = None) -> None:
        self.max_size = max_size
        self.timeout = timeout
        self.acc: list = list(resume or [])
        self.deadline: Optional[datetime] = _now() + timeout if self.acc else None

    def _flush(self):
        batch, self.acc, self.deadline = self.acc, [], None
        return [batch] if batch else []

    def on_item(self, value):
        if not self.acc:
            self.deadline = _now() + self.timeout
        self.acc.append(value)
        if sum(isinstance(v, Chunk) for v in self.acc) >= self.max_size:
            return self._flush(), StatefulLogic.RETAIN
        return [], StatefulLogic.RETAIN

    def on_notify(self):
        if self.deadline is not None and _now() >= self.deadline:
            return self._flush(), StatefulLogic.RETAIN
        return [], StatefulLogic.RETAIN

    def on_eof(self):
        return self._flush(), StatefulLogic.RETAIN

    def notify_at(self) -> Optional[datetime]:
        return self.deadline

    def snapshot(self) -> list:
        return copy.deepcopy(self.acc)


def _item_of(record: Record | Chunk) -> int:
    return int(getattr(record, "item_id", None) or getattr(record, "id", None) or 0)


def embed_batch(pipeline: Pipeline, batch: list) -> list:
    """Embed every chunk of a batch in one ``encode`` call; deletions and skips pass through in order."""
    chunks = [r for r in batch if isinstance(r, Chunk)]
    vectors = []
    if chunks:
        started = time.perf_counter()
        vectors = pipeline.embedder.encode([c.embed_text for c in chunks])
        pipeline.metrics.embed_batch(len(chunks), time.perf_counter() - started)
    it = iter(vectors)
    return [EmbeddedChunk(r, next(it)) if isinstance(r, Chunk) else r for r in batch]


class _SinkPartition(StatelessSinkPartition):
    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline

    def write_batch(self, items: list[list]) -> None:
        for batch in items:
            write_records(self.pipeline, batch)

    def close(self) -> None:
        self.pipeline.store.maybe_flush(force=True)


class StoreOutput(DynamicSink):
    """Bytewax sink writing embedded batches to the store (idempotent, so output repeated on resume is harmless)."""

    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline

    def build(self, step_id: str, worker_index: int, worker_count: int) -> _SinkPartition:
        return _SinkPartition(self.pipeline)


def write_records(pipeline: Pipeline, batch: list) -> None:
    """Write one batch in order: runs of chunks are upserted, deletions applied, skips recorded."""
    metrics = pipeline.metrics
    run: list[EmbeddedChunk] = []

    def flush_run() -> None:
        if run:
            result = pipeline.store.write(run)
            metrics.written(len(run), [result.acked_at - e.chunk.emitted_at for e in run if e.chunk.emitted_at])
            run.clear()

    for record in batch:
        if isinstance(record, EmbeddedChunk):
            run.append(record)
        elif isinstance(record, Deletion):
            flush_run()
            pipeline.store.write([], [record])
            if not record.reason.startswith("no_text"):
                metrics.count("items_deleted")
        elif isinstance(record, Skip):
            metrics.skip(record)
    flush_run()


# ---- sources with a clean stop --------------------------------------------------------------------------


class _StoppablePartition(StatefulSourcePartition):
    def __init__(self, inner, stop: threading.Event) -> None:
        self.inner, self.stop = inner, stop

    def next_batch(self) -> Iterable[Any]:
        if self.stop.is_set():
            raise StopIteration
        return self.inner.next_batch()

    def next_awake(self) -> Optional[datetime]:
        awake = self.inner.next_awake()
        # Wake at least every 0.2 s so a stop request is noticed promptly.
        soon = _now() + timedelta(milliseconds=200)
        return soon if awake is None or awake > soon else awake

    def snapshot(self) -> Any:
        return self.inner.snapshot()

    def close(self) -> None:
        self.inner.close()


class StoppableSource(FixedPartitionedSource):
    """Wraps a source so it ends when ``stop`` (a threading.Event) is set: a clean stop from another thread.

    ``--duration``/``--max-items`` are the sources' own business (both sources take them).
    """

    def __init__(self, inner: FixedPartitionedSource, stop: threading.Event) -> None:
        self.inner, self.stop = inner, stop

    def list_parts(self) -> list[str]:
        return self.inner.list_parts()

    def build_part(self, step_id: str, for_part: str, resume_state: Any) -> _StoppablePartition:
        return _StoppablePartition(self.inner.build_part(step_id, for_part, resume_state), self.stop)


# ---- building and running ---------------------------------------------------------------------------------


def read_source(flow: Dataflow, source: FixedPartitionedSource) -> Stream:
    """Source step: the records a source emits, spread over all workers (a poller runs on one)."""
    return op.redistribute("spread", op.input("items", flow, source))


def fetch_and_parse(pipeline: Pipeline, records: Stream) -> Stream:
    """Fetch+parse step: records -> chunks, deletions and skips, fetched ahead in a thread pool.

    Keyed by item, so a newer version of an item never overtakes the older one still in flight.
    """
    keyed = op.key_on("by_item", records, lambda r: str(_item_of(r) % N_KEYS))
    return op.key_rm("unkey_items", op.stateful("fetch_parse", keyed, lambda resume: FetchAheadLogic(pipeline, resume)))


def batch(pipeline: Pipeline, records: Stream) -> Stream:
    """Batch step: records -> lists of records, closed at ``batch_size`` chunks or ``batch_timeout_s`` after the first.

    One batcher per worker (so batches fill up across items); an item's records keep one key, so stay in order.
    """
    cfg = pipeline.config
    n_batchers = max(1, cfg.run.workers)
    keyed = op.key_on("by_batcher", records, lambda r: str(_item_of(r) % n_batchers))
    batches = op.stateful(
        "batch", keyed,
        lambda resume: BatchLogic(cfg.embed.batch_size, timedelta(seconds=cfg.embed.batch_timeout_s), resume),
    )
    return op.key_rm("unkey", batches)


def embed(pipeline: Pipeline, batches: Stream) -> Stream:
    """Embed step: every chunk of a batch embedded in one call; deletions and skips pass through in order."""
    return op.map("embed", batches, lambda b: embed_batch(pipeline, b))


def write(pipeline: Pipeline, batches: Stream) -> None:
    """Store step: upserts, deletions and skip records, idempotent (see :class:`StoreOutput`)."""
    op.output("store", batches, StoreOutput(pipeline))


def build_flow(pipeline: Pipeline, source: FixedPartitionedSource, name: str = "streamrag") -> Dataflow:
    """The whole dataflow: the steps above, in order."""
    flow = Dataflow(name)
    records = read_source(flow, source)
    chunks = fetch_and_parse(pipeline, records)
    batches = batch(pipeline, chunks)
    write(pipeline, embed(pipeline, batches))
    return flow


@dataclass
class RunHandle:
    pipeline: Pipeline
    flow: Dataflow
    stop: threading.Event = field(default_factory=threading.Event)
    source_description: str = ""


def prepare(config: Config, stop: threading.Event | None = None) -> RunHandle:
    """Choose the source, build the pipeline and the flow (nothing runs yet)."""
    stop = stop or threading.Event()
    spec: SourceSpec = make_source(config.source)
    # A replay's pages come from its recording, never the network.
    pages = RecordingPages(spec.recording, config.fetch.max_bytes) if spec.recording else None
    pipeline = Pipeline(config, pages=pages)
    pipeline.source_description = spec.description
    flow = build_flow(pipeline, StoppableSource(spec.source, stop))
    return RunHandle(pipeline, flow, stop, spec.description)


def execute(handle: RunHandle) -> dict[str, Any]:
    """Run the flow to completion (blocks) and return the metrics summary."""
    from bytewax.recovery import RecoveryConfig
    from bytewax.testing import cluster_main

    cfg = handle.pipeline.config
    recovery = None
    if cfg.run.recovery_dir:
        recovery = RecoveryConfig(str(cfg.run.recovery_dir))
    handle.pipeline.warm_up()
    handle.pipeline.metrics.start()
    try:
        cluster_main(handle.flow, [], 0, epoch_interval=timedelta(seconds=2), recovery_config=recovery,
                     worker_count_per_proc=max(1, cfg.run.workers))
    finally:
        handle.pipeline.close()
        handle.pipeline.metrics.stop()
    summary = handle.pipeline.metrics.summary()
    summary["source"] = handle.source_description
    return summary


def run(config: Config, stop: threading.Event | None = None) -> dict[str, Any]:
    """Build and run the pipeline in this thread; returns the summary."""
    return execute(prepare(config, stop))


class PipelineThread(threading.Thread):
    """The pipeline in a background thread (for notebooks): ``start()``, watch ``metrics``, ``stop()``."""

    def __init__(self, config: Config) -> None:
        super().__init__(name="streamrag-pipeline", daemon=True)
        self.handle = prepare(config)
        self.metrics = self.handle.pipeline.metrics
        self.summary: dict[str, Any] | None = None
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self.summary = execute(self.handle)
        except BaseException as exc:  # surfaced to the notebook via .error
            logger.exception("pipeline failed")
            self.error = exc

    def stop(self, timeout: float = 30.0) -> dict[str, Any] | None:
        """Ask the source to end, let in-flight work drain, and return the summary."""
        self.handle.stop.set()
        self.join(timeout)
        return self.summary


def config_from_env() -> Config:
    """A Config from ``STREAMRAG_*`` environment variables (for ``python -m bytewax.run``)."""
    cfg = Config()
    env = os.environ
    if "STREAMRAG_SOURCE" in env:
        cfg.source.kind = env["STREAMRAG_SOURCE"]
    if "STREAMRAG_RECORDING" in env:
        cfg.source.recording = Path(env["STREAMRAG_RECORDING"])
    if "STREAMRAG_HN_API" in env:
        cfg.source.hn_api = env["STREAMRAG_HN_API"]
    if "STREAMRAG_SPEED" in env:
        cfg.source.speed = float(env["STREAMRAG_SPEED"])
    if "STREAMRAG_MILVUS_URI" in env:
        cfg.sink.uri = env["STREAMRAG_MILVUS_URI"]
    if "STREAMRAG_COLLECTION" in env:
        cfg.sink.collection = env["STREAMRAG_COLLECTION"]
    if "STREAMRAG_ERRORS" in env:
        cfg.run.errors_path = Path(env["STREAMRAG_ERRORS"])
    return cfg


def flow_from_env() -> Dataflow:
    """Entry point for ``python -m bytewax.run "streamrag.flow:flow_from_env()"``."""
    handle = prepare(config_from_env())
    handle.pipeline.warm_up()
    return handle.flow
