"""Pages: the pharmacy applies, the reviewer works the application, the public reads notices."""

from __future__ import annotations

from datetime import date
from io import BytesIO
from typing import Any

import pytest
import time_machine
from django.test import Client
from openpyxl import load_workbook
from pypdf import PdfReader

from accounts.models import User
from accreditation import services
from accreditation.models import Application, ApplicationStatus
from tests.factories import accreditation as h
from tests.factories.sessions import login

pytestmark = pytest.mark.django_db


def _pdf_text(content: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(BytesIO(content)).pages)


def _client(user: User) -> Client:
    return login(Client(), user)


@time_machine.travel(date(2026, 3, 2))
def test_manager_opens_uploads_pledges_and_submits_in_the_browser_forms() -> None:
    pharmacy = h.pharmacy()
    manager = h.manager_of(pharmacy)
    client = _client(manager)
    page = client.get("/accreditation/applications/")
    assert page.status_code == 200 and "资格自查" in page.content.decode()
    assert "HY-A05" in page.content.decode()
    response = client.post("/accreditation/applications/", {"programme": h.hy().pk})
    application = Application.objects.get(pharmacy=pharmacy)
    assert response.status_code == 302
    from accreditation.checklists import uploadable_kinds

    for kind in uploadable_kinds("HY-TM"):
        client.post(
            f"/accreditation/applications/{application.pk}/upload/",
            {"kind": kind, "file": h.pdf(f"{kind}.pdf")},
        )
    client.post(
        f"/accreditation/applications/{application.pk}/do/pledges/",
        {"truthful": "on", "security": "on"},
    )
    client.post(f"/accreditation/applications/{application.pk}/do/submit/", {"confirmed": "1"})
    application.refresh_from_db()
    assert application.status == ApplicationStatus.SUBMITTED


@time_machine.travel(date(2026, 3, 2))
def test_refused_submission_shows_the_rule_and_reason() -> None:
    pharmacy = h.pharmacy(pharmacists=1)
    manager = h.manager_of(pharmacy)
    application = h.draft(pharmacy, h.hy(), manager)
    client = _client(manager)
    response = client.post(
        f"/accreditation/applications/{application.pk}/do/submit/", {"confirmed": "1"}, follow=True
    )
    assert "[HY-A05]" in response.content.decode()
    application.refresh_from_db()
    assert application.status == ApplicationStatus.DRAFT


def test_reviewer_takes_an_application_to_agreement_and_pdfs_carry_chinese_text() -> None:
    pharmacy = h.pharmacy(name="衡阳县康宁大药房")
    manager, reviewer = h.manager_of(pharmacy), h.reviewer()
    rc = _client(reviewer)
    with time_machine.travel(date(2026, 9, 28)):
        application = h.submitted(pharmacy, h.hy(), manager)
        base = f"/accreditation/applications/{application.pk}"
        for action in ("accept", "inspect"):
            assert rc.post(f"{base}/do/{action}/", {"confirmed": "1"}).status_code == 302
        items = dict.fromkeys(h.all_items(application), "on")
        rc.post(f"{base}/do/inspection/", {**items, "notes": "现场查勘符合要求"})
        rc.post(
            f"{base}/do/pass/",
            {"confirmed": "1", "note": "评估合格", "acknowledged": h.soft_failures(application)},
        )
        application.refresh_from_db()
        assert application.status == ApplicationStatus.PASSED
        public = Client().get("/public/notices/").content.decode()
        assert "衡阳县康宁大药房" in public and "2026-10-10" in public
        detail = rc.get(f"/accreditation/review/{application.pk}/").content.decode()
        assert "办理记录" in detail and "HY-C03" in detail
        form = rc.get(f"{base}/form.pdf")
        assert "基本医疗保险特门服务药店申请表" in _pdf_text(form.content)
    with time_machine.travel(date(2026, 10, 12)):
        rc = _client(reviewer)  # a new session: the old one idled out over the notice period
        rc.post(f"{base}/do/sign/", {"confirmed": "1"})
        application.refresh_from_db()
        assert application.status == ApplicationStatus.SIGNED
        agreement = _client(manager).get(f"{base}/agreement.pdf")
        text = _pdf_text(agreement.content)
        assert "特门服务定点零售药店服务协议" in text and "衡阳县康宁大药房" in text
        assert "2027年10月12日" in text
        xlsx = Client().get("/public/designated/HY-TM.xlsx")
        sheet = load_workbook(BytesIO(xlsx.content)).active
        assert sheet is not None
        assert [c.value for c in sheet[2]][1:3] == ["衡阳县康宁大药房", pharmacy.credit_code]


