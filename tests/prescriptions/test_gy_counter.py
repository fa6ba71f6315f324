"""GY-PT in the browser: a Guiyang pharmacy finds insured employees (no enrolment), registers
new ones, records paper prescriptions and dispenses them; resident-insured persons are refused
(GY-D01, the programme's scope); Hengyang and Guiyang pharmacies never see each other's."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.demo import DEMO_PASSWORD
from accounts.models import Organisation, Role, User
from accounts.services import api_key_create
from core.crypto import blind_index
from core.errors import RuleViolation
from inventory.models import Drug
from patients.models import Patient
from prescriptions.models import Dispensing, Prescription, PrescriptionSource
from prescriptions.services import ItemInput, LineInput, dispensing_submit, prescription_create
from programmes.models import Programme
from tests.factories import member
from tests.factories.prescriptions import (
    MAY,
    codes,
    dispense_form,
    gy,
    gy_id,
    paper,
    png,
    record_form,
    world,
)

pytestmark = pytest.mark.django_db


# --- Finding the insured person (GY-D01: employees only) -----------------------------------


def test_gy_d01_programme_scope_counter_finds_employee_and_refuses_resident_insured(
    client_for: Any, django_assert_max_num_queries: Any
) -> None:
    g = gy()
    with time_machine.travel(MAY, tick=False):
        c: Client = client_for(g.pharmacist)
        portal = prescription_create(
            programme=g.programme,
            patient=g.employee,
            disease=None,
            source=PrescriptionSource.PORTAL,
            items=[ItemInput(g.drug, "片剂", "qd", 5, 5)],
            issued_on=date(2027, 5, 10),
            valid_days=3,
            actor=g.physician,
            institution=g.hospital,
        )
        here = paper(g, g.employee)
        other = gy("贵阳市另一家药房")
        elsewhere = paper(other, g.employee)
        # 25: with the reviewing pharmacists (审方) the counter offers, their programmes and
        # the cameras named before (GY-E03); +2 per open prescription: the settlement's own
        # checks run at lookup (issue 16.4: refusals known before submit, with the rule ID)
        with django_assert_max_num_queries(29):
            page = c.post("/dispensing/counter/", {"resident_id": g.employee.resident_id})
        html = page.content.decode()
        assert "刘晓东" in html and "普通门诊待遇" in html and "200.00" in html  # deductible
        assert "2000.00" in html  # yearly cap (demo parameters)
        assert portal.number in html and here.number in html
        assert elsewhere.number not in html  # a paper one recorded at another pharmacy
        refused = c.post("/dispensing/counter/", {"resident_id": g.resident.resident_id})
        text = refused.content.decode()
        assert "[GY-D01]" in text and "城乡居民医保" in text and "赵大伟" in text
        assert "结算并发药" not in text


def test_gy_d01_programme_scope_service_refuses_resident_insured_allows_employee() -> None:
    g = gy()
    with time_machine.travel(MAY, tick=False):
        with pytest.raises(RuleViolation) as exc:
            paper(g, g.resident)
        assert exc.value.rule_id == "GY-D01" and "职工医保" in str(exc.value)
        p = paper(g, g.employee, qty=4)
        item = p.items.get()
        line = LineInput(item.pk, 4, Decimal("8.00"), codes(4))
        # The person's insured type changes to 居民 after the prescription: settling refuses.
        Patient.objects.filter(pk=g.employee.pk).update(insured_type="resident")
        p.patient.refresh_from_db()
        with pytest.raises(RuleViolation) as exc:
            dispensing_submit(
                pharmacy=g.pharmacy,
                prescription=p,
                lines=[line],
                actor=g.pharmacist,
                identity_confirmed=True,
                patient_signed=True,
            )
        assert exc.value.rule_id == "GY-D01"
        Patient.objects.filter(pk=g.employee.pk).update(insured_type="employee")
        p.patient.refresh_from_db()
        done = dispensing_submit(
            pharmacy=g.pharmacy,
            prescription=p,
            lines=[LineInput(item.pk, 4, Decimal("8.00"), codes(4))],
            actor=g.pharmacist,
            identity_confirmed=True,
            patient_signed=True,
        )
    assert done.total == Decimal("32.00") and done.disease is None


def test_gy_d01_hengyang_person_is_not_found_at_a_guiyang_counter(client_for: Any) -> None:
    """The insured person must be of the programme's region (Guiyang–Gui'an)."""
    g = gy()
    w = world()
    with time_machine.travel(MAY, tick=False):
        c: Client = client_for(g.pharmacist)
        page = c.post("/dispensing/counter/", {"resident_id": w.patient.resident_id})
    html = page.content.decode()
    assert "[GY-D01]" in html and "参保地不在" in html
    assert "登记参保人员" not in html  # a person registered elsewhere is not registered again


# --- Registering a new insured person at the counter ---------------------------------------


def register(c: Client, **data: str) -> Any:
    return c.post("/dispensing/counter/register/", data)


def test_counter_registers_a_new_insured_employee_with_the_pharmacy_region(
    client_for: Any,
) -> None:
    g = gy()
    new_id = gy_id(33)
    with time_machine.travel(MAY, tick=False):
        c: Client = client_for(g.pharmacist)
        offered = c.post("/dispensing/counter/", {"resident_id": new_id}).content.decode()
        assert "登记参保人员" in offered and new_id in offered
        bad = register(c, name="孙丽", resident_id=new_id[:-1] + "0", insured_type="employee")
        assert bad.status_code == 400 and "居民身份证号" in bad.content.decode()
        assert "无效" in bad.content.decode()
        blank = register(c, name=" ", resident_id=new_id, insured_type="employee")
        assert blank.status_code == 400 and "姓名" in blank.content.decode()
        assert not Patient.objects.filter(resident_id_index=blind_index(new_id)).exists()
        done = register(c, name="孙丽", resident_id=new_id.lower(), insured_type="employee")
        assert done.status_code == 302, done.content.decode()[-3000:]
        person = Patient.objects.get(resident_id_index=blind_index(new_id))
        assert (person.name, person.insured_type, person.region.code) == (
            "孙丽",
            "employee",
            "520100",
        )
        page = c.get(done["Location"]).content.decode()
        assert "孙丽" in page and "普通门诊待遇" in page
        again = register(c, name="孙丽", resident_id=new_id, insured_type="employee")
        assert again.status_code == 400 and "已在平台登记" in again.content.decode()
    assert Patient.objects.filter(resident_id_index=blind_index(new_id)).count() == 1


def test_gy_d01_counter_does_not_register_a_resident_insured_person(client_for: Any) -> None:
    g = gy()
    new_id = gy_id(44)
    with time_machine.travel(MAY, tick=False):
        c: Client = client_for(g.pharmacist)
        refused = register(c, name="钱军", resident_id=new_id, insured_type="resident")
    assert refused.status_code == 400
    html = refused.content.decode()
    assert "参保类型" in html and "[GY-D01]" in html
    assert not Patient.objects.filter(resident_id_index=blind_index(new_id)).exists()


def test_a_hengyang_pharmacy_cannot_register_insured_persons(client_for: Any) -> None:
    w = world()
    with time_machine.travel(MAY, tick=False):
        c: Client = client_for(w.pharmacist)
        response = register(c, name="钱军", resident_id=gy_id(55), insured_type="employee")
    assert response.status_code == 404
    assert not Patient.objects.filter(resident_id_index=blind_index(gy_id(55))).exists()


# --- Recording a paper prescription and dispensing it (GY-C02 drug scope) ------------------


def test_gy_c02_record_page_offers_drugs_only_and_the_service_refuses_devices(
    client_for: Any,
) -> None:
    g = gy()
    with time_machine.travel(MAY, tick=False):
        c: Client = client_for(g.pharmacist)
        page = c.post(
            "/dispensing/prescriptions/record/",
            {"lookup": "1", "resident_id": g.employee.resident_id},
        )
        html = page.content.decode()
        assert "普通门诊（不按病种）" in html and "GY-C02" in html
        assert f'value="{g.drug.pk}"' in html and f'value="{g.device.pk}"' not in html
        with pytest.raises(RuleViolation) as exc:
            paper(g, g.employee, drug=g.device)
        assert exc.value.rule_id == "GY-C02" and "医疗器械" in str(exc.value)
        assert paper(g, g.employee, drug=g.drug).disease is None
        refused = c.post(
            "/dispensing/prescriptions/record/",
            {"lookup": "1", "resident_id": g.resident.resident_id},
        )
        assert "[GY-D01]" in refused.content.decode()
        assert "录入处方" not in refused.content.decode().split("</h1>", 1)[1].split("<form")[-1]


def test_gy_d02_record_paper_prescription_then_dispense_at_the_counter(client_for: Any) -> None:
    g = gy()
    with time_machine.travel(MAY, tick=False):
        c: Client = client_for(g.pharmacist)
        done = c.post("/dispensing/prescriptions/record/", record_form(g, g.employee, g.drug, 50))
        assert done.status_code == 302, done.content.decode()[:2000]
        prescription = Prescription.objects.get(patient=g.employee)
        assert prescription.disease is None and prescription.programme == g.programme
        assert prescription.recorded_at_pharmacy == g.pharmacy
        counter = c.get(done["Location"]).content.decode()
        assert prescription.number in counter
        settled = c.post(
            f"/dispensing/counter/{prescription.pk}/dispense/",
            dispense_form(prescription, 50),
            follow=True,
        ).content.decode()
        # 400 元: 200 below the deductible, 200 covered at 50 % → fund 100, personal 300.
        assert "结算成功" in settled and "100.00" in settled and "300.00" in settled
        d = Dispensing.objects.get(patient=g.employee)
        assert (d.fund_share, d.personal_share, d.disease) == (
            Decimal("100.00"),
            Decimal("300.00"),
            None,
        )
        status = c.post("/dispensing/counter/", {"resident_id": g.employee.resident_id})
        html = status.content.decode()
        assert "400.00" in html and "1900.00" in html  # spent; cap left 2000 − 100


# --- Outsiders: 404 ---------------------------------------------------------------------------


def test_outsider_hengyang_and_guiyang_pharmacies_do_not_see_each_others_persons(
    client_for: Any,
) -> None:
    g = gy()
    w = world()
    with time_machine.travel(MAY, tick=False):
        gp = paper(g, g.employee, qty=2)
        gd = dispensing_submit(
            pharmacy=g.pharmacy,
            prescription=gp,
            lines=[LineInput(gp.items.get().pk, 2, Decimal("8.00"), codes(2))],
            actor=g.pharmacist,
            identity_confirmed=True,
            patient_signed=True,
        )
        hp = w.prescription(quantity=4)
        hd = dispensing_submit(
            pharmacy=w.pharmacy,
            prescription=hp,
            lines=[w.line(hp, 2)],
            actor=w.pharmacist,
            identity_confirmed=True,
            patient_signed=True,
        )
        hengyang: Client = client_for(w.pharmacist)
        guiyang: Client = client_for(g.pharmacist)
        for c, dispensing, prescription, person in (
            (hengyang, gd, gp, g.employee),
            (guiyang, hd, hp, w.patient),
        ):
            assert c.get(f"/dispensing/dispensings/{dispensing.pk}/").status_code == 404
            assert c.get(f"/dispensing/dispensings/{dispensing.pk}/slip.pdf").status_code == 404
            assert c.get(f"/dispensing/archive/{person.pk}/").status_code == 404
            assert c.get(f"/dispensing/prescriptions/{prescription.pk}/").status_code == 404
            post = c.post(
                f"/dispensing/counter/{prescription.pk}/dispense/", dispense_form(prescription, 1)
            )
            assert post.status_code == 404
        assert guiyang.get(f"/dispensing/archive/{g.employee.pk}/").status_code == 200
        assert hengyang.get(f"/dispensing/archive/{w.patient.pk}/").status_code == 200
        page = hengyang.post("/dispensing/counter/", {"resident_id": g.employee.resident_id})
        assert "刘晓东" not in page.content.decode() and "未找到" in page.content.decode()


# --- POS eligibility ------------------------------------------------------------------------


def pos(organisation: Organisation, actor: User) -> APIClient:
    _key, raw = api_key_create(organisation=organisation, name="POS", actor=actor)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    return client


def test_gy_d01_pos_eligibility_employee_allowed_resident_refused_outsider_404() -> None:
    g = gy()
    w = world()
    manager = member(Role.PHARMACY_MANAGER, organisation=g.pharmacy.organisation)
    api = pos(g.pharmacy.organisation, manager)
    with time_machine.travel(MAY, tick=False):
        p = paper(g, g.employee, qty=3)
        ok = api.post(
            "/api/v1/pos/eligibility/", {"resident_id": g.employee.resident_id}, format="json"
        )
        assert ok.status_code == 200, ok.content
        body = ok.json()
        assert body["quotas"] == [] and body["outpatient"]["programme"] == "GY-PT"
        assert body["outpatient"]["deductible"] == "200.00"
        assert body["outpatient"]["cap_left"] == "2000.00"
        assert [x["id"] for x in body["prescriptions"]] == [p.pk]
        refused = api.post(
            "/api/v1/pos/eligibility/", {"resident_id": g.resident.resident_id}, format="json"
        )
        assert refused.status_code == 400 and refused.json()["rule"] == "GY-D01"
        assert (
            api.post(
                "/api/v1/pos/eligibility/", {"resident_id": w.patient.resident_id}, format="json"
            ).status_code
            == 404
        )
        hy_api = pos(
            w.pharmacy.organisation,
            member(Role.PHARMACY_MANAGER, organisation=w.pharmacy.organisation),
        )
        assert (
            hy_api.post(
                "/api/v1/pos/eligibility/", {"resident_id": g.employee.resident_id}, format="json"
            ).status_code
            == 404
        )
        hy_ok = hy_api.post(
            "/api/v1/pos/eligibility/", {"resident_id": w.patient.resident_id}, format="json"
        )
        assert hy_ok.status_code == 200 and hy_ok.json()["outpatient"] is None


# --- The demo walk, service to page ----------------------------------------------------------


def test_demo_gy_pharmacist_records_a_paper_prescription_and_dispenses_it() -> None:
    """gy_pharmacist finds 刘晓东 (employee, nothing spent this year), records a paper
    prescription, dispenses it and sees the split; 赵大伟 (居民) is refused with GY-D01;
    陈美玲's prescription from 贵阳市第一人民医院 waits at the counter."""
    call_command("seed_demo", "--quiet", stdout=io.StringIO())
    call_command("seed_demo", "--quiet", stdout=io.StringIO())  # idempotent
    c = Client()
    login = c.post("/accounts/login/", {"username": "gy_pharmacist", "password": DEMO_PASSWORD})
    assert login.status_code == 302
    liu = Patient.objects.get(name="刘晓东")
    zhao = Patient.objects.get(name="赵大伟")
    chen = Patient.objects.get(name="陈美玲")
    page = c.post("/dispensing/counter/", {"resident_id": liu.resident_id}).content.decode()
    assert "普通门诊待遇" in page and "200.00" in page and "演示值" in page
    captopril = Drug.objects.get(insurance_code="XC09AAA010A001")
    form = {
        "resident_id": liu.resident_id,
        "enrolment": "",
        "source": "paper",
        "institution_name": "贵阳市第一人民医院",
        "physician_name": "罗医生",
        "issued_on": timezone.localdate().isoformat(),
        "kind": "normal",
        "valid_days": "3",
        "seal_image": png("seal.png"),
        "items-TOTAL_FORMS": "1",
        "items-INITIAL_FORMS": "0",
        "items-MIN_NUM_FORMS": "1",
        "items-MAX_NUM_FORMS": "10",
        "items-0-drug": str(captopril.pk),
        "items-0-dosage_form": "",
        "items-0-dose": "每日两次，每次一片",
        "items-0-quantity": "50",
        "items-0-days": "25",
    }
    recorded = c.post("/dispensing/prescriptions/record/", form)
    assert recorded.status_code == 302, recorded.content.decode()[-2000:]
    prescription = Prescription.objects.filter(patient=liu).latest("id")
    assert prescription.number in c.get(recorded["Location"]).content.decode()
    settled = c.post(
        f"/dispensing/counter/{prescription.pk}/dispense/",
        dispense_form(prescription, 50, price="6.80"),
        follow=True,
    ).content.decode()
    # 340.00 元: 200.00 below the deductible, 140.00 covered at 50 % → fund 70.00.
    assert "结算成功：统筹基金支付 70.00 元，个人负担 270.00 元" in settled
    after = c.post("/dispensing/counter/", {"resident_id": liu.resident_id}).content.decode()
    assert "340.00" in after and "1930.00" in after  # spent; cap left 2000 − 70
    refused = c.post("/dispensing/counter/", {"resident_id": zhao.resident_id}).content.decode()
    assert "[GY-D01]" in refused
    waiting = c.post("/dispensing/counter/", {"resident_id": chen.resident_id}).content.decode()
    assert "贵阳市第一人民医院" in waiting and "卡托普利片" in waiting


