from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from core.errors import DomainError, RuleViolation, full_clean_or_refuse
from core.history import BEFORE_CHANGE, changed_values, history_catch_up
from core.history import UNRECORDED as UNRECORDED
from programmes.models import Disease, Programme
from programmes.parameters import EDITABLE_FIELDS, SUPERVISION_FIELDS


def programme_update_parameters(
    *, programme: Programme, actor: User, changes: dict[str, Any], reason: str = ""
) -> Programme:
    """Change parameters after validating the whole profile; history keeps who, when and why,
    and exactly the parameters whose value changed (none changed: nothing is written)."""
    unknown = set(changes) - set(EDITABLE_FIELDS) - set(SUPERVISION_FIELDS)
    if unknown:
        raise DomainError(_("不可修改的参数：%s") % ", ".join(sorted(unknown)))
    with transaction.atomic():
        locked = Programme.objects.select_for_update().get(pk=programme.pk)
        changed = changed_values(locked, changes)
        if not changed:
            return locked
        history_catch_up(locked, reason=UNRECORDED)
        for name, value in changed.items():
            setattr(locked, name, value)
        full_clean_or_refuse(locked)
        locked._history_user = actor  # type: ignore[attr-defined]
        # The reason goes in with the history row: history rows are append-only (no
        # update_change_reason afterwards; core.immutability).
        locked._change_reason = reason or None  # type: ignore[attr-defined]
        locked.save(update_fields=[*changed, "updated_at"])
    return locked


# HY-H01 is the catalogue's only validity rule. The GY seed's own clause (五(三), "自发布之日
# 起执行 … 从其新规") has no ID in rules.md, so a GY-PT refusal names HY-H01 too unless the
# bureau sets the programme's own `validity_rule_id`; the message names the programme.
VALIDITY_RULE_ID = "HY-H01"


def programme_assert_in_force(*, programme: Programme, on: date, action: str) -> None:
    """HY-H01 (GY 五(三)): outside its validity (Programme.is_in_force) a programme accepts
    no new applications, filings, prescriptions or purchases."""
    if programme.is_in_force(on):
        return
    if programme.superseded_from is not None and on >= programme.superseded_from:
        window = _("自 %(date)s 起已被新政策替代") % {"date": programme.superseded_from.isoformat()}
    elif programme.valid_until is not None and on > programme.valid_until:
        window = _("有效期至 %(date)s，已失效") % {"date": programme.valid_until.isoformat()}
    else:
        start = programme.valid_from.isoformat() if programme.valid_from else "—"
        window = _("自 %(date)s 起施行") % {"date": start}
    raise RuleViolation(
        programme.validity_rule_id or VALIDITY_RULE_ID,
        _("“%(programme)s”%(window)s，%(on)s 不受理%(action)s。")
        % {"programme": programme.name, "window": window, "on": on.isoformat(), "action": action},
    )


def calendar_remind_missing_arrangements(*, today: date) -> int:
    """Notify each active bureau admin once per year whose arrangement is missing in the
    calendar of the admin's region."""
    from django.urls import reverse

    from accounts.models import Membership, Role
    from core.calendar import load_calendar, years_needing_arrangement
    from core.notifications import notification_send

    memberships = Membership.objects.filter(
        role=Role.BUREAU_ADMIN, is_active=True, user__is_active=True
    ).values_list("organisation__region_id", "user_id")
    admins_by_region: dict[int, set[int]] = {}
    for region_id, user_id in memberships:
        admins_by_region.setdefault(region_id, set()).add(user_id)
    sent = 0
    for region_id, user_ids in sorted(admins_by_region.items()):
        years = years_needing_arrangement(today, calendar=load_calendar(region_id=region_id))
        admins = User.objects.filter(pk__in=user_ids)
        for year in years:
            sent += notification_send(
                recipients=admins,
                key=f"calendar-arrangement-{year}",
                message="calendar_arrangement",
                params={"year": year},
                link=reverse("programmes:calendar"),
            )
    return sent


# What staff may edit on a disease; the payment standards are reference data (load_reference).
DISEASE_FIELDS = [
    "code",
    "name",
    "icd10_codes",
    "category",
    "eligible_insured_types",
    "is_active",
]


def disease_save(
    *,
    programme: Programme,
    actor: User,
    changes: dict[str, Any],
    disease: Disease | None = None,
    reason: str = "",
) -> Disease:
    """Create or change a programme's disease (benefits section); history keeps who and why."""
    unknown = set(changes) - set(DISEASE_FIELDS)
    if unknown:
        raise DomainError(_("不可修改的字段：%s") % ", ".join(sorted(unknown)))
    with transaction.atomic():
        if disease is None:
            locked = Disease(programme=programme)
        else:
            locked = Disease.objects.select_for_update().get(pk=disease.pk, programme=programme)
            changes = changed_values(locked, changes)
            if not changes:
                return locked
            # Seeded rows have no history yet: keep the state before the first change so that
            # the history page shows what this change changed.
            history_catch_up(locked, reason=BEFORE_CHANGE)
        for name, value in changes.items():
            setattr(locked, name, value)
        full_clean_or_refuse(locked)
        locked._history_user = actor  # type: ignore[attr-defined]
        # The reason goes in with the history row: history rows are append-only (no
        # update_change_reason afterwards; core.immutability).
        locked._change_reason = reason or None  # type: ignore[attr-defined]
        locked.save()
    return locked
