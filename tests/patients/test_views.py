"""Pages: the journey through the views, outsiders get 404, lists pin their queries."""

from __future__ import annotations

from datetime import date
from io import BytesIO
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client
from openpyxl import load_workbook
from pypdf import PdfReader

from accounts.models import OrganisationKind, Role
from patients.models import (
    Enrolment,
    Filing,
    FilingStatus,
    HospitalProfile,
    Patient,
    ResidentIdReveal,
    Roster,
)
from patients.services import enrolment_choose_institution
from programmes.selectors import standard_in_force
from tests.browserlike import form_as_submitted
from tests.factories import member
from tests.factories.patients import (
    bureau,
    clerk,
    county_window,
    disease,
    enrol,
    hospital,
    lodge,
    org,
    patient,
    pharmacy_org,
    resident_id,
    township_window,
)
from tests.factories.sessions import login

pytestmark = pytest.mark.django_db
APRIL = "2027-04-12 10:00 +0800"


def _as(user: Any) -> Client:
    return login(Client(), user)


def test_window_clerk_lodges_through_the_page_and_refusal_is_shown() -> None:
    window = township_window()
    user = clerk(window, username="township_clerk")
    data = {
        "resident_id": resident_id(7),
        "name": "陈国强",
        "insured_type": "resident",
        "disease": disease("TM103").pk,
        "reviewing_hospital": hospital().pk,
        "records_hospital": "衡阳县人民医院",
        "records_hospital_level": "2",
        "materials_received": [
            "front_page",
            "diagnosis",
            "admission_discharge",
            "examination",
            "id_copy",
            "card_copy",
        ],
    }
    with time_machine.travel("2026-11-24 10:00 +0800", tick=False):
        c = _as(user)
        page = c.get("/tm/lodge/")
        assert "2027-04-01 至 2027-04-30" in page.content.decode()
        refused = c.post("/tm/lodge/", data, follow=True)
        assert "HY-G04" in refused.content.decode()
    with time_machine.travel(APRIL, tick=False):
        c = _as(user)
        done = c.post("/tm/lodge/", data)
        filing = Filing.objects.get()
        assert done.status_code == 302 and filing.window == window
        found = c.post("/tm/lodge/", {"lookup": "1", "resident_id": resident_id(7)})
        assert "已找到患者" in found.content.decode()
        # A resident ID in the query string is ignored: no lookup happens.
        ignored = c.get(f"/tm/lodge/?resident_id={resident_id(7)}")
        assert "已找到患者" not in ignored.content.decode()
        receipt = c.get(f"/tm/filings/{filing.pk}/receipt/")
    assert "特门申报受理回执" in receipt.content.decode()


def test_full_flow_through_pages_reaches_enrolment() -> None:
    h = hospital()
    with time_machine.travel(APRIL, tick=False):
        filing = lodge(patient())
    hosp = _as(clerk(h, username="hosp_clerk"))
    hosp.post(
        f"/tm/filings/{filing.pk}/preliminary/", {"confirmed": "1", "passed": "1", "reason": ""}
    )
    hosp.post("/tm/rosters/submit/", {"confirmed": "1"})
    roster = Roster.objects.get()
    officer = member(Role.BENEFITS_OFFICER, organisation=bureau(), username="officer")
    expert = member(Role.EXPERT_REVIEWER, organisation=bureau(), username="expert")
    _as(officer).post(f"/tm/filings/{filing.pk}/assign/", {"expert": expert.pk})
    _as(expert).post(
        f"/tm/filings/{filing.pk}/decide/",
        {"confirmed": "1", "approve": "1", "starts_on": "2027-06-01", "reason": ""},
    )
    filing.refresh_from_db()
    assert filing.status == FilingStatus.APPROVED and filing.roster == roster
    assert Enrolment.objects.get(filing=filing).starts_on.isoformat() == "2027-06-01"


def test_roster_pdf_and_excel_contain_the_patients() -> None:
    h = hospital()
    with time_machine.travel(APRIL, tick=False):
        enrol(patient(name="王建华"))
    roster = Roster.objects.get()
    c = _as(clerk(h, username="hosp_clerk"))
    pdf = c.get(f"/tm/rosters/{roster.pk}/pdf/")
    text = "".join(p.extract_text() for p in PdfReader(BytesIO(pdf.content)).pages)
    assert "初审通过名册" in text and "王建华" in text
    xlsx = c.get(f"/tm/rosters/{roster.pk}/xlsx/")
    sheet = load_workbook(BytesIO(xlsx.content)).active
    assert sheet is not None and sheet.cell(row=2, column=2).value == "王建华"


