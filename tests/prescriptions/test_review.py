"""审方 at the counter (HY-E01 / HY 一(三), GY-A04 / GY 一(四)), the staff list (GY-B02) and the
video reference (GY-E03) — through the service, the counter page and the POS API."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from accounts.models import Role
from core.errors import RuleViolation
from pharmacies.models import FilingStatus
from prescriptions.models import Dispensing, PrescriptionKind
from prescriptions.review import VideoRef
from prescriptions.services import dispensing_submit
from supervision.engine import rules_scan
from supervision.models import Finding
from tests.factories import member
from tests.factories.prescriptions import (
    MAY,
    World,
    body,
    dispense_post,
    licensed_pharmacist,
    pos,
    world,
)

pytestmark = pytest.mark.django_db


def sell(w: World, **kw: Any) -> Dispensing:
    p = w.prescription(kind=PrescriptionKind.LONG_TERM)  # several sales this month
    return dispensing_submit(
        pharmacy=w.pharmacy,
        prescription=p,
        lines=[w.line(p, 1)],
        actor=kw.pop("actor", w.pharmacist),
        identity_confirmed=True,
        patient_signed=True,
        **kw,
    )


def refused(rule: str, w: World, **kw: Any) -> RuleViolation:
    before = Dispensing.objects.count()
    with pytest.raises(RuleViolation) as exc:
        sell(w, **kw)
    assert exc.value.rule_id == rule and exc.value.field == "reviewing_pharmacist"
    assert Dispensing.objects.count() == before  # nothing booked
    return exc.value


def test_hy_e01_sale_records_the_filed_on_duty_reviewing_pharmacist() -> None:
    w = world()
    own = w.pharmacy.staff.get(user=w.pharmacist)
    colleague = licensed_pharmacist(w.pharmacy, name="陈国强")
    with time_machine.travel(MAY, tick=False):
        # Allowed: by default the pharmacist's own staff record; or a colleague named
        assert sell(w).reviewing_pharmacist == own
        assert sell(w, reviewer_id=colleague.pk).reviewing_pharmacist == colleague


def test_hy_e01_counter_refuses_an_unfiled_absent_or_foreign_reviewer() -> None:
    w = world()
    other = world(2)
    submitted = licensed_pharmacist(w.pharmacy, filing_status=FilingStatus.SUBMITTED)
    weekend = licensed_pharmacist(w.pharmacy, duty_weekdays="67")
    left = licensed_pharmacist(w.pharmacy, left_on=date(2027, 4, 30))
    unlicensed = licensed_pharmacist(w.pharmacy, licensed_pharmacist=False, certificate_no="")
    no_certificate = licensed_pharmacist(w.pharmacy, certificate_no="  ")
    foreign = other.pharmacy.staff.get(user=other.pharmacist)
    with time_machine.travel(MAY, tick=False):
        assert "备案" in str(refused("HY-E01", w, reviewer_id=submitted.pk))
        assert "在岗" in str(refused("HY-E01", w, reviewer_id=weekend.pk))
        assert "在职" in str(refused("HY-E01", w, reviewer_id=left.pk))
        assert "执业药师" in str(refused("HY-E01", w, reviewer_id=unlicensed.pk))
        assert "注册证" in str(refused("HY-E01", w, reviewer_id=no_certificate.pk))
        assert "本店" in str(refused("HY-E01", w, reviewer_id=foreign.pk))
        # No reviewer named and the acting account has no eligible staff record
        stranger = member(Role.PHARMACIST, organisation=w.pharmacy.organisation)
        refused("HY-E01", w, actor=stranger)
        # Filed by the centre, the same pharmacist is accepted
        submitted.filing_status = FilingStatus.FILED
        submitted.save()
        assert sell(w, reviewer_id=submitted.pk).reviewing_pharmacist == submitted
    with time_machine.travel("2027-05-15 10:00 +0800", tick=False):  # a Saturday
        assert sell(w, reviewer_id=weekend.pk).reviewing_pharmacist == weekend


def test_hy_e01_counter_page_offers_eligible_reviewers_and_refuses_without_one(
    client_for: Any,
) -> None:
    w = world()
    own = w.pharmacy.staff.get(user=w.pharmacist)
    unfiled = licensed_pharmacist(w.pharmacy, name="未备案药师", filing_status="unfiled")
    with time_machine.travel(MAY, tick=False):
        p = w.prescription()
        c = client_for(w.pharmacist)
        page = c.post("/dispensing/counter/", {"resident_id": w.patient.resident_id})
        html = page.content.decode()
        assert f'<option value="{own.pk}" selected>' in html  # the logged-in pharmacist
        assert "未备案药师" not in html  # not filed: not offered
        html = dispense_post(c, w, p.pk, 1, reviewing_pharmacist=str(unfiled.pk))
        assert "[HY-E01]" in html.content.decode() and not Dispensing.objects.exists()
        html = dispense_post(c, w, p.pk, 1, reviewing_pharmacist=str(own.pk)).content.decode()
        assert "结算成功" in html and "审方药师" in html and own.name in html
    assert Dispensing.objects.get().reviewing_pharmacist == own


def test_hy_e01_pos_api_refuses_an_unfiled_reviewer_and_records_the_filed_one() -> None:
    w = world()
    unfiled = licensed_pharmacist(w.pharmacy, filing_status="refused")
    api = pos(w)
    with time_machine.travel(MAY, tick=False):
        p = w.prescription()
        item = p.items.get().pk
        answer = api.post(
            "/api/v1/pos/dispensings/",
            {**body(w, p.pk, item, 1, "r1"), "reviewing_pharmacist": unfiled.pk},
            "json",
        )
        assert answer.status_code == 400 and answer.json()["rule"] == "HY-E01"
        answer = api.post("/api/v1/pos/dispensings/", body(w, p.pk, item, 1, "r2"), "json")
        assert answer.status_code == 201, answer.content
    own = w.pharmacy.staff.get(user=w.pharmacist)
    assert answer.json()["reviewing_pharmacist"] == own.pk


def test_gy_a04_gy_counter_refuses_a_reviewer_registered_elsewhere() -> None:
    from tests.factories.prescriptions import MAY as GY_MAY
    from tests.factories.prescriptions import gy, paper

    g = gy()
    elsewhere = licensed_pharmacist(g.pharmacy, registered_here=False, filing_status="unfiled")
    own = g.pharmacy.staff.get(user=g.pharmacist)
    with time_machine.travel(GY_MAY, tick=False):
        p = paper(g, g.employee)
        item = p.items.get()
        from tests.factories.prescriptions import codes

        def go(reviewer_id: int) -> Dispensing:
            from decimal import Decimal

            from prescriptions.services import LineInput

            line = LineInput(item.pk, 1, Decimal("8.00"), codes(1))
            return dispensing_submit(
                pharmacy=g.pharmacy,
                prescription=p,
                lines=[line],
                actor=g.pharmacist,
                identity_confirmed=True,
                patient_signed=True,
                reviewer_id=reviewer_id,
            )

        with pytest.raises(RuleViolation) as exc:
            go(elsewhere.pk)
        assert exc.value.rule_id == "GY-A04" and "注册地" in str(exc.value)
        # GY-PT sets no filing with the centre (HY-E01 is Hengyang's): unfiled but registered
        # here and on duty is accepted
        own.filing_status = FilingStatus.UNFILED
        own.save()
        assert go(own.pk).reviewing_pharmacist == own


def test_gy_b02_sale_recorded_by_an_account_off_the_staff_list_is_flagged_for_the_bureau(
    client_for: Any,
) -> None:
    w = world()
    own = w.pharmacy.staff.get(user=w.pharmacist)
    outsider = member(Role.PHARMACY_MANAGER, organisation=w.pharmacy.organisation)
    with time_machine.travel(MAY, tick=False):
        listed = sell(w)
        assert listed.recorder_on_staff is True
        rules_scan()
        assert not Finding.objects.filter(rule_id="SV-F14").exists()
        # An account with no staff record records a sale (the filed pharmacist reviewed it)
        flagged = sell(w, actor=outsider, reviewer_id=own.pk)
    assert flagged.recorder_on_staff is False
    rules_scan()  # supervision's SV-F14 reads the flag
    finding = Finding.objects.get(rule_id="SV-F14")
    assert finding.pharmacy == w.pharmacy and flagged.number in finding.display_summary()
    # The bureau sees the flag on the dispensing
    reviewer = client_for(member(Role.BUREAU_REVIEWER))
    html = reviewer.get(f"/dispensing/dispensings/{flagged.pk}/").content.decode()
    assert "GY-B02" in html


def test_gy_e03_dispensing_records_the_video_reference_the_bureau_can_request(
    client_for: Any,
) -> None:
    w = world()
    with time_machine.travel(MAY, tick=False):
        now = timezone.now()
        before, after = now - timedelta(minutes=5), now + timedelta(minutes=5)
        # Refused: a range that does not contain the sale, or a camera without a range
        for video in (
            VideoRef("收银台1号", before - timedelta(hours=1), before),
            VideoRef("收银台1号", None, None),
            VideoRef("收银台1号", before - timedelta(hours=13), after),
        ):
            with pytest.raises(RuleViolation) as exc:
                sell(w, video=video)
            assert exc.value.rule_id == "GY-E03"
        assert not Dispensing.objects.exists()
        d = sell(w, video=VideoRef("收银台1号", before, after))
    assert (d.video_camera, d.video_from, d.video_until) == ("收银台1号", before, after)
    reviewer = client_for(member(Role.BUREAU_REVIEWER))
    html = reviewer.get(f"/dispensing/dispensings/{d.pk}/").content.decode()
    local: datetime = timezone.localtime(before)
    assert "收银台1号" in html and local.strftime("%Y-%m-%d %H:%M") in html


def test_gy_e03_video_range_boundaries_and_an_empty_reference() -> None:
    w = world()
    with time_machine.travel(MAY, tick=False):
        now = timezone.now()
        # Nothing given: the sale settles and records no reference
        blank = sell(w, video=VideoRef("", None, None))
        assert (blank.video_camera, blank.video_from, blank.video_until) == ("", None, None)
        # A range starting or ending at the sale contains it; exactly 12 hours is allowed
        starts = sell(w, video=VideoRef("收银台1号", now, now + timedelta(hours=12)))
        assert starts.video_from == now
        ends = sell(w, video=VideoRef("收银台1号", now - timedelta(hours=12), now))
        assert ends.video_until == now
        with pytest.raises(RuleViolation) as exc:
            sell(w, video=VideoRef("收银台1号", now - timedelta(hours=12, seconds=1), now))
        assert exc.value.rule_id == "GY-E03" and exc.value.field == "video_until"
        # A camera name longer than the field keeps its first 60 characters
        long_name = sell(w, video=VideoRef("摄" * 70, now, now))
        assert long_name.video_camera == "摄" * 60


def test_hy_b02_price_metric_compares_each_sale_with_the_reference_price_in_force_that_day() -> (
    None
):
    """HY-B02: a sale is checked against the 挂网采购价 in force on its day less the programme's
    discount (price_discount_pct, 5 %); a later, lower reference price does not make it
    non-compliant, a sale above the cap in force is counted."""
    from decimal import Decimal

    from inventory.models import MovementKind, PriceCap
    from inventory.selectors import sale_prices_over_cap
    from tests.factories.inventory import at, book

    w = world()
    with time_machine.travel(MAY, tick=False):
        sell(w)  # 9.50 = 10.00 × 95 %: at the cap in force
    PriceCap.objects.create(
        drug=w.drug,
        programme=w.hy,
        basis="hospital_listed",
        price=Decimal("9.00"),  # cap 8.55 from June
        source="湖南省医药集中采购平台",
        effective_on=date(2027, 6, 1),
    )
    metric = sale_prices_over_cap(pharmacy=w.pharmacy, programme=w.hy)
    assert (metric.rule_id, metric.value, metric.denominator, metric.passed) == (
        "HY-B02",
        0,
        1,
        True,
    )
    book(w.pharmacy, w.drug, MovementKind.SALE, 1, at(date(2027, 6, 2)), price="9.50")
    metric = sale_prices_over_cap(pharmacy=w.pharmacy, programme=w.hy)
    assert (metric.value, metric.denominator, metric.passed) == (1, 2, False)
