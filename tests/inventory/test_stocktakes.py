"""Quarterly stocktakes (HY-E06): opening, reminders, escalation, reconciliation, review."""

from __future__ import annotations

import io
from datetime import date, datetime

import pytest
import time_machine
from django.test import Client
from django.utils import timezone
from openpyxl import load_workbook
from pypdf import PdfReader

from accounts.models import User
from accreditation.models import Designation
from accreditation.tasks import stocktakes_scan
from core.calendar import load_calendar
from core.errors import RuleViolation, TransitionNotAllowed
from core.models import Notification
from inventory.models import (
    Drug,
    Movement,
    MovementKind,
    StockBatch,
    Stocktake,
    StocktakeStatus,
)
from inventory.services import (
    stock_sale_book,
    stocktake_accept,
    stocktake_blind_set,
    stocktake_submit,
    stocktakes_open_for_period,
    stocktakes_remind_and_escalate,
)
from pharmacies.models import Pharmacy
from programmes.models import Programme
from supervision.engine import rules_scan
from supervision.models import Finding, FindingKind, FindingPriority
from tests.factories.inventory import at, book, open_q3
from tests.factories.sessions import login

K = MovementKind
COUNT_TIME = datetime(2026, 10, 9, 9, 0)


def hand_built_ledger(pharmacy: Pharmacy, drug: Drug) -> StockBatch:
    """Opening 100, then every trade movement type (all but stocktake gain and loss) in
    Q3 2026: expected 119 at the count."""
    book(pharmacy, drug, K.PURCHASE, 100, at(date(2026, 6, 10)))
    for kind, quantity, day in [
        (K.PURCHASE, 50, 2),
        (K.PURCHASE_RETURN, 5, 3),
        (K.SALE, 30, 4),
        (K.SALE_RETURN, 2, 5),
        (K.TRANSFER_IN, 10, 6),
        (K.TRANSFER_OUT, 4, 7),
        (K.LOSS, 3, 8),
        (K.DESTRUCTION, 1, 9),
    ]:
        book(pharmacy, drug, kind, quantity, at(date(2026, 7, day)))
    return StockBatch.objects.get(pharmacy=pharmacy, drug=drug)


@pytest.mark.django_db
def test_hy_e06_opens_the_past_quarter_once_due_working_days_after_quarter_end(
    hy: Programme, gy: Programme, pharmacy: Pharmacy
) -> None:
    stocktake = open_q3(hy, pharmacy)
    assert (stocktake.period_start, stocktake.period_end) == (date(2026, 7, 1), date(2026, 9, 30))
    assert stocktake.due_on == load_calendar(
        region_id=pharmacy.organisation.region_id
    ).add_working_days(date(2026, 9, 30), 10)
    assert stocktake.status == StocktakeStatus.OPEN
    # Idempotent, and a programme without stocktakes (GY-PT) opens none
    assert (
        stocktakes_open_for_period(programme=hy, pharmacies=[pharmacy], today=date(2026, 10, 2))
        == 0
    )
    assert (
        stocktakes_open_for_period(programme=gy, pharmacies=[pharmacy], today=date(2026, 10, 1))
        == 0
    )


@pytest.mark.django_db(transaction=True)
def test_hy_e06_scan_opens_stocktakes_for_designated_pharmacies_only(
    hy: Programme, pharmacy: Pharmacy, outsider_pharmacy: Pharmacy
) -> None:
    Designation.objects.create(
        pharmacy=pharmacy, programme=hy, starts_on=date(2026, 1, 1), ends_on=date(2026, 12, 31)
    )
    with time_machine.travel(datetime(2026, 10, 1, 2, 0)):
        result = stocktakes_scan.apply().get()
    assert result["opened"] == 1
    assert list(Stocktake.objects.values_list("pharmacy", flat=True)) == [pharmacy.pk]


