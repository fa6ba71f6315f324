"""Drug catalogue: imported from Excel/CSV by the bureau (all or nothing), edited with history."""

from __future__ import annotations

import csv
import io

import pytest
from django.test import Client

from accounts.models import Role, User
from inventory.catalogue import CATALOGUE_COLUMNS
from inventory.models import DiseaseDrug, Drug, PriceCap
from tests.factories.sessions import login

HEADERS = [h for _k, h in CATALOGUE_COLUMNS]


def catalogue_csv(*rows: list[str]) -> io.BytesIO:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADERS)
    writer.writerows(rows)
    upload = io.BytesIO(out.getvalue().encode("utf-8-sig"))
    upload.name = "目录.csv"
    return upload


GOOD = [
    "XC08CAA010A001", "苯磺酸氨氯地平片", "片剂", "5mg×28片", "辉瑞制药有限公司",
    "国药准字H10950224", "药品（准字号）", "是", "TM101,TM103", "TM101",
    "28.50", "", "湖南省医药集中采购平台", "2026-01-01",
]  # fmt: skip


@pytest.mark.django_db
def test_bureau_imports_the_catalogue_with_basic_drug_flags_and_price_caps(
    client: Client, personas: dict[str, User]
) -> None:
    login(client, personas[Role.CATALOGUE_ADMIN])
    response = client.post("/inventory/catalogue/", {"file": catalogue_csv(GOOD)})
    assert response.status_code == 302
    drug = Drug.objects.get(insurance_code="XC08CAA010A001")
    assert drug.approval_number == "国药准字H10950224" and drug.is_therapeutic
    flags = {(d.disease.code, d.is_basic_drug) for d in DiseaseDrug.objects.filter(drug=drug)}
    assert flags == {("TM101", True), ("TM103", False)}
    cap = PriceCap.objects.get(drug=drug)
    assert str(cap.price) == "28.5000" and cap.source == "湖南省医药集中采购平台"
    assert drug.history.first().history_user == personas[Role.CATALOGUE_ADMIN]


@pytest.mark.django_db
def test_hy_a09_a_reimported_catalogue_row_is_the_drugs_whole_scope(
    client: Client, personas: dict[str, User]
) -> None:
    login(client, personas[Role.CATALOGUE_ADMIN])
    client.post("/inventory/catalogue/", {"file": catalogue_csv(GOOD)})
    # Re-imported with TM101 only, no longer a basic drug: TM103 is taken out of its scope
    again = list(GOOD)
    again[8], again[9] = "TM101", ""
    assert client.post("/inventory/catalogue/", {"file": catalogue_csv(again)}).status_code == 302
    drug = Drug.objects.get(insurance_code="XC08CAA010A001")
    flags = {(d.disease.code, d.is_basic_drug) for d in DiseaseDrug.objects.filter(drug=drug)}
    assert flags == {("TM101", False)}
    removed = DiseaseDrug.history.get(history_type="-")
    assert removed.history_change_reason == "目录导入：目录.csv"
    # A file without the disease columns leaves the scope as it is
    columns = [h for h in HEADERS if h not in ("适用病种编码", "基本药物病种编码")]
    out = io.StringIO()
    csv.writer(out).writerows(
        [columns, [v for h, v in zip(HEADERS, GOOD, strict=True) if h in columns]]
    )
    upload = io.BytesIO(out.getvalue().encode())
    upload.name = "目录.csv"
    assert client.post("/inventory/catalogue/", {"file": upload}).status_code == 302
    assert DiseaseDrug.objects.filter(drug=drug).count() == 1


@pytest.mark.django_db
def test_a_bad_catalogue_row_imports_nothing_and_is_listed(
    client: Client, personas: dict[str, User]
) -> None:
    login(client, personas[Role.CATALOGUE_ADMIN])
    bad = list(GOOD)
    bad[0], bad[5], bad[8] = "XX1", "准字H123", "TM999"
    page = client.post("/inventory/catalogue/", {"file": catalogue_csv(GOOD, bad)}).content.decode()
    assert "国药准字H/Z/S/J" in page and "TM999" in page
    assert not Drug.objects.exists()


@pytest.mark.django_db
def test_an_unknown_disease_code_is_reported_under_the_column_it_is_in(
    client: Client, personas: dict[str, User]
) -> None:
    login(client, personas[Role.CATALOGUE_ADMIN])
    bad_basic, bad_scope = list(GOOD), list(GOOD)
    bad_basic[0], bad_basic[9] = "XC08CAA010A002", "TM998"
    bad_scope[0], bad_scope[8] = "XC08CAA010A003", "TM101,TM997"
    response = client.post(
        "/inventory/catalogue/", {"file": catalogue_csv(GOOD, bad_basic, bad_scope)}
    )
    assert [(e["row"], e["column"], e["message"]) for e in response.context["errors"]] == [
        (3, "基本药物病种编码", "病种编码不存在：TM998"),
        (4, "适用病种编码", "病种编码不存在：TM997"),
    ]
    page = response.content.decode()
    assert "<td>3</td><td>基本药物病种编码</td><td>病种编码不存在：TM998</td>" in page
    assert not Drug.objects.exists()


@pytest.mark.django_db
def test_bureau_edits_a_drug_with_a_reason_and_history_pharmacies_cannot(
    client: Client, personas: dict[str, User]
) -> None:
    drug = Drug.objects.create(
        insurance_code="XC1", generic_name="卡托普利片", approval_number="国药准字H32023750"
    )
    pharmacy_client = login(Client(), personas[Role.PHARMACY_MANAGER])
    assert pharmacy_client.get(f"/inventory/catalogue/{drug.pk}/").status_code == 404
    assert pharmacy_client.post("/inventory/catalogue/", {}).status_code == 404
    login(client, personas[Role.CATALOGUE_ADMIN])
    data = {
        "generic_name": "卡托普利片",
        "dosage_form": "片剂",
        "specification": "25mg×100片",
        "manufacturer": "常州制药厂有限公司",
        "approval_number": "国药准字H32023750",
        "category": "drug",
        "is_therapeutic": "on",
        "is_active": "on",
        "reason": "补充规格",
    }
    assert client.post(f"/inventory/catalogue/{drug.pk}/", data).status_code == 302
    drug.refresh_from_db()
    assert drug.specification == "25mg×100片"
    page = client.get(f"/inventory/catalogue/{drug.pk}/").content.decode()
    assert "补充规格" in page
    # A drug without an approval number is refused
    data.update(approval_number="", reason="误删")
    page = client.post(f"/inventory/catalogue/{drug.pk}/", data).content.decode()
    assert "药品须填写批准文号" in page
