"""The command line: ``python -m streamrag run|record|stats|search|parse|eval|bench``.

The flags are a contract other tools depend on; keep them stable. Bad arguments, an unreachable Milvus or a
missing recording end with a one-line error that says what to do, and exit code 2.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import threading
import time
from pathlib import Path
from typing import Any, Sequence

from .config import Config, SinkConfig

logger = logging.getLogger("streamrag")


class UsageError(Exception):
    """A problem the user can fix; printed as one line, exit code 2."""


def _add_milvus(p: argparse.ArgumentParser) -> None:
    defaults = SinkConfig()
    p.add_argument("--milvus-uri", default=defaults.uri,
                   help="Milvus Lite file path or server URI like http://127.0.0.1:19530 (default: %(default)s)")
    p.add_argument("--collection", default=defaults.collection, help="collection name (default: %(default)s)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="streamrag", description=__doc__.splitlines()[0])
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run the ingestion pipeline")
    run.add_argument("--source", choices=["auto", "live", "replay"], default="auto")
    run.add_argument("--recording", type=Path, help="recording folder to replay (default: data/sample)")
    run.add_argument("--hn-api", help="Hacker News API base URL")
    _add_milvus(run)
    run.add_argument("--speed", type=float, default=0.0, help="replay pace: recorded time / X; 0 = as fast as possible")
    run.add_argument("--max-items", type=int, help="stop after N items")
    run.add_argument("--duration", type=float, help="stop after S seconds")
    run.add_argument("--workers", type=int, default=1, help="Bytewax workers in this process")
    run.add_argument("--allow-host", action="append", default=[], metavar="HOST",
                     help="allow fetching from HOST even if it resolves to a private/loopback address")
    run.add_argument("--metrics", type=Path, help="write metrics snapshots (JSONL) here")
    run.add_argument("--errors", type=Path, help="write skipped/failed records (JSONL) here (default: data/errors.jsonl)")
    run.add_argument("--recovery-dir", type=Path, help="Bytewax recovery store (make with `python -m bytewax.recovery DIR 1`)")
    run.add_argument("--backend", choices=["torch", "onnx"], default="torch", help="embedding backend")
    run.add_argument("--batch-size", type=int, help="embedding batch size")
    run.add_argument("--reset", action="store_true", help="drop the collection first (deletes stored data!)")
    run.add_argument("--json", action="store_true", help="print the final summary as one JSON line")
    run.add_argument("--no-progress", action="store_true", help="no progress bar")

    rec = sub.add_parser("record", help="record live Hacker News (items and pages) for offline replay")
    rec.add_argument("--out", type=Path, required=True, help="recording folder to write")
    rec.add_argument("--duration", type=float, help="stop after S seconds")
    rec.add_argument("--max-items", type=int, help="stop after N items")
    rec.add_argument("--hn-api", help="Hacker News API base URL")
    rec.add_argument("--allow-host", action="append", default=[], metavar="HOST")

    stats = sub.add_parser("stats", help="what the collection holds")
    _add_milvus(stats)
    stats.add_argument("--json", action="store_true")

    search = sub.add_parser("search", help="search the collection")
    search.add_argument("query", nargs="?", help="the question")
    search.add_argument("--queries", type=Path, help="file with one query per line (JSONL output)")
    search.add_argument("-k", type=int, default=5, help="results (stories) to return")
    search.add_argument("--kind", choices=["story", "comment"])
    search.add_argument("--since", type=int, help="only items newer than this unix time")
    search.add_argument("--mode", choices=["dense", "hybrid"], default="dense")
    search.add_argument("--recency-half-life", type=float, help="boost recent items (seconds)")
    search.add_argument("--flat", action="store_true", help="chunks, not grouped per story")
    _add_milvus(search)
    search.add_argument("--json", action="store_true")

    parse = sub.add_parser("parse", help="show the cleaned text and chunks the parse stage makes")
    parse.add_argument("files", nargs="*", type=Path, help="HTML files")
    parse.add_argument("--recording", type=Path, help="parse every page of a recording")
    parse.add_argument("--json", action="store_true")

    ev = sub.add_parser("eval", help="retrieval quality on labelled queries (MRR@10, recall@k)")
    ev.add_argument("--queries", type=Path, default=Path("data/sample/queries.jsonl"))
    ev.add_argument("--mode", choices=["dense", "hybrid"], default="dense")
    ev.add_argument("--recency-half-life", type=float)
    _add_milvus(ev)
    ev.add_argument("--json", action="store_true")

    bench = sub.add_parser("bench", help="speed benchmark: end-to-end vs raw encode, freshness, queries, memory")
    bench.add_argument("--recording", type=Path, default=Path("data/sample"))
    bench.add_argument("--out", type=Path, default=Path("benchmarks/results"), help="folder for JSON + markdown")
    bench.add_argument("--query-rows", type=int, default=20000, help="rows for the query-latency test")
    bench.add_argument("--backend", choices=["torch", "onnx"], default="torch")
    bench.add_argument("--json", action="store_true")
    return parser


# ---- commands -------------------------------------------------------------------------------------------


def cmd_run(args: argparse.Namespace) -> int:
    from . import flow

    cfg = Config()
    cfg.source.kind = args.source
    if args.recording:
        if not (args.recording / "manifest.json").exists():
            raise UsageError(f"no recording at {args.recording}: make one with "
                             f"`python -m streamrag record --out {args.recording}` or use data/sample")
        cfg.source.recording = args.recording
        if args.source == "auto":
            cfg.source.kind = "replay"
    if args.hn_api:
        cfg.source.hn_api = args.hn_api
    cfg.source.speed = args.speed
    cfg.source.max_items = args.max_items
    cfg.source.duration_s = args.duration
    cfg.fetch.allow_hosts = tuple(args.allow_host)
    cfg.sink.uri = args.milvus_uri
    cfg.sink.collection = args.collection
    cfg.sink.reset = args.reset
    cfg.embed.backend = args.backend
    if args.batch_size:
        cfg.embed.batch_size = args.batch_size
    cfg.run.workers = args.workers
    cfg.run.metrics_path = args.metrics
    if args.errors:
        cfg.run.errors_path = args.errors
    cfg.run.recovery_dir = args.recovery_dir
    if args.workers < 1:
        raise UsageError("--workers must be at least 1")
    if args.recovery_dir and not args.recovery_dir.exists():
        raise UsageError(f"no recovery store at {args.recovery_dir}: create it with "
                         f"`mkdir -p {args.recovery_dir} && python -m bytewax.recovery {args.recovery_dir} 1`")
    _check_milvus(cfg.sink.uri)

    handle = flow.prepare(cfg)
    logger.info("source: %s", handle.source_description)
    print(f"streamrag: source = {handle.source_description}", file=sys.stderr)
    progress = None if args.no_progress else _Progress(handle.pipeline.metrics)
    try:
        summary = flow.execute(handle)
    except KeyboardInterrupt:  # Ctrl-C: cluster_main already stopped; report what we have
        handle.stop.set()
        summary = handle.pipeline.metrics.summary()
    finally:
        if progress:
            progress.close()
    _emit(summary, args.json, _summary_text)
    return 0


class _Progress:
    """A tqdm bar fed from the metrics counters (the dataflow itself stays print-free)."""

    def __init__(self, metrics) -> None:
        from tqdm import tqdm

        self.metrics = metrics
        self.bar = tqdm(desc="items", unit="item", file=sys.stderr, dynamic_ncols=True, disable=None)  # off when not a TTY
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def _loop(self) -> None:
        while not self.stop.wait(0.5):
            self._update()

    def _update(self) -> None:
        counts = self.metrics.counts
        self.bar.n = counts.get("items_seen", 0)
        self.bar.set_postfix(chunks=counts.get("chunks_written", 0), skipped=counts.get("skipped", 0), refresh=False)
        self.bar.refresh()

    def close(self) -> None:
        self.stop.set()
        self.thread.join(timeout=2)
        self._update()
        self.bar.close()


def _summary_text(s: dict[str, Any]) -> str:
    lines = [f"source:          {s.get('source', '')}",
             f"items seen:      {s['items_seen']}  (skipped {s['items_skipped']}, deleted {s['items_deleted']})",
             f"pages:           {s['pages_fetched']} fetched, {s['pages_failed']} failed",
             f"chunks written:  {s['chunks_written']}  ({s['chunks_per_s']} chunks/s over {s['elapsed_s']} s)",
             f"freshness:       p50 {s['freshness_p50_s']} s, p95 {s['freshness_p95_s']} s",
             f"errors:          {s['errors']} recorded in {s.get('errors_file')}"]
    return "\n".join(lines)


def _check_milvus(uri: str) -> None:
    from .store import StoreError
    from .store.milvus import connect, is_server_uri

    if is_server_uri(uri):
        try:
            connect(uri, timeout_s=5)
        except StoreError as exc:
            raise UsageError(str(exc)) from None


def cmd_record(args: argparse.Namespace) -> int:
    from .config import FetchConfig, SourceConfig
    from .recorder import record

    if args.duration is None and args.max_items is None:
        raise UsageError("say when to stop: --duration S and/or --max-items N")
    stats = record(args.out, api_base=args.hn_api or SourceConfig().hn_api, duration_s=args.duration,
                   max_items=args.max_items, fetch_config=FetchConfig(allow_hosts=tuple(args.allow_host)))
    print(json.dumps(stats))
    return 0


def cmd_stats(args: argparse.Namespace) -> int:
    from .store import StoreError, open_store

    _require_db(args.milvus_uri)
    try:
        stats = open_store(SinkConfig(uri=args.milvus_uri, collection=args.collection), create=False).stats()
    except StoreError as exc:
        raise UsageError(str(exc)) from None
    _emit(stats, args.json, lambda s: "\n".join(f"{k:9} {v}" for k, v in s.items()))
    return 0


def _require_db(uri: str) -> None:
    from .store.milvus import is_server_uri

    if is_server_uri(uri):
        _check_milvus(uri)
    elif not Path(uri).exists():
        raise UsageError(f"no database at {uri}: ingest first with `python -m streamrag run --milvus-uri {uri}`")


def _retriever(args: argparse.Namespace):
    from .retrieve import Retriever
    from .store import StoreError

    _require_db(args.milvus_uri)
    try:
        return Retriever(milvus_uri=args.milvus_uri, collection=args.collection)
    except StoreError as exc:
        raise UsageError(str(exc)) from None


def cmd_search(args: argparse.Namespace) -> int:
    from .retrieve import format_hits_table

    if not args.query and not args.queries:
        raise UsageError("give a QUERY or --queries FILE")
    retriever = _retriever(args)
    kwargs = dict(k=args.k, kind=args.kind, since=args.since, mode=args.mode,
                  recency_half_life=args.recency_half_life, group=not args.flat)
    if args.queries:
        if not args.queries.exists():
            raise UsageError(f"no queries file at {args.queries}")
        for line in args.queries.read_text(encoding="utf-8").splitlines():
            query = line.strip()
            if query:
                print(json.dumps({"query": query, "hits": _hits_json(retriever.search(query, **kwargs))},
                                 ensure_ascii=False))
        return 0
    results = retriever.search(args.query, **kwargs)
    if args.json:
        print(json.dumps({"query": args.query, "hits": _hits_json(results)}, ensure_ascii=False))
    else:
        print(format_hits_table(results))
    return 0


def _hits_json(results) -> list[dict]:
    """Flatten grouped results to the CLI's hit list (each story's chunks in rank order)."""
    hits = []
    for result in results:
        for hit in getattr(result, "hits", [result]):
            hits.append(hit.to_json())
    return hits


def cmd_parse(args: argparse.Namespace) -> int:
    from .parse import ParseError, Parser
    from .records import Page

    parser = Parser()
    pages: list[tuple[str, str, Page]] = []
    for path in args.files:
        if not path.exists():
            raise UsageError(f"no such file: {path}")
        pages.append(("file", str(path), Page(url=str(path), ok=True, status=200, content_type="text/html",
                                              body=path.read_bytes())))
    if args.recording:
        from .sources.hn import Recording, RecordingError

        try:
            recording = Recording(args.recording)
        except RecordingError as exc:
            raise UsageError(str(exc)) from None
        for url in recording.page_urls():
            pages.append(("url", url, recording.page(url)))
    if not pages:
        raise UsageError("give HTML files or --recording DIR")
    for key, name, page in pages:
        record: dict[str, Any] = {key: name}
        if not page.ok:
            record.update(text="", chunks=[], skipped=page.reason)
        else:
            try:
                parsed = parser.parse_page(page)
            except ParseError as exc:
                record.update(text="", chunks=[], skipped=exc.reason)
            else:
                record.update(text=parsed.text, chunks=[text for text, _ in parser.chunk(parsed.sections)])
        if args.json:
            print(json.dumps(record, ensure_ascii=False))
        else:
            print(f"=== {name}: {len(record['chunks'])} chunks {record.get('skipped', '')}")
            for i, chunk in enumerate(record["chunks"]):
                print(f"--- chunk {i}\n{chunk}")
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from .evaluate import evaluate, load_queries

    if not args.queries.exists():
        raise UsageError(f"no queries file at {args.queries}")
    report = evaluate(_retriever(args), load_queries(args.queries), mode=args.mode,
                      recency_half_life=args.recency_half_life)
    _emit(report.to_json(), args.json, lambda _: report.to_markdown())
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from .bench import run_benchmark

    if not (args.recording / "manifest.json").exists():
        raise UsageError(f"no recording at {args.recording}")
    result = run_benchmark(args.recording, out_dir=args.out, query_rows=args.query_rows, backend=args.backend)
    _emit(result, args.json, lambda r: r.get("markdown", json.dumps(r, indent=2)))
    return 0


def _emit(obj: dict[str, Any], as_json: bool, text) -> None:
    if as_json:
        print(json.dumps(obj, ensure_ascii=False, default=str))
    else:
        print(text(obj))


COMMANDS = {"run": cmd_run, "record": cmd_record, "stats": cmd_stats, "search": cmd_search,
            "parse": cmd_parse, "eval": cmd_eval, "bench": cmd_bench}


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)  # argparse itself exits 2 with a usage line on bad arguments
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("streamrag").setLevel(logging.DEBUG if args.verbose else logging.WARNING)
    started = time.perf_counter()
    try:
        return COMMANDS[args.command](args)
    except UsageError as exc:
        print(f"streamrag {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # known failure types carry advice; anything else gets one line too
        from .store import StoreError

        if isinstance(exc, StoreError) or type(exc).__name__ in {"RecordingError", "ModelError", "SpacyModelMissing"}:
            print(f"streamrag {args.command}: error: {exc}", file=sys.stderr)
            return 2
        raise
    finally:
        logger.debug("%s took %.1f s", args.command, time.perf_counter() - started)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
