"""What every source gives the pipeline: a Bytewax source of records, and what to say about it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Iterable, Union

from bytewax.inputs import FixedPartitionedSource, StatefulSourcePartition

from streamrag.records import Deletion, Document, Skip

Record = Union[Document, Deletion, Skip]  # what a source emits into the flow


@dataclass
class SourceSpec:
    """A source ready to run.

    ``source`` is a Bytewax input emitting :data:`Record`\\ s. ``name`` is the registered source that was chosen
    (``auto`` resolves to ``live`` or ``replay``). ``recording``: when set, article pages come from this
    recording instead of the network (a replay never touches the network).
    """

    source: FixedPartitionedSource
    name: str
    description: str
    recording: Path | None = None


class _MappedPartition(StatefulSourcePartition):
    def __init__(self, inner: StatefulSourcePartition, fn: Callable[[Any], Record]) -> None:
        self.inner, self.fn = inner, fn

    def next_batch(self) -> Iterable[Record]:
        return [self.fn(x) for x in self.inner.next_batch()]

    def next_awake(self) -> datetime | None:
        return self.inner.next_awake()

    def snapshot(self) -> Any:
        return self.inner.snapshot()

    def close(self) -> None:
        self.inner.close()


class MappedSource(FixedPartitionedSource):
    """A Bytewax source whose every item passes through ``fn``: how an adapter turns a wire format into records.

    Partitions, resume state and pacing are the inner source's own.
    """

    def __init__(self, inner: FixedPartitionedSource, fn: Callable[[Any], Record]) -> None:
        self.inner, self.fn = inner, fn

    def list_parts(self) -> list[str]:
        return self.inner.list_parts()

    def build_part(self, step_id: str, for_part: str, resume_state: Any) -> _MappedPartition:
        return _MappedPartition(self.inner.build_part(step_id, for_part, resume_state), self.fn)
