"""The package shows the pipeline, and imports point one way: util → model → catalog → layout → rules →
read → fill → render → validate → narrative → writeback → workflows (api, check, migrate, batch, demo, recalc) → cli.
A module may import from its own stage or a lower one, never from a higher one, and never a private
name (``_x``) of another module."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "juesuan"

LAYERS = [
    {"errors", "util"},
    {"model"},
    {"catalog"},
    {"layout"},
    {"rules"},
    {"read"},
    {"fill"},
    {"render"},
    {"validate"},
    {"narrative"},
    {"writeback"},
    {"api", "check", "migrate", "batch", "demo", "recalc"},
    {"cli", "__main__", "__init__"},
]


def _stage(module: str) -> int:
    head = module.split(".")[1] if module.startswith("juesuan.") else module
    for i, layer in enumerate(LAYERS):
        if head in layer:
            return i
    raise AssertionError(f"module juesuan.{head} belongs to no stage: add it to LAYERS")


def _modules():
    for path in SRC.rglob("*.py"):
        rel = path.relative_to(SRC.parent).with_suffix("")
        name = ".".join(rel.parts)
        if name.endswith(".__init__"):
            name = name[: -len(".__init__")]
        yield name, path


def _imports(path: Path, name: str):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    typing_only = {id(n) for block in ast.walk(tree) if isinstance(block, ast.If)
                   and getattr(block.test, "id", getattr(block.test, "attr", "")) == "TYPE_CHECKING"
                   for n in ast.walk(block)}
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue  # annotations only: not an import at run time
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name.startswith("juesuan"):
                    yield node.lineno, a.name, []
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            if mod.startswith("juesuan"):
                yield node.lineno, mod, [a.name for a in node.names]


def test_every_module_belongs_to_a_stage():
    for name, _ in _modules():
        if name != "juesuan":
            _stage(name)


def test_imports_point_down_the_pipeline():
    wrong = []
    for name, path in _modules():
        if name == "juesuan":
            continue
        here = _stage(name)
        for line, mod, _ in _imports(path, name):
            if mod == "juesuan":
                continue
            if _stage(mod) > here:
                wrong.append(f"{path.relative_to(SRC)}:{line} imports {mod}")
    assert not wrong, "imports against the pipeline:\n" + "\n".join(wrong)


def test_no_module_imports_a_private_name_of_another():
    wrong = []
    for name, path in _modules():
        for line, mod, names in _imports(path, name):
            for n in names:
                if n.startswith("_") and not n.startswith("__") and mod != name:
                    wrong.append(f"{path.relative_to(SRC)}:{line} imports {mod}.{n}")
    assert not wrong, "\n".join(wrong)


def test_no_import_cycle_between_modules():
    graph = {name: set() for name, _ in _modules()}
    for name, path in _modules():
        for _, mod, names in _imports(path, name):
            targets = [f"{mod}.{n}" for n in names if f"{mod}.{n}" in graph] or [mod]
            graph[name].update(t for t in targets if t in graph and t != name)
    seen, stack, cycles = set(), [], []

    def visit(node):
        if node in stack:
            cycles.append(stack[stack.index(node):] + [node])
            return
        if node in seen:
            return
        seen.add(node)
        stack.append(node)
        for nxt in sorted(graph[node]):
            visit(nxt)
        stack.pop()

    for node in sorted(graph):
        visit(node)
    real = [c for c in cycles if not all(m == "juesuan" or m.count(".") == 1 and c[0].startswith(m) for m in c)]
    assert not real, "import cycles: " + "; ".join(" → ".join(c) for c in real)


def test_no_function_over_80_lines():
    long = []
    for name, path in _modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                n = node.end_lineno - node.lineno + 1
                if n > 80:
                    long.append(f"{path.relative_to(SRC)}:{node.lineno} {node.name} ({n} lines)")
    assert not long, "\n".join(long)


RULE_OR_TABLE_ID = r"""["'](?:[RVSX]\d{0,2}-\d+[a-z]?|gk\d\d)["']"""


def test_no_rule_or_table_id_typed_in_python():
    import re

    found = []
    for name, path in _modules():
        for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if re.search(RULE_OR_TABLE_ID, line):
                found.append(f"{path.relative_to(SRC)}:{i}: {line.strip()}")
    assert not found, "rule or table ids belong in the model (schemas/*.yaml):\n" + "\n".join(found)
