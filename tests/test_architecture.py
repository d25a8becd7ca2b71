"""The package's layout is its architecture: stages in data-flow order, imports pointing one way, no cycles,
no module reaching into another's private names, no module over 500 lines. See docs/architecture.md."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "streamrag"
MAX_LINES = 500

# Lowest first. A module may import from its own layer and the layers below it, never from a layer above.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("foundation", ("streamrag", "streamrag.config", "streamrag.model", "streamrag.records")),
    ("sources", ("streamrag.sources",)),
    ("fetch", ("streamrag.fetch",)),
    ("parse", ("streamrag.parse",)),
    ("embed", ("streamrag.embed",)),
    ("store", ("streamrag.store",)),
    ("retrieve", ("streamrag.retrieve", "streamrag.evaluate")),
    ("metrics", ("streamrag.metrics",)),
    ("flow", ("streamrag.flow",)),
    ("apps", ("streamrag.notebook", "streamrag.bench", "streamrag.readiness", "streamrag.recorder")),
    ("cli", ("streamrag.cli", "streamrag.__main__")),
]


def module_name(path: Path, src: Path = SRC) -> str:
    parts = list(path.relative_to(src).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules(src: Path = SRC) -> dict[str, Path]:
    return {module_name(p, src): p for p in sorted((src / "streamrag").rglob("*.py"))}


def layer_of(module: str) -> int:
    best, best_len = None, -1
    for index, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best_len:
                best, best_len = index, len(prefix)
    if best is None:
        raise AssertionError(f"{module} is in no layer: add it to LAYERS (and to docs/architecture.md)")
    return best


def resolve(module: str, path: Path, node: ast.ImportFrom) -> str:
    """The absolute module a ``from ... import`` names."""
    if not node.level:
        return node.module or ""
    base = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def imports_of(module: str, path: Path, known: dict[str, Path]) -> list[tuple[str, list[str], int]]:
    """(imported streamrag module, names taken from it, line) for every import, at any depth of the file."""
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out += [(a.name, [], node.lineno) for a in node.names if a.name.split(".")[0] == "streamrag"]
        elif isinstance(node, ast.ImportFrom):
            target = resolve(module, path, node)
            if target.split(".")[0] != "streamrag":
                continue
            names = [a.name for a in node.names]
            submodules = [f"{target}.{n}" for n in names if f"{target}.{n}" in known]
            out += [(s, [], node.lineno) for s in submodules]
            rest = [n for n in names if f"{target}.{n}" not in known]
            if rest or not submodules:
                out.append((target, rest, node.lineno))
    return out


def upward_imports(known: dict[str, Path]) -> list[str]:
    found = []
    for module, path in known.items():
        for target, _, line in imports_of(module, path, known):
            if layer_of(target) > layer_of(module):
                found.append(f"{path.name}:{line}: {module} ({LAYERS[layer_of(module)][0]}) imports "
                             f"{target} ({LAYERS[layer_of(target)][0]})")
    return found


def private_reaches(known: dict[str, Path]) -> list[str]:
    found = []
    for module, path in known.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        aliases = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and resolve(module, path, node).startswith("streamrag"):
                target = resolve(module, path, node)
                aliases |= {a.asname or a.name for a in node.names if f"{target}.{a.name}" in known}
            elif isinstance(node, ast.Import):
                aliases |= {a.asname for a in node.names if a.asname and a.name in known}
        for target, names, line in imports_of(module, path, known):
            if target != module and not module.startswith(target + "."):  # a package's parts may share helpers
                found += [f"{path.name}:{line}: {name} from {target}" for name in names if name.startswith("_")]
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases
                    and node.attr.startswith("_") and not node.attr.startswith("__")):
                found.append(f"{path.name}:{node.lineno}: {node.value.id}.{node.attr}")
    return found


def graph(known: dict[str, Path]) -> dict[str, set[str]]:
    return {m: {t for t, _, _ in imports_of(m, p, known) if t != m} for m, p in known.items()}


def test_every_module_has_a_layer():
    for module in modules():
        layer_of(module)


def test_no_module_imports_from_a_layer_above():
    upward = upward_imports(modules())
    assert not upward, "imports pointing up the pipeline:\n" + "\n".join(upward)


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(edges):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_no_import_cycles():
    cycle = find_cycle(graph(modules()))
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_no_module_takes_another_modules_private_names():
    found = private_reaches(modules())
    assert not found, "private names used across modules:\n" + "\n".join(found)


@pytest.mark.parametrize("module", sorted(modules()))
def test_module_is_at_most_500_lines(module):
    lines = len(modules()[module].read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{module} has {lines} lines: split it by concern (docs/architecture.md)"


# ---- the checks themselves can fail -------------------------------------------------------------------------


def test_cycle_finder_finds_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_the_checks_catch_an_upward_import_a_cycle_and_a_private_reach(tmp_path):
    files = {
        "streamrag/__init__.py": "",
        "streamrag/sources/__init__.py": "from streamrag.store import open_store\n",  # upward
        "streamrag/store/__init__.py": "from .milvus import MilvusStore\n",
        "streamrag/store/milvus.py": "from streamrag.store import Filter\n",  # fine: a package and its part
        "streamrag/parse/__init__.py": "from streamrag.parse import chunk\n",
        "streamrag/parse/chunk.py": "from streamrag.parse import text\n",
        "streamrag/parse/text.py": "from . import chunk\n",  # a cycle chunk -> text -> chunk
        "streamrag/flow.py": "from streamrag.store import milvus\nmilvus._clients.clear()\n"
                             "from streamrag.parse.text import _helper\n",  # two private reaches
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    known = modules(tmp_path)
    assert [u.split(": ", 1)[1] for u in upward_imports(known)] == [
        "streamrag.sources (sources) imports streamrag.store (store)"]
    assert find_cycle(graph(known)) in (["streamrag.parse.chunk", "streamrag.parse.text", "streamrag.parse.chunk"],
                                        ["streamrag.parse.text", "streamrag.parse.chunk", "streamrag.parse.text"])
    assert sorted(p.split(": ", 1)[1] for p in private_reaches(known)) == [
        "_helper from streamrag.parse.text", "milvus._clients"]
