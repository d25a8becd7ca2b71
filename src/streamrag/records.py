"""The typed records that flow between pipeline stages.

Source -> ``ItemEvent`` -> (fetch) ``Page`` -> (parse) ``Chunk`` -> (embed) ``EmbeddedChunk`` -> sink.
Anything dropped on the way becomes a ``Skip``: counted, logged and written to the errors file.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class ItemEvent:
    """One Hacker News item as a source emitted it.

    ``item`` is exactly what ``GET /v0/item/<id>.json`` returned (``None`` when the API said ``null``).
    ``root_id``/``root_title`` name the story a comment belongs to (resolved by the source);
    for a story they are its own id and title. ``emitted_at`` is wall-clock ``time.time()`` when the
    source emitted the event: freshness lag is measured from it.
    """

    item_id: int
    item: dict[str, Any] | None
    emitted_at: float
    root_id: int | None = None
    root_title: str = ""

    @property
    def kind(self) -> str:
        """``story``, ``comment``, ``job``, ``poll``... or ``missing`` for a null item."""
        if not isinstance(self.item, dict):
            return "missing"
        kind = self.item.get("type")
        return kind if isinstance(kind, str) else "unknown"

    @property
    def is_gone(self) -> bool:
        """True for deleted or dead items: whatever was stored for them must be removed."""
        return isinstance(self.item, dict) and bool(self.item.get("deleted") or self.item.get("dead"))


@dataclass
class Page:
    """The outcome of fetching one article URL (from the network or a recording)."""

    url: str
    ok: bool
    status: int | None = None
    content_type: str = ""
    body: bytes | None = None
    final_url: str = ""
    reason: str = ""  # why it failed: "http_404", "timeout", "too_large", "not_html", "ssrf_refused", ...
    from_cache: bool = False


@dataclass
class Chunk:
    """A piece of text small enough for the embedding model's window, with its metadata."""

    item_id: int
    root_id: int
    kind: str  # "story" | "comment" (jobs/polls are stored as "story")
    chunk_index: int
    text: str  # the chunk as stored and shown to users
    embed_text: str  # what gets embedded: the text with its story title as context
    title: str = ""
    url: str = ""
    author: str = ""
    time: int = 0
    score: int = 0
    emitted_at: float = 0.0
    n_chunks: int = 1  # how many chunks the item has now: the sink deletes stale ones beyond it

    @property
    def chunk_id(self) -> str:
        """Deterministic primary key: re-ingesting the same item overwrites the same rows."""
        return chunk_id(self.item_id, self.chunk_index)

    @property
    def content_hash(self) -> str:
        """sha1 of what was embedded, so an unchanged chunk can be recognised."""
        return hashlib.sha1(self.embed_text.encode("utf-8")).hexdigest()


def chunk_id(item_id: int, chunk_index: int) -> str:
    """The primary key of chunk ``chunk_index`` of item ``item_id``."""
    return f"{item_id}:{chunk_index}"


@dataclass
class EmbeddedChunk:
    chunk: Chunk
    vector: list[float]


@dataclass
class Deletion:
    """Remove everything stored for an item (it was deleted, killed, or now has no text)."""

    item_id: int
    reason: str
    emitted_at: float = 0.0


@dataclass
class Skip:
    """Something the pipeline dropped on purpose, with why. Written as one JSONL line."""

    id: int | None
    url: str
    stage: str  # "source" | "fetch" | "parse" | "embed" | "sink"
    reason: str
    detail: str = ""
    at: float = field(default=0.0)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)
