"""Reads of the stock ledger: scoping, stock on hand, reconciliation and the metrics
(HY-A09, HY-E04, GY-A05, HY-B01, HY-B02) the pharmacy page and the eligibility check use."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import (
    BooleanField,
    Count,
    DateTimeField,
    Exists,
    ExpressionWrapper,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.functions import Round, TruncDate
from django.http import Http404
from django.utils import timezone

from accounts.principal import Principal
from accounts.selectors import region_ids_for_principal
from core.errors import DomainError
from inventory.models import (
    APPROVAL_ONLY_ALLOWED,
    DiseaseDrug,
    Drug,
    ItemCategory,
    Movement,
    MovementKind,
    PriceCap,
    PurchaseImport,
    StockBatch,
    Stocktake,
)
from pharmacies.models import Pharmacy
from programmes.models import PriceCapBasis, Programme


def pharmacy_of_principal(principal: Principal) -> Pharmacy:
    """The principal's own pharmacy; 404 for anyone else (no pharmacy profile)."""
    pharmacy = Pharmacy.objects.filter(organisation=principal.organisation).first()
    if pharmacy is None:
        raise Http404
    return pharmacy


def programmes_of_pharmacy(pharmacy: Pharmacy) -> QuerySet[Programme]:
    """Programmes whose regions include the pharmacy's region."""
    return Programme.objects.filter(regions=pharmacy.organisation.region_id).distinct()


def near_expiry_days_for(programmes: list[Programme], *, today: date) -> int | None:
    """The near-expiry window for a pharmacy of these programmes: the longest they set, so a
    batch near expiry for any of them is flagged (warning early is the safer side); without
    one, the widest among the programmes in force."""
    from programmes.selectors import near_expiry_days_default

    return max(
        (p.near_expiry_days for p in programmes if p.near_expiry_days), default=None
    ) or near_expiry_days_default(on=today)


def pharmacy_requires_approval_numbers(pharmacy: Pharmacy) -> bool:
    """HY-B01 applies when a programme of the pharmacy's region says so."""
    return programmes_of_pharmacy(pharmacy).filter(approval_number_only=True).exists()


def pharmacies_for_principal(principal: Principal) -> QuerySet[Pharmacy]:
    qs = Pharmacy.objects.select_related("organisation")
    if principal.is_bureau:
        return qs.filter(organisation__region_id__in=region_ids_for_principal(principal))
    return qs.filter(organisation=principal.organisation)


def stocktakes_for_principal(principal: Principal) -> QuerySet[Stocktake]:
    qs = Stocktake.objects.select_related("pharmacy__organisation", "programme")
    if principal.is_bureau:
        return qs.filter(pharmacy__organisation__region_id__in=region_ids_for_principal(principal))
    return qs.filter(pharmacy__organisation=principal.organisation)


@dataclass(frozen=True)
class StocktakeRecord:
    """The stocktakes of a pharmacy × programme due in a period (HY-E09 assessment sheet)."""

    due: int
    on_time: int
    submitted: int
    imbalanced: int


def stocktake_record(
    *, pharmacy: Pharmacy, programme: Programme, start: date, end: date
) -> StocktakeRecord:
    """Due in [start, end]: how many, submitted by their due day, submitted at all, and
    submitted with an imbalance (账实不符)."""
    rows = list(
        Stocktake.objects.filter(
            pharmacy=pharmacy, programme=programme, due_on__gte=start, due_on__lte=end
        ).values("due_on", "submitted_at", "is_imbalanced")
    )
    submitted = [r for r in rows if r["submitted_at"] is not None]
    on_time = [r for r in submitted if timezone.localdate(r["submitted_at"]) <= r["due_on"]]
    return StocktakeRecord(
        due=len(rows),
        on_time=len(on_time),
        submitted=len(submitted),
        imbalanced=sum(1 for r in submitted if r["is_imbalanced"]),
    )


def imports_for_principal(principal: Principal) -> QuerySet[PurchaseImport]:
    return PurchaseImport.objects.filter(pharmacy__organisation=principal.organisation)


def movements_for_principal(principal: Principal) -> QuerySet[Movement]:
    """Ledger rows of the principal's pharmacy (bureau staff: their region's pharmacies)."""
    return Movement.objects.filter(
        pharmacy__in=pharmacies_for_principal(principal).values("pk")
    ).select_related("drug", "batch")


def movements_filter(
    movements: QuerySet[Movement],
    *,
    kind: str = "",
    drug: str = "",
    date_from: date | None = None,
    date_to: date | None = None,
) -> QuerySet[Movement]:
    """Filter by kind, drug (insurance code or part of the generic name) and local dates."""
    if kind:
        movements = movements.filter(kind=kind)
    drug = drug.strip()
    if drug:
        movements = movements.filter(
            Q(drug__insurance_code=drug) | Q(drug__generic_name__icontains=drug)
        )
    if date_from is not None:
        movements = movements.filter(occurred_at__gte=local_start(date_from))
    if date_to is not None:
        movements = movements.filter(occurred_at__lt=local_start(date_to + timedelta(days=1)))
    return movements