def test_outsider_hospital_gets_404_on_another_hospitals_filings_rosters_and_files() -> None:
    h = hospital()
    with time_machine.travel(APRIL, tick=False):
        enrol(patient())
    filing = Filing.objects.get()
    roster = Roster.objects.get()
    c = _as(clerk(h, username="owner"))
    png = BytesIO(b"\x89PNG\r\n\x1a\n" + b"0" * 32)
    png.name = "scan.png"
    c.post(f"/tm/filings/{filing.pk}/materials/", {"kind": "id_copy", "file": png})
    material = filing.materials.get()
    assert c.get(f"/tm/materials/{material.pk}/").status_code == 200
    other = hospital("衡阳县中医医院")
    outsider = _as(clerk(other, username="outsider"))
    for url in (
        f"/tm/filings/{filing.pk}/",
        f"/tm/filings/{filing.pk}/receipt/",
        f"/tm/materials/{material.pk}/",
        f"/tm/rosters/{roster.pk}/",
        f"/tm/rosters/{roster.pk}/pdf/",
        f"/tm/rosters/{roster.pk}/xlsx/",
        f"/tm/people/{filing.patient.pk}/",
    ):
        assert outsider.get(url).status_code == 404, url
    assert (
        outsider.post(
            f"/tm/filings/{filing.pk}/preliminary/", {"confirmed": "1", "passed": "1"}
        ).status_code
        == 404
    )


def test_material_upload_sniffs_content() -> None:
    h = hospital()
    with time_machine.travel(APRIL, tick=False):
        filing = lodge(patient())
    c = _as(clerk(h, username="owner"))
    fake = BytesIO(b"MZ not a scan")
    fake.name = "scan.pdf"
    c.post(f"/tm/filings/{filing.pk}/materials/", {"kind": "id_copy", "file": fake})
    assert not filing.materials.exists()


def test_pharmacy_sees_only_patients_who_chose_it() -> None:
    pharmacy = pharmacy_org("衡阳县康民大药房")
    other = pharmacy_org("衡阳县仁心药店")
    with time_machine.travel(APRIL, tick=False):
        chose = enrol(patient(1, name="王建华"))
        not_chose = enrol(patient(2, name="李秀英"))
        enrolment_choose_institution(
            enrolment=chose, organisation=pharmacy, actor=clerk(hospital())
        )
        enrolment_choose_institution(
            enrolment=not_chose, organisation=other, actor=clerk(hospital())
        )
    c = _as(member(Role.PHARMACIST, organisation=pharmacy, username="pharmacist"))
    page = c.get("/tm/people/").content.decode()
    assert "王建华" in page and "李秀英" not in page
    assert c.get(f"/tm/people/{chose.patient.pk}/").status_code == 200
    assert c.get(f"/tm/people/{not_chose.patient.pk}/").status_code == 404
    assert c.get("/tm/").status_code == 404  # filings are not a pharmacy's business


def test_resident_id_reveal_page_audits_and_pharmacist_cannot_reveal() -> None:
    pharmacy = pharmacy_org("衡阳县康民大药房")
    with time_machine.travel(APRIL, tick=False):
        e = enrol(patient())
        enrolment_choose_institution(enrolment=e, organisation=pharmacy, actor=clerk(hospital()))
    p: Patient = e.patient
    c = _as(clerk(hospital(), username="hosp_clerk"))
    assert p.resident_id not in c.get(f"/tm/people/{p.pk}/").content.decode()
    refused = c.post(f"/tm/people/{p.pk}/reveal/", {"reason": " "})  # no reason, no reveal
    assert refused.status_code == 400 and p.resident_id not in refused.content.decode()
    assert not ResidentIdReveal.objects.exists()
    shown = c.post(f"/tm/people/{p.pk}/reveal/", {"reason": "核对证件"}).content.decode()
    assert p.resident_id in shown
    assert ResidentIdReveal.objects.get(patient=p).reason == "核对证件"
    # The number was shown in that response only: not kept in the session, not shown again.
    session = c.session
    assert not any(p.resident_id in str(v) for v in session.values())
    assert p.resident_id not in str(dict(session.items()))
    assert p.resident_id not in c.get(f"/tm/people/{p.pk}/").content.decode()
    pharmacist = _as(member(Role.PHARMACIST, organisation=pharmacy, username="ph"))
    assert pharmacist.post(f"/tm/people/{p.pk}/reveal/").status_code == 404


