"""The bureau edits a catalogue entry's disease scope, basic-drug flags (HY-A09) and price caps
(HY-B02 / GY-C01) on its page, each with a reason kept in the history."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client

from accounts.models import Role, User
from inventory.models import DiseaseDrug, Drug, PriceCap
from inventory.selectors import basic_drug_coverage
from pharmacies.models import Pharmacy
from programmes.models import Disease, Programme
from tests.factories.sessions import login


@pytest.fixture
def drug() -> Drug:
    return Drug.objects.create(
        insurance_code="XC9", generic_name="缬沙坦胶囊", approval_number="国药准字H20040217"
    )


@pytest.mark.django_db
def test_hy_a09_bureau_sets_scope_and_basic_drug_flags_with_a_reason(
    client: Client, personas: dict[str, User], hy: Programme, gy: Programme, drug: Drug
) -> None:
    first, second = Disease.objects.filter(programme=hy).order_by("code")[:2]
    guiyang = Disease.objects.filter(programme=gy).first()
    login(client, personas[Role.BUREAU_ADMIN])
    page = client.get(f"/inventory/catalogue/{drug.pk}/").content.decode()
    assert first.name in page and (guiyang is None or guiyang.name not in page)
    # Refused without a reason: nothing changes
    scope = {"action": "scope", f"scope-in_{first.pk}": "on", f"scope-basic_{second.pk}": "on"}
    page = client.post(f"/inventory/catalogue/{drug.pk}/", scope).content.decode()
    assert "修改原因：该字段是必填项。" in page and not DiseaseDrug.objects.exists()
    # Allowed with one: the first disease in scope, the second with the drug as a basic drug
    # (a Guiyang disease posted alongside is not the Hengyang bureau's to set)
    if guiyang is not None:
        scope[f"scope-in_{guiyang.pk}"] = "on"
    response = client.post(
        f"/inventory/catalogue/{drug.pk}/", {**scope, "scope-reason": "纳入高血压用药"}
    )
    assert response.status_code == 302
    assert set(DiseaseDrug.objects.values_list("disease", "is_basic_drug")) == {
        (first.pk, False),
        (second.pk, True),
    }
    coverage = basic_drug_coverage(pharmacy=Pharmacy(pk=0), programme=hy)
    assert coverage.denominator >= 1  # counted by HY-A09 now
    # Taken out of the first disease's scope: the history says who, when and why
    client.post(
        f"/inventory/catalogue/{drug.pk}/",
        {"action": "scope", f"scope-basic_{second.pk}": "on", "scope-reason": "调出"},
    )
    assert list(DiseaseDrug.objects.values_list("disease", flat=True)) == [second.pk]
    page = client.get(f"/inventory/catalogue/{drug.pk}/").content.decode()
    assert "纳入高血压用药" in page and "调出" in page and "移出用药范围" in page


@pytest.mark.django_db
def test_bureau_records_a_price_cap_with_source_and_date_pharmacies_cannot(
    client: Client, personas: dict[str, User], drug: Drug
) -> None:
    cap = {
        "action": "cap",
        "cap-programme": Programme.objects.get(code="HY-TM").pk,
        "cap-price": "18.60",
        "cap-source": "湖南省医药集中采购平台",
        "cap-effective_on": "2026-07-01",
        "cap-reason": "挂网价更新",
    }
    pharmacy = login(Client(), personas[Role.PHARMACY_MANAGER])
    assert pharmacy.post(f"/inventory/catalogue/{drug.pk}/", cap).status_code == 404
    assert not PriceCap.objects.exists()
    login(client, personas[Role.BUREAU_ADMIN])
    assert client.post(f"/inventory/catalogue/{drug.pk}/", cap).status_code == 302
    # The same basis and date again corrects the price
    client.post(f"/inventory/catalogue/{drug.pk}/", {**cap, "cap-price": "18.06"})
    saved = PriceCap.objects.get()
    assert (saved.price, saved.source, str(saved.effective_on)) == (
        Decimal("18.06"),
        "湖南省医药集中采购平台",
        "2026-07-01",
    )
    page = client.get(f"/inventory/catalogue/{drug.pk}/").content.decode()
    assert "18.0600" in page and "挂网价更新" in page
    # A negative price is refused by field
    page = client.post(
        f"/inventory/catalogue/{drug.pk}/", {**cap, "cap-price": "-1"}
    ).content.decode()
    assert "挂网价（元）：" in page and PriceCap.objects.get().price == Decimal("18.06")
