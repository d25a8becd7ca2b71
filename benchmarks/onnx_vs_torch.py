"""Throughput and fidelity of the ONNX embedding backend against the torch (sentence-transformers) one.

    .venv/bin/python benchmarks/onnx_vs_torch.py [--n 300] [--repeats 3] [--batch-size 64] [--json out.json]

Texts: chunk-sized texts (~150-200 model tokens) from ``data/sample/`` pages when that recording exists,
otherwise from ``/work/shared/data/readability-gold/*/expected.html`` stripped of tags (read in place, never
copied into the repo). All backends run in one process on the same texts, warm-up first, then ``--repeats``
rounds interleaved (torch, onnx fp32, onnx int8, torch, ...) so that noise from a shared machine hits them alike;
the median chunks/s of each is reported, with its ratio to torch and the cosine of its embeddings to torch's.
Prints JSON, then a markdown table.
"""

from __future__ import annotations

import argparse
import glob
import html
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from streamrag.embed import load_model  # noqa: E402
from streamrag.embed.onnx import OnnxEmbedder  # noqa: E402
from streamrag.model import tokenizer as load_tokenizer  # noqa: E402

GOLD = "/work/shared/data/readability-gold/*/expected.html"


def _strip_html(markup: str) -> str:
    markup = re.sub(r"(?is)<(script|style)\b.*?</\1>", " ", markup)
    text = re.sub(r"(?s)<[^>]+>", " ", markup)
    return re.sub(r"\s+", " ", html.unescape(text)).strip()


def _sample_texts() -> list[str]:
    """Page texts from the data/sample recording, if another stage has written one."""
    sample = ROOT / "data" / "sample"
    texts: list[str] = []
    if not sample.is_dir():
        return texts
    for path in sorted(sample.rglob("*")):
        if not path.is_file() or path.stat().st_size > 5_000_000:
            continue
        raw = path.read_text(errors="ignore")
        if path.suffix in (".html", ".htm"):
            texts.append(_strip_html(raw))
        elif path.suffix in (".jsonl", ".json"):
            for line in raw.splitlines() if path.suffix == ".jsonl" else [raw]:
                try:
                    record = json.loads(line)
                except ValueError:
                    continue
                for key in ("text", "html", "body"):
                    value = record.get(key) if isinstance(record, dict) else None
                    if isinstance(value, str) and len(value) > 200:
                        texts.append(_strip_html(value) if key == "html" else value)
    return texts


def load_texts(n: int, lo: int = 150, hi: int = 200) -> tuple[list[str], str]:
    """``n`` chunk-sized texts of ``lo``..``hi`` model tokens, and where they came from."""
    pages, source = _sample_texts(), "data/sample"
    if sum(len(p) for p in pages) < 200_000:
        pages = [_strip_html(Path(p).read_text(errors="ignore")) for p in sorted(glob.glob(GOLD))]
        source = GOLD
    if not pages:
        raise SystemExit("no texts: neither data/sample/ nor the readability-gold set is there")
    tokenizer = load_tokenizer()
    rng = np.random.default_rng(0)
    chunks: list[str] = []
    for page in pages:
        words = page.split()
        start = 0
        while start < len(words):
            size = int(rng.integers(lo, hi + 1))
            # about 1.3 tokens a word in English prose; trim to the token budget below
            piece = words[start : start + int(size / 1.3)]
            start += len(piece)
            text = " ".join(piece)
            ids = tokenizer(text, add_special_tokens=False)["input_ids"]
            if len(ids) < lo * 0.6:
                continue
            if len(ids) > size:
                text = tokenizer.decode(ids[:size])
            chunks.append(text)
    order = rng.permutation(len(chunks))  # mix pages, and so lengths, like a live stream does
    chunks = [chunks[i] for i in order[:n]]
    return chunks, source


