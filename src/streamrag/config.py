"""One typed configuration, one section per pipeline stage. Every default works offline."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import model

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DATA_DIR = PROJECT_ROOT / "data"
SAMPLE_RECORDING = DATA_DIR / "sample"
HN_API = "https://hacker-news.firebaseio.com/v0"


@dataclass
class SourceConfig:
    kind: str = "auto"  # a name in streamrag.sources.SOURCES: "auto" | "live" | "replay" (or one you register)
    recording: Path = SAMPLE_RECORDING
    hn_api: str = field(default_factory=lambda: os.environ.get("STREAMRAG_HN_API", HN_API))
    speed: float = 0.0  # replay pacing: recorded `at` / speed seconds; 0 = as fast as possible
    poll_interval_s: float = 5.0  # live: how often to poll maxitem/updates
    backfill: int = 30  # live: on first start, also emit the last N ids
    max_items: int | None = None  # stop after this many items
    duration_s: float | None = None  # stop after this many seconds
    item_concurrency: int = 8  # live: parallel item fetches
    timeout_s: float = 5.0  # live: per-request timeout
    probe_timeout_s: float = 3.0  # auto: how long live HN gets to answer before we fall back
    options: dict[str, Any] = field(default_factory=dict)  # settings of a source you registered yourself


@dataclass
class FetchConfig:
    connect_timeout_s: float = 5.0
    read_timeout_s: float = 10.0
    max_bytes: int = 5 * 1024 * 1024
    max_redirects: int = 5
    retries: int = 2  # on 5xx / 429 / connection errors
    backoff_s: float = 0.5
    per_host_concurrency: int = 2
    max_in_flight: int = 8  # items fetched/parsed ahead of the embedding stage (the I/O overlaps compute)
    user_agent: str = "streamrag/0.1 (+https://github.com/streamrag; real-time RAG tutorial)"
    allow_hosts: tuple[str, ...] = ()  # hosts allowed despite resolving to private/loopback addresses
    cache_dir: Path | None = DATA_DIR / "cache" / "pages"


@dataclass
class ParseConfig:
    max_tokens: int = model.MAX_TOKENS  # the embedding model's window, special tokens and title context included
    chunk_tokens: int = 200  # target chunk size in model tokens (title context comes on top)
    overlap_tokens: int = 0
    title_context: bool = True  # prefix each chunk's embedding text with its story title
    min_chars: int = 20  # a text shorter than this is not worth embedding
    concurrency: int = 1  # parses at a time per process: CPU-bound Python, it competes with embedding


@dataclass
class EmbedConfig:
    backend: str = "torch"  # "torch" | "onnx"
    pooling: str = model.POOLING  # "mean" | "cls" (cls only for comparison: it is worse)
    batch_size: int = 64  # chunks collected (across items) per pipeline batch: one encode call, one upsert
    encode_batch_size: int = 16  # texts per forward pass inside encode: 8-16 is fastest on a 2-core CPU
    batch_timeout_s: float = 0.2  # a partial batch waits at most this long after its first chunk (freshness)
    device: str = "cpu"


@dataclass
class SinkConfig:
    store: str = "milvus"  # a name in streamrag.store.STORES
    uri: str = str(DATA_DIR / "streamrag.db")  # Milvus: a Lite file path or a server URI
    collection: str = "hn_chunks"
    dim: int = model.DIM
    hnsw_m: int = 16
    hnsw_ef_construction: int = 200
    search_ef: int = 64
    flush_rows: int = 2000  # flush after this many unflushed rows...
    flush_interval_s: float = 10.0  # ...or this many seconds, whichever comes first
    reset: bool = False
    hybrid: bool = True  # add a BM25 function on the text field when the server supports it


@dataclass
class RunConfig:
    workers: int = 1
    metrics_path: Path | None = None
    errors_path: Path = DATA_DIR / "errors.jsonl"
    recovery_dir: Path | None = None


@dataclass
class Config:
    source: SourceConfig = field(default_factory=SourceConfig)
    fetch: FetchConfig = field(default_factory=FetchConfig)
    parse: ParseConfig = field(default_factory=ParseConfig)
    embed: EmbedConfig = field(default_factory=EmbedConfig)
    sink: SinkConfig = field(default_factory=SinkConfig)
    run: RunConfig = field(default_factory=RunConfig)
