"""GY-D03 with HY-E10 / GY-E04: a payment refusal is deducted in the statement of the month it
was decided, naming the decision; a recovery (追回) against the dispensings it concerns is
deducted in the month it is booked; both to the fen."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from accounts.models import Role
from accreditation.models import ViolationDecision
from accreditation.services import violation_record
from core.errors import DomainError, RuleViolation
from pharmacies.models import Pharmacy
from prescriptions.selectors import fund_statement
from prescriptions.services import fund_recovery_record
from tests.factories.accounts import member
from tests.factories.prescriptions import world
from tests.factories.sessions import login
from tests.factories.supervision import sale

pytestmark = pytest.mark.django_db
MAY = "2027-05-10 10:00 +0800"
JUNE = "2027-06-12 10:00 +0800"


def test_gy_d03_refusal_and_recovery_are_deducted_in_their_month_to_the_fen() -> None:
    w = world()
    reviewer = member(Role.BUREAU_REVIEWER)
    with time_machine.travel(MAY, tick=False):
        first = sale(w, 2)  # 19.00 → fund 13.30
        second = sale(w, 4)  # 38.00 → fund 26.60
        refusal = violation_record(
            pharmacy=w.pharmacy,
            programme=w.hy,
            found_on=date(2027, 5, 9),
            finding="串换药品",
            rule_id="GY-E02",
            major=False,
            decision=ViolationDecision.REFUSE_PAYMENT,
            refused_amount=Decimal("10.01"),
            actor=reviewer,
        )
    with time_machine.travel(JUNE, tick=False):
        recovery = fund_recovery_record(
            pharmacy=w.pharmacy,
            dispensings=[first, second],
            amount=Decimal("39.89"),
            reason="虚开票据骗取基金",
            booked_on=date(2027, 6, 12),
            actor=reviewer,
            reference="JC000001",
        )
    pharmacies = Pharmacy.objects.filter(pk=w.pharmacy.pk)
    (may,) = fund_statement(pharmacies=pharmacies, month=date(2027, 5, 1))
    assert may.settled_fund == Decimal("39.90")
    assert may.refused_fund == Decimal("10.01") and may.refusals == [refusal]
    assert may.fund_owed == Decimal("29.89")
    (june,) = fund_statement(pharmacies=pharmacies, month=date(2027, 6, 1))
    assert june.settled_count == 0 and june.recoveries == [recovery]
    assert june.recovered_fund == Decimal("39.89") and june.fund_owed == Decimal("-39.89")
    assert set(recovery.dispensings.all()) == {first, second}
    assert list(first.recoveries.all()) == [recovery]


def test_gy_e04_a_recovery_cannot_exceed_the_fund_the_dispensings_drew() -> None:
    w = world()
    reviewer = member(Role.BUREAU_REVIEWER)
    with time_machine.travel(MAY, tick=False):
        d = sale(w, 2)  # fund 13.30
    kwargs = {
        "pharmacy": w.pharmacy,
        "dispensings": [d],
        "reason": "追回",
        "booked_on": date(2027, 6, 1),
        "actor": reviewer,
    }
    with pytest.raises(RuleViolation):
        fund_recovery_record(amount=Decimal("13.31"), **kwargs)  # type: ignore[arg-type]
    with pytest.raises(DomainError):
        fund_recovery_record(amount=Decimal("1.005"), **kwargs)  # type: ignore[arg-type]
    fund_recovery_record(amount=Decimal("13.00"), **kwargs)  # type: ignore[arg-type]
    with pytest.raises(RuleViolation):  # only 0.30 left to recover
        fund_recovery_record(amount=Decimal("0.31"), **kwargs)  # type: ignore[arg-type]


def test_the_statement_page_and_pdf_name_the_decision() -> None:
    w = world()
    reviewer = member(Role.BUREAU_REVIEWER)
    with time_machine.travel(MAY, tick=False):
        sale(w, 2)
        violation_record(
            pharmacy=w.pharmacy,
            programme=w.hy,
            found_on=date(2027, 5, 9),
            finding="串换药品拒付",
            rule_id="GY-E02",
            major=False,
            decision=ViolationDecision.REFUSE_PAYMENT,
            refused_amount=Decimal("3.30"),
            actor=reviewer,
        )
    manager = member(Role.PHARMACY_MANAGER, organisation=w.pharmacy.organisation)
    client = login(Client(), manager)
    page = client.get(reverse("prescriptions:statement") + "?month=2027-05")
    text = page.content.decode()
    assert page.status_code == 200
    assert "3.30" in text and "10.00" in text and "串换药品拒付" in text and "GY-E02" in text
    pdf = client.get(reverse("prescriptions:statement") + "?month=2027-05&format=pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
