"""Reference data: the appendix list of Level II+ hospitals with chronic-disease expert
qualification (HY-F01). Their profiles are created when the organisations exist."""

from __future__ import annotations

from typing import Any

from django.apps import apps as global_apps

# (name, window location, service hours) — the policy's appendix list.
APPENDIX_HOSPITALS: list[tuple[str, str, str]] = [
    ("衡阳县人民医院", "门诊收费大厅特门窗口", "周一至周五 8:00–12:00，14:30–17:30"),
    ("衡阳县中医医院", "门诊收费大厅特门窗口", "周一至周五 8:00–12:00，14:30–17:30"),
    ("衡阳县妇幼保健院", "门诊收费大厅特门窗口", "周一至周五 8:00–12:00，14:30–17:30"),
]


def ensure(apps: Any = global_apps) -> None:
    """Create the missing appendix hospitals' 特门 profiles (idempotent)."""
    Organisation = apps.get_model("accounts", "Organisation")
    HospitalProfile = apps.get_model("patients", "HospitalProfile")
    for name, location, hours in APPENDIX_HOSPITALS:
        for org in Organisation.objects.filter(kind="hospital", name=name, region__code="430421"):
            HospitalProfile.objects.get_or_create(
                organisation=org,
                defaults={
                    "has_expert_qualification": True,
                    "window_location": location,
                    "service_hours": hours,
                },
            )
