"""End-to-end: the Bytewax flow over recordings and a fake live HN, into a temporary Milvus Lite."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from pathlib import Path

import pytest

from fake_hn import comment, story
from streamrag import flow
from streamrag.config import SAMPLE_RECORDING, Config, SinkConfig
from streamrag.records import Chunk, Deletion, Document
from streamrag.sources.hn import Recording
from streamrag.store import open_store

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "recordings"


def stats(sink: SinkConfig) -> dict[str, int]:
    return open_store(sink, create=False).stats()


def errors(cfg: Config) -> list[dict]:
    path = cfg.run.errors_path
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


@pytest.fixture(scope="module")
def sample_run(tmp_path_factory, config_in):
    cfg = config_in(tmp_path_factory.mktemp("sample"), kind="replay", recording=SAMPLE_RECORDING)
    return cfg, flow.run(cfg)


def test_sample_replay_stores_and_records(sample_run):
    cfg, summary = sample_run
    recording = Recording(SAMPLE_RECORDING)
    assert summary["items_seen"] == sum(1 for _ in recording.iter_items())
    assert summary["chunks_written"] > 100
    counts = stats(cfg.sink)
    assert counts["stories"] >= 38 and counts["comments"] >= 70
    reasons = {e["reason"].split(":")[0] for e in errors(cfg) if e["stage"] == "fetch"}
    assert {"http_404", "timeout", "not_html"} <= reasons
    for e in errors(cfg):
        assert {"id", "url", "stage", "reason"} <= set(e)
    snapshots = cfg.run.metrics_path.read_text().splitlines()
    assert snapshots and "chunks_written" in json.loads(snapshots[-1])


def test_sample_edit_delete_and_dead(sample_run, stored):
    cfg, _ = sample_run
    latest = Recording(SAMPLE_RECORDING).latest_items()
    rows = stored(cfg.sink)
    gone = [i for i, item in latest.items() if isinstance(item, dict) and (item.get("deleted") or item.get("dead"))]
    assert gone, "the sample must contain deleted/dead items"
    for item_id in gone:
        assert item_id not in rows, f"item {item_id} is deleted/dead but still has chunks"
    # Edited items: the same id appears twice; the stored title is the latest one.
    seen: dict[int, int] = {}
    for _, item_id, _ in Recording(SAMPLE_RECORDING).iter_items():
        seen[item_id] = seen.get(item_id, 0) + 1
    edited = [i for i, n in seen.items() if n > 1 and i in rows and latest[i].get("type") == "story"]
    assert edited, "the sample must contain an edited story"
    for item_id in edited:
        assert {r["title"] for r in rows[item_id]} == {latest[item_id]["title"]}
        indexes = sorted(r["chunk_index"] for r in rows[item_id])
        assert indexes == list(range(len(indexes))), "stale chunks of an edited item must be deleted"


def test_sample_comments_carry_their_root_story(sample_run, stored):
    cfg, _ = sample_run
    latest = Recording(SAMPLE_RECORDING).latest_items()
    rows = stored(cfg.sink)
    comments = [i for i, r in rows.items() if r[0]["kind"] == "comment"]
    assert comments
    for item_id in comments:
        root = rows[item_id][0]["root_id"]
        assert latest[root]["type"] == "story", f"comment {item_id} has root {root}, not a story"


def test_sample_queries_find_their_story(sample_run):
    from streamrag.retrieve import Retriever

    cfg, _ = sample_run
    queries = [json.loads(l) for l in (SAMPLE_RECORDING / "queries.jsonl").read_text().splitlines() if l.strip()]
    retriever = Retriever(milvus_uri=cfg.sink.uri, collection=cfg.sink.collection)
    top3 = 0
    for q in queries[:12]:
        results = retriever.search(q["query"], k=3)
        top3 += q["item_id"] in [r.root_id for r in results]
    assert top3 >= 10, f"only {top3}/12 sample queries found their story in the top 3"


def test_replay_twice_is_idempotent(sample_run, stored):
    cfg, _ = sample_run
    before = stats(cfg.sink)
    rows_before = {k: sorted(r["chunk_index"] for r in v) for k, v in stored(cfg.sink).items()}
    flow.run(cfg)
    assert stats(cfg.sink) == before
    assert {k: sorted(r["chunk_index"] for r in v) for k, v in stored(cfg.sink).items()} == rows_before


@pytest.mark.slow
def test_hn_2006_recording(tmp_path, config_in, stored):
    path = SHARED / "hn-2006"
    if not path.exists():
        pytest.skip(f"real recording not present at {path} (../shared/data is only on project machines)")
    cfg = config_in(tmp_path, kind="replay", recording=path)
    summary = flow.run(cfg)
    recording = Recording(path)
    latest = recording.latest_items()
    rows = stored(cfg.sink)
    errs = errors(cfg)
    failed_urls = {e["url"] for e in errs if e["stage"] == "fetch"}
    for item_id, item in latest.items():
        if not isinstance(item, dict) or item.get("deleted") or item.get("dead"):
            assert item_id not in rows
            continue
        if item.get("type") == "story" and item.get("url"):
            page = recording.page(item["url"])
            if page.ok:
                assert len(rows.get(item_id, [])) >= 1, f"story {item_id} has a page but no chunks"
            else:
                assert item["url"] in failed_urls, f"failed fetch of story {item_id} not recorded"
        if item.get("type") == "comment" and len(item.get("text", "")) > 40:
            assert item_id in rows, f"live comment {item_id} has no chunks"
    assert summary["pages_failed"] == sum(e["stage"] == "fetch" for e in errs)  # one error line per failure
    before = stats(cfg.sink)
    flow.run(cfg)
    assert stats(cfg.sink) == before


def test_live_source_end_to_end_with_ssrf_canary(tmp_path, make_hn, config_in, stored):
    hn, canary = make_hn(), make_hn()
    hn.add_page("a", "<html><body><article><h1>Vector databases</h1><p>" + "HNSW graphs make "
                "approximate nearest neighbour search fast. " * 20 + "</p></article></body></html>")
    canary_url = canary.base.replace("127.0.0.1", "localhost") + "/pages/secret"
    hn.add(story(1, "How HNSW indexes work", url=hn.page_url("a")),
           comment(2, parent=1, text="Graph-based indexes trade memory for recall."),
           story(3, "Internal admin panel", url=canary_url),
           comment(4, parent=2, text="And build time grows with efConstruction, worth tuning."))
    cfg = config_in(tmp_path, kind="live", hn_api=hn.url, backfill=10, max_items=4, poll_interval_s=0.2)
    cfg.fetch.allow_hosts = ("127.0.0.1",)
    summary = flow.run(cfg)
    assert sum(canary.requests.values()) == 0, "the SSRF guard let a request through"
    rows = stored(cfg.sink)
    assert summary["items_seen"] == 4
    assert {1, 2, 3, 4} <= set(rows)  # story 3 keeps a title chunk; its refused page is recorded
    assert rows[4][0]["root_id"] == 1
    refused = [e for e in errors(cfg) if e["id"] == 3]
    assert refused and refused[0]["reason"].startswith("ssrf_refused")


def test_thread_stops_cleanly(tmp_path, config_in):
    cfg = config_in(tmp_path, kind="replay", recording=SAMPLE_RECORDING, speed=1.0)
    thread = flow.PipelineThread(cfg)
    thread.start()
    time.sleep(3)
    started = time.time()
    summary = thread.stop(timeout=60)
    assert not thread.is_alive() and thread.error is None
    assert time.time() - started < 30
    assert summary is not None and summary["items_seen"] < sum(1 for _ in Recording(SAMPLE_RECORDING).iter_items())


def test_batch_flushes_by_time_under_a_trickle():
    logic = flow.BatchLogic(max_size=100, timeout=timedelta(milliseconds=300))
    first_deadline = None
    flushed = []
    started = time.monotonic()
    while time.monotonic() - started < 1.0:  # one chunk every 50 ms: op.collect would never time out
        out, _ = logic.on_item(_chunk(1))
        flushed.extend(out)
        first_deadline = first_deadline or logic.notify_at()
        if logic.notify_at() and flow.now() >= logic.notify_at():
            out, _ = logic.on_notify()
            flushed.extend(out)
        time.sleep(0.05)
    assert len(flushed) >= 2, "batches must flush by time even while items keep arriving"
    assert all(len(batch) <= 8 for batch in flushed)


def test_fetch_ahead_keeps_versions_of_an_item_in_order():
    class SlowFirst:
        pool = __import__("concurrent.futures").futures.ThreadPoolExecutor(4)

        def fetch_and_parse(self, record):
            if record.title == "v1":
                time.sleep(0.3)
            return [Deletion(record.item_id, record.title)]

    logic = flow.FetchAheadLogic(SlowFirst(), None)
    out = []
    for title in ("v1", "v2"):
        out.extend(logic.on_item(Document(7, "story", 7, title=title, emitted_at=time.time()))[0])
    other = Document(8, "story", 8, title="other", emitted_at=time.time())
    out.extend(logic.on_item(other)[0])
    out.extend(logic.on_eof()[0])
    reasons = [d.reason for d in out if d.item_id == 7]
    assert reasons == ["v1", "v2"]
    assert len(out) == 3


def _chunk(item_id: int) -> Chunk:
    return Chunk(item_id=item_id, root_id=item_id, kind="story", chunk_index=0, text="t", embed_text="t")


@pytest.mark.slow
def test_hn_hiring_2024_recording(tmp_path, config_in, stored):
    """A real 'Who is hiring' thread: one text story without URL and 407 comments, some dead or deleted."""
    path = SHARED / "hn-hiring-2024"
    if not path.exists():
        pytest.skip(f"real recording not present at {path} (../shared/data is only on project machines)")
    cfg = config_in(tmp_path, kind="replay", recording=path)
    summary = flow.run(cfg)
    latest = Recording(path).latest_items()
    rows = stored(cfg.sink)
    stories = [i for i, it in latest.items() if isinstance(it, dict) and it.get("type") == "story"]
    assert len(stories) == 1 and stories[0] in rows
    live = [i for i, it in latest.items() if isinstance(it, dict) and it.get("type") == "comment"
            and not it.get("deleted") and not it.get("dead") and len(it.get("text", "")) > 40]
    gone = [i for i, it in latest.items() if isinstance(it, dict) and (it.get("deleted") or it.get("dead"))]
    assert live and gone
    assert all(i in rows for i in live), "every live comment is stored"
    assert not any(i in rows for i in gone), "dead and deleted comments are not"
    assert {r["root_id"] for i in live for r in rows[i]} == {stories[0]}, "every comment hangs under the story"
    assert summary["pages_fetched"] == 0 and summary["items_seen"] == sum(1 for _ in Recording(path).iter_items())


def test_bytewax_runner_with_two_workers(sample_run, tmp_path, stored):
    """`python -m bytewax.run` drives the same flow (here with 2 workers), configured by STREAMRAG_* variables."""
    import os
    import subprocess
    import sys

    env = dict(os.environ, STREAMRAG_SOURCE="replay", STREAMRAG_RECORDING=str(SAMPLE_RECORDING),
               STREAMRAG_MILVUS_URI=str(tmp_path / "bw.db"), STREAMRAG_ERRORS=str(tmp_path / "errors.jsonl"))
    proc = subprocess.run([sys.executable, "-m", "bytewax.run", "streamrag.flow:flow_from_env()", "-w", "2"],
                          env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    cfg, _ = sample_run
    two_workers = SinkConfig(uri=str(tmp_path / "bw.db"), collection="hn_chunks")
    assert stats(two_workers) == stats(cfg.sink), "same result as one worker"
    assert set(stored(two_workers, ["item_id"])) == set(stored(cfg.sink))
    assert (tmp_path / "errors.jsonl").exists()
