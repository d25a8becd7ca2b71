"""Retrieval over the Milvus collection the pipeline fills: search, story grouping, prompt context, answers.

* ``Retriever.search`` embeds the query with the same model as ingestion (all-MiniLM-L6-v2, normalized) and
  asks the store (:mod:`streamrag.store`) for the nearest chunks (COSINE, HNSW). ``mode="hybrid"`` adds BM25
  full-text search and fuses both lists with reciprocal-rank fusion (``RRFRanker(60)``). A collection without
  BM25 (ingested with ``hybrid=False`` or on a server without BM25, e.g. Milvus 2.3) falls back to dense search
  with one warning.
* Results are grouped per root story by default (``StoryResult``): comments are attached under their story.
* ``build_context`` turns results into a numbered, token-budgeted block for an LLM prompt.
* ``answer`` sends that block to an OpenAI-compatible chat endpoint, only when configured by env vars.

Scores: in dense mode ``score`` is the cosine similarity (higher is better, at most 1). In hybrid mode it is
the RRF fusion score (sum over the two lists of ``1 / (60 + rank)``), only meaningful for ordering.
"""

from __future__ import annotations

import logging
import os
import re
import time as _time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Sequence, Union

from .config import SinkConfig
from .embed import Embedder
from .model import tokenizer as model_tokenizer
from .records import Hit
from .store import Filter, Store, open_store

logger = logging.getLogger(__name__)

MAX_LIMIT = 16384  # Milvus' largest top-k
HN_ITEM_URL = "https://news.ycombinator.com/item?id={}"


def link_of(hit: Hit) -> str:
    """The article URL for a story chunk that has one, else the item's HN page."""
    if hit.kind == "story" and hit.url:
        return hit.url
    return HN_ITEM_URL.format(hit.item_id)


@dataclass
class StoryResult:
    """One story and its matching chunks: the story's own chunks first (best first), then its comments'."""

    root_id: int
    title: str
    url: str
    time: int
    score: float  # the best chunk's score: stories are ranked by it
    hits: list[Hit] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"root_id": self.root_id, "title": self.title, "url": self.url, "time": self.time,
                "score": self.score, "hits": [h.to_json() for h in self.hits]}

    @property
    def link(self) -> str:
        return self.url or HN_ITEM_URL.format(self.root_id)


Results = Union[Sequence[StoryResult], Sequence[Hit]]


class Retriever:
    """Searches one collection. The store and the embedding model are opened on first use.

    Pass ``store`` to search an open :class:`~streamrag.store.Store`, else ``milvus_uri`` and ``collection`` name one.
    """

    def __init__(self, milvus_uri: str = SinkConfig().uri, collection: str = SinkConfig().collection,
                 embedder: Embedder | None = None, search_ef: int = SinkConfig().search_ef,
                 store: Store | None = None) -> None:
        self.milvus_uri = milvus_uri
        self.collection = collection
        self.search_ef = search_ef
        self._embedder = embedder
        self._store = store
        self._warned_no_bm25 = False

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = Embedder()
        return self._embedder

    @property
    def store(self) -> Store:
        if self._store is None:
            config = SinkConfig(uri=self.milvus_uri, collection=self.collection, search_ef=self.search_ef)
            self._store = open_store(config, create=False)
        return self._store

    @property
    def has_bm25(self) -> bool:
        """Whether the collection has the BM25 full-text field that hybrid search needs."""
        return self.store.bm25

    def search(self, query: str, k: int = 10, kind: str | None = None, since: float | datetime | None = None,
               where: str | None = None, mode: str = "dense",
               recency_half_life: float | timedelta | None = None, group: bool = True,
               now: float | None = None) -> list[StoryResult] | list[Hit]:
        """Top ``k`` stories (``group=True``, default) or top ``k`` chunks (``group=False``) for ``query``.

        Filters (ANDed): ``kind`` ("story" or "comment"), ``since`` (``time >= since``, unix seconds or an
        aware datetime; rows with unknown time 0 are therefore excluded), ``where`` (a raw Milvus boolean
        expression, e.g. ``'author == "pg"'`` or ``"root_id in [1, 2]"``).

        ``mode``: "dense" (cosine on the embedding) or "hybrid" (dense + BM25 fused with RRF; falls back to
        dense with a warning when the collection has no BM25 field).

        Grouping over-fetches ``k * 5`` chunks (at least 50), groups them by ``root_id`` and ranks stories by
        their best chunk, so a story with many matching chunks appears once.

        ``recency_half_life`` (seconds or a timedelta) multiplies every score, after retrieval, by
        ``0.5 ** (age / half_life)`` where ``age = now - time`` (clamped at 0; ``now`` defaults to the current
        time). A chunk one half-life old thus needs twice the similarity of a brand-new one to tie with it,
        two half-lives old four times, and so on. Rows with unknown time (0) are not decayed. Only the
        over-fetched candidates are re-ranked: recency never brings in chunks that retrieval did not find.
        """
        if not query or not query.strip():
            raise ValueError("query is empty")
        if k < 1:
            raise ValueError(f"k must be >= 1, not {k}")
        if mode not in ("dense", "hybrid"):
            raise ValueError(f"mode must be 'dense' or 'hybrid', not {mode!r}")
        filters = make_filter(kind=kind, since=since, where=where)
        half_life = _seconds(recency_half_life)
        fetch = k if not group and half_life is None else max(k * 5, 50)
        fetch = min(fetch, MAX_LIMIT)

        if mode == "hybrid" and not self.has_bm25:
            if not self._warned_no_bm25:
                logger.warning("collection %s at %s has no BM25 field (ingested with hybrid off, or a server "
                               "without BM25): hybrid search falls back to dense", self.collection, self.milvus_uri)
                self._warned_no_bm25 = True
            mode = "dense"
        vector = self.embedder.encode([query])[0].tolist()
        hits = self.store.search(vector, fetch, filters, text=query if mode == "hybrid" else None,
                                 ef=max(self.search_ef, fetch))
        if half_life is not None:
            hits = apply_recency(hits, half_life, now=now)
        if not group:
            return hits[:k]
        return group_hits(hits)[:k]


