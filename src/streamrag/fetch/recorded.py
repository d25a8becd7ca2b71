"""Pages from a recording instead of the network: the fetch stage of a replay (offline, repeatable)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

from ..config import FetchConfig
from ..records import Page
from ..sources.hn.recording import Recording
from .content import body_problem

log = logging.getLogger(__name__)


class RecordingPages:
    """The ``Fetcher`` interface (``fetch``/``fetch_many``) answered from a recording, not the network."""

    def __init__(self, recording: Recording | str | Path, max_bytes: int | None = None) -> None:
        self.recording = recording if isinstance(recording, Recording) else Recording(recording)
        self.max_bytes = max_bytes or FetchConfig().max_bytes

    def fetch(self, url: str) -> Page:
        """The recorded response, refused for the same reasons the network fetcher refuses (PDFs, binary...)."""
        page = self.recording.page(url)
        if page.ok:
            problem = body_problem(page.content_type, page.body or b"", self.max_bytes)
            if problem:
                log.info("recorded page %s refused: %s", url, problem)
                return replace(page, ok=False, reason=problem, body=None)
        return page

    def fetch_many(self, urls: Iterable[str]) -> list[Page]:
        return [self.fetch(u) for u in urls]

    def close(self) -> None:
        """Nothing to release; present so callers can treat it like a ``Fetcher``."""
