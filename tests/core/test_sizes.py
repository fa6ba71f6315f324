"""Issue 14: no module over 800 lines (generated migrations aside) and no function over 80, in
the whole tree (tests and benchmarks included), so that a newcomer can read each in one go."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SKIP = {".venv", ".tools", "var", "node_modules", "staticfiles"}
MODULE_LINES = 800
FUNCTION_LINES = 80


def _modules() -> list[Path]:
    return [
        p
        for p in ROOT.rglob("*.py")
        if not SKIP & set(p.relative_to(ROOT).parts) and "migrations" not in p.parts
    ]


def test_no_module_is_over_800_lines() -> None:
    over = {
        str(p.relative_to(ROOT)): n
        for p in _modules()
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MODULE_LINES
    }
    assert over == {}


def test_no_function_is_over_80_lines() -> None:
    over = {}
    for path in _modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > FUNCTION_LINES:
                    over[f"{path.relative_to(ROOT)}:{node.name}"] = length
    assert over == {}
