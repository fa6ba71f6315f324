"""Demo designations and applications (idempotent), so the issue's walk-through works:

- 衡阳县康民大药房 (hy_manager) holds an active HY-TM designation (dispensing needs it);
- 衡阳县仁心药店 (hy_manager2) has submitted an HY-TM application waiting for hy_reviewer,
  who can take it through supplement, inspection, notice and agreement;
- 衡阳县百草堂药店 (hy_manager3) has an accepted application the reviewer can fail, then send
  its feedback letter;
- 衡阳县福康药房 (hy_manager4) has passed, its notice period is over: the reviewer can sign;
- 贵阳市筑康大药房 (gy_manager, gy_pharmacist) holds an active GY-PT designation.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.demo import DEMO_PASSWORD
from accounts.models import Membership, Role, User
from accreditation import services
from accreditation.checklists import inspection_items, uploadable_kinds
from accreditation.models import (
    Application,
    Designation,
)
from accreditation.passing import failing_soft_conditions
from core.calendar import load_calendar
from core.event_messages import reason as named_reason
from pharmacies.models import Pharmacy
from programmes.models import Programme

# A tiny valid PDF for the demo uploads.
DEMO_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def _submitted(pharmacy: Pharmacy, programme: Programme, manager: User) -> Application:
    application = services.application_create(pharmacy=pharmacy, programme=programme, actor=manager)
    for kind in uploadable_kinds(programme.code):
        services.application_document_upload(
            application=application,
            kind=kind,
            upload=SimpleUploadedFile(f"{kind}.pdf", DEMO_PDF, content_type="application/pdf"),
            actor=manager,
        )
    services.application_set_pledges(
        application=application, truthful=True, security=True, actor=manager
    )
    return services.application_submit(application=application, actor=manager)


def seed(ctx: dict[str, Any]) -> None:
    today = timezone.localdate()
    users: dict[str, User] = ctx["users"]
    pharmacies: dict[str, Pharmacy] = ctx["pharmacies"]
    hy = Programme.objects.get(code="HY-TM")
    reviewer = users["hy_reviewer"]

    if not Designation.objects.filter(pharmacy=pharmacies["hy_pharmacy"], programme=hy).exists():
        services.designation_open(
            pharmacy=pharmacies["hy_pharmacy"],
            programme=hy,
            starts_on=today - timedelta(days=90),
            actor=reviewer,
            reason=named_reason("demo_agreement_signed"),
        )

    # GY-PT: 贵阳市筑康大药房 is a designated general-outpatient pharmacy (GY-B01 agreement).
    gy = Programme.objects.get(code="GY-PT")
    if not Designation.objects.filter(pharmacy=pharmacies["gy_pharmacy"], programme=gy).exists():
        services.designation_open(
            pharmacy=pharmacies["gy_pharmacy"],
            programme=gy,
            starts_on=today - timedelta(days=60),
            actor=users["gy_admin"],
            reason=named_reason("demo_supplement_signed"),
            rule_id="GY-B01",
        )

    if not Application.objects.filter(pharmacy=pharmacies["hy_pharmacy2"], programme=hy).exists():
        _submitted(pharmacies["hy_pharmacy2"], hy, users["hy_manager2"])

    manager3 = _manager(ctx, "hy_manager3", "罗店长", pharmacies["hy_pharmacy3"])
    if not Application.objects.filter(pharmacy=pharmacies["hy_pharmacy3"], programme=hy).exists():
        application = _submitted(pharmacies["hy_pharmacy3"], hy, manager3)
        services.application_accept(application=application, actor=reviewer)

    manager4 = _manager(ctx, "hy_manager4", "贺店长", pharmacies["hy_pharmacy4"])
    if not Application.objects.filter(pharmacy=pharmacies["hy_pharmacy4"], programme=hy).exists():
        application = _submitted(pharmacies["hy_pharmacy4"], hy, manager4)
        application = services.application_accept(application=application, actor=reviewer)
        application = services.application_start_inspection(application=application, actor=reviewer)
        services.application_record_inspection(
            application=application,
            results={item.key: True for item in inspection_items(hy.code)},
            notes="演示数据：现场查勘符合要求",
            actor=reviewer,
        )
        # Demo: the reviewer acknowledges whatever soft condition the demo stock leaves failing.
        failing = failing_soft_conditions(application, on=today)
        application = services.application_pass(
            application=application,
            reason="演示数据：评估合格",
            acknowledged=[c.rule_id for c in failing],
            actor=reviewer,
        )
        # Demo only: date the notice back so that it is over today and the reviewer can sign
        # the agreement at once (a real notice runs its working days first, HY-C03).
        calendar = load_calendar(region_id=application.pharmacy.organisation.region_id)
        days = hy.notice_working_days or 0
        starts = today - timedelta(days=2 * days + 10)
        Application.objects.filter(pk=application.pk).update(
            decided_on=starts,
            notice_starts_on=starts,
            notice_ends_on=calendar.add_working_days(starts, days),
        )


def _manager(ctx: dict[str, Any], username: str, full_name: str, pharmacy: Pharmacy) -> User:
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User.objects.create_user(username=username, password=DEMO_PASSWORD)
        user.full_name = full_name
        user.save(update_fields=["full_name"])
    Membership.objects.get_or_create(
        user=user, organisation=pharmacy.organisation, role=Role.PHARMACY_MANAGER
    )
    ctx.setdefault("logins", []).append(
        (username, DEMO_PASSWORD, pharmacy.name, Role.PHARMACY_MANAGER.label)
    )
    return user
