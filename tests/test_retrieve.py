"""Retrieval over a tiny hand-written collection in a temporary Milvus Lite file (real embedding model)."""

from __future__ import annotations

import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from streamrag.model import tokenizer
from streamrag.records import Chunk, Hit
from streamrag.retrieve import (Context, Retriever, StoryResult, answer, apply_recency, build_context,
                                format_hits_table, make_filter)
from streamrag.store.milvus import build_filter

NOW = 1_790_000_000  # 2026-09-21
DAY = 86_400

STORIES = {
    100: ("Tokio 2.0 released: a faster async runtime for Rust", "https://tokio.example/blog/2.0", NOW - 10 * DAY),
    200: ("The science of sourdough bread baking at home", "https://bread.example/sourdough", NOW - 3 * DAY),
    300: ("NASA probe arrives at Jupiter's moon Europa", "https://space.example/europa", NOW - 1 * DAY),
    400: ("Postgres 17 brings a smarter query planner", "", NOW - 5 * DAY),  # Ask-HN style: no url
}
# (item_id, root_id, kind, chunk_index, author, time, text)
ROWS = [
    (100, 100, "story", 0, "carl", NOW - 10 * DAY,
     "Tokio 2.0 ships a rewritten scheduler for asynchronous Rust programs, with work stealing across threads."),
    (100, 100, "story", 1, "carl", NOW - 10 * DAY,
     "The async runtime now supports structured concurrency and cancellation of Rust futures."),
    (100, 100, "story", 2, "carl", NOW - 10 * DAY,
     "Benchmarks show the Tokio runtime handling a million concurrent tasks with lower latency."),
    (101, 100, "comment", 0, "alice", NOW - 9 * DAY,
     "I migrated our Rust web server to the new Tokio async runtime and the task latency dropped."),
    (102, 100, "comment", 0, "bob", NOW - 9 * DAY,
     "Does the Tokio scheduler still steal work between threads for async tasks?"),
    (200, 200, "story", 0, "dana", NOW - 3 * DAY,
     "Sourdough bread rises thanks to wild yeast and lactic acid bacteria in the starter."),
    (200, 200, "story", 1, "dana", NOW - 3 * DAY,
     "Bake the loaf in a preheated dutch oven for a crisp crust and an open crumb."),
    (201, 200, "comment", 0, "erin", NOW - 2 * DAY,
     "I proof my dough overnight and check it with a Krumblewick probe before it goes in the oven."),
    (300, 300, "story", 0, "fred", NOW - 1 * DAY,
     "The spacecraft entered orbit around Jupiter and will fly past the icy moon Europa dozens of times."),
    (301, 300, "comment", 0, "alice", NOW - 1 * DAY,
     "A subsurface ocean under Europa's ice could be one of the best places to look for life."),
    (400, 400, "story", 0, "gina", NOW - 5 * DAY,
     "The Postgres 17 query planner picks better join orders and uses incremental sort more often."),
    (401, 400, "comment", 0, "hank", NOW - 4 * DAY,
     "Our slow SQL queries got twice as fast after upgrading the database to Postgres 17."),
]


def make_chunks(rows, stories):
    chunks = []
    for item_id, root_id, kind, index, author, t, text in rows:
        title, url, _ = stories[root_id]
        n = sum(1 for r in rows if r[0] == item_id)
        chunks.append(Chunk(item_id=item_id, root_id=root_id, kind=kind, chunk_index=index, text=text,
                            embed_text=f"{title}\n{text}", title=title, url=url if kind == "story" else "",
                            author=author, time=t, n_chunks=n))
    return chunks


@pytest.fixture(scope="module")
def db(tmp_path_factory, write_chunks):
    uri = str(tmp_path_factory.mktemp("retrieve") / "t.db")
    write_chunks(make_chunks(ROWS, STORIES), uri, "hn")
    return uri


@pytest.fixture
def retriever(db, embedder):
    """A retriever per test: the store it opens is closed after each test (conftest ``close_stores``)."""
    return Retriever(milvus_uri=db, collection="hn", embedder=embedder)


