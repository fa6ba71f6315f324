"""Builders for pharmacies that (do not) meet the conditions, and applications at each step."""

from __future__ import annotations

import itertools
from datetime import date
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import Organisation, OrganisationKind, Role, User
from accreditation import services
from accreditation.checklists import uploadable_kinds
from accreditation.models import Application, Designation
from pharmacies.models import Pharmacy, PremisesTenure, StaffPost
from programmes.models import Programme
from tests.factories.accounts import member, region
from tests.factories.pharmacies import (
    PharmacyFactory,
    StaffMemberFactory,
    credit_code,
    resident_id,
)

_serial = itertools.count(1)
PDF = b"%PDF-1.4\n% test document\n"


def pdf(name: str = "doc.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


FULL_PROFILE: dict[str, Any] = {
    "address": "衡阳县西渡镇蒸阳路1号",
    "business_licence_no": "430421000000001",
    "business_licence_expires_on": date(2030, 12, 31),
    "drug_licence_no": "湘AA7340001",
    "drug_licence_expires_on": date(2029, 6, 30),
    "quality_system": True,
    "management_rules": True,
    "premises_independent": True,
    "area_billing": True,
    "area_rest": True,
    "area_cashier": True,
    "area_storeroom": True,
    "insurance_drug_area": True,
    "premises_tenure": PremisesTenure.LEASED,
    "lease_ends_on": date(2030, 1, 1),
    "network_link": True,
    "realtime_upload": True,
    "e_voucher": True,
    "e_prescription": True,
    "video_24h": True,
    "face_recognition": True,
    "video_retention_days": 730,
    "video_realtime_upload": True,
}


def pharmacy(
    name: str = "",
    *,
    region_code: str = "430421",
    opened_on: date = date(2025, 1, 1),
    pharmacists: int = 2,
    **profile: Any,
) -> Pharmacy:
    """A pharmacy meeting every HY-TM and GY-PT condition unless told otherwise."""
    n = next(_serial)
    org = Organisation.objects.create(
        kind=OrganisationKind.PHARMACY, name=name or f"测试药房{n}", region=region(region_code)
    )
    values = {**FULL_PROFILE, **profile}
    p = PharmacyFactory.create(
        organisation=org, credit_code=credit_code(n), opened_on=opened_on, **values
    )
    posts = [StaffPost.MANAGER, StaffPost.BILLER, StaffPost.DELIVERY]
    for i, post in enumerate(posts):
        StaffMemberFactory.create(
            pharmacy=p,
            name=f"员工{i}",
            post=post,
            resident_id=resident_id(n * 10 + i),
            hired_on=date(2024, 12, 1),
        )
    for i in range(pharmacists):
        StaffMemberFactory.create(
            pharmacy=p,
            name=f"药师{i}",
            post=StaffPost.PHARMACIST,
            resident_id=resident_id(n * 10 + 5 + i),
            licensed_pharmacist=True,
            registered_here=True,
            hired_on=date(2024, 12, 1),
        )
    return p


def manager_of(p: Pharmacy) -> User:
    return member(Role.PHARMACY_MANAGER, organisation=p.organisation)


def reviewer() -> User:
    return member(Role.BUREAU_REVIEWER)


def hy() -> Programme:
    return Programme.objects.get(code="HY-TM")


def gy() -> Programme:
    return Programme.objects.get(code="GY-PT")


def draft(p: Pharmacy, programme: Programme, manager: User) -> Application:
    application = services.application_create(pharmacy=p, programme=programme, actor=manager)
    for kind in uploadable_kinds(programme.code):
        services.application_document_upload(
            application=application, kind=kind, upload=pdf(f"{kind}.pdf"), actor=manager
        )
    return services.application_set_pledges(
        application=application, truthful=True, security=True, actor=manager
    )


def submitted(p: Pharmacy, programme: Programme, manager: User) -> Application:
    return services.application_submit(application=draft(p, programme, manager), actor=manager)


def all_items(application: Application) -> dict[str, bool]:
    from accreditation.checklists import inspection_items

    return {i.key: True for i in inspection_items(application.programme.code)}


def passed(p: Pharmacy, programme: Programme, manager: User, rev: User) -> Application:
    application = submitted(p, programme, manager)
    application = services.application_accept(application=application, actor=rev)
    application = services.application_start_inspection(application=application, actor=rev)
    services.application_record_inspection(
        application=application, results=all_items(application), notes="", actor=rev
    )
    return services.application_pass(
        application=application, reason="合格", actor=rev, acknowledged=soft_failures(application)
    )


def soft_failures(application: Application) -> list[str]:
    """The rule IDs of the soft conditions failing today (an empty stock ledger fails HY-A09,
    HY-E04 and GY-A05's stock part): the reviewer acknowledges them to pass."""
    from django.utils import timezone

    from accreditation.passing import failing_soft_conditions

    failing = failing_soft_conditions(application, on=timezone.localdate())
    return [c.rule_id for c in failing]


def designation(
    p: Pharmacy, status: str = "active", programme: Programme | None = None, **fields: Any
) -> Designation:
    """A designation of `p` (HY-TM unless told) in `status`, for list and dashboard tests."""
    return Designation.objects.create(
        pharmacy=p,
        programme=programme or hy(),
        status=status,
        starts_on=fields.pop("starts_on", date(2027, 1, 1)),
        ends_on=fields.pop("ends_on", date(2027, 12, 31)),
        **fields,
    )
