"""Real concurrent transactions on PostgreSQL: two counters, one patient; one batch; one key."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.db import connection

from core.errors import DomainError
from inventory.models import StockBatch
from prescriptions.models import Dispensing, PrescriptionKind, QuotaAccount
from prescriptions.services import dispensing_submit
from tests.factories.prescriptions import MAY, World, world

pytestmark = pytest.mark.django_db(transaction=True)


def race(jobs: list[Callable[[], Any]]) -> list[Any]:
    """Run the jobs in threads released together; each thread has its own connection."""
    barrier = threading.Barrier(len(jobs))
    results: list[Any] = [None] * len(jobs)

    def run(i: int) -> None:
        try:
            barrier.wait()
            results[i] = jobs[i]()
        except Exception as exc:
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(jobs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def counter(w: World, prescription: Any, qty: int, key: str | None = None) -> Callable[[], Any]:
    line = w.line(prescription, qty)

    def job() -> Dispensing:
        return dispensing_submit(
            pharmacy=w.pharmacy,
            prescription=prescription,
            lines=[line],
            actor=w.pharmacist,
            identity_confirmed=True,
            patient_signed=True,
            idempotency_key=key,
        )

    return job


def test_hy_g07_two_counters_at_once_cannot_exceed_the_quota() -> None:
    w = world()
    with time_machine.travel(MAY, tick=True):
        a = w.prescription(quantity=20)
        b = w.prescription(quantity=20, kind=PrescriptionKind.LONG_TERM)
        # 2 × 15 × 9.50 = 285 > 200 (May–June): exactly one may pass
        results = race([counter(w, a, 15), counter(w, b, 15)])
    ok = [r for r in results if isinstance(r, Dispensing)]
    refused = [r for r in results if isinstance(r, DomainError)]
    assert len(ok) == 1 and len(refused) == 1, results
    assert getattr(refused[0], "rule_id", "") == "HY-G07"
    assert QuotaAccount.objects.get().used == Decimal("142.50")


def test_stock_never_goes_negative_under_concurrent_sales() -> None:
    w = world(stock=10)
    other = world(2, stock=1)
    # the second patient buys at the first pharmacy too, from the same batch
    other.pharmacy, other.pharmacist, other.batch = w.pharmacy, w.pharmacist, w.batch
    from patients.services import enrolment_choose_institution

    with time_machine.travel("2027-04-10 10:00 +0800", tick=False):
        enrolment_choose_institution(
            enrolment=other.enrolment, actor=w.pharmacist, organisation=w.pharmacy.organisation
        )
    with time_machine.travel(MAY, tick=True):
        a, b = w.prescription(quantity=20), other.prescription(quantity=20)
        results = race([counter(w, a, 7), counter(other, b, 7)])
    ok = [r for r in results if isinstance(r, Dispensing)]
    assert len(ok) == 1, results
    assert StockBatch.objects.get(pk=w.batch.pk).quantity == 3


def test_concurrent_retries_with_one_idempotency_key_charge_once() -> None:
    w = world()
    with time_machine.travel(MAY, tick=True):
        p = w.prescription(quantity=30)
        job = counter(w, p, 4, key="pos-7-42")
        results = race([job, job, job])
    assert all(isinstance(r, Dispensing) for r in results), results
    assert len({r.pk for r in results}) == 1
    assert Dispensing.objects.count() == 1
    assert QuotaAccount.objects.get().used == Decimal("38.00")
    assert StockBatch.objects.get(pk=w.batch.pk).quantity == 196


def test_gy_d03_two_counters_at_once_share_the_yearly_fund_cap() -> None:
    """GY-PT: 50 % above a zero deductible, 30 元 of fund a year. Two purchases of 50 元 at the
    same moment: the first gets 25 元, the second only the 5 元 left — never 50 元 in all."""
    from accounts.models import Role
    from prescriptions.models import PrescriptionSource
    from prescriptions.services import ItemInput, prescription_create
    from programmes.services import programme_update_parameters
    from tests.factories import member
    from tests.factories.prescriptions import gy_hospital, gy_world

    w, gy = gy_world()
    gy = programme_update_parameters(
        programme=gy,
        actor=member(Role.BUREAU_ADMIN),
        changes={"outpatient_deductible": Decimal("0"), "outpatient_annual_cap": Decimal("30")},
        reason="并发测试",
    )
    with time_machine.travel(MAY, tick=True):
        prescriptions = [
            prescription_create(
                programme=gy,
                patient=w.patient,
                disease=None,
                source=PrescriptionSource.PORTAL,
                items=[ItemInput(w.drug, "片剂", "qd", 10, 10)],
                issued_on=date(2027, 5, 10),
                valid_days=3,
                actor=w.physician,
                institution=gy_hospital(),
            )
            for _n in range(2)
        ]
        jobs: list[Callable[[], Any]] = []
        for p in prescriptions:
            line = w.line(p, 10, price="5.00")

            def job(p: Any = p, line: Any = line) -> Dispensing:
                return dispensing_submit(
                    pharmacy=w.pharmacy,
                    prescription=p,
                    lines=[line],
                    actor=w.pharmacist,
                    identity_confirmed=True,
                    patient_signed=True,
                )

            jobs.append(job)
        results = race(jobs)
    assert all(isinstance(r, Dispensing) for r in results), results
    shares = sorted(Dispensing.objects.values_list("fund_share", flat=True))
    assert shares == [Decimal("5.00"), Decimal("25.00")]
