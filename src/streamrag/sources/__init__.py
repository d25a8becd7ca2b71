"""Where items come from: live Hacker News, or a recording replayed offline.

``make_source(cfg)`` implements ``--source auto|live|replay``: ``auto`` uses live HN when its API
answers within ``probe_timeout_s``, else replays ``cfg.recording``.
"""

from __future__ import annotations

import logging
from typing import Union

from streamrag.config import SourceConfig
from streamrag.sources.live import HNClient, HNError, LiveSource, probe
from streamrag.sources.recording import (
    FORMAT,
    Recording,
    RecordingError,
    RecordingPages,
    RecordingWriter,
    page_key,
)
from streamrag.sources.replay import ReplaySource
from streamrag.sources.roots import RootResolver

log = logging.getLogger(__name__)

Source = Union[LiveSource, ReplaySource]

__all__ = [
    "FORMAT",
    "HNClient",
    "HNError",
    "LiveSource",
    "Recording",
    "RecordingError",
    "RecordingPages",
    "RecordingWriter",
    "ReplaySource",
    "RootResolver",
    "make_source",
    "page_key",
    "probe",
]


def _live(cfg: SourceConfig) -> tuple[LiveSource, str]:
    source = LiveSource(
        api_base=cfg.hn_api,
        poll_interval_s=cfg.poll_interval_s,
        backfill=cfg.backfill,
        max_items=cfg.max_items,
        duration_s=cfg.duration_s,
        concurrency=cfg.item_concurrency,
        timeout_s=cfg.timeout_s,
    )
    return source, f"live HN at {cfg.hn_api} (poll every {cfg.poll_interval_s:g}s, backfill {cfg.backfill})"


def _replay(cfg: SourceConfig) -> tuple[ReplaySource, str]:
    source = ReplaySource(cfg.recording, speed=cfg.speed, max_items=cfg.max_items, duration_s=cfg.duration_s)
    pace = "as fast as possible" if cfg.speed <= 0 else f"at {cfg.speed:g}x recorded speed"
    n = source.recording.declared_items
    count = f"{n} items, " if n is not None else ""
    return source, f"replay of {cfg.recording} ({count}{pace})"


def make_source(cfg: SourceConfig) -> tuple[Source, str]:
    """Build the input source ``cfg.kind`` asks for and a one-line description of it.

    Raises ``RecordingError`` when a replay is chosen but the recording is missing or invalid,
    ``ValueError`` for an unknown kind.
    """
    kind = (cfg.kind or "auto").lower()
    if kind == "live":
        source, desc = _live(cfg)
    elif kind == "replay":
        source, desc = _replay(cfg)
    elif kind == "auto":
        if probe(cfg.hn_api, cfg.probe_timeout_s):
            log.info("source auto: %s answered, using live HN", cfg.hn_api)
            source, desc = _live(cfg)
        else:
            log.warning(
                "source auto: the HN API at %s did not answer within %gs; replaying %s instead "
                "(use --source live to insist on the network, --source replay to skip this check)",
                cfg.hn_api,
                cfg.probe_timeout_s,
                cfg.recording,
            )
            source, desc = _replay(cfg)
            desc += f"; live HN unreachable within {cfg.probe_timeout_s:g}s"
    else:
        raise ValueError(f"unknown source kind {cfg.kind!r}: use auto, live or replay")
    log.info("source: %s", desc)
    return source, desc
