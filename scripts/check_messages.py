"""Check the committed English catalogue: every message translated, none fuzzy, and the
compiled .mo matching its .po (so a fresh clone needs no gettext tools to run).

One language at a time (issue 16.5): every string a template translates ({% translate %},
{% blocktranslate %}, `_("…")` in a tag or variable) and every model label (verbose name,
help text, choice label) must have an English translation; a template must not show Chinese
outside a translate tag, and a model label must not be Chinese or English outside gettext."""

from __future__ import annotations

import ast
import gettext
import os
import re
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def parse_po(path: Path, plurals: dict[str, str] | None = None) -> tuple[dict[str, str], list[str]]:
    if plurals is None:
        plurals = {}
    entries: dict[str, str] = {}
    problems: list[str] = []
    msgid: list[str] = []
    msgstr: list[str] = []
    target: list[str] | None = None
    fuzzy = False
    plural = False

    def flush() -> None:
        nonlocal msgid, msgstr, fuzzy, plural
        key = "".join(msgid)
        if msgid and key and plural:
            plurals[key] = "".join(msgstr)
        if msgid and key and not plural:
            value = "".join(msgstr)
            if not value:
                problems.append(f"untranslated: {key!r}")
            if fuzzy:
                problems.append(f"fuzzy: {key!r}")
            entries[key] = value
        msgid, msgstr, fuzzy, plural = [], [], False, False

    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("#,") and "fuzzy" in line:
            flush()
            fuzzy = True
        elif line.startswith("msgid "):
            if msgid or msgstr:
                keep_fuzzy = fuzzy
                flush()
                fuzzy = keep_fuzzy
            msgid = [ast.literal_eval(line[6:])]
            target = msgid
        elif line.startswith("msgid_plural"):
            plural = True
            target = None
        elif line.startswith("msgstr "):
            msgstr = [ast.literal_eval(line[7:])]
            target = msgstr
        elif line.startswith("msgstr[0] "):
            msgstr = [ast.literal_eval(line[10:])]
            target = msgstr
        elif line.startswith("msgstr["):
            target = None
        elif line.startswith('"') and target is not None:
            target.append(ast.literal_eval(line))
        elif line.startswith("#~"):
            continue
    flush()
    return entries, problems


def translations(po: Path) -> dict[str, str]:
    """Every msgid of `po` with its English (a plural's first form)."""
    plurals: dict[str, str] = {}
    entries, _problems = parse_po(po, plurals)
    return {**plurals, **entries}


CJK = re.compile(r"[\u3400-\u9fff]")
# Official documents (agreements, forms, notices) are issued in Chinese whatever the reader's
# language: their templates may hold Chinese text.
CHINESE_DOCUMENTS = ("pdf",)
ENGLISH = re.compile(r"[A-Za-z]{2,}[ ,:;.]+[a-z]{2,}")
GETTEXT_CALL = re.compile(r"""_\(\s*("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')\s*\)""")
TRANSLATE_TAG = re.compile(
    r"""^(?:translate|trans)\s+("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')(.*)$""", re.S
)
BLOCK_VAR = re.compile(r"^\s*([\w.]+)")


def template_files(root: Path) -> Iterator[Path]:
    yield from sorted((root / "templates").rglob("*.html"))
    for path in sorted(root.glob("*/templates/**/*.html")):
        if not path.is_relative_to(root / "templates"):
            yield path


def _blocktranslate(tokens: list[Any], start: int) -> tuple[str, int]:
    """The msgid of the blocktranslate opened at tokens[start] (as makemessages builds it)."""
    from django.template.base import TokenType

    parts: list[str] = []
    i = start + 1
    while i < len(tokens):
        token = tokens[i]
        if token.token_type == TokenType.BLOCK and token.contents.split()[0] in (
            "endblocktranslate",
            "endblocktrans",
            "plural",
        ):
            break
        if token.token_type == TokenType.VAR:
            match = BLOCK_VAR.match(token.contents)
            parts.append(f"%({match.group(1) if match else token.contents})s")
        elif token.token_type == TokenType.TEXT:
            parts.append(token.contents.replace("%", "%%"))
        i += 1
    text = "".join(parts)
    if "trimmed" in tokens[start].contents.split():
        text = " ".join(line.strip() for line in text.strip().splitlines() if line.strip())
    while i < len(tokens) and not tokens[i].contents.startswith("endblocktrans"):
        i += 1
    return text, i


