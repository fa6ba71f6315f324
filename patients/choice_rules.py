"""HY-G05: which institutions a patient may choose for an enrolment, on a date."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from accounts.models import Organisation, OrganisationKind
from accreditation.selectors import organisations_designated_on
from core.errors import RuleViolation


def choosable_institutions(
    *, region: Any, programme_id: int | None, on: date
) -> QuerySet[Organisation]:
    """The county's hospitals, and its pharmacies designated for the programme on `on` (with
    no programme: all its active pharmacies, left to `assert_pharmacy_designated`)."""
    pharmacies = Q(kind=OrganisationKind.PHARMACY)
    if programme_id is not None:
        pharmacies &= Q(pk__in=organisations_designated_on(programme_id=programme_id, on=on))
    return Organisation.objects.filter(
        Q(kind=OrganisationKind.HOSPITAL) | pharmacies, region=region, is_active=True
    ).order_by("kind", "name")


def assert_pharmacy_designated(*, organisation: Organisation, programme: Any, on: date) -> None:
    """HY-G05: a pharmacy may be chosen only while designated for the enrolment's programme.
    (Hospitals are not designated through applications here: the county's Level II+ hospitals
    with a 特门 window are listed as they are, HY-F01.)"""
    if organisation.kind != OrganisationKind.PHARMACY:
        return
    designated = organisations_designated_on(programme_id=programme.pk, on=on)
    if not designated.filter(pharmacy__organisation_id=organisation.pk).exists():
        raise RuleViolation(
            "HY-G05",
            _("%(name)s 在 %(on)s 不是“%(programme)s”的定点药店，不能选择。")
            % {"name": organisation.name, "on": on.isoformat(), "programme": programme.name},
            field="organisation",
        )
