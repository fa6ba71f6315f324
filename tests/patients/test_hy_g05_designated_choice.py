"""HY-G05: a patient chooses among the pharmacies designated for the programme on that date;
a pharmacy not designated that day is neither offered nor accepted."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine
from django.test import Client

from accounts.models import OrganisationKind
from accreditation.models import Designation, DesignationStatus
from core.errors import RuleViolation
from patients.models import InstitutionChoice
from patients.services import enrolment_choose_institution
from programmes.models import Programme
from tests.factories.patients import clerk, enrol, hospital, org, patient, pharmacy_org
from tests.factories.pharmacies import PharmacyFactory
from tests.factories.sessions import login

pytestmark = pytest.mark.django_db

APRIL = "2027-04-12 10:00 +0800"


def _pharmacy_designated(name: str, code: str, starts_on: date, ends_on: date) -> Designation:
    organisation = org(OrganisationKind.PHARMACY, name)
    return Designation.objects.create(
        pharmacy=PharmacyFactory.create(organisation=organisation),
        programme=Programme.objects.get(code=code),
        starts_on=starts_on,
        ends_on=ends_on,
    )


def test_hy_g05_a_pharmacy_is_chosen_only_from_its_designation_start() -> None:
    # Given a pharmacy designated for HY-TM from 1 May 2027 (its last day 30 April 2028).
    designation = _pharmacy_designated(
        "衡阳县新开药房", "HY-TM", date(2027, 5, 1), date(2028, 4, 30)
    )
    organisation = designation.pharmacy.organisation
    with time_machine.travel(APRIL, tick=False):
        enrolment = enrol(patient())
        other = enrol(patient(2, name="李秀英"))
        third = enrol(patient(3, name="赵敏"))
        actor = clerk(hospital())
        # When chosen before the designation starts: refused, with the rule and the date.
        with pytest.raises(RuleViolation) as refused:
            enrolment_choose_institution(
                enrolment=enrolment, organisation=organisation, actor=actor
            )
    assert refused.value.rule_id == "HY-G05" and refused.value.field == "organisation"
    assert "2027-04-12" in str(refused.value) and "衡阳县新开药房" in str(refused.value)
    assert not InstitutionChoice.objects.filter(enrolment=enrolment).exists()
    # Then on its first day, and on its last, it may be chosen; the day after, not.
    with time_machine.travel("2027-05-01 09:00 +0800", tick=False):
        first = enrolment_choose_institution(
            enrolment=enrolment, organisation=organisation, actor=actor
        )
    assert first.organisation == organisation
    with time_machine.travel("2028-04-30 09:00 +0800", tick=False):
        enrolment_choose_institution(enrolment=other, organisation=organisation, actor=actor)
    with (
        time_machine.travel("2028-05-01 09:00 +0800", tick=False),
        pytest.raises(RuleViolation) as after,
    ):
        enrolment_choose_institution(enrolment=third, organisation=organisation, actor=actor)
    assert after.value.rule_id == "HY-G05"


def test_hy_g05_a_pharmacy_designated_for_another_programme_or_suspended_is_refused() -> None:
    gy_only = _pharmacy_designated(
        "衡阳县普通门诊药店", "GY-PT", date(2027, 1, 1), date(2027, 12, 31)
    )
    revoked = _pharmacy_designated(
        "衡阳县过渡期药店", "HY-TM", date(2027, 1, 1), date(2027, 12, 31)
    )
    Designation.objects.filter(pk=revoked.pk).update(
        status=DesignationStatus.REVOKED, settle_until=date(2027, 12, 31)
    )
    suspended = _pharmacy_designated(
        "衡阳县暂停药店", "HY-TM", date(2027, 1, 1), date(2027, 12, 31)
    )
    Designation.objects.filter(pk=suspended.pk).update(status=DesignationStatus.SUSPENDED)
    rectifying = _pharmacy_designated(
        "衡阳县整改药店", "HY-TM", date(2027, 1, 1), date(2027, 12, 31)
    )
    Designation.objects.filter(pk=rectifying.pk).update(status=DesignationStatus.RECTIFICATION)
    with time_machine.travel(APRIL, tick=False):
        enrolment = enrol(patient())
        actor = clerk(hospital())
        for refused in (gy_only, revoked, suspended):
            with pytest.raises(RuleViolation) as excinfo:
                enrolment_choose_institution(
                    enrolment=enrolment, organisation=refused.pharmacy.organisation, actor=actor
                )
            assert excinfo.value.rule_id == "HY-G05"
        # Under rectification the pharmacy is still designated until the decision (HY-C05).
        choice = enrolment_choose_institution(
            enrolment=enrolment, organisation=rectifying.pharmacy.organisation, actor=actor
        )
    assert [c.organisation for c in InstitutionChoice.objects.filter(enrolment=enrolment)] == [
        choice.organisation
    ]


def test_hy_g05_the_choice_list_offers_only_pharmacies_designated_today() -> None:
    designated = pharmacy_org("衡阳县康民大药房")
    later = _pharmacy_designated("衡阳县新开药房", "HY-TM", date(2027, 5, 1), date(2028, 4, 30))
    not_designated = org(OrganisationKind.PHARMACY, "衡阳县未定点药房")
    h = hospital()
    with time_machine.travel(APRIL, tick=False):
        enrolment = enrol(patient())
        client = login(Client(), clerk(h, username="owner"))
        page = client.get(f"/tm/people/{enrolment.patient.pk}/").content.decode()
        assert f'value="{designated.pk}"' in page and "衡阳县康民大药房" in page
        assert f'value="{later.pharmacy.organisation.pk}"' not in page
        assert f'value="{not_designated.pk}"' not in page
        assert f'value="{h.pk}"' in page  # hospitals stay on the list
        # A forged post of a pharmacy not designated today is refused with the rule ID.
        url = f"/tm/people/{enrolment.patient.pk}/enrolments/{enrolment.pk}/choose/"
        response = client.post(url, {"organisation": not_designated.pk}, follow=True)
        assert "[HY-G05]" in response.content.decode()
        assert not enrolment.choices.exists()
        client.post(url, {"organisation": designated.pk})
        assert enrolment.choices.get().organisation == designated
    with time_machine.travel("2027-05-01 09:00 +0800", tick=False):
        client = login(Client(), clerk(h, username="owner2"))  # a new session a month later
        page = client.get(f"/tm/people/{enrolment.patient.pk}/").content.decode()
        assert f'value="{later.pharmacy.organisation.pk}"' in page
