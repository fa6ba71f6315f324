"""Impossible staff and profile values are refused naming the field, and an edit never
blanks a field the request did not send (issue 12.6)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.test import Client
from rest_framework.test import APIClient

from accounts.services import api_key_create
from pharmacies.models import Pharmacy, StaffMember
from tests.factories import accreditation as h
from tests.factories.sessions import login

pytestmark = pytest.mark.django_db


def _staff(pharmacy: Pharmacy) -> StaffMember:
    return StaffMember.objects.create(
        pharmacy=pharmacy,
        name="李药师",
        post="pharmacist",
        resident_id=h.resident_id(88),
        licensed_pharmacist=True,
        certificate_no="ZY-0001",
        hired_on=date(2024, 3, 1),
    )


def _api(pharmacy: Pharmacy) -> APIClient:
    _key, raw = api_key_create(
        organisation=pharmacy.organisation, name="POS", actor=h.manager_of(pharmacy)
    )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    return client


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"left_on": "2024-02-01"}, "离职日期"),
        ({"hired_on": "1800-01-01"}, "入职日期"),
        ({"hired_on": "2099-01-01"}, "入职日期"),
        ({"name": "李\x07药师"}, "姓名"),
        ({"name": "李\u0085药师"}, "姓名"),
        ({"certificate_no": "ZY\n0001"}, "执业药师注册证编号"),
    ],
)
def test_impossible_staff_values_are_a_400_naming_the_field(
    change: dict[str, Any], named: str
) -> None:
    pharmacy = h.pharmacy(pharmacists=0)
    staff = _staff(pharmacy)
    response = _api(pharmacy).patch(f"/api/v1/staff/{staff.pk}/", change, format="json")
    assert response.status_code == 400, response.content
    assert named in str(response.json())
    staff.refresh_from_db()
    assert staff.name == "李药师" and staff.left_on is None


def test_impossible_opening_date_in_the_profile_is_a_400_naming_the_field() -> None:
    pharmacy = h.pharmacy()
    response = _api(pharmacy).patch(
        f"/api/v1/pharmacies/{pharmacy.pk}/", {"opened_on": "2099-05-01"}, format="json"
    )
    assert response.status_code == 400 and "正式经营日期" in str(response.json())


def test_api_patch_changes_only_the_fields_sent() -> None:
    pharmacy = h.pharmacy(pharmacists=0)
    staff = _staff(pharmacy)
    response = _api(pharmacy).patch(
        f"/api/v1/staff/{staff.pk}/", {"left_on": "2026-01-31"}, format="json"
    )
    assert response.status_code == 200, response.content
    staff.refresh_from_db()
    assert (staff.name, staff.certificate_no, staff.left_on) == (
        "李药师",
        "ZY-0001",
        date(2026, 1, 31),
    )


def test_sec_staff_edit_form_never_blanks_fields_it_did_not_send() -> None:
    pharmacy = h.pharmacy(pharmacists=0)
    staff = _staff(pharmacy)
    client = login(Client(), h.manager_of(pharmacy))
    # Only the leave date, as a script or an old page might send it
    response = client.post(
        f"/pharmacy/staff/{staff.pk}/",
        {
            "staff-name": "李药师",
            "staff-post": "pharmacist",
            "staff-hired_on": "2024-03-01",
            "staff-left_on": "2026-01-31",
            "staff-licensed_pharmacist": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    staff.refresh_from_db()
    assert staff.certificate_no == "ZY-0001" and staff.left_on == date(2026, 1, 31)


def test_sec_profile_form_never_blanks_fields_it_did_not_send() -> None:
    pharmacy = h.pharmacy()
    Pharmacy.objects.filter(pk=pharmacy.pk).update(
        address="衡阳县西渡镇蒸阳路1号", drug_licence_no="湘AA7340001"
    )
    client = login(Client(), h.manager_of(pharmacy))
    response = client.post("/pharmacy/profile/", {"video_retention_days": "90"})
    assert response.status_code == 302, response.content.decode()[:2000]
    pharmacy.refresh_from_db()
    assert pharmacy.address == "衡阳县西渡镇蒸阳路1号" and pharmacy.drug_licence_no == "湘AA7340001"
    assert pharmacy.video_retention_days == 90


def test_control_characters_in_a_patient_name_from_a_hospital_system_are_a_400() -> None:
    from tests.factories.patients import ALL_MATERIALS, clerk, hospital, resident_id

    h_ = hospital()
    _key, raw = api_key_create(organisation=h_, name="HIS", actor=clerk(h_))
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    body = {
        "resident_id": resident_id(3),
        "name": "刘桂兰\x1b[31m",
        "insured_type": "employee",
        "disease_code": "TM104",
        "records_hospital": "衡阳县人民医院",
        "records_hospital_level": "2",
        "materials_received": ALL_MATERIALS,
    }
    response = api.post("/api/v1/tm/filings/", body, format="json")
    assert response.status_code == 400 and "name" in response.json()
