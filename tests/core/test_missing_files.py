"""A download whose stored file is gone from disk answers 404 with a message, not 500."""

from __future__ import annotations

import os
from datetime import date
from io import BytesIO

import pytest
import time_machine
from django.test import Client

from inventory import imports
from inventory.services import purchase_import_create
from patients.models import Filing
from pharmacies.models import EvidenceKind
from pharmacies.services import staff_evidence_upload
from tests.factories import accreditation as h
from tests.factories.patients import clerk, enrol, hospital, patient
from tests.factories.sessions import login

pytestmark = pytest.mark.django_db
MESSAGE = "文件在服务器上已不存在"


def _gone(field: object) -> None:
    os.remove(field.path)  # type: ignore[attr-defined]


@time_machine.travel(date(2026, 3, 2))
def test_sec_missing_document_evidence_and_import_file_is_a_404_with_a_message() -> None:
    pharmacy = h.pharmacy()
    manager = h.manager_of(pharmacy)
    application = h.submitted(pharmacy, h.hy(), manager)
    document = application.documents.first()
    staff = pharmacy.staff.first()
    assert document is not None and staff is not None
    evidence = staff_evidence_upload(
        staff=staff, kind=EvidenceKind.LABOUR_CONTRACT, month=None, upload=h.pdf(), actor=manager
    )
    record = purchase_import_create(
        pharmacy=pharmacy, name="a.csv", data=imports.write_csv([]), actor=None
    )
    for stored in (document.file, evidence.file, record.file):
        _gone(stored)
    client = login(Client(), manager)
    for url in (
        f"/accreditation/documents/{document.pk}/",
        f"/pharmacy/evidence/{evidence.pk}/",
        f"/inventory/imports/{record.pk}/file/",
    ):
        response = client.get(url)
        assert response.status_code == 404, url
        assert MESSAGE in response.content.decode(), url


def test_sec_missing_filing_material_is_a_404_with_a_message() -> None:
    h_ = hospital()
    with time_machine.travel("2027-04-10 10:00 +0800", tick=False):
        enrol(patient())
    filing = Filing.objects.get()
    c = login(Client(), clerk(h_, username="owner"))
    png = BytesIO(b"\x89PNG\r\n\x1a\n" + b"0" * 32)
    png.name = "scan.png"
    c.post(f"/tm/filings/{filing.pk}/materials/", {"kind": "id_copy", "file": png})
    material = filing.materials.get()
    _gone(material.file)
    response = c.get(f"/tm/materials/{material.pk}/")
    assert response.status_code == 404 and MESSAGE in response.content.decode()
