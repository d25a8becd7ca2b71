"""Retrieval quality of the pipeline's choices, measured on the bundled sample's labelled queries.

    .venv/bin/python benchmarks/retrieval_comparison.py [--out docs/retrieval-quality.md] [--json FILE]
                                                        [--only NAME,...] [--max-items N] [--keep DIR]

Every *ingestion* variant runs the real pipeline (``flow.run(cfg)``: replay of ``data/sample`` -> fetch from the
recording -> Unstructured parse/chunk -> all-MiniLM-L6-v2 -> Milvus Lite) into its own temporary database, with
only one setting changed from the defaults. *Query-side* variants (hybrid search, recency) reuse the baseline
database. Every variant is then scored with :func:`streamrag.evaluate.evaluate` on ``data/sample/queries.jsonl``
(story-level MRR@10, recall@1/5/10, k=10).

Variants:

* ``baseline``: the defaults (mean pooling, ``chunk_tokens=200``, ``max_tokens=256``, title context on, dense).
* ``cls``: CLS pooling instead of mean, for both chunks and queries.
* ``chunk64`` / ``chunk128``: smaller chunks.
* ``long512``: chunks of up to 512 tokens packed with ``max_tokens=1024`` so the parser does not split them, then
  embedded by the model, which silently truncates at its 256-token window (``max_seq_length``): everything after
  the first ~254 tokens of such a chunk is stored and returned as text but never seen by the embedding. This is
  the "embed whole long chunks" approach of the original blog post.
* ``no_title``: chunks embedded without the story-title / heading prefix.
* ``hybrid``: the baseline database searched with dense + BM25 fused by RRF.
* ``recency_1d`` / ``recency_1h`` (and ``hybrid_recency_1d``): the baseline database, scores multiplied by
  ``0.5 ** (age / half_life)``. ``now`` is pinned to the newest item time of the sample, so the result does not
  depend on the date the script runs (ranking only depends on time differences anyway, and the sample's items
  span about an hour).

Besides the metrics, every variant is compared query by query with the baseline (how many queries' ranks got
better / worse), with a paired bootstrap 95% interval of its MRR@10 difference: with 60 queries a difference
whose interval contains 0 is noise.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as _dt
import json
import logging
import os
import platform
import random
import shlex
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from streamrag import flow  # noqa: E402
from streamrag.config import SAMPLE_RECORDING, Config, EmbedConfig, ParseConfig  # noqa: E402
from streamrag.embed import Embedder  # noqa: E402
from streamrag.evaluate import EvalReport, evaluate, load_queries  # noqa: E402
from streamrag.model import MAX_TOKENS, count_tokens  # noqa: E402
from streamrag.retrieve import Retriever  # noqa: E402
from streamrag.store import close_all, open_store  # noqa: E402

QUERIES = SAMPLE_RECORDING / "queries.jsonl"
DAY = 86_400.0
HOUR = 3_600.0
BOOTSTRAP_ROUNDS = 2000


@dataclass(frozen=True)
class Variant:
    name: str
    what: str  # one line for the table
    parse: dict[str, Any] = field(default_factory=dict)  # ParseConfig overrides (ingestion)
    embed: dict[str, Any] = field(default_factory=dict)  # EmbedConfig overrides (ingestion and queries)
    mode: str = "dense"
    recency_half_life: float | None = None
    reuse: str | None = None  # name of the ingestion variant whose database this query-side variant searches

    @property
    def ingest_key(self) -> str:
        return self.reuse or self.name


VARIANTS: list[Variant] = [
    Variant("baseline", "defaults: mean pooling, chunks <= 200 tokens, title context, dense"),
    Variant("cls", "CLS pooling (chunks and queries)", embed={"pooling": "cls"}),
    Variant("chunk64", "chunks <= 64 tokens", parse={"chunk_tokens": 64}),
    Variant("chunk128", "chunks <= 128 tokens", parse={"chunk_tokens": 128}),
    Variant("long512", "chunks <= 512 tokens, truncated by the model at 256",
            parse={"chunk_tokens": 512, "max_tokens": 1024}),
    Variant("no_title", "no title/heading context in the embedded text", parse={"title_context": False}),
    Variant("hybrid", "hybrid search (dense + BM25, RRF)", mode="hybrid", reuse="baseline"),
    Variant("recency_1d", "dense + recency, half-life 1 day", recency_half_life=DAY, reuse="baseline"),
    Variant("recency_1h", "dense + recency, half-life 1 hour", recency_half_life=HOUR, reuse="baseline"),
    Variant("hybrid_recency_1d", "hybrid + recency, half-life 1 day", mode="hybrid", recency_half_life=DAY,
            reuse="baseline"),
]
BY_NAME = {v.name: v for v in VARIANTS}


# ---- ingestion ---------------------------------------------------------------------------------------


def make_config(variant: Variant, workdir: Path, recording: Path = SAMPLE_RECORDING,
                max_items: int | None = None) -> Config:
    """The pipeline config of an ingestion variant: defaults + the variant's overrides, everything in ``workdir``."""
    cfg = Config()
    cfg.source.kind = "replay"
    cfg.source.recording = recording
    cfg.source.speed = 0.0
    cfg.source.max_items = max_items
    cfg.parse = dataclasses.replace(ParseConfig(), **variant.parse)
    cfg.embed = dataclasses.replace(EmbedConfig(), **variant.embed)
    cfg.sink.uri = str(workdir / "milvus.db")
    cfg.sink.reset = True
    cfg.fetch.cache_dir = None
    cfg.run.errors_path = workdir / "errors.jsonl"
    cfg.run.metrics_path = workdir / "metrics.jsonl"
    cfg.run.progress = False
    return cfg


