"""The speed benchmark: one run, one machine, ratios rather than absolute promises.

Measures, on a recording:

* end-to-end chunks/s of a ``--speed 0`` replay (a ``python -m streamrag run`` subprocess, so its peak RSS
  is measured too) next to raw ``model.encode`` chunks/s on exactly the same chunk texts: the CPU ceiling;
* pages/s of the parse stage and upsert rows/s of the sink;
* freshness lag p50/p95 while replaying at about half the measured capacity;
* query latency p50/p95 at >= 20k stored chunks, with recall@10 of the HNSW index against exact search.

Results are written as JSON and a markdown table (``benchmarks/results/latest.{json,md}``).
"""

from __future__ import annotations

import json
import logging
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from .config import SinkConfig
from .records import Chunk, Document, EmbeddedChunk
from .store import close_all, open_store

logger = logging.getLogger(__name__)


def machine() -> str:
    """CPU model and core count, for the results table."""
    model = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{model}, {os.cpu_count()} cores, Python {platform.python_version()}"


def replay_subprocess(recording: Path, db: Path, speed: float, backend: str, workdir: Path) -> dict[str, Any]:
    """Run ``python -m streamrag run`` on a recording; returns its --json summary plus its peak RSS."""
    tag = f"speed{speed:g}"
    cmd = [sys.executable, "-m", "streamrag", "run", "--source", "replay", "--recording", str(recording),
           "--milvus-uri", str(db), "--speed", str(speed), "--backend", backend, "--json", "--no-progress",
           "--errors", str(workdir / f"errors-{tag}.jsonl"), "--metrics", str(workdir / f"metrics-{tag}.jsonl")]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    # The largest child so far: exact for the first replay, an upper bound for later ones.
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if proc.returncode != 0:
        raise RuntimeError(f"replay failed ({proc.returncode}): {proc.stderr[-2000:]}")
    summary = json.loads(proc.stdout.strip().splitlines()[-1])
    summary["peak_rss_mb"] = round(peak_kb / 1024, 1)
    return summary


def pipeline_chunks(recording: Path) -> tuple[list[Chunk], dict[str, float]]:
    """The chunks the pipeline embeds for a recording (same records, pages and parser), and parse-stage timings."""
    from .fetch import RecordingPages
    from .parse import Parser
    from .sources.hn import replay_records

    pages = RecordingPages(recording)
    parser = Parser()
    parser.chunk("warm up: the tokenizer and spaCy load once, outside the timing", title="")
    chunks: list[Chunk] = []
    parse_s, parsed = 0.0, 0
    for record in tqdm(list(replay_records(recording)), desc="parse", leave=False):
        if not isinstance(record, Document):
            continue
        page = pages.fetch(record.url) if record.url and record.kind == "story" else None
        started = time.perf_counter()
        result = parser.chunks_for(record, page, skips=[])
        if page is not None and page.ok:
            parse_s += time.perf_counter() - started
            parsed += 1
        if isinstance(result, list):
            chunks.extend(result)
    return chunks, {"pages_parsed": parsed, "parse_s": parse_s,
                    "parse_pages_per_s": round(parsed / parse_s, 2) if parse_s else 0.0}


def raw_encode(texts: list[str], backend: str = "torch") -> dict[str, float]:
    """``model.encode`` alone on the texts (the pipeline's encode settings): the ceiling on this CPU."""
    from .config import EmbedConfig
    from .embed import Embedder

    embedder = Embedder(EmbedConfig(backend=backend))
    embedder.encode(texts[:64])  # warm-up
    started = time.perf_counter()
    vectors = embedder.encode(texts)
    seconds = time.perf_counter() - started
    return {"chunks": len(texts), "seconds": round(seconds, 3), "chunks_per_s": round(len(texts) / seconds, 2),
            "vectors": vectors}


def upsert_rate(chunks: list[Chunk], vectors: np.ndarray, workdir: Path, batch: int = 64) -> dict[str, float]:
    """Rows/s of idempotent upserts (with stale-chunk deletes) through the store."""
    store = open_store(SinkConfig(uri=str(workdir / "upsert.db"), collection="upsert_bench"))
    rows = [EmbeddedChunk(c, v) for c, v in zip(chunks, vectors)]
    started = time.perf_counter()
    for i in range(0, len(rows), batch):
        store.write(rows[i:i + batch])
    store.maybe_flush(force=True)
    seconds = time.perf_counter() - started
    return {"rows": len(rows), "seconds": round(seconds, 3), "rows_per_s": round(len(rows) / seconds, 1)}