@time_machine.travel(date(2026, 3, 2))
def test_hy_c04_feedback_letter_pdf_names_the_reason() -> None:
    pharmacy = h.pharmacy()
    manager, reviewer = h.manager_of(pharmacy), h.reviewer()
    application = services.application_accept(
        application=h.submitted(pharmacy, h.hy(), manager), actor=reviewer
    )
    rc = _client(reviewer)
    base = f"/accreditation/applications/{application.pk}"
    assert rc.get(f"{base}/feedback.pdf").status_code == 404  # not failed yet
    rc.post(f"{base}/do/fail/", {"confirmed": "1", "note": "执业药师未在岗"})
    rc.post(f"{base}/do/feedback/", {"confirmed": "1"})
    text = _pdf_text(_client(manager).get(f"{base}/feedback.pdf").content)
    assert "定点药店评估结果反馈函" in text and "执业药师未在岗" in text


@time_machine.travel(date(2026, 3, 2))
def test_outsider_pharmacy_gets_404_on_another_application_its_files_and_staff(
    outsider_pharmacy_manager: User,
) -> None:
    pharmacy = h.pharmacy()
    manager = h.manager_of(pharmacy)
    application = h.submitted(pharmacy, h.hy(), manager)
    document = application.documents.first()
    assert document is not None
    from pharmacies.models import EvidenceKind
    from pharmacies.services import staff_evidence_upload

    staff = pharmacy.staff.first()
    assert staff is not None
    evidence = staff_evidence_upload(
        staff=staff, kind=EvidenceKind.LABOUR_CONTRACT, month=None, upload=h.pdf(), actor=manager
    )
    base = f"/accreditation/applications/{application.pk}"
    outsider = _client(outsider_pharmacy_manager)
    for url in (
        f"{base}/",
        f"{base}/form.pdf",
        f"/accreditation/documents/{document.pk}/",
        f"/pharmacy/staff/{staff.pk}/",
        f"/pharmacy/evidence/{evidence.pk}/",
    ):
        assert outsider.get(url).status_code == 404, url
    assert outsider.post(f"{base}/do/submit/", {"confirmed": "1"}).status_code == 404
    # the owner reads them
    own = _client(manager)
    assert own.get(f"/accreditation/documents/{document.pk}/").content.startswith(b"%PDF")
    assert own.get(f"/pharmacy/evidence/{evidence.pk}/").status_code == 200


@time_machine.travel(date(2026, 3, 2))
def test_outsider_bureau_does_not_see_another_regions_applications(
    outsider_bureau_admin: User,
) -> None:
    pharmacy = h.pharmacy()
    application = h.submitted(pharmacy, h.hy(), h.manager_of(pharmacy))
    client = _client(outsider_bureau_admin)
    assert client.get(f"/accreditation/review/{application.pk}/").status_code == 404
    assert "测试药房" not in client.get("/accreditation/review/").content.decode()


