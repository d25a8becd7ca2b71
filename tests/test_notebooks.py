"""Every notebook: registered, stripped, shaped like the rest of the series, and executed top to bottom.

Execution runs in a fresh kernel, offline, on the bundled sample, with STREAMRAG_FAST=1 shrinking the work.
"""

from __future__ import annotations

import ast
import json
import os
import re
import statistics
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
sys.path.insert(0, str(ROOT / "scripts"))

from notebook_toc import END, START, toc  # noqa: E402

REGISTRY = json.loads((NOTEBOOKS / "registry.json").read_text())["notebooks"]
FILES = [entry["file"] for entry in REGISTRY]


def load(name: str):
    return nbformat.read(NOTEBOOKS / name, as_version=4)


def code_cells(nb) -> list[str]:
    return [c.source for c in nb.cells if c.cell_type == "code"]


def markdown(nb) -> str:
    return "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")


def test_registry_matches_files():
    on_disk = sorted(p.name for p in NOTEBOOKS.glob("*.ipynb"))
    assert sorted(FILES) == on_disk
    for entry in REGISTRY:
        assert re.fullmatch(r"\d\d_[a-z0-9_]+\.ipynb", entry["file"])
        assert entry["title"] and entry["level"] in {"beginner", "intermediate", "advanced"}
        assert 0 < entry["minutes"] <= 60


def test_readme_table_of_contents_is_current():
    readme = (ROOT / "README.md").read_text()
    assert START in readme and END in readme
    assert toc() in readme, "README's notebook table is stale: run `python scripts/notebook_toc.py --write`"


@pytest.mark.parametrize("name", FILES)
def test_notebook_is_stripped(name):
    for cell in load(name).cells:
        if cell.cell_type == "code":
            assert not cell.outputs and cell.execution_count is None, f"{name} has outputs: run `make strip`"


@pytest.mark.parametrize("name", FILES)
def test_notebook_reads_like_the_series(name):
    nb = load(name)
    first = nb.cells[0]
    assert first.cell_type == "markdown" and first.source.startswith("# ")
    for word in ("Goal", "Level", "Time", "Prerequisites"):
        assert word in first.source, f"{name}: the opening cell must state the {word}"
    assert any("versions()" in src for src in code_cells(nb)[:3]), f"{name}: a versions cell near the top"
    text = markdown(nb)
    for heading in ("## Summary", "## What's next", "## Exercises"):
        assert heading in text, f"{name}: missing closing section {heading!r}"
    sources = code_cells(nb)
    lines = [len([l for l in s.splitlines() if l.strip()]) for s in sources]
    assert statistics.median(lines) <= 6, f"{name}: median code cell has {statistics.median(lines)} lines"
    asserts = sum(isinstance(node, ast.Assert) for s in sources for node in ast.walk(_parse(s)))
    assert asserts >= 2, f"{name}: end each stage with an assert checkpoint"


def _parse(source: str) -> ast.AST:
    cleaned = "\n".join(l for l in source.splitlines() if not l.lstrip().startswith(("%", "!")))
    return ast.parse(cleaned)


@pytest.mark.notebook
@pytest.mark.parametrize("name", FILES)
def test_notebook_executes(name, tmp_path):
    from nbclient import NotebookClient

    nb = load(name)
    env_before = dict(os.environ)
    os.environ.update(STREAMRAG_FAST="1", MPLBACKEND="Agg", HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1",
                      STREAMRAG_HN_API="http://127.0.0.1:9/v0")  # an address that refuses: offline on purpose
    try:
        client = NotebookClient(nb, timeout=600, kernel_name="python3",
                                resources={"metadata": {"path": str(NOTEBOOKS)}})
        client.execute()
    finally:
        os.environ.clear()
        os.environ.update(env_before)
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.output_type == "error"]
    assert not errors