def test_lists_pin_their_query_count(django_assert_max_num_queries: Any) -> None:
    with time_machine.travel(APRIL, tick=False):
        for n in range(1, 6):
            lodge(patient(n))
        enrol(patient(9))
    officer = _as(member(Role.BENEFITS_OFFICER, organisation=bureau(), username="officer"))
    hosp = _as(clerk(hospital(), username="hosp_clerk"))
    for c, url, budget in (
        # The officer's filings: + the batch bar's expert choices (their region, then users).
        (officer, "/tm/", 18),
        (officer, "/tm/people/", 16),
        (officer, "/tm/rosters/", 16),
        (hosp, "/tm/", 16),
        (hosp, "/tm/rosters/", 16),
        (hosp, "/tm/stays/", 16),
    ):
        # Filter choices and the pagination count included (core.lists); constant in rows.
        with django_assert_max_num_queries(budget):
            assert c.get(url).status_code == 200


def test_immediate_filing_at_county_centre_through_pages() -> None:
    window = county_window()
    user = clerk(window, username="county")
    data = {
        "resident_id": resident_id(8),
        "name": "赵明",
        "insured_type": "employee",
        "disease": disease("TM003").pk,
        "records_hospital": "衡阳市第一人民医院",
        "records_hospital_level": "3",
        "materials_received": [
            "front_page",
            "diagnosis",
            "admission_discharge",
            "examination",
            "id_copy",
            "card_copy",
        ],
    }
    with time_machine.travel("2026-11-24 10:00 +0800", tick=False):
        c = _as(user)
        c.post("/tm/lodge/", data)
        filing = Filing.objects.get()
        c.post(
            f"/tm/filings/{filing.pk}/immediate/", {"confirmed": "1", "approve": "1", "reason": ""}
        )
    assert Enrolment.objects.get(filing=filing).starts_on.isoformat() == "2026-11-24"


def test_stays_and_retained_cards_pages() -> None:
    h = hospital()
    pharmacy = pharmacy_org("衡阳县康民大药房")
    with time_machine.travel(APRIL, tick=False):
        e = enrol(patient())
        enrolment_choose_institution(enrolment=e, organisation=pharmacy, actor=clerk(h))
    with time_machine.travel("2027-05-10 10:00 +0800", tick=False):
        c = _as(clerk(h, username="hosp_clerk"))
        c.post("/tm/stays/", {"resident_id": e.patient.resident_id, "admitted_on": "2027-05-02"})
        stay = e.patient.stays.get()
        c.post(f"/tm/stays/{stay.pk}/discharge/", {"discharged_on": "2027-05-09"})
    stay.refresh_from_db()
    assert stay.discharged_on is not None
    manager = _as(member(Role.PHARMACY_MANAGER, organisation=pharmacy, username="mgr"))
    manager.post(
        "/tm/retained-cards/",
        {
            "resident_id": e.patient.resident_id,
            "reason_category": "immobile",
            "application_text": "本人行动不便",
        },
    )
    retention = e.patient.card_retentions.get()
    refused = manager.post(f"/tm/retained-cards/{retention.pk}/retain/", follow=True)
    assert "HY-E08" in refused.content.decode()
    centre = org(OrganisationKind.CENTRE, "衡阳县医疗保障事务中心")
    reviewer = _as(member(Role.BUREAU_REVIEWER, organisation=centre, username="rev"))
    reviewer.post(f"/tm/retained-cards/{retention.pk}/approve/", {"confirmed": "1"})
    manager.post(f"/tm/retained-cards/{retention.pk}/retain/")
    retention.refresh_from_db()
    assert retention.status == "retained"
    outsider = _as(
        member(
            Role.PHARMACY_MANAGER,
            organisation=pharmacy_org("衡阳县仁心药店"),
            username="other",
        )
    )
    assert outsider.post(f"/tm/retained-cards/{retention.pk}/return/").status_code == 404


