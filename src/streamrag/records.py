"""The typed records that flow between pipeline stages.

Source -> ``Document`` (or ``Deletion``) -> (fetch) ``Page`` -> (parse) ``Chunk`` -> (embed) ``EmbeddedChunk``
-> store -> (search) ``Hit``. Anything dropped on the way becomes a ``Skip``: counted, logged and written to the
errors file.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Document:
    """One piece of content from any source, in the pipeline's own terms (no source's wire format).

    A source adapter (e.g. :mod:`streamrag.sources.hn.items`) turns what it receives into Documents, plus a
    ``Deletion`` when something was removed at the source and a ``Skip`` for input it cannot use.

    ``kind`` is ``"story"`` (a document with its own title; its ``url``, if any, is an article to fetch) or
    ``"comment"`` (a reply in the thread ``root_id``; ``title`` is the thread's, used as context).
    The inline body is ``text`` (plain) or ``html`` (an HTML fragment, converted by the parse stage).
    ``emitted_at`` is wall-clock ``time.time()`` when the source emitted it: freshness lag is measured from it.
    """

    item_id: int  # stable id: a new version of the same document reuses it (and replaces its chunks)
    kind: str
    root_id: int
    title: str = ""
    text: str = ""
    html: str = ""
    url: str = ""
    author: str = ""
    time: int = 0  # unix seconds the document was published (0 = unknown)
    score: int = 0
    emitted_at: float = 0.0


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
    kind: str  # "story" | "comment" (as the Document's kind)
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


@dataclass
class Hit:
    """One chunk a store returned for a search. ``score``: cosine similarity (dense) or RRF score (hybrid)."""

    chunk_id: str
    item_id: int
    root_id: int
    kind: str  # "story" | "comment"
    title: str
    url: str
    time: int  # unix seconds the item was posted (0 = unknown)
    text: str
    score: float
    author: str = ""
    chunk_index: int = 0
    hn_score: int = 0  # the item's points at the source (the collection's ``score`` field)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)
