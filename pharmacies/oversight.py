"""Selectors the fund supervision reads (supervision.rules): the pharmacies' licensed
pharmacists and their duty roster. Read-only; supervision is above pharmacies and
pharmacies never imports it."""

from __future__ import annotations

from typing import Any

from pharmacies.models import StaffMember


def licensed_pharmacists(*, pharmacy_ids: list[int]) -> list[dict[str, Any]]:
    """SV-F10: every licensed pharmacist (StaffMember.licensed_pharmacist) of `pharmacy_ids`
    with the days they were employed and their weekly roster (ISO weekdays), one query."""
    values: Any = (
        StaffMember.objects.filter(pharmacy_id__in=pharmacy_ids, licensed_pharmacist=True)
        .values("id", "pharmacy_id", "name", "duty_weekdays", "hired_on", "left_on")
        .order_by("pharmacy_id", "id")
    )
    return [dict(r) for r in values]
