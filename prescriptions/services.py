"""Writes of prescriptions and dispensing: every counter check, quota ledger, settlement,
returns, delivery register and record retention."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Organisation, OrganisationKind, User
from core.errors import DomainError, RuleViolation, TransitionNotAllowed
from core.prepared import insert, prepared_cursor
from core.uploads import sniff_upload
from core.validators import normalise_resident_id, validate_resident_id
from inventory.models import (
    APPROVAL_ONLY_ALLOWED,
    TRACEABILITY_CODE_RE,
    DiseaseDrug,
    Drug,
    ItemCategory,
    TraceabilityCode,
)
from inventory.services import stock_sale_book, stock_sale_reverse
from patients.models import Enrolment, Patient
from patients.selectors import enrolment_for, outpatient_assert_covered, proxy_authorised
from pharmacies.models import Pharmacy
from prescriptions.models import (
    DISPENSING_TRANSITIONS,
    Dispensing,
    DispensingEvent,
    DispensingLine,
    DispensingStatus,
    Prescription,
    PrescriptionItem,
    PrescriptionKind,
    PrescriptionSource,
    QuotaAccount,
    QuotaEvent,
    QuotaEventKind,
)
from prescriptions.review import (
    CounterRecord,
    VideoRef,
    counter_record,
    flag_unlisted_recorder,
)
from prescriptions.rules import assert_once_a_month
from prescriptions.selectors import (
    CounterChecks,
    counter_checks,
    counter_items,
    outpatient_status,
    prescriber_memberships,
    price_cap_of,
    quota_and_standard,
    quota_period_bounds,
)
from programmes.models import Disease, PriceCapBasis, Programme
from programmes.selectors import fund_share_in_force
from programmes.services import programme_assert_in_force
from supervision.models import FindingKind, FindingPriority
from supervision.services import finding_raise

CENT = Decimal("0.01")
IMAGE_TYPES = frozenset({"image/jpeg", "image/png"})


def _price_rule(programme: Programme) -> str:
    return "HY-B02" if programme.price_cap_basis == PriceCapBasis.HOSPITAL_LISTED else "GY-C01"


def _check_image(upload: UploadedFile | None, *, rule_id: str, what: str) -> None:
    if upload is None:
        raise RuleViolation(rule_id, _("请上传%s。") % what)
    if sniff_upload(upload) not in IMAGE_TYPES:
        raise RuleViolation(rule_id, _("%s须为 JPEG 或 PNG 图片。") % what)


# --- Prescriptions -------------------------------------------------------------------------


@dataclass
class ItemInput:
    drug: Drug
    dosage_form: str
    dose: str
    quantity: int
    days: int


def _physician_entitled(physician: User | None, institution: Organisation | None) -> bool:
    return bool(
        physician is not None
        and institution is not None
        and institution.kind == OrganisationKind.HOSPITAL
        and prescriber_memberships(
            physician_id=physician.pk, institution_id=institution.pk
        ).exists()
    )


def _assert_prescription_in_force(programme: Programme, *, issued_on: date, source: str) -> None:
    """HY-H01: no prescription is issued or recorded under a programme outside its validity.
    Both days count: a paper prescription written before the programme ended is not recorded
    after it ended (nothing could be settled under it), nor one written before it began."""
    action = _("处方开具") if source == PrescriptionSource.PORTAL else _("处方录入")
    today = timezone.localdate()
    for day in sorted({issued_on, today}):
        programme_assert_in_force(programme=programme, on=day, action=action)


def prescription_create(
    *,
    programme: Programme,
    patient: Patient,
    disease: Disease | None,
    source: str,
    items: list[ItemInput],
    issued_on: date,
    valid_days: int,
    actor: User,
    kind: str = PrescriptionKind.NORMAL,
    institution: Organisation | None = None,
    institution_name: str = "",
    physician_name: str = "",
    seal_image: UploadedFile | None = None,
    trace_code: str = "",
    pharmacy: Pharmacy | None = None,
) -> Prescription:
    """Issue a prescription in the portal (an active physician of a hospital of the
    programme's region, GY-E02 / GY-D02; for an enrolled patient; free of charge, HY-F04) or
    record a paper / electronic one at the pharmacy (GY-D02; an e-prescription once); days
    within the normal or long-term limit (HY-E02); drugs within the disease's scope (HY-G10);
    the programme in force on the issue date and on the day it is recorded (HY-H01)."""
    _assert_prescription_in_force(programme, issued_on=issued_on, source=source)
    if not items:
        raise ValidationError(_("处方至少需要一种药品。"))
    if valid_days < 1:
        raise ValidationError(_("处方有效天数须为正数。"))
    limit = (
        programme.long_term_prescription_days
        if kind == PrescriptionKind.LONG_TERM
        else programme.normal_prescription_days
    )
    for item in items:
        if item.quantity < 1 or item.days < 1:
            raise ValidationError(_("数量和用药天数须为正数。"))
        if limit is not None and item.days > limit:
            raise RuleViolation(
                "HY-E02",
                _("%(kind)s最多开具 %(limit)s 天用量，%(drug)s 开了 %(days)s 天。")
                % {
                    "kind": PrescriptionKind(kind).label,
                    "limit": limit,
                    "drug": item.drug,
                    "days": item.days,
                },
            )
    if disease is not None:
        if disease.programme_id != programme.pk:
            raise ValidationError(_("病种不属于所选政策方案。"))
        in_scope = set(
            DiseaseDrug.objects.filter(
                disease=disease, drug_id__in=[i.drug.pk for i in items]
            ).values_list("drug_id", flat=True)
        )
        outside = [str(i.drug) for i in items if i.drug.pk not in in_scope]
        if outside:
            raise RuleViolation(
                "HY-G10",
                _("%(drugs)s 不在“%(d)s”的特门用药范围内，不能开具。")
                % {"drugs": "、".join(outside), "d": disease.name},
            )
    else:
        # General outpatient (GY-PT): the programme's insured types only (GY-D01), drugs only.
        outpatient_assert_covered(patient=patient, programme=programme)
        outside = [
            f"{i.drug}（{i.drug.get_category_display()}）"
            for i in items
            if i.drug.category != ItemCategory.DRUG
        ]
        if outside:
            raise RuleViolation(
                "GY-C02",
                _("%s 不是药品：医疗器械、医用耗材等不纳入普通门诊保障范围，不能开具。")
                % "、".join(outside),
            )
    if source == PrescriptionSource.PORTAL:
        if not _physician_entitled(actor, institution):
            raise RuleViolation("GY-E02", _("只有本院在职的处方医师才能开具处方。"))
        assert institution is not None
        if (
            not institution.is_active
            or not programme.regions.filter(pk=institution.region_id).exists()
        ):
            raise RuleViolation(
                "GY-D02",
                _("%(h)s 不是“%(p)s”统筹区内的定点医疗机构，不能开具该方案的处方。")
                % {"h": institution.name, "p": programme.short_name},
            )
        if disease is not None and enrolment_for(patient, disease) is None:
            raise RuleViolation(
                "HY-G07", _("该患者未享受“%s”特门待遇，不能开具特门处方。") % disease.name
            )
        institution_name = institution.name
        physician_name = actor.display_name
    else:
        if not institution_name.strip() or not physician_name.strip():
            raise RuleViolation("GY-D02", _("外配处方须写明开方机构和处方医师。"))
        if source == PrescriptionSource.PAPER:
            _check_image(seal_image, rule_id="GY-D02", what=_("医师签名或盖章的处方图片"))
        elif not trace_code.strip():
            raise RuleViolation("GY-D02", _("电子处方须有处方追溯码。"))
        elif Prescription.objects.filter(
            source=PrescriptionSource.ELECTRONIC, trace_code=trace_code.strip()
        ).exists():
            # One e-prescription, one record: a second one would let it be dispensed twice.
            raise RuleViolation(
                "GY-D02", _("追溯码为 %s 的电子处方已经录入，不能重复录入。") % trace_code.strip()
            )
    assert_once_a_month(
        programme=programme, patient=patient, disease=disease, kind=kind, issued_on=issued_on
    )
    with transaction.atomic():
        prescription = Prescription(
            number=f"CF{issued_on:%Y%m%d}{uuid.uuid4().hex[:10].upper()}",
            programme=programme,
            patient=patient,
            disease=disease,
            source=source,
            kind=kind,
            institution=institution,
            institution_name=institution_name.strip(),
            physician=actor if source == PrescriptionSource.PORTAL else None,
            physician_name=physician_name.strip(),
            trace_code=trace_code.strip(),
            issued_on=issued_on,
            valid_days=valid_days,
            recorded_at_pharmacy=pharmacy,
            recorded_by=actor,
        )
        if seal_image is not None:
            prescription.seal_image.save(f"{uuid.uuid4().hex}.img", seal_image, save=False)
        prescription._history_user = actor  # type: ignore[attr-defined]
        prescription.save()
        PrescriptionItem.objects.bulk_create(
            PrescriptionItem(
                prescription=prescription,
                drug=i.drug,
                dosage_form=i.dosage_form or i.drug.dosage_form,
                dose=i.dose,
                quantity=i.quantity,
                days=i.days,
            )
            for i in items
        )
    return prescription


# --- Dispensing ----------------------------------------------------------------------------


@dataclass
class LineInput:
    item_id: int
    quantity: int
    unit_price: Decimal
    traceability_codes: list[str] = field(default_factory=list)
    # What the pharmacist scanned; a different drug than prescribed is a swap (HY-G10).
    drug_id: int | None = None


@dataclass
class ProxyInput:
    name: str
    resident_id: str
    purchase_list_photo: UploadedFile | None


def _split(
    total: Decimal, disease: Disease | None, *, programme: Programme, patient: Patient, on: date
) -> tuple[Decimal, Decimal]:
    """Fund and personal share (fen-exact, half up; GY-D03). A 特门 prescription pays the
    disease's percentage; a general-outpatient one (no disease, GY-PT) pays the programme's
    percentage of what lies above the yearly deductible, up to the yearly fund cap — both
    counted over the patient's settled, not returned purchases of the programme this year."""
    if disease is not None:  # HY-G07: the standard in force on the sale's date
        share = fund_share_in_force(disease=disease, on=on)
        fund = (total * share / 100).quantize(CENT, rounding=ROUND_HALF_UP)
        return fund, total - fund
    pct = programme.outpatient_fund_share_pct
    if pct is None or total <= 0:
        return Decimal("0.00"), total
    deductible, cap = programme.outpatient_deductible, programme.outpatient_annual_cap
    spent = paid = Decimal("0.00")
    if deductible or cap is not None:
        year = outpatient_status(patient=patient, programme=programme, on=on)
        spent, paid = year.spent, year.fund_paid
    below = max(Decimal("0.00"), (deductible or Decimal("0.00")) - spent)
    covered = max(Decimal("0.00"), total - below)
    fund = (covered * pct / 100).quantize(CENT, rounding=ROUND_HALF_UP)
    if cap is not None:
        fund = max(Decimal("0.00"), min(fund, cap - paid))
    return fund, total - fund


def _prescription_valid(prescription: Prescription, on: date) -> bool:
    return (
        prescription.issued_on
        <= on
        <= prescription.issued_on + timedelta(days=prescription.valid_days - 1)
    )


# What the ledger knows of the scanned codes: the pharmacy and batch each was received in and
# the sale it went out in (one statement, no ORM compilation on the counter's hot path).
_CODES_KNOWN = (
    "SELECT code, pharmacy_id, batch_id, sold_in_id"  # noqa: S608
    f" FROM {TraceabilityCode._meta.db_table} WHERE code = ANY(%s)"
)


class _RetryDone(Exception):
    def __init__(self, done: Dispensing) -> None:
        self.done = done


def _check_codes(
    *,
    pharmacy: Pharmacy,
    lines: list[LineInput],
    actor: User,
    at: datetime,
    idempotency_key: str | None = None,
) -> dict[str, int]:
    """Format and count (HY-B03), already sold (GY-E02); returns the batch of each code this
    pharmacy received. Codes sold by the first request of a retry (committed after the
    retry's idempotency check) are that request's, not a resale: `_RetryDone`."""
    seen: set[str] = set()
    for line in lines:
        if len(line.traceability_codes) != line.quantity:
            raise RuleViolation(
                "HY-B03",
                _("每一件药品须扫描一个追溯码：数量 %(qty)s，已扫 %(n)s 个。")
                % {"qty": line.quantity, "n": len(line.traceability_codes)},
            )
        for code in line.traceability_codes:
            if not TRACEABILITY_CODE_RE.fullmatch(code):
                raise RuleViolation("HY-B03", _("追溯码 %s 格式不正确（应为 20 位数字）。") % code)
            if code in seen:
                raise RuleViolation("HY-B03", _("追溯码 %s 重复扫描。") % code)
            seen.add(code)
    with prepared_cursor() as cursor:
        cursor.execute(_CODES_KNOWN, [list(seen)])
        known: list[tuple[str, int, int, int | None]] = cursor.fetchall()
    sold = [code for code, _ph, _b, sold_in in known if sold_in is not None]
    if sold:
        done = (
            Dispensing.objects.filter(pharmacy=pharmacy, idempotency_key=idempotency_key).first()
            if idempotency_key
            else None
        )
        if done is not None:
            raise _RetryDone(done)
        # The finding is committed on its own: the refused sale rolls back, the alert stays.
        for code in sold:
            finding_raise(
                rule_id="GY-E02",
                organisation=pharmacy.organisation,
                pharmacy=pharmacy,
                kind=FindingKind.DISPENSING,
                priority=FindingPriority.PRIORITY_INSPECTION,
                summary=_("追溯码 %s 已售出后再次结算") % code,
                dedupe_key=f"GY-E02:resold:{code}:{pharmacy.pk}:{at:%Y%m%d}",
                details={"code": code},
                actor=actor,
            )
        raise RuleViolation(
            "GY-E02", _("追溯码 %s 已经售出，不能再次销售；已报送核查。") % "、".join(sorted(sold))
        )
    return {code: batch for code, ph, batch, _s in known if ph == pharmacy.pk}


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
    programme = prescription.programme
    patient = prescription.patient
    disease = prescription.disease
    if checks is None:
        checks = counter_checks(
            pharmacy=pharmacy, prescription=prescription, on=today, idempotency_key=idempotency_key
        )
    if checks.done_id is not None:
        return _same_request(Dispensing.objects.get(pk=checks.done_id), prescription)
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
    if not identity_confirmed:
        raise RuleViolation("HY-E07", _("请核验有效身份证件，确认人证一致后再结算。"))
    if proxy is not None:
        if not proxy.name.strip():
            raise RuleViolation("HY-E07", _("代购须登记代购人姓名。"))
        try:
            validate_resident_id(proxy.resident_id)
        except ValidationError as exc:
            raise RuleViolation("GY-D01", _("代购人身份证号无效。")) from exc
        if disease is not None and not proxy_authorised(
            patient=patient, proxy_resident_id=proxy.resident_id, on=today
        ):
            raise RuleViolation("HY-G09", _("该代购人没有经备案的代购授权。"))
        _check_image(
            proxy.purchase_list_photo, rule_id="HY-E07", what=_("代购人签字的购药清单照片")
        )
    if not patient_signed:
        raise RuleViolation("GY-D02", _("患者（或代购人）须先在结算单上签字，才能发药。"))
    if not _prescription_valid(prescription, today):
        raise RuleViolation("GY-D02", _("处方不在有效期内。"))
    if prescription.source == PrescriptionSource.PORTAL and not checks.prescriber_entitled:
        raise RuleViolation("GY-E02", _("开方医师不是该院在职处方医师，处方无效。"))
    if prescription.source == PrescriptionSource.PAPER and not prescription.seal_image:
        raise RuleViolation("GY-D02", _("纸质处方缺少医师签名或盖章。"))
    if not lines:
        raise ValidationError(_("请至少配一种药品。"))

    # Each item with its drug, whether the drug is in the disease's scope and its listed
    # price: one query (compiled once per process).
    items = {i.pk: i for i in counter_items(prescription=prescription, on=today)}
    priced: list[tuple[LineInput, PrescriptionItem, Decimal]] = []
    for line in lines:
        item = items.get(line.item_id)
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
        if disease is not None and not item.in_scope:
            raise RuleViolation(
                "HY-G10",
                _("%(drug)s 不在“%(d)s”的用药范围内。") % {"drug": drug, "d": disease.name},
            )
        if line.unit_price <= 0:
            # A sale at 0 (or less) is a typing slip or a disguised gift: never settled.
            raise DomainError(
                _("单价：%(drug)s 的售价须大于 0 元。") % {"drug": drug}, field="unit_price"
            )
        cap = price_cap_of(item.listed_price, programme)
        if cap is None or line.unit_price > cap:
            raise RuleViolation(
                _price_rule(programme),
                _("%(drug)s 售价 %(price)s 元高于限价 %(cap)s 元。")
                % {"drug": drug, "price": line.unit_price, "cap": cap if cap is not None else "—"},
            )
        priced.append((line, item, cap))
    try:
        received = _check_codes(
            pharmacy=pharmacy, lines=lines, actor=actor, at=now, idempotency_key=idempotency_key
        )
    except _RetryDone as retry:
        return _same_request(retry.done, prescription)

    total = sum(
        (
            (line.unit_price * line.quantity).quantize(CENT, rounding=ROUND_HALF_UP)
            for line, _i, _c in priced
        ),
        Decimal("0.00"),
    )
    try:
        return _book(
            pharmacy=pharmacy,
            prescription=prescription,
            enrolment=enrolment,
            priced=priced,
            total=total,
            personal_paid=personal_paid,
            proxy=proxy,
            actor=actor,
            now=now,
            idempotency_key=idempotency_key or None,
            received=received,
            record=record,
        )
    except IntegrityError:
        # Two identical retries at once: the unique key lets one through; return it.
        if idempotency_key:
            done = Dispensing.objects.filter(
                pharmacy=pharmacy, idempotency_key=idempotency_key
            ).first()
            if done is not None:
                return _same_request(done, prescription)
        raise


def _same_request(done: Dispensing, prescription: Prescription) -> Dispensing:
    if done.prescription_id != prescription.pk:
        raise DomainError(_("该幂等键已用于另一张处方的结算。"))
    return done


# HY-E02: take the quantity from the item only while that much is left (the row lock is the
# UPDATE's; a concurrent counter re-checks after waiting).
_TAKE_ITEM = (
    f"UPDATE {PrescriptionItem._meta.db_table}"  # noqa: S608
    " SET dispensed_quantity = dispensed_quantity + %(q)s"
    " WHERE id = %(id)s AND dispensed_quantity <= quantity - %(q)s"
)


def _book(
    *,
    pharmacy: Pharmacy,
    prescription: Prescription,
    enrolment: Enrolment | None,
    priced: list[tuple[LineInput, PrescriptionItem, Decimal]],
    total: Decimal,
    personal_paid: Decimal | None,
    proxy: ProxyInput | None,
    actor: User,
    now: datetime,
    idempotency_key: str | None,
    received: dict[str, int],
    record: CounterRecord,
) -> Dispensing:
    today = timezone.localdate(now)
    programme = prescription.programme
    period_start = (
        quota_period_bounds(programme=programme, on=today)[0] if enrolment is not None else None
    )
    disease = prescription.disease
    with transaction.atomic():
        if disease is None and (
            programme.outpatient_deductible or programme.outpatient_annual_cap is not None
        ):
            # GY-D03: the yearly deductible and fund cap are shared by all the patient's
            # purchases; two counters count them one after the other (the patient row is the
            # lock; a retry with the same key waits here too, then meets the unique index).
            Patient.objects.select_for_update().filter(pk=prescription.patient_id).values_list(
                "pk"
            ).get()
        fund, personal = _split(
            total, disease, programme=programme, patient=prescription.patient, on=today
        )
        if personal_paid is not None and personal_paid < personal:
            raise RuleViolation(
                "HY-G10", _("个人负担部分 %(p)s 元须足额收取，不得减免。") % {"p": personal}
            )
        # Insert first: a concurrent retry with the same key waits here on the unique index.
        dispensing = Dispensing(
            number=f"JS{timezone.localtime(now):%Y%m%d%H%M%S}{uuid.uuid4().hex[:8].upper()}",
            pharmacy=pharmacy,
            programme=prescription.programme,
            patient=prescription.patient,
            disease=prescription.disease,
            enrolment=enrolment,
            prescription=prescription,
            pharmacist=actor,
            idempotency_key=idempotency_key,
            dispensed_at=now,
            total=total,
            fund_share=fund,
            personal_share=personal,
            quota_period_start=period_start,
            patient_signed=True,
            **record.fields(),
        )
        if proxy is not None:
            dispensing.is_proxy = True
            dispensing.proxy_name = proxy.name.strip()
            dispensing.proxy_resident_id = normalise_resident_id(proxy.resident_id)
            assert proxy.purchase_list_photo is not None
            dispensing.purchase_list_photo.save(
                f"{uuid.uuid4().hex}.img", proxy.purchase_list_photo, save=False
            )
        insert([dispensing])
        flag_unlisted_recorder(
            record=record, pharmacy=pharmacy, number=dispensing.number, actor=actor
        )
        # Lock order everywhere: prescription items (by id), quota account, stock batches.
        # Each is one conditional UPDATE: it locks the row and re-checks in one statement.
        for line, item, _cap in sorted(priced, key=lambda p: p[1].pk):
            with prepared_cursor() as cursor:
                cursor.execute(_TAKE_ITEM, {"q": line.quantity, "id": item.pk})
                taken = cursor.rowcount
            if not taken:
                raise RuleViolation(
                    "HY-E02", _("%s 处方剩余数量不足（已在别处配药）。") % item.drug
                )
        if enrolment is not None:
            _quota_use(
                enrolment=enrolment,
                programme=programme,
                dispensing=dispensing,
                amount=total,
                actor=actor,
                on=today,
            )
        rows = []
        for line, item, cap in priced:
            # The batch the scanned codes were received in, else the earliest-expiring one
            # with stock (stock_sale_book picks it).
            known = next((received[c] for c in line.traceability_codes if c in received), None)
            try:
                movement = stock_sale_book(
                    pharmacy=pharmacy,
                    drug=item.drug,
                    batch=known,
                    quantity=line.quantity,
                    unit_price=line.unit_price,
                    traceability_codes=line.traceability_codes,
                    sold_at=now,
                    actor=actor,
                    reference=dispensing.number,
                    savepoint=False,  # any error rolls back this whole transaction
                )
            except RuleViolation:
                raise
            except DomainError as exc:
                raise RuleViolation("HY-B03", str(exc)) from exc
            rows.append(
                DispensingLine(
                    dispensing=dispensing,
                    item=item,
                    drug=item.drug,
                    batch_id=movement.batch_id,
                    quantity=line.quantity,
                    unit_price=line.unit_price,
                    price_cap=cap,
                    amount=(line.unit_price * line.quantity).quantize(CENT, rounding=ROUND_HALF_UP),
                    traceability_codes=line.traceability_codes,
                    movement=movement,
                )
            )
        insert(rows)
        # The caller shows the lines: they are already in memory.
        dispensing._prefetched_objects_cache = {"lines": rows}  # type: ignore[attr-defined]
        insert(
            [
                DispensingEvent(
                    dispensing=dispensing,
                    old_status="",
                    new_status=DispensingStatus.SETTLED,
                    actor=actor,
                    rule_id="GY-D02",
                )
            ]
        )
    return dispensing


def _quota_account(enrolment: Enrolment, programme: Programme, on: date) -> QuotaAccount:
    start, end = quota_period_bounds(programme=programme, on=on)
    account = (
        QuotaAccount.objects.select_for_update()
        .filter(enrolment=enrolment, period_start=start)
        .first()
    )
    if account is not None:
        return account
    # First purchase of the period: create the account (a concurrent first purchase waits on
    # the unique index and then finds it), then lock it.
    quota, standard = quota_and_standard(enrolment=enrolment, start=start, end=end)
    account, _created = QuotaAccount.objects.get_or_create(
        enrolment=enrolment,
        period_start=start,
        defaults={"period_end": end, "quota": quota, "standard": standard},
    )
    return QuotaAccount.objects.select_for_update().get(pk=account.pk)


def _quota_use(
    *,
    enrolment: Enrolment,
    programme: Programme,
    dispensing: Dispensing,
    amount: Decimal,
    actor: User,
    on: date,
) -> None:
    """HY-G07: take the amount from the period's account in one conditional UPDATE (it locks
    the row; a second counter waits and re-checks); refuse beyond the standard; event row."""
    start, _end = quota_period_bounds(programme=programme, on=on)
    with prepared_cursor() as cursor:
        cursor.execute(
            f"UPDATE {QuotaAccount._meta.db_table} SET used = used + %s"  # noqa: S608
            " WHERE enrolment_id = %s AND period_start = %s AND used + %s <= quota RETURNING id",
            [amount, enrolment.pk, start, amount],
        )
        row = cursor.fetchone()
    if row is not None:
        insert(
            [
                QuotaEvent(
                    account_id=row[0],
                    dispensing=dispensing,
                    kind=QuotaEventKind.USE,
                    amount=amount,
                    actor=actor,
                )
            ]
        )
        return
    # No account yet (first purchase of the period: create it) or not enough left.
    account = _quota_account(enrolment, programme, on)
    if account.used + amount > account.quota:
        raise RuleViolation(
            "HY-G07",
            _(
                "本季度特门额度 %(quota)s 元，已用 %(used)s 元，剩余 %(left)s 元，"
                "本次 %(amount)s 元超出额度。"
            )
            % {
                "quota": account.quota,
                "used": account.used,
                "left": account.remaining,
                "amount": amount,
            },
        )
    QuotaAccount.objects.filter(pk=account.pk).update(used=F("used") + amount)
    QuotaEvent.objects.create(
        account=account, dispensing=dispensing, kind=QuotaEventKind.USE, amount=amount, actor=actor
    )


def dispensing_return(*, dispensing: Dispensing, actor: User, reason: str) -> Dispensing:
    """Return a whole dispensing: the quota of its quarter, the stock, the traceability codes,
    the prescription's remaining quantities and the settlement are reversed exactly."""
    if not reason.strip():
        raise ValidationError(_("请填写退药原因。"))
    now = timezone.now()
    with transaction.atomic():
        locked = Dispensing.objects.select_for_update().get(pk=dispensing.pk)
        if DispensingStatus.RETURNED not in DISPENSING_TRANSITIONS.get(locked.status, frozenset()):
            raise TransitionNotAllowed(_("该结算已退药，不能重复退药。"))
        lines = list(
            locked.lines.select_related("movement", "movement__pharmacy", "movement__batch")
        )
        item_ids = sorted({line.item_id for line in lines})
        list(PrescriptionItem.objects.select_for_update().filter(pk__in=item_ids).order_by("pk"))
        if locked.enrolment_id is not None and locked.quota_period_start is not None:
            account = QuotaAccount.objects.select_for_update().get(
                enrolment_id=locked.enrolment_id, period_start=locked.quota_period_start
            )
            QuotaAccount.objects.filter(pk=account.pk).update(used=F("used") - locked.total)
            QuotaEvent.objects.create(
                account=account,
                dispensing=locked,
                kind=QuotaEventKind.REVERSE,
                amount=-locked.total,
                actor=actor,
            )
        for line in lines:
            stock_sale_reverse(sale=line.movement, actor=actor, returned_at=now)
            PrescriptionItem.objects.filter(pk=line.item_id).update(
                dispensed_quantity=F("dispensed_quantity") - line.quantity
            )
        old = locked.status
        locked.status = DispensingStatus.RETURNED
        locked.returned_at = now
        locked.save(update_fields=["status", "returned_at"])
        DispensingEvent.objects.create(
            dispensing=locked, old_status=old, new_status=locked.status, actor=actor, reason=reason
        )
    return locked