def make_filter(kind: str | None = None, since: float | datetime | None = None, where: str | None = None) -> Filter:
    """The store filter for the search arguments, checked: ``kind`` story/comment, ``since`` aware or unix seconds."""
    if kind is not None and kind not in ("story", "comment"):
        raise ValueError(f"kind must be 'story' or 'comment', not {kind!r}")
    if isinstance(since, datetime):
        if since.tzinfo is None:
            raise ValueError("since must be timezone-aware (or unix seconds)")
        since = since.timestamp()
    return Filter(kind=kind, since=None if since is None else float(since), where=where)


def _seconds(value: float | timedelta | None) -> float | None:
    if value is None:
        return None
    seconds = value.total_seconds() if isinstance(value, timedelta) else float(value)
    if not seconds > 0:
        raise ValueError(f"recency_half_life must be > 0 seconds, not {value!r}")
    return seconds


def apply_recency(hits: Sequence[Hit], half_life_s: float, now: float | None = None) -> list[Hit]:
    """Multiply scores by ``0.5 ** (age / half_life_s)`` and re-sort (best first). Returns new Hit objects.

    A negative score (possible with cosine) is divided instead, so older is always worse. Time 0 = unknown:
    not decayed.
    """
    now = _time.time() if now is None else now
    out: list[Hit] = []
    for h in hits:
        factor = 1.0 if h.time <= 0 else 0.5 ** (max(0.0, now - h.time) / half_life_s)
        score = h.score * factor if h.score >= 0 else h.score / max(factor, 1e-300)
        out.append(Hit(**{**asdict(h), "score": score}))
    out.sort(key=lambda h: h.score, reverse=True)
    return out


def group_hits(hits: Sequence[Hit]) -> list[StoryResult]:
    """Group chunks by root story, ranked by each story's best chunk (stable for ties).

    Within a story: the story's own chunks first (best first), then its comments' chunks (best first).
    Title/url/time come from a story chunk when one was retrieved, else from the first comment chunk
    (comment chunks carry their root story's title).
    """
    groups: dict[int, list[Hit]] = {}
    for h in hits:
        groups.setdefault(h.root_id, []).append(h)
    results: list[StoryResult] = []
    for root_id, members in groups.items():
        own = sorted((h for h in members if h.kind != "comment"), key=lambda h: h.score, reverse=True)
        comments = sorted((h for h in members if h.kind == "comment"), key=lambda h: h.score, reverse=True)
        head = own[0] if own else comments[0]
        results.append(StoryResult(root_id=root_id, title=head.title, url=head.url if own else "",
                                   time=head.time if own else 0, score=max(h.score for h in members),
                                   hits=own + comments))
    results.sort(key=lambda r: r.score, reverse=True)
    return results


# ----------------------------------------------------------------------------------------- prompt context

TokenCounter = Callable[[str], int]


@dataclass
class Source:
    """One numbered source in a context block."""

    n: int
    title: str
    url: str
    time: int
    text: str  # the text as included (possibly truncated)
    truncated: bool = False

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Context:
    """A prompt-ready block: ``text`` (``str(context)``), the ``sources`` it cites, and its token count."""

    text: str
    sources: list[Source]
    tokens: int

    def __str__(self) -> str:
        return self.text


