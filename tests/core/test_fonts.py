"""No silent tofu: without a Chinese font no PDF is produced, and the system check says which
package to install."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent


def _without_fonts(tmp_path: Path) -> dict[str, str]:
    """An environment whose fontconfig knows no font directory at all."""
    conf = tmp_path / "fonts.conf"
    conf.write_text(
        '<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd">'
        f"<fontconfig><cachedir>{tmp_path / 'cache'}</cachedir></fontconfig>"
    )
    return {**os.environ, "FONTCONFIG_FILE": str(conf), "DJANGO_DEBUG": "1"}


def _manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_system_check_refuses_a_machine_without_a_cjk_font(tmp_path: Path) -> None:
    result = _manage(_without_fonts(tmp_path), "check")
    assert result.returncode != 0
    assert "core.E001" in result.stderr
    assert "fonts-noto-cjk" in result.stderr


def test_system_check_passes_with_the_font_installed() -> None:
    result = _manage({**os.environ, "DJANGO_DEBUG": "1"}, "check")
    assert result.returncode == 0, result.stderr
    assert "core.E001" not in result.stderr


def test_pdf_renderer_refuses_instead_of_drawing_boxes(tmp_path: Path) -> None:
    code = (
        "from core.fonts import MissingCJKFont\n"
        "from core.pdf import render_pdf\n"
        "try:\n"
        "    render_pdf('prescriptions/slip_pdf.html', {})\n"
        "except MissingCJKFont as e:\n"
        "    print('refused:', e)\n"
    )
    result = _manage(_without_fonts(tmp_path), "shell", "-c", code)
    assert "refused:" in result.stdout, result.stderr
    assert "fonts-noto-cjk" in result.stdout
