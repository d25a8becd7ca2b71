"""Fetch stage: an item's article page, from the network (:class:`Fetcher`) or from a recording
(:class:`RecordingPages`), refused for the same reasons either way (:mod:`streamrag.fetch.content`)."""

from .http import Fetcher
from .recorded import RecordingPages

__all__ = ["Fetcher", "RecordingPages"]
