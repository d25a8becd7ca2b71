"""Metrics and the errors file: per-stage counts, embed batch timings, freshness lag, skipped records.

One ``RunMetrics`` per process, shared by its workers (thread-safe). Snapshots go to a JSONL file
for plotting; ``summary()`` is the final report (and the CLI's ``--json`` line).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from .records import Skip

logger = logging.getLogger(__name__)


class ErrorLog:
    """Appends every skipped or failed item/page as one JSON line: ``id``, ``url``, ``stage``, ``reason``."""

    def __init__(self, path: Path | None) -> None:
        self.path = Path(path) if path else None
        self._lock = threading.Lock()
        if self.path:
            self.path.parent.mkdir(parents=True, exist_ok=True)

    def write(self, skip: Skip) -> None:
        if not self.path:
            return
        line = json.dumps(skip.to_json(), ensure_ascii=False)
        with self._lock, open(self.path, "a", encoding="utf-8") as fh:
            fh.write(line + "\n")


class RunMetrics:
    """Counters and timings for one pipeline run."""

    def __init__(self, errors_path: Path | None = None, metrics_path: Path | None = None) -> None:
        self.started = time.time()
        self.counts: Counter[str] = Counter()
        self.skips: Counter[str] = Counter()  # "stage:reason" -> n
        self.batch_sizes: list[int] = []
        self.batch_seconds: list[float] = []
        self.freshness: list[float] = []
        self.windows: dict[str, dict[float, int]] = {}  # "items"/"chunks" -> window start (unix s) -> count
        self.window_s = 0.0
        self.errors = ErrorLog(errors_path)
        self.metrics_path = Path(metrics_path) if metrics_path else None
        self._lock = threading.Lock()
        self._clock_started = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        if self.metrics_path:
            self.metrics_path.parent.mkdir(parents=True, exist_ok=True)
            self.metrics_path.write_text("")

    def start(self) -> None:
        """A run starts: start the clock (only at the first run: runs sharing these metrics share one clock)
        and the snapshot loop."""
        with self._lock:
            if not self._clock_started:
                self.started = time.time()
                self._clock_started = True
        self._stop.clear()
        self.start_snapshots()

    # -- recording ---------------------------------------------------------------------------------
    def count(self, name: str, n: int = 1) -> None:
        with self._lock:
            self.counts[name] += n

    def skip(self, skip: Skip) -> None:
        """Count, log and record one skipped item or page."""
        if not skip.at:
            skip.at = time.time()
        with self._lock:
            self.skips[f"{skip.stage}:{skip.reason.split(':')[0]}"] += 1
            self.counts["skipped"] += 1
        logger.info("skip %s id=%s url=%s: %s %s", skip.stage, skip.id, skip.url or "-", skip.reason, skip.detail)
        self.errors.write(skip)

    def embed_batch(self, size: int, seconds: float) -> None:
        with self._lock:
            self.batch_sizes.append(size)
            self.batch_seconds.append(seconds)
            self.counts["chunks_embedded"] += size

    def written(self, n_chunks: int, lags: list[float]) -> None:
        with self._lock:
            self.counts["chunks_written"] += n_chunks
            self.freshness.extend(lags)

    def window(self, kind: str, start: float, count: int, length_s: float) -> None:
        """One closed window of the flow's windowing step: ``count`` ``kind`` in ``[start, start + length_s)``."""
        with self._lock:
            windows = self.windows.setdefault(kind, {})
            windows[start] = windows.get(start, 0) + count  # two runs sharing these metrics add up
            self.window_s = length_s

    # -- reporting ---------------------------------------------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            elapsed = time.time() - self.started
            lags = np.asarray(self.freshness[-1000:]) if self.freshness else None
            return {
                "t": round(elapsed, 3),
                **{k: v for k, v in sorted(self.counts.items())},
                "skips": dict(self.skips),
                "freshness_p50_s": _pct(lags, 50),
                "freshness_p95_s": _pct(lags, 95),
                "embed_batches": len(self.batch_sizes),
            }

    def view(self, lags_from: int = 0, last_batches: int = 60) -> dict[str, Any]:
        """A consistent copy for a live display (thread-safe): ``counts``, ``skips``, ``started``, the freshness
        lags recorded since index ``lags_from`` (``new_lags``) and the total so far (``n_lags``), and the sizes of
        the last ``last_batches`` embed batches (``batches``), and the flow's windowed counts (``windows``: per kind,
        ``(window start, count)`` pairs, oldest first; ``window_s``: their length)."""
        with self._lock:
            return {
                "counts": dict(self.counts),
                "skips": dict(self.skips),
                "started": self.started,
                "new_lags": [float(x) for x in self.freshness[lags_from:]],
                "n_lags": len(self.freshness),
                "batches": [int(x) for x in self.batch_sizes[-last_batches:]],
                "windows": {kind: sorted(w.items()) for kind, w in self.windows.items()},
                "window_s": self.window_s,
            }

    def summary(self) -> dict[str, Any]:
        """The final report: the CLI's ``--json`` object."""
        with self._lock:
            elapsed = time.time() - self.started
            lags = np.asarray(self.freshness) if self.freshness else None
            written = self.counts["chunks_written"]
            sizes = np.asarray(self.batch_sizes) if self.batch_sizes else None
            return {
                "items_seen": self.counts["items_seen"],
                "items_skipped": sum(v for k, v in self.skips.items() if not k.startswith("fetch:")),
                "items_deleted": self.counts["items_deleted"],
                "pages_fetched": self.counts["pages_fetched"],
                "pages_failed": self.counts["pages_failed"],
                "chunks_written": written,
                "elapsed_s": round(elapsed, 3),
                "chunks_per_s": round(written / elapsed, 2) if elapsed > 0 else 0.0,
                "freshness_p50_s": _pct(lags, 50),
                "freshness_p95_s": _pct(lags, 95),
                "embed_batches": len(self.batch_sizes),
                "embed_batch_mean": round(float(sizes.mean()), 2) if sizes is not None else 0.0,
                "embed_seconds": round(float(sum(self.batch_seconds)), 3),
                "errors": sum(self.skips.values()),
                "skips_by_reason": dict(sorted(self.skips.items())),
                "errors_file": str(self.errors.path) if self.errors.path else None,
            }

    def start_snapshots(self, interval_s: float = 1.0) -> None:
        """Append a snapshot line to the metrics file every ``interval_s`` seconds (if a file was given)."""
        if not self.metrics_path or self._thread:
            return

        def loop() -> None:
            while not self._stop.wait(interval_s):
                self.write_snapshot()

        self._thread = threading.Thread(target=loop, name="metrics", daemon=True)
        self._thread.start()

    def write_snapshot(self) -> None:
        if self.metrics_path:
            with open(self.metrics_path, "a", encoding="utf-8") as fh:
                fh.write(json.dumps(self.snapshot()) + "\n")

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=5)
            self._thread = None
        self.write_snapshot()


def _pct(values: np.ndarray | None, q: float) -> float | None:
    if values is None or not len(values):
        return None
    return round(float(np.percentile(values, q)), 4)