@pytest.mark.django_db
def test_hy_e06_reminds_before_due_once_and_escalates_when_overdue(
    hy: Programme, pharmacy: Pharmacy, manager: User
) -> None:
    stocktake = open_q3(hy, pharmacy)
    calendar = load_calendar(region_id=pharmacy.organisation.region_id)
    # Too early: nothing
    assert stocktakes_remind_and_escalate(today=date(2026, 10, 1)) == (0, 0)
    # Within the reminder lead: the manager is reminded, once
    lead_day = stocktake.due_on
    while (
        calendar.working_days_between(lead_day, stocktake.due_on)
        < hy.stocktake_reminder_working_days
    ):
        lead_day = date.fromordinal(lead_day.toordinal() - 1)
    assert stocktakes_remind_and_escalate(today=lead_day) == (1, 0)
    assert stocktakes_remind_and_escalate(today=lead_day) == (0, 0)
    assert Notification.objects.filter(recipient=manager, rule_id="HY-E06").count() == 1
    # Overdue: a finding, raised once
    overdue = date.fromordinal(stocktake.due_on.toordinal() + 1)
    assert stocktakes_remind_and_escalate(today=overdue) == (0, 1)
    assert stocktakes_remind_and_escalate(today=overdue) == (0, 0)
    rules_scan()  # supervision's HY-E06 rule reads the escalation mark
    rules_scan()
    finding = Finding.objects.get()
    assert finding.kind == FindingKind.STOCKTAKE_OVERDUE and finding.rule_id == "HY-E06"


@pytest.mark.django_db
def test_reconciliation_of_a_hand_built_ledger_with_every_movement_type(
    hy: Programme, pharmacy: Pharmacy, catalogue: dict[str, Drug]
) -> None:
    drug = catalogue["amlodipine"]
    batch = hand_built_ledger(pharmacy, drug)
    # The earlier stocktakes' adjustments: a loss of 1 before the period (in the opening),
    # then a gain of 6 and a loss of 2 booked in Q3 when the Q2 count was accepted
    book(pharmacy, drug, K.STOCKTAKE_LOSS, 1, at(date(2026, 6, 20)))
    book(pharmacy, drug, K.STOCKTAKE_GAIN, 6, at(date(2026, 7, 10)))
    book(pharmacy, drug, K.STOCKTAKE_LOSS, 2, at(date(2026, 7, 11)))
    booked = Movement.objects.filter(batch=batch).values_list("kind", flat=True)
    assert {MovementKind(kind) for kind in booked} == set(MovementKind)
    # By hand: 100 - 1 opening; + 50 - 5 - 30 + 2 + 10 - 4 - (3 + 1) + (6 - 2) = 122
    stocktake = open_q3(hy, pharmacy)
    with time_machine.travel(datetime(2026, 10, 10, 9, 0)):
        stocktake_submit(
            stocktake=stocktake,
            counts={batch.pk: (122, "")},
            counted_at=at(date(2026, 10, 9), 9),
            actor=None,
        )
    line = stocktake.lines.get()
    assert (line.opening, line.purchases, line.purchase_returns, line.sales) == (99, 50, 5, 30)
    assert (line.sale_returns, line.transfers_in, line.transfers_out, line.losses) == (2, 10, 4, 4)
    assert line.adjustments == 4
    assert (line.expected, line.counted, line.difference) == (122, 122, 0)
    batch.refresh_from_db()
    assert batch.quantity == 122
    stocktake.refresh_from_db()
    assert stocktake.status == StocktakeStatus.SUBMITTED and not stocktake.is_imbalanced
    assert not Finding.objects.exists()


