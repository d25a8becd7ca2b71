"""The Milvus store: idempotent upserts, deletions and search in Milvus (a Milvus Lite file or any server URI).

* The collection is created with an explicit schema when missing and never dropped unless ``reset``.
* Primary keys are deterministic (``<item_id>:<chunk_index>``), so replays overwrite instead of duplicating.
* An edited item replaces its chunks (stale extra chunks deleted); a deleted/dead item's chunks are deleted.
* Flushes follow a policy (rows or seconds), not every tiny batch: unflushed rows are searched by brute force.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from pathlib import Path
from typing import Any, Iterable, Sequence

from ..config import SinkConfig
from ..records import Deletion, EmbeddedChunk, Hit
from . import Filter, StoreError, WriteResult

logger = logging.getLogger(__name__)

RRF_K = 60  # reciprocal-rank fusion constant of hybrid search
TEXT_MAX = 8192  # characters stored per chunk (a 256-token chunk is ~1-2k characters)
OUTPUT_FIELDS = ["chunk_id", "item_id", "root_id", "kind", "author", "time", "title", "url", "score",
                 "chunk_index", "text", "content_hash"]


def is_server_uri(uri: str) -> bool:
    return uri.startswith(("http://", "https://", "tcp://", "grpc://", "unix:"))


_clients: dict[str, Any] = {}
_clients_lock = threading.Lock()


class _LiteNoise(logging.Filter):
    """Milvus Lite does not implement AllocTimestamp; pymilvus falls back by itself. Hide that noise."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return "Method not implemented" not in message and "failed to get mvccTs" not in message


for _name in ("grpc._server", "pymilvus.client.iterator.query_iterator"):
    logging.getLogger(_name).addFilter(_LiteNoise())


def connect(uri: str, timeout_s: float = 10.0):
    """A MilvusClient for a Lite file path or a server URI, shared per process (Milvus Lite locks its file)."""
    from pymilvus import MilvusClient

    key = uri if is_server_uri(uri) else str(Path(uri).resolve())
    with _clients_lock:
        client = _clients.get(key)
        if client is not None:
            return client
        if not is_server_uri(uri):
            Path(uri).parent.mkdir(parents=True, exist_ok=True)
        try:
            client = MilvusClient(uri=uri, timeout=timeout_s)
        except Exception as exc:  # pymilvus raises several types here
            hint = ("is the server running? start one with `milvus-lite server --data-dir DIR --port 19530`"
                    if is_server_uri(uri) else
                    "is another process using this Milvus Lite file? Use a server URI for several processes")
            raise StoreError(f"cannot open Milvus at {uri}: {exc.__class__.__name__}: {exc}. {hint}") from exc
        _clients[key] = client
        return client


def close_all() -> None:
    """Close every shared client and release Milvus Lite's file locks (tests and notebooks call this between runs).

    Milvus Lite runs its engine inside the process that opened the file; closing the client alone keeps the
    file locked, so another process (a CLI run, a server) could not open it.
    """
    with _clients_lock:
        for key, client in _clients.items():
            try:
                client.close()
            except Exception:  # pragma: no cover - best effort
                pass
            if not is_server_uri(key):
                try:
                    from milvus_lite.server_manager import server_manager_instance

                    server_manager_instance.release_server(key)
                except Exception:  # pragma: no cover - best effort, depends on milvus-lite internals
                    logger.debug("could not release Milvus Lite server for %s", key, exc_info=True)
        _clients.clear()


def server_version(client) -> tuple[int, int] | None:
    """The server's (major, minor) version; None when it does not say one we can read (Milvus Lite has its own)."""
    try:
        digits = client.get_server_version().lstrip("v").split(".")
        return int(digits[0]), int(digits[1])
    except Exception:  # noqa: BLE001 - an unreadable version is treated as "recent" by the callers
        return None


def supports_bm25(client) -> bool:
    """Milvus Lite 3.x and Milvus >= 2.5 have BM25 functions; older servers (e.g. 2.3) do not."""
    try:
        client.get_server_version()
    except Exception:
        return False
    version = server_version(client)
    return version is None or version >= (2, 5)


def scalar_index_type(client) -> str:
    """INVERTED (Milvus >= 2.4 and Lite) for the ``item_id`` filter index, else STL_SORT (2.3 has no INVERTED)."""
    version = server_version(client)
    return "INVERTED" if version is None or version >= (2, 4) else "STL_SORT"