def test_hy_f02_f03_f04_f05_public_page_lists_windows_staff_physicians_and_policy(
    client: Client,
) -> None:
    h = hospital()
    window_person = clerk(h, username="window_person")
    physician = member(Role.PHYSICIAN, organisation=h, username="doctor")
    page = client.get("/tm/hospitals/").content.decode()
    assert "衡阳县人民医院" in page and "门诊收费大厅特门窗口" in page  # HY-F02
    assert window_person.display_name in page and physician.display_name in page  # HY-F03
    assert "免费开具特门用药处方" in page  # HY-F04
    assert "4月和10月" in page and "住院期间不能同时刷特门" in page  # HY-F05
    unlisted = org(OrganisationKind.HOSPITAL, "某民营医院", "2")
    member(Role.PHYSICIAN, organisation=unlisted, username="elsewhere")
    assert "某民营医院" not in client.get("/tm/hospitals/").content.decode()


def test_demo_seed_is_idempotent() -> None:
    call_command("seed_demo", "--quiet")
    call_command("seed_demo", "--quiet")
    assert Patient.objects.filter(name="王建华").count() == 1
    assert Enrolment.objects.filter(patient__name="王建华").count() == 1
    assert Filing.objects.filter(status=FilingStatus.LODGED).count() == 2


def test_benefits_officer_edits_a_disease_with_history_and_outsider_gets_404(
    outsider_bureau_admin: Any,
) -> None:
    officer = _as(member(Role.BENEFITS_OFFICER, organisation=bureau(), username="officer"))
    d = disease("TM101")
    assert officer.get("/tm/diseases/").status_code == 302
    page = officer.get(f"/tm/diseases/HY-TM/{d.pk}/")
    assert page.status_code == 200
    response = officer.post(
        f"/tm/diseases/HY-TM/{d.pk}/",
        {
            "code": d.code,
            "name": d.name,
            "icd10_codes": "I10, I11",
            "category": "normal",
            "monthly_standard": "120",
            "quarterly_standard": "",
            "fund_share_pct": "70",
            "eligible_insured_types": ["employee", "resident"],
            "amounts_are_demo": "on",
            "is_active": "on",
            "reason": "按省文件调整",
        },
    )
    assert response.status_code == 302
    d.refresh_from_db()
    assert d.icd10_codes == ["I10", "I11"]
    # HY-G07: the amounts are reference data — the posted 120 changed nothing
    standard = standard_in_force(disease_id=d.pk, on=date(2027, 1, 1))
    assert standard is not None and standard.monthly_standard == 100
    assert "monthly_standard" not in page.content.decode()
    history = officer.get(f"/tm/diseases/HY-TM/{d.pk}/history/").content.decode()
    assert "按省文件调整" in history and "I10-I15" in history
    expert = _as(member(Role.EXPERT_REVIEWER, organisation=bureau(), username="expert"))
    assert expert.get(f"/tm/diseases/HY-TM/{d.pk}/").status_code == 404
    outsider = login(Client(), outsider_bureau_admin)
    assert outsider.get("/tm/diseases/HY-TM/").status_code == 404
    assert outsider.get(f"/tm/diseases/HY-TM/{d.pk}/history/").status_code == 404


def _xlsx(rows: list[list[Any]]) -> BytesIO:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["身份证号", "入院日期", "出院日期"])
    for row in rows:
        sheet.append(row)
    out = BytesIO()
    book.save(out)
    out.seek(0)
    out.name = "stays.xlsx"
    return out


def test_stay_import_is_all_or_nothing_with_row_errors() -> None:
    h = hospital()
    with time_machine.travel(APRIL, tick=False):
        a = enrol(patient(1)).patient
        b = enrol(patient(2, name="李秀英")).patient
    bad = _xlsx([[a.resident_id, "2027-03-01", None], [b.resident_id, "not a date", None]])
    good = _xlsx([[a.resident_id, "2027-03-01", "2027-03-05"], [b.resident_id, "2027-03-02", None]])
    with time_machine.travel("2027-05-10 10:00 +0800", tick=False):
        c = _as(clerk(h, username="hosp_clerk"))
        page = c.post("/tm/stays/import/", {"file": bad}, follow=True).content.decode()
        assert "第 3 行 B 列" in page
        assert not a.stays.exists()
        c.post("/tm/stays/import/", {"file": good})
    assert a.stays.get().source == "import" and b.stays.get().discharged_on is None
    outsider = _as(member(Role.PHARMACY_MANAGER, organisation=pharmacy_org("x")))
    assert outsider.post("/tm/stays/import/", {"file": _xlsx([])}).status_code == 404


