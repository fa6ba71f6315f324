"""Selectors the fund supervision reads (supervision.rules): refused counter attempts
(CounterRefusal, kept even when the sale rolled back) and dispensings. Read-only;
supervision is above prescriptions and prescriptions never imports it."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django.contrib.postgres.aggregates import ArrayAgg, StringAgg
from django.db.models import (
    CharField,
    Count,
    Exists,
    F,
    FloatField,
    Max,
    Min,
    OuterRef,
    Q,
    Sum,
    Value,
)
from django.db.models.functions import (
    Cast,
    Concat,
    ExtractYear,
    TruncDate,
    TruncMonth,
    TruncQuarter,
)
from django.utils import timezone

from accounts.models import Membership, Role
from inventory.models import ItemCategory
from prescriptions.models import (
    CounterRefusal,
    Dispensing,
    DispensingLine,
    DispensingStatus,
    Prescription,
    PrescriptionKind,
    QuotaAccount,
)

Period = tuple[datetime, datetime]

_REFUSAL_FIELDS = (
    "id",
    "rule_id",
    "pharmacy_id",
    "pharmacy__organisation__name",
    "pharmacy__organisation_id",
    "programme_id",
    "patient_id",
    "traceability_code",
    "refused_at",
)


def refusals_new(
    *, rule_ids: list[str], after_id: int, period: Period | None
) -> list[dict[str, Any]]:
    """Refusals under `rule_ids` with an id above `after_id` (the rule's watermark), or
    within `period` (a dry run), oldest first."""
    qs = CounterRefusal.objects.filter(rule_id__in=rule_ids)
    if period is not None:
        qs = qs.filter(refused_at__gte=period[0], refused_at__lt=period[1])
    else:
        qs = qs.filter(id__gt=after_id)
    return list(qs.values(*_REFUSAL_FIELDS).order_by("id"))


def refusal_counts_by_month(
    *, rule_ids: list[str], pharmacy_ids: list[int], since: datetime, until: datetime | None = None
) -> list[dict[str, Any]]:
    """Per pharmacy and month from `since`: how many refusals under `rule_ids`, the last
    one's id and a programme they were under (the attempts rules count the months new
    refusals fall in, against that programme's threshold)."""
    qs = CounterRefusal.objects.filter(
        rule_id__in=rule_ids, pharmacy_id__in=pharmacy_ids, refused_at__gte=since
    )
    if until is not None:
        qs = qs.filter(refused_at__lt=until)
    return list(
        qs.annotate(month=TruncMonth("refused_at"))
        .values(
            "pharmacy_id",
            "pharmacy__organisation__name",
            "pharmacy__organisation_id",
            "month",
        )
        .annotate(n=Count("id"), last_id=Max("id"), programme=Max("programme_id"))
        .order_by("pharmacy_id", "month")
    )


def refusal_last_id() -> int:
    """The newest refusal's id (0: none)."""
    return CounterRefusal.objects.aggregate(m=Max("id"))["m"] or 0


def dispensings_new(
    *, after_id: int, period: Period | None, recorder_off_staff: bool = False
) -> list[dict[str, Any]]:
    """Dispensings with an id above `after_id` or within `period`; `recorder_off_staff`: only
    those recorded by an account not on the pharmacy's staff list (GY-B02)."""
    qs = Dispensing.objects.all()
    if recorder_off_staff:
        qs = qs.filter(recorder_on_staff=False)
    if period is not None:
        qs = qs.filter(dispensed_at__gte=period[0], dispensed_at__lt=period[1])
    else:
        qs = qs.filter(id__gt=after_id)
    values: Any = qs.values(
        "id",
        "number",
        "pharmacy_id",
        "pharmacy__organisation__name",
        "pharmacy__organisation_id",
        "programme_id",
        "patient_id",
        "pharmacist__username",
        "dispensed_at",
        "total",
    ).order_by("id")
    return [dict(r) for r in values]


def dispensings_around(
    *, pharmacy_ids: list[int], since: datetime, until: datetime
) -> list[dict[str, Any]]:
    """The dispensings of `pharmacy_ids` in [since, until], by pharmacy and time (SV-F04 looks
    at the bursts new sales fall in)."""
    values: Any = (
        Dispensing.objects.filter(
            pharmacy_id__in=pharmacy_ids, dispensed_at__gte=since, dispensed_at__lte=until
        )
        .values(
            "id",
            "number",
            "pharmacy_id",
            "pharmacy__organisation__name",
            "pharmacy__organisation_id",
            "programme_id",
            "patient_id",
            "dispensed_at",
        )
        .order_by("pharmacy_id", "dispensed_at", "id")
    )
    return [dict(r) for r in values]


def dispensing_last_id() -> int:
    return Dispensing.objects.aggregate(m=Max("id"))["m"] or 0


def _new(qs: Any, *, after_id: int, period: Period | None, at: str = "dispensed_at") -> Any:
    if period is not None:
        return qs.filter(**{f"{at}__gte": period[0], f"{at}__lt": period[1]})
    return qs.filter(id__gt=after_id)


def december_groups_new(*, after_id: int, period: Period | None) -> tuple[int | None, list[Any]]:
    """SV-F11: the newest dispensing id above `after_id` (None: nothing new) and, aggregated
    in the database, each (pharmacy, programme, year) with new settled December sales."""
    new = _new(Dispensing.objects.all(), after_id=after_id, period=period)
    last = new.aggregate(m=Max("id"))["m"]
    if last is None:
        return None, []
    groups = (
        new.filter(dispensed_at__month=12, status=DispensingStatus.SETTLED)
        .annotate(year=ExtractYear("dispensed_at"))
        .values_list("pharmacy_id", "programme_id", "year")
        .distinct()
    )
    return last, list(groups)


def monthly_fund_totals(*, pharmacy_ids: list[int], year: int) -> list[dict[str, Any]]:
    """SV-F11: per pharmacy, programme and month of `year`, the fund share settled and the
    number of sales (returned sales left out), aggregated in the database."""
    return list(
        Dispensing.objects.filter(
            pharmacy_id__in=pharmacy_ids,
            dispensed_at__year=year,
            status=DispensingStatus.SETTLED,
        )
        .annotate(month=TruncMonth("dispensed_at"))
        .values(
            "pharmacy_id",
            "pharmacy__organisation__name",
            "pharmacy__organisation_id",
            "programme_id",
            "month",
        )
        .annotate(fund=Sum("fund_share"), n=Count("id"))
        .order_by("pharmacy_id", "programme_id", "month")
    )


def cap_line_months_new(*, after_id: int, period: Period | None) -> tuple[int | None, list[Any]]:
    """SV-F13: the newest dispensing line id above `after_id` (None: nothing new) and each
    (pharmacy, month) the new lines fall in, aggregated in the database."""
    new = _new(
        DispensingLine.objects.all(),
        after_id=after_id,
        period=period,
        at="dispensing__dispensed_at",
    )
    last = new.aggregate(m=Max("id"))["m"]
    if last is None:
        return None, []
    months = (
        new.annotate(month=TruncMonth("dispensing__dispensed_at"))
        .values_list("dispensing__pharmacy_id", "month")
        .distinct()
    )
    return last, list(months)


def cap_line_shares(*, pharmacy_ids: list[int], since: datetime, until: datetime) -> list[Any]:
    """SV-F13: per pharmacy and month in [since, until), how many settled lines were sold and
    how many at (or above) their cap, with the programme of the sales."""
    return list(
        DispensingLine.objects.filter(
            dispensing__pharmacy_id__in=pharmacy_ids,
            dispensing__dispensed_at__gte=since,
            dispensing__dispensed_at__lt=until,
            dispensing__status=DispensingStatus.SETTLED,
            price_cap__gt=0,
        )
        .annotate(month=TruncMonth("dispensing__dispensed_at"))
        .values(
            "dispensing__pharmacy_id",
            "dispensing__pharmacy__organisation__name",
            "dispensing__pharmacy__organisation_id",
            "month",
        )
        .annotate(
            lines=Count("id"),
            at_cap=Count("id", filter=Q(unit_price__gte=F("price_cap"))),
            programme=Max("dispensing__programme_id"),
        )
        .order_by("dispensing__pharmacy_id", "month")
    )


def cap_lines_sample(
    *, pharmacy_id: int, since: datetime, until: datetime, limit: int = 20
) -> list[dict[str, Any]]:
    """SV-F13 evidence: the first `limit` settled lines of a pharmacy in [since, until) sold
    at (or above) their cap: sale, drug, price and cap."""
    values: Any = (
        DispensingLine.objects.filter(
            dispensing__pharmacy_id=pharmacy_id,
            dispensing__dispensed_at__gte=since,
            dispensing__dispensed_at__lt=until,
            dispensing__status=DispensingStatus.SETTLED,
            price_cap__gt=0,
            unit_price__gte=F("price_cap"),
        )
        .values("dispensing__number", "drug__generic_name", "unit_price", "price_cap")
        .order_by("id")[:limit]
    )
    return [dict(r) for r in values]


def patient_sales_around(
    *, patient_ids: list[int], since: datetime, until: datetime
) -> list[dict[str, Any]]:
    """SV-F05: the settled sales of `patient_ids` in [since, until], by patient and time (the
    same patient at two pharmacies within minutes)."""
    values: Any = (
        Dispensing.objects.filter(
            patient_id__in=patient_ids,
            dispensed_at__gte=since,
            dispensed_at__lte=until,
            status=DispensingStatus.SETTLED,
        )
        .values(
            "id",
            "number",
            "pharmacy_id",
            "pharmacy__organisation__name",
            "pharmacy__organisation_id",
            "programme_id",
            "patient_id",
            "dispensed_at",
        )
        .order_by("patient_id", "dispensed_at", "id")
    )
    return [dict(r) for r in values]


def baskets_of_days(*, pharmacy_ids: list[int], since: datetime, until: datetime) -> list[Any]:
    """SV-F04: each settled sale of `pharmacy_ids` in [since, until) with its basket (its
    lines' drug and quantity, in drug order, as one text built in the database), by pharmacy
    and time; the basket's line count with it."""
    return list(
        Dispensing.objects.filter(
            pharmacy_id__in=pharmacy_ids,
            dispensed_at__gte=since,
            dispensed_at__lt=until,
            status=DispensingStatus.SETTLED,
        )
        .annotate(
            basket=StringAgg(
                Concat(
                    Cast("lines__drug_id", CharField()),
                    Value("×"),
                    Cast("lines__quantity", CharField()),
                ),
                delimiter=",",
                order_by=("lines__drug_id", "lines__quantity"),
            ),
            n_lines=Count("lines"),
        )
        .values(
            "id",
            "number",
            "pharmacy_id",
            "pharmacy__organisation__name",
            "pharmacy__organisation_id",
            "programme_id",
            "patient_id",
            "dispensed_at",
            "basket",
            "n_lines",
        )
        .order_by("pharmacy_id", "dispensed_at", "id")
    )


# --- SV-F08 forged prescriptions -------------------------------------------------------------

_DISPENSED_FIELDS = (
    "id",
    "number",
    "dispensed_at",
    "pharmacy_id",
    "pharmacy__organisation_id",
    "pharmacy__organisation__name",
    "programme_id",
    "prescription_id",
    "prescription__number",
    "prescription__source",
    "prescription__issued_on",
    "prescription__physician_id",
    "prescription__physician__username",
    "prescription__physician_name",
    "prescription__institution_id",
    "prescription__institution__name",
)


def prescribed_dispensings_new(
    *, after_id: int, period: Period | None, dated_after_sale: bool = False
) -> tuple[int | None, list[dict[str, Any]]]:
    """SV-F08: the newest dispensing id above `after_id` (None: nothing new) and the new
    dispensings of prescriptions naming a physician account and an institution, with the
    prescription; `dated_after_sale`: only those whose prescription is dated after the sale's
    local date. Two statements."""
    new = _new(Dispensing.objects.all(), after_id=after_id, period=period)
    last = new.aggregate(m=Max("id"))["m"]
    if last is None:
        return None, []
    if dated_after_sale:
        new = new.filter(prescription__issued_on__gt=TruncDate("dispensed_at"))
    else:
        new = new.filter(
            prescription__physician__isnull=False, prescription__institution__isnull=False
        )
    values: Any = new.values(*_DISPENSED_FIELDS).order_by("id")
    return last, [dict(r) for r in values]


def _day(on: date) -> tuple[datetime, datetime]:
    start = timezone.make_aware(datetime.combine(on, time.min))
    return start, timezone.make_aware(datetime.combine(on + timedelta(days=1), time.min))


def physicians_active_on(wanted: set[tuple[int, int, date]]) -> set[tuple[int, int, date]]:
    """SV-F08: which of (user, organisation, day) had an active physician membership at that
    organisation at some moment of that local day. From the membership's history (its state
    entering the day and every change during it); a membership without history is judged by
    its current state and creation. Two statements, whatever the number asked."""
    if not wanted:
        return set()
    users = {u for u, _o, _d in wanted}
    orgs = {o for _u, o, _d in wanted}
    history: Any = Membership.history.model
    changes: dict[tuple[int, int], list[tuple[datetime, bool]]] = {}
    for row in (
        history.objects.filter(user_id__in=users, organisation_id__in=orgs, role=Role.PHYSICIAN)
        .values_list("user_id", "organisation_id", "history_date", "history_type", "is_active")
        .order_by("history_date", "history_id")
    ):
        changes.setdefault((row[0], row[1]), []).append((row[2], row[3] != "-" and row[4]))
    current = {
        (m["user_id"], m["organisation_id"]): m
        for m in Membership.objects.filter(
            user_id__in=users, organisation_id__in=orgs, role=Role.PHYSICIAN
        ).values("user_id", "organisation_id", "is_active", "created_at")
    }
    active = set()
    for user_id, org_id, on in wanted:
        start, end = _day(on)
        steps = changes.get((user_id, org_id))
        if steps is None:
            now = current.get((user_id, org_id))
            ok = bool(now and now["is_active"] and now["created_at"] < end)
        else:
            entering = [state for at, state in steps if at < start][-1:]
            during = [state for at, state in steps if start <= at < end]
            ok = any(entering + during)
        if ok:
            active.add((user_id, org_id, on))
    return active


def prescription_months_new(
    *, after_id: int, period: Period | None
) -> tuple[int | None, set[tuple[int, date]]]:
    """SV-F08 volume: the newest prescription id above `after_id` (None: nothing new; a dry
    run reads prescriptions recorded within `period`) and each (institution, month of issue)
    the new prescriptions of physician accounts fall in."""
    new = _new(Prescription.objects.all(), after_id=after_id, period=period, at="created_at")
    last = new.aggregate(m=Max("id"))["m"]
    if last is None:
        return None, set()
    months = (
        new.filter(physician__isnull=False, institution__isnull=False)
        .annotate(month=TruncMonth("issued_on"))
        .values_list("institution_id", "month")
        .distinct()
    )
    return last, set(months)


def physician_month_counts(
    *, institution_ids: list[int], since: date, until: date
) -> list[dict[str, Any]]:
    """SV-F08 volume: per institution, month of issue in [since, until) and physician account,
    how many prescriptions were issued and a programme they were under. One statement."""
    return list(
        Prescription.objects.filter(
            institution_id__in=institution_ids,
            physician__isnull=False,
            issued_on__gte=since,
            issued_on__lt=until,
        )
        .annotate(month=TruncMonth("issued_on"))
        .values(
            "institution_id",
            "institution__name",
            "month",
            "physician_id",
            "physician__username",
        )
        .annotate(n=Count("id"), programme=Max("programme_id"))
        .order_by("institution_id", "month", "physician_id")
    )


def physician_prescriptions_sample(
    *, physician_id: int, institution_id: int, since: date, until: date, limit: int = 20
) -> list[dict[str, Any]]:
    """SV-F08 volume evidence: the first `limit` prescriptions of a physician account at an
    institution issued in [since, until): number, issue date, source."""
    values: Any = (
        Prescription.objects.filter(
            physician_id=physician_id,
            institution_id=institution_id,
            issued_on__gte=since,
            issued_on__lt=until,
        )
        .values("number", "issued_on", "source")
        .order_by("issued_on", "id")[:limit]
    )
    return [dict(r) for r in values]


def rx_dispensings_new(*, after_id: int, period: Period | None) -> tuple[int | None, list[Any]]:
    """SV-F10: the newest dispensing id above `after_id` (None: nothing new) and the new
    settled dispensings holding a prescription drug (a catalogue item of category DRUG, 药品
    准字号; the special foods, devices and goods are not), oldest first, with the reviewing
    pharmacist named."""
    new = _new(Dispensing.objects.all(), after_id=after_id, period=period)
    last = new.aggregate(m=Max("id"))["m"]
    if last is None:
        return None, []
    rx = DispensingLine.objects.filter(dispensing=OuterRef("pk"), drug__category=ItemCategory.DRUG)
    values: Any = (
        new.filter(Exists(rx), status=DispensingStatus.SETTLED)
        .values(
            "id",
            "number",
            "pharmacy_id",
            "pharmacy__organisation__name",
            "pharmacy__organisation_id",
            "programme_id",
            "dispensed_at",
            "reviewing_pharmacist__name",
        )
        .order_by("id")
    )
    return last, [dict(r) for r in values]


def settled_line_groups_new(
    *, after_id: int, period: Period | None
) -> tuple[int | None, list[dict[str, Any]]]:
    """SV-F09: the newest dispensing line id above `after_id` (None: nothing new) and, per
    pharmacy, drug and month of the new settled lines, their first and last settlement time
    and a programme they were under, aggregated in the database."""
    new = _new(
        DispensingLine.objects.all(),
        after_id=after_id,
        period=period,
        at="dispensing__dispensed_at",
    )
    last = new.aggregate(m=Max("id"))["m"]
    if last is None:
        return None, []
    values: Any = (
        new.filter(dispensing__status=DispensingStatus.SETTLED)
        .annotate(month=TruncMonth("dispensing__dispensed_at"))
        .values("dispensing__pharmacy_id", "drug_id", "month")
        .annotate(
            first=Min("dispensing__dispensed_at"),
            last=Max("dispensing__dispensed_at"),
            programme=Max("dispensing__programme_id"),
        )
        .order_by("dispensing__pharmacy_id", "drug_id", "month")
    )
    return last, [dict(r) for r in values]


def _settled_lines(
    pharmacy_ids: list[int], drug_ids: list[int], since: datetime, until: datetime
) -> Any:
    return DispensingLine.objects.filter(
        dispensing__pharmacy_id__in=pharmacy_ids,
        drug_id__in=drug_ids,
        dispensing__dispensed_at__gte=since,
        dispensing__dispensed_at__lt=until,
        dispensing__status=DispensingStatus.SETTLED,
    )


def settled_quantities_by_month(
    *, pharmacy_ids: list[int], drug_ids: list[int], since: datetime, until: datetime
) -> list[dict[str, Any]]:
    """SV-F09: per pharmacy, drug and month in [since, until), the quantity settled (returned
    sales left out), the number of sales and a programme they were under."""
    values: Any = (
        _settled_lines(pharmacy_ids, drug_ids, since, until)
        .annotate(month=TruncMonth("dispensing__dispensed_at"))
        .values(
            "dispensing__pharmacy_id",
            "dispensing__pharmacy__organisation__name",
            "dispensing__pharmacy__organisation_id",
            "drug_id",
            "drug__generic_name",
            "month",
        )
        .annotate(
            quantity=Sum("quantity"),
            sales=Count("dispensing_id", distinct=True),
            programme=Max("dispensing__programme_id"),
        )
        .order_by("dispensing__pharmacy_id", "drug_id", "month")
    )
    return [dict(r) for r in values]


def settled_sales_between(
    *, pharmacy_ids: list[int], drug_ids: list[int], since: datetime, until: datetime
) -> list[dict[str, Any]]:
    """SV-F09: the settled sales of `drug_ids` at `pharmacy_ids` in [since, until), one row a
    sale and drug (its quantity summed), by time."""
    values: Any = (
        _settled_lines(pharmacy_ids, drug_ids, since, until)
        .values(
            "dispensing__pharmacy_id",
            "drug_id",
            "dispensing__number",
            "dispensing__dispensed_at",
            "dispensing__programme_id",
        )
        .annotate(quantity=Sum("quantity"))
        .order_by("dispensing__dispensed_at", "dispensing__number")
    )
    return [dict(r) for r in values]


# --- SV-F07 inducing resale, SV-F06 over-supply (aggregated in the database) ---------------


def quota_quarters_new(*, after_id: int, period: Period | None) -> tuple[int | None, list[Any]]:
    """SV-F07: the newest dispensing id above `after_id` (None: nothing new) and the quota
    quarters (Dispensing.quota_period_start) the new sales were charged to."""
    new = _new(Dispensing.objects.all(), after_id=after_id, period=period)
    last = new.aggregate(m=Max("id"))["m"]
    if last is None:
        return None, []
    quarters = (
        new.filter(quota_period_start__isnull=False)
        .values_list("quota_period_start", flat=True)
        .distinct()
    )
    return last, sorted(quarters)


def _quota_sales(quarters: list[Any]) -> Any:
    return Dispensing.objects.filter(
        status=DispensingStatus.SETTLED, quota_period_start__in=quarters, enrolment__isnull=False
    )


def quota_patients_by_pharmacy(*, quarters: list[Any]) -> list[dict[str, Any]]:
    """SV-F07 quota used to the last yuan: each (pharmacy, quota quarter in `quarters`,
    patient, enrolment) with settled sales charged to a quota, and a programme of those sales."""
    rows: Any = (
        _quota_sales(quarters)
        .values(
            "pharmacy_id",
            "pharmacy__organisation__name",
            "pharmacy__organisation_id",
            "quota_period_start",
            "patient_id",
            "enrolment_id",
        )
        .annotate(programme=Max("programme_id"))
        .order_by("pharmacy_id", "quota_period_start", "patient_id")
    )
    return [dict(r) for r in rows]


def quota_accounts_of_quarters(*, quarters: list[Any], since: Any) -> list[dict[str, Any]]:
    """SV-F07: the quota accounts from `since` to the last of `quarters` of every enrolment
    with settled quota sales in `quarters` (quota, used, period), by enrolment and period."""
    values: Any = (
        QuotaAccount.objects.filter(
            enrolment_id__in=_quota_sales(quarters).values("enrolment_id"),
            period_start__gte=since,
            period_start__lte=max(quarters),
        )
        .values("enrolment_id", "period_start", "period_end", "quota", "used")
        .order_by("enrolment_id", "period_start")
    )
    return [dict(r) for r in values]


def disease_quarters_new(*, after_id: int, period: Period | None) -> tuple[int | None, list[Any]]:
    """SV-F07 top spend: the newest dispensing id above `after_id` (None: nothing new) and
    each (disease, calendar quarter) of the new settled sales."""
    new = _new(Dispensing.objects.all(), after_id=after_id, period=period)
    last = new.aggregate(m=Max("id"))["m"]
    if last is None:
        return None, []
    groups = (
        new.filter(status=DispensingStatus.SETTLED, disease__isnull=False)
        .annotate(quarter=TruncQuarter("dispensed_at"))
        .values_list("disease_id", "quarter")
        .distinct()
    )
    return last, list(groups)


def fund_by_patient_and_pharmacy(
    *, disease_ids: list[int], since: datetime, until: datetime
) -> list[dict[str, Any]]:
    """SV-F07 top spend: per disease, calendar quarter, patient and pharmacy in [since,
    until), the fund share settled (returned sales left out), aggregated in the database."""
    rows: Any = (
        Dispensing.objects.filter(
            status=DispensingStatus.SETTLED,
            disease_id__in=disease_ids,
            dispensed_at__gte=since,
            dispensed_at__lt=until,
        )
        .annotate(quarter=TruncQuarter("dispensed_at"))
        .values(
            "disease_id",
            "disease__name",
            "quarter",
            "patient_id",
            "pharmacy_id",
            "pharmacy__organisation__name",
            "pharmacy__organisation_id",
        )
        .annotate(fund=Sum("fund_share"), programme=Max("programme_id"))
        .order_by("disease_id", "quarter", "patient_id", "pharmacy_id")
    )
    return [dict(r) for r in rows]


def patient_months_new(*, after_id: int, period: Period | None) -> tuple[int | None, list[Any]]:
    """SV-F06: the newest dispensing id above `after_id` (None: nothing new) and each
    (patient, calendar month) of the new settled sales."""
    new = _new(Dispensing.objects.all(), after_id=after_id, period=period)
    last = new.aggregate(m=Max("id"))["m"]
    if last is None:
        return None, []
    groups = (
        new.filter(status=DispensingStatus.SETTLED)
        .annotate(month=TruncMonth("dispensed_at"))
        .values_list("patient_id", "month")
        .distinct()
    )
    return last, list(groups)


def _latest(field: str, prefix: str = "") -> ArrayAgg:
    """The values of `field` over the group's sales, the latest sale's last."""
    return ArrayAgg(field, order_by=(f"{prefix}dispensed_at", f"{prefix}id"))


def supply_by_patient_drug_month(
    *, patient_ids: list[int], since: datetime, until: datetime
) -> list[dict[str, Any]]:
    """SV-F06 days and pharmacies: per patient, drug and calendar month in [since, until) of
    settled sales, the days of supply dispensed (each line: the item's days times the share
    of its quantity dispensed), how many pharmacies settled the drug, and per sale (latest
    last) its number, pharmacy and organisation. One aggregate query."""
    rows: Any = (
        DispensingLine.objects.filter(
            dispensing__status=DispensingStatus.SETTLED,
            dispensing__patient_id__in=patient_ids,
            dispensing__dispensed_at__gte=since,
            dispensing__dispensed_at__lt=until,
        )
        .annotate(month=TruncMonth("dispensing__dispensed_at"))
        .values("dispensing__patient_id", "drug_id", "drug__generic_name", "month")
        .annotate(
            days=Sum(
                Cast(F("item__days") * F("quantity"), FloatField())
                / Cast(F("item__quantity"), FloatField())
            ),
            pharmacies=Count("dispensing__pharmacy_id", distinct=True),
            programme=Max("dispensing__programme_id"),
            numbers=_latest("dispensing__number", "dispensing__"),
            pharmacy_ids=_latest("dispensing__pharmacy_id", "dispensing__"),
            organisation_ids=_latest("dispensing__pharmacy__organisation_id", "dispensing__"),
            organisations=_latest("dispensing__pharmacy__organisation__name", "dispensing__"),
        )
        .order_by("dispensing__patient_id", "drug_id", "month")
    )
    return [dict(r) for r in rows]


def prescriptions_by_patient_disease_month(
    *, patient_ids: list[int], since: datetime, until: datetime
) -> list[dict[str, Any]]:
    """SV-F06 monthly prescriptions (HY 五(二)): per patient, disease and calendar month in
    [since, until) of settled sales, how many prescriptions were dispensed, how many of them
    long-term, and per sale (latest last) its prescription, number, pharmacy and
    organisation. One aggregate query."""
    rows: Any = (
        Dispensing.objects.filter(
            status=DispensingStatus.SETTLED,
            disease__isnull=False,
            patient_id__in=patient_ids,
            dispensed_at__gte=since,
            dispensed_at__lt=until,
        )
        .annotate(month=TruncMonth("dispensed_at"))
        .values("patient_id", "disease_id", "disease__name", "month")
        .annotate(
            prescriptions=Count("prescription_id", distinct=True),
            long_term=Count(
                "prescription_id",
                distinct=True,
                filter=Q(prescription__kind=PrescriptionKind.LONG_TERM),
            ),
            programme=Max("programme_id"),
            prescription_numbers=_latest("prescription__number"),
            numbers=_latest("number"),
            pharmacy_ids=_latest("pharmacy_id"),
            organisation_ids=_latest("pharmacy__organisation_id"),
            organisations=_latest("pharmacy__organisation__name"),
        )
        .order_by("patient_id", "disease_id", "month")
    )
    return [dict(r) for r in rows]