@time_machine.travel(date(2026, 3, 2))
def test_worklist_filters_sorts_shows_badges_with_pinned_queries(
    django_assert_max_num_queries: Any,
) -> None:
    reviewer = h.reviewer()
    for _ in range(4):
        pharmacy = h.pharmacy()
        application = h.submitted(pharmacy, h.hy(), h.manager_of(pharmacy))
        services.application_accept(application=application, actor=reviewer)
    client = _client(reviewer)
    with django_assert_max_num_queries(13):  # 12 + the paginator count
        response = client.get("/accreditation/review/?sort=due&programme=HY-TM")
    body = response.content.decode()
    assert body.count("剩 ") == 4
    with time_machine.travel(date(2026, 6, 10)):
        body = _client(reviewer).get("/accreditation/review/?status=accepted").content.decode()
        assert 'data-testid="overdue"' in body and "已逾期 8 天" in body


@time_machine.travel(date(2026, 3, 2))
def test_pharmacy_pages_profile_and_staff(django_assert_max_num_queries: Any) -> None:
    pharmacy = h.pharmacy()
    manager = h.manager_of(pharmacy)
    client = _client(manager)
    assert "统一社会信用代码" in client.get("/pharmacy/profile/").content.decode()
    with django_assert_max_num_queries(15):
        body = client.get("/pharmacy/staff/").content.decode()
    staff = pharmacy.staff.first()
    assert staff is not None
    assert staff.masked_resident_id in body and staff.resident_id not in body
    assert client.get("/accreditation/designations/").status_code == 200
    # a reviewer has no pharmacy profile page
    assert _client(h.reviewer()).get("/pharmacy/profile/").status_code == 404


def test_public_pages_need_no_login() -> None:
    client = Client()
    assert client.get("/public/notices/").status_code == 200
    assert client.get("/public/designated/").status_code == 200
    assert client.get("/public/designated/XX-YY.xlsx").status_code == 404


def test_gy_e01_designated_list_exports_to_excel_for_filing() -> None:
    from accreditation.models import Designation

    listed = h.pharmacy(name="贵阳市康泰大药房", region_code="520100")
    Designation.objects.create(
        pharmacy=listed, programme=h.gy(), starts_on=date(2026, 1, 1), ends_on=date(2026, 12, 31)
    )
    unlisted = h.pharmacy(name="贵阳市未定点药房", region_code="520100")
    with time_machine.travel(date(2026, 6, 1)):
        response = Client().get("/public/designated/GY-PT.xlsx")
    assert response["Content-Disposition"].endswith('designated-GY-PT-20260601.xlsx"')
    sheet = load_workbook(BytesIO(response.content)).active
    assert sheet is not None
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0][:3] == ["序号", "药店名称", "统一社会信用代码"]
    assert [r[1] for r in rows[1:]] == ["贵阳市康泰大药房"]
    assert unlisted.name not in str(rows)


@time_machine.travel(date(2026, 3, 2))
def test_hy_d01_the_portal_generates_the_application_form() -> None:
    pharmacy = h.pharmacy(name="衡阳县仁和药房")
    manager = h.manager_of(pharmacy)
    application = h.draft(pharmacy, h.hy(), manager)
    response = _client(manager).get(f"/accreditation/applications/{application.pk}/form.pdf")
    text = _pdf_text(response.content)
    assert "基本医疗保险特门服务药店申请表" in text
    assert "衡阳县仁和药房" in text and pharmacy.credit_code in text
    staff = pharmacy.staff.filter(licensed_pharmacist=True).first()
    assert staff is not None
    assert staff.masked_resident_id in text and staff.resident_id not in text


