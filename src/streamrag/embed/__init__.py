"""Embed stage: chunks -> normalized vectors with sentence-transformers (torch), or the optional ONNX backend.

Which model, its weights, dimension and window live in :mod:`streamrag.model`; this module runs it.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING, Sequence

import numpy as np

from ..config import EmbedConfig
from ..model import DIM, MAX_TOKENS, model_source

if TYPE_CHECKING:  # pragma: no cover
    from sentence_transformers import SentenceTransformer

logger = logging.getLogger(__name__)

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
        model.max_seq_length = MAX_TOKENS
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
                from .onnx import OnnxEmbedder

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
