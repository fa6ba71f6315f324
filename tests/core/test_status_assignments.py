"""A status changes only in a service (through core.transitions.transition): no view, API,
task, form, model or seeder assigns `status` or `filing_status`, or updates it in bulk."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
STATUS_FIELDS = {"status", "filing_status"}
SKIP_DIRS = {".venv", ".tools", "var", "tests", "bench", "migrations", "node_modules"}
# Modules that are services although not named services (they hold one workflow's writes).
SERVICE_MODULES = {"pharmacies/filing.py"}


def _is_service(path: str) -> bool:
    return (
        path.endswith("/services.py")
        or "/services/" in path
        or path in SERVICE_MODULES
        or path == "core/transitions.py"
    )


def _status_writes(tree: ast.AST) -> list[int]:
    lines = []
    for node in ast.walk(tree):
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.AugAssign | ast.AnnAssign):
            targets = [node.target]
        # `a.status = …`, and `a.status, b = …` (a tuple or list of targets) alike.
        flat = [
            e for t in targets for e in (t.elts if isinstance(t, ast.Tuple | ast.List) else [t])
        ]
        if any(isinstance(t, ast.Attribute) and t.attr in STATUS_FIELDS for t in flat):
            lines.append(getattr(node, "lineno", 0))
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in {"update", "bulk_update"}
            and (
                node.func.attr == "bulk_update"
                or any(k.arg in STATUS_FIELDS for k in node.keywords)
            )
        ):
            lines.append(getattr(node, "lineno", 0))
    return sorted(lines)


def test_no_status_is_assigned_outside_a_service() -> None:
    offenders = []
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT)
        if SKIP_DIRS & set(rel.parts) or _is_service(rel.as_posix()):
            continue
        for line in _status_writes(ast.parse(path.read_text(encoding="utf-8"))):
            offenders.append(f"{rel}:{line}")
    assert offenders == []


def test_the_scan_sees_an_assignment_and_a_bulk_update() -> None:
    source = (
        "x.status = 'a'\nQ.filter().update(status='b')\nQ.bulk_update(rows, ['x'])\n"
        "s.filing_status, s.filed_on = 'filed', None\n"
    )
    assert _status_writes(ast.parse(source)) == [1, 2, 3, 4]
