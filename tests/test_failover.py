"""LiveWithFallback: live HN that dies mid-run is replaced by a replay into the same collection."""

from __future__ import annotations

import time

import pytest

from fake_hn import FakeHN, comment, story
from streamrag.config import SAMPLE_RECORDING, Config
from streamrag.notebook.failover import LiveWithFallback
from streamrag.sources.hn import Recording

REPLAY_IDS = (900001, 900002, 900003)
# Three comments (no pages needed): cheap to replay.
TINY = [(0.0, 900000, story(900000, "Fallback story about sodium batteries"))] + [
    (0.1 * (i + 1), item_id, comment(item_id, parent=900000, text=f"Replayed comment number {i} about grid storage."))
    for i, item_id in enumerate(REPLAY_IDS)]


@pytest.fixture
def make_config(tmp_path, config_in):
    """``make_config(api)``: a config in ``tmp_path`` polling the HN API at ``api`` quickly."""

    def make(api: str) -> Config:
        # probe_timeout_s: a loaded CI machine may be slow to answer even on 127.0.0.1
        cfg = config_in(tmp_path, hn_api=api, poll_interval_s=0.3, backfill=10, timeout_s=0.5, probe_timeout_s=3.0)
        cfg.embed.batch_timeout_s = 0.1
        return cfg

    return make


def wait_for(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return predicate()


def test_live_that_dies_switches_to_replay_in_the_same_collection(fake_hn: FakeHN, make_config, write_recording,
                                                                   stored):
    hn = fake_hn
    hn.add(story(100, "Live story about solar panels"))
    for i in range(101, 104):
        hn.add(comment(i, parent=100, text=f"Live comment {i} about rooftop solar output in winter."))
    cfg = make_config(hn.url)
    run = LiveWithFallback(cfg, recording=write_recording(TINY, description="tiny fallback"), stall_s=1.0,
                           probe_every_s=0.5, replay_speed=0)
    run.start()
    try:
        assert run.mode == "live"
        assert wait_for(lambda: run.metrics.counts.get("chunks_written", 0) >= 3, 30), run.events
        assert run.mode == "live", run.events  # still live while the API answers
    finally:
        hn.stop()  # the Wi-Fi dies
    assert wait_for(lambda: run.mode != "live", 20), run.events
    run.join(timeout=40)
    assert not run.is_alive() and run.error is None
    assert run.mode == "finished"
    assert run.current is run.replay and run.replay is not run.live
    messages = " | ".join(message for _, message in run.events)
    assert "switching to the recording" in messages and "does not answer" in messages
    ids = set(stored(cfg.sink, ["item_id"]))
    assert {101, 102, 103} <= ids and set(REPLAY_IDS) <= ids  # live rows kept, replay rows added
    summary = run.summary
    assert summary["items_seen"] >= 4 + 4  # one metrics history over both runs
    assert summary["mode"] == "finished"


def test_unreachable_at_start_replays_straight_away(make_config, stored):
    cfg = make_config("http://127.0.0.1:9/v0")  # refuses
    cfg.source.max_items = 5
    run = LiveWithFallback(cfg, recording=SAMPLE_RECORDING, replay_speed=0).start()
    assert run.mode == "replay" and run.live is None
    assert "did not answer" in run.events[0][1]
    run.join(timeout=60)
    assert run.mode == "finished" and run.error is None
    assert run.summary["items_seen"] == 5
    first_ids = [i for _, i, _ in list(Recording(SAMPLE_RECORDING).iter_items())[:5]]
    assert set(stored(cfg.sink, ["item_id"])) <= set(first_ids)
