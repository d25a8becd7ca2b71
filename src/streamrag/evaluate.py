"""Retrieval evaluation on labelled queries: story-level MRR@10 and recall@1/5/10.

A labelled query names the Hacker News story that answers it (``{"query": "...", "item_id": 123}`` per JSONL
line). A query's rank is the 1-based position of the StoryResult whose ``root_id`` is that story id
(None when it is not among the returned results); comments found under the story count for it.
"""

from __future__ import annotations

import json
import statistics
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterable, Sequence

CUTOFFS = (1, 5, 10)


@dataclass
class LabelledQuery:
    query: str
    item_id: int  # the story (root) id that answers the query


def load_queries(path: str | Path) -> list[LabelledQuery]:
    """Read JSONL ``{"query": str, "item_id": int}`` lines (blank lines skipped).

    Raises ValueError naming the file and line for invalid JSON, missing/empty fields or a non-integer id.
    """
    path = Path(path)
    queries: list[LabelledQuery] = []
    with open(path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            where = f"{path}:{lineno}"
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{where}: not valid JSON ({exc.msg})") from None
            if not isinstance(obj, dict):
                raise ValueError(f"{where}: expected an object like {{\"query\": ..., \"item_id\": ...}}")
            query, item_id = obj.get("query"), obj.get("item_id")
            if not isinstance(query, str) or not query.strip():
                raise ValueError(f"{where}: 'query' must be a non-empty string")
            if isinstance(item_id, bool) or not isinstance(item_id, (int, str)):
                raise ValueError(f"{where}: 'item_id' must be an integer story id")
            try:
                item_id = int(item_id)
            except ValueError:
                raise ValueError(f"{where}: 'item_id' must be an integer story id, not {item_id!r}") from None
            queries.append(LabelledQuery(query.strip(), item_id))
    return queries


def mrr_at_k(ranks: Sequence[int | None], k: int) -> float:
    """Mean reciprocal rank, counting ranks above ``k`` (and None = not found) as 0. Empty -> 0.0."""
    if not ranks:
        return 0.0
    return sum(1.0 / r for r in ranks if r is not None and r <= k) / len(ranks)


def recall_at_k(ranks: Sequence[int | None], k: int) -> float:
    """Fraction of queries whose labelled story is within the top ``k`` (None = not found). Empty -> 0.0."""
    if not ranks:
        return 0.0
    return sum(1 for r in ranks if r is not None and r <= k) / len(ranks)


def rank_of(results: Iterable[Any], item_id: int) -> int | None:
    """1-based position of the first result whose ``root_id`` is ``item_id`` (StoryResults or Hits)."""
    for position, result in enumerate(results, 1):
        if int(result.root_id) == int(item_id):
            return position
    return None


@dataclass
class QueryResult:
    query: str
    item_id: int
    rank: int | None
    top_root_id: int | None
    latency_ms: float


@dataclass
class EvalReport:
    n: int
    k: int
    mode: str
    mrr_at_10: float
    recall: dict[int, float]  # cutoff -> recall@cutoff
    per_query: list[QueryResult] = field(default_factory=list)
    search_kwargs: dict[str, Any] = field(default_factory=dict)

    @property
    def ranks(self) -> list[int | None]:
        return [q.rank for q in self.per_query]

    @property
    def latency_ms_p50(self) -> float:
        return statistics.median(q.latency_ms for q in self.per_query) if self.per_query else 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "n": self.n, "k": self.k, "mode": self.mode, "mrr@10": self.mrr_at_10,
            **{f"recall@{c}": v for c, v in self.recall.items()},
            "latency_ms_p50": self.latency_ms_p50,
            "search_kwargs": {key: _jsonable(v) for key, v in self.search_kwargs.items()},
            "per_query": [asdict(q) for q in self.per_query],
        }

    def to_markdown(self, show_misses: int = 10) -> str:
        """A summary table, then up to ``show_misses`` queries whose story ranked worst or was not found."""
        head = ["mode", "n", "MRR@10"] + [f"recall@{c}" for c in self.recall] + ["p50 ms"]
        row = [self.mode, str(self.n), f"{self.mrr_at_10:.3f}"] + [f"{v:.3f}" for v in self.recall.values()]
        row.append(f"{self.latency_ms_p50:.1f}")
        lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|",
                 "| " + " | ".join(row) + " |"]
        misses = sorted((q for q in self.per_query if q.rank != 1),
                        key=lambda q: (q.rank is not None, -(q.rank or 0)))[:show_misses]
        if misses:
            lines += ["", "| query | story | rank |", "|---|---|---|"]
            for q in misses:
                text = q.query.replace("|", "\\|")
                lines.append(f"| {text} | {q.item_id} | {q.rank if q.rank is not None else f'> {self.k}'} |")
        return "\n".join(lines)


def _jsonable(value: Any) -> Any:
    try:
        json.dumps(value)
        return value
    except TypeError:
        return str(value)


def evaluate(retriever: Any, queries: Sequence[LabelledQuery], k: int = 10, mode: str = "dense",
             **search_kwargs: Any) -> EvalReport:
    """Run every query through ``retriever.search(query, k=k, mode=mode, group=True, **search_kwargs)``.

    ``k`` is how many stories are retrieved; MRR is cut at 10 and recall@c for c in (1, 5, 10) (with ``k < 10``
    recall@10 can only count the ``k`` stories returned).
    """
    search_kwargs.pop("group", None)
    per_query: list[QueryResult] = []
    for q in queries:
        started = time.perf_counter()
        results = retriever.search(q.query, k=k, mode=mode, group=True, **search_kwargs)
        latency_ms = (time.perf_counter() - started) * 1000.0
        per_query.append(QueryResult(q.query, q.item_id, rank_of(results, q.item_id),
                                     int(results[0].root_id) if results else None, latency_ms))
    ranks = [q.rank for q in per_query]
    return EvalReport(n=len(per_query), k=k, mode=mode, mrr_at_10=mrr_at_k(ranks, 10),
                      recall={c: recall_at_k(ranks, c) for c in CUTOFFS}, per_query=per_query,
                      search_kwargs=dict(search_kwargs))
