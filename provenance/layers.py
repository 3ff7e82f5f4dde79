"""The house by floors: the package's import graph read from its source, and the rules it keeps.

``python -m provenance.layers`` prints every module of the package by layer with what it imports
(read from the syntax tree: nothing is imported or run) and checks that

- each layer imports only its own layer and those below it (storage imports nothing above it);
- the site imports only the read side, storage and the base;
- the modules import each other without cycles.

It exits with status 1 and one line per violation when a rule is broken.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

PACKAGE = "provenance"

#: The layers, bottom first; a module belongs to the first layer with a matching pattern
#: (``name`` or ``name.*``).
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "base",
        (
            "__init__",
            "errors",
            "defaults",
            "kinds",
            "text",
            "queries",
            "outputs",
            "profile",
            "compiled",
            "moments",
        ),
    ),
    ("storage", ("db", "migrations", "binding", "archive")),
    ("read", ("reading", "evidence", "search", "similarity", "agents", "export", "layers")),
    (
        "write",
        (
            "ingest.*",
            "inputs",
            "analysis",
            "attribution",
            "claims",
            "citations",
            "linking",
            "works",
            "alignment",
            "anchoring",
            "captures",
            "minhash",
            "semantic",
            "store",
            "pipeline",
            "cluster",
            "worker",
            "verify",
            "corpora",
        ),
    ),
    ("site", ("datasette.*",)),
    ("cli", ("cli", "__main__")),
)
#: What a layer may import besides itself; by default every layer below it.
ALLOWED: dict[str, tuple[str, ...]] = {"site": ("base", "storage", "read")}


@dataclass
class Module:
    name: str  # relative to the package: "db", "ingest.html", "__init__"
    layer: str
    imports: dict[str, bool] = field(default_factory=dict)  # module -> imported at load time


def layer_of(name: str) -> str:
    for layer, patterns in LAYERS:
        for pattern in patterns:
            if name == pattern or (
                pattern.endswith(".*") and (name + ".").startswith(pattern[:-1])
            ):
                return layer
    return "unplaced"


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__" and len(parts) > 1:
        parts.pop()
    return ".".join(parts)


def _imported(node: ast.Import | ast.ImportFrom, name: str, is_package: bool) -> list[str]:
    """Modules of the package an import statement names, relative to the package."""
    if isinstance(node, ast.Import):
        targets = [a.name for a in node.names]
    else:
        if node.level:
            here = (PACKAGE + "." + name).split(".") if name != "__init__" else [PACKAGE]
            if not is_package:
                here = here[:-1]
            base = here[: len(here) - (node.level - 1)]
            module = ".".join(base + ([node.module] if node.module else []))
        else:
            module = node.module or ""
        targets = [module] + [f"{module}.{a.name}" for a in node.names]
    return [t for t in targets if t == PACKAGE or t.startswith(PACKAGE + ".")]


def _at_load_time(tree: ast.Module) -> set[int]:
    """The ids of import statements run when the module loads (not inside a def, nor under
    ``if TYPE_CHECKING``)."""
    found: set[int] = set()

    def visit(nodes: Iterable[ast.stmt]) -> None:
        for node in nodes:
            if isinstance(node, ast.Import | ast.ImportFrom):
                found.add(id(node))
            elif isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                visit(node.orelse)
            elif isinstance(node, ast.If | ast.Try | ast.With):
                for block in ("body", "orelse", "finalbody", "handlers"):
                    for child in getattr(node, block, []):
                        visit(child.body if isinstance(child, ast.ExceptHandler) else [child])

    visit(tree.body)
    return found


def read_graph(root: Path) -> dict[str, Module]:
    """Every module of the package under ``root`` with the package modules it imports."""
    files = sorted(root.rglob("*.py"))
    names = {_module_name(p, root): p for p in files}
    modules: dict[str, Module] = {}
    for name, path in names.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        module = modules[name] = Module(name, layer_of(name))
        eager = _at_load_time(tree)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Import | ast.ImportFrom):
                continue
            for target in _imported(node, name, path.name == "__init__.py"):
                relative = target[len(PACKAGE) + 1 :] if target != PACKAGE else "__init__"
                if relative not in names or relative == name:
                    continue  # a name imported from a module, not a module itself
                module.imports[relative] = module.imports.get(relative, False) or (
                    id(node) in eager
                )
    return modules


def violations(modules: dict[str, Module]) -> list[str]:
    order = [layer for layer, _ in LAYERS]
    problems = []
    for module in modules.values():
        if module.layer == "unplaced":
            problems.append(f"{module.name}: in no layer (add it to provenance.layers.LAYERS)")
            continue
        mine = order.index(module.layer)
        allowed = set(ALLOWED.get(module.layer, order[:mine])) | {module.layer}
        for target in sorted(module.imports):
            layer = modules[target].layer
            if layer != "unplaced" and layer not in allowed:
                problems.append(
                    f"{module.name} ({module.layer}) imports {target} ({layer}):"
                    f" {module.layer} may import only {', '.join(sorted(allowed))}"
                )
    problems += [f"import cycle: {' -> '.join(c)}" for c in cycles(modules)]
    return problems


def cycles(modules: dict[str, Module], on_call: bool = False) -> list[list[str]]:
    """Cycles among the imports run at load time (with ``on_call`` also those made inside
    functions), one per strongly connected group."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def connect(name: str) -> None:  # Tarjan's strongly connected components
        index[name] = low[name] = len(index)
        stack.append(name)
        for target, eager in modules[name].imports.items():
            if not (eager or on_call) or target == "__init__":
                continue
            if target not in index:
                connect(target)
                low[name] = min(low[name], low[target])
            elif target in stack:
                low[name] = min(low[name], index[target])
        if low[name] == index[name]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == name:
                    break
            if len(group) > 1:
                found.append(sorted(group) + [sorted(group)[0]])

    for name in sorted(modules):
        if name not in index:
            connect(name)
    return found


def report(modules: dict[str, Module]) -> str:
    lines = []
    for layer, _ in reversed(LAYERS):
        members = [m for m in modules.values() if m.layer == layer]
        lines.append(f"{layer}:")
        for module in sorted(members, key=lambda m: m.name):
            used = [
                f"{t}{'' if eager else ' (on call)'}"
                for t, eager in sorted(module.imports.items())
                if t != "__init__"
            ]
            lines.append(f"  {module.name}: {', '.join(used) or '-'}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    root = Path(__file__).parent
    modules = read_graph(root)
    print(report(modules))
    problems = violations(modules)
    late = [c for c in cycles(modules, on_call=True) if c not in cycles(modules)]
    for cycle in late:
        print(f"\nnote: a cycle through imports made on call: {' -> '.join(cycle)}")
    if problems:
        print(f"\n{len(problems)} violation(s):")
        for problem in problems:
            print(f"  {problem}")
        return 1
    print(
        "\nok: each layer imports only those below it, the site only the read side; no cycles at load time"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
