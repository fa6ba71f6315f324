"""Enrolments and the institution each patient chooses (HY-G05, HY-G06)."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import (
    Membership,
    Organisation,
    OrganisationKind,
    Role,
    User,
)
from core.errors import DomainError, RuleViolation
from core.event_messages import Reason
from core.event_messages import reason as named_reason
from core.notifications import notification_send
from core.transitions import transition
from patients.choice_rules import assert_pharmacy_designated
from patients.models import ChoiceStatus, Enrolment, EnrolmentStatus, InstitutionChoice
from patients.selectors import CHOSEN_STATUSES
from patients.services.common import active_members
from patients.transitions import CHOICE, ENROLMENT, opened

# --- Enrolment and institution choice --------------------------------------------------------


def _end_choices(
    choices: QuerySet[InstitutionChoice],
    *,
    on: date,
    actor: User,
    reason: str | Reason,
    rule_id: str = "",
) -> None:
    """The choices end on `on` (the patient moved, or the benefit ended)."""
    for choice in choices:
        transition(
            CHOICE,
            choice,
            ChoiceStatus.ENDED,
            actor=actor,
            reason=reason,
            rule_id=rule_id,
            fields={"ended_on": on},
            history_user=True,
        )


def enrolment_end(*, enrolment: Enrolment, ended_on: date, reason: str, actor: User) -> Enrolment:
    """End a patient's benefit for a disease (e.g. moved away, deceased); its choices end too."""
    if not reason.strip():
        raise DomainError(_("终止待遇须填写原因。"), field="reason")
    with transaction.atomic():
        locked = transition(
            ENROLMENT,
            enrolment,
            EnrolmentStatus.ENDED,
            actor=actor,
            reason=reason,
            history_user=True,
        )
        current = InstitutionChoice.objects.filter(enrolment=locked, status__in=CHOSEN_STATUSES)
        _end_choices(current, on=ended_on, actor=actor, reason=reason)
    return locked


def enrolment_choose_institution(
    *,
    enrolment: Enrolment,
    actor: User,
    organisation: Organisation | None = None,
    outside_institution: str = "",
    replaces: InstitutionChoice | None = None,
) -> InstitutionChoice:
    """HY-G05: the patient freely chooses designated hospitals or pharmacies in the county (a
    pharmacy designated for the enrolment's programme on the day of the choice), or
    a designated institution outside it; HY-G06: choosing anew moves the patient off a revoked
    institution."""
    today = timezone.localdate()
    if (organisation is None) == (not outside_institution.strip()):
        raise DomainError(
            _("请选择县内定点机构，或填写县外定点医药机构名称（二选一）。"), field="organisation"
        )
    if organisation is not None and (
        organisation.kind not in (OrganisationKind.HOSPITAL, OrganisationKind.PHARMACY)
        or not organisation.is_active
    ):
        raise RuleViolation("HY-G05", _("只能选择定点医院或定点药店。"))
    with transaction.atomic():
        locked = Enrolment.objects.select_for_update().get(pk=enrolment.pk)
        if locked.status != EnrolmentStatus.ACTIVE:
            raise DomainError(_("该待遇已终止。"))
        if organisation is not None:
            programme = locked.disease.programme
            assert_pharmacy_designated(organisation=organisation, programme=programme, on=today)
        current = InstitutionChoice.objects.filter(enrolment=locked, status__in=CHOSEN_STATUSES)
        if (
            organisation is not None
            and current.filter(organisation=organisation, status=ChoiceStatus.ACTIVE).exists()
        ):
            raise DomainError(_("已选择该机构。"))
        # A patient who chooses anew has moved off a revoked institution (HY-G06).
        moved = Q(status=ChoiceStatus.REVOKED_INSTITUTION)
        if replaces is not None:
            moved |= Q(pk=replaces.pk)
        _end_choices(
            current.filter(moved).order_by("id"),
            on=today,
            actor=actor,
            reason=named_reason("choice_rechosen"),
            rule_id="HY-G06",
        )
        choice = InstitutionChoice.objects.create(
            enrolment=locked,
            organisation=organisation,
            outside_institution=outside_institution.strip(),
            chosen_on=today,
            chosen_by=actor,
        )
        opened(CHOICE, choice, actor=actor)
    return choice


def choices_mark_institution_revoked(
    *, organisation_id: int, programme_code: str, settle_until: date, effective_from: date
) -> list[InstitutionChoice]:
    """HY-G06: the patients of a revoked institution are marked and listed, settle there
    until `settle_until` unless they move, and never from `effective_from`; the window and
    benefits staff are told (once)."""
    with transaction.atomic():
        active = (
            InstitutionChoice.objects.select_for_update()
            .filter(
                organisation_id=organisation_id,
                status=ChoiceStatus.ACTIVE,
                enrolment__disease__programme__code=programme_code,
            )
            .order_by("id")
        )
        affected = [
            transition(
                CHOICE,
                choice,
                ChoiceStatus.REVOKED_INSTITUTION,
                actor=None,
                reason=named_reason("institution_revoked"),
                rule_id="HY-G06",
                fields={"settle_until": settle_until, "revoked_from": effective_from},
            )
            for choice in active
        ]
        _notify_revoked(
            organisation_id=organisation_id,
            programme_code=programme_code,
            settle_until=settle_until,
            effective_from=effective_from,
        )
    return affected


def _notify_revoked(
    *, organisation_id: int, programme_code: str, settle_until: date, effective_from: date
) -> None:
    """HY-G06: tell the windows and the benefits officers once which patients must choose
    again (every patient marked by this revocation, also by an earlier run)."""
    all_marked = list(
        InstitutionChoice.objects.filter(
            organisation_id=organisation_id,
            status=ChoiceStatus.REVOKED_INSTITUTION,
            enrolment__disease__programme__code=programme_code,
            revoked_from=effective_from,
        ).select_related("enrolment__patient", "enrolment__filing__window")
    )
    if not all_marked:
        return
    organisation = Organisation.objects.get(pk=organisation_id)
    windows = {c.enrolment.filing.window_id for c in all_marked}
    staff = User.objects.filter(
        pk__in=Membership.objects.filter(is_active=True)
        .filter(role=Role.WINDOW_CLERK, organisation_id__in=windows)
        .values("user_id")
    ) | active_members(Role.BENEFITS_OFFICER, region_id=organisation.region_id)
    names = "、".join(sorted({c.enrolment.patient.name for c in all_marked}))
    params = {
        "name": organisation.name,
        "count": len(all_marked),
        "until": settle_until.isoformat(),
        "from": effective_from.isoformat(),
        "names": names,
    }
    link = reverse("patients:revoked_choices", args=[organisation_id])
    key = f"institution-revoked-{organisation_id}-{programme_code}-{effective_from}"
    recipients = list(staff.distinct())
    transaction.on_commit(
        lambda: notification_send(
            recipients=recipients,
            key=key,
            message="institution_revoked",
            params=params,
            link=link,
            rule_id="HY-G06",
        )
    )