@pytest.mark.parametrize("query,story", [
    ("new async runtime for Rust", 100),
    ("how to bake sourdough bread", 200),
    ("space mission to Europa", 300),
    ("faster SQL database query planning", 400),
])
@pytest.mark.parametrize("mode", ["dense", "hybrid"])
def test_right_story_ranks_first(retriever, query, story, mode):
    results = retriever.search(query, k=4, mode=mode)
    assert isinstance(results[0], StoryResult)
    assert results[0].root_id == story
    assert results[0].title == STORIES[story][0]


def test_grouping_one_entry_per_story_with_comments_attached(retriever):
    results = retriever.search("Tokio async Rust runtime scheduler", k=10)
    roots = [r.root_id for r in results]
    assert roots[0] == 100 and len(roots) == len(set(roots)) == 4
    tokio = results[0]
    kinds = [h.kind for h in tokio.hits]
    assert kinds.count("story") == 3 and kinds.count("comment") == 2
    assert kinds == sorted(kinds, key=lambda k: k != "story")  # story chunks first, then comments
    assert tokio.hits[0].score == max(h.score for h in tokio.hits if h.kind == "story")
    assert tokio.score == max(h.score for h in tokio.hits)
    assert {h.item_id for h in tokio.hits} == {100, 101, 102}
    assert tokio.url == STORIES[100][1] and tokio.time == STORIES[100][2]
    assert [r.score for r in results] == sorted((r.score for r in results), reverse=True)


def test_flat_hits_and_json(retriever):
    hits = retriever.search("Tokio async Rust runtime", k=3, group=False)
    assert len(hits) == 3 and all(isinstance(h, Hit) for h in hits)
    assert all(h.root_id == 100 for h in hits)
    assert 0 < hits[0].score <= 1.0001 and hits[0].score >= hits[1].score >= hits[2].score
    data = [h.to_json() for h in hits]
    for d in data:
        assert {"chunk_id", "item_id", "root_id", "kind", "title", "url", "time", "text", "score"} <= d.keys()
    json.dumps([r.to_json() for r in retriever.search("bread", k=2)])  # serialisable


def test_search_still_works_after_every_client_was_closed(retriever):
    from streamrag.store import close_all

    before = retriever.search("sourdough bread", k=1)[0].root_id
    close_all()  # what a notebook's last cell does while its search box stays on screen
    assert retriever.search("sourdough bread", k=1)[0].root_id == before == 200


def test_kind_filter(retriever):
    hits = retriever.search("Rust async runtime", k=20, kind="comment", group=False)
    assert hits and all(h.kind == "comment" for h in hits)
    assert len(hits) == sum(1 for r in ROWS if r[2] == "comment")
    stories = retriever.search("Rust async runtime", k=20, kind="story", group=False)
    assert stories and all(h.kind == "story" for h in stories)
    with pytest.raises(ValueError):
        retriever.search("x", kind="job")


def test_since_filter(retriever):
    since = NOW - 2 * DAY
    hits = retriever.search("Rust async runtime", k=20, since=since, group=False)
    assert hits and all(h.time >= since for h in hits)
    assert {h.item_id for h in hits} == {201, 300, 301}
    results = retriever.search("sourdough bread", k=5, since=since)
    assert results[0].root_id == 200 and [h.item_id for h in results[0].hits] == [201]


def test_where_filter(retriever):
    hits = retriever.search("space exploration", k=20, where='author == "alice"', group=False)
    assert {h.item_id for h in hits} == {101, 301}
    both = retriever.search("space exploration", k=20, where="root_id in [100, 400]", kind="story")
    assert {r.root_id for r in both} == {100, 400}
    expr = build_filter(make_filter(kind="story", since=10.2, where="score > 3"))
    assert expr == 'kind == "story" and time >= 11 and (score > 3)'


