"""Load a programme's diseases and payment standards (HY-G07) from a reference file."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.errors import DomainError
from programmes.standards import load_reference


class Command(BaseCommand):
    help = (
        "Load a reference CSV (see programmes/standards.py) as the programme's next version of "
        "disease payment standards, in force from --effective-from. All or nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--effective-from", required=True, help="YYYY-MM-DD: first day the version applies"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        try:
            effective_from = date.fromisoformat(options["effective_from"])
        except ValueError as exc:
            raise CommandError("--effective-from must be YYYY-MM-DD") from exc
        try:
            content = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"{path}: {exc.strerror}") from exc
        try:
            version = load_reference(
                content=content, effective_from=effective_from, actor=None, file_name=path.name
            )
        except DomainError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"{version.programme.code} v{version.number}: {version.standards.count()} "
            f"diseases, effective from {version.effective_from} ({version.source_document}, "
            f"{version.source_date})"
        )
