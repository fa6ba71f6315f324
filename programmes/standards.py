"""HY-G07 payment standards as reference data: a CSV file per programme, loaded as a version.

File format (UTF-8, one file = the complete list of a programme's diseases)::

    # programme: HY-TM
    # source: <the document the amounts come from>
    # date: 2024-10-01
    code,name,category,icd10_codes,monthly_standard,quarterly_standard,fund_share_pct,amounts_are_demo
    TM001,恶性肿瘤（含白血病）,immediate,C00-C97,1500.00,,80.00,1

A load is all or nothing: the first bad row or field refuses the whole file, naming the row
(line number) and the field, and nothing is written. The same file (same SHA-256) is refused
the second time. The version applies from `effective_from`: a quota period uses the version in
force on its first day, a sale the version in force on its date; accounts and sales already
made keep the version they used.
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from accounts.models import User
from core.errors import RuleViolation
from programmes.models import (
    Disease,
    DiseaseCategory,
    DiseaseStandard,
    Programme,
    ReferenceVersion,
)

RULE = "HY-G07"
COLUMNS = [
    "code",
    "name",
    "category",
    "icd10_codes",
    "monthly_standard",
    "quarterly_standard",
    "fund_share_pct",
    "amounts_are_demo",
]
AMOUNT_FIELDS = ["monthly_standard", "quarterly_standard", "fund_share_pct", "amounts_are_demo"]


@dataclass(frozen=True)
class StandardRow:
    line: int
    code: str
    name: str
    category: str
    icd10_codes: list[str]
    monthly_standard: Decimal | None
    quarterly_standard: Decimal | None
    fund_share_pct: Decimal
    amounts_are_demo: bool


@dataclass(frozen=True)
class ReferenceFile:
    programme_code: str
    source: str
    source_date: date
    rows: list[StandardRow]
    sha256: str


def _refuse(message: str, *, field: str | None = None) -> RuleViolation:
    return RuleViolation(RULE, message, field=field)


def _amount(value: str, *, line: int, field: str, required: bool) -> Decimal | None:
    value = value.strip()
    if not value:
        if required:
            raise _refuse(
                _("第 %(line)d 行 %(field)s：不能为空。") % {"line": line, "field": field}
            )
        return None
    try:
        amount = Decimal(value)
    except InvalidOperation:
        amount = Decimal("-1")
    top = Decimal("100") if field == "fund_share_pct" else Decimal("99999999.99")
    if not amount.is_finite() or amount < 0 or amount > top or amount != round(amount, 2):
        raise _refuse(
            _("第 %(line)d 行 %(field)s：“%(value)s”不是有效金额或比例。")
            % {"line": line, "field": field, "value": value},
            field=field,
        )
    return amount


def _row(record: dict[str, str], line: int) -> StandardRow:
    code, name = record["code"].strip(), record["name"].strip()
    for field, value in (("code", code), ("name", name)):
        if not value:
            raise _refuse(
                _("第 %(line)d 行 %(field)s：不能为空。") % {"line": line, "field": field},
                field=field,
            )
    category = record["category"].strip()
    if category not in DiseaseCategory.values:
        raise _refuse(
            _("第 %(line)d 行 category：“%(value)s”不是病种类别（%(allowed)s）。")
            % {"line": line, "value": category, "allowed": ", ".join(DiseaseCategory.values)},
            field="category",
        )
    demo = record["amounts_are_demo"].strip()
    if demo not in ("0", "1"):
        raise _refuse(
            _("第 %(line)d 行 amounts_are_demo：须为 0 或 1。") % {"line": line},
            field="amounts_are_demo",
        )
    monthly = _amount(
        record["monthly_standard"], line=line, field="monthly_standard", required=False
    )
    quarterly = _amount(
        record["quarterly_standard"], line=line, field="quarterly_standard", required=False
    )
    if monthly is None and quarterly is None:
        raise _refuse(
            _("第 %(line)d 行 monthly_standard：月标准和季度标准至少填写一项。") % {"line": line},
            field="monthly_standard",
        )
    share = _amount(record["fund_share_pct"], line=line, field="fund_share_pct", required=True)
    assert share is not None
    return StandardRow(
        line=line,
        code=code,
        name=name,
        category=category,
        icd10_codes=[c.strip() for c in record["icd10_codes"].split(";") if c.strip()],
        monthly_standard=monthly,
        quarterly_standard=quarterly,
        fund_share_pct=share,
        amounts_are_demo=demo == "1",
    )


def _header(lines: list[str]) -> tuple[dict[str, str], int]:
    """The `# key: value` lines before the column header, and how many lines they take."""
    header: dict[str, str] = {}
    count = 0
    for text in lines:
        if not text.startswith("#"):
            break
        key, _sep, value = text[1:].partition(":")
        header[key.strip().lower()] = value.strip()
        count += 1
    for key in ("programme", "source", "date"):
        if not header.get(key):
            raise _refuse(_("文件头缺少“# %(key)s: …”一行。") % {"key": key}, field=key)
    return header, count


def parse_reference(content: bytes) -> ReferenceFile:
    """Read and check a whole file; raises RuleViolation naming the row and field."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _refuse(_("文件须为 UTF-8 编码的 CSV。")) from exc
    lines = text.splitlines()
    header, skip = _header(lines)
    try:
        source_date = date.fromisoformat(header["date"])
    except ValueError as exc:
        raise _refuse(
            _("文件头 date：“%(value)s”须为 YYYY-MM-DD。") % {"value": header["date"]}, field="date"
        ) from exc
    reader = csv.DictReader(io.StringIO("\n".join(lines[skip:])))
    if reader.fieldnames != COLUMNS:
        raise _refuse(
            _("第 %(line)d 行：列须为 %(columns)s。")
            % {"line": skip + 1, "columns": ",".join(COLUMNS)}
        )
    rows: list[StandardRow] = []
    seen: set[str] = set()
    for index, record in enumerate(reader):
        line = skip + 2 + index
        if None in record or any(v is None for v in record.values()):
            raise _refuse(_("第 %(line)d 行：列数不对。") % {"line": line})
        row = _row(record, line)
        if row.code in seen:
            raise _refuse(
                _("第 %(line)d 行 code：病种编码 %(code)s 重复。")
                % {"line": line, "code": row.code},
                field="code",
            )
        seen.add(row.code)
        rows.append(row)
    if not rows:
        raise _refuse(_("文件中没有病种。"))
    return ReferenceFile(
        programme_code=header["programme"],
        source=header["source"],
        source_date=source_date,
        rows=rows,
        sha256=hashlib.sha256(content).hexdigest(),
    )