@pytest.mark.django_db
def test_hy_e06_difference_beyond_tolerance_needs_a_reason_and_raises_priority_inspection(
    hy: Programme, pharmacy: Pharmacy, catalogue: dict[str, Drug], reviewer: User
) -> None:
    batch = hand_built_ledger(pharmacy, catalogue["amlodipine"])
    stocktake = open_q3(hy, pharmacy)
    with time_machine.travel(datetime(2026, 10, 10, 9, 0)):
        # Refused: one missing unit without a reason
        with pytest.raises(RuleViolation) as exc:
            stocktake_submit(
                stocktake=stocktake,
                counts={batch.pk: (118, "")},
                counted_at=at(date(2026, 10, 9)),
                actor=None,
            )
        assert exc.value.rule_id == "HY-E06"
        assert not stocktake.lines.exists()
        # Allowed with a reason; the imbalance is a priority-inspection finding
        stocktake_submit(
            stocktake=stocktake,
            counts={batch.pk: (118, "破损一盒未登记报损")},
            counted_at=at(date(2026, 10, 9)),
            actor=None,
        )
    stocktake.refresh_from_db()
    assert stocktake.is_imbalanced
    rules_scan()  # supervision's SV-F03 reads the imbalance mark
    finding = Finding.objects.get()
    assert finding.priority == FindingPriority.PRIORITY_INSPECTION and finding.rule_id == "SV-F03"
    assert finding.kind == FindingKind.STOCK_IMBALANCE and finding.pharmacy == pharmacy
    assert finding.details["evidence"]["lines"][0]["difference"] == -1
    assert Notification.objects.filter(recipient=reviewer).count() == 0  # on_commit in tests


@pytest.mark.django_db
def test_hy_e06_difference_within_tolerance_needs_no_reason(
    hy: Programme, pharmacy: Pharmacy, catalogue: dict[str, Drug]
) -> None:
    Programme.objects.filter(pk=hy.pk).update(stocktake_tolerance_units=2)
    batch = hand_built_ledger(pharmacy, catalogue["amlodipine"])
    stocktake = open_q3(hy, pharmacy)
    with time_machine.travel(datetime(2026, 10, 10, 9, 0)):
        stocktake_submit(
            stocktake=stocktake,
            counts={batch.pk: (118, "")},
            counted_at=at(date(2026, 10, 9)),
            actor=None,
        )
    stocktake.refresh_from_db()
    assert not stocktake.is_imbalanced and not Finding.objects.exists()


@pytest.mark.django_db
def test_stock_moving_during_the_count_is_not_lost_and_acceptance_books_the_loss(
    hy: Programme, pharmacy: Pharmacy, catalogue: dict[str, Drug], reviewer: User
) -> None:
    drug = catalogue["amlodipine"]
    batch = hand_built_ledger(pharmacy, drug)
    stocktake = open_q3(hy, pharmacy)
    # Counted on 9 October at 09:00; a sale at 11:00 the same day happens after the count
    from decimal import Decimal

    stock_sale_book(
        pharmacy=pharmacy,
        drug=drug,
        batch=batch,
        quantity=7,
        unit_price=Decimal("18"),
        traceability_codes=[],
        sold_at=at(date(2026, 10, 9), 11),
        actor=None,
    )
    with time_machine.travel(datetime(2026, 10, 10, 9, 0)):
        stocktake_submit(
            stocktake=stocktake,
            counts={batch.pk: (118, "破损")},
            counted_at=at(date(2026, 10, 9), 9),
            actor=None,
        )
    assert stocktake.lines.get().expected == 119  # the later sale is not in the count
    stocktake_accept(stocktake=stocktake, actor=reviewer)
    batch.refresh_from_db()
    assert batch.quantity == 118 - 7
    loss = Movement.objects.get(kind=K.STOCKTAKE_LOSS)
    assert loss.quantity == -1 and loss.occurred_at == at(date(2026, 10, 9), 9)
    stocktake.refresh_from_db()
    assert stocktake.status == StocktakeStatus.ACCEPTED
    assert [e.new_status for e in stocktake.events.all()] == ["submitted", "accepted"]
    with pytest.raises(TransitionNotAllowed):
        stocktake_accept(stocktake=stocktake, actor=reviewer)


def _fill(sheet_bytes: bytes, counted: dict[str, tuple[int, str | None]], when: str) -> bytes:
    workbook = load_workbook(io.BytesIO(sheet_bytes))
    sheet = workbook.active
    assert sheet is not None
    sheet["B2"] = when
    for row in sheet.iter_rows(min_row=4):
        batch_no = row[5].value
        if batch_no in counted:
            row[8].value, row[9].value = counted[str(batch_no)]
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


