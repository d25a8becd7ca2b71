"""streamrag: a real-time RAG ingestion pipeline (Hacker News -> Bytewax -> Unstructured -> embeddings -> Milvus)."""

from __future__ import annotations

import os

# Offline and private by default: unstructured and Hugging Face must not phone home.
# setdefault, so a user can still opt in explicitly.
for _var, _value in {
    "SCARF_NO_ANALYTICS": "true",
    "DO_NOT_TRACK": "true",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "TOKENIZERS_PARALLELISM": "false",
}.items():
    os.environ.setdefault(_var, _value)

__version__ = "0.1.0"
