"""Hacker News: the live API poller, the ``hn-recording/1`` format and its replay, and the adapter (``items``)
that turns HN items into the pipeline's source-neutral records.

The factories here are registered in :data:`streamrag.sources.SOURCES` as ``auto``, ``live`` and ``replay``.
"""

from __future__ import annotations

import logging

from streamrag.config import SourceConfig
from streamrag.sources.base import MappedSource, SourceSpec
from streamrag.sources.hn.items import ItemEvent, to_record
from streamrag.sources.hn.live import HNClient, HNError, LiveSource, probe
from streamrag.sources.hn.recording import FORMAT, Recording, RecordingError, RecordingWriter, page_key
from streamrag.sources.hn.replay import ReplaySource, replay_records
from streamrag.sources.hn.roots import RootResolver

log = logging.getLogger(__name__)

__all__ = [
    "FORMAT",
    "HNClient",
    "HNError",
    "ItemEvent",
    "LiveSource",
    "Recording",
    "RecordingError",
    "RecordingWriter",
    "ReplaySource",
    "RootResolver",
    "auto",
    "live",
    "page_key",
    "probe",
    "replay",
    "replay_records",
    "to_record",
]


def live(cfg: SourceConfig) -> SourceSpec:
    """Live HN: poll ``maxitem`` and ``updates``, backfill the last ``backfill`` ids on a first start."""
    source = LiveSource(
        api_base=cfg.hn_api,
        poll_interval_s=cfg.poll_interval_s,
        backfill=cfg.backfill,
        max_items=cfg.max_items,
        duration_s=cfg.duration_s,
        concurrency=cfg.item_concurrency,
        timeout_s=cfg.timeout_s,
    )
    desc = f"live HN at {cfg.hn_api} (poll every {cfg.poll_interval_s:g}s, backfill {cfg.backfill})"
    return SourceSpec(MappedSource(source, to_record), "live", desc)


def replay(cfg: SourceConfig) -> SourceSpec:
    """A recording replayed offline, its article pages included (``speed`` 0 = as fast as possible)."""
    source = ReplaySource(cfg.recording, speed=cfg.speed, max_items=cfg.max_items, duration_s=cfg.duration_s)
    pace = "as fast as possible" if cfg.speed <= 0 else f"at {cfg.speed:g}x recorded speed"
    n = source.recording.declared_items
    count = f"{n} items, " if n is not None else ""
    desc = f"replay of {cfg.recording} ({count}{pace})"
    return SourceSpec(MappedSource(source, to_record), "replay", desc, recording=source.recording.path)


def auto(cfg: SourceConfig) -> SourceSpec:
    """Live HN when its API answers within ``probe_timeout_s``, else a replay of ``cfg.recording``."""
    if probe(cfg.hn_api, cfg.probe_timeout_s):
        log.info("source auto: %s answered, using live HN", cfg.hn_api)
        return live(cfg)
    log.warning(
        "source auto: the HN API at %s did not answer within %gs; replaying %s instead "
        "(use --source live to insist on the network, --source replay to skip this check)",
        cfg.hn_api,
        cfg.probe_timeout_s,
        cfg.recording,
    )
    spec = replay(cfg)
    spec.description += f"; live HN unreachable within {cfg.probe_timeout_s:g}s"
    return spec
