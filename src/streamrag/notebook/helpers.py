"""The few lines every notebook would otherwise copy: its work folder, a config pointed at it, a recording's chunks,
and a picture of the dataflow built so far."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Iterable

from bytewax.dataflow import Dataflow
from bytewax.visualize import to_mermaid, to_rendered

from ..config import DATA_DIR, Config
from ..fetch import RecordingPages
from ..flow import Pipeline
from ..records import Chunk, Deletion, Document
from ..sources.hn import replay_records


def work_dir(name: str, fresh: bool = True) -> Path:
    """``data/runs/<name>``: where a notebook writes (ignored by git). ``fresh`` empties it first."""
    work = DATA_DIR / "runs" / name
    if fresh:
        shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True, exist_ok=True)
    return work


def work_config(work: Path, db: str = "milvus.db") -> Config:
    """The default config with everything it writes inside ``work``: the database, the errors and metrics
    files and the page cache."""
    cfg = Config()
    cfg.sink.uri = str(work / db)
    cfg.run.errors_path = work / "errors.jsonl"
    cfg.run.metrics_path = work / "metrics.jsonl"
    cfg.fetch.cache_dir = work / "cache"
    return cfg


def latest_documents(recording: Path) -> dict[int, Document]:
    """The documents a replay of ``recording`` leaves behind: the latest version of each item, without the items a
    later record deleted (what the collection holds once the replay is done)."""
    latest: dict[int, Document] = {}
    for record in replay_records(recording):
        if isinstance(record, Document):
            latest[record.item_id] = record
        elif isinstance(record, Deletion):
            latest.pop(record.item_id, None)
    return latest


def recorded_chunks(recording: Path, config: Config | None = None) -> list[Chunk]:
    """Every chunk the pipeline stores for a recording (its pages included): the chunks of
    :func:`latest_documents`, made outside the dataflow."""
    pipeline = Pipeline(config or Config(), pages=RecordingPages(recording))
    try:
        return [r for doc in latest_documents(recording).values() for r in pipeline.fetch_and_parse(doc)
                if isinstance(r, Chunk)]
    finally:
        pipeline.close()


def flow_steps(flow: Dataflow) -> list[tuple[str, str]]:
    """The top-level steps of a dataflow as ``(name, operator)`` pairs, in the order they were added."""
    return [(step.step_name, step.op_type) for step in to_rendered(flow).substeps]


def show_flow(flow: Dataflow, new: Iterable[str] = ()):
    """The dataflow as a Mermaid diagram (JupyterLab draws it), the steps named in ``new`` highlighted."""
    from IPython.display import Markdown

    lines = [to_mermaid(flow).rstrip()]
    lines += [f"style {flow.flow_id}.{name} fill:#E69F00,stroke:#222222,stroke-width:3px" for name in new]
    return Markdown("```mermaid\n" + "\n".join(lines) + "\n```")
