"""The CLI contract: flags, JSON shapes, one-line errors with exit code 2."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from fake_hn import FakeHN, comment, story
from streamrag.cli import main
from streamrag.config import SAMPLE_RECORDING

HIT_KEYS = {"chunk_id", "item_id", "root_id", "kind", "title", "url", "time", "text", "score"}
RUN_KEYS = {"items_seen", "items_skipped", "pages_fetched", "pages_failed", "chunks_written", "elapsed_s",
            "chunks_per_s", "freshness_p50_s", "freshness_p95_s", "errors"}


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "streamrag", *args], capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("cli")
    uri = str(tmp / "cli.db")
    code = main(["run", "--recording", str(SAMPLE_RECORDING), "--milvus-uri", uri, "--max-items", "60",
                 "--errors", str(tmp / "errors.jsonl"), "--json", "--no-progress"])
    assert code == 0
    return uri


def last_json(capsys) -> dict:
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def test_run_json_summary(db, capsys, tmp_path):
    code = main(["run", "--recording", str(SAMPLE_RECORDING), "--milvus-uri", db, "--max-items", "60",
                 "--errors", str(tmp_path / "e.jsonl"), "--json", "--no-progress"])
    assert code == 0
    summary = last_json(capsys)
    assert RUN_KEYS <= set(summary)
    assert summary["items_seen"] == 60 and summary["chunks_written"] > 0


def test_stats_json(db, capsys):
    assert main(["stats", "--milvus-uri", db, "--json"]) == 0
    stats = last_json(capsys)
    assert set(stats) == {"chunks", "items", "stories", "comments"}
    assert stats["items"] == stats["stories"] + stats["comments"] and stats["chunks"] >= stats["items"]


def test_search_json_hits(db, capsys):
    assert main(["search", "home battery sizing", "-k", "3", "--milvus-uri", db, "--json"]) == 0
    out = last_json(capsys)
    assert out["query"] == "home battery sizing" and out["hits"]
    assert all(HIT_KEYS <= set(hit) for hit in out["hits"])


def test_search_kind_filter(db, capsys):
    assert main(["search", "what do people think", "--kind", "comment", "--milvus-uri", db, "--json"]) == 0
    assert {hit["kind"] for hit in last_json(capsys)["hits"]} == {"comment"}


def test_search_queries_file_jsonl(db, capsys, tmp_path):
    queries = tmp_path / "q.txt"
    queries.write_text("rust borrow checker\n\nspace launch costs\n")
    assert main(["search", "--queries", str(queries), "--milvus-uri", db, "-k", "2"]) == 0
    lines = [json.loads(l) for l in capsys.readouterr().out.strip().splitlines()]
    assert [l["query"] for l in lines] == ["rust borrow checker", "space launch costs"]


def test_parse_json(tmp_path, capsys):
    page = tmp_path / "a.html"
    page.write_text("<html><body><nav>Home | About</nav><article><h1>Hello</h1><p>" + "Streaming text. " * 40
                    + "</p></article><footer>(c) 2026</footer></body></html>")
    assert main(["parse", str(page), "--json"]) == 0
    record = last_json(capsys)
    assert record["file"] == str(page) and record["chunks"] and "Streaming text." in record["text"]
    assert "About" not in record["text"]


def test_eval_json(db, capsys):
    assert main(["eval", "--queries", str(SAMPLE_RECORDING / "queries.jsonl"), "--milvus-uri", db, "--json"]) == 0
    report = last_json(capsys)
    assert 0.0 <= report["mrr@10"] <= 1.0


@pytest.mark.parametrize("args, needle", [
    (["run", "--recording", "/nonexistent/rec"], "no recording at /nonexistent/rec"),
    (["run", "--milvus-uri", "http://127.0.0.1:9", "--source", "replay"], "cannot open Milvus"),
    (["stats", "--milvus-uri", "/nonexistent/dir/x.db"], "no database"),
    (["search", "x", "--milvus-uri", "/nonexistent/x.db"], "no database"),
    (["run", "--workers", "0", "--source", "replay"], "--workers"),
    (["run", "--source", "bogus"], "invalid choice"),
    (["search"], "QUERY"),
])
def test_errors_are_one_line_exit_2(args, needle):
    proc = cli(*args)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert needle in proc.stderr
    assert len([l for l in proc.stderr.strip().splitlines() if "error:" in l]) == 1


def test_record_then_replay(tmp_path, capsys, fake_hn: FakeHN):
    hn = fake_hn
    hn.add_page("a", "<html><body><article><p>" + "Offline demos need recordings. " * 30 + "</p></article></body></html>")
    hn.add(story(1, "Record before you present", url=hn.page_url("a")), comment(2, parent=1, text="Good advice."),
           story(3, "A missing page", url=hn.page_url("missing")))
    out = tmp_path / "talk"
    assert main(["record", "--out", str(out), "--hn-api", hn.url, "--max-items", "3",
                 "--allow-host", "127.0.0.1"]) == 0
    hn.stop()
    stats = last_json(capsys)
    assert stats["items"] == 3 and stats["pages"] == 2
    # The recording replays offline (the fake server is gone now).
    assert main(["run", "--recording", str(out), "--milvus-uri", str(tmp_path / "r.db"), "--json",
                 "--errors", str(tmp_path / "e.jsonl"), "--no-progress"]) == 0
    summary = last_json(capsys)
    assert summary["items_seen"] == 3 and summary["pages_fetched"] == 1 and summary["pages_failed"] == 1
