"""HY-H01 (and GY 五(三) "从其新规") on every write path: outside its validity a programme
settles no purchase (counter page and POS API, HY-TM and GY-PT) and no prescription is issued
or recorded under it. "有效期至 X" is the last day in force; a programme superseded from a
date accepts nothing from that date."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
import time_machine
from django.test import Client

from accounts.models import Role, User
from prescriptions.models import Dispensing, Prescription
from programmes.models import Programme
from programmes.services import programme_update_parameters
from tests.factories.prescriptions import (
    World,
    body,
    dispense_form,
    dispense_post,
    gy,
    issue,
    paper,
    png,
    pos,
    record,
    record_form,
    world,
)
from tests.factories.sessions import login

pytestmark = pytest.mark.django_db


def _bureau_sets(programme: Programme, actor: User, **changes: Any) -> None:
    programme_update_parameters(
        programme=programme, actor=actor, changes=changes, reason="上级新政策施行"
    )


def _ends_on_31_may(w: World, personas: dict[str, User]) -> Prescription:
    """HY-TM's last day in force set to 2027-05-31; a prescription issued that day."""
    _bureau_sets(w.hy, personas[Role.BUREAU_ADMIN], valid_until=date(2027, 5, 31))
    w.hy.refresh_from_db()
    with time_machine.travel("2027-05-31 09:00 +0800", tick=False):
        return w.prescription(quantity=30)


def test_hy_h01_programme_accepts_nothing_outside_its_validity_dates(
    client_for: Any, personas: dict[str, User]
) -> None:
    """Through the counter page: a sale on the last valid day settles, the next day's is
    refused naming HY-H01 and books nothing."""
    w = world()
    p = _ends_on_31_may(w, personas)
    # (a client per day: a session ends after 30 idle minutes)
    with time_machine.travel("2027-05-31 23:30 +0800", tick=False):
        c = client_for(w.pharmacist)
        assert "结算成功" in dispense_post(c, w, p.pk, 2).content.decode()
    with time_machine.travel("2027-06-01 08:30 +0800", tick=False):
        html = dispense_post(client_for(w.pharmacist), w, p.pk, 2).content.decode()
    assert "[HY-H01]" in html and "有效期至 2027-05-31" in html and "不受理购药结算" in html
    assert Dispensing.objects.count() == 1 and p.items.get().remaining == 28


def test_hy_h01_the_seeded_until_date_is_the_last_day_in_force() -> None:
    """The seed: "有效期至2029年10月1日" — 1 October 2029 is still in force, the 2nd is not."""
    hy = Programme.objects.get(code="HY-TM")
    assert hy.is_in_force(date(2024, 10, 1)) and hy.is_in_force(date(2029, 10, 1))
    assert not hy.is_in_force(date(2024, 9, 30)) and not hy.is_in_force(date(2029, 10, 2))


def test_hy_h01_pos_api_refuses_a_sale_the_day_after_the_last_valid_day(
    personas: dict[str, User],
) -> None:
    w = world()
    p = _ends_on_31_may(w, personas)
    api = pos(w)
    item = p.items.get().pk
    with time_machine.travel("2027-05-31 18:00 +0800", tick=False):
        ok = api.post("/api/v1/pos/dispensings/", body(w, p.pk, item, 1, "k1"), format="json")
    assert ok.status_code == 201, ok.content
    with time_machine.travel("2027-06-01 09:00 +0800", tick=False):
        late = api.post("/api/v1/pos/dispensings/", body(w, p.pk, item, 1, "k2"), format="json")
    assert late.status_code == 400 and late.json()["rule"] == "HY-H01"
    assert Dispensing.objects.count() == 1


def test_hy_h01_no_prescription_issued_or_recorded_outside_the_validity(
    client_for: Any, personas: dict[str, User]
) -> None:
    w = world()
    _bureau_sets(w.hy, personas[Role.BUREAU_ADMIN], valid_until=date(2027, 5, 31))
    with time_machine.travel("2027-05-31 10:00 +0800", tick=False):
        issue(client_for(w.physician), w, (w.drug.pk, 30, 30))
        record(client_for(w.pharmacist), w, issued_on="2027-05-30", seal_image=png())
    assert Prescription.objects.count() == 2
    with time_machine.travel("2027-06-01 10:00 +0800", tick=False):
        physician, pharmacy = client_for(w.physician), client_for(w.pharmacist)
        issued = issue(physician, w, (w.drug.pk, 30, 30)).content.decode()
        # written on the last valid day, brought to the pharmacy the day after: not recorded
        late = record(pharmacy, w, issued_on="2027-05-31", seal_image=png())
    recorded = late.content.decode()
    assert "[HY-H01]" in issued and "不受理处方开具" in issued
    assert "[HY-H01]" in recorded and "不受理处方录入" in recorded
    assert Prescription.objects.count() == 2


