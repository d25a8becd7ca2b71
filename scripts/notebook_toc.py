"""Print (or write into README.md) the notebook table of contents from notebooks/registry.json.

    python scripts/notebook_toc.py           # print the table
    python scripts/notebook_toc.py --write   # replace the table between the README markers
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
START, END = "<!-- notebooks:start -->", "<!-- notebooks:end -->"


def toc() -> str:
    entries = json.loads((ROOT / "notebooks" / "registry.json").read_text())["notebooks"]
    lines = ["| # | Notebook | Level | Time | What you learn |", "|---|---|---|---|---|"]
    for entry in entries:
        number = entry["file"][:2]
        lines.append(f"| {number} | [{entry['title']}](notebooks/{entry['file']}) | {entry['level']} "
                     f"| {entry['minutes']} min | {entry['summary']} |")
    return "\n".join(lines)


def readme_with_toc(readme: str) -> str:
    head, _, rest = readme.partition(START)
    _, _, tail = rest.partition(END)
    return f"{head}{START}\n{toc()}\n{END}{tail}"


if __name__ == "__main__":
    if "--write" in sys.argv:
        path = ROOT / "README.md"
        path.write_text(readme_with_toc(path.read_text()))
    else:
        print(toc())
