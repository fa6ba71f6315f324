"""Templates a designer can read (issue 14.7): no line of any project template is over 120
characters. Per-row data is computed in the view and passed as rows; long text is wrapped
only where a newline changes nothing a reader sees (between blocks, at an existing space,
inside `{% blocktranslate trimmed %}` at a space)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
LIMIT = 120


def _template_dirs() -> list[Path]:
    engines: list[dict[str, Any]] = settings.TEMPLATES
    dirs = [Path(d) for engine in engines for d in engine.get("DIRS", [])]
    dirs += [Path(config.path) / "templates" for config in apps.get_app_configs()]
    own = []
    for d in dirs:
        resolved = d.resolve()
        if d.is_dir() and resolved.is_relative_to(ROOT) and ".venv" not in resolved.parts:
            own.append(resolved)
    return sorted(set(own))


def _templates() -> list[Path]:
    return sorted(p for d in _template_dirs() for p in d.rglob("*") if p.is_file())


def test_project_templates_are_found() -> None:
    names = {p.relative_to(ROOT).as_posix() for p in _templates()}
    assert "templates/base.html" in names
    assert "core/templates/core/pdf_smoke.html" in names


def test_no_template_line_over_120_characters() -> None:
    offenders = []
    for path in _templates():
        name = path.relative_to(ROOT).as_posix()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if len(line) > LIMIT:
                offenders.append(f"{name}:{number} ({len(line)} characters)")
    assert not offenders, "template lines over 120 characters:\n" + "\n".join(offenders)
