"""Evaluation metrics (hand-computed), query loading, and an end-to-end run on a tiny Milvus Lite collection."""

from __future__ import annotations

import json

import pytest

from streamrag.evaluate import EvalReport, LabelledQuery, evaluate, load_queries, mrr_at_k, rank_of, recall_at_k
from streamrag.records import Chunk, Hit
from streamrag.retrieve import Retriever, StoryResult

NOW = 1_790_000_000


def test_mrr_hand_computed():
    ranks = [1, 2, None, 4, 11]
    # (1 + 1/2 + 0 + 1/4 + 0) / 5 = 0.35 ; at k=3 the rank-4 query counts 0 -> 0.3
    assert mrr_at_k(ranks, 10) == pytest.approx(0.35)
    assert mrr_at_k(ranks, 3) == pytest.approx(0.3)
    assert mrr_at_k(ranks, 11) == pytest.approx((1 + 0.5 + 0.25 + 1 / 11) / 5)
    assert mrr_at_k([], 10) == 0.0 and mrr_at_k([None, None], 10) == 0.0


def test_recall_hand_computed():
    ranks = [1, 2, None, 4, 11]
    assert recall_at_k(ranks, 1) == pytest.approx(1 / 5)
    assert recall_at_k(ranks, 5) == pytest.approx(3 / 5)
    assert recall_at_k(ranks, 10) == pytest.approx(3 / 5)
    assert recall_at_k(ranks, 11) == pytest.approx(4 / 5)
    assert recall_at_k([], 5) == 0.0


def test_load_queries(tmp_path):
    path = tmp_path / "q.jsonl"
    path.write_text('{"query": "rust runtime", "item_id": 1}\n\n{"query": " bread ", "item_id": "2"}\n')
    assert load_queries(path) == [LabelledQuery("rust runtime", 1), LabelledQuery("bread", 2)]
    for bad, msg in [("{not json", "not valid JSON"), ('{"item_id": 1}', "'query'"),
                     ('{"query": "x"}', "'item_id'"), ('{"query": "x", "item_id": "abc"}', "'item_id'"),
                     ("[1, 2]", "expected an object")]:
        path.write_text('{"query": "ok", "item_id": 1}\n' + bad + "\n")
        with pytest.raises(ValueError, match=rf"q\.jsonl:2: .*{msg}"):
            load_queries(path)


class _Canned:
    """A retriever returning fixed story lists per query."""

    def __init__(self, answers):
        self.answers = answers
        self.calls = []

    def search(self, query, k=10, **kwargs):
        self.calls.append((query, k, kwargs))
        return [StoryResult(root, "", "", 0, 1.0 / (i + 1)) for i, root in enumerate(self.answers[query][:k])]


def test_evaluate_with_canned_retriever():
    canned = _Canned({"a": [1, 2, 3], "b": [5, 4, 9, 8, 7, 6], "c": [1, 2], "d": list(range(20, 40))})
    queries = [LabelledQuery("a", 1), LabelledQuery("b", 6), LabelledQuery("c", 9), LabelledQuery("d", 30)]
    report = evaluate(canned, queries, k=10, mode="hybrid", kind="story")
    assert isinstance(report, EvalReport)
    assert report.ranks == [1, 6, None, None]  # "d": story 30 is 11th, beyond k=10
    assert report.n == 4 and report.mrr_at_10 == pytest.approx((1 + 1 / 6) / 4)
    assert report.recall == pytest.approx({1: 0.25, 5: 0.25, 10: 0.5})
    assert canned.calls[0] == ("a", 10, {"mode": "hybrid", "group": True, "kind": "story"})
    data = json.loads(json.dumps(report.to_json()))
    assert data["recall@10"] == 0.5 and data["mrr@10"] == pytest.approx(report.mrr_at_10)
    assert data["per_query"][1] == {**data["per_query"][1], "query": "b", "item_id": 6, "rank": 6, "top_root_id": 5}
    md = report.to_markdown()
    assert "| hybrid | 4 | 0.292 | 0.250 | 0.250 | 0.500 |" in md
    assert "| c | 9 | > 10 |" in md and "| a |" not in md  # only misses are listed


def test_rank_of_accepts_hits():
    hits = [Hit("1:0", 1, 7, "comment", "", "", 0, "", 0.9), Hit("2:0", 2, 8, "story", "", "", 0, "", 0.8)]
    assert rank_of(hits, 8) == 2 and rank_of(hits, 3) is None


def test_evaluate_on_tiny_collection(tmp_path, embedder, write_chunks):
    texts = {
        10: ("Tokio 2.0: a faster async runtime for Rust", "The async runtime gets a new work-stealing scheduler."),
        20: ("Sourdough bread at home", "Wild yeast in the starter makes the dough rise before baking."),
        30: ("Probe reaches Europa", "The spacecraft will study the ice-covered ocean moon of Jupiter."),
    }
    chunks = [Chunk(item_id=i, root_id=i, kind="story", chunk_index=0, text=body, embed_text=f"{title}\n{body}",
                    title=title, time=NOW) for i, (title, body) in texts.items()]
    chunks.append(Chunk(item_id=31, root_id=30, kind="comment", chunk_index=0, time=NOW, title=texts[30][0],
                        text="Life might exist in the hidden sea under the ice.",
                        embed_text=f"{texts[30][0]}\nLife might exist in the hidden sea under the ice."))
    uri = str(tmp_path / "t.db")
    write_chunks(chunks, uri, "ev")
    retriever = Retriever(milvus_uri=uri, collection="ev", embedder=embedder)
    queries = [LabelledQuery("Rust async scheduler", 10), LabelledQuery("baking bread with a starter", 20),
               LabelledQuery("is there life in an ocean under ice", 30)]
    report = evaluate(retriever, queries, k=3)
    assert report.ranks == [1, 1, 1]
    assert report.mrr_at_10 == 1.0 and report.recall == {1: 1.0, 5: 1.0, 10: 1.0}
    # a label that is not in the collection is a miss, not an error
    miss = evaluate(retriever, [*queries, LabelledQuery("Rust async scheduler", 99)], k=3, mode="hybrid")
    assert miss.ranks == [1, 1, 1, None] and miss.mrr_at_10 == pytest.approx(0.75)
    assert miss.recall[1] == pytest.approx(0.75)
