"""Issue 12.3: price caps (and disease scope) are a programme's policy, set and read only by
its region's bureau; the national catalogue (a drug's own fields, catalogue imports) is the
catalogue administrator's alone."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from django.test import Client

from accounts.models import Role, User
from inventory.catalogue import CATALOGUE_COLUMNS
from inventory.models import Drug, PriceCap
from prescriptions.selectors import price_cap_for
from programmes.models import Programme
from tests.factories.sessions import login

pytestmark = pytest.mark.django_db


def _cap(programme: Programme, price: str = "180.00") -> dict[str, object]:
    return {
        "action": "cap",
        "cap-programme": programme.pk,
        "cap-price": price,
        "cap-source": "挂网价",
        "cap-effective_on": "2026-07-01",
        "cap-reason": "挂网价更新",
    }


def _csv(row: list[str]) -> io.BytesIO:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([h for _k, h in CATALOGUE_COLUMNS])
    writer.writerow(row)
    upload = io.BytesIO(out.getvalue().encode("utf-8-sig"))
    upload.name = "目录.csv"
    return upload


ROW = [
    "XC08CAA010A001", "苯磺酸氨氯地平片（改）", "片剂", "5mg×28片", "辉瑞制药有限公司",
    "国药准字H10950224", "药品（准字号）", "是", "TM101", "TM101",
    "28.50", "30.00", "挂网平台", "2026-01-01",
]  # fmt: skip


def test_sec_admin_of_other_region_cannot_set_or_read_a_price_cap(
    catalogue: dict[str, Drug], hy: Programme, gy: Programme, outsider_bureau_admin: User
) -> None:
    # Given Hengyang's cap of 20.00 for amlodipine (HY-B02, the catalogue fixture)
    drug = catalogue["amlodipine"]
    before = price_cap_for(drug_id=drug.pk, programme=hy, on=date(2026, 8, 1))
    guiyang = login(Client(), outsider_bureau_admin)
    page = guiyang.get(f"/inventory/catalogue/{drug.pk}/").content.decode()
    assert "20.0000" not in page  # Hengyang's cap is not Guiyang's to read
    assert "TM101" not in page  # nor Hengyang's disease scope and its history
    # When the Guiyang admin tries to set a Hengyang cap at nine times the listed price
    refused = guiyang.post(f"/inventory/catalogue/{drug.pk}/", _cap(hy))
    # then it is refused as not a valid choice and Hengyang's cap is unchanged
    assert refused.status_code == 200 and "方案：" in refused.content.decode()
    assert PriceCap.objects.filter(programme=hy).count() == 1
    assert price_cap_for(drug_id=drug.pk, programme=hy, on=date(2026, 8, 1)) == before
    # Guiyang's own cap is its programme's and does not touch Hengyang's sales
    assert guiyang.post(f"/inventory/catalogue/{drug.pk}/", _cap(gy)).status_code == 302
    assert PriceCap.objects.get(programme=gy).basis == gy.price_cap_basis
    assert price_cap_for(drug_id=drug.pk, programme=hy, on=date(2026, 8, 1)) == before


def test_sec_region_admin_sets_its_own_programmes_cap(
    catalogue: dict[str, Drug], hy: Programme, personas: dict[str, User]
) -> None:
    drug = catalogue["captopril"]
    client = login(Client(), personas[Role.BENEFITS_OFFICER])
    assert client.post(f"/inventory/catalogue/{drug.pk}/", _cap(hy, "9.00")).status_code == 302
    cap = PriceCap.objects.get(drug=drug)
    assert (cap.programme, cap.basis, cap.price) == (hy, hy.price_cap_basis, Decimal("9.00"))


@pytest.mark.parametrize("role", [Role.BUREAU_ADMIN, Role.BENEFITS_OFFICER])
def test_sec_only_catalogue_admin_edits_the_national_catalogue(
    catalogue: dict[str, Drug], personas: dict[str, User], role: Role
) -> None:
    drug = catalogue["amlodipine"]
    fields = {
        "action": "drug",
        "generic_name": "改名",
        "dosage_form": drug.dosage_form,
        "specification": drug.specification,
        "manufacturer": drug.manufacturer,
        "approval_number": drug.approval_number,
        "category": drug.category,
        "is_therapeutic": "on",
        "is_active": "on",
        "reason": "改名",
    }
    regional = login(Client(), personas[role])
    page = regional.get(f"/inventory/catalogue/{drug.pk}/").content.decode()
    assert 'name="generic_name"' not in page  # no form for the national fields
    assert regional.post(f"/inventory/catalogue/{drug.pk}/", fields).status_code == 404
    assert regional.post("/inventory/catalogue/", {"file": _csv(ROW)}).status_code == 404
    drug.refresh_from_db()
    assert drug.generic_name != "改名"
    national = login(Client(), personas[Role.CATALOGUE_ADMIN])
    assert national.post(f"/inventory/catalogue/{drug.pk}/", fields).status_code == 302
    drug.refresh_from_db()
    assert drug.generic_name == "改名"


def test_sec_catalogue_import_sets_caps_of_the_importers_programmes_only(
    hy: Programme, gy: Programme, personas: dict[str, User]
) -> None:
    client = login(Client(), personas[Role.CATALOGUE_ADMIN])  # of the Hengyang bureau
    assert client.post("/inventory/catalogue/", {"file": _csv(ROW)}).status_code == 302
    drug = Drug.objects.get(insurance_code="XC08CAA010A001")
    # The hospital-listed price is HY-TM's cap; the platform price is GY-PT's basis, which
    # only Guiyang's bureau sets.
    caps = {(c.programme.code, c.price) for c in PriceCap.objects.filter(drug=drug)}
    assert caps == {("HY-TM", Decimal("28.50"))}
