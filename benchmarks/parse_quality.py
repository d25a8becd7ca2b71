"""How much article text the parse stage keeps, and how much boilerplate it lets through.

Gold: mozilla/readability's expected output for each real page (``readability-gold/<name>/expected.html``);
the page bytes come from the hn-2006 recording (``pages.jsonl`` maps ``page_name`` -> body file).
Per page, with bag-of-words (lower-cased ``\\w+`` tokens, multiset overlap):

* recall    = gold words we kept / gold words          (article text lost when low)
* precision = our words that are gold words / our words (boilerplate let through when low)

Modes: ``raw`` = ``partition_html`` on the whole page, every element kept; ``ours`` = ``Parser.parse_page``
(lxml pre-pass + element post-pass). Run::

    .venv/bin/python benchmarks/parse_quality.py [--data ../shared/data] [--modes raw,ours] [-v]
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from streamrag.parse import ParseError, Parser  # noqa: E402
from streamrag.parse.text import html_to_elements  # noqa: E402
from streamrag.records import Page  # noqa: E402
from streamrag.parse.spacy_model import ensure_spacy_model  # noqa: E402

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
# words; CJK scripts have no spaces, so each of their characters counts as a word
_WORD = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]|[^\W\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]+")


def words(text: str) -> Counter:
    return Counter(w.lower() for w in _WORD.findall(text))


def gold_text(path: Path) -> str:
    import lxml.html

    root = lxml.html.fromstring(path.read_bytes().decode("utf-8", errors="replace"))
    for el in root.iter("script", "style"):
        el.drop_tree()
    return root.text_content()


def load_cases(data: Path) -> list[tuple[str, Page, str]]:
    rec = data / "recordings" / "hn-2006"
    gold_dir = data / "readability-gold"
    cases = []
    for line in (rec / "pages.jsonl").read_text().splitlines():
        row = json.loads(line)
        name = row.get("page_name")
        if not name or "body" not in row or not (gold_dir / name / "expected.html").exists():
            continue
        body = (rec / row["body"]).read_bytes()
        page = Page(url=row["url"], ok=True, status=row.get("status"), content_type=row.get("content_type", ""),
                    body=body, final_url=row["url"])
        cases.append((name, page, gold_text(gold_dir / name / "expected.html")))
    return cases


def score(gold: Counter, ours: Counter) -> tuple[float, float]:
    overlap = sum((gold & ours).values())
    recall = overlap / max(1, sum(gold.values()))
    precision = overlap / max(1, sum(ours.values())) if ours else 0.0
    return recall, precision


def run_mode(mode: str, cases, parser: Parser) -> list[dict]:
    rows = []
    for name, page, gold in cases:
        started = time.perf_counter()
        try:
            if mode == "raw":
                text = "\n".join(e.text for e in html_to_elements(page.body, page.content_type, page.url, boilerplate=False))
            else:
                text = parser.parse_page(page).text
            error = ""
        except ParseError as exc:
            text, error = "", exc.reason
        seconds = time.perf_counter() - started
        r, p = score(words(gold), words(text))
        rows.append({"page": name, "recall": r, "precision": p, "seconds": seconds, "bytes": len(page.body),
                     "error": error})
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--modes", default="raw,ours")
    ap.add_argument("-v", "--verbose", action="store_true", help="print every page")
    args = ap.parse_args(argv)
    if not (args.data / "readability-gold").exists():
        print(f"no gold data under {args.data}", file=sys.stderr)
        return 2
    cases = load_cases(args.data)
    ensure_spacy_model(load=True)
    parser = Parser()
    parser.chunk("warm up the tokenizer", "t")
    results = {}
    for mode in args.modes.split(","):
        results[mode] = run_mode(mode, cases, parser)
    modes = list(results)
    if args.verbose:
        print("page".ljust(28) + "".join(f"{m + ' R':>9}{m + ' P':>9}" for m in modes) + "   KiB")
        for i, (name, page, _) in enumerate(cases):
            cells = "".join(f"{results[m][i]['recall']:9.3f}{results[m][i]['precision']:9.3f}" for m in modes)
            err = " ".join(results[m][i]["error"] for m in modes if results[m][i]["error"])
            print(f"{name[:27]:28}{cells}{len(page.body) // 1024:6d} {err}")
    print(f"\n{len(cases)} pages")
    print(f"{'mode':8}{'recall':>9}{'(median)':>10}{'precision':>11}{'(median)':>10}{'F1':>7}{'pages/s':>9}{'errors':>8}")
    for m in modes:
        rows = results[m]
        rec = [r["recall"] for r in rows]
        prec = [r["precision"] for r in rows]
        mr, mp = statistics.mean(rec), statistics.mean(prec)
        f1 = statistics.mean(2 * r * p / (r + p) if r + p else 0.0 for r, p in zip(rec, prec))
        pps = len(rows) / sum(r["seconds"] for r in rows)
        errors = sum(1 for r in rows if r["error"])
        print(f"{m:8}{mr:9.3f}{statistics.median(rec):10.3f}{mp:11.3f}{statistics.median(prec):10.3f}{f1:7.3f}{pps:9.1f}{errors:8d}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
