"""The counter screen, records, slip PDF, statement; outsiders get 404."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

import pytest
import time_machine
from pypdf import PdfReader

from accounts.models import Role, User
from patients.services import stay_record
from prescriptions.models import Dispensing, PrescriptionKind
from tests.factories import member
from tests.factories.patients import hospital
from tests.factories.prescriptions import MAY, dispense_post, world

pytestmark = pytest.mark.django_db


def test_counter_finds_the_patient_shows_quota_and_dispenses(client_for: Any) -> None:
    w = world()
    with time_machine.travel(MAY, tick=False):
        p = w.prescription()
        c = client_for(w.pharmacist)
        page = c.post("/dispensing/counter/", {"resident_id": w.patient.resident_id})
        html = page.content.decode()
        assert w.patient.name in html and p.number in html and "200.00" in html
        done = dispense_post(c, w, p.pk, 10)
        assert "结算成功" in done.content.decode()
    d = Dispensing.objects.get()
    assert d.pharmacist == w.pharmacist and d.total == 95


def test_counter_shows_hy_g07_and_hy_g08_messages(client_for: Any) -> None:
    w = world()
    with time_machine.travel(MAY, tick=False):
        p = w.prescription(quantity=30)
        c = client_for(w.pharmacist)
        dispense_post(c, w, p.pk, 20)
        html = dispense_post(c, w, p.pk, 5).content.decode()
        assert "[HY-G07]" in html and "超出额度" in html
        stay_record(
            patient=w.patient, hospital=hospital(), admitted_on=date(2027, 5, 9), actor=None
        )
        html = dispense_post(c, w, p.pk, 1).content.decode()
        assert "[HY-G08]" in html
    assert Dispensing.objects.count() == 1


def test_counter_form_key_makes_a_double_submit_charge_once(client_for: Any) -> None:
    w = world()
    with time_machine.travel(MAY, tick=False):
        p = w.prescription()
        c = client_for(w.pharmacist)
        dispense_post(c, w, p.pk, 2, idempotency_key="form-abc")
        dispense_post(c, w, p.pk, 2, idempotency_key="form-abc")
    assert Dispensing.objects.count() == 1


def test_gy_d02_slip_pdf_names_patient_shares_and_signature_line(client_for: Any) -> None:
    w = world()
    with time_machine.travel(MAY, tick=False):
        p = w.prescription()
        c = client_for(w.pharmacist)
        dispense_post(c, w, p.pk, 10)
        d = Dispensing.objects.get()
        response = c.get(f"/dispensing/dispensings/{d.pk}/slip.pdf")
    assert response["Content-Type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    for expected in ("特门购药结算单", w.patient.name, "66.50", "28.50", "签字"):
        assert expected in text


def test_outsider_pharmacy_gets_404_on_dispensings(
    client_for: Any, outsider_pharmacy_manager: User
) -> None:
    w = world()
    other = world(2)
    with time_machine.travel(MAY, tick=False):
        p = w.prescription()
        dispense_post(client_for(w.pharmacist), w, p.pk, 1)
        d = Dispensing.objects.get()
        for user in (outsider_pharmacy_manager, other.pharmacist):
            c = client_for(user)
            for url in (
                f"/dispensing/dispensings/{d.pk}/",
                f"/dispensing/dispensings/{d.pk}/slip.pdf",
                f"/dispensing/archive/{w.patient.pk}/",
            ):
                assert c.get(url).status_code == 404, (user, url)
            assert (
                c.post(
                    f"/dispensing/dispensings/{d.pk}/return/", {"confirmed": "1", "reason": "x"}
                ).status_code
                == 404
            )
            assert dispense_post(c, w, p.pk, 1).status_code == 404
        listing = client_for(other.pharmacist).get("/dispensing/dispensings/").content.decode()
        assert d.number not in listing


def test_dispensing_list_query_count_is_pinned(
    client_for: Any, django_assert_max_num_queries: Any
) -> None:
    w = world()
    with time_machine.travel(MAY, tick=False):
        c = client_for(w.pharmacist)
        for _i in range(3):
            p = w.prescription(kind=PrescriptionKind.LONG_TERM)  # several this month
            dispense_post(c, w, p.pk, 1)
        with django_assert_max_num_queries(12):
            response = c.get("/dispensing/dispensings/")
    assert response.content.decode().count("JS2027") == 3


def test_return_delivery_archive_and_statement_pages(client_for: Any) -> None:
    w = world()
    manager = member(Role.PHARMACY_MANAGER, organisation=w.pharmacy.organisation)
    with time_machine.travel(MAY, tick=False):
        p = w.prescription()
        c = client_for(w.pharmacist)
        dispense_post(c, w, p.pk, 2)
        d = Dispensing.objects.get()
        html = c.post(
            f"/dispensing/dispensings/{d.pk}/delivery/",
            {"method": "courier", "packaging": "纸箱", "item_list": "药品×2", "voucher_no": "SF9"},
            follow=True,
        ).content.decode()
        assert "SF9" in html
        archive = c.get(f"/dispensing/archive/{w.patient.pk}/").content.decode()
        assert d.number in archive and "SF9" in archive
        statement = client_for(manager).get("/dispensing/statement/", {"month": "2027-05"})
        assert "13.30" in statement.content.decode()
        # Issue 16.3: the return is confirmed first, naming what it undoes
        asked = c.post(f"/dispensing/dispensings/{d.pk}/return/", {"reason": "退药"})
        assert "退药后本次结算作废" in asked.content.decode()
        d.refresh_from_db()
        assert d.status != "returned"
        html = c.post(
            f"/dispensing/dispensings/{d.pk}/return/",
            {"confirmed": "1", "reason": "退药"},
            follow=True,
        )
        assert "已退药" in html.content.decode()
    d.refresh_from_db()
    assert d.status == "returned"


def test_gy_d03_statement_is_scoped_and_its_query_count_pinned(
    client_for: Any, outsider_pharmacy_manager: User, django_assert_max_num_queries: Any
) -> None:
    w = world()
    manager = member(Role.PHARMACY_MANAGER, organisation=w.pharmacy.organisation)
    with time_machine.travel(MAY, tick=False):
        for _i in range(3):
            p = w.prescription(kind=PrescriptionKind.LONG_TERM)  # several this month
            dispense_post(client_for(w.pharmacist), w, p.pk, 1)
        c = client_for(manager)
        with django_assert_max_num_queries(12):
            page = c.get("/dispensing/statement/", {"month": "2027-05"}).content.decode()
        assert w.pharmacy.name in page and "19.95" in page  # 3 × 9.50 × 70 %
        pdf = c.get("/dispensing/statement/", {"month": "2027-05", "format": "pdf"})
        assert pdf.content.startswith(b"%PDF")
        other = client_for(outsider_pharmacy_manager).get(
            "/dispensing/statement/", {"month": "2027-05"}
        )
        assert w.pharmacy.name not in other.content.decode()
