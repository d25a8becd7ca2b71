"""Store stage: where embedded chunks are kept and searched. Milvus is the one implementation today.

Everything above this stage (the flow's sink, retrieval, the notebook plots, the benchmark) talks to a
:class:`Store`, opened with :func:`open_store` from the ``sink`` config section. A second vector store (Qdrant,
pgvector...) is one new module implementing :class:`Store` plus one line in :data:`STORES`.
"""

from __future__ import annotations

import importlib
import sys
from dataclasses import dataclass
from typing import Any, Iterable, Protocol, Sequence

from ..config import SinkConfig
from ..records import Deletion, EmbeddedChunk, Hit


class StoreError(RuntimeError):
    """The store could not be reached or used; the message says what to do."""


@dataclass(frozen=True)
class Filter:
    """Search filters, ANDed. ``where`` is a raw expression in the store's own language (Milvus: ``'author == "pg"'``)."""

    kind: str | None = None  # "story" | "comment"
    since: float | None = None  # unix seconds: only rows with time >= since
    where: str | None = None


@dataclass
class WriteResult:
    upserted: int
    deleted_items: int
    acked_at: float  # wall-clock time the store acknowledged the write: freshness is measured to it


class Store(Protocol):
    """What the pipeline needs of a vector store. Writes must be idempotent: output may repeat around a resume."""

    bm25: bool  # whether ``search(text=...)`` can add full-text (BM25) results

    def write(self, chunks: Sequence[EmbeddedChunk], deletions: Iterable[Deletion] = ()) -> WriteResult:
        """Upsert chunks (replacing an item's older, longer version) and remove deleted items."""

    def delete(self, item_ids: Iterable[int]) -> None:
        """Remove every chunk of these items."""

    def search(self, vector: Sequence[float], k: int, filter: Filter = Filter(), text: str | None = None,
               ef: int | None = None) -> list[Hit]:
        """The ``k`` best chunks, best first; with ``text``, hybrid dense + full-text when ``bm25``."""

    def rows(self, fields: Sequence[str], filter: Filter = Filter()) -> list[dict[str, Any]]:
        """Every stored row's ``fields``."""

    def stats(self) -> dict[str, int]:
        """``{"chunks", "items", "stories", "comments"}``."""

    def maybe_flush(self, force: bool = False) -> bool:
        """Make recent writes durable and indexed when the flush policy says so (or ``force``)."""

    def close(self) -> None:
        """Flush what is pending."""


# name -> "module:class"; each class takes (SinkConfig, create: bool). Imported only when used.
STORES: dict[str, str] = {
    "milvus": "streamrag.store.milvus:MilvusStore",
}


def open_store(config: SinkConfig | None = None, create: bool = True) -> Store:
    """The store ``config.store`` names, on ``config.collection``.

    ``create=True`` (the pipeline) makes the collection when missing; ``create=False`` (search, stats, plots)
    raises :class:`StoreError` saying to ingest first.
    """
    config = config or SinkConfig()
    target = STORES.get(config.store)
    if target is None:
        raise StoreError(f"unknown store {config.store!r}: choose one of {', '.join(sorted(STORES))}")
    module, cls = target.split(":")
    return getattr(importlib.import_module(module), cls)(config, create=create)


def close_all() -> None:
    """Close every open client and release file locks (tests and notebooks call this between runs)."""
    for target in STORES.values():
        module = sys.modules.get(target.split(":")[0])  # a store never opened has nothing to close
        if module is not None and hasattr(module, "close_all"):
            module.close_all()
