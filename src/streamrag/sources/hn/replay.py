"""Replay a recording as a Bytewax input: the offline stand-in for live Hacker News."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

from bytewax.inputs import FixedPartitionedSource, StatefulSourcePartition

from streamrag.sources.base import Record
from streamrag.sources.hn.items import ItemEvent, to_record
from streamrag.sources.hn.recording import ItemEntry, Recording
from streamrag.sources.hn.roots import RootResolver

log = logging.getLogger(__name__)

PARTITION = "replay"


class _ReplayPartition(StatefulSourcePartition[ItemEvent, int]):
    """Emits the recording's lines from ``start_line`` on; the snapshot is the next line index."""

    def __init__(
        self,
        recording: Recording,
        start_line: int,
        speed: float,
        max_items: int | None,
        duration_s: float | None,
        batch_size: int,
    ) -> None:
        self._recording = recording
        self._speed = speed
        self._max_items = max_items
        self._batch_size = max(1, batch_size)
        self._entries: Iterator[ItemEntry] = recording.iter_entries(start_line)
        self._pending: ItemEntry | None = next(self._entries, None)
        self._position = self._pending.line if self._pending else start_line
        index = Recording(recording.path)  # its own reader: the lookup must not disturb the iteration
        self._resolver = RootResolver(lambda i: index.latest_items().get(i))
        # A resumed run annotates exactly as the uninterrupted one did: its resolver first sees the lines before the
        # resume point (a story's title as it was then, not its latest edit), so a resume stores the same chunks.
        for entry in Recording(recording.path).iter_entries():
            if entry.line >= start_line:
                break
            self._resolver.annotate(entry.item)
        self._emitted = 0
        self._start = time.monotonic()
        self._deadline = self._start + duration_s if duration_s is not None else None
        # Pacing is relative to the first line this run replays, so a resumed run does not wait
        # for the part of the recording it already emitted.
        self._at0 = self._pending.at if self._pending else 0.0
        if start_line:
            log.info("replay of %s resumes at line %d", recording.path, start_line)

    def _due(self, entry: ItemEntry) -> float:
        """Monotonic time at which ``entry`` should be emitted."""
        if self._speed <= 0:
            return self._start
        return self._start + max(0.0, entry.at - self._at0) / self._speed

    def _finished(self) -> bool:
        if self._pending is None:
            return True
        if self._max_items is not None and self._emitted >= self._max_items:
            return True
        return self._deadline is not None and time.monotonic() >= self._deadline

    def next_batch(self) -> list[ItemEvent]:
        if self._finished():
            raise StopIteration
        now = time.monotonic()
        batch: list[ItemEvent] = []
        while self._pending is not None and len(batch) < self._batch_size:
            if self._max_items is not None and self._emitted >= self._max_items:
                break
            entry = self._pending
            if self._due(entry) > now:
                break
            root_id, root_title, _ = self._resolver.annotate(entry.item)
            batch.append(ItemEvent(entry.id, entry.item, time.time(), root_id, root_title))
            self._emitted += 1
            self._pending = next(self._entries, None)
            self._position = self._pending.line if self._pending else entry.line + 1
        return batch

    def next_awake(self) -> datetime | None:
        if self._pending is None or self._speed <= 0:
            return None
        wait = self._due(self._pending) - time.monotonic()
        if self._deadline is not None:
            wait = min(wait, self._deadline - time.monotonic())
        if wait <= 0:
            return None
        return datetime.now(timezone.utc) + timedelta(seconds=wait)

    def snapshot(self) -> int:
        return self._position

    def close(self) -> None:
        close = getattr(self._entries, "close", None)
        if close is not None:
            close()


class ReplaySource(FixedPartitionedSource[ItemEvent, int]):
    """Emit a recording's items as ``ItemEvent`` in file order, on one partition.

    ``speed`` paces emission by the recorded ``at`` (``at / speed`` seconds after the start; 0 means
    as fast as possible). ``max_items``/``duration_s`` stop the run early. Comments get their root
    story resolved against the recording's latest version of each id. The recovery snapshot is the
    index of the next line to read, so a resumed run continues where the previous one stopped
    (``max_items``/``duration_s`` count per run).
    """

    def __init__(
        self,
        recording_path: str | Path,
        speed: float = 0.0,
        max_items: int | None = None,
        duration_s: float | None = None,
        batch_size: int = 32,
    ) -> None:
        self.recording = Recording(recording_path)  # fail early with a helpful message
        self.speed = speed
        self.max_items = max_items
        self.duration_s = duration_s
        self.batch_size = batch_size

    def list_parts(self) -> list[str]:
        return [PARTITION]

    def build_part(self, step_id: str, for_part: str, resume_state: int | None) -> _ReplayPartition:
        start = int(resume_state) if isinstance(resume_state, int) else 0
        recording = Recording(self.recording.path)  # a fresh reader per execution
        return _ReplayPartition(recording, start, self.speed, self.max_items, self.duration_s, self.batch_size)


def replay_records(recording: str | Path, max_items: int | None = None) -> Iterator[Record]:
    """Every record a replay of ``recording`` emits, in order and at once (roots resolved, items adapted).

    For looking at a stage outside the dataflow (notebooks, benchmarks): the same records the flow would get.
    """
    part = ReplaySource(recording, max_items=max_items).build_part("replay", PARTITION, None)
    try:
        while True:
            try:
                batch = part.next_batch()
            except StopIteration:
                return
            yield from (to_record(event) for event in batch)
    finally:
        part.close()