def make_counter(tokenizer: Any = None) -> TokenCounter:
    """A token counter: the model tokenizer by default, any HF-style tokenizer, or a ``str -> int`` callable."""
    if tokenizer is None:
        tokenizer = model_tokenizer()
    if hasattr(tokenizer, "encode"):
        def count(text: str) -> int:
            if not text:
                return 0
            try:  # HF tokenizers; verbose=False: a block longer than the model window is fine here
                return len(tokenizer.encode(text, add_special_tokens=False, verbose=False))
            except TypeError:  # other tokenizers (e.g. tiktoken) take only the text
                return len(tokenizer.encode(text))
        return count
    if callable(tokenizer):
        return tokenizer
    raise TypeError("tokenizer must be a tokenizer with .encode or a callable str -> int")


def format_time(t: int) -> str:
    """``2026-11-25 14:03 UTC`` ('' for unknown time 0)."""
    if not t or t <= 0:
        return ""
    return datetime.fromtimestamp(t, tz=timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def _source_parts(item: StoryResult | Hit) -> tuple[str, str, int, str]:
    """(title, url, time, body) for one result."""
    if isinstance(item, StoryResult):
        bodies = []
        for h in item.hits:
            if h.kind == "comment":
                bodies.append(f"Comment by {h.author or 'unknown'}: {h.text.strip()}")
            else:
                bodies.append(h.text.strip())
        return item.title or f"HN item {item.root_id}", item.link, item.time, "\n\n".join(bodies)
    title = item.title or f"HN item {item.root_id}"
    body = item.text.strip()
    if item.kind == "comment":
        body = f"Comment by {item.author or 'unknown'}: {body}"
    return title, link_of(item), item.time, body


def _header(n: int, title: str, url: str, t: int) -> str:
    meta = ", ".join(p for p in (url, format_time(t)) if p)
    return f"[{n}] {title}" + (f" ({meta})" if meta else "")


def build_context(results: Results, max_tokens: int = 1500, tokenizer: Any = None,
                  min_truncated_words: int = 8) -> Context:
    """A numbered, token-budgeted context block from search results (StoryResults or Hits), best first.

    Each source is ``[n] Title (url, 2026-11-25 14:03 UTC)`` on one line followed by its text (for a
    StoryResult: its chunks, comments prefixed ``Comment by <author>:``); sources are separated by a blank
    line. Sources are added in rank order while the whole block fits ``max_tokens``; the first one that does
    not fit is truncated on a word boundary and ends with "…" (kept only if at least
    ``min_truncated_words`` words fit, or it is the first source), and all lower-ranked ones are dropped.
    The token count of the returned ``text`` never exceeds ``max_tokens``. ``tokenizer``: None = the
    embedding model's tokenizer; or any object with ``.encode``; or a ``str -> int`` counter.
    """
    count = make_counter(tokenizer)
    blocks: list[str] = []
    sources: list[Source] = []

    def joined(extra: str) -> str:
        return "\n\n".join(blocks + [extra])

    for item in results:
        title, url, t, body = _source_parts(item)
        n = len(blocks) + 1
        header = _header(n, title, url, t)
        block = f"{header}\n{body}" if body else header
        if count(joined(block)) <= max_tokens:
            blocks.append(block)
            sources.append(Source(n, title, url, t, body))
            continue
        cut = _truncate_to_fit(body, lambda b: count(joined(f"{header}\n{b}")) <= max_tokens,
                               min_words=1 if n == 1 else min_truncated_words)
        if cut is not None:
            blocks.append(f"{header}\n{cut}")
            sources.append(Source(n, title, url, t, cut, truncated=True))
        break
    text = "\n\n".join(blocks)
    tokens = count(text) if text else 0
    assert tokens <= max_tokens, (tokens, max_tokens)
    return Context(text=text, sources=sources, tokens=tokens)


def _truncate_to_fit(body: str, fits: Callable[[str], bool], min_words: int) -> str | None:
    """The longest word-boundary prefix of ``body`` + "…" that ``fits``, with >= min_words words, or None."""
    ends = [m.start() for m in re.finditer(r"\s+", body)] + [len(body)]
    # ends[i] = end of word i+1; binary search the largest i that fits (token counts grow with the prefix).
    lo, hi, best = max(min_words, 1) - 1, len(ends) - 1, None
    if lo > hi:
        return None
    while lo <= hi:
        mid = (lo + hi) // 2
        candidate = body[:ends[mid]].rstrip() + "…"
        if fits(candidate):
            best, lo = candidate, mid + 1
        else:
            hi = mid - 1
    return best


# ----------------------------------------------------------------------------------------------- answers

SYSTEM_PROMPT = ("You answer questions about recent Hacker News stories and comments. Use only the numbered "
                 "sources given; cite them like [1]. If the sources do not contain the answer, say so.")


def llm_settings() -> dict[str, str] | None:
    """The LLM endpoint from env vars, or None when ``STREAMRAG_LLM_BASE_URL``/``STREAMRAG_LLM_MODEL`` are unset."""
    base = os.environ.get("STREAMRAG_LLM_BASE_URL", "").strip()
    model = os.environ.get("STREAMRAG_LLM_MODEL", "").strip()
    if not base or not model:
        return None
    return {"base_url": base.rstrip("/"), "model": model,
            "api_key": os.environ.get("STREAMRAG_LLM_API_KEY", "").strip(),
            "timeout_s": os.environ.get("STREAMRAG_LLM_TIMEOUT_S", "60")}


def answer(question: str, retriever: Retriever | None = None, k: int = 5, max_tokens: int = 1500,
           **search_kwargs: Any) -> str:
    """Retrieve, build a context of at most ``max_tokens`` and ask an OpenAI-compatible chat model.

    Off by default. Configure with env vars ``STREAMRAG_LLM_BASE_URL`` (e.g. ``http://localhost:11434/v1``;
    ``/chat/completions`` is appended), ``STREAMRAG_LLM_MODEL`` and optionally ``STREAMRAG_LLM_API_KEY``
    (sent as a Bearer token) and ``STREAMRAG_LLM_TIMEOUT_S`` (default 60). Returns the model's message text.
    """
    settings = llm_settings()
    if settings is None:
        raise RuntimeError("set STREAMRAG_LLM_BASE_URL (an OpenAI-compatible endpoint, e.g. "
                           "http://localhost:11434/v1) and STREAMRAG_LLM_MODEL, optionally STREAMRAG_LLM_API_KEY, "
                           "to enable answer()")
    import httpx

    retriever = retriever or Retriever()
    results = retriever.search(question, k=k, **search_kwargs)
    context = build_context(results, max_tokens=max_tokens)
    payload = {
        "model": settings["model"],
        "messages": [
            {"role": "system", "content": SYSTEM_PROMPT},
            {"role": "user", "content": f"Sources:\n\n{context.text or '(no sources found)'}\n\n"
                                        f"Question: {question}"},
        ],
        "temperature": 0.2,
    }
    headers = {"Content-Type": "application/json"}
    if settings["api_key"]:
        headers["Authorization"] = f"Bearer {settings['api_key']}"
    url = settings["base_url"] + "/chat/completions"
    try:
        response = httpx.post(url, json=payload, headers=headers, timeout=float(settings["timeout_s"]))
    except httpx.HTTPError as exc:
        raise RuntimeError(f"LLM endpoint {url} failed: {exc.__class__.__name__}: {exc}") from exc
    if response.status_code != 200:
        raise RuntimeError(f"LLM endpoint {url} returned HTTP {response.status_code}: {response.text[:300]}")
    try:
        return response.json()["choices"][0]["message"]["content"]
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise RuntimeError(f"LLM endpoint {url} returned an unexpected body: {response.text[:300]}") from exc


# ------------------------------------------------------------------------------------------- CLI helpers
def _snippet(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[:width - 1].rstrip() + "…"


def format_hits_table(results: Results, snippet_chars: int = 160, max_hits_per_story: int = 3) -> str:
    """Human-readable results: one numbered entry per story (or hit), with score, link, time and snippets."""
    if not results:
        return "no results"
    lines: list[str] = []
    for i, r in enumerate(results, 1):
        if isinstance(r, StoryResult):
            when = format_time(r.time)
            lines.append(f"{i:>2}. [{r.score:.3f}] {r.title or '(untitled)'}")
            lines.append(f"    {r.link}" + (f"  ·  {when}" if when else "") + f"  ·  story {r.root_id}")
            for h in r.hits[:max_hits_per_story]:
                who = f"comment by {h.author or '?'}" if h.kind == "comment" else "story"
                lines.append(f"    - ({h.score:.3f}, {who}) {_snippet(h.text, snippet_chars)}")
            if len(r.hits) > max_hits_per_story:
                lines.append(f"    … {len(r.hits) - max_hits_per_story} more matching chunk(s)")
        else:
            when = format_time(r.time)
            who = f"comment by {r.author or '?'}" if r.kind == "comment" else "story"
            lines.append(f"{i:>2}. [{r.score:.3f}] {r.title or '(untitled)'}  ({who}, chunk {r.chunk_id})")
            lines.append(f"    {link_of(r)}" + (f"  ·  {when}" if when else ""))
            lines.append(f"    {_snippet(r.text, snippet_chars)}")
    return "\n".join(lines)