def test_hy_h01_bureau_supersedes_the_programme_and_sales_stop_from_that_date(
    client_for: Any, personas: dict[str, User]
) -> None:
    """The bureau admin enters the supersede date on the parameter page (history keeps it);
    the day before it the counter settles, from it the counter refuses."""
    w = world()
    admin = login(Client(), personas[Role.BUREAU_ADMIN])
    data = {
        k: v
        for k, v in admin.get("/programmes/HY-TM/edit/").context["form"].initial.items()
        if v is not None
    }
    data.pop("pharmacist_registered_here", None)
    data.update(
        {
            "filing_months": "4, 10",
            "immediate_filing_diseases": "\n".join(data["immediate_filing_diseases"]),
            "valid_from": "2024-10-01",
            "valid_until": "2029-10-01",
            "superseded_from": "2027-06-01",
            "reason": "省医保局新办法施行",
        }
    )
    done = admin.post("/programmes/HY-TM/edit/", data)
    assert done.status_code == 302, done.context["form"].errors
    history = admin.get("/programmes/HY-TM/history/").content.decode()
    assert "被新规替代日期：— → 2027年6月1日" in history and "省医保局新办法施行" in history
    with time_machine.travel("2027-05-31 10:00 +0800", tick=False):
        p = w.prescription(quantity=30)
        c = client_for(w.pharmacist)
        assert "结算成功" in dispense_post(c, w, p.pk, 1).content.decode()
    with time_machine.travel("2027-06-01 10:00 +0800", tick=False):
        html = dispense_post(client_for(w.pharmacist), w, p.pk, 1).content.decode()
        assert "[HY-H01]" in html and "自 2027-06-01 起已被新政策替代" in html
        detail = client_for(personas[Role.BUREAU_ADMIN]).get("/programmes/HY-TM/")
        assert "本方案今日不在有效期内" in detail.content.decode()
    assert Dispensing.objects.count() == 1


def test_hy_h01_supersede_date_before_the_start_is_refused_naming_the_field(
    personas: dict[str, User],
) -> None:
    from core.errors import DomainError

    hy = Programme.objects.get(code="HY-TM")
    with pytest.raises(DomainError) as error:
        _bureau_sets(hy, personas[Role.BUREAU_ADMIN], superseded_from=date(2024, 10, 1))
    assert "superseded_from" in error.value.errors
    hy.refresh_from_db()
    assert hy.superseded_from is None


def test_hy_h01_gy_pt_superseded_by_a_new_rule_settles_and_records_nothing_from_that_date(
    client_for: Any,
) -> None:
    """GY-PT names no end date (GY 五(三) "从其新规"): once the bureau enters the new rule's
    first day, the Guiyang counter refuses sales and records no paper prescription."""
    g = gy()
    admin = User.objects.create_user(username="gy_admin_h01", password="x")
    with time_machine.travel("2027-05-10 10:00 +0800", tick=False):
        p = paper(g, g.employee, 20)
    _bureau_sets(g.programme, admin, superseded_from=date(2027, 5, 11))
    with time_machine.travel("2027-05-10 20:00 +0800", tick=False):
        c = client_for(g.pharmacist)
        ok = c.post(f"/dispensing/counter/{p.pk}/dispense/", dispense_form(p, 5), follow=True)
        assert "结算成功" in ok.content.decode()
    with time_machine.travel("2027-05-11 08:00 +0800", tick=False):
        c = client_for(g.pharmacist)
        html = c.post(
            f"/dispensing/counter/{p.pk}/dispense/", dispense_form(p, 5), follow=True
        ).content.decode()
        assert "[HY-H01]" in html and "2027-05-11" in html
        form = record_form(g, g.employee, g.drug)
        recorded = c.post("/dispensing/prescriptions/record/", form, follow=True)
        assert "[HY-H01]" in recorded.content.decode()
    assert Dispensing.objects.filter(patient=g.employee).count() == 1
    assert Prescription.objects.filter(patient=g.employee).count() == 1


def test_hy_h01_no_application_before_the_programme_starts_and_the_refusal_says_when() -> None:
    from accreditation import services as accreditation
    from core.errors import RuleViolation
    from tests.factories import accreditation as h

    pharmacy = h.pharmacy()
    manager = h.manager_of(pharmacy)
    hy = Programme.objects.get(code="HY-TM")
    with (
        time_machine.travel("2024-09-30 10:00 +0800", tick=False),
        pytest.raises(RuleViolation) as early,
    ):
        accreditation.application_create(pharmacy=pharmacy, programme=hy, actor=manager)
    assert early.value.rule_id == "HY-H01"
    assert "自 2024-10-01 起施行" in str(early.value) and "2024-09-30" in str(early.value)
    with time_machine.travel("2024-10-01 10:00 +0800", tick=False):
        accreditation.application_create(pharmacy=pharmacy, programme=hy, actor=manager)