def ensure_collection(client, config: SinkConfig) -> bool:
    """Create the collection (schema, HNSW index, optional BM25) if missing. Returns whether BM25 is on."""
    from pymilvus import DataType, Function, FunctionType

    name = config.collection
    if config.reset and client.has_collection(name):
        logger.warning("--reset: dropping collection %s", name)
        client.drop_collection(name)
    if client.has_collection(name):
        return "sparse" in open_collection(client, config.uri, name)

    bm25 = config.hybrid and supports_bm25(client)
    schema = client.create_schema(auto_id=False, enable_dynamic_field=False,
                                  description="Hacker News chunks for retrieval (streamrag)")
    schema.add_field("chunk_id", DataType.VARCHAR, is_primary=True, max_length=64)
    schema.add_field("item_id", DataType.INT64)
    schema.add_field("root_id", DataType.INT64)
    schema.add_field("kind", DataType.VARCHAR, max_length=16)
    schema.add_field("author", DataType.VARCHAR, max_length=64)
    schema.add_field("time", DataType.INT64)
    schema.add_field("title", DataType.VARCHAR, max_length=512)
    schema.add_field("url", DataType.VARCHAR, max_length=2048)
    schema.add_field("score", DataType.INT64)
    schema.add_field("chunk_index", DataType.INT64)
    text_args: dict[str, Any] = {"max_length": TEXT_MAX}
    if bm25:
        text_args.update(enable_analyzer=True, analyzer_params={"type": "standard"})
    schema.add_field("text", DataType.VARCHAR, **text_args)
    schema.add_field("content_hash", DataType.VARCHAR, max_length=64)
    schema.add_field("vector", DataType.FLOAT_VECTOR, dim=config.dim)
    if bm25:
        schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
        schema.add_function(Function(name="text_bm25", function_type=FunctionType.BM25,
                                     input_field_names=["text"], output_field_names=["sparse"]))

    index = client.prepare_index_params()
    # pymilvus 3.0.2 silently ignores HNSW build parameters unless they are nested under "params".
    index.add_index(field_name="vector", index_type="HNSW", metric_type="COSINE",
                    params={"params": {"M": config.hnsw_m, "efConstruction": config.hnsw_ef_construction}})
    if bm25:
        index.add_index(field_name="sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25")
    index.add_index(field_name="item_id", index_type=scalar_index_type(client))
    client.create_collection(name, schema=schema, index_params=index)
    client.load_collection(name)
    logger.info("created collection %s (HNSW M=%d efConstruction=%d, BM25 %s)", name, config.hnsw_m,
                config.hnsw_ef_construction, "on" if bm25 else "off")
    return bm25


def chunk_row(embedded: EmbeddedChunk) -> dict[str, Any]:
    c = embedded.chunk
    return {
        "chunk_id": c.chunk_id, "item_id": int(c.item_id), "root_id": int(c.root_id), "kind": c.kind[:16],
        "author": (c.author or "")[:64], "time": int(c.time or 0), "title": (c.title or "")[:500],
        "url": (c.url or "")[:2000], "score": int(c.score or 0), "chunk_index": int(c.chunk_index),
        "text": _clip(c.text, TEXT_MAX), "content_hash": c.content_hash, "vector": list(map(float, embedded.vector)),
    }


def _clip(text: str, limit: int) -> str:
    """Milvus VARCHAR limits are in bytes; clip on a character boundary."""
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    return data[:limit].decode("utf-8", errors="ignore")