def peak_chunk_rate(recording: Path, chunks: list[Chunk], window_s: float = 10.0) -> float:
    """Chunks/s arriving in the busiest ``window_s`` of the recording at speed 1 (chunk-weighted, since some
    items bring a whole article and others one line): replaying at half capacity means this peak stays at half."""
    per_item: dict[int, int] = {}
    for c in chunks:
        per_item[c.item_id] = max(per_item.get(c.item_id, 0), c.n_chunks)
    arrivals = sorted((json.loads(line)["at"], per_item.get(json.loads(line)["id"], 0))
                      for line in open(recording / "items.jsonl", encoding="utf-8"))
    times = np.asarray([a for a, _ in arrivals])
    weights = np.cumsum([0] + [w for _, w in arrivals])
    ends = np.searchsorted(times, times + window_s, side="left")
    peak = max(int(weights[e] - weights[i]) for i, e in enumerate(ends))
    return max(peak / window_s, 1e-9)


def synthetic_corpus(vectors: np.ndarray, n: int, seed: int = 0, noise: float = 0.6) -> np.ndarray:
    """``n`` unit vectors scattered around real chunk embeddings (a realistic, clustered distribution)."""
    rng = np.random.default_rng(seed)
    centers = vectors[rng.integers(0, len(vectors), n)]
    points = centers + noise * rng.normal(size=centers.shape).astype(np.float32) / np.sqrt(vectors.shape[1])
    return (points / np.linalg.norm(points, axis=1, keepdims=True)).astype(np.float32)


def query_latency(corpus: np.ndarray, queries: np.ndarray, workdir: Path, k: int = 10, ef: int = 64,
                  repeats: int = 3) -> dict[str, float]:
    """Search latency p50/p95 on an HNSW collection of ``len(corpus)`` rows, and recall@k against exact search."""
    store = open_store(SinkConfig(uri=str(workdir / "query.db"), collection="query_bench", hybrid=False))
    for start in tqdm(range(0, len(corpus), 2000), desc="insert", leave=False):
        part = corpus[start:start + 2000]
        store.write([EmbeddedChunk(Chunk(item_id=start + i, root_id=start + i, kind="story", chunk_index=0, text="",
                                         embed_text=""), v.tolist()) for i, v in enumerate(part)])
    store.maybe_flush(force=True)
    store.search(queries[0].tolist(), k, ef=ef)  # warm-up
    latencies, found = [], []
    exact = np.argsort(-(queries @ corpus.T), axis=1)[:, :k]
    for _ in range(repeats):
        for qi, q in enumerate(queries):
            started = time.perf_counter()
            hits = store.search(q.tolist(), k, ef=ef)
            latencies.append((time.perf_counter() - started) * 1000)
            got = {hit.item_id for hit in hits}
            found.append(len(got & set(exact[qi].tolist())) / k)
    lat = np.asarray(latencies)
    return {"rows": len(corpus), "queries": len(latencies), "ef": ef,
            "p50_ms": round(float(np.percentile(lat, 50)), 2), "p95_ms": round(float(np.percentile(lat, 95)), 2),
            "recall_at_10": round(float(np.mean(found)), 4)}


