"""Parse stage, step 3: text -> chunks that fit the embedding model's window, counted in its own tokens.

Text is packed into chunks of at most ``chunk_tokens`` WordPiece tokens; over-long paragraphs are split on
lines, then sentences, then words, and as a last resort on token boundaries, so that the embedded text
(``title\nheading\nchunk`` plus ``[CLS]``/``[SEP]``) never exceeds ``max_tokens``: nothing is truncated by
the model. Only the *context* prefix (title, section heading) is shortened when it alone is very long; the
chunk text never is.
"""

from __future__ import annotations

import re
from typing import Sequence

from ..config import ParseConfig
from ..model import count_tokens, tokenizer
from .text import Section

MAX_TITLE_CONTEXT_TOKENS = 48  # the title in the embedding prefix is cut to this (context only)
MAX_HEADING_CONTEXT_TOKENS = 32  # the section heading in the embedding prefix is cut to this


def _cut_to_tokens(text: str, limit: int) -> str:
    """The longest prefix of ``text`` made of at most ``limit`` tokens (for context strings only)."""
    if limit <= 0 or not text:
        return ""
    enc = tokenizer()(text, add_special_tokens=False, return_offsets_mapping=True)
    offsets = enc["offset_mapping"]
    if len(offsets) <= limit:
        return text
    return text[: offsets[limit - 1][1]].rstrip()


_SENTENCE_RE = re.compile(r"(?<=[.!?\u3002])[\"')\]\u201d\u2019]*\s+(?=[\"'(\[\u201c\u2018]?[A-Z0-9\u00c0-\u024f])")


def _split_unit(text: str, code: bool) -> tuple[list[str], str]:
    """Split a too-long unit one level finer: blank lines, lines, sentences, words.

    Returns the parts and the separator that joins them back (so words are re-joined with spaces).
    """
    for splitter, joiner in ((r"\n\s*\n", "\n\n"), (r"\n", "\n"), (None, " "), (r"\s+", " ")):
        if splitter is None:
            if code:
                continue
            parts = _SENTENCE_RE.split(text)
        else:
            parts = re.split(splitter, text)
        parts = [p for p in (x.strip("\n") if code else x.strip() for x in parts) if p]
        if len(parts) > 1:
            return parts, joiner
    return [text], "\n\n"


