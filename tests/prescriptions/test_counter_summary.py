"""The counter's live summary (issue 16.4): the quote runs the settlement's own checks and
split without writing; the refusals known before any line is filled (HY-G08, HY-G07, HY-C06,
HY-H01) are shown at lookup with their rule ID and no form; money has 2 decimals; the summary
endpoint is scoped like the counter (an outsider gets 404) and its query count is pinned."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.db.models import F

from accounts.models import User
from accreditation.models import Designation
from patients.models import HospitalStay
from prescriptions.models import Dispensing, Prescription, QuotaAccount
from prescriptions.services import dispensing_quote, dispensing_submit
from prescriptions.services.booking import PricedLine
from prescriptions.services.quote import QuoteLine, _line_shares
from tests.factories.patients import hospital
from tests.factories.prescriptions import World, codes, world
from tests.prescriptions.test_views import dispense_post

pytestmark = pytest.mark.django_db
MAY = "2027-05-10 10:00 +0800"
ON = date(2027, 5, 10)
MORE_THAN_2_DECIMALS = re.compile(r"\d\.\d{3,}")


def _quote_post(c: Any, p: Prescription, qty: int, n_codes: int, item_pk: int = 0) -> Any:
    item_pk = item_pk or p.items.get().pk
    return c.post(
        f"/dispensing/counter/{p.pk}/quote/",
        {
            f"qty_{item_pk}": str(qty),
            f"price_{item_pk}": "9.50",
            f"codes_{item_pk}": "\n".join(codes(n_codes)),
        },
        HTTP_HX_REQUEST="true",
    )


def test_quote_is_the_settlement_without_writing(db: Any) -> None:
    """GY-D03 / HY-G07: the quote's total, fund and personal shares are those the sale then
    settles; quota left after it; the quote writes nothing."""
    w = world()
    with time_machine.travel(MAY, tick=False):
        p = w.prescription()
        line = w.line(p, 10)
        quote = dispensing_quote(pharmacy=w.pharmacy, prescription=p, lines=[line], on=ON)
        assert not Dispensing.objects.exists() and not QuotaAccount.objects.exists()
        assert p.items.get().remaining == 30
        assert quote.refusal is None and not quote.blocked
        assert (quote.total, quote.fund, quote.personal) == (
            Decimal("95.00"),
            Decimal("66.50"),
            Decimal("28.50"),
        )
        assert quote.quota_left_after == Decimal("105.00")
        d = dispensing_submit(
            pharmacy=w.pharmacy,
            prescription=p,
            lines=[line],
            actor=w.pharmacist,
            identity_confirmed=True,
            patient_signed=True,
        )
    assert (d.total, d.fund_share, d.personal_share) == (quote.total, quote.fund, quote.personal)


def test_quote_names_the_rule_of_a_line_refused_and_of_the_quota_exceeded(db: Any) -> None:
    w = world()
    with time_machine.travel(MAY, tick=False):
        p = w.prescription(quantity=30)
        over_cap = w.line(p, 1, price="99.00")
        quote = dispensing_quote(pharmacy=w.pharmacy, prescription=p, lines=[over_cap], on=ON)
        assert quote.refusal is not None and quote.refusal.rule_id == "HY-B02"  # type: ignore[attr-defined]
        too_much = w.line(p, 25)  # 237.50 > the 200.00 of the period
        quote = dispensing_quote(pharmacy=w.pharmacy, prescription=p, lines=[too_much], on=ON)
        assert quote.refusal is not None and quote.refusal.rule_id == "HY-G07"  # type: ignore[attr-defined]
        assert "超出额度" in str(quote.refusal)


def test_summary_endpoint_shows_lines_totals_and_code_count_and_its_queries_are_pinned(
    client_for: Any, django_assert_max_num_queries: Any
) -> None:
    w = world()
    with time_machine.travel(MAY, tick=False):
        p = w.prescription()
        c = client_for(w.pharmacist)
        c.get("/dispensing/counter/")  # the session is warm, as at the counter
        item_pk = p.items.get().pk
        # session, user, membership, pharmacy, the prescription (scope), its items, the checks
        # (one read), quota account, standard, the priced items, notifications, session save
        with django_assert_max_num_queries(14):
            response = _quote_post(c, p, 10, 3, item_pk)
        html = response.content.decode()
    assert response.status_code == 200
    for expected in ("95.00", "66.50", "28.50", "105.00", "3 / 10", "[HY-B03]"):
        assert expected in html, expected
    # the line's own fund and personal shares (one line: the sale's)
    assert re.search(r'data-line="fund">\s*66\.50<', html)
    assert re.search(r'data-line="personal">\s*28\.50<', html)
    assert not MORE_THAN_2_DECIMALS.search(html)
    assert not Dispensing.objects.exists()


def test_summary_endpoint_gives_an_outsider_pharmacy_404(
    client_for: Any, outsider_pharmacy_manager: User
) -> None:
    w = world()
    other = world(2)
    with time_machine.travel(MAY, tick=False):
        p = w.prescription()
        assert _quote_post(client_for(w.pharmacist), p, 1, 1).status_code == 200
        for user in (outsider_pharmacy_manager, other.pharmacist):
            assert _quote_post(client_for(user), p, 1, 1).status_code == 404, user


def _lookup(c: Any, w: World) -> str:
    return c.post("/dispensing/counter/", {"resident_id": w.patient.resident_id}).content.decode()


def test_counter_allowed_offers_the_form_with_2_decimal_prices(client_for: Any) -> None:
    w = world()
    with time_machine.travel(MAY, tick=False):
        p = w.prescription()
        html = _lookup(client_for(w.pharmacist), w)
    assert f"/dispensing/counter/{p.pk}/dispense/" in html and "data-counter" in html
    assert f"/dispensing/counter/{p.pk}/quote/" in html and 'role="alert"' not in html
    assert not MORE_THAN_2_DECIMALS.search(html)


def _in_hospital(w: World) -> None:  # HY-G08
    HospitalStay.objects.create(
        patient=w.patient, hospital=hospital(), admitted_on=date(2027, 5, 8), source="hospital"
    )


def _quota_used_up(w: World) -> None:  # HY-G07
    QuotaAccount.objects.filter(enrolment=w.enrolment).update(used=F("quota"))


def _designation_ended(w: World) -> None:  # HY-C06
    Designation.objects.filter(pharmacy=w.pharmacy).update(ends_on=date(2027, 5, 9))


@pytest.mark.parametrize(
    ("make", "rule", "words"),
    [
        (_in_hospital, "HY-G08", "住院期间"),
        (_quota_used_up, "HY-G07", "已用完"),
        (_designation_ended, "HY-C06", "不是"),
    ],
)
def test_counter_shows_the_refusal_known_before_submit_at_lookup_without_a_form(
    client_for: Any, make: Any, rule: str, words: str
) -> None:
    w = world()
    with time_machine.travel(MAY, tick=False):
        p = w.prescription(quantity=30)
        c = client_for(w.pharmacist)
        dispense_post(c, w, p.pk, 1)  # the period's quota account exists
        make(w)
        html = _lookup(c, w)
    assert f"[{rule}]" in html and words in html, html
    assert p.number in html and f"/dispensing/counter/{p.pk}/dispense/" not in html


def test_hy_g07_benefit_not_started_is_shown_at_lookup(client_for: Any) -> None:
    """The enrolment's benefit starts on 1 May 2027: on 28 April the counter says so."""
    w = world()
    with time_machine.travel("2027-04-28 10:00 +0800", tick=False):
        p = w.prescription()
        html = _lookup(client_for(w.pharmacist), w)
    assert p.number in html and "[HY-G07]" in html and "尚未开始" in html
    assert f"/dispensing/counter/{p.pk}/dispense/" not in html


