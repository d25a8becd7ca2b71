"""A new source is one file plus one registration line: a JSON Lines feed runs through the unchanged pipeline."""

from __future__ import annotations

import json

import pytest

from jsonl_source import jsonl_source
from streamrag import flow
from streamrag.config import Config
from streamrag.retrieve import Retriever
from streamrag.sources import SOURCES, register_source
from streamrag.store import close_all

FEED = [
    {"id": 9001, "title": "Sourdough starter care", "time": 1_700_000_000,
     "text": "Feed the sourdough starter twice a day with equal weights of flour and water, and keep it warm."},
    {"id": 9002, "title": "Replacing a bicycle chain",
     "text": "Measure chain stretch with a gauge; replace the chain before it wears the cassette and chainrings."},
    {"id": 9003, "title": "Tuning autovacuum",
     "text": "Lower autovacuum_vacuum_scale_factor on large, busy Postgres tables so vacuum keeps up with writes."},
]


@pytest.fixture
def jsonl_registered():
    register_source("jsonl", jsonl_source)  # the one registration line
    yield
    SOURCES.pop("jsonl")


@pytest.mark.slow
def test_a_jsonl_feed_is_ingested_and_searchable(tmp_path, jsonl_registered):
    feed = tmp_path / "feed.jsonl"
    feed.write_text("\n".join(json.dumps(d) for d in FEED) + "\nnot json\n", encoding="utf-8")
    cfg = Config()
    cfg.source.kind, cfg.source.options = "jsonl", {"path": str(feed)}
    cfg.sink.uri, cfg.run.errors_path = str(tmp_path / "milvus.db"), tmp_path / "errors.jsonl"
    try:
        summary = flow.run(cfg)
        retriever = Retriever(milvus_uri=cfg.sink.uri)
        stats = retriever.store.stats()
        top = retriever.search("how often should I feed my sourdough starter", k=1)[0]
    finally:
        close_all()
    assert summary["source"] == f"JSON Lines feed {feed}"
    assert summary["items_seen"] == 4 and summary["chunks_written"] == 3
    assert summary["skips_by_reason"] == {"source:bad_line": 1}  # the bad line is counted and recorded, not fatal
    assert json.loads((tmp_path / "errors.jsonl").read_text().splitlines()[0])["reason"] == "bad_line"
    assert stats == {"chunks": 3, "items": 3, "stories": 3, "comments": 0}
    assert top.root_id == 9001 and top.title == "Sourdough starter care"
