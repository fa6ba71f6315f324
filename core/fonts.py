"""No silent tofu: official documents are rendered only when a Chinese font is installed.

WeasyPrint finds fonts through fontconfig and, lacking a CJK font, draws every Chinese character
as an empty box without a word of warning. We ask fontconfig the same question (`fc-list
:lang=zh`) before the first PDF, and a system check asks it at start-up.
"""

from __future__ import annotations

import functools
import shutil
import subprocess

from django.core import checks
from django.utils.translation import gettext as _

CJK_FONT_PACKAGE = "fonts-noto-cjk"


class MissingCJKFont(RuntimeError):
    """No font that covers Chinese is installed: a PDF would show boxes instead of text."""


def cjk_fonts() -> list[str]:
    """The font families fontconfig offers for Chinese (empty when there is none)."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return []
    result = subprocess.run(  # noqa: S603 - the path fontconfig's own tool, fixed arguments
        [fc_list, ":lang=zh", "family"], capture_output=True, text=True, check=False
    )
    return sorted({line.strip() for line in result.stdout.splitlines() if line.strip()})


def missing_font_message() -> str:
    return _(
        "未安装中文字体，PDF 中的汉字将显示为方框。请安装 %(package)s 字体包"
        "（Debian/Ubuntu：apt-get install %(package)s fontconfig；"
        "make run / make test 以 root 运行时会自动安装）。"
    ) % {"package": CJK_FONT_PACKAGE}


@functools.cache
def _found_once() -> bool:
    return bool(cjk_fonts())


def require_cjk_font() -> None:
    """Raise MissingCJKFont unless a Chinese font is installed (asked once per process once
    found; asked again each time while missing, so installing the font needs no restart)."""
    if _found_once():
        return
    _found_once.cache_clear()
    raise MissingCJKFont(missing_font_message())


@checks.register(checks.Tags.compatibility)
def check_cjk_font(app_configs: object = None, **kwargs: object) -> list[checks.CheckMessage]:
    if cjk_fonts():
        return []
    return [
        checks.Error(
            missing_font_message(),
            hint=f"apt-get install {CJK_FONT_PACKAGE} fontconfig && fc-cache -s",
            id="core.E001",
        )
    ]
