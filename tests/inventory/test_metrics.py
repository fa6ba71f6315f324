"""Metrics per pharmacy × programme (HY-A09, HY-E04, GY-A05, HY-B01, HY-B02)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.test import Client

from accounts.models import User
from inventory.models import Drug, MovementKind, PriceCap, StockBatch
from inventory.selectors import (
    basic_drug_coverage,
    catalogue_drugs_stocked,
    items_without_approval_number,
    sale_prices_over_cap,
    therapeutic_share,
)
from inventory.services import stock_sale_book
from pharmacies.models import Pharmacy
from prescriptions.selectors import price_cap_of
from programmes.models import Programme
from tests.factories.inventory import PURCHASE, at, book
from tests.factories.sessions import login

DAY = at(date(2026, 7, 1))


@pytest.mark.django_db
def test_hy_a09_basic_drug_coverage_passes_at_90_percent_and_fails_below(
    hy: Programme, pharmacy: Pharmacy, catalogue: dict[str, Drug]
) -> None:
    # Two of the three basic drugs of the programme: 66.67 % < 90 %
    book(pharmacy, catalogue["amlodipine"], PURCHASE, 5, DAY)
    book(pharmacy, catalogue["captopril"], PURCHASE, 5, DAY)
    book(pharmacy, catalogue["valsartan"], PURCHASE, 5, DAY)  # in scope, not basic
    metric = basic_drug_coverage(pharmacy=pharmacy, programme=hy)
    assert (metric.numerator, metric.denominator, metric.threshold) == (2, 3, Decimal("90"))
    assert metric.value == Decimal("66.67") and metric.passed is False
    # All three: 100 % passes
    book(pharmacy, catalogue["losartan"], PURCHASE, 5, DAY)
    assert basic_drug_coverage(pharmacy=pharmacy, programme=hy).passed is True


@pytest.mark.django_db
def test_hy_a09_a_sold_out_basic_drug_does_not_count(
    hy: Programme, pharmacy: Pharmacy, catalogue: dict[str, Drug]
) -> None:
    for key in ("amlodipine", "captopril", "losartan"):
        book(pharmacy, catalogue[key], PURCHASE, 1, DAY)
    book(pharmacy, catalogue["losartan"], MovementKind.SALE, 1, DAY)
    assert basic_drug_coverage(pharmacy=pharmacy, programme=hy).numerator == 2


@pytest.mark.django_db
def test_hy_e04_therapeutic_share_passes_at_95_percent_and_fails_below(
    hy: Programme, pharmacy: Pharmacy, catalogue: dict[str, Drug]
) -> None:
    book(pharmacy, catalogue["amlodipine"], PURCHASE, 5, DAY)
    assert therapeutic_share(pharmacy=pharmacy, programme=hy).passed is True
    book(pharmacy, catalogue["vitamin"], PURCHASE, 5, DAY)  # not therapeutic: 1 of 2
    metric = therapeutic_share(pharmacy=pharmacy, programme=hy)
    assert (metric.numerator, metric.denominator) == (1, 2) and metric.passed is False


@pytest.mark.django_db
def test_gy_a05_catalogue_drugs_stocked_only_for_gy(
    hy: Programme, gy: Programme, outsider_pharmacy: Pharmacy, catalogue: dict[str, Drug]
) -> None:
    drugs = [d for d in catalogue.values() if d.category == "drug"]
    for drug in drugs[:-1]:
        book(outsider_pharmacy, drug, PURCHASE, 1, DAY)
    metric = catalogue_drugs_stocked(pharmacy=outsider_pharmacy, programme=gy)
    assert (metric.numerator, metric.denominator, metric.passed) == (4, 5, False)
    book(outsider_pharmacy, drugs[-1], PURCHASE, 1, DAY)
    assert catalogue_drugs_stocked(pharmacy=outsider_pharmacy, programme=gy).passed is True
    assert catalogue_drugs_stocked(pharmacy=outsider_pharmacy, programme=hy).passed is None


@pytest.mark.django_db
def test_hy_b01_items_without_approval_number_counted(
    hy: Programme, gy: Programme, outsider_pharmacy: Pharmacy, catalogue: dict[str, Drug]
) -> None:
    book(outsider_pharmacy, catalogue["special_food"], PURCHASE, 1, DAY)
    assert items_without_approval_number(pharmacy=outsider_pharmacy, programme=hy).passed is True
    book(outsider_pharmacy, catalogue["health_food"], PURCHASE, 1, DAY)
    metric = items_without_approval_number(pharmacy=outsider_pharmacy, programme=hy)
    assert metric.value == 1 and metric.passed is False
    assert items_without_approval_number(pharmacy=outsider_pharmacy, programme=gy).passed is None


@pytest.mark.django_db
def test_hy_b02_sale_prices_over_the_discounted_cap(
    hy: Programme, pharmacy: Pharmacy, catalogue: dict[str, Drug]
) -> None:
    # Cap 20.00 less 5 % = 19.00
    drug = catalogue["amlodipine"]
    batch = book(pharmacy, drug, PURCHASE, 10, DAY)

    def sell(price: str) -> None:
        stock_sale_book(
            pharmacy=pharmacy,
            drug=drug,
            batch=batch,
            quantity=1,
            unit_price=Decimal(price),
            traceability_codes=[],
            sold_at=DAY,
            actor=None,
        )

    sell("19.00")
    assert sale_prices_over_cap(pharmacy=pharmacy, programme=hy).passed is True
    sell("19.50")
    metric = sale_prices_over_cap(pharmacy=pharmacy, programme=hy)
    assert (metric.rule_id, metric.numerator, metric.denominator, metric.passed) == (
        "HY-B02",
        1,
        2,
        False,
    )


@pytest.mark.django_db
def test_hy_b02_a_sale_one_fen_over_a_cap_of_fractions_of_a_fen_is_over(
    hy: Programme, pharmacy: Pharmacy, catalogue: dict[str, Drug]
) -> None:
    # Given a cap of 20.01 less 5 % = 19.0095, as the counter computes it
    drug = catalogue["amlodipine"]
    PriceCap.objects.filter(drug=drug).update(price=Decimal("20.01"))
    assert price_cap_of(Decimal("20.01"), hy) == Decimal("19.0095")
    batch = book(pharmacy, drug, PURCHASE, 10, DAY)
    # When it was sold at 19.00 and at 19.01
    for price in ("19.00", "19.01"):
        stock_sale_book(
            pharmacy=pharmacy,
            drug=drug,
            batch=batch,
            quantity=1,
            unit_price=Decimal(price),
            traceability_codes=[],
            sold_at=DAY,
            actor=None,
        )
    # Then the sale at 19.01 is over the cap
    metric = sale_prices_over_cap(pharmacy=pharmacy, programme=hy)
    assert (metric.numerator, metric.denominator, metric.passed) == (1, 2, False)


@pytest.mark.django_db
def test_stock_page_shows_metrics_and_expiry_flags(
    client: Client, hy: Programme, pharmacy: Pharmacy, catalogue: dict[str, Drug], manager: User
) -> None:
    from inventory.services import stock_batch_get_or_create, stock_movement_record

    near = stock_batch_get_or_create(
        pharmacy=pharmacy,
        drug=catalogue["captopril"],
        batch_no="NEAR",
        production_date=date(2024, 1, 1),
        expiry_date=date(2026, 12, 1),
    )
    stock_movement_record(
        pharmacy=pharmacy, batch=near, kind=PURCHASE, quantity=3, occurred_at=DAY, actor=None
    )
    old = stock_batch_get_or_create(
        pharmacy=pharmacy,
        drug=catalogue["losartan"],
        batch_no="OLD",
        production_date=date(2023, 1, 1),
        expiry_date=date(2026, 10, 1),
    )
    stock_movement_record(
        pharmacy=pharmacy, batch=old, kind=PURCHASE, quantity=3, occurred_at=DAY, actor=None
    )
    import time_machine

    with time_machine.travel(date(2026, 10, 15)):
        login(client, manager)
        page = client.get("/inventory/").content.decode()
    assert "基本药物配备率" in page and "治疗性药物占比" in page and "不达标" in page
    assert "已过期" in page and "近效期" in page


@pytest.mark.django_db
def test_near_expiry_window_falls_back_to_the_widest_programme_in_force(
    client: Client,
    hy: Programme,
    gy: Programme,
    pharmacy: Pharmacy,
    catalogue: dict[str, Drug],
    manager: User,
) -> None:
    import time_machine

    # The pharmacy's own programme (HY-TM) sets no window; GY-PT, in force, warns 120 days out
    Programme.objects.filter(pk=hy.pk).update(near_expiry_days=None)
    Programme.objects.filter(pk=gy.pk).update(near_expiry_days=120)
    book(pharmacy, catalogue["captopril"], PURCHASE, 3, DAY)
    StockBatch.objects.filter(pharmacy=pharmacy).update(expiry_date=date(2027, 1, 23))
    login(client, manager)
    with time_machine.travel(date(2026, 10, 15)):  # 100 days before expiry
        page = client.get("/inventory/").content.decode()
    assert "近效期（120 天内）" in page
    # A programme no longer in force sets no window: no programme gives one, no warning
    Programme.objects.filter(pk=gy.pk).update(valid_until=date(2026, 1, 1))
    with time_machine.travel(date(2026, 10, 15)):
        page = client.get("/inventory/").content.decode()
    assert "近效期" not in page


@pytest.mark.django_db
def test_hy_a09_and_hy_e04_the_eligibility_report_reads_the_stock_ledger(
    hy: Programme, pharmacy: Pharmacy, catalogue: dict[str, Drug]
) -> None:
    from accreditation.eligibility import FAIL, PASS, eligibility_report

    def report() -> dict[str, object]:
        conditions = eligibility_report(pharmacy=pharmacy, programme=hy, on=DAY)
        return {c.rule_id: c for c in conditions}

    # Given two of the three basic drugs in stock: HY-A09 fails with the figures shown
    book(pharmacy, catalogue["amlodipine"], PURCHASE, 5, DAY)
    book(pharmacy, catalogue["captopril"], PURCHASE, 5, DAY)
    first = report()
    assert first["HY-A09"].outcome == FAIL  # type: ignore[attr-defined]
    assert "2 / 3" in first["HY-A09"].data  # type: ignore[attr-defined]
    assert first["HY-E04"].outcome == PASS  # type: ignore[attr-defined]
    # When the third arrives, the report passes HY-A09
    book(pharmacy, catalogue["losartan"], PURCHASE, 5, DAY)
    assert report()["HY-A09"].outcome == PASS  # type: ignore[attr-defined]
