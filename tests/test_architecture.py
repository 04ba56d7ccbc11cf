"""The direction of imports: the command line depends on the library, never the other way round."""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "pipeline"
# Only these may import pipeline.commands: the parser that lists the commands, and the commands themselves.
CLI_LAYER = ("cli.py", "commands/")


def imported_modules(path: Path, root: Path) -> set[str]:
    """Every module `path` imports, at module level or inside a function, with relative imports made absolute."""
    package = ["pipeline", *path.relative_to(root).parent.parts]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            parts = [*package[: len(package) - node.level + 1]] if node.level else []
            base = ".".join([*parts, *([node.module] if node.module else [])])
            # `from pipeline import commands` reaches the package through an imported name.
            found.update({base, *(f"{base}.{alias.name}" for alias in node.names)})
    return found


def commands_importers(root: Path = PACKAGE) -> list[str]:
    """Modules of the package at `root`, outside the command line, that import pipeline.commands."""
    out = []
    for path in sorted(root.rglob("*.py")):
        where = path.relative_to(root).as_posix()
        if where.startswith(CLI_LAYER):
            continue
        if any(m == "pipeline.commands" or m.startswith("pipeline.commands.") for m in imported_modules(path, root)):
            out.append(where)
    return out


def test_only_the_command_line_imports_the_commands() -> None:
    assert commands_importers() == []


@pytest.mark.parametrize("statement", [
    "from pipeline.commands.train import handle", "import pipeline.commands.run", "from pipeline import commands",
    "from ..commands import learn", "from .. import commands",
])
def test_the_check_catches_an_import_of_the_commands(tmp_path: Path, statement: str) -> None:
    copy = tmp_path / "pipeline"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__", "resources"))
    # A lazy import inside a function, as learn.py once had to dodge a cycle, counts as much as one at the top.
    (copy / "export" / "sneaky.py").write_text(f"def later():\n    {statement}\n", encoding="utf-8")
    assert commands_importers(copy) == ["export/sneaky.py"]
