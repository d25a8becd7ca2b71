"""The live dashboard redraws from changing metrics and stops its pipeline; the search box escapes its HTML."""

from __future__ import annotations

import threading

import pytest

from streamrag.metrics import RunMetrics
from streamrag.notebook.dashboard import LiveDashboard, SearchBox, format_duration
from streamrag.records import Hit
from streamrag.retrieve import StoryResult

PNG = b"\x89PNG\r\n\x1a\n"


def run_metrics(started: float = 1000.0) -> RunMetrics:
    """Real metrics (no files) whose run started at ``started``; tests fill in counts as a run would."""
    metrics = RunMetrics()
    metrics.started = started
    return metrics


class FakeClock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class FakeThread:
    def __init__(self, metrics: RunMetrics) -> None:
        self.metrics = metrics
        self.error = None
        self.stop_calls = 0
        self.alive = True
        self.release = threading.Event()
        self.handle = type("H", (), {"source_description": "replay data/sample <x>"})()

    def is_alive(self) -> bool:
        return self.alive

    def stop(self) -> dict:
        self.stop_calls += 1
        self.release.wait(5)
        self.alive = False
        return {"chunks_written": 12}


def test_refresh_draws_png_and_header_from_changing_metrics():
    metrics, clock = run_metrics(), FakeClock(1001.0)
    dash = LiveDashboard(metrics, clock=clock, source_name="replay")
    first = dash.refresh()
    assert first.startswith(PNG)
    metrics.counts.update(items_seen=20, chunks_written=50)
    metrics.skips.update({"fetch:http_404": 2, "parse:too_short": 1})
    metrics.freshness.extend([0.5, 1.0, 1.5, 4.0])
    metrics.batch_sizes.extend([64, 64, 12])
    metrics.window("items", 1000.0, 8, 2.0)  # closed windows of the flow's windowing step
    metrics.window("chunks", 1000.0, 0, 2.0)
    metrics.window("items", 1002.0, 20, 2.0)
    metrics.window("chunks", 1002.0, 50, 2.0)
    clock.now = 1003.0
    png = dash.refresh()
    assert png.startswith(PNG) and png != first
    assert dash.figure_png() == png
    assert dash.image.value == png
    header = dash.header_text
    for text in ("replay", "items 20", "chunks 50", "errors 3", "elapsed 3.0 s"):
        assert text in header
    rate_ax, fresh_ax, error_ax, batch_ax = dash.axes
    # the last window: 20 items and 50 chunks in 2 s
    labels = [t.get_text() for t in rate_ax.get_legend().get_texts()]
    assert labels == ["items/s (10.0)", "chunks/s (25.0)"]
    items_line = rate_ax.get_lines()[0]
    assert list(items_line.get_xdata()) == [0.0, 2.0] and list(items_line.get_ydata()) == [4.0, 10.0]
    assert dash.samples[-1].p95 == pytest.approx(3.625)
    assert "mean 46.7" in batch_ax.get_title()
    assert [t.get_text() for t in error_ax.get_yticklabels()][-1] == "fetch:http_404"
    # lags are consumed once: a refresh with no new chunks has no freshness point
    clock.now = 1004.0
    dash.refresh()
    assert dash.samples[-1].p50 != dash.samples[-1].p50  # NaN
    metrics.window("items", 1008.0, 6, 2.0)  # nothing arrived in [1004, 1008): those windows are zeros
    dash.refresh()
    assert list(rate_ax.get_lines()[0].get_ydata()) == [4.0, 10.0, 0.0, 0.0, 3.0]


def test_stop_button_stops_the_pipeline_thread_in_the_background():
    metrics = run_metrics()
    thread = FakeThread(metrics)
    dash = LiveDashboard(thread, clock=FakeClock(1002.0))
    assert "replay data/sample &lt;x&gt;" in dash.header.value  # the source, escaped
    assert not dash.stop_button.disabled
    dash.stop_button.click()  # returns at once: stop() blocks in a background thread
    assert thread.stop_calls == 1 and dash.stop_button.disabled and not dash.stopped.is_set()
    dash.stop_button.click()
    thread.release.set()
    assert dash.stopped.wait(5)
    assert thread.stop_calls == 1
    assert dash.summary == {"chunks_written": 12}
    dash.refresh()
    assert "stopped" in dash.header_text and dash.stop_button.disabled


def test_background_refresh_ends_with_the_pipeline():
    metrics = run_metrics()
    thread = FakeThread(metrics)
    dash = LiveDashboard(thread, refresh_s=0.05).start()
    try:
        metrics.counts.update(items_seen=5)
        thread.alive = False
        dash._loop.join(5)
        assert not dash._loop.is_alive()
        assert "items 5" in dash.header_text and "finished" in dash.header_text
        assert dash.stop_button.disabled
    finally:
        dash.close()


def test_format_duration():
    assert format_duration(4.04) == "4.0 s"
    assert format_duration(185) == "3 min 05 s"
    assert format_duration(3725) == "1 h 02 min"


class FakeRetriever:
    def __init__(self) -> None:
        self.calls: list[tuple] = []

    def search(self, query, k=10, kind=None, since=None, mode="dense", group=True):
        self.calls.append((query, k, mode))
        evil = "<script>alert('x')</script> & friends"
        return [
            StoryResult(1, evil, "javascript:alert(1)", 0, 0.91234,
                        [Hit("2:0", 2, 1, "comment", evil, "", 0, "a <b>bold</b> claim", 0.91),
                         Hit("1:0", 1, 1, "story", evil, "", 0, "story text", 0.5)]),
            StoryResult(7, "Rust 2.0", "https://example.com/a?b=1&c=2", 0, 0.5,
                        [Hit("7:0", 7, 7, "story", "Rust 2.0", "https://example.com/a?b=1&c=2", 0, "text", 0.5)]),
        ][:k]


def test_search_box_renders_escaped_rows():
    retriever = FakeRetriever()
    box = SearchBox(retriever, k=5)
    results = box.search("rust borrow checker", mode="hybrid")
    assert len(results) == 2 and box.results == results
    assert retriever.calls == [("rust borrow checker", 5, "hybrid")]  # one call, not one per widget change
    page = box.html
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "&lt;b&gt;bold&lt;/b&gt;" in page
    assert "javascript:" not in page  # unsafe links fall back to the HN discussion
    assert "https://news.ycombinator.com/item?id=1" in page
    assert "href='https://example.com/a?b=1&amp;c=2'" in page
    assert page.count("<tr>") == 3  # header + 2 rows
    assert "0.912" in page and "2 hits" in page and ">comment<" in page
    assert "2 results" in box.status.value
    box.k.value = 1  # changing a control re-runs the current query
    assert retriever.calls[-1] == ("rust borrow checker", 1, "hybrid")
    assert box.html.count("<tr>") == 2


def test_search_box_empty_query_and_errors():
    class Broken:
        def search(self, query, **kwargs):
            raise RuntimeError("milvus <down>")

    box = SearchBox(Broken())
    assert box.search("") == []
    with pytest.raises(RuntimeError):
        box.search("anything")
    assert "milvus &lt;down&gt;" in box.status.value
