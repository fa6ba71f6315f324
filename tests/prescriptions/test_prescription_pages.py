"""The prescription pages: a physician issues in the portal, a pharmacy records a paper or
e-prescription; list, detail, slip and seal image; outsiders get 404."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from pypdf import PdfReader

from accounts.models import Membership, Organisation, OrganisationKind, Region, Role, User
from core.errors import RuleViolation
from inventory.models import DiseaseDrug
from prescriptions.models import Prescription, PrescriptionKind, PrescriptionSource
from prescriptions.services import ItemInput, prescription_create
from tests.factories import member
from tests.factories.inventory import DrugFactory
from tests.factories.patients import hospital, patient
from tests.factories.prescriptions import MAY, PNG, World, codes, issue, png, record, world

pytestmark = pytest.mark.django_db


def second_drug(w: World) -> Any:
    drug = DrugFactory.create(insurance_code="XC09AA0003", generic_name="氨氯地平片")
    DiseaseDrug.objects.create(disease=w.enrolment.disease, drug=drug)
    return drug


def other_pharmacist() -> User:
    return world(2).pharmacist


# --- The physician -----------------------------------------------------------------------


def test_hy_f04_physician_issues_a_free_prescription_of_several_items(client_for: Any) -> None:
    w = world()
    amlodipine = second_drug(w)
    with time_machine.travel(MAY, tick=False):
        c = client_for(w.physician)
        page = c.post(
            "/dispensing/prescriptions/issue/",
            {"lookup": "1", "resident_id": w.patient.resident_id},
        )
        html = page.content.decode()
        assert w.patient.name in html and "HY-F04" in html and "免费" in html
        assert "氨氯地平片" in html and "HY-E02" in html and "30 天" in html
        done = issue(c, w, (w.drug.pk, 30, 30), (amlodipine.pk, 14, 14))
    html = done.content.decode()
    p = Prescription.objects.get()
    assert done.redirect_chain[-1][0] == f"/dispensing/prescriptions/{p.pk}/"
    assert "HY-F04" in html and "0.00 元" in html and "氨氯地平片" in html
    assert p.source == PrescriptionSource.PORTAL and p.physician == w.physician
    assert p.fee == 0 and p.institution == hospital() and p.items.count() == 2
    assert p.items.get(drug=amlodipine).dosage_form == "片剂"  # from the catalogue
    pdf = c.get(f"/dispensing/prescriptions/{p.pk}/slip.pdf")
    text = "".join(pg.extract_text() for pg in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "特门处方笺" in text and "HY-F04" in text and w.patient.name in text


def test_hy_e02_issue_page_refuses_days_beyond_the_normal_and_long_term_limits(
    client_for: Any,
) -> None:
    w = world()
    with time_machine.travel(MAY, tick=False):
        c = client_for(w.physician)
        html = issue(c, w, (w.drug.pk, 31, 31)).content.decode()
        assert "[HY-E02]" in html and "普通处方最多开具 30 天用量" in html
        assert not Prescription.objects.exists()
        html = issue(c, w, (w.drug.pk, 91, 91), kind="long_term").content.decode()
        assert "[HY-E02]" in html and "长期处方最多开具 90 天用量" in html
        assert not Prescription.objects.exists()
        issue(c, w, (w.drug.pk, 90, 90), kind="long_term")
    assert Prescription.objects.get().kind == PrescriptionKind.LONG_TERM


def test_hy_g10_only_drugs_of_the_disease_scope_may_be_prescribed(client_for: Any) -> None:
    w = world()
    outside = DrugFactory.create(insurance_code="XC09AA0004", generic_name="范围外药品")
    with time_machine.travel(MAY, tick=False):
        c = client_for(w.physician)
        page = c.post(
            "/dispensing/prescriptions/issue/",
            {"lookup": "1", "resident_id": w.patient.resident_id},
        ).content.decode()
        assert "范围外药品" not in page
        html = issue(c, w, (outside.pk, 10, 10)).content.decode()
        assert "药品" in html and "选择一个有效的选项" in html
        assert not Prescription.objects.exists()
        with pytest.raises(RuleViolation) as exc:
            prescription_create(
                programme=w.hy,
                patient=w.patient,
                disease=w.enrolment.disease,
                source=PrescriptionSource.PORTAL,
                items=[ItemInput(outside, "", "qd", 10, 10)],
                issued_on=date(2027, 5, 10),
                valid_days=3,
                actor=w.physician,
                institution=hospital(),
            )
        assert exc.value.rule_id == "HY-G10" and "范围外药品" in str(exc.value)
        issue(c, w, (w.drug.pk, 10, 10))
    assert Prescription.objects.count() == 1


def _create_as(w: World, actor: User, institution: Organisation) -> Prescription:
    return prescription_create(
        programme=w.hy,
        patient=w.patient,
        disease=w.enrolment.disease,
        source=PrescriptionSource.PORTAL,
        items=[ItemInput(w.drug, "", "qd", 10, 10)],
        issued_on=date(2027, 5, 10),
        valid_days=3,
        actor=actor,
        institution=institution,
        kind=PrescriptionKind.LONG_TERM,  # several this month (HY 五(二) allows only those)
    )


def test_gy_e02_only_an_active_physician_of_the_hospital_may_issue(client_for: Any) -> None:
    w = world()
    clerk = member(Role.WINDOW_CLERK, organisation=hospital())
    with time_machine.travel(MAY, tick=False):
        for actor in (clerk, w.pharmacist):
            with pytest.raises(RuleViolation) as exc:
                _create_as(w, actor, hospital())
            assert exc.value.rule_id == "GY-E02"
        # A physician of another hospital cannot issue in this hospital's name
        elsewhere = member(Role.PHYSICIAN, organisation=hospital("衡阳县中医医院"))
        with pytest.raises(RuleViolation) as exc:
            _create_as(w, elsewhere, hospital())
        assert exc.value.rule_id == "GY-E02"
        Membership.objects.filter(user=w.physician).update(is_active=False)
        with pytest.raises(RuleViolation) as exc:
            _create_as(w, w.physician, hospital())
        assert exc.value.rule_id == "GY-E02"
        Membership.objects.filter(user=w.physician).update(is_active=True)
        assert _create_as(w, w.physician, hospital()).physician == w.physician
        # The page itself is the physicians' only
        assert client_for(w.pharmacist).get("/dispensing/prescriptions/issue/").status_code == 404
        assert client_for(clerk).get("/dispensing/prescriptions/issue/").status_code == 404


def test_gy_d02_a_hospital_outside_the_programme_region_may_not_issue_for_it() -> None:
    w = world()
    guiyang = Organisation.objects.create(
        kind=OrganisationKind.HOSPITAL,
        name="贵阳市第一人民医院",
        region=Region.objects.get(code="520100"),
        hospital_level="3",
    )
    physician = member(Role.PHYSICIAN, organisation=guiyang)
    with time_machine.travel(MAY, tick=False):
        with pytest.raises(RuleViolation) as exc:
            _create_as(w, physician, guiyang)
        assert exc.value.rule_id == "GY-D02" and "贵阳市第一人民医院" in str(exc.value)
        assert _create_as(w, w.physician, hospital()).institution_name == "衡阳县人民医院"


def test_hy_g07_physician_finds_only_enrolled_patients(client_for: Any) -> None:
    w = world()
    not_enrolled = patient(7, name="赵未享")
    with time_machine.travel(MAY, tick=False):
        c = client_for(w.physician)
        html = c.post(
            "/dispensing/prescriptions/issue/",
            {"lookup": "1", "resident_id": not_enrolled.resident_id},
        ).content.decode()
        assert "未找到该身份证号的在享特门待遇患者" in html and "处方药品" not in html
        html = c.post(
            "/dispensing/prescriptions/issue/",
            {"lookup": "1", "resident_id": w.patient.resident_id.lower()},
        ).content.decode()
        assert w.enrolment.disease.name in html and "处方药品" in html


# --- The pharmacy ------------------------------------------------------------------------


def test_gy_d02_pharmacy_records_a_paper_prescription_then_dispenses_it(
    client_for: Any,
) -> None:
    w = world()
    with time_machine.travel(MAY, tick=False):
        c = client_for(w.pharmacist)
        page = c.post(
            "/dispensing/prescriptions/record/",
            {"lookup": "1", "resident_id": w.patient.resident_id},
        )
        assert "签名或盖章" in page.content.decode()
        html = record(c, w).content.decode()
        assert "[GY-D02]" in html and "请上传医师签名或盖章的处方图片" in html
        text = SimpleUploadedFile("seal.png", b"not an image at all", content_type="image/png")
        html = record(c, w, seal_image=text).content.decode()
        assert "PDF、JPEG 或 PNG" in html
        assert not Prescription.objects.exists()
        done = record(c, w, seal_image=png("seal.png"))
    p = Prescription.objects.get()
    assert p.source == PrescriptionSource.PAPER and p.recorded_at_pharmacy == w.pharmacy
    assert p.physician_name == "李医生" and p.institution_name == "衡阳市第一人民医院"
    # … lands on the counter with the patient and the new prescription ready to dispense
    assert done.redirect_chain[-1][0].startswith("/dispensing/counter/?p=")
    html = done.content.decode()
    assert "已录入" in html and p.number in html and "李医生" in html
    with time_machine.travel(MAY, tick=False):
        item = p.items.get()
        dispensed = c.post(
            f"/dispensing/counter/{p.pk}/dispense/",
            {
                f"qty_{item.pk}": "5",
                f"price_{item.pk}": "9.50",
                f"codes_{item.pk}": "\n".join(codes(5)),
                "identity_confirmed": "1",
                "patient_signed": "1",
            },
            follow=True,
        )
        assert "结算成功" in dispensed.content.decode()
        detail = c.get(f"/dispensing/prescriptions/{p.pk}/").content.decode()
    assert "剩余待配" in detail and "<strong>15</strong>" in detail
    seal = c.get(f"/dispensing/prescriptions/{p.pk}/seal/")
    assert seal["Content-Type"] == "image/png" and seal.content == PNG


def test_gy_d02_an_e_prescription_needs_its_trace_code_and_is_recorded_once(
    client_for: Any,
) -> None:
    w = world()
    with time_machine.travel(MAY, tick=False):
        c = client_for(w.pharmacist)
        html = record(c, w, source="electronic").content.decode()
        assert "[GY-D02]" in html and "电子处方须有处方追溯码" in html
        record(c, w, source="electronic", trace_code="EP2027051000001")
        html = record(c, w, source="electronic", trace_code="EP2027051000001").content.decode()
        assert "[GY-D02]" in html and "已经录入" in html
    p = Prescription.objects.get()
    assert p.source == PrescriptionSource.ELECTRONIC and p.trace_code == "EP2027051000001"
    assert not p.seal_image


def test_counter_lists_portal_and_own_recorded_prescriptions_only(client_for: Any) -> None:
    w = world()
    other = world(2)
    # The same patient also chose the second pharmacy
    from patients.services import enrolment_choose_institution

    with time_machine.travel(MAY, tick=False):  # HY-G05: while the pharmacy is designated
        enrolment_choose_institution(
            enrolment=w.enrolment, actor=other.pharmacist, organisation=other.pharmacy.organisation
        )
    with time_machine.travel(MAY, tick=False):
        portal = w.prescription()
        record(client_for(other.pharmacist), w, seal_image=png("seal.png"))
        elsewhere = Prescription.objects.get(source=PrescriptionSource.PAPER)
        mine = client_for(w.pharmacist)
        html = mine.post("/dispensing/counter/", {"resident_id": w.patient.resident_id})
        html = html.content.decode()
        assert portal.number in html and elsewhere.number not in html
        theirs = client_for(other.pharmacist)
        html = theirs.post("/dispensing/counter/", {"resident_id": w.patient.resident_id})
        html = html.content.decode()
        assert portal.number in html and elsewhere.number in html
        item = elsewhere.items.get()
        refused = mine.post(
            f"/dispensing/counter/{elsewhere.pk}/dispense/", {f"qty_{item.pk}": "1"}
        )
        assert refused.status_code == 404


# --- Lists, scoping, downloads -------------------------------------------------------------


def test_prescription_list_is_scoped_and_its_query_count_pinned(
    client_for: Any, django_assert_max_num_queries: Any
) -> None:
    w = world()
    colleague = member(Role.PHYSICIAN, organisation=hospital())
    with time_machine.travel(MAY, tick=False):
        for _i in range(3):
            w.prescription(kind=PrescriptionKind.LONG_TERM)  # several this month
        c = client_for(w.physician)
        # 12: the month choices and the pagination count included (core.lists); constant in rows.
        with django_assert_max_num_queries(12):
            mine = c.get("/dispensing/prescriptions/").content.decode()
        assert mine.count("/dispensing/prescriptions/") >= 3 and "0/30" in mine
        for _i in range(3):
            _create_as(w, colleague, hospital())
        with django_assert_max_num_queries(12):
            everyone = c.get("/dispensing/prescriptions/", {"all": "1"}).content.decode()
        assert len(Prescription.objects.all()) == 6
        numbers = list(Prescription.objects.values_list("number", flat=True))
        assert all(n in everyone for n in numbers)
        assert sum(n in c.get("/dispensing/prescriptions/").content.decode() for n in numbers) == 3
        pc = client_for(w.pharmacist)
        record(pc, w, seal_image=png("seal.png"))
        with django_assert_max_num_queries(12):
            ph = pc.get("/dispensing/prescriptions/").content.decode()
    recorded = Prescription.objects.get(source=PrescriptionSource.PAPER)
    assert recorded.number in ph and not any(n in ph for n in numbers)
    outsider = client_for(other_pharmacist()).get("/dispensing/prescriptions/").content.decode()
    assert recorded.number not in outsider


def test_outsiders_get_404_on_prescription_pages_and_downloads(
    client_for: Any, outsider_pharmacy_manager: User
) -> None:
    w = world()
    with time_machine.travel(MAY, tick=False):
        portal = w.prescription()
        record(client_for(w.pharmacist), w, seal_image=png("seal.png"))
    paper = Prescription.objects.get(source=PrescriptionSource.PAPER)
    outsider_physician = member(Role.PHYSICIAN, organisation=hospital("衡阳县中医医院"))
    outsider_pharmacist = other_pharmacist()
    urls = [
        f"/dispensing/prescriptions/{paper.pk}/",
        f"/dispensing/prescriptions/{paper.pk}/slip.pdf",
        f"/dispensing/prescriptions/{paper.pk}/seal/",
        f"/dispensing/prescriptions/{portal.pk}/",
        f"/dispensing/prescriptions/{portal.pk}/slip.pdf",
    ]
    for outsider in (outsider_pharmacy_manager, outsider_physician, outsider_pharmacist):
        c = client_for(outsider)
        for url in urls:
            assert c.get(url).status_code == 404, (outsider.username, url)
    # The owners do see them: the recording pharmacy the paper one, the hospital its own
    ph = client_for(w.pharmacist)
    assert all(ph.get(u).status_code == 200 for u in urls[:3])
    doc = client_for(w.physician)
    assert all(doc.get(u).status_code == 200 for u in urls[3:])
    assert doc.get(urls[0]).status_code == 404
    assert doc.get(f"/dispensing/prescriptions/{portal.pk}/seal/").status_code == 404  # no image
    # The record page finds only patients who chose the pharmacy
    html = (
        client_for(outsider_pharmacist)
        .post(
            "/dispensing/prescriptions/record/",
            {"lookup": "1", "resident_id": w.patient.resident_id},
        )
        .content.decode()
    )
    assert "未找到该身份证号的特门患者" in html and w.patient.name not in html
    assert (
        client_for(outsider_pharmacist)
        .post("/dispensing/prescriptions/record/", {"resident_id": w.patient.resident_id})
        .status_code
        == 400
    )
    assert Prescription.objects.count() == 2


def test_workspaces_link_the_prescription_pages(client_for: Any) -> None:
    w = world()
    doc = client_for(w.physician).get("/accounts/workspace/physician/").content.decode()
    assert "/dispensing/prescriptions/issue/" in doc and "/dispensing/prescriptions/" in doc
    ph = client_for(w.pharmacist).get("/accounts/workspace/pharmacist/").content.decode()
    assert "/dispensing/prescriptions/record/" in ph and "/dispensing/counter/" in ph


def test_issue_page_serves_its_item_script_itself(client_for: Any) -> None:
    w = world()
    with time_machine.travel(MAY, tick=False):
        html = (
            client_for(w.physician)
            .post(
                "/dispensing/prescriptions/issue/",
                {"lookup": "1", "resident_id": w.patient.resident_id},
            )
            .content.decode()
        )
    assert '<script src="/static/js/prescription-items.js">' in html and "//cdn" not in html
    assert 'name="items-TOTAL_FORMS"' in html and "items-__prefix__-drug" in html
