"""The issue's "Done when", walked with the demo data through the counter screen."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from accounts.demo import DEMO_PASSWORD
from patients.models import Patient
from prescriptions.models import Dispensing, Prescription
from tests.prescriptions.helpers import codes

pytestmark = pytest.mark.django_db


def _dispense(c: Any, patient: Patient, qty: int) -> str:
    prescription = Prescription.objects.filter(patient=patient).latest("id")
    item = prescription.items.get()
    page = c.get("/dispensing/counter/", {"resident_id": patient.resident_id}).content.decode()
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
