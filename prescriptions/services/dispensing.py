"""Dispensing at the counter: every check a sale passes before it is booked (programme,
designation, enrolment, identity and proxy, prescription, scope, price, traceability codes),
then the booking (prescriptions.services.booking). A POS retry returns the first sale."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from core.errors import DomainError, RuleViolation
from core.prepared import prepared_cursor
from core.validators import validate_resident_id
from inventory.models import (
    APPROVAL_ONLY_ALLOWED,
    TRACEABILITY_CODE_RE,
    ItemCategory,
    TraceabilityCode,
)
from patients.models import Enrolment, Patient
from patients.selectors import outpatient_assert_covered, proxy_authorised
from pharmacies.models import Pharmacy
from prescriptions.models import Dispensing, Prescription, PrescriptionItem, PrescriptionSource
from prescriptions.review import CounterRecord, VideoRef, counter_record
from prescriptions.selectors import CounterChecks, counter_checks, counter_items, price_cap_of
from prescriptions.services.booking import PricedLine, Sale, book
from prescriptions.services.common import (
    LineInput,
    ProxyInput,
    check_image,
    fen,
    prescription_valid,
    price_rule,
)
from prescriptions.services.refusals import counter_refusal_record, refusals_kept
from programmes.models import Disease, Programme
from programmes.services import programme_assert_in_force


def _eligibility(
    *,
    checks: CounterChecks,
    programme: Programme,
    patient: Patient,
    disease: Disease | None,
    on: date,
) -> Enrolment | None:
    if not checks.pharmacy_may_settle:
        raise RuleViolation(
            "HY-C06",
            _("本店今日不是“%s”的定点药店（或已过过渡期），不能结算。") % programme.short_name,
        )
    # HY-H01 first: outside the programme's validity nothing is settled under it, whatever
    # else holds (the programme row was read with the prescription: no query).
    programme_assert_in_force(programme=programme, on=on, action=_("购药结算"))
    enrolment = None
    if disease is not None:
        enrolment = checks.enrolment
        if enrolment is None:
            raise RuleViolation("HY-G07", _("该患者未享受“%s”特门待遇。") % disease.name)
        enrolment.disease = disease  # same row, already loaded
        if enrolment.starts_on > on:
            raise RuleViolation(
                "HY-G07",
                _("该患者“%(d)s”待遇自 %(start)s 起享受，尚未开始。")
                % {"d": disease.name, "start": enrolment.starts_on.isoformat()},
            )
        if not checks.patient_may_settle_here:
            raise RuleViolation("HY-G05", _("该患者未选择本店为“%s”的定点机构。") % disease.name)
        if checks.hospitalised:
            raise RuleViolation("HY-G08", _("患者住院期间不能使用特门待遇购药。"))
    else:
        outpatient_assert_covered(patient=patient, programme=programme)  # GY-D01: 职工 only
    return enrolment


def _check_proxy(proxy: ProxyInput, *, patient: Patient, disease: Disease | None, on: date) -> None:
    """HY-E07 / GY-D01 / HY-G09: the proxy's name, valid resident ID, filed authorisation
    (特门) and the signed purchase list."""
    if not proxy.name.strip():
        raise RuleViolation("HY-E07", _("代购须登记代购人姓名。"))
    try:
        validate_resident_id(proxy.resident_id)
    except ValidationError as exc:
        raise RuleViolation("GY-D01", _("代购人身份证号无效。")) from exc
    if disease is not None and not proxy_authorised(
        patient=patient, proxy_resident_id=proxy.resident_id, on=on
    ):
        raise RuleViolation("HY-G09", _("该代购人没有经备案的代购授权。"))
    check_image(proxy.purchase_list_photo, rule_id="HY-E07", what=_("代购人签字的购药清单照片"))


def _check_buyer(
    identity_confirmed: bool,
    patient_signed: bool,
    *,
    proxy: ProxyInput | None,
    patient: Patient,
    disease: Disease | None,
    on: date,
) -> None:
    """The buyer: identity checked (HY-E07), a proxy's details (HY-E07, GY-D01, HY-G09),
    the settlement slip signed (GY-D02)."""
    if not identity_confirmed:
        raise RuleViolation("HY-E07", _("请核验有效身份证件，确认人证一致后再结算。"))
    if proxy is not None:
        _check_proxy(proxy, patient=patient, disease=disease, on=on)
    if not patient_signed:
        raise RuleViolation("GY-D02", _("患者（或代购人）须先在结算单上签字，才能发药。"))


def _check_prescription(prescription: Prescription, *, checks: CounterChecks, on: date) -> None:
    """GY-D02 / GY-E02: within its validity, by an entitled physician, a paper one signed."""
    if not prescription_valid(prescription, on):
        raise RuleViolation("GY-D02", _("处方不在有效期内。"))
    if prescription.source == PrescriptionSource.PORTAL and not checks.prescriber_entitled:
        raise RuleViolation("GY-E02", _("开方医师不是该院在职处方医师，处方无效。"))
    if prescription.source == PrescriptionSource.PAPER and not prescription.seal_image:
        raise RuleViolation("GY-D02", _("纸质处方缺少医师签名或盖章。"))


def _priced_line(
    line: LineInput, item: PrescriptionItem | None, *, disease: Disease | None, programme: Programme
) -> PricedLine:
    """One line against its prescription item: on the prescription, the drug prescribed
    (HY-G10), what is left (HY-E02), in the cover and scope (HY-G10, GY-C02), a price above 0
    and within the cap (HY-B02 / GY-C01)."""
    if item is None:
        raise DomainError(_("药品不在该处方上。"))
    if line.drug_id is not None and line.drug_id != item.drug_id:
        raise RuleViolation("HY-G10", _("所配药品与处方不一致，不得串换药品。"))
    if line.quantity < 1 or line.quantity > item.remaining:
        raise RuleViolation(
            "HY-E02",
            _("%(drug)s 处方剩余 %(left)s，不能配 %(qty)s。")
            % {"drug": item.drug, "left": item.remaining, "qty": line.quantity},
        )
    drug = item.drug
    if drug.category not in APPROVAL_ONLY_ALLOWED or (
        disease is None and drug.category != ItemCategory.DRUG
    ):
        raise RuleViolation(
            "HY-G10" if disease is not None else "GY-C02",
            _("“%(cat)s”不属于医保支付范围。") % {"cat": drug.get_category_display()},
        )
    if disease is not None and not item.in_scope:  # type: ignore[attr-defined]
        raise RuleViolation(
            "HY-G10",
            _("%(drug)s 不在“%(d)s”的用药范围内。") % {"drug": drug, "d": disease.name},
        )
    if line.unit_price <= 0:
        # A sale at 0 (or less) is a typing slip or a disguised gift: never settled.
        raise DomainError(
            _("单价：%(drug)s 的售价须大于 0 元。") % {"drug": drug}, field="unit_price"
        )
    cap = price_cap_of(item.listed_price, programme)  # type: ignore[attr-defined]
    if cap is None or line.unit_price > cap:
        raise RuleViolation(
            price_rule(programme),
            _("%(drug)s 售价 %(price)s 元高于限价 %(cap)s 元。")
            % {"drug": drug, "price": line.unit_price, "cap": cap if cap is not None else "—"},
        )
    return PricedLine(
        item=item,
        quantity=line.quantity,
        unit_price=line.unit_price,
        cap=cap,
        codes=line.traceability_codes,
    )


def _priced(
    prescription: Prescription, lines: list[LineInput], *, disease: Disease | None, on: date
) -> list[PricedLine]:
    if not lines:
        raise DomainError(_("请至少配一种药品：填写本次数量后再结算。"))
    # Each item with its drug, whether the drug is in the disease's scope and its listed
    # price: one query (compiled once per process).
    items = {i.pk: i for i in counter_items(prescription=prescription, on=on)}
    return [
        _priced_line(
            line, items.get(line.item_id), disease=disease, programme=prescription.programme
        )
        for line in lines
    ]


# What the ledger knows of the scanned codes: the pharmacy and batch each was received in and
# the sale it went out in (one statement, no ORM compilation on the counter's hot path).
_CODES_KNOWN = (
    "SELECT code, pharmacy_id, batch_id, sold_in_id"  # noqa: S608
    f" FROM {TraceabilityCode._meta.db_table} WHERE code = ANY(%s)"
)


class _RetryDone(Exception):
    def __init__(self, done: Dispensing) -> None:
        self.done = done


def _scanned(lines: list[PricedLine]) -> set[str]:
    """HY-B03: one well-formed code per unit, none scanned twice."""
    seen: set[str] = set()
    for line in lines:
        if len(line.codes) != line.quantity:
            raise RuleViolation(
                "HY-B03",
                _("每一件药品须扫描一个追溯码：数量 %(qty)s，已扫 %(n)s 个。")
                % {"qty": line.quantity, "n": len(line.codes)},
            )
        for code in line.codes:
            if not TRACEABILITY_CODE_RE.fullmatch(code):
                raise RuleViolation("HY-B03", _("追溯码 %s 格式不正确（应为 20 位数字）。") % code)
            if code in seen:
                raise RuleViolation("HY-B03", _("追溯码 %s 重复扫描。") % code)
            seen.add(code)
    return seen


def _check_codes(
    *,
    pharmacy: Pharmacy,
    lines: list[PricedLine],
    actor: User,
    at: datetime,
    idempotency_key: str | None = None,
) -> dict[str, int]:
    """Format and count (HY-B03), already sold (GY-E02); returns the batch of each code this
    pharmacy received. Codes sold by the first request of a retry (committed after the
    retry's idempotency check) are that request's, not a resale: `_RetryDone`."""
    with prepared_cursor() as cursor:
        cursor.execute(_CODES_KNOWN, [list(_scanned(lines))])
        known: list[tuple[str, int, int, int | None]] = cursor.fetchall()
    sold = [code for code, _ph, _b, sold_in in known if sold_in is not None]
    if sold:
        done = _earlier_sale(pharmacy, idempotency_key)
        if done is not None:
            raise _RetryDone(done)
        # The refusal is committed on its own: the refused sale rolls back, the record stays
        # (supervision's SV-F01 reads it).
        for code in sold:
            counter_refusal_record(
                rule_id="GY-E02",
                pharmacy=pharmacy,
                at=at,
                actor=actor,
                code=code,
                details={"kind": "resold"},
            )
        raise RuleViolation(
            "GY-E02", _("追溯码 %s 已经售出，不能再次销售；已报送核查。") % "、".join(sorted(sold))
        )
    return {code: batch for code, ph, batch, _s in known if ph == pharmacy.pk}


def _earlier_sale(pharmacy: Pharmacy, idempotency_key: str | None) -> Dispensing | None:
    if not idempotency_key:
        return None
    return Dispensing.objects.filter(pharmacy=pharmacy, idempotency_key=idempotency_key).first()


def _same_request(done: Dispensing, prescription: Prescription) -> Dispensing:
    if done.prescription_id != prescription.pk:
        raise DomainError(_("该幂等键已用于另一张处方的结算，请换一个幂等键重新提交。"))
    return done


def _checked_at_counter(
    *,
    pharmacy: Pharmacy,
    prescription: Prescription,
    lines: list[LineInput],
    checks: CounterChecks,
    buyer: tuple[bool, bool, ProxyInput | None],
    staff: tuple[User, int | None, VideoRef | None],
    now: datetime,
) -> tuple[Enrolment | None, CounterRecord, list[PricedLine]]:
    """Every check of a sale before its codes and booking, in the order the counter explains
    them; a refusal is kept on its own (refusals_kept) when the sale rolls back."""
    today = timezone.localdate(now)
    programme, patient, disease = prescription.programme, prescription.patient, prescription.disease
    identity_confirmed, patient_signed, proxy = buyer
    actor, reviewer_id, video = staff
    with refusals_kept(pharmacy=pharmacy, prescription=prescription, actor=actor, at=now):
        enrolment = _eligibility(
            checks=checks, programme=programme, patient=patient, disease=disease, on=today
        )
        record = counter_record(
            pharmacy=pharmacy,
            programme=programme,
            reviewer_id=reviewer_id,
            video=video,
            actor=actor,
            now=now,
            on=today,
        )
        _check_buyer(
            identity_confirmed,
            patient_signed,
            proxy=proxy,
            patient=patient,
            disease=disease,
            on=today,
        )
        _check_prescription(prescription, checks=checks, on=today)
        priced = _priced(prescription, lines, disease=disease, on=today)
    return enrolment, record, priced


def dispensing_submit(
    *,
    pharmacy: Pharmacy,
    prescription: Prescription,
    lines: list[LineInput],
    actor: User,
    identity_confirmed: bool,
    patient_signed: bool,
    proxy: ProxyInput | None = None,
    personal_paid: Decimal | None = None,
    idempotency_key: str | None = None,
    checks: CounterChecks | None = None,
    now: datetime | None = None,
    reviewer_id: int | None = None,
    video: VideoRef | None = None,
) -> Dispensing:
    """Dispense and settle at the counter: programme in force (HY-H01), designation
    (HY-C06), enrolment and chosen place (HY-G05/G07), hospital stay (HY-G08), identity and
    proxy (HY-E07, GY-D01, HY-G09), prescription (HY-E02, GY-D02, GY-E02), scope and swaps
    (HY-G10, GY-C02), price caps (HY-B02, GY-C01), traceability codes (HY-B03, GY-E02),
    quarterly quota (HY-G07), stock; the personal share is never waived (HY-G10); a retry
    with the key returns the first dispensing. `checks` (with `now`, the time they were read
    at): the caller read them with the prescription (`counter_read`). Reviewing pharmacist
    (HY-E01, GY-A04), staff list (GY-B02) and video reference (GY-E03): prescriptions.review."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    if checks is None:
        checks = counter_checks(
            pharmacy=pharmacy, prescription=prescription, on=today, idempotency_key=idempotency_key
        )
    if checks.done_id is not None:
        return _same_request(Dispensing.objects.get(pk=checks.done_id), prescription)
    enrolment, record, priced = _checked_at_counter(
        pharmacy=pharmacy,
        prescription=prescription,
        lines=lines,
        checks=checks,
        buyer=(identity_confirmed, patient_signed, proxy),
        staff=(actor, reviewer_id, video),
        now=now,
    )
    try:
        received = _check_codes(
            pharmacy=pharmacy, lines=priced, actor=actor, at=now, idempotency_key=idempotency_key
        )
    except _RetryDone as retry:
        return _same_request(retry.done, prescription)
    sale = Sale(
        pharmacy=pharmacy,
        prescription=prescription,
        enrolment=enrolment,
        lines=priced,
        total=sum((fen(line.unit_price * line.quantity) for line in priced), Decimal("0.00")),
        personal_paid=personal_paid,
        proxy=proxy,
        actor=actor,
        now=now,
        idempotency_key=idempotency_key or None,
        received=received,
        record=record,
    )
    try:
        return book(sale)
    except IntegrityError:
        # Two identical retries at once: the unique key lets one through; return it.
        done = _earlier_sale(pharmacy, idempotency_key)
        if done is None:
            raise
        return _same_request(done, prescription)
