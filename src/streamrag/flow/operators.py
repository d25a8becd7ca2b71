"""The flow's own operators: fetch ahead in a thread pool, batch with a fixed deadline, write to the store, stop
cleanly, and record windowed counts. Each is a Bytewax logic or sink class; :mod:`streamrag.flow` wires them."""

from __future__ import annotations

import copy
import threading
import time
from concurrent.futures import Future
from datetime import datetime, timedelta, timezone
from typing import Any, Iterable, Optional

from bytewax.inputs import FixedPartitionedSource, StatefulSourcePartition
from bytewax.operators import StatefulLogic
from bytewax.outputs import DynamicSink, StatelessSinkPartition

from ..records import Chunk, Deletion, EmbeddedChunk, Skip
from ..sources import Record
from .pipeline import Pipeline, item_of

WINDOW_ALIGN = datetime(2024, 1, 1, tzinfo=timezone.utc)  # windows start at whole multiples of their length


def now() -> datetime:
    """The current time, timezone-aware (Bytewax's notify times are)."""
    return datetime.now(timezone.utc)


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
            if future.done() and item_of(event) not in blocked:
                out.extend(future.result())
            else:
                blocked.add(item_of(event))
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
        return now() + self.POLL if self.pending else None

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
        self.deadline: Optional[datetime] = now() + timeout if self.acc else None

    def _flush(self):
        batch, self.acc, self.deadline = self.acc, [], None
        return [batch] if batch else []

    def on_item(self, value):
        if not self.acc:
            self.deadline = now() + self.timeout
        self.acc.append(value)
        if sum(isinstance(v, Chunk) for v in self.acc) >= self.max_size:
            return self._flush(), StatefulLogic.RETAIN
        return [], StatefulLogic.RETAIN

    def on_notify(self):
        if self.deadline is not None and now() >= self.deadline:
            return self._flush(), StatefulLogic.RETAIN
        return [], StatefulLogic.RETAIN

    def on_eof(self):
        return self._flush(), StatefulLogic.RETAIN

    def notify_at(self) -> Optional[datetime]:
        return self.deadline

    def snapshot(self) -> list:
        return copy.deepcopy(self.acc)


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
        soon = now() + timedelta(milliseconds=200)
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


class _MetricsPartition(StatelessSinkPartition):
    def __init__(self, pipeline: Pipeline, window: timedelta) -> None:
        self.pipeline, self.window = pipeline, window

    def write_batch(self, items: list[tuple[str, tuple[int, int]]]) -> None:
        for kind, (window_id, count) in items:
            start = WINDOW_ALIGN + window_id * self.window
            self.pipeline.metrics.window(kind, start.timestamp(), count, self.window.total_seconds())


class WindowCountsOutput(DynamicSink):
    """Bytewax sink for ``count_window`` output: ``(kind, (window_id, count))`` -> ``RunMetrics.window``."""

    def __init__(self, pipeline: Pipeline, window: timedelta) -> None:
        self.pipeline, self.window = pipeline, window

    def build(self, step_id: str, worker_index: int, worker_count: int) -> _MetricsPartition:
        return _MetricsPartition(self.pipeline, self.window)