def test_stay_import_refuses_a_zip_bomb_and_a_renamed_executable() -> None:
    import zipfile

    h = hospital()
    a = patient(1)
    c = _as(clerk(h, username="hosp_clerk"))
    bomb = BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * (10 * 1024 * 1024))
    bomb.seek(0)
    bomb.name = "stays.xlsx"
    page = c.post("/tm/stays/import/", {"file": bomb}, follow=True).content.decode()
    assert "疑似压缩炸弹" in page
    renamed = BytesIO(b"PK\x03\x04" + b"\x00" * 200)  # a zip header, not a workbook
    renamed.name = "stays.xlsx"
    page = c.post("/tm/stays/import/", {"file": renamed}, follow=True).content.decode()
    assert "Excel 文件已损坏" in page
    exe = BytesIO(b"MZ\x90\x00\x03" + b"\x00" * 200)
    exe.name = "stays.xlsx"
    page = c.post("/tm/stays/import/", {"file": exe}, follow=True).content.decode()
    assert "请上传 Excel（.xlsx）文件" in page
    assert not a.stays.exists()


def test_benefits_officer_assigns_a_whole_roster_to_an_expert() -> None:
    h = hospital()
    with time_machine.travel(APRIL, tick=False):
        filings = [lodge(patient(n)) for n in (1, 2)]
        hc = clerk(h, username="hosp_clerk")
        from patients.services import filing_preliminary_review, roster_submit

        for f in filings:
            filing_preliminary_review(filing=f, passed=True, reason="", actor=hc, organisation=h)
        roster = roster_submit(hospital=h, actor=hc)
    officer = _as(member(Role.BENEFITS_OFFICER, organisation=bureau(), username="officer"))
    expert = member(Role.EXPERT_REVIEWER, organisation=bureau(), username="expert")
    assert "分配名册中待评审的申报" in officer.get(f"/tm/rosters/{roster.pk}/").content.decode()
    officer.post(f"/tm/rosters/{roster.pk}/assign/", {"expert": expert.pk})
    assert set(roster.filings.values_list("status", flat=True)) == {FilingStatus.ASSIGNED}
    expert_page = _as(expert).get("/tm/").content.decode()
    assert all(f.number in expert_page for f in filings)
    other_expert = _as(member(Role.EXPERT_REVIEWER, organisation=bureau(), username="expert2"))
    assert other_expert.get(f"/tm/filings/{filings[0].pk}/").status_code == 404


def test_expert_rejection_needs_a_reason_the_window_prints_for_the_patient() -> None:
    h = hospital()
    window = township_window()
    with time_machine.travel(APRIL, tick=False):
        filing = lodge(patient(), at=window)
        from patients.services import filing_assign, filing_preliminary_review, roster_submit

        hc = clerk(h, username="hosp_clerk")
        filing_preliminary_review(filing=filing, passed=True, reason="", actor=hc, organisation=h)
        roster_submit(hospital=h, actor=hc)
        officer = member(Role.BENEFITS_OFFICER, organisation=bureau(), username="officer")
        expert = member(Role.EXPERT_REVIEWER, organisation=bureau(), username="expert")
        filing_assign(filing=filing, expert=expert, actor=officer, organisation=bureau())
        e = _as(expert)
        e.post(f"/tm/filings/{filing.pk}/decide/", {"confirmed": "1", "approve": "0", "reason": ""})
        filing.refresh_from_db()
        assert filing.status == FilingStatus.ASSIGNED  # refused: no reason given
        e.post(
            f"/tm/filings/{filing.pk}/decide/",
            {"confirmed": "1", "approve": "0", "reason": "诊断依据不足"},
        )
        filing.refresh_from_db()
        assert filing.status == FilingStatus.REJECTED and not Enrolment.objects.exists()
        receipt = _as(clerk(window, username="township")).get(f"/tm/filings/{filing.pk}/receipt/")
    text = receipt.content.decode()
    assert "特门申报结果告知书" in text and "诊断依据不足" in text


