"""docs/api.md is the declared Python API's manual: every code block in it runs, in order, as a reader would."""

from __future__ import annotations

import ast
import os
import re
from pathlib import Path

import pytest

import pipeline

ROOT = Path(__file__).resolve().parents[1]
API_DOC = ROOT / "docs" / "api.md"
_BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


def test_every_code_block_of_the_api_guide_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    blocks = _BLOCK.findall(API_DOC.read_text(encoding="utf-8"))
    assert len(blocks) >= 6, "docs/api.md lost its examples"
    monkeypatch.chdir(ROOT)
    namespace: dict[str, object] = {"__name__": "api_md"}
    for n, code in enumerate(blocks, start=1):
        try:
            exec(compile(code, f"docs/api.md, block {n}", "exec"), namespace)
        except Exception as exc:  # name the block: a stale example is a documentation bug
            raise AssertionError(f"docs/api.md block {n} failed: {type(exc).__name__}: {exc}") from exc


def test_the_guide_names_only_the_declared_api() -> None:
    """Every `from pipeline import X` in the guide is in `pipeline.__all__`, and every exported name exists."""
    text = "\n".join(_BLOCK.findall(API_DOC.read_text(encoding="utf-8")))
    imported = {alias.name for node in ast.walk(ast.parse(text)) if isinstance(node, ast.ImportFrom)
                and node.module == "pipeline" for alias in node.names}
    assert imported and imported <= set(pipeline.__all__)
    assert all(hasattr(pipeline, name) for name in pipeline.__all__)


def test_stage_names_are_the_stage_functions_not_their_modules() -> None:
    """`from pipeline import classify` is the stage even after `pipeline.classify` (the module) was imported."""
    import pipeline.classify  # noqa: F401 - the module, imported on purpose first

    from pipeline import STAGES, classify, cluster

    assert classify.info.name == "classify" and cluster.info.row_wise is False
    assert [s.info.name for s in STAGES] == ["clean", "redact", "classify", "corrections", "cluster_keys", "cluster",
                                             "triage", "theme_content", "themes"]
    assert os.path.basename(pipeline.__file__) == "__init__.py"