def test_hybrid_finds_rare_keyword(retriever):
    results = retriever.search("Krumblewick", k=3, mode="hybrid")
    assert results[0].root_id == 200
    assert 201 in [h.item_id for h in results[0].hits]  # only the comment contains the word
    hits = retriever.search("Krumblewick", k=1, mode="hybrid", group=False)
    assert hits[0].item_id == 201
    # Mixed with words that pull dense search elsewhere, the exact keyword still wins in hybrid mode only.
    query = "Krumblewick space probe"
    dense = [h.item_id for h in retriever.search(query, k=3, group=False)]
    hybrid = [h.item_id for h in retriever.search(query, k=3, mode="hybrid", group=False)]
    assert hybrid[0] == 201 and dense[0] != 201
    assert retriever.search(query, k=1, mode="hybrid")[0].root_id == 200


def test_hybrid_falls_back_to_dense_without_bm25(db, embedder, write_chunks, caplog):
    rows = [r for r in ROWS if r[1] in (100, 200)]
    write_chunks(make_chunks(rows, STORIES), db, "plain", hybrid=False)
    plain = Retriever(milvus_uri=db, collection="plain", embedder=embedder)
    assert not plain.has_bm25
    with caplog.at_level(logging.WARNING, logger="streamrag.retrieve"):
        hybrid = plain.search("baking sourdough bread", k=2, mode="hybrid")
        plain.search("baking sourdough bread", k=2, mode="hybrid")
    dense = plain.search("baking sourdough bread", k=2, mode="dense")
    assert [r.root_id for r in hybrid] == [r.root_id for r in dense] and hybrid[0].root_id == 200
    assert hybrid[0].score == pytest.approx(dense[0].score)
    warnings = [r for r in caplog.records if "falls back to dense" in r.getMessage()]
    assert len(warnings) == 1


def test_recency_boost_reorders_equally_similar_chunks(db, embedder, write_chunks):
    text = "Ask HN: what programming books are you reading this month?"
    stories = {500: ("Reading thread", "", NOW - 30 * DAY), 600: ("Reading thread", "", NOW - DAY)}
    rows = [(500, 500, "story", 0, "x", NOW - 30 * DAY, text), (600, 600, "story", 0, "y", NOW - DAY, text)]
    write_chunks(make_chunks(rows, stories), db, "recency")
    r = Retriever(milvus_uri=db, collection="recency", embedder=embedder)
    plain = r.search("programming books to read", k=2, group=False)
    assert plain[0].score == pytest.approx(plain[1].score, abs=1e-5)
    boosted = r.search("programming books to read", k=2, group=False, recency_half_life=7 * DAY, now=NOW)
    assert [h.item_id for h in boosted] == [600, 500]
    raw = plain[0].score
    assert boosted[0].score == pytest.approx(raw * 0.5 ** (1 / 7), rel=1e-4)
    assert boosted[1].score == pytest.approx(raw * 0.5 ** (30 / 7), rel=1e-4)
    grouped = r.search("programming books to read", k=2, recency_half_life=7 * DAY, now=NOW)
    assert [g.root_id for g in grouped] == [600, 500]


def test_recency_math():
    def hit(t, score):
        return Hit("1:0", 1, 1, "story", "t", "", t, "x", score)
    out = apply_recency([hit(NOW - 100, 0.8), hit(NOW, 0.41), hit(0, 0.5)], half_life_s=100, now=NOW)
    # one half-life old at 0.8 -> 0.4 loses to a brand-new 0.41; unknown time (0) is not decayed
    assert [h.score for h in out] == pytest.approx([0.5, 0.41, 0.4])


def _hits(n, words=60):
    return [Hit(f"{i}:0", i, i, "story", f"Story {i}", f"https://s{i}.example", NOW,
                " ".join(f"word{i}x{j}" for j in range(words)), 1.0 - i / 100) for i in range(1, n + 1)]