def test_each_line_shows_its_part_of_the_fund_share_adding_up_to_the_sale_to_the_fen(
    db: Any,
) -> None:
    """GY-D03: the sale is split once; each line shows its part in proportion to its amount,
    the fen left by rounding going to the largest remainders, so the lines add up exactly."""
    w = world()
    with time_machine.travel(MAY, tick=False):
        item = w.prescription().items.get()
    priced = [
        PricedLine(item=item, quantity=1, unit_price=Decimal(price), cap=Decimal(10), codes=[])
        for price in ("3.33", "3.33", "3.34")
    ]
    lines = [
        QuoteLine(item=item, quantity=1, unit_price=pl.unit_price, scanned=0, priced=pl)
        for pl in priced
    ]
    refused = QuoteLine(item=None, quantity=1, unit_price=Decimal(1), scanned=0)
    shared = _line_shares([*lines, refused], Decimal("10.00"), Decimal("7.00"))
    assert [line.fund for line in shared] == [
        Decimal("2.33"),
        Decimal("2.33"),
        Decimal("2.34"),
        None,
    ]
    assert sum(line.fund for line in shared[:3]) == Decimal("7.00")  # type: ignore[misc]
    assert [line.personal for line in shared[:3]] == [Decimal("1.00")] * 3
    assert shared[3].personal is None
