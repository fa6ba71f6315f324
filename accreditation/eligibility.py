"""The eligibility report: every condition for a pharmacy × programme, explained.

Each condition is one function returning a Condition (rule ID, outcome, the data it used).
Which conditions apply follows the programme's policy family (HY-… or GY-…) and its
parameters; the stock conditions (HY-A09, HY-E04, GY-A05) are computed from the stock
ledger by `inventory.selectors`, against the programme's thresholds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_stubs_ext import StrOrPromise

from core.calendar import add_months, period_last_day
from inventory import selectors as inventory_selectors
from inventory.selectors import Metric
from pharmacies.models import Pharmacy, PremisesTenure, StaffPost
from programmes.models import Programme

PASS = "pass"
FAIL = "fail"
ONSITE = "onsite"
PENDING = "pending"
OUTCOME_LABELS = {
    PASS: gettext_lazy("符合"),
    FAIL: gettext_lazy("不符合"),
    ONSITE: gettext_lazy("待现场核实"),
    PENDING: gettext_lazy("待核验"),
}


@dataclass(frozen=True)
class Condition:
    rule_id: str
    label: StrOrPromise
    outcome: str
    data: str
    hard: bool = False  # a failing hard condition blocks submission

    @property
    def outcome_label(self) -> StrOrPromise:
        return OUTCOME_LABELS[self.outcome]

    @property
    def blocks(self) -> bool:
        return self.hard and self.outcome == FAIL


def family(programme: Programme) -> str:
    """The policy family of the programme's rule IDs: HY-TM → HY, GY-PT → GY."""
    return programme.code.split("-")[0]


def _pct(value: Decimal | None) -> str:
    """90.00 → 90, 92.50 → 92.5."""
    if value is None:
        return "—"
    return f"{value:f}".rstrip("0").rstrip(".") if "." in f"{value:f}" else f"{value:f}"


def _yes(value: bool) -> str:
    return _("是") if value else _("否")


def hy_a01_no_major_violation(pharmacy: Pharmacy, programme: Programme, on: date) -> Condition:
    from accreditation.models import Violation

    years = programme.violation_lookback_years or 0
    since = add_months(on, -12 * years)
    count = Violation.objects.filter(pharmacy=pharmacy, major=True, found_on__gt=since).count()
    return Condition(
        "HY-A01",
        gettext_lazy("近%(n)s年无重大违规违约行为") % {"n": years},
        PASS if count == 0 else FAIL,
        _("%(since)s 以来重大违规 %(count)s 起") % {"since": since, "count": count},
        hard=True,
    )


def hy_a02_open_long_enough(pharmacy: Pharmacy, programme: Programme, on: date) -> Condition:
    months = programme.min_months_open or 0
    opened = pharmacy.opened_on
    long_enough = opened is not None and add_months(opened, months) <= on
    ok = long_enough and not pharmacy.administrative_penalty
    data = _("正式经营日期：%(opened)s；行政处罚：%(penalty)s") % {
        "opened": opened or _("未填写"),
        "penalty": _yes(pharmacy.administrative_penalty),
    }
    return Condition(
        "HY-A02",
        gettext_lazy("正式经营满%(n)s个月且未受行政处罚") % {"n": months},
        PASS if ok else FAIL,
        data,
        hard=True,
    )


def hy_a03_quality_system(pharmacy: Pharmacy, programme: Programme, on: date) -> Condition:
    return Condition(
        "HY-A03",
        gettext_lazy("药品经营质量管理体系健全"),
        PASS if pharmacy.quality_system else FAIL,
        _("已声明：%(v)s（申请材料中附体系文件）") % {"v": _yes(pharmacy.quality_system)},
    )


def _current_staff(pharmacy: Pharmacy, on: date) -> list[object]:
    return list(
        pharmacy.staff.filter(hired_on__lte=on).filter(Q(left_on__isnull=True) | Q(left_on__gte=on))
    )


def hy_a04_posts(pharmacy: Pharmacy, programme: Programme, on: date) -> Condition:
    posts = {s.post for s in _current_staff(pharmacy, on)}  # type: ignore[attr-defined]
    missing = [str(StaffPost(p).label) for p in StaffPost.values if p not in posts]
    ok = not missing and pharmacy.management_rules
    data = _("缺少岗位：%(m)s；内部管理制度：%(r)s") % {
        "m": "、".join(missing) or _("无"),
        "r": _yes(pharmacy.management_rules),
    }
    return Condition(
        "HY-A04", gettext_lazy("岗位设置合理、内部管理制度健全"), PASS if ok else FAIL, data
    )


