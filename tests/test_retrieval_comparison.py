"""Smoke test of benchmarks/retrieval_comparison.py: one variant end to end on a tiny slice of the sample."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

from streamrag.config import SAMPLE_RECORDING

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "retrieval_comparison.py"


@pytest.fixture(scope="module")
def rc():
    spec = importlib.util.spec_from_file_location("retrieval_comparison", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve string annotations through sys.modules
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.modules.pop(spec.name, None)


def test_variant_configs(rc, tmp_path):
    long = rc.make_config(rc.BY_NAME["long512"], tmp_path)
    assert long.parse.chunk_tokens == 512 and long.parse.max_tokens > 512  # the parser must not split them
    assert rc.make_config(rc.BY_NAME["cls"], tmp_path).embed.pooling == "cls"
    assert rc.make_config(rc.BY_NAME["no_title"], tmp_path).parse.title_context is False
    base = rc.make_config(rc.BY_NAME["baseline"], tmp_path)
    assert base.source.kind == "replay" and base.sink.uri.startswith(str(tmp_path))
    assert base.run.errors_path.parent == tmp_path
    for v in rc.VARIANTS:  # query-side variants reuse an ingestion that exists and changes nothing at ingest
        assert v.reuse is None or (v.reuse in rc.BY_NAME and not v.parse and not v.embed)


def test_compare_counts_and_interval(rc):
    c = rc.compare([1, 2, None, 3], [1, 1, 4, 3])
    assert (c["better"], c["worse"], c["same"]) == (0, 2, 2)
    assert c["mrr_diff"] == pytest.approx(((0.5 - 1) + (0 - 0.25)) / 4)
    assert c["mrr_diff_ci95"][0] <= c["mrr_diff"] <= c["mrr_diff_ci95"][1]


def test_run_variant_on_a_tiny_subset(rc, tmp_path):
    items = [json.loads(line) for line in (SAMPLE_RECORDING / "items.jsonl").read_text().splitlines()]
    ingested_ids = {row["id"] for row in items[:12]}
    queries = [line for line in (SAMPLE_RECORDING / "queries.jsonl").read_text().splitlines()
               if json.loads(line)["item_id"] in ingested_ids][:4]
    queries.append('{"query": "a story that is not in the first items", "item_id": 1}')
    qpath = tmp_path / "queries.jsonl"
    qpath.write_text("\n".join(queries) + "\n")
    row = rc.run_variant("hybrid_recency_1d", tmp_path, queries_path=qpath, max_items=12)
    assert row["n_queries"] == len(queries) and row["chunks"] > 0
    for key in ("mrr@10", "recall@1", "recall@5", "recall@10"):
        assert 0.0 <= row[key] <= 1.0
    assert row["recall@1"] <= row["recall@5"] <= row["recall@10"]
    assert row["recall@10"] > 0  # the labelled stories that were ingested are found
    assert row["ranks"][-1] is None
    assert (tmp_path / "baseline" / "milvus.db").exists()  # query-side variants search the baseline db
