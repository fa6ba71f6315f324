"""Issue 12.5: reads of patient records, reveals of the resident ID, file downloads and
exports are audited — who, what, where from — and the audit row never holds the resident ID."""

from __future__ import annotations

from io import BytesIO

import pytest
import time_machine
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import Role
from accounts.services import api_key_create
from core.models import AuditAction, AuditEvent
from patients.models import Filing, Patient, Roster
from tests.factories import member
from tests.factories.patients import bureau, clerk, enrol, hospital, patient
from tests.factories.sessions import login

pytestmark = pytest.mark.django_db
APRIL = "2027-04-12 10:00 +0800"


def _no_resident_id_kept(p: Patient) -> None:
    for row in AuditEvent.objects.values("detail", "object_id", "user_agent"):
        assert p.resident_id not in " ".join(str(v) for v in row.values())


def test_sec_audit_patient_read_and_resident_id_reveal_are_recorded_without_the_id() -> None:
    with time_machine.travel(APRIL, tick=False):
        p = enrol(patient()).patient
    user = clerk(hospital(), username="audit_window")
    c = login(Client(REMOTE_ADDR="192.0.2.10"), user)
    c.get(f"/tm/people/{p.pk}/")
    c.post(f"/tm/people/{p.pk}/reveal/", {"reason": "窗口核对"})
    c.post("/tm/people/", {"blind_q": p.resident_id})  # searched by a POSTed form
    read = AuditEvent.objects.get(action=AuditAction.RECORD_READ, object_type="patients.patient")
    assert (read.user_id, read.object_id, read.region_id) == (user.pk, str(p.pk), p.region_id)
    assert read.role == Role.WINDOW_CLERK and read.ip == "192.0.2.10"
    reveal = AuditEvent.objects.get(action=AuditAction.ID_REVEAL)
    assert reveal.object_id == str(p.pk) and reveal.detail == "reason: 窗口核对"
    assert reveal.organisation_name == "衡阳县人民医院" and reveal.ip == "192.0.2.10"
    search = AuditEvent.objects.get(action=AuditAction.RECORD_SEARCH)
    assert p.masked_id in search.detail
    _no_resident_id_kept(p)


def test_sec_audit_filing_material_download_and_roster_exports_are_recorded() -> None:
    h = hospital()
    with time_machine.travel(APRIL, tick=False):
        enrol(patient())
    filing = Filing.objects.get()
    roster = Roster.objects.get()
    c = login(Client(), clerk(h, username="audit_owner"))
    png = BytesIO(b"\x89PNG\r\n\x1a\n" + b"0" * 32)
    png.name = "scan.png"
    c.post(f"/tm/filings/{filing.pk}/materials/", {"kind": "id_copy", "file": png})
    material = filing.materials.get()
    assert c.get(f"/tm/materials/{material.pk}/").status_code == 200
    assert c.get(f"/tm/rosters/{roster.pk}/xlsx/").status_code == 200
    download = AuditEvent.objects.get(action=AuditAction.FILE_DOWNLOAD)
    assert download.object_type == "patients.filingmaterial"
    assert download.object_id == str(material.pk) and filing.number in download.detail
    export = AuditEvent.objects.get(action=AuditAction.EXPORT)
    assert export.object_type == "patients.roster" and "xlsx" in export.detail
    # An outsider's refused download leaves no download row.
    outsider = login(Client(), clerk(hospital("衡阳县中医医院"), username="audit_outsider"))
    assert outsider.get(f"/tm/materials/{material.pk}/").status_code == 404
    assert AuditEvent.objects.filter(action=AuditAction.FILE_DOWNLOAD).count() == 1


def test_sec_audit_filing_read_through_the_api_names_the_api_key() -> None:
    h = hospital()
    with time_machine.travel(APRIL, tick=False):
        enrol(patient())
    filing = Filing.objects.get()
    key, raw = api_key_create(organisation=h, name="HIS", actor=clerk(h, username="his_owner"))
    api = APIClient(REMOTE_ADDR="198.51.100.7")
    api.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    assert api.get(f"/api/v1/tm/filings/{filing.pk}/").status_code == 200
    read = AuditEvent.objects.get(action=AuditAction.RECORD_READ)
    assert read.api_key_id == key.pk and read.api_key_prefix == key.prefix
    assert read.user_id is None and read.organisation_id == h.pk
    assert read.ip == "198.51.100.7" and read.object_id == str(filing.pk)


def test_sec_audit_benefits_officer_reads_are_in_the_bureau_page() -> None:
    with time_machine.travel(APRIL, tick=False):
        p = enrol(patient()).patient
    officer = member(Role.BENEFITS_OFFICER, organisation=bureau(), username="audit_officer")
    login(Client(), officer).get(f"/tm/people/{p.pk}/")
    admin = member(Role.BUREAU_ADMIN, organisation=bureau(), username="audit_admin")
    page = login(Client(), admin).get("/accounts/audit/").content.decode()
    assert "audit_officer" in page and f"patients.patient #{p.pk}" in page