def test_hy_g09_proxy_registered_on_the_patient_page_with_identity() -> None:
    window = county_window()
    with time_machine.travel(APRIL, tick=False):
        e = enrol(patient(), code="TM101")
        c = _as(clerk(hospital(), username="hosp_clerk"))
        base = {"method": "proxy", "valid_from": "2027-04-12", "proxy_name": "王小明"}
        refused = c.post(
            f"/tm/people/{e.patient.pk}/proxies/",
            {**base, "ground": "special_category", "proxy_resident_id": resident_id(60)},
            follow=True,
        )
        assert "HY-G09" in refused.content.decode()
        c.post(
            f"/tm/people/{e.patient.pk}/proxies/",
            {**base, "ground": "bedridden", "proxy_resident_id": resident_id(60)},
        )
    assert e.patient.proxies.get().proxy_resident_id == resident_id(60)
    outsider = _as(clerk(window, username="county"))
    assert outsider.post(f"/tm/people/{e.patient.pk}/proxies/", base).status_code == 404


def test_hy_f02_hospital_keeps_its_published_window_details() -> None:
    h = hospital()
    c = _as(clerk(h, username="hosp_clerk"))
    c.post(
        "/tm/window/",
        {
            "window_location": "门诊一楼收费大厅 8 号窗口",
            "window_phone": "0734-6812345",
            "service_hours": "工作日",
        },
    )
    assert "门诊一楼收费大厅 8 号窗口" in Client().get("/tm/hospitals/").content.decode()
    township = _as(clerk(township_window(), username="township"))
    assert township.get("/tm/window/")["Location"] == "/tm/hospitals/"
    assert township.post("/tm/window/", {"window_location": "x"}).status_code == 302
    assert HospitalProfile.objects.get(organisation=h).window_location != "x"


def test_outsiders_get_404_on_stay_discharge_and_institution_choice() -> None:
    h = hospital()
    with time_machine.travel(APRIL, tick=False):
        e = enrol(patient())
    from patients.services import stay_record

    with time_machine.travel("2027-05-10 10:00 +0800", tick=False):
        stay = stay_record(patient=e.patient, hospital=h, admitted_on=e.starts_on, actor=None)
    other = hospital("衡阳县中医医院")
    outsider = _as(clerk(other, username="outsider"))
    assert (
        outsider.post(
            f"/tm/stays/{stay.pk}/discharge/", {"discharged_on": "2027-06-01"}
        ).status_code
        == 404
    )
    pharmacy = pharmacy_org("衡阳县康民大药房")
    url = f"/tm/people/{e.patient.pk}/enrolments/{e.pk}/choose/"
    county = _as(clerk(county_window(), username="county"))
    assert county.post(url, {"confirmed": "1", "organisation": pharmacy.pk}).status_code == 404
    owner = _as(clerk(h, username="owner"))
    owner.post(url, {"confirmed": "1", "organisation": pharmacy.pk})
    assert e.choices.get().organisation == pharmacy


def test_expert_approves_with_the_rendered_start_date_posted_back_unchanged() -> None:
    # Given a filing assigned to an expert, whose page pre-fills today as the start date
    h = hospital()
    with time_machine.travel(APRIL, tick=False):
        filing = lodge(patient())
        from patients.services import filing_assign, filing_preliminary_review, roster_submit

        hc = clerk(h, username="hosp_clerk")
        filing_preliminary_review(filing=filing, passed=True, reason="", actor=hc, organisation=h)
        roster_submit(hospital=h, actor=hc)
        officer = member(Role.BENEFITS_OFFICER, organisation=bureau(), username="officer")
        expert = member(Role.EXPERT_REVIEWER, organisation=bureau(), username="expert")
        filing_assign(filing=filing, expert=expert, actor=officer, organisation=bureau())
        e = _as(expert)
        # When the expert submits the decision form as the zh-hans page renders it
        page = e.get(f"/tm/filings/{filing.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans")
        action = f"/tm/filings/{filing.pk}/decide/"
        data, raw = form_as_submitted(page.content.decode(), action)
        assert "approve" not in data  # no decision pre-selected (issue 16.3): the expert chooses
        done = e.post(action, {**data, "approve": "1", "confirmed": "1"}, follow=True)
    # Then the filing is approved from the date shown, not refused with 须填写待遇开始日期
    assert "须填写待遇开始日期" not in done.content.decode()
    filing.refresh_from_db()
    assert filing.status == FilingStatus.APPROVED
    assert Enrolment.objects.get(filing=filing).starts_on.isoformat() == "2027-04-12"
    assert raw["starts_on"] == "2027-04-12"  # ISO, the only form <input type="date"> keeps