def licensed_pharmacists(pharmacy: Pharmacy, programme: Programme, on: date) -> Condition:
    """HY-A05 (≥ 2 at the premises) / GY-A04 (≥ 1 registered at this pharmacy)."""
    staff = [s for s in _current_staff(pharmacy, on) if s.licensed_pharmacist]  # type: ignore[attr-defined]
    if programme.pharmacist_registered_here:
        staff = [s for s in staff if s.registered_here]  # type: ignore[attr-defined]
    need = programme.min_licensed_pharmacists
    rule = "GY-A04" if family(programme) == "GY" else "HY-A05"
    label = (
        gettext_lazy("至少%(n)s名注册地在本店的执业药师")
        if programme.pharmacist_registered_here
        else gettext_lazy("至少%(n)s名执业药师")
    ) % {"n": need}
    return Condition(
        rule,
        label,
        PASS if len(staff) >= need else FAIL,
        _("在岗执业药师 %(count)s 名") % {"count": len(staff)},
        hard=True,
    )


def systems(pharmacy: Pharmacy, programme: Programme, on: date) -> Condition:
    """HY-A06 (private network, real-time upload) / GY-A01 (also e-voucher, e-prescription)."""
    gy = family(programme) == "GY"
    needed = [pharmacy.network_link, pharmacy.realtime_upload]
    if gy:
        needed += [pharmacy.e_voucher]
    data = _("医保专网：%(a)s；实时上传：%(b)s；电子凭证：%(c)s；电子处方：%(d)s") % {
        "a": _yes(pharmacy.network_link),
        "b": _yes(pharmacy.realtime_upload),
        "c": _yes(pharmacy.e_voucher),
        "d": _yes(pharmacy.e_prescription),
    }
    return Condition(
        "GY-A01" if gy else "HY-A06",
        gettext_lazy("医保结算与进销存系统联网并实时上传"),
        PASS if all(needed) else FAIL,
        data,
    )


def monitoring(pharmacy: Pharmacy, programme: Programme, on: date) -> Condition:
    """HY-A07/HY-E05 (face recognition, video kept) / GY-A03 (24-hour video, kept ≥ 6 months)."""
    gy = family(programme) == "GY"
    kept = pharmacy.video_retention_days or 0
    ok = kept >= programme.video_retention_days and pharmacy.face_recognition
    if gy:
        ok = ok and pharmacy.video_24h and pharmacy.video_realtime_upload
    data = _("24小时监控：%(a)s；人脸识别：%(b)s；视频保存 %(kept)s 天（要求 %(need)s 天）") % {
        "a": _yes(pharmacy.video_24h),
        "b": _yes(pharmacy.face_recognition),
        "kept": kept,
        "need": programme.video_retention_days,
    }
    return Condition(
        "GY-A03" if gy else "HY-A07",
        gettext_lazy("监控系统与身份识别"),
        ONSITE if ok else FAIL,
        data,
    )


def premises(pharmacy: Pharmacy, programme: Programme, on: date) -> Condition:
    """HY-A08: independent premises with the four functional areas (checked on site)."""
    gy = family(programme) == "GY"
    areas = [pharmacy.area_billing, pharmacy.area_rest, pharmacy.area_cashier]
    areas.append(pharmacy.area_storeroom)
    ok = pharmacy.premises_independent and (gy or all(areas))
    data = _("独立场所：%(a)s；开票区：%(b)s；休息区：%(c)s；收银区：%(d)s；药房或库房：%(e)s") % {
        "a": _yes(pharmacy.premises_independent),
        "b": _yes(pharmacy.area_billing),
        "c": _yes(pharmacy.area_rest),
        "d": _yes(pharmacy.area_cashier),
        "e": _yes(pharmacy.area_storeroom),
    }
    return Condition(
        "GY-A02" if gy else "HY-A08",
        gettext_lazy("独立经营场所及功能区域"),
        ONSITE if ok else FAIL,
        data,
    )


def gy_a02_lease(pharmacy: Pharmacy, programme: Programme, on: date) -> Condition:
    months = programme.min_lease_months or 0
    if pharmacy.premises_tenure == PremisesTenure.OWNED:
        return Condition(
            "GY-A02", gettext_lazy("租赁合同有效期"), PASS, _("自有产权，不需租赁合同"), hard=True
        )
    ends = pharmacy.lease_ends_on
    ok = ends is not None and ends >= period_last_day(on, months=months)
    return Condition(
        "GY-A02",
        gettext_lazy("租赁合同剩余有效期不少于%(n)s个月") % {"n": months},
        PASS if ok else FAIL,
        _("租赁合同到期日：%(ends)s") % {"ends": ends or _("未填写")},
        hard=True,
    )


