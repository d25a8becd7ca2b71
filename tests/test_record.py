"""The hn-recording/1 format (reader, writer, page lookups) and the live recorder."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from fake_hn import FakeHN, comment, story
from streamrag.config import FetchConfig
from streamrag.fetch import RecordingPages
from streamrag.recorder import record
from streamrag.records import Page
from streamrag.sources.hn import Recording, RecordingError, RecordingWriter, page_key

# The real recordings live outside the repository (they may not be copied into it).
SHARED = Path(os.environ.get("STREAMRAG_RECORDINGS", Path(__file__).resolve().parents[2] / "shared" / "data" / "recordings"))
HN_2006 = SHARED / "hn-2006"


@pytest.fixture(scope="module")
def hn2006() -> Recording:
    if not (HN_2006 / "manifest.json").is_file():
        pytest.skip(f"real recording hn-2006 not found at {HN_2006} (the shared data folder is absent)")
    return Recording(HN_2006)


def _pages_lines(rec: Recording) -> list[dict]:
    return [json.loads(line) for line in (rec.path / "pages.jsonl").read_text().splitlines() if line.strip()]


# ---- reading the real hn-2006 recording -------------------------------------------------------


def test_hn2006_items(hn2006: Recording) -> None:
    items = list(hn2006.iter_items())
    assert len(items) == 590
    assert hn2006.malformed_lines == 0
    assert [i for _, i, _ in items[:3]] == [1, 2, 3]
    ats = [at for at, _, _ in items]
    assert ats == sorted(ats)
    kinds = [item["type"] for _, _, item in items if item]
    assert kinds.count("story") == 293 and kinds.count("comment") == 297
    latest = hn2006.latest_items()
    assert len(latest) == 590 and latest[1]["title"] == "Y Combinator"
    assert hn2006.declared_items == 590


def test_hn2006_page_lookups(hn2006: Recording) -> None:
    lines = _pages_lines(hn2006)
    ok_url = next(e["url"] for e in lines if e.get("status") == 200)
    missing_url = next(e["url"] for e in lines if e.get("status") == 404)
    timeout_url = next(e["url"] for e in lines if e.get("error") == "timeout")

    page = hn2006.page(ok_url)
    assert page.ok and page.status == 200 and page.body and b"<" in page.body
    assert page.content_type.startswith("text/html")

    page = hn2006.page(missing_url)
    assert not page.ok and page.status == 404 and page.reason == "http_404"

    page = hn2006.page(timeout_url)
    assert not page.ok and page.status is None and page.reason == "timeout"

    recorded = {e["url"] for e in lines}
    assert set(hn2006.page_urls()) == recorded
    story_urls = [it["url"] for _, _, it in hn2006.iter_items() if it and it.get("url")]
    absent = next(u for u in story_urls if u not in recorded)
    page = hn2006.page(absent)
    assert not page.ok and page.reason == "not_recorded"

    fetcher = RecordingPages(hn2006)
    pages = fetcher.fetch_many([ok_url, missing_url, timeout_url, absent])
    assert [p.ok for p in pages] == [True, False, False, False]
    assert fetcher.fetch(ok_url).body == hn2006.page(ok_url).body


def test_hn2006_malformed_lines_survive(hn2006: Recording, tmp_path: Path) -> None:
    copy = tmp_path / "broken"
    copy.mkdir()
    shutil.copy(HN_2006 / "manifest.json", copy / "manifest.json")
    lines = (HN_2006 / "items.jsonl").read_text().splitlines()
    bad = ["{not json", "[1, 2]", '{"at": 1.0, "item": {}}', '{"at": "x", "id": 5, "item": null}',
           '{"at": 1.0, "id": 7, "item": "text"}', ""]
    (copy / "items.jsonl").write_text("\n".join(lines[:10] + bad + lines[10:]) + "\n")
    rec = Recording(copy)
    items = list(rec.iter_items())
    assert len(items) == 590
    assert rec.malformed_lines == 5  # the blank line is not counted as malformed
    assert rec.page("http://ycombinator.com").reason == "not_recorded"  # no pages.jsonl: nothing recorded


# ---- errors --------------------------------------------------------------------------------


def test_missing_recording_says_what_to_do(tmp_path: Path) -> None:
    where = tmp_path / "nothing"
    with pytest.raises(RecordingError) as err:
        Recording(where)
    assert "python -m streamrag record --out" in str(err.value) and str(where) in str(err.value)
    where.mkdir()
    with pytest.raises(RecordingError, match="no manifest.json"):
        Recording(where)


def test_wrong_format_and_bad_manifest(tmp_path: Path) -> None:
    (tmp_path / "manifest.json").write_text(json.dumps({"format": "something/2"}))
    (tmp_path / "items.jsonl").write_text("")
    with pytest.raises(RecordingError, match="not an hn-recording/1 recording"):
        Recording(tmp_path)
    (tmp_path / "manifest.json").write_text("{oops")
    with pytest.raises(RecordingError, match="not readable JSON"):
        Recording(tmp_path)


# ---- writer round trip ---------------------------------------------------------------------


def test_writer_round_trip(tmp_path: Path) -> None:
    out = tmp_path / "rec"
    ok = Page("http://a.example/x", ok=True, status=200, content_type="text/html", body=b"<p>hi</p>",
              final_url="http://a.example/y")
    gone = Page("http://b.example/", ok=False, status=404, content_type="text/html", body=b"nope",
                reason="http_404")
    timeout = Page("http://c.example/", ok=False, reason="timeout")
    pdf = Page("http://d.example/f.pdf", ok=False, status=200, content_type="application/pdf",
               reason="not_html:application/pdf")
    with RecordingWriter(out, description="test") as w:
        # readable even before close: the manifest is written up front
        assert Recording(out).manifest["format"] == "hn-recording/1"
        w.add_item(0.0, 1, story(1, "One", url=ok.url))
        w.add_item(0.5, 2, comment(2, parent=1))
        w.add_item(1.25, 3, None)
        w.add_item(2.0, 1, story(1, "One (edited)", url=ok.url))
        for page in (ok, gone, timeout, pdf):
            w.add_page(page.url, page)
    with pytest.raises(RecordingError, match="already holds a recording"):
        RecordingWriter(out)

    rec = Recording(out)
    assert rec.manifest["items"] == 4 and rec.manifest["pages"] == 4 and rec.description == "test"
    assert [(at, i) for at, i, _ in rec.iter_items()] == [(0.0, 1), (0.5, 2), (1.25, 3), (2.0, 1)]
    assert rec.latest_items()[1]["title"] == "One (edited)" and rec.latest_items()[3] is None

    page = rec.page(ok.url)
    assert page.ok and page.body == b"<p>hi</p>" and page.final_url == "http://a.example/y"
    assert (out / "pages" / f"{page_key(ok.url)}.html").is_file()
    page = rec.page(gone.url)
    assert (page.ok, page.status, page.reason, page.body) == (False, 404, "http_404", b"nope")
    assert rec.page(timeout.url).reason == "timeout"
    page = rec.page(pdf.url)
    assert (page.ok, page.status, page.reason) == (False, 200, "not_html:application/pdf")
    assert rec.page("http://e.example/").reason == "not_recorded"

    # a body file that went missing
    (out / "pages" / f"{page_key(ok.url)}.html").unlink()
    assert Recording(out).page(ok.url).reason == "body_missing"


def test_body_path_cannot_escape_recording(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("secret")
    rec_dir = tmp_path / "rec"
    RecordingWriter(rec_dir).close()
    (rec_dir / "pages.jsonl").write_text(json.dumps(
        {"url": "http://x/", "status": 200, "content_type": "text/html", "body": "../secret.txt"}) + "\n")
    page = Recording(rec_dir).page("http://x/")
    assert not page.ok and page.reason == "body_missing"


# ---- the recorder, against the fake HN API ---------------------------------------------------


def test_recorder_records_fake_hn_session(tmp_path: Path, fake_hn: FakeHN) -> None:
    hn = fake_hn
    ok_url = hn.add_page("ok", "<html><head><title>A</title></head><body><p>Hello article</p></body></html>")
    missing_url = hn.page_url("does-not-exist")
    pdf_url = hn.add_page("doc.pdf", b"%PDF-1.4 binary", content_type="application/pdf")
    hn.add(
        story(1, "Ok story", url=ok_url),
        comment(2, parent=1),
        story(3, "Missing page", url=missing_url),
        story(4, "A PDF", url=pdf_url),
        comment(5, parent=3),
        story(6, "Ask HN: no url", text="question"),
    )
    out = tmp_path / "rec"
    stats = record(
        out,
        api_base=hn.url,
        max_items=6,
        duration_s=20,
        fetch_config=FetchConfig(allow_hosts=("127.0.0.1",), cache_dir=None, retries=0),
        poll_interval_s=0.05,
        backfill=10,
    )
    hn.stop()  # what follows reads the recording only
    assert stats["items"] == 6 and stats["pages"] == 3 and stats["pages_ok"] == 1 and not stats["interrupted"]

    rec = Recording(out)
    assert [i for _, i, _ in rec.iter_items()] == [1, 2, 3, 4, 5, 6]
    assert rec.manifest["items"] == 6 and rec.manifest["pages"] == 3
    page = rec.page(ok_url)
    assert page.ok and b"Hello article" in (page.body or b"")
    page = rec.page(missing_url)
    assert not page.ok and page.status == 404 and page.reason == "http_404"
    page = rec.page(pdf_url)
    assert not page.ok and page.reason.startswith("not_html")
    assert rec.page("http://127.0.0.1:1/never").reason == "not_recorded"
