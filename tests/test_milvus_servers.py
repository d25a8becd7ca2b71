"""The pipeline, stats, search and idempotent re-runs against a Milvus Lite file, a ``milvus-lite server`` and a real
standalone Milvus 2.3.5 server (no BM25, no INVERTED index: the store adapts and hybrid search falls back)."""

from __future__ import annotations

import logging

import pytest

from streamrag import flow
from streamrag.config import SAMPLE_RECORDING, SinkConfig
from streamrag.retrieve import Retriever
from streamrag.store import close_all, open_store

ITEMS = 60  # the first 60 items of the bundled sample: stories, comments, pages


@pytest.fixture(params=["lite-file", "lite-server", "milvus-2.3.5"])
def milvus_uri(request, tmp_path) -> str:
    if request.param == "lite-file":
        return str(tmp_path / "milvus.db")
    return request.getfixturevalue("lite_server" if request.param == "lite-server" else "milvus_server")


def ingest(config_in, tmp_path, uri: str, collection: str) -> dict:
    cfg = config_in(tmp_path, kind="replay", recording=SAMPLE_RECORDING, max_items=ITEMS)
    cfg.sink.uri, cfg.sink.collection = uri, collection
    summary = flow.run(cfg)
    close_all()
    return summary


def scalar_index(retriever: Retriever) -> str:
    """The index type Milvus reports for the ``item_id`` field (what deletes and filters by item use)."""
    return retriever.store.client.describe_index(retriever.collection, "item_id")["index_type"]


@pytest.mark.slow
def test_pipeline_stats_search_and_rerun_on_each_kind_of_milvus(milvus_uri, tmp_path, config_in, stored, caplog):
    collection = f"servers_{tmp_path.name[-12:].replace('-', '_')}"  # one collection per test on a shared server
    first = ingest(config_in, tmp_path, milvus_uri, collection)
    sink = SinkConfig(uri=milvus_uri, collection=collection)
    stats = open_store(sink, create=False).stats()
    rows = stored(sink, fields=["chunk_id", "content_hash"])
    assert first["items_seen"] == ITEMS and first["chunks_written"] > 0
    assert stats["chunks"] == sum(len(r) for r in rows.values()) and stats["stories"] > 0 and stats["comments"] > 0

    again = ingest(config_in, tmp_path, milvus_uri, collection)  # the same items again: upserts, no duplicates
    assert again["chunks_written"] == first["chunks_written"]
    assert open_store(sink, create=False).stats() == stats
    assert stored(sink, fields=["chunk_id", "content_hash"]) == rows

    retriever = Retriever(milvus_uri=milvus_uri, collection=collection)
    dense = retriever.search("tuning autovacuum so vacuum keeps up on a busy postgres table", k=3)
    assert "autovacuum" in dense[0].title.lower()
    with caplog.at_level(logging.WARNING, logger="streamrag.retrieve"):
        hybrid = retriever.search("autovacuum per table", k=3, mode="hybrid")
        retriever.search("autovacuum per table", k=3, mode="hybrid")
    fell_back = [r for r in caplog.records if "falls back to dense" in r.getMessage()]
    if milvus_uri.startswith("http") and not retriever.has_bm25:  # Milvus 2.3: no BM25
        assert len(fell_back) == 1  # one warning, not one per query
        assert scalar_index(retriever) == "STL_SORT"
    else:
        assert fell_back == [] and scalar_index(retriever) == "INVERTED"
    assert "autovacuum" in hybrid[0].title.lower()