def test_gy_d02_a_guiyang_physician_prescribes_for_an_employee_not_for_a_resident(
    client_for: Any,
) -> None:
    g = gy()
    with time_machine.travel(MAY, tick=False):
        doctor: Client = client_for(g.physician)
        page = doctor.post(
            "/dispensing/prescriptions/issue/",
            {"lookup": "1", "resident_id": g.employee.resident_id},
        )
        html = page.content.decode()
        assert "开具普通门诊处方" in html and f'value="{g.device.pk}"' not in html
        form = record_form(g, g.employee, g.drug, 10)
        for key in ("source", "institution_name", "physician_name", "issued_on", "seal_image"):
            form.pop(key)
        done = doctor.post("/dispensing/prescriptions/issue/", form)
        assert done.status_code == 302, done.content.decode()[-2000:]
        issued = Prescription.objects.get(patient=g.employee)
        assert (issued.source, issued.disease, issued.institution) == ("portal", None, g.hospital)
        refused = doctor.post(
            "/dispensing/prescriptions/issue/",
            {"lookup": "1", "resident_id": g.resident.resident_id},
        )
        assert "[GY-D01]" in refused.content.decode()
        pharmacist: Client = client_for(g.pharmacist)
        counter = pharmacist.post("/dispensing/counter/", {"resident_id": g.employee.resident_id})
        assert issued.number in counter.content.decode()


def test_gy_d01_covered_insured_types_are_a_validated_programme_parameter() -> None:
    from core.errors import DomainError
    from programmes.services import programme_update_parameters

    programme = Programme.objects.get(code="GY-PT")
    assert programme.outpatient_insured_types == ["employee"]
    assert Programme.objects.get(code="HY-TM").outpatient_insured_types == []
    admin = member(Role.BUREAU_ADMIN)
    with pytest.raises(DomainError) as exc:
        programme_update_parameters(
            programme=programme,
            actor=admin,
            changes={"outpatient_insured_types": ["farmer"]},
            reason="x",
        )
    assert "outpatient_insured_types" in exc.value.errors
    changed = programme_update_parameters(
        programme=programme,
        actor=admin,
        changes={"outpatient_insured_types": ["employee", "resident"]},
        reason="按新文件扩大保障范围",
    )
    assert changed.history.first().outpatient_insured_types == ["employee", "resident"]