def run_benchmark(recording: Path, out_dir: Path | None = Path("benchmarks/results"), query_rows: int = 20000,
                  backend: str = "torch") -> dict[str, Any]:
    """Everything above, in one run. Returns the results (with a ``markdown`` table)."""
    from .embed import Embedder
    from .evaluate import load_queries

    recording = Path(recording)
    with tempfile.TemporaryDirectory(prefix="streamrag-bench-") as tmp:
        work = Path(tmp)
        logger.info("1/5 end-to-end replay at speed 0")
        e2e = replay_subprocess(recording, work / "e2e.db", 0.0, backend, work)
        logger.info("2/5 the same chunks, parse and raw encode")
        chunks, parse = pipeline_chunks(recording)
        encode = raw_encode([c.embed_text for c in chunks], backend)
        vectors = encode.pop("vectors")
        logger.info("3/5 upserts")
        upsert = upsert_rate(chunks, vectors, work)
        logger.info("4/5 freshness at half capacity")
        peak_rate = peak_chunk_rate(recording, chunks)
        speed = round(0.5 * e2e["chunks_per_s"] / peak_rate, 3)
        half = replay_subprocess(recording, work / "half.db", speed, backend, work)
        logger.info("5/5 query latency at %d rows", query_rows)
        queries_path = recording / "queries.jsonl"
        texts = [q.query for q in load_queries(queries_path)] if queries_path.exists() else \
            [c.text[:200] for c in chunks[:50]]
        qvec = Embedder().encode(texts)
        query = query_latency(synthetic_corpus(vectors, query_rows), qvec, work)
        close_all()
    result: dict[str, Any] = {
        "machine": machine(),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "recording": str(recording),
        "backend": backend,
        "end_to_end": {k: e2e[k] for k in ("items_seen", "chunks_written", "elapsed_s", "chunks_per_s",
                                           "embed_seconds", "embed_batch_mean", "peak_rss_mb")},
        "raw_encode": encode,
        "ratio_e2e_to_raw": round(e2e["chunks_per_s"] / encode["chunks_per_s"], 3),
        "parse": parse,
        "upsert": upsert,
        "freshness_at_half_capacity": {"speed": speed, "peak_arrival_chunks_per_s": round(peak_rate * speed, 2),
                                       "p50_s": half["freshness_p50_s"], "p95_s": half["freshness_p95_s"],
                                       "peak_rss_mb": half["peak_rss_mb"]},
        "query": query,
        "peak_rss_mb": max(e2e["peak_rss_mb"], half["peak_rss_mb"]),
    }
    result["markdown"] = to_markdown(result)
    if out_dir:
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / "latest.json").write_text(json.dumps({k: v for k, v in result.items() if k != "markdown"}, indent=2))
        (out_dir / "latest.md").write_text(result["markdown"] + "\n")
    return result


def to_markdown(r: dict[str, Any]) -> str:
    e2e, raw, q, f = r["end_to_end"], r["raw_encode"], r["query"], r["freshness_at_half_capacity"]
    rows = [
        ("End-to-end replay (`--speed 0`)", f"{e2e['chunks_per_s']} chunks/s", f"{e2e['chunks_written']} chunks in {e2e['elapsed_s']} s", "—"),
        ("Raw `model.encode`, same chunks", f"{raw['chunks_per_s']} chunks/s", f"{raw['chunks']} chunks in {raw['seconds']} s", "ceiling"),
        ("End-to-end / raw encode", f"{r['ratio_e2e_to_raw']:.2f}×", "", "≥ 0.8×"),
        ("Parse stage", f"{r['parse']['parse_pages_per_s']} pages/s", f"{r['parse']['pages_parsed']} pages", "—"),
        ("Upsert", f"{r['upsert']['rows_per_s']} rows/s", f"{r['upsert']['rows']} rows, batches of 64", "—"),
        ("Freshness p50 / p95 at ½ capacity", f"{f['p50_s']} s / {f['p95_s']} s", f"speed {f['speed']} (peak {f['peak_arrival_chunks_per_s']} chunks/s over 10 s)", "p95 ≤ 2 s"),
        ("Query latency p50 / p95", f"{q['p50_ms']} ms / {q['p95_ms']} ms", f"{q['rows']} rows, HNSW ef={q['ef']}", "p50 ≤ 15 ms"),
        ("Recall@10, HNSW vs exact", f"{q['recall_at_10']}", f"{q['queries']} searches", "≥ 0.98"),
        ("Peak RSS (pipeline process)", f"{r['peak_rss_mb']} MB", "", "≤ 2048 MB"),
    ]
    lines = [f"Benchmark on {r['machine']}, {r['date']}, recording `{r['recording']}`, backend {r['backend']}.", "",
             "| Measure | Result | Detail | Target |", "|---|---|---|---|"]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
    return "\n".join(lines)
