"""Parse stage: a document (and its fetched article page) -> its chunks, or why it has none.

:class:`Parser` is what the flow calls; the steps are in :mod:`.html` (page bytes -> main-content HTML),
:mod:`.text` (HTML -> clean text with Unstructured) and :mod:`.chunk` (text -> token-bounded chunks).
"""

from __future__ import annotations

import logging
from typing import Sequence

from ..config import ParseConfig
from ..records import Chunk, Document, Page, Skip
from .chunk import Chunker
from .html import ParseError
from .text import ParsedPage, Section, clean_text, fragment_to_text, parse_page

log = logging.getLogger(__name__)


class Parser:
    """Turns documents and their pages into chunks. Cheap to create; the tokenizer is shared per process."""

    def __init__(self, config: ParseConfig | None = None) -> None:
        self.config = config or ParseConfig()
        self.chunker = Chunker(self.config)

    def parse_page(self, page: Page, title: str = "", boilerplate: bool = True) -> ParsedPage:
        """Article text of a fetched page (see :func:`.text.parse_page`); raises :class:`ParseError`."""
        return parse_page(page, title, boilerplate=boilerplate, min_chars=self.config.min_chars)

    def chunk(self, text_or_sections: str | Sequence[Section], title: str = "") -> list[tuple[str, str]]:
        """``(text, embed_text)`` pairs that fit the model's window (see :meth:`.chunk.Chunker.chunk`)."""
        return self.chunker.chunk(text_or_sections, title)

    def chunks_for(self, doc: Document, page: Page | None = None,
                   skips: list[Skip] | None = None) -> list[Chunk] | Skip:
        """All chunks of one document (and of its fetched article page, if any), ``n_chunks`` set on each.

        The inline body (``text``, or ``html`` converted) is chunked under the title; a story's article page is
        parsed and chunked after it. When the page was fetched but cannot be parsed, the story still gets its
        title chunk and a ``Skip(stage="parse")`` describing the page is appended to ``skips`` (when given) so
        the caller can record it. A document with no text at all is a ``Skip`` (``empty_text``).
        """
        at, url = doc.emitted_at, doc.url
        title = clean_text(doc.title)
        body = doc.text or (fragment_to_text(doc.html) if doc.html else "")
        pairs: list[tuple[str, str]] = []
        if len(body) >= self.config.min_chars:
            pairs.extend(self.chunk(body, title))
        if doc.kind == "story" and url:
            parsed = None
            if page is not None and page.ok:
                try:
                    parsed = self.parse_page(page, title)
                except ParseError as exc:
                    if skips is not None:
                        skips.append(Skip(doc.item_id, url, "parse", exc.reason, detail=exc.detail, at=at))
            if parsed is not None:
                pairs.extend(self.chunk(parsed.sections, title))
            elif not pairs and title:
                pairs.append((title, title))  # the page failed: the story stays findable by its title
        elif doc.kind == "story" and not pairs and len(title) >= self.config.min_chars:
            pairs.append((title, title))  # title-only story (no url, no text)

        if not pairs:
            return Skip(doc.item_id, url, "parse", "empty_text", detail=f"{len(body)} chars", at=at)
        return [
            Chunk(item_id=doc.item_id, root_id=doc.root_id, kind=doc.kind, chunk_index=i, text=text, embed_text=embed,
                  title=title, url=url, author=doc.author, time=doc.time, score=doc.score, emitted_at=at,
                  n_chunks=len(pairs))
            for i, (text, embed) in enumerate(pairs)
        ]