def stock_batches(pharmacy: Pharmacy, *, in_stock_only: bool = True) -> QuerySet[StockBatch]:
    qs = StockBatch.objects.filter(pharmacy=pharmacy).select_related("drug")
    return qs.filter(quantity__gt=0) if in_stock_only else qs


@dataclass(frozen=True)
class BatchFlag:
    batch: StockBatch
    expired: bool
    near_expiry: bool


def stock_with_expiry_flags(
    pharmacy: Pharmacy, *, today: date, near_expiry_days: int | None
) -> list[BatchFlag]:
    """Stock on hand per batch, flagged expired or near expiry."""
    days = near_expiry_days or 0
    out = []
    for batch in stock_batches(pharmacy):
        expiry = batch.expiry_date
        expired = bool(expiry and expiry < today)
        near = bool(expiry and not expired and (expiry - today).days <= days)
        out.append(BatchFlag(batch=batch, expired=expired, near_expiry=near))
    return out


def local_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


KIND_COLUMNS: dict[str, list[str]] = {
    "purchases": [MovementKind.PURCHASE],
    "purchase_returns": [MovementKind.PURCHASE_RETURN],
    "sales": [MovementKind.SALE],
    "sale_returns": [MovementKind.SALE_RETURN],
    "transfers_in": [MovementKind.TRANSFER_IN],
    "transfers_out": [MovementKind.TRANSFER_OUT],
    "losses": [MovementKind.LOSS, MovementKind.DESTRUCTION],
    "adjustments": [MovementKind.STOCKTAKE_GAIN, MovementKind.STOCKTAKE_LOSS],
}


def ledger_reconciliation(
    *, pharmacy: Pharmacy, period_start: date, until: datetime
) -> dict[int, dict[str, int]]:
    """Per batch: opening (before the period), each movement type in the period up to
    `until` (as magnitudes), and the expected quantity — one grouped aggregate query."""
    start = local_start(period_start)
    column_of = {kind: column for column, kinds in KIND_COLUMNS.items() for kind in kinds}
    rows = (
        Movement.objects.filter(pharmacy=pharmacy, occurred_at__lte=until)
        .annotate(before=ExpressionWrapper(Q(occurred_at__lt=start), output_field=BooleanField()))
        .values_list("batch_id", "kind", "before")
        .annotate(total=Sum("quantity"))
        .order_by()
    )
    out: dict[int, dict[str, int]] = {}
    for batch_id, kind, before, total in rows:
        values = out.get(batch_id)
        if values is None:
            values = out[batch_id] = dict.fromkeys(["opening", *KIND_COLUMNS, "expected"], 0)
        values["opening" if before else column_of[kind]] += total
        values["expected"] += total  # signed quantities: the sum is the stock
    for values in out.values():
        # Outflows are shown as positive magnitudes on the sheet.
        for column in ("purchase_returns", "sales", "transfers_out", "losses"):
            values[column] = -values[column]
    return out


# --- Metrics -------------------------------------------------------------------------------


# Metrics that count cases (must equal the threshold, usually 0) rather than a percentage.
COUNT_RULES = frozenset({"HY-B01", "HY-B02", "GY-C01"})


@dataclass(frozen=True)
class Metric:
    rule_id: str
    value: Decimal | int | None
    threshold: Decimal | int | None
    numerator: int
    denominator: int
    passed: bool | None  # None: the programme sets no such rule

    @property
    def is_count(self) -> bool:
        """A count that must equal its threshold (no share of a whole)."""
        return self.rule_id in COUNT_RULES

    @property
    def percent(self) -> Decimal | None:
        if not self.denominator:
            return None
        return (Decimal(self.numerator) * 100 / self.denominator).quantize(Decimal("0.1"))


def _stocked_drug_ids(pharmacy: Pharmacy) -> QuerySet[StockBatch, Any]:
    return StockBatch.objects.filter(pharmacy=pharmacy, quantity__gt=0).values("drug_id")


def _share(rule_id: str, num: int, den: int, threshold: Decimal | None) -> Metric:
    value = (Decimal(num) * 100 / den).quantize(Decimal("0.01")) if den else None
    passed = None if threshold is None else (value is not None and value >= threshold)
    return Metric(rule_id, value, threshold, num, den, passed)


def basic_drug_coverage(*, pharmacy: Pharmacy, programme: Programme) -> Metric:
    """HY-A09: share of the basic drugs of the programme's diseases that are in stock."""
    basic = (
        DiseaseDrug.objects.filter(
            disease__programme=programme, disease__is_active=True, is_basic_drug=True
        )
        .values_list("drug_id", flat=True)
        .distinct()
    )
    den = basic.count()
    num = basic.filter(drug_id__in=_stocked_drug_ids(pharmacy)).count()
    return _share("HY-A09", num, den, programme.basic_drug_coverage_pct)


def therapeutic_share(*, pharmacy: Pharmacy, programme: Programme) -> Metric:
    """HY-E04: therapeutic drugs as a share of the items (品种) in stock."""
    stocked = Drug.objects.filter(pk__in=_stocked_drug_ids(pharmacy))
    den = stocked.count()
    num = stocked.filter(is_therapeutic=True, category=ItemCategory.DRUG).count()
    return _share("HY-E04", num, den, programme.therapeutic_share_pct)