def render_reference(
    *, programme_code: str, source: str, source_date: date, rows: list[dict[str, Any]]
) -> bytes:
    """The file for `rows` (dicts with COLUMNS; icd10_codes a list) — the inverse of parsing."""
    out = io.StringIO()
    out.write(f"# programme: {programme_code}\n# source: {source}\n# date: {source_date}\n")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow(
            [
                row["code"],
                row["name"],
                row["category"],
                ";".join(row["icd10_codes"]),
                "" if row["monthly_standard"] is None else f"{row['monthly_standard']:.2f}",
                "" if row["quarterly_standard"] is None else f"{row['quarterly_standard']:.2f}",
                f"{row['fund_share_pct']:.2f}",
                "1" if row["amounts_are_demo"] else "0",
            ]
        )
    return out.getvalue().encode("utf-8")


def _check_against_database(parsed: ReferenceFile, programme: Programme) -> None:
    if ReferenceVersion.objects.filter(programme=programme, sha256=parsed.sha256).exists():
        raise _refuse(_("该文件已导入过（同一 SHA-256），未重复导入。"), field="file")
    listed = {r.code for r in parsed.rows}
    missing = sorted(
        set(
            Disease.objects.filter(programme=programme, is_active=True).values_list(
                "code", flat=True
            )
        )
        - listed
    )
    if missing:
        raise _refuse(
            _("文件须列出全部在用病种，缺少：%(codes)s（停用病种请先在病种页停用）。")
            % {"codes": ", ".join(missing)},
            field="code",
        )


def load_reference(
    *,
    content: bytes,
    effective_from: date,
    actor: User | None,
    file_name: str = "",
    programmes: Any = None,
) -> ReferenceVersion:
    """Load a file as the programme's next version, in force from `effective_from`.

    `programmes` limits which programmes the file may name (a bureau admin: its region's)."""
    parsed = parse_reference(content)
    scope = Programme.objects.all() if programmes is None else programmes
    programme = scope.filter(code=parsed.programme_code).first()
    if programme is None:
        raise _refuse(
            _("文件头 programme：“%(code)s”不是可导入的政策方案。")
            % {"code": parsed.programme_code},
            field="programme",
        )
    if programme.valid_from and effective_from < programme.valid_from:
        raise _refuse(
            _("施行日期不能早于方案施行日期 %(d)s。") % {"d": programme.valid_from},
            field="effective_from",
        )
    with transaction.atomic():
        Programme.objects.select_for_update().filter(pk=programme.pk).values_list("pk").get()
        _check_against_database(parsed, programme)
        number = (programme.reference_versions.aggregate(n=Max("number"))["n"] or 0) + 1
        version = ReferenceVersion.objects.create(
            programme=programme,
            number=number,
            source_document=parsed.source,
            source_date=parsed.source_date,
            effective_from=effective_from,
            loaded_by=actor,
            file_name=file_name[:200],
            sha256=parsed.sha256,
        )
        for row in parsed.rows:
            disease = _disease_from_row(programme, row, actor, number)
            DiseaseStandard.objects.create(
                version=version,
                disease=disease,
                monthly_standard=row.monthly_standard,
                quarterly_standard=row.quarterly_standard,
                fund_share_pct=row.fund_share_pct,
                amounts_are_demo=row.amounts_are_demo,
            )
    return version


def _disease_from_row(
    programme: Programme, row: StandardRow, actor: User | None, number: int
) -> Disease:
    """The disease of the row: created when new; name, category and ICD-10 codes follow the
    file (kept in the disease's history)."""
    disease = Disease.objects.filter(programme=programme, code=row.code).first()
    identity = {"name": row.name, "category": row.category, "icd10_codes": row.icd10_codes}
    if disease is not None and all(getattr(disease, k) == v for k, v in identity.items()):
        return disease
    if disease is None:
        disease = Disease(programme=programme, code=row.code)
    for key, value in identity.items():
        setattr(disease, key, value)
    disease._history_user = actor  # type: ignore[attr-defined]
    disease._change_reason = _("病种与支付标准第 %(n)d 版") % {"n": number}  # type: ignore[attr-defined]
    disease.save()
    return disease