def test_outsider_gets_404_on_designation_pages_and_official_documents(
    outsider_pharmacy_manager: User, outsider_bureau_admin: User
) -> None:
    pharmacy = h.pharmacy()
    manager, reviewer = h.manager_of(pharmacy), h.reviewer()
    with time_machine.travel(date(2026, 3, 2)):
        signed = h.passed(pharmacy, h.hy(), manager, reviewer)
    with time_machine.travel(date(2026, 3, 20)):
        designation = services.application_sign_agreement(application=signed, actor=reviewer)
        other = h.pharmacy()
        failed = services.application_accept(
            application=h.submitted(other, h.hy(), h.manager_of(other)), actor=reviewer
        )
        services.application_fail(application=failed, reason="不合格", actor=reviewer)
        urls = [
            f"/accreditation/designations/{designation.pk}/",
            f"/accreditation/applications/{signed.pk}/agreement.pdf",
            f"/accreditation/applications/{failed.pk}/feedback.pdf",
        ]
        for outsider in (outsider_pharmacy_manager, outsider_bureau_admin):
            client = _client(outsider)
            for url in urls:
                assert client.get(url).status_code == 404, url
            assert (
                client.post(
                    f"/accreditation/designations/{designation.pk}/assess/",
                    {"confirmed": "1", "result": "passed"},
                ).status_code
                == 404
            )
        # the pharmacy itself may read but not assess its designation
        own = _client(manager)
        assert own.get(urls[0]).status_code == 200
        assert own.get(urls[1]).status_code == 200
        assert (
            own.post(
                f"/accreditation/designations/{designation.pk}/assess/", {"confirmed": "1"}
            ).status_code
            == 404
        )


@time_machine.travel(date(2026, 3, 2))
def test_reviewer_records_assessment_and_violation_in_the_designation_page() -> None:
    from accreditation.models import Designation, DesignationStatus

    pharmacy = h.pharmacy()
    reviewer = h.reviewer()
    designation = Designation.objects.create(
        pharmacy=pharmacy, programme=h.hy(), starts_on=date(2025, 4, 1), ends_on=date(2026, 3, 31)
    )
    client = _client(reviewer)
    base = f"/accreditation/designations/{designation.pk}"
    response = client.post(
        f"{base}/assess/",
        {"confirmed": "1", "result": "failed", "notes": "药师不在岗"},
        follow=True,
    )
    assert "整改期" in response.content.decode()  # refused without a rectification end
    client.post(
        f"{base}/assess/",
        {
            "confirmed": "1",
            "result": "failed",
            "notes": "药师不在岗",
            "rectification_until": "2026-03-30",
        },
    )
    designation.refresh_from_db()
    assert designation.status == DesignationStatus.RECTIFICATION
    client.post(
        f"{base}/violation/",
        {
            "confirmed": "1",
            "found_on": "2026-03-01",
            "finding": "串换药品",
            "rule_id": "HY-E10",
            "decision": "refuse_payment",
            "refused_amount": "560.00",
        },
    )
    page = client.get(f"{base}/").content.decode()
    assert "拒付相关费用" in page and "560.00" in page


def test_list_pages_keep_their_query_count_as_rows_grow(django_assert_max_num_queries: Any) -> None:
    from accreditation.models import Designation

    reviewer = h.reviewer()
    for _ in range(5):
        pharmacy = h.pharmacy()
        Designation.objects.create(
            pharmacy=pharmacy,
            programme=h.hy(),
            starts_on=date(2026, 1, 1),
            ends_on=date(2026, 12, 31),
        )
        for i in range(3):
            pharmacy.staff.create(
                name=f"加员{i}",
                post="biller",
                resident_id=h.resident_id(600 + i),
                hired_on=date(2025, 1, 1),
            )
    client = _client(reviewer)
    anonymous = Client()
    with time_machine.travel(date(2026, 3, 2)):
        # Session and scope, the page count, the programme filter's choices, the rows.
        with django_assert_max_num_queries(13):
            assert client.get("/accreditation/designations/").status_code == 200
        with django_assert_max_num_queries(6):
            assert anonymous.get("/public/designated/").status_code == 200
        with django_assert_max_num_queries(4):
            assert anonymous.get("/public/notices/").status_code == 200
        manager = _client(h.manager_of(pharmacy))
        # The staff list's page count and filter choices included (core.lists).
        with django_assert_max_num_queries(16):
            body = manager.get("/pharmacy/staff/").content.decode()
        assert body.count("加员") == 3
        with django_assert_max_num_queries(40):
            assert manager.get("/accreditation/applications/").status_code == 200
