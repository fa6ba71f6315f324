"""Issue 12.5 at the pharmacy: the counter's look-up, the archive and the slip are audited."""

from __future__ import annotations

from typing import Any

import pytest
import time_machine

from core.models import AuditAction, AuditEvent
from prescriptions.models import Dispensing
from tests.factories.prescriptions import MAY, dispense_post, world

pytestmark = pytest.mark.django_db


def test_sec_audit_counter_lookup_archive_and_slip_are_recorded(client_for: Any) -> None:
    w = world()
    with time_machine.travel(MAY, tick=False):
        p = w.prescription()
        c = client_for(w.pharmacist)
        c.post("/dispensing/counter/", {"resident_id": "430400190001010000"})  # nobody found
        assert not AuditEvent.objects.filter(action=AuditAction.RECORD_READ).exists()
        c.post("/dispensing/counter/", {"resident_id": w.patient.resident_id})
        dispense_post(c, w, p.pk, 10)
        d = Dispensing.objects.get()
        assert c.get(f"/dispensing/dispensings/{d.pk}/slip.pdf").status_code == 200
        assert c.get(f"/dispensing/archive/{w.patient.pk}/").status_code == 200
    reads = AuditEvent.objects.filter(action=AuditAction.RECORD_READ).order_by("id")
    assert [r.detail for r in reads] == ["counter", "outpatient archive"]
    assert all(r.object_id == str(w.patient.pk) and r.user_id == w.pharmacist.pk for r in reads)
    slip = AuditEvent.objects.get(action=AuditAction.DOCUMENT)
    assert slip.object_type == "prescriptions.dispensing" and d.number in slip.detail
    for row in AuditEvent.objects.values_list("detail", flat=True):
        assert w.patient.resident_id not in row
