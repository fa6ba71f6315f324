"""Demo designations and applications (idempotent), so the issue's walk-through works:

- 衡阳县康民大药房 (hy_manager) holds an active HY-TM designation (dispensing needs it);
- 衡阳县仁心药店 (hy_manager2) has submitted an HY-TM application waiting for hy_reviewer,
  who can take it through supplement, inspection, notice and agreement;
- 衡阳县百草堂药店 (hy_manager3) has an accepted application the reviewer can fail, then send
  its feedback letter.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.demo import DEMO_PASSWORD
from accounts.models import Membership, Role, User
from accreditation import services
from accreditation.checklists import uploadable_kinds
from accreditation.models import (
    Application,
    Designation,
    DesignationEvent,
    DesignationStatus,
)
from core.calendar import add_months
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
        starts = today - timedelta(days=90)
        designation = Designation.objects.create(
            pharmacy=pharmacies["hy_pharmacy"],
            programme=hy,
            status=DesignationStatus.ACTIVE,
            starts_on=starts,
            ends_on=add_months(starts, 12) - timedelta(days=1),
        )
        DesignationEvent.objects.create(
            designation=designation,
            new_status=DesignationStatus.ACTIVE,
            actor=reviewer,
            reason="演示数据：已签订定点服务协议",
            rule_id="HY-E09",
        )

    if not Application.objects.filter(pharmacy=pharmacies["hy_pharmacy2"], programme=hy).exists():
        _submitted(pharmacies["hy_pharmacy2"], hy, users["hy_manager2"])

    manager3 = User.objects.filter(username="hy_manager3").first()
    if manager3 is None:
        manager3 = User.objects.create_user(username="hy_manager3", password=DEMO_PASSWORD)
        manager3.full_name = "罗店长"
        manager3.save(update_fields=["full_name"])
    Membership.objects.get_or_create(
        user=manager3,
        organisation=pharmacies["hy_pharmacy3"].organisation,
        role=Role.PHARMACY_MANAGER,
    )
    ctx.setdefault("logins", []).append(
        ("hy_manager3", DEMO_PASSWORD, pharmacies["hy_pharmacy3"].name, Role.PHARMACY_MANAGER.label)
    )
    if not Application.objects.filter(pharmacy=pharmacies["hy_pharmacy3"], programme=hy).exists():
        application = _submitted(pharmacies["hy_pharmacy3"], hy, manager3)
        services.application_accept(application=application, actor=reviewer)
