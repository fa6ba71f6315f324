from __future__ import annotations

import pytest
from django.core.management import call_command

from accreditation.models import Application, ApplicationStatus, Designation, DesignationStatus
from accreditation.selectors import pharmacy_may_settle
from pharmacies.models import Pharmacy, StaffMember
from programmes.models import Programme

pytestmark = pytest.mark.django_db


def test_demo_seeds_profiles_a_waiting_application_and_an_active_designation_idempotently() -> None:
    call_command("seed_demo", "--quiet")
    call_command("seed_demo", "--quiet")
    assert Pharmacy.objects.count() == 5
    for pharmacy in Pharmacy.objects.all():
        pharmacy.full_clean()  # GB 32100 codes
    for staff in StaffMember.objects.all():
        staff.full_clean()  # GB 11643 IDs
    hy = Programme.objects.get(code="HY-TM")
    kangmin = Pharmacy.objects.get(organisation__name="衡阳县康民大药房")
    designation = Designation.objects.get(pharmacy=kangmin, programme=hy)
    assert designation.status == DesignationStatus.ACTIVE
    from django.utils import timezone

    assert pharmacy_may_settle(pharmacy=kangmin, programme=hy, on=timezone.localdate())
    waiting = Application.objects.get(pharmacy__organisation__name="衡阳县仁心药店")
    assert waiting.status == ApplicationStatus.SUBMITTED
    assert (
        Application.objects.get(pharmacy__organisation__name="衡阳县百草堂药店").status
        == ApplicationStatus.ACCEPTED
    )