@dataclass
class Ingested:
    cfg: Config
    chunks: int
    seconds: float
    mean_tokens: float  # mean model tokens of a stored chunk text (without the title prefix)
    over_window: int  # chunks whose title + text exceed the model window (the tail is never embedded)
    lost_fraction: float = 0.0  # share of all chunk-text tokens that fall beyond the window (never embedded)


def ingest(variant: Variant, workdir: Path, recording: Path = SAMPLE_RECORDING,
           max_items: int | None = None, distractors: Path | None = None) -> Ingested:
    """Run the real pipeline for an ingestion variant into ``workdir/milvus.db``; with ``distractors`` (another
    recording), a second run of the pipeline adds that recording's items to the same collection."""

    workdir.mkdir(parents=True, exist_ok=True)
    cfg = make_config(variant, workdir, recording, max_items)
    started = time.perf_counter()
    flow.run(cfg)
    if distractors is not None:
        extra = make_config(variant, workdir, distractors)
        extra.sink.reset = False
        extra.run.errors_path = workdir / "errors-distractors.jsonl"
        extra.run.metrics_path = workdir / "metrics-distractors.jsonl"
        flow.run(extra)
    seconds = time.perf_counter() - started
    rows = open_store(cfg.sink, create=False).rows(["text", "title"])
    tokens = [count_tokens(r["text"]) for r in rows]
    with_title = [count_tokens((r["title"] + "\n" if cfg.parse.title_context and r["title"] else "") + r["text"],
                               special=True) for r in rows]
    # tokens of chunk text beyond the model window (approximate: the heading prefix is not stored)
    lost = sum(min(t, max(0, w - MAX_TOKENS)) for t, w in zip(tokens, with_title))
    return Ingested(cfg, len(rows), seconds, sum(tokens) / len(tokens) if tokens else 0.0,
                    sum(1 for n in with_title if n > MAX_TOKENS), lost / sum(tokens) if tokens else 0.0)


# ---- evaluation ----------------------------------------------------------------------------------------


def newest_time(recording: Path = SAMPLE_RECORDING) -> float:
    """The newest item ``time`` of a recording (recency's ``now``, so results do not depend on today's date)."""
    newest = 0
    with open(recording / "items.jsonl", encoding="utf-8") as fh:
        for line in fh:
            item = json.loads(line).get("item")
            if isinstance(item, dict) and isinstance(item.get("time"), int):
                newest = max(newest, item["time"])
    return float(newest)


def score(variant: Variant, ingested: Ingested, queries, now: float) -> EvalReport:
    retriever = Retriever(ingested.cfg.sink.uri, ingested.cfg.sink.collection,
                          embedder=Embedder(ingested.cfg.embed))
    kwargs: dict[str, Any] = {}
    if variant.recency_half_life is not None:
        kwargs = {"recency_half_life": variant.recency_half_life, "now": now}
    if variant.mode == "hybrid" and not retriever.has_bm25:
        raise RuntimeError("the collection has no BM25 field: hybrid would silently fall back to dense")
    return evaluate(retriever, queries, k=10, mode=variant.mode, **kwargs)