@pytest.mark.django_db
def test_count_sheet_download_upload_and_bureau_review_through_the_pages(
    client: Client,
    hy: Programme,
    pharmacy: Pharmacy,
    catalogue: dict[str, Drug],
    manager: User,
    reviewer: User,
) -> None:
    hand_built_ledger(pharmacy, catalogue["amlodipine"])
    book(pharmacy, catalogue["captopril"], K.PURCHASE, 40, at(date(2026, 8, 1)), batch_no="K2")
    stocktake = open_q3(hy, pharmacy)
    with time_machine.travel(datetime(2026, 10, 10, 9, 0)):
        login(client, manager)
        sheet = client.get(f"/inventory/stocktakes/{stocktake.pk}/sheet.xlsx")
        assert sheet.status_code == 200
        rows = list(load_workbook(io.BytesIO(sheet.content)).active.iter_rows(values_only=True))
        assert {(r[5], r[7]) for r in rows[3:]} == {("B1", 119), ("K2", 40)}
        filled = _fill(
            sheet.content, {"B1": (119, None), "K2": (38, "两盒破损")}, "2026-10-09 09:00"
        )
        upload = io.BytesIO(filled)
        upload.name = "盘底表.xlsx"
        client.post(
            f"/inventory/stocktakes/{stocktake.pk}/upload/", {"file": upload, "confirmed": "1"}
        )
        stocktake.refresh_from_db()
        assert stocktake.status == StocktakeStatus.SUBMITTED and stocktake.is_imbalanced
        # The bureau sees the discrepancy and the finding
        client = login(Client(), reviewer)
        page = client.get(f"/inventory/stocktakes/{stocktake.pk}/").content.decode()
        assert "两盒破损" in page and "账实不符" in page
        rules_scan()  # the worker's beat runs supervision's rules every few minutes
        findings = client.get("/supervision/findings/").content.decode()
        assert "进销存不平衡" in findings and "重点核查" in findings
        client.post(
            f"/inventory/stocktakes/{stocktake.pk}/review/",
            {"confirmed": "1", "decision": "accept"},
        )
    stocktake.refresh_from_db()
    assert stocktake.status == StocktakeStatus.ACCEPTED
    assert StockBatch.objects.get(batch_no="K2").quantity == 38


@pytest.mark.django_db
def test_blind_count_sheet_hides_system_quantities(
    client: Client, hy: Programme, pharmacy: Pharmacy, catalogue: dict[str, Drug], manager: User
) -> None:
    Programme.objects.filter(pk=hy.pk).update(stocktake_blind=True)
    hy.refresh_from_db()
    hand_built_ledger(pharmacy, catalogue["amlodipine"])
    stocktake = open_q3(hy, pharmacy)
    assert stocktake.blind
    login(client, manager)
    sheet = client.get(f"/inventory/stocktakes/{stocktake.pk}/sheet.xlsx")
    rows = list(load_workbook(io.BytesIO(sheet.content)).active.iter_rows(values_only=True))
    assert rows[3][5] == "B1" and rows[3][7] is None


@pytest.mark.django_db
def test_uploading_a_sheet_with_a_negative_count_is_refused(
    client: Client, hy: Programme, pharmacy: Pharmacy, catalogue: dict[str, Drug], manager: User
) -> None:
    hand_built_ledger(pharmacy, catalogue["amlodipine"])
    stocktake = open_q3(hy, pharmacy)
    with time_machine.travel(datetime(2026, 10, 10, 9, 0)):
        login(client, manager)
        sheet = client.get(f"/inventory/stocktakes/{stocktake.pk}/sheet.xlsx")
        upload = io.BytesIO(_fill(sheet.content, {"B1": (-3, "x")}, "2026-10-09 09:00"))
        upload.name = "盘底表.xlsx"
        page = client.post(
            f"/inventory/stocktakes/{stocktake.pk}/upload/",
            {"file": upload, "confirmed": "1"},
            follow=True,
        ).content.decode()
    assert "实盘数量" in page and "整数" in page
    stocktake.refresh_from_db()
    assert stocktake.status == StocktakeStatus.OPEN