def reapplication_ban(pharmacy: Pharmacy, programme: Programme, on: date) -> Condition:
    """HY-C05 (revoked: 1 year) / HY-E10 (terminated: 5 years): no new application."""
    from accreditation.models import Designation

    ban = (
        Designation.objects.filter(pharmacy=pharmacy, programme=programme, ban_until__gte=on)
        .order_by("-ban_until")
        .first()
    )
    terminated = ban is not None and ban.status == "terminated"
    return Condition(
        "HY-E10" if terminated else "HY-C05",
        gettext_lazy("不在取消定点或解除协议后的禁止申请期内"),
        FAIL if ban else PASS,
        _("禁止申请至 %(d)s") % {"d": ban.ban_until} if ban else _("无"),
        hard=True,
    )


def _stock_condition(metric: Metric, *, unit: Any) -> tuple[str, str]:
    """Outcome and explanation of a condition computed from the stock ledger."""
    if metric.passed is None:
        return PASS, str(_("本方案未规定此项"))
    shown = f"{metric.value}%" if metric.value is not None else "—"
    data = _("%(unit)s %(num)s / %(den)s = %(value)s（要求 ≥ %(threshold)s%%）") % {
        "unit": unit,
        "num": metric.numerator,
        "den": metric.denominator,
        "value": shown,
        "threshold": _pct(Decimal(metric.threshold) if metric.threshold is not None else None),
    }
    return (PASS if metric.passed else FAIL), data


def hy_a09_basic_drug_coverage(pharmacy: Pharmacy, programme: Programme, on: date) -> Condition:
    """HY-A09: stocks ≥ N % of the basic drugs of the covered diseases (stock ledger)."""
    metric = inventory_selectors.basic_drug_coverage(pharmacy=pharmacy, programme=programme)
    outcome, data = _stock_condition(metric, unit=_("在库基本药物"))
    return Condition(
        "HY-A09",
        gettext_lazy("配备特门病种%(pct)s%%以上的基本药物")
        % {"pct": _pct(programme.basic_drug_coverage_pct)},
        outcome,
        data,
    )


def hy_e04_therapeutic_share(pharmacy: Pharmacy, programme: Programme, on: date) -> Condition:
    """HY-E04: therapeutic drugs ≥ N % of the items in stock (stock ledger)."""
    metric = inventory_selectors.therapeutic_share(pharmacy=pharmacy, programme=programme)
    outcome, data = _stock_condition(metric, unit=_("在库治疗性药物品种"))
    return Condition(
        "HY-E04",
        gettext_lazy("治疗性药物占%(pct)s%%以上") % {"pct": _pct(programme.therapeutic_share_pct)},
        outcome,
        data,
    )


def gy_a05_catalogue_stocked(pharmacy: Pharmacy, programme: Programme, on: date) -> Condition:
    """GY-A05: catalogue drugs fully stocked (stock ledger). The separate area is its own
    condition (gy_a05_insurance_drug_area)."""
    metric = inventory_selectors.catalogue_drugs_stocked(pharmacy=pharmacy, programme=programme)
    outcome, data = _stock_condition(metric, unit=_("在库目录内药品"))
    return Condition("GY-A05", gettext_lazy("足额配备医保目录内药品"), outcome, data)


def gy_a05_insurance_drug_area(pharmacy: Pharmacy, programme: Programme, on: date) -> Condition:
    """GY-A05 / GY 一(五): a separate insurance-drug area (独立的医保药品分区), from the premises
    data. Hard: without the area the pharmacy does not meet the inclusion condition at all —
    unlike the stock share, which the assessment team may weigh — so the application cannot be
    submitted; the area itself is then verified on site (checklists.INSPECTION_GY)."""
    return Condition(
        "GY-A05",
        gettext_lazy("设置独立的医保药品分区"),
        PASS if pharmacy.insurance_drug_area else FAIL,
        _("医保药品分区：%(a)s") % {"a": _yes(pharmacy.insurance_drug_area)},
        hard=True,
    )


Check = Callable[[Pharmacy, Programme, date], Condition]

HY_CHECKS: list[Check] = [
    hy_a01_no_major_violation,
    hy_a02_open_long_enough,
    hy_a03_quality_system,
    hy_a04_posts,
    licensed_pharmacists,
    systems,
    monitoring,
    premises,
    hy_a09_basic_drug_coverage,
    hy_e04_therapeutic_share,
    reapplication_ban,
]
GY_CHECKS: list[Check] = [
    systems,
    premises,
    gy_a02_lease,
    monitoring,
    licensed_pharmacists,
    gy_a05_catalogue_stocked,
    gy_a05_insurance_drug_area,
    reapplication_ban,
]


def eligibility_report(*, pharmacy: Pharmacy, programme: Programme, on: date) -> list[Condition]:
    """Every condition of the programme, evaluated for the pharmacy on `on`."""
    checks = GY_CHECKS if family(programme) == "GY" else HY_CHECKS
    return [check(pharmacy, programme, on) for check in checks]


def blocking_conditions(conditions: list[Condition]) -> list[Condition]:
    return [c for c in conditions if c.blocks]
