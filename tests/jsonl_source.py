"""A second source in one file: documents from a JSON Lines feed (one object per line).

Each line: {"id": int, "title": str, "text": str, "url": str (optional), "time": int (optional)}.
Registered with one line: ``register_source("jsonl", jsonl_source)``; configured with
``SourceConfig(kind="jsonl", options={"path": "feed.jsonl"})``.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from bytewax.inputs import FixedPartitionedSource, StatefulSourcePartition

from streamrag.config import SourceConfig
from streamrag.records import Document, Skip
from streamrag.sources import Record, SourceSpec


class _Lines(StatefulSourcePartition[Record, int]):
    def __init__(self, path: Path, start: int) -> None:
        self.lines = path.read_text(encoding="utf-8").splitlines()
        self.position = start  # the resume state: the next line to read

    def next_batch(self) -> list[Record]:
        if self.position >= len(self.lines):
            raise StopIteration
        line, self.position = self.lines[self.position], self.position + 1
        try:
            obj = json.loads(line)
            return [Document(item_id=int(obj["id"]), kind="story", root_id=int(obj["id"]), title=obj.get("title", ""),
                             text=obj.get("text", ""), url=obj.get("url", ""), time=int(obj.get("time", 0)),
                             emitted_at=time.time())]
        except (ValueError, KeyError, TypeError) as exc:
            return [Skip(None, "", "source", "bad_line", detail=f"line {self.position}: {exc}", at=time.time())]

    def snapshot(self) -> int:
        return self.position


class JsonlFeed(FixedPartitionedSource[Record, int]):
    def __init__(self, path: Path) -> None:
        self.path = path

    def list_parts(self) -> list[str]:
        return ["feed"]

    def build_part(self, step_id: str, for_part: str, resume_state: int | None) -> _Lines:
        return _Lines(self.path, resume_state or 0)


def jsonl_source(cfg: SourceConfig) -> SourceSpec:
    path = Path(cfg.options["path"])
    return SourceSpec(JsonlFeed(path), "jsonl", f"JSON Lines feed {path}")