def cpu_model() -> str:
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
        for line in out.splitlines():
            if line.startswith("Model name:"):
                return line.split(":", 1)[1].strip()
    except (OSError, subprocess.CalledProcessError):
        pass
    return platform.processor() or "unknown"


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=300, help="number of chunks")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--threads", type=int, default=None, help="ORT intra-op threads (default: all cores)")
    parser.add_argument("--cache-dir", default=None, help="ONNX model cache (default: data/models/onnx)")
    parser.add_argument("--json", default=None, help="also write the results here")
    args = parser.parse_args(argv)

    import torch

    texts, source = load_texts(args.n)
    tokenizer = load_tokenizer()
    tokens = [len(tokenizer(t)["input_ids"]) for t in texts]
    started = time.perf_counter()
    backends = {
        "torch": load_model("mean", "cpu"),
        "onnx-fp32": OnnxEmbedder.load(quantize=False, cache_dir=args.cache_dir, threads=args.threads),
        "onnx-int8": OnnxEmbedder.load(quantize=True, cache_dir=args.cache_dir, threads=args.threads),
    }
    load_s = time.perf_counter() - started

    def run(name: str) -> tuple[np.ndarray, float]:
        t0 = time.perf_counter()
        vecs = backends[name].encode(
            texts, batch_size=args.batch_size, normalize_embeddings=True, convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vecs, dtype=np.float32), time.perf_counter() - t0

    warm = texts[: args.batch_size]
    for model in backends.values():  # warm-up: first-run allocations, ORT arena, torch kernels
        model.encode(warm, batch_size=args.batch_size, normalize_embeddings=True, show_progress_bar=False)

    rates: dict[str, list[float]] = {name: [] for name in backends}
    vectors: dict[str, np.ndarray] = {}
    for _ in range(args.repeats):
        for name in backends:
            vecs, seconds = run(name)
            rates[name].append(len(texts) / seconds)
            vectors[name] = vecs

    ref = vectors["torch"]
    base = statistics.median(rates["torch"])
    results = {}
    for name in backends:
        cos = (vectors[name] * ref).sum(axis=1)  # both L2-normalized
        results[name] = {
            "chunks_per_s": round(statistics.median(rates[name]), 1),
            "runs_chunks_per_s": [round(r, 1) for r in rates[name]],
            "ratio_vs_torch": round(statistics.median(rates[name]) / base, 2),
            # the ratio within each interleaved round, then its median: steadier when the machine's load drifts
            "paired_ratio_median": round(statistics.median(r / t for r, t in zip(rates[name], rates["torch"])), 2),
            "cosine_mean": round(float(cos.mean()), 5),
            "cosine_min": round(float(cos.min()), 5),
        }
    report = {
        "command": "python " + " ".join(["benchmarks/onnx_vs_torch.py", *(argv if argv is not None else sys.argv[1:])]),
        "machine": {"cpu": cpu_model(), "cores": os.cpu_count(), "python": platform.python_version()},
        "versions": {"torch": torch.__version__, "onnxruntime": __import__("onnxruntime").__version__},
        "torch_threads": torch.get_num_threads(),
        "texts": {"source": source, "n": len(texts), "tokens_mean": round(float(np.mean(tokens)), 1),
                  "tokens_min": min(tokens), "tokens_max": max(tokens)},
        "batch_size": args.batch_size,
        "repeats": args.repeats,
        "load_s": round(load_s, 1),
        "results": results,
    }
    print(json.dumps(report, indent=2))
    print()
    print(markdown_table(report))
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2))
    return report


def markdown_table(report: dict) -> str:
    lines = [
        "| backend | chunks/s (median) | runs | × torch | × torch, per round (median) | cosine mean | cosine min |",
        "|---|---:|---|---:|---:|---:|---:|",
    ]
    for name, r in report["results"].items():
        runs = ", ".join(f"{x:.0f}" for x in r["runs_chunks_per_s"])
        lines.append(
            f"| {name} | {r['chunks_per_s']:.1f} | {runs} | {r['ratio_vs_torch']:.2f} | {r['paired_ratio_median']:.2f} | "
            f"{r['cosine_mean']:.4f} | {r['cosine_min']:.4f} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