def _split_tokens(text: str, limit: int) -> list[str]:
    """Last resort: cut ``text`` at token boundaries (preferring word starts) into pieces of <= limit tokens."""
    enc = tokenizer()(text, add_special_tokens=False, return_offsets_mapping=True)
    offsets = enc["offset_mapping"]
    pieces: list[str] = []
    start_tok = 0
    start_char = 0
    while len(offsets) - start_tok > limit:
        cut = start_tok + limit  # first token of the next piece
        # prefer a cut where a new word starts (whitespace before the token), within the last half
        for k in range(cut, start_tok + max(1, limit // 2), -1):
            if offsets[k][0] > offsets[k - 1][1]:
                cut = k
                break
        cut_char = offsets[cut][0]
        piece = text[start_char:cut_char].strip()
        if piece:
            pieces.append(piece)
        start_tok, start_char = cut, cut_char
    rest = text[start_char:].strip()
    if rest:
        pieces.append(rest)
    return pieces


class Chunker:
    """Splits text or sections into ``(text, embed_text)`` pairs that fit the model's window."""

    def __init__(self, config: ParseConfig | None = None) -> None:
        self.config = config or ParseConfig()
        if self.config.chunk_tokens < 16 or self.config.max_tokens < 32:
            raise ValueError("chunk_tokens must be >= 16 and max_tokens >= 32")
        if self.config.overlap_tokens * 2 > self.config.chunk_tokens:
            raise ValueError("overlap_tokens must be at most half of chunk_tokens")

    def _prefix(self, title: str, heading: str) -> str:
        if not self.config.title_context:
            return ""
        parts = []
        t = _cut_to_tokens(" ".join(title.split()), MAX_TITLE_CONTEXT_TOKENS)
        if t:
            parts.append(t)
        h = _cut_to_tokens(" ".join(heading.split()), MAX_HEADING_CONTEXT_TOKENS)
        if h and h.lower() != t.lower():
            parts.append(h)
        return "".join(p + "\n" for p in parts)

    def chunk(self, text_or_sections: str | Sequence[Section], title: str = "") -> list[tuple[str, str]]:
        """Split text (or sections from :meth:`parse_page`) into ``(text, embed_text)`` pairs.

        Every ``embed_text`` (``title\\nheading\\nchunk`` when ``title_context`` is on) encodes to at most
        ``max_tokens`` model tokens including [CLS] and [SEP]; ``text`` is the chunk alone. The chunk texts
        together contain every word of the input: nothing is truncated.
        """
        if isinstance(text_or_sections, str):
            paragraphs = [p.strip("\n") for p in re.split(r"\n\s*\n", text_or_sections) if p.strip()]
            sections = [Section("", paragraphs, [("\n" in p) for p in paragraphs])]
        else:
            sections = list(text_or_sections)
        cfg = self.config
        out: list[tuple[str, str]] = []
        min_close = cfg.chunk_tokens // 4

        # current chunk state
        cur: list[str] = []
        seps: list[str] = []  # the separator before each piece when the chunk is joined
        cur_tokens = 0
        cur_heading = ""
        heading = ""

        def budget_for(h: str) -> int:
            prefix_tokens = count_tokens(self._prefix(title, h))
            return max(8, min(cfg.chunk_tokens, cfg.max_tokens - 2 - prefix_tokens))

        def joined() -> str:
            return "".join((sep if i else "") + piece for i, (piece, sep) in enumerate(zip(cur, seps)))

        def close() -> None:
            nonlocal cur, seps, cur_tokens
            if cur:
                text = joined()
                ctx = "" if text.startswith(cur_heading) else cur_heading
                out.append((text, self._prefix(title, ctx) + text))
            cur, seps, cur_tokens = [], [], 0

        def add(unit: str, code: bool, unit_heading: str, sep: str = "\n\n") -> None:
            budget = budget_for(unit_heading)
            n = count_tokens(unit)
            if n > budget:
                parts, joiner = _split_unit(unit, code)
                if len(parts) == 1:
                    for i, p in enumerate(_split_tokens(unit, budget)):
                        add_piece(p, count_tokens(p), unit_heading, budget, sep if i == 0 else " ")
                    return
                for i, p in enumerate(parts):
                    add(p, code, unit_heading, sep if i == 0 else joiner)
                return
            add_piece(unit, n, unit_heading, budget, sep)

        def add_piece(piece: str, n: int, unit_heading: str, budget: int, sep: str) -> None:
            nonlocal cur_tokens, cur_heading
            if cur and cur_tokens + n > budget:
                tail = self._overlap_tail(joined())
                close()
                if tail:
                    t_n = count_tokens(tail)
                    if t_n + n <= budget:
                        cur.append(tail)
                        seps.append("")
                        cur_tokens = t_n
            if not cur:
                cur_heading = unit_heading
            cur.append(piece)
            seps.append(sep)
            cur_tokens += n

        for section in sections:
            if section.heading:
                if cur_tokens >= min_close:
                    close()
                heading = section.heading
                add(section.heading, False, heading)
            for para, code in zip(section.paragraphs, section.code or [False] * len(section.paragraphs)):
                add(para, code, heading)
        close()
        return [pair for piece in out for pair in self._enforce(piece, title)]

    def _overlap_tail(self, text: str) -> str:
        n = self.config.overlap_tokens
        if n <= 0 or not text:
            return ""
        enc = tokenizer()(text, add_special_tokens=False, return_offsets_mapping=True)
        offsets = enc["offset_mapping"]
        if len(offsets) <= n:
            return ""  # the whole chunk would be repeated: not an overlap
        k = len(offsets) - n
        while k < len(offsets) - 1 and offsets[k][0] <= offsets[k - 1][1]:  # start at a word boundary
            k += 1
        return text[offsets[k][0]:].strip()

    def _enforce(self, pair: tuple[str, str], title: str) -> list[tuple[str, str]]:
        """Belt and braces: re-split any chunk whose embed text still exceeds max_tokens."""
        text, embed = pair
        if count_tokens(embed, special=True) <= self.config.max_tokens:
            return [pair]
        prefix = embed[: len(embed) - len(text)]
        limit = max(8, self.config.max_tokens - 2 - count_tokens(prefix) - 2)
        return [(p, prefix + p) for p in _split_tokens(text, limit)]
