"""Quarterly stocktakes (HY-E06): opened per period, reminded and escalated, submitted blind,
accepted or returned."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Membership, Organisation, Role, User
from core.calendar import WorkingCalendar, calendar_period, load_calendar
from core.errors import DomainError, RuleViolation, TransitionNotAllowed
from core.event_messages import reason as named_reason
from core.notifications import notification_send
from core.transitions import note, transition
from inventory.models import (
    MovementKind,
    StockBatch,
    Stocktake,
    StocktakeLine,
    StocktakeStatus,
)
from inventory.selectors import (
    ledger_reconciliation,
    local_start,
)
from inventory.services.ledger import stock_movement_record
from inventory.transitions import STOCKTAKE
from pharmacies.models import Pharmacy
from programmes.models import PeriodUnit, Programme

# --- Stocktakes -----------------------------------------------------------------------------


def stocktake_period_ended(programme: Programme, today: date) -> tuple[date, date] | None:
    """HY-E06: the stocktake period (the programme's month or quarter) that ended before the
    one containing `today`; None when the programme sets no stocktakes."""
    if not programme.stocktake_period or programme.stocktake_due_working_days is None:
        return None
    this_start, _end = calendar_period(today, PeriodUnit(programme.stocktake_period).months)
    period_end = this_start - timedelta(days=1)
    return calendar_period(period_end, PeriodUnit(programme.stocktake_period).months)[0], period_end


def stocktakes_open_for_period(
    *, programme: Programme, pharmacies: list[Pharmacy], today: date
) -> int:
    """HY-E06: at a period's start (quarter or month, as the programme sets), open the
    stocktake of the period just ended for each designated pharmacy (idempotent)."""
    period = stocktake_period_ended(programme, today)
    if period is None or programme.stocktake_due_working_days is None:
        return 0
    period_start, period_end = period
    days = programme.stocktake_due_working_days
    calendars: dict[int, WorkingCalendar] = {}
    region_of = dict(
        Organisation.objects.filter(pk__in=[p.organisation_id for p in pharmacies]).values_list(
            "pk", "region_id"
        )
    )
    created = 0
    for pharmacy in pharmacies:
        calendar = _region_calendar(calendars, region_of[pharmacy.organisation_id])
        _obj, was_created = Stocktake.objects.get_or_create(
            pharmacy=pharmacy,
            programme=programme,
            period_start=period_start,
            defaults={
                "period_end": period_end,
                "due_on": calendar.add_working_days(period_end, days),
                "blind": programme.stocktake_blind,
            },
        )
        created += was_created
    return created


def _region_calendar(calendars: dict[int, WorkingCalendar], region_id: int) -> WorkingCalendar:
    """The working-day calendar of a pharmacy's region, loaded once per region."""
    if region_id not in calendars:
        calendars[region_id] = load_calendar(region_id=region_id)
    return calendars[region_id]


def _pharmacy_managers(pharmacy: Pharmacy) -> Any:
    return User.objects.filter(
        is_active=True,
        pk__in=Membership.objects.filter(
            organisation=pharmacy.organisation,
            role=Role.PHARMACY_MANAGER,
            is_active=True,
        ).values("user_id"),
    )


def _period(stocktake: Stocktake) -> dict[str, str]:
    return {"start": stocktake.period_start.isoformat(), "end": stocktake.period_end.isoformat()}


def _tell_managers(stocktake: Stocktake, *, key: str, message: str, params: dict[str, Any]) -> int:
    """Notify the pharmacy's managers about their stocktake (HY-E06); returns how many new."""
    return notification_send(
        recipients=_pharmacy_managers(stocktake.pharmacy),
        key=key,
        message=message,
        params=params,
        link=reverse("inventory:stocktake", args=[stocktake.pk]),
        rule_id="HY-E06",
    )


def _escalate_overdue(stocktake: Stocktake, now: datetime) -> None:
    """HY-E06: an overdue stocktake is marked escalated (supervision's rule reads the mark and
    raises the finding), and the pharmacy is told: it is the one that must still submit."""
    _tell_managers(
        stocktake,
        key=f"stocktake-overdue-{stocktake.pk}",
        message="stocktake_overdue",
        params={"due": stocktake.due_on.isoformat(), **_period(stocktake)},
    )
    Stocktake.objects.filter(pk=stocktake.pk).update(escalated_at=now)


def stocktakes_remind_and_escalate(*, today: date) -> tuple[int, int]:
    """HY-E06: remind pharmacies before a stocktake falls due; raise a finding when overdue."""
    calendars: dict[int, WorkingCalendar] = {}
    reminded = escalated = 0
    now = timezone.now()
    for stocktake in Stocktake.objects.filter(status=StocktakeStatus.OPEN).select_related(
        "pharmacy__organisation", "programme"
    ):
        lead = stocktake.programme.stocktake_reminder_working_days or 0
        if today > stocktake.due_on:
            if stocktake.escalated_at is None:
                _escalate_overdue(stocktake, now)
                escalated += 1
            continue
        calendar = _region_calendar(calendars, stocktake.pharmacy.organisation.region_id)
        if calendar.working_days_between(today, stocktake.due_on) <= lead:
            sent = _tell_managers(
                stocktake,
                key=f"stocktake-reminder-{stocktake.pk}",
                message="stocktake_reminder",
                params={"due": stocktake.due_on.isoformat(), **_period(stocktake)},
            )
            if stocktake.reminded_at is None:
                Stocktake.objects.filter(pk=stocktake.pk).update(reminded_at=now)
            reminded += bool(sent)
    return reminded, escalated


def stocktake_blind_set(
    *, stocktake: Stocktake, blind: bool, actor: User, reason: str = ""
) -> Stocktake:
    """HY-E06: the bureau chooses per stocktake whether the count sheet shows the system
    quantities or is blind (opened with the programme's default); only while it is open."""
    with transaction.atomic():
        locked = Stocktake.objects.select_for_update().get(pk=stocktake.pk)
        if locked.status != StocktakeStatus.OPEN:
            raise TransitionNotAllowed(_("盘点已提交，不能再更改盘底表方式。"))
        if locked.blind == blind:
            return locked
        locked.blind = blind
        locked.save(update_fields=["blind"])
        what = (
            gettext_lazy("改为盲盘（盘底表不显示账面数量）")
            if blind
            else gettext_lazy("改为显示账面数量")
        )
        key = "stocktake_blind" if blind else "stocktake_not_blind"
        note(STOCKTAKE, locked, actor=actor, reason=named_reason(key, note=reason.strip()))
        _tell_managers(
            locked,
            key=f"stocktake-blind-{locked.pk}-{timezone.now():%Y%m%d%H%M%S%f}",
            message="stocktake_blind_changed",
            params={"what": what, "stocktake": str(locked)},
        )
    return locked


def _check_count_time(stocktake: Stocktake, counted_at: datetime, now: datetime) -> None:
    """HY-E06: a stocktake is submitted once, counted after its period and not in the future."""
    if stocktake.status != StocktakeStatus.OPEN:
        raise TransitionNotAllowed(_("该盘点已提交，不能再次提交。"))
    if counted_at > now:
        raise DomainError(_("实盘时间不能晚于现在。"))
    if counted_at < local_start(stocktake.period_end + timedelta(days=1)):
        raise DomainError(_("实盘时间须在盘点期结束之后。"))


def _count_lines(
    stocktake: Stocktake,
    counts: dict[int, tuple[int, str]],
    counted_at: datetime,
    tolerance: int,
) -> tuple[list[StocktakeLine], dict[int, StockBatch]]:
    """HY-E06: one line per batch held or counted, the count against the ledger up to the
    count time (stock that moves afterwards is not lost). Refuses a batch of another pharmacy,
    a held batch left uncounted, a negative count, and a difference beyond `tolerance` without
    a reason. Returns the lines and their batches."""
    ledger = ledger_reconciliation(
        pharmacy=stocktake.pharmacy, period_start=stocktake.period_start, until=counted_at
    )
    own = set(
        StockBatch.objects.filter(pharmacy=stocktake.pharmacy, pk__in=counts).values_list(
            "pk", flat=True
        )
    )
    unknown = set(counts) - own
    if unknown:
        raise DomainError(_("盘点表中有不属于本店的批次：%s") % sorted(unknown))
    missing: list[int] = []
    needs_reason: list[str] = []
    lines = []
    batches = StockBatch.objects.in_bulk(set(ledger) | set(counts))
    for batch_id in sorted(set(ledger) | set(counts)):
        values = ledger.get(batch_id) or {"expected": 0}
        if batch_id not in counts:
            if values["expected"]:
                missing.append(batch_id)
            continue
        counted, reason = counts[batch_id]
        if counted < 0:
            raise DomainError(_("实盘数量不能为负数。"))
        line = StocktakeLine(
            stocktake=stocktake,
            batch_id=batch_id,
            counted=counted,
            difference=counted - values["expected"],
            reason=reason.strip()[:200],
            opening=values.get("opening", 0),
            **{k: v for k, v in values.items() if k not in ("opening", "counted")},
        )
        if abs(line.difference) > tolerance and not line.reason:
            needs_reason.append(str(batches[batch_id]))
        lines.append(line)
    if missing:
        raise DomainError(
            _("以下批次有账面库存但未填写实盘数量：%s")
            % "、".join(str(batches[b]) for b in missing)
        )
    if needs_reason:
        raise RuleViolation(
            "HY-E06",
            _("差异超过允许范围（%(tol)s）须说明原因：%(items)s")
            % {"tol": tolerance, "items": "、".join(needs_reason)},
        )
    return lines, batches


def stocktake_submit(
    *,
    stocktake: Stocktake,
    counts: dict[int, tuple[int, str]],
    counted_at: datetime,
    actor: User | None,
    sheet: tuple[str, bytes] | None = None,
) -> Stocktake:
    """HY-E06: reconcile the count against the ledger up to the count time, require reasons
    beyond tolerance, mark an imbalance (supervision's SV-F03 reads it and raises the finding
    for priority inspection)."""
    with transaction.atomic():
        locked = (
            Stocktake.objects.select_for_update()
            .select_related("programme", "pharmacy__organisation")
            .get(pk=stocktake.pk)
        )
        now = timezone.now()
        _check_count_time(locked, counted_at, now)
        tolerance = locked.programme.stocktake_tolerance_units or 0
        lines, _batches = _count_lines(locked, counts, counted_at, tolerance)
        StocktakeLine.objects.filter(stocktake=locked).delete()
        StocktakeLine.objects.bulk_create(lines)
        imbalanced = [line for line in lines if abs(line.difference) > tolerance]
        fields: dict[str, Any] = {
            "is_imbalanced": bool(imbalanced),
            "counted_at": counted_at,
            "submitted_at": now,
        }
        if sheet is not None:
            locked.sheet.save(sheet[0], ContentFile(sheet[1]), save=False)
            fields["sheet"] = locked.sheet.name
        submitted = transition(
            STOCKTAKE, locked, StocktakeStatus.SUBMITTED, actor=actor, fields=fields
        )
    return submitted


def stocktake_accept(*, stocktake: Stocktake, actor: User, reason: str = "") -> Stocktake:
    """HY-E06: the bureau accepts a submitted stocktake; differences are booked as
    stocktake gains/losses at the count time."""
    with transaction.atomic():
        locked = Stocktake.objects.select_for_update().get(pk=stocktake.pk)
        if locked.status != StocktakeStatus.SUBMITTED:
            raise TransitionNotAllowed(_("只有已提交的盘点可以审核。"))
        assert locked.counted_at is not None
        for line in locked.lines.exclude(difference=0).select_related("batch__drug"):
            kind = (
                MovementKind.STOCKTAKE_GAIN if line.difference > 0 else MovementKind.STOCKTAKE_LOSS
            )
            stock_movement_record(
                pharmacy=locked.pharmacy,
                batch=line.batch,
                kind=kind,
                quantity=abs(line.difference),
                occurred_at=locked.counted_at,
                actor=actor,
                reference=f"ST{locked.pk}",
            )
        return transition(
            STOCKTAKE,
            locked,
            StocktakeStatus.ACCEPTED,
            actor=actor,
            reason=reason,
            fields={"reviewed_at": timezone.now(), "reviewed_by": actor},
        )


def stocktake_return(*, stocktake: Stocktake, actor: User, reason: str) -> Stocktake:
    """HY-E06: the bureau returns a submitted stocktake for a recount (reason required)."""
    if not reason.strip():
        raise DomainError(_("退回须说明原因。"))
    with transaction.atomic():
        locked = Stocktake.objects.select_for_update().get(pk=stocktake.pk)
        locked.lines.all().delete()
        return transition(STOCKTAKE, locked, StocktakeStatus.OPEN, actor=actor, reason=reason)