def _with_row_repeated(sheet_bytes: bytes, batch_no: str) -> bytes:
    """The sheet with the row of `batch_no` copied to the end, counted differently."""
    workbook = load_workbook(io.BytesIO(sheet_bytes))
    sheet = workbook.active
    assert sheet is not None
    row = next(r for r in sheet.iter_rows(min_row=4, values_only=True) if r[5] == batch_no)
    sheet.append([*row[:8], 117, "复盘"])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


@pytest.mark.django_db
def test_hy_e06_a_count_sheet_naming_a_batch_twice_is_refused_whole(
    client: Client, hy: Programme, pharmacy: Pharmacy, catalogue: dict[str, Drug], manager: User
) -> None:
    hand_built_ledger(pharmacy, catalogue["amlodipine"])
    book(pharmacy, catalogue["captopril"], K.PURCHASE, 40, at(date(2026, 8, 1)), batch_no="K2")
    stocktake = open_q3(hy, pharmacy)
    with time_machine.travel(datetime(2026, 10, 10, 9, 0)):
        login(client, manager)
        sheet = client.get(f"/inventory/stocktakes/{stocktake.pk}/sheet.xlsx").content
        filled = _fill(sheet, {"B1": (119, None), "K2": (40, None)}, "2026-10-09 09:00")
        rows = list(load_workbook(io.BytesIO(filled)).active.iter_rows(values_only=True))
        b1_row = 1 + next(i for i, r in enumerate(rows) if r[5] == "B1")
        # Refused: B1 counted a second time on row 6, and nothing is recorded
        upload = io.BytesIO(_with_row_repeated(filled, "B1"))
        upload.name = "盘底表.xlsx"
        page = client.post(
            f"/inventory/stocktakes/{stocktake.pk}/upload/",
            {"file": upload, "confirmed": "1"},
            follow=True,
        ).content.decode()
        assert f"第 6 行“批次编号”与第 {b1_row} 行重复" in page
        stocktake.refresh_from_db()
        assert stocktake.status == StocktakeStatus.OPEN
        assert not stocktake.lines.exists() and not stocktake.sheet
        # Allowed: the same sheet without the repeated row
        upload = io.BytesIO(filled)
        upload.name = "盘底表.xlsx"
        client.post(
            f"/inventory/stocktakes/{stocktake.pk}/upload/", {"file": upload, "confirmed": "1"}
        )
    stocktake.refresh_from_db()
    assert stocktake.status == StocktakeStatus.SUBMITTED and not stocktake.is_imbalanced
    assert {(line.batch.batch_no, line.counted) for line in stocktake.lines.all()} == {
        ("B1", 119),
        ("K2", 40),
    }