def result_row(variant: Variant, ingested: Ingested, report: EvalReport) -> dict[str, Any]:
    return {
        "name": variant.name, "what": variant.what, "mode": variant.mode,
        "recency_half_life_s": variant.recency_half_life, "ingestion": variant.ingest_key,
        "parse": {**dataclasses.asdict(ingested.cfg.parse)}, "pooling": ingested.cfg.embed.pooling,
        "n_queries": report.n, "mrr@10": report.mrr_at_10,
        "recall@1": report.recall[1], "recall@5": report.recall[5], "recall@10": report.recall[10],
        "chunks": ingested.chunks, "mean_chunk_tokens": round(ingested.mean_tokens, 1),
        "chunks_over_window": ingested.over_window, "tokens_not_embedded": round(ingested.lost_fraction, 4),
        "ingest_s": round(ingested.seconds, 1),
        "ranks": report.ranks,
    }


def run_variant(variant: Variant | str, workdir: Path, queries_path: Path = QUERIES,
                recording: Path = SAMPLE_RECORDING, max_items: int | None = None,
                ingested: Ingested | None = None, distractors: Path | None = None) -> dict[str, Any]:
    """Ingest (unless ``ingested`` is given) and evaluate one variant; returns its metrics row."""
    variant = BY_NAME[variant] if isinstance(variant, str) else variant
    if ingested is None:
        base = BY_NAME[variant.ingest_key]
        ingested = ingest(base, Path(workdir) / base.name, recording, max_items, distractors)
    report = score(variant, ingested, load_queries(queries_path), newest_time(recording))
    return result_row(variant, ingested, report)


# ---- comparison with the baseline ---------------------------------------------------------------------------


def _rr(rank: int | None) -> float:
    return 1.0 / rank if rank is not None and rank <= 10 else 0.0


def compare(ranks: list[int | None], base: list[int | None], seed: int = 0) -> dict[str, Any]:
    """Per-query comparison with the baseline: counts of better / worse ranks, and a paired bootstrap 95%
    interval of the MRR@10 difference."""
    big = 10**6
    better = sum(1 for r, b in zip(ranks, base) if (r or big) < (b or big))
    worse = sum(1 for r, b in zip(ranks, base) if (r or big) > (b or big))
    diffs = [_rr(r) - _rr(b) for r, b in zip(ranks, base)]
    n = len(diffs)
    rng = random.Random(seed)
    means = sorted(sum(diffs[rng.randrange(n)] for _ in range(n)) / n for _ in range(BOOTSTRAP_ROUNDS)) if n else [0.0]
    lo, hi = means[int(0.025 * (len(means) - 1))], means[int(0.975 * (len(means) - 1))]
    return {"better": better, "worse": worse, "same": n - better - worse,
            "mrr_diff": sum(diffs) / n if n else 0.0, "mrr_diff_ci95": [lo, hi]}


# ---- report --------------------------------------------------------------------------------------------------


def machine() -> str:
    model = platform.processor() or "unknown CPU"
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, timeout=5).stdout
        for line in out.splitlines():
            if line.lower().startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except (OSError, subprocess.SubprocessError):
        pass
    return f"{model}, {os.cpu_count()} cores, {platform.system()} {platform.release()}, Python {platform.python_version()}"


def markdown_table(rows: list[dict[str, Any]]) -> str:
    head = ["variant", "what changes", "MRR@10", "R@1", "R@5", "R@10", "chunks", "mean tok/chunk",
            "chunks > 256 tok", "text not embedded", "vs baseline: better / worse", "ΔMRR@10 [95% CI]"]
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join(["---"] * 2 + ["---:"] * (len(head) - 2)) + "|"]
    for r in rows:
        c = r.get("vs_baseline")
        vs = "—" if r["name"] == "baseline" or c is None else f"{c['better']} / {c['worse']}"
        delta = ("—" if r["name"] == "baseline" or c is None else
                 f"{c['mrr_diff']:+.3f} [{c['mrr_diff_ci95'][0]:+.3f}, {c['mrr_diff_ci95'][1]:+.3f}]")
        shared = " (baseline db)" if r["ingestion"] != r["name"] else ""
        lines.append("| " + " | ".join([
            f"`{r['name']}`", r["what"], f"{r['mrr@10']:.3f}", f"{r['recall@1']:.3f}", f"{r['recall@5']:.3f}",
            f"{r['recall@10']:.3f}", f"{r['chunks']}{shared}", f"{r['mean_chunk_tokens']:.0f}",
            str(r["chunks_over_window"]), f"{100 * r.get('tokens_not_embedded', 0.0):.1f}%", vs, delta]) + " |")
    return "\n".join(lines)


