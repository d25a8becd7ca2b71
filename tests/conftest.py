"""Set-up the test files share: a fake Hacker News API, recordings written from item lists, a Config that writes
only inside a test's folder, chunks embedded into a store and read back, and every Milvus client closed after
each test.

Fixtures that make things are factories (``make_hn(20)``, ``write_recording(entries)``, ``config_in(folder)``),
so one test can make several; whatever they start is stopped when the test ends.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import matplotlib
import pytest

from fake_hn import FakeHN, comment, story
from streamrag.config import Config, SinkConfig
from streamrag.records import Chunk, EmbeddedChunk
from streamrag.sources.hn import RecordingWriter
from streamrag.store import close_all, open_store

matplotlib.use("Agg")  # every plot in the tests renders headless, whichever test file imports matplotlib first

Entry = tuple[float, int, "dict[str, Any] | None"]  # one recorded item: (at, id, item); None = the API said null


# ---- stores -------------------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def close_stores() -> Iterator[None]:
    """After every test, close the Milvus clients it opened and release Milvus Lite's file locks.

    A client kept open holds its Lite file (another process could not open it) and its server's memory.
    Stores opened again later (by a module-scoped fixture's data) simply reconnect.
    """
    yield
    close_all()


def _stored(sink: SinkConfig, fields: Sequence[str] = ("item_id", "chunk_index", "title", "text", "kind", "root_id"),
            ) -> dict[int, list[dict[str, Any]]]:
    rows = open_store(sink, create=False).rows(list(dict.fromkeys(["item_id", *fields])))
    out: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        out.setdefault(row["item_id"], []).append(row)
    return out


@pytest.fixture(scope="session")
def stored() -> Callable[..., dict[int, list[dict[str, Any]]]]:
    """``stored(sink_config, fields=...)``: item_id -> its stored rows (``fields`` of each), from an existing
    collection (a missing one raises ``StoreError``)."""
    return _stored


@pytest.fixture(scope="session")
def embedder():
    """The embedding model (loaded on first use, once per process)."""
    from streamrag.embed import Embedder

    return Embedder()


@pytest.fixture(scope="session")
def write_chunks(embedder) -> Callable[..., None]:
    """``write_chunks(chunks, uri, collection, hybrid=True)``: embed ``chunks`` and write them to that collection
    (created when missing, with BM25 when ``hybrid``)."""

    def write(chunks: Sequence[Chunk], uri: str, collection: str, hybrid: bool = True) -> None:
        vectors = embedder.encode([c.embed_text for c in chunks])
        store = open_store(SinkConfig(uri=uri, collection=collection, hybrid=hybrid))
        store.write([EmbeddedChunk(c, v.tolist()) for c, v in zip(chunks, vectors)])
        store.close()

    return write


# ---- config -------------------------------------------------------------------------------------------------


def _config_in(folder: Path, **source: Any) -> Config:
    cfg = Config()
    for key, value in source.items():
        if not hasattr(cfg.source, key):
            raise AttributeError(f"SourceConfig has no setting {key!r}")
        setattr(cfg.source, key, value)
    cfg.sink.uri = str(folder / "milvus.db")
    cfg.run.errors_path = folder / "errors.jsonl"
    cfg.run.metrics_path = folder / "metrics.jsonl"
    cfg.fetch.cache_dir = None
    return cfg


@pytest.fixture(scope="session")
def config_in() -> Callable[..., Config]:
    """``config_in(folder, **source)``: the default Config writing only inside ``folder`` (Milvus Lite file
    ``milvus.db``, ``errors.jsonl``, ``metrics.jsonl``; no page cache), its ``source`` section set from the
    keyword arguments (``kind="replay"``, ``recording=...``, ``hn_api=...``). Session-scoped, so module-scoped
    fixtures can use it with a ``tmp_path_factory`` folder."""
    return _config_in


# ---- Hacker News ---------------------------------------------------------------------------------------------


@pytest.fixture
def make_hn() -> Iterator[Callable[[int], FakeHN]]:
    """``make_hn(n=0)``: a started :class:`FakeHN` (stopped after the test) holding items 1..n: a story
    ``"story <id>"`` at ids 1, 5, 9, ... and at every other id a comment on the id before it."""
    servers: list[FakeHN] = []

    def make(n: int = 0) -> FakeHN:
        hn = FakeHN()
        for i in range(1, n + 1):
            hn.add(story(i, f"story {i}") if i % 4 == 1 else comment(i, parent=i - 1))
        servers.append(hn.start())
        return hn

    yield make
    for hn in servers:
        hn.stop()  # idempotent: a test may have stopped it already


@pytest.fixture
def fake_hn(make_hn) -> FakeHN:
    """An empty, started FakeHN: add items and pages to it (see ``fake_hn.py``)."""
    return make_hn()


@pytest.fixture
def write_recording(tmp_path: Path) -> Callable[..., Path]:
    """``write_recording(entries, name="rec", description="test")``: an hn-recording/1 folder ``tmp_path/name``
    holding ``entries`` (``(at, item_id, item)`` each, in order); returns its path."""

    def write(entries: Iterable[Entry], name: str = "rec", description: str = "test") -> Path:
        path = tmp_path / name
        with RecordingWriter(path, description=description) as writer:
            for at, item_id, item in entries:
                writer.add_item(at, item_id, item)
        return path

    return write


@pytest.fixture
def closed_port() -> int:
    """A local TCP port nobody listens on (a connection to it is refused at once)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---- Milvus servers ------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def lite_server(tmp_path_factory) -> Iterator[str]:
    """The URI of a ``milvus-lite server`` on loopback (for several processes sharing one database)."""
    from streamrag.store.lite_server import LiteServer

    with LiteServer(tmp_path_factory.mktemp("lite-server")) as server:
        yield server.uri


@pytest.fixture(scope="session")
def milvus_server(tmp_path_factory) -> Iterator[str]:
    """The URI of a real standalone Milvus 2.3.5 server (PyPI ``milvus``, installed by requirements.txt)."""
    import milvus_server as real

    if real.executable() is None:
        pytest.skip("milvus-server is not installed: `pip install milvus==2.3.5` (requirements.txt has it)")
    server = real.MilvusServer(tmp_path_factory.mktemp("milvus-2.3.5")).start()
    yield server.uri
    close_all()
    server.stop()
