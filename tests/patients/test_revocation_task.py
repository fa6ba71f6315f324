"""HY-G06: the designation work queues `patients.institution_revoked` by name; the task marks,
lists and notifies once.

The task runs through Celery's own machinery (found by name, JSON-serialised kwargs) but not on
a worker here: a second test worker on the shared Redis broker takes messages meant for the
foundation's real-worker test (tests/test_celery_real.py) when the suite runs in parallel."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
import time_machine
from django.test import Client

from accounts.models import Role
from config.celery import app
from core.models import Notification
from patients.models import ChoiceStatus, InstitutionChoice
from patients.selectors import patient_may_settle_at
from patients.services import enrolment_choose_institution
from tests.factories import member
from tests.factories.patients import (
    bureau,
    clerk,
    disease,
    enrol,
    hospital,
    patient,
    pharmacy_org,
)
from tests.factories.sessions import login


@pytest.mark.django_db(transaction=True)
def test_hy_g06_task_found_by_name_marks_lists_and_notifies_once() -> None:
    pharmacy = pharmacy_org("衡阳县康民大药房")
    with time_machine.travel("2027-04-12 10:00 +0800", tick=False):
        enrolment = enrol(patient())
        enrolment_choose_institution(
            enrolment=enrolment, organisation=pharmacy, actor=clerk(hospital())
        )
    officer = member(Role.BENEFITS_OFFICER, organisation=bureau(), username="benefits_x")
    kwargs: dict[str, Any] = {
        "organisation_id": pharmacy.pk,
        "programme_code": "HY-TM",
        "settle_until": "2027-12-31",
        "effective_from": "2028-01-04",
    }
    app.loader.import_default_modules()  # what a worker does at start: autodiscovery
    task = app.tasks["patients.institution_revoked"]
    wire = json.loads(json.dumps(kwargs))  # what the broker carries
    assert task.apply(kwargs=wire).get() == 1
    assert task.apply(kwargs=wire).get() == 0  # idempotent: nothing new, no second notice
    choice = InstitutionChoice.objects.get(enrolment=enrolment)
    assert choice.status == ChoiceStatus.REVOKED_INSTITUTION
    assert Notification.objects.filter(recipient=officer, rule_id="HY-G06").count() == 1
    d, p = disease(), enrolment.patient
    assert patient_may_settle_at(patient=p, disease=d, organisation=pharmacy, on=date(2027, 12, 31))
    assert not patient_may_settle_at(
        patient=p, disease=d, organisation=pharmacy, on=date(2028, 1, 4)
    )
    page = login(Client(), officer).get(f"/tm/revoked/{pharmacy.pk}/").content.decode()
    assert p.name in page and "2027-12-31" in page
