"""Root resolution, the replay and live sources (against FakeHN), probing and source selection."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import bytewax.operators as op
import pytest
from bytewax.dataflow import Dataflow
from bytewax.recovery import RecoveryConfig, init_db_dir
from bytewax.testing import TestingSink, run_main

from fake_hn import comment, story
from streamrag.config import SourceConfig
from streamrag.records import Document
from streamrag.sources import MappedSource, make_source
from streamrag.sources.hn import HNClient, ItemEvent, LiveSource, RecordingError, ReplaySource, RootResolver, probe

# ---- helpers -------------------------------------------------------------------------------


def run_source(source: Any, recovery_dir: Path | None = None) -> list[ItemEvent]:
    """Run ``source -> TestingSink`` to completion and return what it emitted."""
    out: list[ItemEvent] = []
    flow = Dataflow("test_sources")
    stream = op.input("in", flow, source)
    op.output("out", stream, TestingSink(out))
    if recovery_dir is None:
        run_main(flow)
    else:
        run_main(flow, epoch_interval=timedelta(0), recovery_config=RecoveryConfig(recovery_dir))
    return out


class CountingLookup:
    def __init__(self, items: dict[int, dict]) -> None:
        self.items = items
        self.calls: list[int] = []

    def __call__(self, item_id: int) -> dict | None:
        self.calls.append(item_id)
        return self.items.get(item_id)


# ---- RootResolver --------------------------------------------------------------------------


def test_roots_story_resolves_to_itself() -> None:
    r = RootResolver(CountingLookup({}))
    assert r.resolve(story(1, "Hello")) == (1, "Hello", True)
    assert r.resolve(None) == (None, "", False)


def test_roots_chain_through_cache_and_lookup() -> None:
    items = {1: story(1, "Root"), 2: comment(2, 1), 3: comment(3, 2), 4: comment(4, 3)}
    lookup = CountingLookup(items)
    r = RootResolver(lookup)
    # nothing seen yet: walks 3 -> 2 -> 1 through look-ups
    assert r.annotate(comment(5, parent=4)) == (1, "Root", True)
    assert sorted(lookup.calls) == [1, 2, 3, 4]
    # everything cached now: no more look-ups
    assert r.annotate(comment(6, parent=5)) == (1, "Root", True)
    assert r.annotate(comment(7, parent=2)) == (1, "Root", True)
    assert len(lookup.calls) == 4


def test_roots_observed_items_need_no_lookup() -> None:
    lookup = CountingLookup({})
    r = RootResolver(lookup)
    for item in (story(10, "T"), comment(11, 10), comment(12, 11), comment(13, 12)):
        r.annotate(item)
    assert r.resolve(comment(14, 13)) == (10, "T", True)
    assert lookup.calls == []


def test_roots_unknown_parent_is_unresolved() -> None:
    lookup = CountingLookup({2: comment(2, 99)})  # 99 does not exist
    r = RootResolver(lookup)
    assert r.resolve(comment(3, 2)) == (99, "", False)
    assert lookup.calls == [2, 99]
    assert r.resolve(comment(4, 98)) == (98, "", False)  # parent unknown outright


def test_roots_depth_limit() -> None:
    chain = {1: story(1, "Deep")} | {i: comment(i, i - 1) for i in range(2, 40)}
    lookup = CountingLookup(chain)
    r = RootResolver(lookup, max_depth=5)
    root_id, title, resolved = r.resolve(comment(40, 39))
    assert not resolved and title == "" and len(lookup.calls) == 5
    assert root_id == 34  # topmost reached: the id it would have looked up next
    # a generous limit resolves it, looking each id up at most once in total
    r2 = RootResolver(CountingLookup(chain), max_depth=64)
    assert r2.resolve(comment(40, 39)) == (1, "Deep", True)


def test_roots_each_id_looked_up_at_most_once() -> None:
    items = {1: story(1, "S")} | {i: comment(i, i // 2) for i in range(2, 200)}
    lookup = CountingLookup(items)
    r = RootResolver(lookup)
    for i in range(199, 1, -1):
        assert r.resolve(items[i])[:2] == (1, "S")
    assert len(lookup.calls) == len(set(lookup.calls))


def test_roots_lookup_failure_does_not_raise() -> None:
    def broken(item_id: int) -> dict:
        raise RuntimeError("network down")

    assert RootResolver(broken).resolve(comment(2, 1)) == (1, "", False)


def test_roots_title_edit_updates_cached_title() -> None:
    r = RootResolver(CountingLookup({}))
    r.annotate(story(1, "Old title"))
    r.annotate(comment(2, 1))
    r.annotate(comment(3, 2))
    assert r.resolve(comment(4, 3))[1] == "Old title"
    r.annotate(story(1, "New title"))
    assert r.resolve(comment(4, 3)) == (1, "New title", True)
    # a deleted story keeps the title we knew
    r.annotate({"id": 1, "type": "story", "deleted": True})
    assert r.resolve(comment(5, 2)) == (1, "New title", True)


def test_roots_cache_is_bounded() -> None:
    lookup = CountingLookup({1: story(1, "S")})
    r = RootResolver(lookup, cache_size=10)
    for i in range(2, 100):
        r.annotate(comment(i, 1))
    assert len(r) <= 10


# ---- ReplaySource --------------------------------------------------------------------------


THREAD = [
    (0.0, 1, story(1, "First story", url="http://example.com/a")),
    (0.1, 3, comment(3, parent=2)),  # its parent comes later in the file
    (0.2, 2, comment(2, parent=1)),
    (0.3, 4, story(4, "Second story")),
    (0.4, 5, comment(5, parent=4)),
    (0.5, 6, None),
    (0.6, 7, comment(7, parent=3)),
    (0.7, 8, comment(8, parent=1000)),  # parent nowhere in the recording
    (1.0, 1, story(1, "First story (edited)", url="http://example.com/a")),
]


def test_replay_emits_all_in_order_with_roots(write_recording) -> None:
    rec = write_recording(THREAD)
    out = run_source(ReplaySource(rec, batch_size=2))
    assert [e.item_id for e in out] == [1, 3, 2, 4, 5, 6, 7, 8, 1]
    roots = {e.item_id: (e.root_id, e.root_title) for e in out[:-1]}
    assert roots[1] == (1, "First story")
    assert roots[3] == (1, "First story")  # resolved through the recording's index
    assert roots[2] == (1, "First story")
    assert roots[5] == (4, "Second story")
    assert roots[6] == (None, "") and out[5].item is None and out[5].kind == "missing"
    assert roots[8] == (1000, "")
    assert out[-1].root_title == "First story (edited)"
    assert all(abs(e.emitted_at - time.time()) < 60 for e in out)


def test_replay_max_items(write_recording) -> None:
    rec = write_recording(THREAD)
    assert [e.item_id for e in run_source(ReplaySource(rec, max_items=3))] == [1, 3, 2]


def test_replay_speed_paces_emission(write_recording) -> None:
    entries = [(i / 10, i + 1, story(i + 1, f"s{i}")) for i in range(11)]  # at spans 1.0 s
    rec = write_recording(entries)
    start = time.monotonic()
    out = run_source(ReplaySource(rec, speed=10.0))
    elapsed = time.monotonic() - start
    assert len(out) == 11
    assert elapsed >= 0.08
    gaps = out[-1].emitted_at - out[0].emitted_at
    assert gaps >= 0.08


def test_replay_missing_recording_fails_helpfully(tmp_path: Path) -> None:
    with pytest.raises(RecordingError, match="python -m streamrag record"):
        ReplaySource(tmp_path / "nope")


def test_replay_resumes_from_snapshot(tmp_path: Path, write_recording) -> None:
    entries = [(i * 0.01, i, story(i, f"s{i}")) for i in range(1, 21)]
    rec = write_recording(entries)
    db = tmp_path / "recovery"
    db.mkdir()
    init_db_dir(db, 1)
    first = run_source(ReplaySource(rec, max_items=7, batch_size=3), db)
    second = run_source(ReplaySource(rec, max_items=5, batch_size=3), db)
    rest = run_source(ReplaySource(rec, batch_size=3), db)
    assert [e.item_id for e in first] == list(range(1, 8))
    assert [e.item_id for e in second] == list(range(8, 13))
    assert [e.item_id for e in rest] == list(range(13, 21))
    assert run_source(ReplaySource(rec), db) == []  # nothing left


def test_replay_resume_annotates_like_an_uninterrupted_run(write_recording) -> None:
    """A comment gets its story's title as the uninterrupted replay had it at that line, not the story's later edit:
    a run resumed from a snapshot stores the same chunks as a clean one."""
    rec = write_recording(THREAD)
    whole = run_source(ReplaySource(rec, batch_size=2))
    source = ReplaySource(rec, batch_size=2)
    part = source.build_part("in", source.list_parts()[0], 5)  # resumed at line 5
    tail: list[ItemEvent] = []
    while True:
        try:
            tail += part.next_batch()
        except StopIteration:
            break
    assert [(e.item_id, e.root_id, e.root_title) for e in tail] == [(e.item_id, e.root_id, e.root_title)
                                                                   for e in whole[5:]]
    assert tail[1].root_title == "First story"  # comment 7, under story 1, before the story's edit


def test_replay_resume_after_crash(tmp_path: Path, write_recording) -> None:
    """A run that crashes mid-stream resumes near where it stopped and loses nothing."""
    entries = [(i * 0.01, i, story(i, f"s{i}")) for i in range(1, 41)]
    rec = write_recording(entries)
    db = tmp_path / "recovery"
    db.mkdir()
    init_db_dir(db, 1)

    out: list[ItemEvent] = []

    def crash_at_25(e: ItemEvent) -> ItemEvent:
        if e.item_id == 25:
            raise RuntimeError("simulated crash")
        return e

    flow = Dataflow("test_sources")  # the same flow and step ids as run_source: recovery state is keyed by them
    stream = op.map("crash", op.input("in", flow, ReplaySource(rec, batch_size=2)), crash_at_25)
    op.output("out", stream, TestingSink(out))
    with pytest.raises(Exception):
        run_main(flow, epoch_interval=timedelta(0), recovery_config=RecoveryConfig(db))
    assert out and max(e.item_id for e in out) < 25

    resumed = run_source(ReplaySource(rec, batch_size=2), db)
    ids = [e.item_id for e in resumed]
    assert ids == list(range(ids[0], 41))  # contiguous to the end
    assert ids[0] <= 25  # at-least-once: nothing between the crash and the snapshot is lost
    assert ids[0] > 1  # but it did not start over


# ---- HNClient and LiveSource against FakeHN --------------------------------------------------


def build(source: LiveSource, resume: dict | None = None) -> Any:
    return source.build_part("in", source.list_parts()[0], resume)


def drain(part: Any, until: Any = None, timeout_s: float = 10.0) -> list[ItemEvent]:
    """Drive a live partition like Bytewax would (honouring next_awake) until ``until(events)`` or stop."""
    events: list[ItemEvent] = []
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            events += part.next_batch()
        except StopIteration:
            break
        if until is not None and until(events):
            break
        awake = part.next_awake()
        if awake is not None:
            from datetime import datetime, timezone

            time.sleep(max(0.0, min(0.2, (awake - datetime.now(timezone.utc)).total_seconds())))
        else:
            time.sleep(0.001)
    return events


def test_live_partition_ends_at_once_when_its_budget_is_spent(make_hn) -> None:
    hn = make_hn(10)
    part = build(LiveSource(hn.url, poll_interval_s=3600, backfill=4, max_items=2, timeout_s=2))
    events = drain(part, until=lambda e: len(e) >= 2)
    assert [e.item_id for e in events] == [7, 8]
    assert part.next_awake() is None  # not the next poll, an hour away
    with pytest.raises(StopIteration):
        part.next_batch()


def test_client_basics_and_retries(make_hn) -> None:
    hn = make_hn(5)
    client = HNClient(hn.url, timeout_s=2, concurrency=4, backoff_s=0.01)
    assert client.maxitem() == 5
    assert client.item(1)["title"] == "story 1"
    assert client.item(999) is None  # the API says null
    got = client.items([1, 2, 3, 999])
    assert set(got) == {1, 2, 3, 999} and got[999] is None
    hn.fail("/v0/item/2.json", times=2, status=503)
    hn.fail("/v0/maxitem.json", times=1, status=429)
    assert client.item(2)["parent"] == 1 and hn.count("/v0/item/2.json") == 4  # 1 + 2 failures + 1
    assert client.maxitem() == 5
    hn.fail("/v0/item/3.json", times=1, status=404)
    assert client.items([3]) == {}  # a 4xx is not retried: the item is left out
    assert hn.count("/v0/item/3.json") == 2
    hn.edit(1, title="edited")
    assert client.updates() == {"items": [1], "profiles": []}
    client.close()


def test_client_gives_up_on_persistent_5xx(make_hn) -> None:
    hn = make_hn(2)
    client = HNClient(hn.url, timeout_s=2, retries=2, backoff_s=0.01)
    hn.fail("/v0/item/1.json", times=10, status=500)
    assert client.item(1) is None
    assert hn.count("/v0/item/1.json") == 3
    client.close()


def test_live_backfill_then_new_ids(make_hn) -> None:
    hn = make_hn(20)
    part = build(LiveSource(hn.url, poll_interval_s=0.05, backfill=5, timeout_s=2))
    events = drain(part, until=lambda ev: len(ev) >= 5)
    assert [e.item_id for e in events] == [16, 17, 18, 19, 20]
    assert [e.root_id for e in events] == [13, 17, 17, 17, 17]  # 16 -> 15 -> 14 -> 13 looked up
    assert events[0].root_title == "story 13" and events[4].root_title == "story 17"
    hn.add(comment(21, parent=20), story(22, "new story"), comment(23, parent=22))
    more = drain(part, until=lambda ev: len(ev) >= 3)
    assert [e.item_id for e in more] == [21, 22, 23]
    assert [e.root_id for e in more] == [17, 22, 22]
    snap = part.snapshot()
    assert snap["last_id"] == 23 and snap["first_id"] == 16
    part.close()


def test_live_unknown_parents_resolve_through_api(make_hn) -> None:
    hn = make_hn(20)
    # backfill 2 covers 19, 20: their story 17 was never emitted, so it is looked up
    part = build(LiveSource(hn.url, poll_interval_s=0.05, backfill=2, timeout_s=2))
    events = drain(part, until=lambda ev: len(ev) >= 2)
    assert [(e.item_id, e.root_id, e.root_title) for e in events] == [(19, 17, "story 17"), (20, 17, "story 17")]
    part.close()


def test_live_updates_edits_and_deletions(make_hn) -> None:
    hn = make_hn(10)
    hn.updates = [3]  # listed but unchanged: must not be re-emitted
    part = build(LiveSource(hn.url, poll_interval_s=0.05, backfill=10, timeout_s=2))
    first = drain(part, until=lambda ev: len(ev) >= 10)
    assert len(first) == 10
    assert drain(part, timeout_s=0.3) == []

    hn.edit(9, title="story 9, edited")
    hn.delete(7)
    hn.kill(8)
    hn.edit(10, text="edited comment")
    hn.updates.append(5000)  # beyond our position: ignored (it will come through maxitem)
    changed = drain(part, until=lambda ev: len(ev) >= 4)
    by_id = {e.item_id: e for e in changed}
    assert set(by_id) == {7, 8, 9, 10}
    assert by_id[9].item["title"] == "story 9, edited" and by_id[9].root_title == "story 9, edited"
    assert by_id[7].item["deleted"] is True and by_id[7].is_gone
    assert by_id[8].is_gone and by_id[8].root_id == 5
    assert by_id[10].root_title == "story 9, edited"  # the comment sees the new story title
    assert hn.count("/v0/item/5000.json") == 0
    # the same updates list again, nothing changed: nothing emitted
    assert drain(part, timeout_s=0.3) == []
    part.close()


def test_live_null_items_are_emitted_as_none(make_hn) -> None:
    hn = make_hn(3)
    hn.maxitem = 5  # 4 and 5 are null (not yet visible, or purged)
    part = build(LiveSource(hn.url, poll_interval_s=0.05, backfill=5, timeout_s=2))
    events = drain(part, until=lambda ev: len(ev) >= 5)
    assert [(e.item_id, e.item is None) for e in events] == [
        (1, False), (2, False), (3, False), (4, True), (5, True)]
    assert events[3].kind == "missing" and events[3].root_id is None
    # item 4 shows up after all (fresh items can read null for a moment): it is re-checked
    hn.add(comment(4, parent=1))
    later = drain(part, until=lambda ev: len(ev) >= 1)
    assert [(e.item_id, e.root_id) for e in later] == [(4, 1)]
    assert drain(part, timeout_s=0.3) == []  # 5 stays null: rechecked a bounded number of times
    assert hn.count("/v0/item/5.json") == 3
    part.close()


def test_live_max_items_stops(make_hn) -> None:
    hn = make_hn(30)
    source = LiveSource(hn.url, poll_interval_s=0.05, backfill=20, max_items=7, timeout_s=2)
    out = run_source(source)
    assert [e.item_id for e in out] == list(range(11, 18))


def test_live_duration_stops(make_hn) -> None:
    hn = make_hn(3)
    start = time.monotonic()
    out = run_source(LiveSource(hn.url, poll_interval_s=0.05, backfill=3, duration_s=0.5, timeout_s=2))
    assert [e.item_id for e in out] == [1, 2, 3]
    assert 0.4 <= time.monotonic() - start < 10


def test_live_retries_maxitem_and_items_on_5xx(make_hn) -> None:
    hn = make_hn(6)
    hn.fail("/v0/maxitem.json", times=2, status=502)
    hn.fail("/v0/item/5.json", times=1, status=503)
    out = run_source(LiveSource(hn.url, poll_interval_s=0.05, backfill=3, max_items=3, timeout_s=2))
    assert [e.item_id for e in out] == [4, 5, 6]
    assert hn.count("/v0/maxitem.json") >= 3 and hn.count("/v0/item/5.json") >= 2


def test_live_failed_item_is_retried_next_poll(make_hn) -> None:
    hn = make_hn(4)
    hn.fail("/v0/item/3.json", times=8, status=500)  # exhausts the client's retries once
    part = build(LiveSource(hn.url, poll_interval_s=0.05, backfill=4, timeout_s=2))
    part.client.backoff_s = 0.001
    events = drain(part, until=lambda ev: len(ev) >= 4)
    assert sorted(e.item_id for e in events) == [1, 2, 3, 4]
    assert part.snapshot()["retry"] == []
    part.close()


def test_live_resume_continues_without_backfill(make_hn) -> None:
    hn = make_hn(20)
    part = build(LiveSource(hn.url, poll_interval_s=0.05, backfill=5, timeout_s=2))
    drain(part, until=lambda ev: len(ev) >= 5)
    snap = part.snapshot()
    part.close()
    hn.add(story(21, "later"), comment(22, parent=21))
    resumed = build(LiveSource(hn.url, poll_interval_s=0.05, backfill=5, timeout_s=2), snap)
    events = drain(resumed, until=lambda ev: len(ev) >= 2)
    assert [e.item_id for e in events] == [21, 22]
    resumed.close()


def test_live_resume_through_bytewax_recovery(tmp_path: Path, make_hn) -> None:
    db = tmp_path / "recovery"
    db.mkdir()
    init_db_dir(db, 1)
    hn = make_hn(10)
    first = run_source(LiveSource(hn.url, poll_interval_s=0.05, backfill=4, max_items=4, timeout_s=2), db)
    hn.add(story(11, "eleven"), comment(12, parent=11))
    second = run_source(LiveSource(hn.url, poll_interval_s=0.05, backfill=4, max_items=2, timeout_s=2), db)
    assert [e.item_id for e in first] == [7, 8, 9, 10]
    assert [e.item_id for e in second] == [11, 12]


# ---- probe and make_source -----------------------------------------------------------------


def test_probe_true_and_false(make_hn, closed_port: int) -> None:
    hn = make_hn(3)
    assert probe(hn.url, timeout_s=2) is True
    hn.fail("/v0/maxitem.json", times=1, status=500)
    assert probe(hn.url, timeout_s=2) is False
    start = time.monotonic()
    assert probe(f"http://127.0.0.1:{closed_port}/v0", timeout_s=1) is False
    assert time.monotonic() - start < 1.5


def test_probe_respects_timeout_on_slow_server(make_hn) -> None:
    hn = make_hn(3)
    hn.delays["/v0/maxitem.json"] = 2.0
    start = time.monotonic()
    assert probe(hn.url, timeout_s=0.3) is False
    assert time.monotonic() - start < 1.0


def test_auto_uses_live_when_reachable(make_hn, write_recording) -> None:
    rec = write_recording(THREAD)
    hn = make_hn(3)
    spec = make_source(SourceConfig(kind="auto", hn_api=hn.url, recording=rec, probe_timeout_s=2))
    assert isinstance(spec.source, MappedSource) and isinstance(spec.source.inner, LiveSource)
    assert spec.name == "live" and hn.url in spec.description and spec.recording is None


def test_auto_falls_back_to_replay(caplog: pytest.LogCaptureFixture, write_recording, closed_port: int) -> None:
    rec = write_recording(THREAD)
    api = f"http://127.0.0.1:{closed_port}/v0"
    cfg = SourceConfig(kind="auto", hn_api=api, recording=rec, probe_timeout_s=1, max_items=4)
    with caplog.at_level("WARNING"):
        spec = make_source(cfg)
    assert isinstance(spec.source.inner, ReplaySource) and "replay" in spec.description
    assert spec.name == "replay" and str(rec) in spec.description
    assert "did not answer" in caplog.text
    records = run_source(spec.source)  # the HN items come out as source-neutral Documents
    assert all(isinstance(r, Document) for r in records)
    assert [r.item_id for r in records] == [1, 3, 2, 4]


def test_make_source_explicit_kinds(tmp_path: Path, write_recording) -> None:
    rec = write_recording(THREAD)
    spec = make_source(SourceConfig(kind="replay", recording=rec))
    assert isinstance(spec.source.inner, ReplaySource) and spec.name == "replay"
    spec = make_source(SourceConfig(kind="live", hn_api="http://127.0.0.1:9/v0"))
    assert isinstance(spec.source.inner, LiveSource) and spec.name == "live"  # not probed: it retries at run time
    with pytest.raises(RecordingError):
        make_source(SourceConfig(kind="replay", recording=tmp_path / "missing"))
    with pytest.raises(ValueError, match="unknown source kind 'kafka': use auto, live, replay"):
        make_source(SourceConfig(kind="kafka"))