class MilvusStore:
    """A :class:`streamrag.store.Store` on one Milvus collection. Writes are idempotent.

    ``create=False`` opens an existing collection only (for searching) and says how to make one when it is missing.
    """

    def __init__(self, config: SinkConfig | None = None, create: bool = True) -> None:
        self.config = config or SinkConfig()
        self._client = None
        if create:
            self.bm25 = ensure_collection(self.client, self.config)
        else:
            self.bm25 = "sparse" in open_collection(self.client, self.config.uri, self.config.collection)
        self._unflushed = 0
        self._last_flush = time.monotonic()
        self._flush_lock = threading.Lock()

    @property
    def client(self):
        """The process's shared client for this URI; after ``close_all()`` a new one, with the collection reloaded
        (a notebook that closed its clients keeps a working search box)."""
        client = connect(self.config.uri)
        if client is not self._client:
            if self._client is not None:
                client.load_collection(self.config.collection)
            self._client = client
        return client

    def write(self, chunks: Sequence[EmbeddedChunk], deletions: Iterable[Deletion] = ()) -> WriteResult:
        """Upsert chunks, delete stale chunks of re-ingested items, delete items that are gone."""
        name = self.config.collection
        deletions = list(deletions)
        if chunks:
            self.client.upsert(name, [chunk_row(e) for e in chunks])
            # An edit may have made an item shorter: drop chunks beyond its new count.
            latest: dict[int, int] = {}
            for e in chunks:
                latest[e.chunk.item_id] = e.chunk.n_chunks
            for n_chunks, ids in _group_by_count(latest).items():
                self.client.delete(name, filter=f"item_id in {sorted(ids)} and chunk_index >= {n_chunks}")
        if deletions:
            self.delete(d.item_id for d in deletions)
        acked = time.time()
        self._unflushed += len(chunks) + len(deletions)
        self.maybe_flush()
        return WriteResult(len(chunks), len(deletions), acked)

    def delete(self, item_ids: Iterable[int]) -> None:
        """Remove every chunk of these items."""
        ids = sorted(set(item_ids))
        if ids:
            self.client.delete(self.config.collection, filter=f"item_id in {ids}")

    def search(self, vector: Sequence[float], k: int, filter: Filter = Filter(), text: str | None = None,
               ef: int | None = None) -> list[Hit]:
        """The ``k`` nearest chunks to ``vector`` (cosine, HNSW with ``ef``, default ``search_ef``), best first.

        With ``text`` (and BM25 on the collection) it is a hybrid search: dense and BM25 full-text lists fused
        by reciprocal rank (``RRFRanker(60)``); ``Hit.score`` is then the fusion score.
        """
        from pymilvus import AnnSearchRequest, RRFRanker

        expr = build_filter(filter)
        dense = {"metric_type": "COSINE", "params": {"ef": max(ef or self.config.search_ef, k)}}
        name = self.config.collection
        if text is not None and self.bm25:
            requests = [
                AnnSearchRequest(data=[list(vector)], anns_field="vector", param=dense, limit=k, expr=expr),
                AnnSearchRequest(data=[text], anns_field="sparse", param={"metric_type": "BM25"}, limit=k,
                                 expr=expr),
            ]
            raw = self.client.hybrid_search(name, requests, ranker=RRFRanker(RRF_K), limit=k,
                                            output_fields=OUTPUT_FIELDS)
        else:
            raw = self.client.search(name, data=[list(vector)], anns_field="vector", limit=k, filter=expr,
                                     output_fields=OUTPUT_FIELDS, search_params=dense)
        return [_to_hit(h) for h in (raw[0] if raw else [])]

    def rows(self, fields: Sequence[str], filter: Filter = Filter()) -> list[dict[str, Any]]:
        """Every stored row's ``fields`` (``"vector"`` included if asked), e.g. for a map of what was ingested."""
        return query_all(self.client, self.config.collection, list(fields), filter=build_filter(filter))

    def stats(self) -> dict[str, int]:
        """``{"chunks", "items", "stories", "comments"}``: items = distinct item ids with at least one chunk."""
        rows = self.rows(["item_id", "kind"])
        items = {r["item_id"] for r in rows}
        stories = {r["item_id"] for r in rows if r["kind"] == "story"}
        comments = {r["item_id"] for r in rows if r["kind"] == "comment"}
        return {"chunks": len(rows), "items": len(items), "stories": len(stories), "comments": len(comments)}

    def maybe_flush(self, force: bool = False) -> bool:
        """Flush when enough rows or time accumulated, so search uses the index instead of brute force."""
        with self._flush_lock:
            due = self._unflushed >= self.config.flush_rows or (
                self._unflushed and time.monotonic() - self._last_flush >= self.config.flush_interval_s)
            if not (force and self._unflushed) and not due:
                return False
            self.client.flush(self.config.collection)
            logger.debug("flushed %d rows", self._unflushed)
            self._unflushed = 0
            self._last_flush = time.monotonic()
            return True

    def close(self) -> None:
        self.maybe_flush(force=True)


def _group_by_count(latest: dict[int, int]) -> dict[int, list[int]]:
    groups: dict[int, list[int]] = {}
    for item_id, n in latest.items():
        groups.setdefault(n, []).append(item_id)
    return groups


def open_collection(client, uri: str, collection: str) -> set[str]:
    """Load an existing collection and return its field names; a missing one is an error that says what to do."""
    if not client.has_collection(collection):
        raise StoreError(f"no collection {collection!r} at {uri}: ingest first with `python -m streamrag run`")
    client.load_collection(collection)
    return {f["name"] for f in client.describe_collection(collection)["fields"]}


def build_filter(filter: Filter) -> str:
    """The Milvus boolean expression for a :class:`~streamrag.store.Filter` ('' when there is none)."""
    parts: list[str] = []
    if filter.kind is not None:
        parts.append(f'kind == "{filter.kind}"')
    if filter.since is not None:
        parts.append(f"time >= {int(math.ceil(float(filter.since)))}")
    if filter.where and filter.where.strip():
        parts.append(f"({filter.where.strip()})")
    return " and ".join(parts)


def _to_hit(raw: Any) -> Hit:
    e = raw["entity"]
    return Hit(chunk_id=str(e.get("chunk_id", raw.get("chunk_id", ""))), item_id=int(e.get("item_id", 0)),
               root_id=int(e.get("root_id", 0)), kind=str(e.get("kind", "")), title=str(e.get("title", "")),
               url=str(e.get("url", "")), time=int(e.get("time", 0)), text=str(e.get("text", "")),
               score=float(raw["distance"]), author=str(e.get("author", "")),
               chunk_index=int(e.get("chunk_index", 0)), hn_score=int(e.get("score", 0)))


def query_all(client, collection: str, fields: list[str], filter: str = "", batch: int = 1000) -> list[dict]:
    """Every row's ``fields`` (paged with a query iterator)."""
    rows: list[dict] = []
    client.load_collection(collection)  # a released collection cannot be queried
    iterator = client.query_iterator(collection, batch_size=batch, filter=filter, output_fields=fields)
    try:
        while True:
            page = iterator.next()
            if not page:
                break
            rows.extend(page)
    finally:
        iterator.close()
    return rows