def render(rows: list[dict[str, Any]], command: str, when: str, host: str, elapsed: float,
           distractors: Path | None = None) -> str:
    n = rows[0]["n_queries"] if rows else 0
    corpus = "the sample" if distractors is None else f"the sample + every item of `{distractors.name}` as distractors"
    return "\n".join([
        f"Measured {when} on {host}; corpus: {corpus}; {n} labelled queries (`data/sample/queries.jsonl`), "
        f"k = 10 stories, whole run {elapsed:.0f} s.",
        "",
        "```",
        command,
        "```",
        "",
        markdown_table(rows),
        "",
    ])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, help="write the measured table into this markdown file "
                        "(between the <!-- results:start/end --> markers when it has them, else the whole file)")
    parser.add_argument("--json", type=Path, help="write every row (with per-query ranks) as JSON")
    parser.add_argument("--only", help="comma-separated variant names (baseline is always added)")
    parser.add_argument("--max-items", type=int, help="ingest only the first N items (smoke runs)")
    parser.add_argument("--queries", type=Path, default=QUERIES)
    parser.add_argument("--distractors", type=Path, help="another recording whose items are ingested too (after "
                        "the sample, same collection), so the labelled stories compete with many more chunks; "
                        "e.g. ../shared/data/recordings/hn-2006")
    parser.add_argument("--keep", type=Path, help="keep the databases in this folder instead of a temp dir")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")

    names = [v.name for v in VARIANTS]
    if args.only:
        wanted = {"baseline", *[s.strip() for s in args.only.split(",") if s.strip()]}
        unknown = wanted - set(names)
        if unknown:
            parser.error(f"unknown variants {sorted(unknown)}; known: {', '.join(names)}")
        names = [n for n in names if n in wanted]

    command = "python benchmarks/retrieval_comparison.py" + "".join(
        f" {shlex.quote(a)}" for a in (sys.argv[1:] if argv is None else argv))
    when = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    host = machine()
    started = time.perf_counter()
    queries = load_queries(args.queries)
    now = newest_time()
    with tempfile.TemporaryDirectory(prefix="streamrag-retrieval-") as tmp:
        workdir = args.keep or Path(tmp)
        # run grouped by database (query-side variants right after the ingestion they reuse), so that only
        # one Milvus Lite database is open at a time; the table keeps the VARIANTS order
        order = sorted(names, key=lambda n: [v.name for v in VARIANTS].index(BY_NAME[n].ingest_key))
        by_name: dict[str, dict[str, Any]] = {}
        current: tuple[str, Ingested] | None = None
        for name in order:
            variant = BY_NAME[name]
            key = variant.ingest_key
            if current is None or current[0] != key:
                close_all()
                print(f"[{time.perf_counter() - started:6.0f} s] ingesting {key} ...", file=sys.stderr, flush=True)
                current = (key, ingest(BY_NAME[key], workdir / key, max_items=args.max_items,
                                       distractors=args.distractors))
            report = score(variant, current[1], queries, now)
            row = by_name[name] = result_row(variant, current[1], report)
            print(f"[{time.perf_counter() - started:6.0f} s] {name:18s} MRR@10 {row['mrr@10']:.3f}  "
                  f"R@1 {row['recall@1']:.3f}  R@5 {row['recall@5']:.3f}  R@10 {row['recall@10']:.3f}  "
                  f"chunks {row['chunks']}", file=sys.stderr, flush=True)
        close_all()
        rows = [by_name[n] for n in names]
    base = next(r for r in rows if r["name"] == "baseline")
    for r in rows:
        r["vs_baseline"] = compare(r["ranks"], base["ranks"])
    elapsed = time.perf_counter() - started
    text = render(rows, command, when, host, elapsed, args.distractors)
    print(text)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"command": command, "date": when, "machine": host, "elapsed_s": elapsed,
                                         "rows": rows}, indent=2) + "\n")
    if args.out:
        write_markdown(args.out, text, "results-distractors" if args.distractors else "results")
    return 0


def write_markdown(path: Path, text: str, tag: str = "results") -> None:
    """Replace the text between the ``<!-- {tag}:start/end -->`` markers (keeping the prose around it), or append
    a marked block (creating the file when needed)."""
    START, END = f"<!-- {tag}:start -->", f"<!-- {tag}:end -->"
    block = f"{START}\n{text}{END}"
    if path.exists():
        old = path.read_text(encoding="utf-8")
        if START in old and END in old:
            head, rest = old.split(START, 1)
            _, tail = rest.split(END, 1)
            path.write_text(head + block + tail, encoding="utf-8")
            return
        path.write_text(old.rstrip("\n") + f"\n\n{block}\n", encoding="utf-8")
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"# Retrieval quality\n\n{block}\n", encoding="utf-8")


if __name__ == "__main__":
    raise SystemExit(main())
