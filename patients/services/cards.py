"""Retained social-security cards (HY-E08) and proxy purchase authorisations (HY-G09)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import (
    Organisation,
    OrganisationKind,
    User,
)
from core.errors import DomainError, RuleViolation, TransitionNotAllowed
from core.transitions import transition
from patients.models import (
    CardRetention,
    Enrolment,
    EnrolmentStatus,
    Patient,
    ProxyAuthorisation,
    ProxyGround,
    ProxyMethod,
    RetentionReason,
    RetentionStatus,
)
from patients.services.common import checked_resident_id
from patients.transitions import RETENTION, opened
from programmes.models import DiseaseCategory

# --- Retained cards (HY-E08) and proxies (HY-G09) ---------------------------------------------


def retention_apply(
    *,
    patient: Patient,
    pharmacy: Organisation,
    reason_category: str,
    application_text: str,
    actor: User,
) -> CardRetention:
    """HY-E08: the patient's written application, for a listed reason, filed with the centre."""
    if reason_category not in RetentionReason.values:
        raise RuleViolation(
            "HY-E08",
            _("只有长期异地居住未开通联网结算、行动不便或生活不能自理的患者可以留存社保卡。"),
        )
    if not application_text.strip():
        raise RuleViolation("HY-E08", _("须有患者本人的书面申请。"))
    if pharmacy.kind != OrganisationKind.PHARMACY:
        raise DomainError(_("社保卡只能留存在定点药店。"))
    with transaction.atomic():
        retention = CardRetention.objects.create(
            patient=patient,
            pharmacy=pharmacy,
            reason_category=reason_category,
            application_text=application_text,
            applied_by=actor,
        )
        opened(RETENTION, retention, actor=actor)
    return retention


def _retention_move(
    retention: CardRetention, new: str, *, actor: User, reason: str = "", **fields: Any
) -> CardRetention:
    try:
        return transition(RETENTION, retention, new, actor=actor, reason=reason, fields=fields)
    except TransitionNotAllowed as exc:
        if new == RetentionStatus.RETAINED:
            raise RuleViolation("HY-E08", _("留存社保卡须事前经县医保中心同意。")) from exc
        raise


def retention_decide(
    *, retention: CardRetention, approve: bool, actor: User, reason: str = ""
) -> CardRetention:
    """HY-E08: the county centre approves (or refuses) the retention beforehand."""
    new = RetentionStatus.APPROVED if approve else RetentionStatus.REFUSED
    return _retention_move(
        retention, new, actor=actor, reason=reason, decided_by=actor, decision_reason=reason
    )


def retention_record_retained(*, retention: CardRetention, on: date, actor: User) -> CardRetention:
    """HY-E08: the register entry; refused unless the centre approved beforehand."""
    return _retention_move(retention, RetentionStatus.RETAINED, actor=actor, retained_on=on)


def retention_record_returned(*, retention: CardRetention, on: date, actor: User) -> CardRetention:
    """HY-E08: the card went back to the patient."""
    return _retention_move(retention, RetentionStatus.RETURNED, actor=actor, returned_on=on)


SPECIAL_CATEGORIES = (DiseaseCategory.IMMEDIATE, DiseaseCategory.URAEMIA)


def proxy_authorise(
    *,
    patient: Patient,
    ground: str,
    method: str,
    valid_from: date,
    actor: User,
    organisation: Organisation,
    proxy_name: str = "",
    proxy_resident_id: str = "",
    relationship: str = "",
    postal_address: str = "",
    valid_until: date | None = None,
) -> ProxyAuthorisation:
    """HY-G09: proxy or postal purchase only for long-term bedridden patients and the special
    disease categories, with the proxy's identity."""
    if ground == ProxyGround.SPECIAL_CATEGORY:
        special = Enrolment.objects.filter(
            patient=patient, status=EnrolmentStatus.ACTIVE, disease__category__in=SPECIAL_CATEGORIES
        ).exists()
        if not special:
            raise RuleViolation(
                "HY-G09", _("该患者未享受特殊病种待遇，不能以特殊病种为由代购或邮寄。")
            )
    elif ground != ProxyGround.BEDRIDDEN:
        raise RuleViolation("HY-G09", _("只有长期卧病在床或特殊病种患者可以代购或邮寄。"))
    if method == ProxyMethod.PROXY:
        if not proxy_name.strip() or not proxy_resident_id.strip():
            raise RuleViolation("HY-G09", _("代购须登记代购人姓名和身份证号。"))
        proxy_resident_id = checked_resident_id(proxy_resident_id, field="proxy_resident_id")
    elif method == ProxyMethod.POST:
        if not postal_address.strip():
            raise DomainError(_("邮寄须填写邮寄地址。"), field="postal_address")
    else:
        raise DomainError(_("未知的方式。"), field="method")
    if valid_until and valid_until < valid_from:
        raise DomainError(_("截止日期不能早于生效日期。"), field="valid_until")
    proxy = ProxyAuthorisation(
        patient=patient,
        ground=ground,
        method=method,
        proxy_name=proxy_name.strip(),
        proxy_resident_id=proxy_resident_id,
        relationship=relationship,
        postal_address=postal_address,
        valid_from=valid_from,
        valid_until=valid_until,
        recorded_by=actor,
        organisation=organisation,
    )
    proxy._history_user = actor  # type: ignore[attr-defined]
    proxy.save()
    return proxy
