"""HY-G07 payment standards as versioned reference data (issue 15.6): loaded from a file with
its source and date, in force from a date; accounts and sales already made keep theirs."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client

from accounts.models import Role
from core.errors import RuleViolation
from prescriptions.models import QuotaAccount
from prescriptions.selectors import quota_status
from programmes.models import Disease, Programme, ReferenceVersion
from programmes.reference import HY_STANDARDS_DATE, HY_STANDARDS_SOURCE, hy_standard_rows
from programmes.selectors import standard_in_force
from programmes.standards import load_reference, render_reference
from tests.factories import member
from tests.factories.patients import bureau
from tests.factories.prescriptions import submit, world
from tests.factories.sessions import force_login_verified, login

pytestmark = pytest.mark.django_db

SHIPPED = Path(settings.BASE_DIR) / "programmes" / "reference_data" / "HY-TM.csv"


def _file(changes: dict[str, dict[str, Any]], *, source: str = "湘医保发〔2027〕1号") -> bytes:
    """The HY-TM file with some rows changed (by code)."""
    rows = [{**r, **changes.get(r["code"], {})} for r in hy_standard_rows()]
    return render_reference(
        programme_code="HY-TM", source=source, source_date=date(2027, 5, 20), rows=rows
    )


def test_hy_g07_shipped_file_is_version_one_from_the_programme_start() -> None:
    hy = Programme.objects.get(code="HY-TM")
    version = ReferenceVersion.objects.get(programme=hy)
    assert (version.number, version.effective_from) == (1, hy.valid_from)
    assert (version.source_document, version.source_date) == (
        HY_STANDARDS_SOURCE,
        HY_STANDARDS_DATE,
    )
    tm101 = Disease.objects.get(programme=hy, code="TM101")
    before = standard_in_force(disease_id=tm101.pk, on=date(2024, 9, 30))
    assert before is None  # nothing in force before the programme starts
    standard = standard_in_force(disease_id=tm101.pk, on=date(2024, 10, 1))
    assert standard is not None and standard.monthly_standard == Decimal("100.00")


def test_hy_g07_new_version_applies_from_its_date_and_earlier_sales_keep_theirs() -> None:
    w = world()
    with time_machine.travel("2027-05-10 10:00 +0800", tick=False):
        p = w.prescription(quantity=30)
        may_sale = submit(w, p, [w.line(p, 10)])  # 95.00 at 70 %
    assert (may_sale.fund_share, may_sale.personal_share) == (Decimal("66.50"), Decimal("28.50"))
    new = _file({"TM101": {"monthly_standard": Decimal("200"), "fund_share_pct": Decimal("80")}})
    version = load_reference(content=new, effective_from=date(2027, 6, 1), actor=None)
    assert version.number == 2
    # the Q2 account opened under version 1 keeps 2 × 100
    assert quota_status(enrolment=w.enrolment, on=date(2027, 6, 10)).quota == Decimal("200.00")
    account = QuotaAccount.objects.get()
    assert account.standard is not None and account.standard.version.number == 1
    with time_machine.travel("2027-06-10 10:00 +0800", tick=False):
        p2 = w.prescription(quantity=30, kind="long_term")
        june_sale = submit(w, p2, [w.line(p2, 10)])  # from 1 June the fund pays 80 %
    assert june_sale.fund_share == Decimal("76.00")
    may_sale.refresh_from_db()
    assert may_sale.fund_share == Decimal("66.50")  # the earlier sale keeps its split
    # the next quarter opens under version 2: 3 × 200
    with time_machine.travel("2027-07-02 10:00 +0800", tick=False):
        p3 = w.prescription(quantity=30, kind="long_term")
        submit(w, p3, [w.line(p3, 1)])
    q3 = QuotaAccount.objects.get(period_start=date(2027, 7, 1))
    assert q3.quota == Decimal("600.00") and q3.standard is not None
    assert q3.standard.version == version


def test_hy_g07_bad_file_is_refused_naming_row_and_field_and_writes_nothing() -> None:
    rows = [*hy_standard_rows()]
    rows.insert(0, {**rows[0], "code": "TM900", "name": "新病种"})  # would be created…
    rows[5] = {**rows[5], "fund_share_pct": Decimal("120")}  # …but line 10 is wrong
    bad = render_reference(
        programme_code="HY-TM", source="x", source_date=date(2027, 1, 1), rows=rows
    )
    versions, diseases = ReferenceVersion.objects.count(), Disease.objects.count()
    with pytest.raises(RuleViolation) as exc:
        load_reference(content=bad, effective_from=date(2027, 1, 1), actor=None)
    assert exc.value.rule_id == "HY-G07" and exc.value.field == "fund_share_pct"
    assert "第 10 行 fund_share_pct" in str(exc.value.message)
    missing = _file({}).replace(b"TM106,", b"TM107,")  # TM106 in use but not listed
    with pytest.raises(RuleViolation, match="TM106"):
        load_reference(content=missing, effective_from=date(2027, 1, 1), actor=None)
    assert (ReferenceVersion.objects.count(), Disease.objects.count()) == (versions, diseases)
    assert not Disease.objects.filter(code__in=["TM900", "TM107"]).exists()
    # allowed: the same rows with a valid share load, and the new disease is created
    rows[5] = {**rows[5], "fund_share_pct": Decimal("75")}
    good = render_reference(
        programme_code="HY-TM", source="x", source_date=date(2027, 1, 1), rows=rows
    )
    load_reference(content=good, effective_from=date(2027, 1, 1), actor=None)
    assert Disease.objects.filter(code="TM900", name="新病种").exists()


def test_hy_g07_the_command_loads_a_file_once_and_refuses_it_again(tmp_path: Path) -> None:
    # the shipped file is version 1 already (the data migration made it)
    with pytest.raises(CommandError, match="已导入过"):
        call_command("load_reference", str(SHIPPED), "--effective-from", "2027-01-01")
    path = tmp_path / "HY-TM-2027.csv"
    path.write_bytes(_file({"TM102": {"monthly_standard": Decimal("180")}}))
    call_command("load_reference", str(path), "--effective-from", "2027-01-01")
    with pytest.raises(CommandError, match="已导入过"):
        call_command("load_reference", str(path), "--effective-from", "2027-02-01")
    assert ReferenceVersion.objects.filter(programme__code="HY-TM").count() == 2
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("load_reference", str(path), "--effective-from", "1.1.2027")


def test_hy_g07_amounts_cannot_be_edited_in_the_django_admin() -> None:
    admin = get_user_model().objects.create_superuser(
        "root", password="x-Long-Passw0rd", password_change_required=False
    )
    client = force_login_verified(Client(), admin)
    hy = Programme.objects.get(code="HY-TM")
    d = Disease.objects.get(programme=hy, code="TM101")
    page = client.get(f"/admin/programmes/disease/{d.pk}/change/")
    assert page.status_code == 200 and 'name="name"' in page.content.decode()
    assert 'name="monthly_standard"' not in page.content.decode()
    version = ReferenceVersion.objects.get(programme=hy)
    assert client.get("/admin/programmes/referenceversion/add/").status_code == 403
    view = client.get(f"/admin/programmes/referenceversion/{version.pk}/change/")
    assert view.status_code == 200 and 'name="effective_from"' not in view.content.decode()
    response = client.post(
        f"/admin/programmes/referenceversion/{version.pk}/change/",
        {"effective_from": "2020-01-01"},
    )
    assert response.status_code == 403
    version.refresh_from_db()
    assert version.effective_from == hy.valid_from


def test_hy_g07_bureau_admin_uploads_a_file_and_an_outsider_gets_404(
    outsider_bureau_admin: Any,
) -> None:
    admin = login(Client(), member(Role.BUREAU_ADMIN, organisation=bureau(), username="hy_adm"))
    url = "/tm/diseases/HY-TM/standards/load/"
    upload = SimpleUploadedFile("hy.csv", _file({"TM103": {"monthly_standard": Decimal("160")}}))
    response = admin.post(url, {"file": upload, "effective_from": "2025-01-01"})
    assert response.status_code == 302
    tm103 = Disease.objects.get(code="TM103")
    standard = standard_in_force(disease_id=tm103.pk, on=date(2025, 1, 1))
    assert standard is not None and standard.monthly_standard == Decimal("160.00")
    assert standard.version.loaded_by is not None
    assert "160.00" in admin.get("/tm/diseases/HY-TM/").content.decode()
    bad = SimpleUploadedFile("bad.csv", _file({"TM103": {"monthly_standard": Decimal("-1")}}))
    page = admin.post(url, {"file": bad, "effective_from": "2025-02-01"}).content.decode()
    assert "monthly_standard" in page and ReferenceVersion.objects.count() == 2
    outsider = login(Client(), outsider_bureau_admin)
    assert outsider.get(url).status_code == 404
    officer = login(Client(), member(Role.BENEFITS_OFFICER, organisation=bureau(), username="bo"))
    assert officer.get(url).status_code in (403, 404)
