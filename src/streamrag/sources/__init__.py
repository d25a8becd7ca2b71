"""Source stage: where documents come from. Each source emits :class:`~streamrag.records.Document` records.

``make_source(cfg)`` builds the source ``cfg.kind`` names in :data:`SOURCES`: ``auto`` (live Hacker News when its
API answers within ``probe_timeout_s``, else a replay of ``cfg.recording``), ``live`` or ``replay``.

A new source is one module with a factory ``(SourceConfig) -> SourceSpec`` plus one line in :data:`SOURCES`
(or one call to :func:`register_source` from your own code). See docs/architecture.md.
"""

from __future__ import annotations

import importlib
import logging
from typing import Callable

from streamrag.config import SourceConfig
from streamrag.sources.base import MappedSource, Record, SourceSpec

log = logging.getLogger(__name__)

SourceFactory = Callable[[SourceConfig], SourceSpec]

# name -> "module:factory", imported only when chosen.
SOURCES: dict[str, str | SourceFactory] = {
    "auto": "streamrag.sources.hn:auto",
    "live": "streamrag.sources.hn:live",
    "replay": "streamrag.sources.hn:replay",
}

__all__ = ["SOURCES", "MappedSource", "Record", "SourceSpec", "make_source", "register_source"]


def register_source(name: str, factory: SourceFactory) -> None:
    """Make ``SourceConfig(kind=name)`` (and ``--source name``) build its input with ``factory``."""
    SOURCES[name] = factory


def _factory(name: str) -> SourceFactory:
    target = SOURCES.get(name)
    if target is None:
        raise ValueError(f"unknown source kind {name!r}: use {', '.join(SOURCES)}")
    if isinstance(target, str):
        module, attr = target.split(":")
        return getattr(importlib.import_module(module), attr)
    return target


def make_source(cfg: SourceConfig) -> SourceSpec:
    """Build the input source ``cfg.kind`` asks for (see :data:`SOURCES`).

    Raises ``ValueError`` for an unknown kind, and whatever the source raises for a bad setting (a replay of a
    missing recording raises ``RecordingError``).
    """
    spec = _factory((cfg.kind or "auto").lower())(cfg)
    log.info("source: %s", spec.description)
    return spec
