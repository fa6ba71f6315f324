"""Pages and API for movements recorded by hand: forms per kind with field-named errors,
the filtered paginated list, detail, outsiders 404, pinned query counts."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.test import Client

from accounts.models import Role, User
from inventory.models import Drug, Movement, MovementKind, StockBatch
from inventory.services import stock_movement_enter
from pharmacies.models import Pharmacy
from tests.factories.inventory import PURCHASE, at, book, key_for
from tests.factories.sessions import login

K = MovementKind
NOW = datetime(2026, 8, 20, 12, 0)


@pytest.fixture(autouse=True)
def _today() -> Any:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def stocked(pharmacy: Pharmacy, catalogue: dict[str, Drug]) -> StockBatch:
    return book(pharmacy, catalogue["amlodipine"], PURCHASE, 10, at(date(2026, 8, 1)))


def loss(pharmacy: Pharmacy, batch: StockBatch, quantity: int = 1, day: int = 5) -> Movement:
    return stock_movement_enter(
        pharmacy=pharmacy,
        kind=K.LOSS,
        quantity=quantity,
        occurred_at=at(date(2026, 8, day)),
        actor=None,
        batch=batch,
        reason="破损",
    )


@pytest.mark.django_db
def test_pharmacist_records_a_transfer_out_through_the_form(
    client: Client, pharmacy: Pharmacy, stocked: StockBatch, personas: dict[str, User]
) -> None:
    login(client, personas[Role.PHARMACIST])
    # The workspace links to it, and the form offers the batches on hand with quantities
    assert "/inventory/movements/" in client.get("/", follow=True).content.decode()
    form = client.get("/inventory/movements/new/transfer_out/").content.decode()
    assert "库存 10" in form and "调拨单号" in form and "同一经营主体的其他门店" in form
    response = client.post(
        "/inventory/movements/new/transfer_out/",
        {
            "batch": stocked.pk,
            "quantity": 4,
            "counterparty_kind": "same_owner",
            "counterparty": "衡阳县康民大药房二店",
            "reference": "DB-2026-001",
            "occurred_at": "2026-08-20T09:30",
            "traceability_codes": "",
        },
    )
    movement = Movement.objects.get(kind=K.TRANSFER_OUT)
    assert response.status_code == 302 and response["Location"].endswith(f"/{movement.pk}/")
    detail = client.get(response["Location"]).content.decode()
    assert "衡阳县康民大药房二店" in detail and "DB-2026-001" in detail and "3502" in detail
    stocked.refresh_from_db()
    assert stocked.quantity == 6


@pytest.mark.django_db
def test_form_errors_name_the_field_and_change_nothing(
    client: Client,
    pharmacy: Pharmacy,
    catalogue: dict[str, Drug],
    stocked: StockBatch,
    manager: User,
) -> None:
    login(client, manager)
    # More than on hand
    page = client.post(
        "/inventory/movements/new/loss/",
        {"batch": stocked.pk, "quantity": 11, "reason": "破损", "occurred_at": "2026-08-20T09:00"},
    ).content.decode()
    assert "数量：数量 11 超过批次" in page and "库存 10" in page
    # A loss without a reason; a malformed traceability code
    page = client.post(
        "/inventory/movements/new/loss/",
        {"batch": stocked.pk, "quantity": 1, "occurred_at": "2026-08-20T09:00"},
    ).content.decode()
    assert "报损原因：" in page
    page = client.post(
        "/inventory/movements/new/destruction/",
        {
            "batch": stocked.pk,
            "quantity": 1,
            "reason": "过期",
            "occurred_at": "2026-08-20T09:00",
            "traceability_codes": "ABC",
        },
    ).content.decode()
    assert "追溯码：[HY-B03] 追溯码 ABC 格式不正确" in page
    # HY-B01: a health food transferred into 特门 premises
    page = client.post(
        "/inventory/movements/new/transfer_in/",
        {
            "insurance_code": catalogue["health_food"].insurance_code,
            "batch_no": "H1",
            "quantity": 1,
            "counterparty_kind": "other",
            "counterparty": "某公司",
            "reference": "D1",
            "occurred_at": "2026-08-20T09:00",
        },
    ).content.decode()
    assert "[HY-B01]" in page and "国家医保药品编码：" in page
    stocked.refresh_from_db()
    assert stocked.quantity == 10 and Movement.objects.count() == 1
    # A kind that is not recorded by hand does not exist as a page
    assert client.get("/inventory/movements/new/purchase/").status_code == 404


@pytest.mark.django_db
def test_a_cash_sale_is_returned_from_its_detail_page(
    client: Client, pharmacy: Pharmacy, stocked: StockBatch, manager: User
) -> None:
    login(client, manager)
    client.post(
        "/inventory/movements/new/sale/",
        {
            "batch": stocked.pk,
            "quantity": 3,
            "unit_price": "12.50",
            "occurred_at": "2026-08-20T09:00",
        },
    )
    sale = Movement.objects.get(kind=K.SALE)
    assert sale.entered_by_hand and sale.unit_price == Decimal("12.5")
    detail = client.get(f"/inventory/movements/{sale.pk}/").content.decode()
    assert f"/inventory/movements/new/sale_return/?sale={sale.pk}" in detail and "可退 3" in detail
    form = client.get(f"/inventory/movements/new/sale_return/?sale={sale.pk}").content.decode()
    assert f'value="{sale.pk}"' in form
    client.post(
        "/inventory/movements/new/sale_return/",
        {"sale": sale.pk, "quantity": 2, "occurred_at": "2026-08-20T10:00", "reason": "退货"},
    )
    page = client.post(
        "/inventory/movements/new/sale_return/",
        {"sale": sale.pk, "quantity": 2, "occurred_at": "2026-08-20T10:00"},
    ).content.decode()
    assert "数量：数量 2 超过原销售可退数量 1" in page
    stocked.refresh_from_db()
    assert stocked.quantity == 10 - 3 + 2


@pytest.mark.django_db
def test_movement_list_filters_by_kind_drug_and_dates_with_pinned_queries(
    client: Client,
    pharmacy: Pharmacy,
    catalogue: dict[str, Drug],
    stocked: StockBatch,
    manager: User,
    django_assert_max_num_queries: Any,
) -> None:
    other = book(pharmacy, catalogue["captopril"], PURCHASE, 80, at(date(2026, 8, 2)))
    for day in range(3, 9):
        loss(pharmacy, stocked, day=day)
    for day in range(3, 18):
        loss(pharmacy, other, day=day)
    login(client, manager)
    with django_assert_max_num_queries(12):
        page = client.get("/inventory/movements/?kind=loss&drug=卡托普利").content.decode()
    assert "共 15 条" in page
    page = client.get(
        "/inventory/movements/?kind=loss&drug=XC0000000001&date_from=2026-08-04&date_to=2026-08-06"
    ).content.decode()
    assert "共 3 条" in page
    # 60 rows of the captopril batch alone: two pages, the filter kept in the links
    for day in range(3, 18):
        loss(pharmacy, other, 3, day=day)
    with django_assert_max_num_queries(12):
        page = client.get("/inventory/movements/?drug=卡托普利").content.decode()
    assert "共 31 条" in page
    many = book(pharmacy, catalogue["losartan"], PURCHASE, 500, at(date(2026, 8, 2)))
    for n in range(60):
        loss(pharmacy, many, day=3 + n % 15)
    with django_assert_max_num_queries(12):
        page = client.get("/inventory/movements/?drug=氯沙坦").content.decode()
    assert "共 61 条" in page and "drug=%E6%B0%AF%E6%B2%99%E5%9D%A6&amp;page=2" in page
    # A bad date is shown against its field
    assert "起始日期：" in client.get("/inventory/movements/?date_from=x").content.decode()


@pytest.mark.django_db
def test_outsiders_get_404_on_our_movements_and_cannot_use_our_batches(
    client: Client,
    pharmacy: Pharmacy,
    stocked: StockBatch,
    outsider_pharmacy: Pharmacy,
    outsider_pharmacy_manager: User,
    outsider_bureau_admin: User,
    reviewer: User,
) -> None:
    movement = loss(pharmacy, stocked)
    login(client, outsider_pharmacy_manager)
    assert client.get(f"/inventory/movements/{movement.pk}/").status_code == 404
    assert "破损" not in client.get("/inventory/movements/").content.decode()
    page = client.post(
        "/inventory/movements/new/loss/",
        {"batch": stocked.pk, "quantity": 1, "reason": "x", "occurred_at": "2026-08-20T09:00"},
    ).content.decode()
    assert "批次：" in page
    stocked.refresh_from_db()
    assert stocked.quantity == 9
    bureau = login(Client(), outsider_bureau_admin)
    assert bureau.get(f"/inventory/movements/{movement.pk}/").status_code == 404
    # The region's reviewer may read it; bureau staff record nothing for a pharmacy
    ours = login(Client(), reviewer)
    assert ours.get(f"/inventory/movements/{movement.pk}/").status_code == 200
    assert ours.get("/inventory/movements/new/loss/").status_code == 404


# --- API -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_api_records_movements_with_a_pharmacy_key_and_names_the_field_of_errors(
    client: Client,
    pharmacy: Pharmacy,
    catalogue: dict[str, Drug],
    stocked: StockBatch,
    manager: User,
) -> None:
    headers = key_for(pharmacy, manager)
    url = "/api/v1/stock-movements/"
    created = client.post(
        url,
        {
            "kind": "transfer_in",
            "insurance_code": catalogue["captopril"].insurance_code,
            "batch_no": "K7",
            "expiry_date": "2028-06-30",
            "quantity": 6,
            "counterparty_kind": "same_owner",
            "counterparty": "二店",
            "reference": "DB-7",
            "traceability_codes": [f"{n:020d}" for n in range(1, 4)],
        },
        content_type="application/json",
        **headers,  # type: ignore[arg-type]
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["kind"], body["quantity"], body["batch_no"], body["platform_interface"]) == (
        "transfer_in",
        6,
        "K7",
        "3502",
    )
    assert Movement.objects.get(pk=body["id"]).created_by == manager  # the key's issuer
    for payload, field in [
        ({"kind": "loss", "batch": stocked.pk, "quantity": 11, "reason": "x"}, "quantity"),
        ({"kind": "loss", "batch": stocked.pk, "quantity": 1}, "reason"),
        ({"kind": "sale", "batch": stocked.pk, "quantity": 1}, "unit_price"),
        ({"kind": "purchase", "batch": stocked.pk, "quantity": 1}, "kind"),
        ({"kind": "loss", "batch": stocked.pk, "quantity": 0, "reason": "x"}, "quantity"),
        ({"kind": "transfer_in", "insurance_code": "NOPE", "quantity": 1}, "insurance_code"),
        (
            {
                "kind": "loss",
                "batch": stocked.pk,
                "quantity": 1,
                "reason": "x",
                "traceability_codes": ["12"],
            },
            "traceability_codes",
        ),
    ]:
        refused = client.post(url, payload, content_type="application/json", **headers)  # type: ignore[arg-type]
        assert refused.status_code == 400, payload
        data = refused.json()
        assert data.get("field") == field or field in data, (payload, data)
    hb01 = client.post(
        url,
        {
            "kind": "transfer_in",
            "insurance_code": catalogue["device"].insurance_code,
            "batch_no": "D1",
            "quantity": 1,
            "counterparty_kind": "other",
            "counterparty": "某公司",
            "reference": "D",
        },
        content_type="application/json",
        **headers,  # type: ignore[arg-type]
    )
    assert hb01.status_code == 400 and hb01.json()["rule"] == "HY-B01"
    stocked.refresh_from_db()
    assert stocked.quantity == 10 and Movement.objects.count() == 2


@pytest.mark.django_db
def test_api_lists_are_scoped_filtered_and_pinned_outsiders_get_404(
    client: Client,
    pharmacy: Pharmacy,
    catalogue: dict[str, Drug],
    stocked: StockBatch,
    manager: User,
    outsider_pharmacy: Pharmacy,
    outsider_pharmacy_manager: User,
    django_assert_max_num_queries: Any,
) -> None:
    for day in range(3, 12):
        loss(pharmacy, stocked, day=day)
    ours = key_for(pharmacy, manager)
    theirs = key_for(outsider_pharmacy, outsider_pharmacy_manager)
    with django_assert_max_num_queries(8):
        listed = client.get("/api/v1/stock-movements/?kind=loss", **ours)  # type: ignore[arg-type]
    assert listed.json()["count"] == 9
    dated = client.get(
        "/api/v1/stock-movements/?date_from=2026-08-04&date_to=2026-08-05&drug=XC0000000001",
        **ours,  # type: ignore[arg-type]
    )
    assert dated.json()["count"] == 2
    bad = client.get("/api/v1/stock-movements/?date_from=x", **ours)  # type: ignore[arg-type]
    assert bad.status_code == 400 and "date_from" in bad.json()
    one = Movement.objects.filter(kind=K.LOSS).first()
    assert one is not None
    assert client.get(f"/api/v1/stock-movements/{one.pk}/", **ours).status_code == 200  # type: ignore[arg-type]
    assert client.get(f"/api/v1/stock-movements/{one.pk}/", **theirs).status_code == 404  # type: ignore[arg-type]
    assert client.get("/api/v1/stock-movements/", **theirs).json()["count"] == 0  # type: ignore[arg-type]
    # Their key cannot move our batch: the batch is not theirs (field error), nothing moves
    refused = client.post(
        "/api/v1/stock-movements/",
        {"kind": "loss", "batch": stocked.pk, "quantity": 1, "reason": "x"},
        content_type="application/json",
        **theirs,  # type: ignore[arg-type]
    )
    assert refused.status_code == 400 and "batch" in refused.json()
    stocked.refresh_from_db()
    assert stocked.quantity == 10 - 9


@pytest.mark.django_db
def test_api_schema_documents_the_movement_endpoints(client: Client, manager: User) -> None:
    login(client, manager)
    schema = client.get("/api/schema/?format=json").json()
    assert "/api/v1/stock-movements/" in schema["paths"]
    post = schema["paths"]["/api/v1/stock-movements/"]["post"]
    assert "MovementCreate" in str(post["requestBody"])
