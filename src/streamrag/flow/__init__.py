"""The Bytewax dataflow: source -> redistribute -> fetch+parse (overlapped) -> batched embed -> store.

Each stage is a step function that takes a stream and returns a stream (:func:`read_source`,
:func:`fetch_and_parse`, :func:`batch`, :func:`embed`, :func:`write`), plus :func:`throughput`, a windowed count
for the dashboard; :func:`build_flow` is only their composition. The operators they use are in
:mod:`.operators`, the shared components in :mod:`.pipeline`.

Run it three ways:

* from the CLI: ``python -m streamrag run ...`` (uses :func:`run`);
* with Bytewax's runner: ``python -m bytewax.run "streamrag.flow:flow_from_env()" -w 2 -r DIR``
  (configure with ``STREAMRAG_*`` environment variables, see :func:`config_from_env`);
* from a thread in a notebook: :class:`PipelineThread` with a clean ``stop()``.
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import bytewax.operators as op
import bytewax.operators.windowing as win
from bytewax.dataflow import Dataflow, Stream
from bytewax.inputs import FixedPartitionedSource

from ..config import Config
from ..fetch import RecordingPages
from ..sources import SourceSpec, make_source
from ..records import Deletion, Document, EmbeddedChunk
from .operators import (WINDOW_ALIGN, BatchLogic, FetchAheadLogic, StoppableSource, StoreOutput, WindowCountsOutput,
                        embed_batch, now, write_records)
from .pipeline import Pipeline, item_of

logger = logging.getLogger(__name__)

__all__ = ["BatchLogic", "FetchAheadLogic", "Pipeline", "PipelineThread", "RunHandle", "StoppableSource",
           "StoreOutput", "batch", "build_flow", "config_from_env", "embed", "embed_batch", "execute",
           "fetch_and_parse", "flow_from_env", "item_of", "now", "prepare", "read_source", "run", "throughput",
           "write", "write_records"]

N_KEYS = 16  # item-id buckets: the same item always lands in the same bucket, so its versions stay ordered
WINDOW = timedelta(seconds=2)  # the throughput windows' length
# How long the items windows wait for stragglers. One worker runs every step in one thread: while it embeds a
# batch, items already emitted wait before they reach the window, so a short wait would count them late.
LATE_AFTER = timedelta(seconds=5)


def read_source(flow: Dataflow, source: FixedPartitionedSource) -> Stream:
    """Source step: the records a source emits, spread over all workers (a poller runs on one)."""
    return op.redistribute("spread", op.input("items", flow, source))


def fetch_and_parse(pipeline: Pipeline, records: Stream) -> Stream:
    """Fetch+parse step: records -> chunks, deletions and skips, fetched ahead in a thread pool.

    Keyed by item, so a newer version of an item never overtakes the older one still in flight.
    """
    keyed = op.key_on("by_item", records, lambda r: str(item_of(r) % N_KEYS))
    return op.key_rm("unkey_items", op.stateful("fetch_parse", keyed, lambda resume: FetchAheadLogic(pipeline, resume)))


def batch(pipeline: Pipeline, records: Stream) -> Stream:
    """Batch step: records -> lists of records, closed at ``batch_size`` chunks or ``batch_timeout_s`` after the first.

    One batcher per worker (so batches fill up across items); an item's records keep one key, so stay in order.
    """
    cfg = pipeline.config
    n_batchers = max(1, cfg.run.workers)
    keyed = op.key_on("by_batcher", records, lambda r: str(item_of(r) % n_batchers))
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


def _emitted_at(record) -> datetime:
    """When the source emitted a record: its event time."""
    at = record.emitted_at if isinstance(record, (Document, Deletion)) else record.at
    return datetime.fromtimestamp(at, timezone.utc)


def throughput(pipeline: Pipeline, records: Stream, embedded: Stream) -> None:
    """Windowing step: items and chunks per 2-second tumbling window, into the metrics (the dashboard's throughput).

    Items are counted by **event time** (when the source emitted them: an ``EventClock`` whose watermark waits
    ``LATE_AFTER`` for stragglers), chunks by **processing time** (when the embed step finished them: a ``SystemClock``).
    """
    items = win.count_window(
        "items_per_window", records,
        win.EventClock(_emitted_at, wait_for_system_duration=LATE_AFTER),
        win.TumblingWindower(length=WINDOW, align_to=WINDOW_ALIGN), key=lambda _: "items")
    chunks = op.flat_map("chunk_events", embedded, lambda b: ["chunks"] * sum(isinstance(r, EmbeddedChunk) for r in b))
    written = win.count_window("chunks_per_window", chunks, win.SystemClock(),
                               win.TumblingWindower(length=WINDOW, align_to=WINDOW_ALIGN), key=lambda kind: kind)
    op.inspect("late_items", items.late, lambda _step, _item: pipeline.metrics.count("window_late"))
    op.output("window_counts", op.merge("counts", items.down, written.down), WindowCountsOutput(pipeline, WINDOW))


def build_flow(pipeline: Pipeline, source: FixedPartitionedSource, name: str = "streamrag") -> Dataflow:
    """The whole dataflow: the steps above, in order."""
    flow = Dataflow(name)
    records = read_source(flow, source)
    chunks = fetch_and_parse(pipeline, records)
    batches = batch(pipeline, chunks)
    embedded = embed(pipeline, batches)
    write(pipeline, embedded)
    throughput(pipeline, records, embedded)
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
