"""The issue's "Done when", walked with the demo data through the counter screen."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from accounts.demo import DEMO_PASSWORD
from inventory.models import Drug
from patients.models import Patient
from prescriptions.models import Dispensing, Prescription
from tests.factories.prescriptions import codes

pytestmark = pytest.mark.django_db


def _dispense(c: Any, patient: Patient, qty: int) -> str:
    prescription = Prescription.objects.filter(patient=patient).latest("id")
    item = prescription.items.get()
    page = c.post("/dispensing/counter/", {"resident_id": patient.resident_id}).content.decode()
    assert patient.name in page
    response = c.post(
        f"/dispensing/counter/{prescription.pk}/dispense/",
        {
            f"qty_{item.pk}": str(qty),
            f"price_{item.pk}": "6.46",
            f"codes_{item.pk}": "\n".join(codes(qty)),
            "identity_confirmed": "1",
            "patient_signed": "1",
        },
        follow=True,
    )
    return str(response.content.decode())


def test_demo_pharmacist_dispenses_then_hy_g07_and_hy_g08_refuse() -> None:
    call_command("seed_demo", "--quiet", stdout=io.StringIO())
    call_command("seed_demo", "--quiet", stdout=io.StringIO())  # idempotent
    c = Client()
    login = c.post("/accounts/login/", {"username": "hy_pharmacist", "password": DEMO_PASSWORD})
    assert login.status_code == 302
    wang = Patient.objects.get(name="王建华")
    li = Patient.objects.get(name="李秀英")
    assert "结算成功" in _dispense(c, wang, 30)
    assert "[HY-G07]" in _dispense(c, wang, 20)
    assert "[HY-G08]" in _dispense(c, li, 1)
    assert Dispensing.objects.count() == 1


def test_demo_physician_issues_and_the_demo_pharmacist_dispenses_it() -> None:
    """HY-F04: 张医生 prescribes for 王建华 in the portal (free); 吴药师 finds it at the counter."""
    call_command("seed_demo", "--quiet", stdout=io.StringIO())
    wang = Patient.objects.get(name="王建华")
    doctor = Client()
    doctor.post("/accounts/login/", {"username": "hy_physician", "password": DEMO_PASSWORD})
    page = doctor.post(
        "/dispensing/prescriptions/issue/", {"lookup": "1", "resident_id": wang.resident_id}
    )
    html = page.content.decode()
    assert "高血压" in html and "卡托普利片" in html and "HY-F04" in html
    enrolment = wang.enrolments.get(disease__code="TM101")
    drug = Drug.objects.get(insurance_code="XC09AAA010A001")
    before = set(Prescription.objects.values_list("pk", flat=True))
    done = doctor.post(
        "/dispensing/prescriptions/issue/",
        {
            "resident_id": wang.resident_id,
            "enrolment": str(enrolment.pk),
            "kind": "normal",
            "valid_days": "3",
            "items-TOTAL_FORMS": "1",
            "items-INITIAL_FORMS": "0",
            "items-MIN_NUM_FORMS": "1",
            "items-MAX_NUM_FORMS": "10",
            "items-0-drug": str(drug.pk),
            "items-0-dosage_form": "",
            "items-0-dose": "每日两次，每次一片",
            "items-0-quantity": "10",
            "items-0-days": "5",
        },
        follow=True,
    )
    assert "已开具" in done.content.decode()
    (new_pk,) = set(Prescription.objects.values_list("pk", flat=True)) - before
    issued = Prescription.objects.get(pk=new_pk)
    assert issued.fee == 0 and issued.physician_name == "张医生"
    pharmacist = Client()
    pharmacist.post("/accounts/login/", {"username": "hy_pharmacist", "password": DEMO_PASSWORD})
    assert "结算成功" in _dispense(pharmacist, wang, 5)
    assert Dispensing.objects.get().prescription == issued