@pytest.mark.django_db
def test_stocktake_sheet_pdf_carries_the_chinese_content(
    client: Client, hy: Programme, pharmacy: Pharmacy, catalogue: dict[str, Drug], manager: User
) -> None:
    hand_built_ledger(pharmacy, catalogue["amlodipine"])
    stocktake = open_q3(hy, pharmacy)
    login(client, manager)
    response = client.get(f"/inventory/stocktakes/{stocktake.pk}/pdf/")
    assert response["Content-Type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    assert "药店季度盘点表" in text and "苯磺酸氨氯地平片" in text and pharmacy.name in text


@pytest.mark.django_db
def test_stocktake_sheet_pdf_period_reads_in_the_chosen_language(
    client: Client, hy: Programme, pharmacy: Pharmacy, catalogue: dict[str, Drug], manager: User
) -> None:
    hand_built_ledger(pharmacy, catalogue["amlodipine"])
    stocktake = open_q3(hy, pharmacy)
    login(client, manager)

    def pdf_text() -> str:
        response = client.get(f"/inventory/stocktakes/{stocktake.pk}/pdf/")
        return "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)

    assert "2026-07-01 至 2026-09-30" in pdf_text()
    client.post("/i18n/setlang/", {"language": "en", "next": "/inventory/"})
    english = pdf_text()
    assert "2026-07-01 to 2026-09-30" in english and "至" not in english


@pytest.mark.django_db
def test_hy_e06_overdue_escalation_tells_the_pharmacy_and_raises_a_finding_for_reviewers(
    hy: Programme, pharmacy: Pharmacy, manager: User, reviewer: User
) -> None:
    stocktake = open_q3(hy, pharmacy)
    overdue = date.fromordinal(stocktake.due_on.toordinal() + 1)
    # Not yet overdue on the due day itself
    stocktakes_remind_and_escalate(today=stocktake.due_on)
    assert not Finding.objects.exists()
    assert stocktakes_remind_and_escalate(today=overdue) == (0, 1)
    rules_scan()
    finding = Finding.objects.get()
    assert (finding.kind, finding.rule_id, finding.pharmacy) == (
        FindingKind.STOCKTAKE_OVERDUE,
        "HY-E06",
        pharmacy,
    )
    overdue_notes = Notification.objects.filter(
        recipient=manager, key__startswith="stocktake-overdue"
    )
    assert overdue_notes.count() == 1 and "逾期" in overdue_notes.get().subject


@pytest.mark.django_db
def test_hy_e06_the_bureau_chooses_a_blind_sheet_per_stocktake(
    client: Client,
    hy: Programme,
    pharmacy: Pharmacy,
    catalogue: dict[str, Drug],
    manager: User,
    reviewer: User,
    outsider_bureau_admin: User,
) -> None:
    # The programme default (not blind) is taken when the stocktake opens
    hand_built_ledger(pharmacy, catalogue["amlodipine"])
    stocktake = open_q3(hy, pharmacy)
    assert not stocktake.blind
    # The reviewer sees the choice on the stocktake page and makes this one blind
    bureau = login(Client(), reviewer)
    assert "盘底表方式" in bureau.get(f"/inventory/stocktakes/{stocktake.pk}/").content.decode()
    bureau.post(
        f"/inventory/stocktakes/{stocktake.pk}/blind/", {"blind": "1", "reason": "抽查盲盘"}
    )
    stocktake.refresh_from_db()
    assert stocktake.blind
    assert "抽查盲盘" in stocktake.events.get().reason
    assert Notification.objects.filter(
        recipient=manager, key__startswith="stocktake-blind"
    ).exists()
    # The pharmacy's sheet now hides the system quantities; it cannot change the choice
    login(client, manager)
    sheet = client.get(f"/inventory/stocktakes/{stocktake.pk}/sheet.xlsx")
    rows = list(load_workbook(io.BytesIO(sheet.content)).active.iter_rows(values_only=True))
    assert rows[3][5] == "B1" and rows[3][7] is None
    assert "盘底表方式" not in client.get(f"/inventory/stocktakes/{stocktake.pk}/").content.decode()
    assert (
        client.post(f"/inventory/stocktakes/{stocktake.pk}/blind/", {"blind": "0"}).status_code
        == 404
    )
    # Another region's bureau gets 404
    outsider = login(Client(), outsider_bureau_admin)
    assert (
        outsider.post(f"/inventory/stocktakes/{stocktake.pk}/blind/", {"blind": "0"}).status_code
        == 404
    )
    stocktake.refresh_from_db()
    assert stocktake.blind
    # Once submitted, the choice is fixed
    with time_machine.travel(datetime(2026, 10, 10, 9, 0)):
        stocktake_submit(
            stocktake=stocktake,
            counts={StockBatch.objects.get().pk: (119, "")},
            counted_at=at(date(2026, 10, 9), 9),
            actor=None,
        )
    with pytest.raises(TransitionNotAllowed):
        stocktake_blind_set(stocktake=stocktake, blind=False, actor=reviewer)


@pytest.mark.django_db
def test_hy_e06_a_sale_earlier_in_the_minute_of_the_download_is_no_discrepancy(
    client: Client,
    hy: Programme,
    pharmacy: Pharmacy,
    catalogue: dict[str, Drug],
    manager: User,
) -> None:
    """The sheet proposes its count time to the minute; its system quantities are those of
    that minute, so a sheet copied as it is balances (before: a sale at 09:00:10 was in the
    sheet's quantities, but not in the reconciliation up to 09:00, and HY-E06 refused it)."""
    book(pharmacy, catalogue["captopril"], K.PURCHASE, 40, at(date(2026, 8, 1)), batch_no="K2")
    stocktake = open_q3(hy, pharmacy)
    sold_at = timezone.make_aware(datetime(2026, 10, 10, 9, 0, 10))
    book(pharmacy, catalogue["captopril"], K.SALE, 3, sold_at, batch_no="K2")
    with time_machine.travel(timezone.make_aware(datetime(2026, 10, 10, 9, 0, 40))):
        login(client, manager)
        sheet = client.get(f"/inventory/stocktakes/{stocktake.pk}/sheet.xlsx").content
        rows = list(load_workbook(io.BytesIO(sheet)).active.iter_rows(values_only=True))
        assert rows[1][1] == "2026-10-10 09:00"
        (k2,) = [r for r in rows[3:] if r[5] == "K2"]
        # Copied as the sheet says (the 09:00:10 sale happened after the proposed 09:00).
        upload = io.BytesIO(_fill(sheet, {"K2": (k2[7], None)}, "2026-10-10 09:00"))
        upload.name = "盘底表.xlsx"
        client.post(
            f"/inventory/stocktakes/{stocktake.pk}/upload/", {"file": upload, "confirmed": "1"}
        )
    stocktake.refresh_from_db()
    assert k2[7] == 40
    assert stocktake.status == StocktakeStatus.SUBMITTED and not stocktake.is_imbalanced


@pytest.mark.django_db
def test_hy_e06_the_bureau_returns_a_submitted_stocktake_for_a_recount(
    client: Client,
    hy: Programme,
    pharmacy: Pharmacy,
    catalogue: dict[str, Drug],
    reviewer: User,
) -> None:
    # Given a submitted stocktake
    batch = hand_built_ledger(pharmacy, catalogue["amlodipine"])
    stocktake = open_q3(hy, pharmacy)
    with time_machine.travel(datetime(2026, 10, 10, 9, 0)):
        stocktake_submit(
            stocktake=stocktake,
            counts={batch.pk: (119, "")},
            counted_at=at(date(2026, 10, 9), 9),
            actor=None,
        )
    login(client, reviewer)
    review = f"/inventory/stocktakes/{stocktake.pk}/review/"
    # When the reviewer returns it without a reason, or with an over-long one, it stays
    page = client.post(review, {"confirmed": "1", "decision": "return", "reason": ""}, follow=True)
    assert "退回须说明原因" in page.content.decode()
    page = client.post(
        review, {"confirmed": "1", "decision": "return", "reason": "复" * 1001}, follow=True
    )
    assert "审核意见有误" in page.content.decode()
    stocktake.refresh_from_db()
    assert stocktake.status == StocktakeStatus.SUBMITTED and stocktake.lines.exists()
    # When it is returned with a reason, it is open again without its lines, the move recorded
    page = client.post(
        review, {"confirmed": "1", "decision": "return", "reason": "请复盘 B1"}, follow=True
    )
    assert "已退回药店重新盘点" in page.content.decode()
    stocktake.refresh_from_db()
    assert stocktake.status == StocktakeStatus.OPEN and not stocktake.lines.exists()
    event = stocktake.events.order_by("-pk").first()
    assert event is not None
    assert (event.old_status, event.new_status, event.reason, event.rule_id, event.actor) == (
        StocktakeStatus.SUBMITTED,
        StocktakeStatus.OPEN,
        "请复盘 B1",
        "HY-E06",
        reviewer,
    )
    # Then it cannot be accepted until it is submitted again
    with pytest.raises(TransitionNotAllowed):
        stocktake_accept(stocktake=stocktake, actor=reviewer)


@pytest.mark.django_db
def test_accepting_a_stocktake_is_confirmed_first_and_needs_a_decision(
    client: Client,
    hy: Programme,
    pharmacy: Pharmacy,
    catalogue: dict[str, Drug],
    reviewer: User,
) -> None:
    """Issue 16.3: acceptance adjusts the books for good; the page names that first, and a
    post without a decision is refused (nothing defaults to 审核通过)."""
    batch = hand_built_ledger(pharmacy, catalogue["amlodipine"])
    stocktake = open_q3(hy, pharmacy)
    with time_machine.travel(datetime(2026, 10, 10, 9, 0)):
        stocktake_submit(
            stocktake=stocktake,
            counts={batch.pk: (119, "破损一盒")},
            counted_at=at(date(2026, 10, 9), 9),
            actor=None,
        )
    login(client, reviewer)
    review = f"/inventory/stocktakes/{stocktake.pk}/review/"
    page = client.post(review, {"confirmed": "1", "reason": "x"}, follow=True).content.decode()
    assert "请选择审核结论" in page
    asked = client.post(review, {"decision": "accept", "reason": "相符"}).content.decode()
    assert "账面库存按实盘调整" in asked and 'value="accept"' in asked
    stocktake.refresh_from_db()
    assert stocktake.status == StocktakeStatus.SUBMITTED
    done = client.post(
        review, {"decision": "accept", "reason": "相符", "confirmed": "1"}, follow=True
    )
    stocktake.refresh_from_db()
    assert stocktake.status == StocktakeStatus.ACCEPTED
    assert "本期盘点完成" in done.content.decode()


@pytest.mark.django_db
def test_uploading_a_count_sheet_without_the_confirmation_box_submits_nothing(
    client: Client, hy: Programme, pharmacy: Pharmacy, manager: User
) -> None:
    """Issue 16.3: a file cannot be re-posted by a confirmation page, so the upload carries its
    own confirmation box naming the consequence; without it nothing is submitted."""
    stocktake = open_q3(hy, pharmacy)
    login(client, manager)
    sheet = io.BytesIO(b"not read")
    sheet.name = "盘底表.xlsx"
    page = client.post(
        f"/inventory/stocktakes/{stocktake.pk}/upload/", {"file": sheet}, follow=True
    ).content.decode()
    assert "未提交" in page and "提交后盘点表交医保中心审核，不能再修改" in page
    stocktake.refresh_from_db()
    assert stocktake.status == StocktakeStatus.OPEN


@pytest.mark.django_db
def test_hy_e06_batch_acceptance_is_confirmed_first_and_scoped(
    client: Client,
    hy: Programme,
    pharmacy: Pharmacy,
    catalogue: dict[str, Drug],
    reviewer: User,
) -> None:
    """Issue 16.3: the reviewer ticks submitted stocktakes on the list and accepts them at once
    (same service, confirmed first naming how many and which); an unknown id is a 404."""
    batch = hand_built_ledger(pharmacy, catalogue["amlodipine"])
    stocktake = open_q3(hy, pharmacy)
    with time_machine.travel(datetime(2026, 10, 10, 9, 0)):
        stocktake_submit(
            stocktake=stocktake,
            counts={batch.pk: (119, "破损一盒")},
            counted_at=at(date(2026, 10, 9), 9),
            actor=None,
        )
    login(client, reviewer)
    page = client.get("/inventory/stocktakes/").content.decode()
    assert f'name="ids" value="{stocktake.pk}"' in page
    url = "/inventory/stocktakes/batch/"
    assert client.post(url, {"batch": "accept", "ids": [stocktake.pk + 999]}).status_code == 404
    asked = client.post(url, {"batch": "accept", "ids": [stocktake.pk]}).content.decode()
    assert "1 项" in asked and "账面库存按实盘调整" in asked
    stocktake.refresh_from_db()
    assert stocktake.status == StocktakeStatus.SUBMITTED
    done = client.post(
        url, {"batch": "accept", "ids": [stocktake.pk], "confirmed": "1"}, follow=True
    )
    assert "已审核通过 1 项盘点" in done.content.decode()
    stocktake.refresh_from_db()
    assert stocktake.status == StocktakeStatus.ACCEPTED