def template_messages(path: Path) -> tuple[list[str], list[str]]:
    """(msgids the template translates, problems: Chinese shown outside a translate tag)."""
    from django.template.base import Lexer, TokenType

    tokens = Lexer(path.read_text(encoding="utf-8")).tokenize()
    msgids: list[str] = []
    problems: list[str] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        contents = token.contents
        where = f"{path}:{token.lineno}"
        if (
            token.token_type == TokenType.TEXT
            and CJK.search(contents)
            and 'name="language"' not in contents  # the switch names a language in itself
        ):
            problems.append(f"{where}: Chinese outside a translate tag: {contents.strip()[:40]!r}")
        elif token.token_type in (TokenType.BLOCK, TokenType.VAR):
            tag = contents.split()[0] if contents.split() else ""
            if token.token_type == TokenType.BLOCK and tag in ("blocktranslate", "blocktrans"):
                if " context " not in f" {contents} ":
                    text, i = _blocktranslate(tokens, i)
                    msgids.append(text)
                i += 1
                continue
            rest = contents
            match = TRANSLATE_TAG.match(contents) if token.token_type == TokenType.BLOCK else None
            if match:
                if " context " not in f" {match.group(2)} ":
                    msgids.append(ast.literal_eval(match.group(1)))
                rest = match.group(2)
            for call in GETTEXT_CALL.finditer(rest):
                msgids.append(ast.literal_eval(call.group(1)))
            if CJK.search(GETTEXT_CALL.sub("", rest)):
                problems.append(f"{where}: Chinese outside a translate tag: {contents[:40]!r}")
        i += 1
    return msgids, problems


def missing(msgids: Iterable[str], entries: dict[str, str]) -> list[str]:
    return sorted({m for m in msgids if m and not entries.get(m)})


def template_problems(root: Path, entries: dict[str, str]) -> list[str]:
    """Untranslated template strings and Chinese outside translate tags, under `root`."""
    problems: list[str] = []
    for path in template_files(root):
        msgids, found = template_messages(path)
        parts = set(path.relative_to(root).parts)
        document = bool(parts & set(CHINESE_DOCUMENTS)) or path.stem.endswith("_pdf")
        if not document and not path.stem.startswith("pdf_"):
            problems += found
        problems += [
            f"{path.relative_to(root)}: not translated in English: {m!r}"
            for m in missing(msgids, entries)
        ]
    return problems


def _label_problem(value: Any) -> str:
    """What is wrong with a label: Chinese left in the English UI, or a plain string (not
    gettext) that one of the two languages would show untranslated."""
    from django.utils import translation
    from django.utils.functional import Promise

    if isinstance(value, Promise):
        with translation.override("en"):
            english = str(value)
        if CJK.search(english):
            return f"not translated in English: {english!r}"
        return ""
    if isinstance(value, str) and (CJK.search(value) or ENGLISH.search(value)):
        return f"not wrapped in gettext: {value!r}"
    return ""


def _model_labels(model: Any) -> Iterator[tuple[str, Any]]:
    explicit = model._meta.original_attrs
    for name in ("verbose_name", "verbose_name_plural"):
        if name in explicit:
            yield name, getattr(model._meta, name)
    for field in model._meta.get_fields(include_parents=False):
        if not hasattr(field, "help_text") or field.auto_created:
            continue
        if field.verbose_name != field.name.replace("_", " "):
            yield f"{field.name}.verbose_name", field.verbose_name
        yield f"{field.name}.help_text", field.help_text
        for _value, label in field.flatchoices or []:
            yield f"{field.name}.choice", label


def model_label_problems() -> list[str]:
    """Model verbose names, help texts and choice labels of the project's apps (the history
    tables of django-simple-history are not shown as such)."""
    from django.apps import apps

    problems: list[str] = []
    for config in apps.get_app_configs():
        path = Path(config.path).resolve()
        if not path.is_relative_to(ROOT) or ".venv" in path.parts:
            continue
        for model in config.get_models():
            if (model._meta.model_name or "").startswith("historical"):
                continue
            for what, value in _model_labels(model):
                problem = _label_problem(value)
                if problem:
                    problems.append(f"{model._meta.label}.{what}: {problem}")
    return problems


def _setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def main() -> int:
    _setup_django()
    failures: list[str] = []
    for po in sorted(ROOT.glob("locale/*/LC_MESSAGES/django.po")):
        plurals: dict[str, str] = {}
        entries, problems = parse_po(po, plurals)
        failures += [f"{po.relative_to(ROOT)}: {p}" for p in problems]
        mo = po.with_suffix(".mo")
        if not mo.exists():
            failures.append(f"{mo.relative_to(ROOT)} is missing: run `make messages`")
            continue
        with mo.open("rb") as handle:
            catalogue = gettext.GNUTranslations(handle)
        for msgid, msgstr in entries.items():
            if msgstr and catalogue.gettext(msgid) != msgstr:
                failures.append(
                    f"{mo.relative_to(ROOT)} is stale for {msgid!r}: run `make messages`"
                )
                break
        if po.parent.parent.name == "en":
            failures += template_problems(ROOT, {**plurals, **entries})
            failures += model_label_problems()
    for failure in failures:
        print(failure, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
