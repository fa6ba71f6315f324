"""Designation work at county scale: eligibility reports, the daily deadline scan and the
reviewer's worklist over 300 pharmacies with running applications (rolled back afterwards)."""

from __future__ import annotations

import time
from datetime import date, timedelta
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

COUNT = 300


class _Rollback(Exception):
    pass


def _world(today: date) -> tuple[Any, Any, list[Any]]:
    """A centre with one reviewer, COUNT pharmacies of five staff, each with an application
    under evaluation whose due date spreads over the reminder windows."""
    from accounts.models import Membership, Organisation, OrganisationKind, Region, Role, User
    from accreditation.models import Application, ApplicationStatus
    from pharmacies.demo import _profile, credit_code, resident_id
    from pharmacies.models import Pharmacy, StaffMember, StaffPost
    from programmes.models import Programme

    region = Region.objects.get(code="430421")
    hy = Programme.objects.get(code="HY-TM")
    centre = Organisation.objects.create(
        kind=OrganisationKind.CENTRE, name="基准测试医保中心", region=region
    )
    reviewer = User.objects.create_user(username="bench_reviewer", password="x")
    membership = Membership.objects.create(
        user=reviewer, organisation=centre, role=Role.BUREAU_REVIEWER
    )
    posts = [StaffPost.MANAGER, StaffPost.PHARMACIST, StaffPost.PHARMACIST, StaffPost.BILLER]
    posts.append(StaffPost.DELIVERY)
    pharmacies = []
    for i in range(COUNT):
        org = Organisation.objects.create(
            kind=OrganisationKind.PHARMACY, name=f"基准药房{i:04d}", region=region
        )
        pharmacy = Pharmacy.objects.create(
            organisation=org, credit_code=credit_code(f"91430421MB{i:07d}"), **_profile(today)
        )
        StaffMember.objects.bulk_create(
            StaffMember(
                pharmacy=pharmacy,
                name=f"员工{j}",
                post=post,
                resident_id=resident_id(f"43042119900101{(i * 5 + j) % 1000:03d}"),
                licensed_pharmacist=post == StaffPost.PHARMACIST,
                hired_on=today - timedelta(days=30),
            )
            for j, post in enumerate(posts)
        )
        pharmacies.append(pharmacy)
    Application.objects.bulk_create(
        Application(
            pharmacy=p,
            programme=hy,
            created_by=reviewer,
            status=ApplicationStatus.ACCEPTED,
            accepted_on=today - timedelta(days=60),
            evaluation_due_on=today + timedelta(days=(i % 40) - 5),
        )
        for i, p in enumerate(pharmacies)
    )
    return hy, membership, pharmacies


def run() -> None:
    from accounts.principal import Principal
    from accreditation.deadlines import deadlines_scan
    from accreditation.eligibility import eligibility_report
    from accreditation.selectors import worklist

    today = timezone.localdate()
    try:
        with transaction.atomic():
            hy, membership, pharmacies = _world(today)
            began = time.perf_counter()
            for p in pharmacies:
                eligibility_report(pharmacy=p, programme=hy, on=today)
            per_report = (time.perf_counter() - began) / COUNT * 1000
            reverse("public:notices")  # load the URLconf outside the timing
            began = time.perf_counter()
            sent = deadlines_scan(today=today)
            scan = time.perf_counter() - began
            principal = Principal.from_membership(membership)
            began = time.perf_counter()
            rows = list(worklist(principal, sort="due"))
            listing = (time.perf_counter() - began) * 1000
            print(f"eligibility report: {per_report:.1f} ms each ({COUNT} pharmacies)")
            print(f"daily deadline scan: {scan:.2f} s for {COUNT} applications ({sent} reminders)")
            print(f"reviewer worklist: {listing:.1f} ms for {len(rows)} applications")
            raise _Rollback
    except _Rollback:
        pass
