"""Check the committed English catalogue: every message translated, none fuzzy, and the
compiled .mo matching its .po (so a fresh clone needs no gettext tools to run)."""

from __future__ import annotations

import ast
import gettext
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def parse_po(path: Path) -> tuple[dict[str, str], list[str]]:
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
        elif line.startswith("msgstr["):
            target = None
        elif line.startswith('"') and target is not None:
            target.append(ast.literal_eval(line))
        elif line.startswith("#~"):
            continue
    flush()
    return entries, problems


def main() -> int:
    failures: list[str] = []
    for po in sorted(ROOT.glob("locale/*/LC_MESSAGES/django.po")):
        entries, problems = parse_po(po)
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
    for failure in failures:
        print(failure, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
