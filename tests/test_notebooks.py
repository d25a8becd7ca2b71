"""Every notebook: registered, stripped, shaped like the rest of the series, and executed top to bottom.

Execution runs in a fresh kernel, offline, on the bundled sample: once with STREAMRAG_FAST=1 shrinking the work (CI's
fast switch) and once without it, as an attendee runs it (``slow_notebook``: minutes per notebook; ``make test`` runs
both, ``pytest -m "not slow_notebook"`` skips the slow series). Both runs check what the cells display: every figure
cell shows its picture as ``image/png``, and no output is a bare ``<Figure size ...>`` text.
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


# ---- figures ----------------------------------------------------------------------------------------------

PLOT_CALL = re.compile(r"(viz|space)\.plot_\w+")  # streamrag.notebook.viz / .space plot functions return a Figure
FIGURE_NAME = re.compile(r"fig|fig_\w+|\w+_fig")
FIGURE_TEXT = re.compile(r"<Figure size [^>]*>")


def _is_plot_call(node: ast.AST) -> bool:
    return (isinstance(node, ast.Call) and bool(PLOT_CALL.fullmatch(ast.unparse(node.func)))
            and not any(k.arg == "ax" for k in node.keywords))  # given an ax, it draws into another figure


def is_figure_cell(source: str) -> bool:
    """A code cell whose last expression is a matplotlib Figure: ``fig`` (or ``fig_x``/``x_fig``), or a
    ``viz.plot_*``/``space.plot_*`` call."""
    body = _parse(source).body
    if not body or not isinstance(body[-1], ast.Expr):
        return False
    last = body[-1].value
    return (isinstance(last, ast.Name) and bool(FIGURE_NAME.fullmatch(last.id))) or _is_plot_call(last)


def figure_cells(nb) -> list[int]:
    return [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and is_figure_cell(c.source)]


@pytest.mark.parametrize("name", FILES)
def test_figures_are_the_last_expression(name):
    """A cell that makes a figure shows it: the figure is the cell's last expression (IPython displays it as a PNG),
    not a variable that is never shown."""
    for i, cell in enumerate(load(name).cells):
        if cell.cell_type != "code":
            continue
        made = [n for n in ast.walk(_parse(cell.source)) if _is_plot_call(n)]
        if made:
            assert is_figure_cell(cell.source), f"{name} cell {i}: it draws a figure but does not end with it"


def displayed_problems(name: str, nb) -> list[str]:
    """What an executed notebook displays wrongly: figure cells without an image/png output, Figure reprs as text."""
    problems = []
    for i in figure_cells(nb):
        if not any("image/png" in out.get("data", {}) for out in nb.cells[i].outputs):
            problems.append(f"{name} cell {i} ends with a figure but shows no image/png")
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []) if cell.cell_type == "code" else []:
            data = out.get("data", {})
            text = out.get("text", "") if out.output_type == "stream" else data.get("text/plain", "")
            if FIGURE_TEXT.search(text) and "image/png" not in data:
                problems.append(f"{name} cell {i} shows {FIGURE_TEXT.search(text).group()!r} instead of the picture")
    return problems


def test_figure_checks_catch_a_bare_figure_repr():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("fig = viz.plot_freshness(lags)\nfig")])
    nb.cells[0].outputs = [nbformat.v4.new_output("execute_result", {"text/plain": "<Figure size 1000x600 with 2 Axes>"})]
    assert figure_cells(nb) == [0]
    assert len(displayed_problems("x.ipynb", nb)) == 2  # no image/png, and the repr shown as text
    nb.cells[0].outputs[0].data["image/png"] = "iVBORw0KGgo="
    assert displayed_problems("x.ipynb", nb) == []
    assert not is_figure_cell("viz.plot_freshness(lags, ax=ax)") and is_figure_cell("space.plot_neighbourhood_map(v)")


# ---- execution ----------------------------------------------------------------------------------------------


def execute(name: str, fast: bool, timeout: int):
    """Run a notebook top to bottom in a fresh kernel, offline; with or without CI's fast switch."""
    from nbclient import NotebookClient

    nb = load(name)
    env_before = dict(os.environ)
    os.environ.update(MPLBACKEND="Agg", HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1",
                      STREAMRAG_HN_API="http://127.0.0.1:9/v0")  # an address that refuses: offline on purpose
    if fast:
        os.environ["STREAMRAG_FAST"] = "1"
    else:
        os.environ.pop("STREAMRAG_FAST", None)
    try:
        client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                                resources={"metadata": {"path": str(NOTEBOOKS)}})
        client.execute()
    finally:
        os.environ.clear()
        os.environ.update(env_before)
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.output_type == "error"]
    assert not errors
    assert not displayed_problems(name, nb), displayed_problems(name, nb)
    return nb


@pytest.mark.notebook
@pytest.mark.parametrize("name", FILES)
def test_notebook_executes(name):
    """CI's run: STREAMRAG_FAST=1 shrinks each notebook's work (the fast series stays within minutes)."""
    execute(name, fast=True, timeout=600)


@pytest.mark.notebook
@pytest.mark.slow_notebook
@pytest.mark.parametrize("name", FILES)
def test_notebook_executes_without_fast_switch(name):
    """An attendee's run: the full workloads, no fast switch. Every assertion in the notebook must hold here too."""
    execute(name, fast=False, timeout=1800)