def catalogue_drugs_stocked(*, pharmacy: Pharmacy, programme: Programme) -> Metric:
    """GY-A05: share of the active catalogue drugs that are in stock."""
    catalogue = Drug.objects.filter(is_active=True, category=ItemCategory.DRUG)
    den = catalogue.count()
    num = catalogue.filter(pk__in=_stocked_drug_ids(pharmacy)).count()
    return _share("GY-A05", num, den, programme.catalogue_stocked_pct)


def items_without_approval_number(*, pharmacy: Pharmacy, programme: Programme) -> Metric:
    """HY-B01: items in stock that are neither drugs with an approval number nor approved
    special foods."""
    bad = (
        Drug.objects.filter(pk__in=_stocked_drug_ids(pharmacy))
        .exclude(category__in=APPROVAL_ONLY_ALLOWED)
        .count()
    )
    applies = programme.approval_number_only
    return Metric("HY-B01", bad, 0, bad, 0, (bad == 0) if applies else None)


def _capped_sales(programme: Programme) -> tuple[QuerySet[Movement], Q]:
    """HY-B02 / GY-C01: sales with a reference (listed) price of the programme in force on the
    sale's day, and the condition that a sale's unit price exceeds the cap — that price lowered
    by the programme's discount, as the counter computed it that day (a later, lower reference
    price does not make an earlier sale non-compliant)."""
    factor = (Decimal(100) - programme.price_discount_pct) / 100
    sale_day = TruncDate(
        ExpressionWrapper(OuterRef("occurred_at"), output_field=DateTimeField()),
        tzinfo=timezone.get_current_timezone(),
    )
    caps = PriceCap.objects.filter(
        drug_id=OuterRef("drug_id"), programme=programme, effective_on__lte=sale_day
    )
    in_force = caps.order_by("-effective_on", "-id").values("price")[:1]
    sales = Movement.objects.filter(kind=MovementKind.SALE, unit_price__isnull=False).filter(
        Exists(caps)
    )
    # The cap as the counter computes it (prescriptions.selectors.price_cap_of).
    return sales, Q(unit_price__gt=Round(Subquery(in_force) * factor, 4))


def _price_rule(programme: Programme) -> str:
    return "HY-B02" if programme.price_cap_basis == PriceCapBasis.HOSPITAL_LISTED else "GY-C01"


def sale_prices_over_cap(*, pharmacy: Pharmacy, programme: Programme) -> Metric:
    """HY-B02 / GY-C01: sales whose unit price exceeds the cap (see `_capped_sales`)."""
    sales, over_cap = _capped_sales(programme)
    sales = sales.filter(pharmacy=pharmacy)
    den = sales.count()
    over = sales.filter(over_cap).count() if den else 0
    return Metric(_price_rule(programme), over, 0, over, den, over == 0)


def price_compliance_by_pharmacy(
    *, programme: Programme, pharmacy_ids: list[int]
) -> dict[int, Metric]:
    """HY-B02 / GY-C01 for many pharmacies in one statement: per pharmacy, the sales at or
    below the cap (numerator) of the sales with a reference price (denominator); pharmacies
    without such sales are absent."""
    sales, over_cap = _capped_sales(programme)
    rows = (
        sales.filter(pharmacy_id__in=pharmacy_ids)
        .order_by()
        .values("pharmacy_id")
        .annotate(n=Count("id"), over=Count("id", filter=over_cap))
    )
    rule = _price_rule(programme)
    return {
        r["pharmacy_id"]: Metric(rule, r["over"], 0, r["n"] - r["over"], r["n"], r["over"] == 0)
        for r in rows
    }


def pharmacy_metrics(*, pharmacy: Pharmacy, programme: Programme) -> list[tuple[str, Metric]]:
    """All metrics of a pharmacy × programme, labelled for the page."""
    from django.utils.translation import gettext as _

    return [
        (_("基本药物配备率"), basic_drug_coverage(pharmacy=pharmacy, programme=programme)),
        (_("治疗性药物占比"), therapeutic_share(pharmacy=pharmacy, programme=programme)),
        (_("目录内药品配备率"), catalogue_drugs_stocked(pharmacy=pharmacy, programme=programme)),
        (
            _("非准字号品种数"),
            items_without_approval_number(pharmacy=pharmacy, programme=programme),
        ),
        (_("售价超限价笔数"), sale_prices_over_cap(pharmacy=pharmacy, programme=programme)),
    ]


def drug_for_code(code: str | None) -> Drug | None:
    """The active catalogue drug a pharmacy names by its national insurance code (pages and
    API alike); None for a blank code. An unknown code is refused as bad input (the form or
    serializer shows it on the field)."""
    from django.utils.translation import gettext as _

    code = (code or "").strip()
    if not code:
        return None
    drug = Drug.objects.filter(insurance_code=code, is_active=True).first()
    if drug is None:
        raise DomainError(_("药品目录中没有该编码：%s") % code, field="insurance_code")
    return drug