@pytest.mark.parametrize("budget", [20, 60, 150, 300, 700, 5000])
def test_build_context_never_exceeds_budget(budget):
    tok = tokenizer()
    count = lambda s: len(tok.encode(s, add_special_tokens=False))  # noqa: E731
    hits = _hits(6)
    ctx = build_context(hits, max_tokens=budget)
    assert isinstance(ctx, Context) and str(ctx) == ctx.text
    assert count(ctx.text) <= budget and ctx.tokens == count(ctx.text)
    # sources are the top-ranked ones, numbered from 1, in order
    assert [s.n for s in ctx.sources] == list(range(1, len(ctx.sources) + 1))
    assert [s.title for s in ctx.sources] == [h.title for h in hits[:len(ctx.sources)]]
    for s in ctx.sources:
        assert f"[{s.n}] {s.title} ({s.url}, 2026-09-21 " in ctx.text
    assert all(not s.truncated for s in ctx.sources[:-1])
    if budget == 5000:
        assert len(ctx.sources) == 6 and not ctx.sources[-1].truncated
    elif ctx.sources and ctx.sources[-1].truncated:
        assert ctx.text.endswith("…") and ctx.sources[-1].text.endswith("…")
        assert ctx.text[:-1].split()[-1].startswith("word")  # cut on a word boundary


def test_build_context_drops_lowest_ranked_first():
    counter = lambda s: len(s.split())  # noqa: E731 - injectable counter: words
    hits = _hits(4, words=20)  # each block: header (~4 words) + 20 words
    full = build_context(hits, max_tokens=10_000, tokenizer=counter)
    assert len(full.sources) == 4 and "[4] Story 4" in full.text
    ctx = build_context(hits, max_tokens=60, tokenizer=counter)
    assert [s.n for s in ctx.sources][:2] == [1, 2] and "[4] Story 4" not in ctx.text
    assert counter(ctx.text) <= 60
    # a story result becomes one source with its comments underneath
    story = StoryResult(7, "Seven", "", NOW, 0.9, [
        Hit("7:0", 7, 7, "story", "Seven", "", NOW, "story body", 0.9),
        Hit("8:0", 8, 7, "comment", "Seven", "", NOW, "comment body", 0.8, author="zoe")])
    ctx = build_context([story], max_tokens=100, tokenizer=counter)
    assert ctx.text.startswith("[1] Seven (https://news.ycombinator.com/item?id=7, 2026-09-21")
    assert "story body\n\nComment by zoe: comment body" in ctx.text


def test_format_hits_table(retriever):
    table = format_hits_table(retriever.search("Europa ocean", k=2))
    assert table.splitlines()[0].startswith(" 1. [") and "NASA probe arrives" in table
    flat = format_hits_table(retriever.search("Europa ocean", k=2, group=False))
    assert "Europa" in flat
    assert format_hits_table([]) == "no results"


class _FakeLLM(BaseHTTPRequestHandler):
    requests: list = []

    def do_POST(self):  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        _FakeLLM.requests.append((self.path, dict(self.headers), body))
        data = json.dumps({"choices": [{"message": {"role": "assistant", "content": "Tokio 2.0 [1]"}}]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


class _StubRetriever:
    def search(self, query, k=10, **kwargs):
        return _hits(2, words=10)[:k]


def test_answer_not_configured(monkeypatch):
    monkeypatch.delenv("STREAMRAG_LLM_BASE_URL", raising=False)
    monkeypatch.delenv("STREAMRAG_LLM_MODEL", raising=False)
    with pytest.raises(RuntimeError, match="set STREAMRAG_LLM_BASE_URL"):
        answer("anything", retriever=_StubRetriever())


def test_answer_calls_openai_compatible_endpoint(monkeypatch):
    server = HTTPServer(("127.0.0.1", 0), _FakeLLM)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        monkeypatch.setenv("STREAMRAG_LLM_BASE_URL", f"http://127.0.0.1:{server.server_port}/v1/")
        monkeypatch.setenv("STREAMRAG_LLM_MODEL", "tiny")
        monkeypatch.setenv("STREAMRAG_LLM_API_KEY", "sekret")
        _FakeLLM.requests.clear()
        assert answer("what is new?", retriever=_StubRetriever(), k=2, max_tokens=200) == "Tokio 2.0 [1]"
    finally:
        server.shutdown()
        server.server_close()
    path, headers, body = _FakeLLM.requests[0]
    assert path == "/v1/chat/completions" and body["model"] == "tiny"
    assert headers.get("Authorization") == "Bearer sekret"
    prompt = body["messages"][-1]["content"]
    assert "[1] Story 1 (https://s1.example" in prompt and "word1x0" in prompt and "[2] Story 2" in prompt
    assert "what is new?" in prompt
