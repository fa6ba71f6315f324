"""The shared spreadsheet-cell helper, and the public and roster exports that use it."""

from __future__ import annotations

from io import BytesIO

import pytest
import time_machine
from django.test import Client
from openpyxl import load_workbook

from accounts.models import Organisation
from core.exports import spreadsheet_cell, spreadsheet_row
from patients.models import Patient, Roster
from tests.factories.patients import clerk, enrol, hospital, patient
from tests.factories.prescriptions import world
from tests.factories.sessions import login


@pytest.mark.parametrize("value", ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1"])
def test_formula_prefixes_are_neutralised(value: str) -> None:
    assert spreadsheet_cell(value) == "'" + value


def test_other_cells_pass_unchanged() -> None:
    assert spreadsheet_row(["王建华", 12, -3, None, "a=b"]) == ["王建华", 12, -3, None, "a=b"]


@pytest.mark.django_db
def test_sec_formula_in_public_designated_list_is_neutralised() -> None:
    w = world()
    Organisation.objects.filter(pk=w.pharmacy.organisation_id).update(name="=1+2")
    with time_machine.travel("2027-06-01 10:00 +0800", tick=False):
        xlsx = Client().get("/public/designated/HY-TM.xlsx")
    values = [c.value for c in load_workbook(BytesIO(xlsx.content)).active[2]]
    assert "'=1+2" in values


@pytest.mark.django_db
def test_sec_formula_in_roster_export_is_neutralised() -> None:
    h = hospital()
    with time_machine.travel("2027-04-10 10:00 +0800", tick=False):
        enrol(patient())
    Patient.objects.update(name="@cmd")
    roster = Roster.objects.get()
    c = login(Client(), clerk(h, username="hosp_clerk"))
    sheet = load_workbook(BytesIO(c.get(f"/tm/rosters/{roster.pk}/xlsx/").content)).active
    assert sheet is not None and sheet.cell(row=2, column=2).value == "'@cmd"
