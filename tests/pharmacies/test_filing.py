"""HY-E01: the county centre files (approves) each pharmacist's filing — submitted by the
pharmacy, filed or refused by the bureau's reviewer, with event rows; scoped pages."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from accounts.models import Organisation, OrganisationKind, Role
from pharmacies.models import FilingStatus, StaffMember
from tests.factories import accreditation as h
from tests.factories import member, region

pytestmark = pytest.mark.django_db


def _licensed(pharmacy: Any) -> StaffMember:
    staff = pharmacy.staff.filter(licensed_pharmacist=True).first()
    staff.certificate_no = "执业药师注册证430001"
    staff.save()
    return staff


def test_hy_e01_centre_files_a_submitted_pharmacist_and_a_refusal_needs_a_reason(
    client_for: Any,
) -> None:
    pharmacy = h.pharmacy()
    staff = _licensed(pharmacy)
    manager = client_for(h.manager_of(pharmacy))
    reviewer = client_for(h.reviewer())
    # Given the pharmacy submits the pharmacist's filing from the staff page
    page = manager.post(
        f"/pharmacy/staff/{staff.pk}/filing/", {"confirmed": "1"}, follow=True
    ).content.decode()
    assert "已报医保中心备案" in page
    staff.refresh_from_db()
    assert staff.filing_status == FilingStatus.SUBMITTED and staff.filed_on is None
    # The bureau's reviewer finds it on the list of submitted filings
    listing = reviewer.get("/pharmacy/filings/").content.decode()
    assert staff.name in listing and pharmacy.name in listing
    # A refusal without a reason is refused and changes nothing
    page = reviewer.post(f"/pharmacy/filings/{staff.pk}/", {"confirmed": "1", "decision": "refuse"})
    assert "[HY-E01]" in page.content.decode() and "原因" in page.content.decode()
    staff.refresh_from_db()
    assert staff.filing_status == FilingStatus.SUBMITTED
    # Refused with a reason, submitted again, then filed: each move is an event row
    reviewer.post(
        f"/pharmacy/filings/{staff.pk}/",
        {"confirmed": "1", "decision": "refuse", "reason": "证书过期"},
    )
    staff.refresh_from_db()
    assert staff.filing_status == FilingStatus.REFUSED
    manager.post(f"/pharmacy/staff/{staff.pk}/filing/", {"confirmed": "1"})
    reviewer.post(f"/pharmacy/filings/{staff.pk}/", {"confirmed": "1", "decision": "file"})
    staff.refresh_from_db()
    assert staff.filing_status == FilingStatus.FILED
    assert staff.filed_on == timezone.localdate()  # the day the centre filed it
    events = list(staff.filing_events.values_list("old_status", "new_status", "reason"))
    assert events == [
        ("unfiled", "submitted", ""),
        ("submitted", "refused", "证书过期"),
        ("refused", "submitted", ""),
        ("submitted", "filed", ""),
    ]
    # The pharmacy sees the status and the history on its staff page
    detail = manager.get(f"/pharmacy/staff/{staff.pk}/").content.decode()
    assert "已备案" in detail and "证书过期" in detail
    # A filed filing cannot be decided again
    page = reviewer.post(
        f"/pharmacy/filings/{staff.pk}/", {"confirmed": "1", "decision": "refuse", "reason": "x"}
    )
    staff.refresh_from_db()
    assert staff.filing_status == FilingStatus.FILED


def test_hy_e01_only_a_licensed_pharmacist_with_a_certificate_is_submitted(
    client_for: Any,
) -> None:
    pharmacy = h.pharmacy()
    biller = pharmacy.staff.get(post="biller")
    manager = client_for(h.manager_of(pharmacy))
    page = manager.post(
        f"/pharmacy/staff/{biller.pk}/filing/", {"confirmed": "1"}, follow=True
    ).content.decode()
    assert "[HY-E01]" in page
    biller.refresh_from_db()
    assert biller.filing_status == FilingStatus.UNFILED and not biller.filing_events.exists()
    staff = _licensed(pharmacy)
    manager.post(f"/pharmacy/staff/{staff.pk}/filing/", {"confirmed": "1"})
    staff.refresh_from_db()
    assert staff.filing_status == FilingStatus.SUBMITTED


def test_hy_e01_filing_pages_are_scoped_outsiders_get_404(client_for: Any) -> None:
    pharmacy = h.pharmacy()
    staff = _licensed(pharmacy)
    client_for(h.manager_of(pharmacy)).post(
        f"/pharmacy/staff/{staff.pk}/filing/", {"confirmed": "1"}
    )
    guiyang = Organisation.objects.create(
        kind=OrganisationKind.BUREAU, name="贵阳市医疗保障局", region=region("520100")
    )
    outsider_reviewer = client_for(member(Role.BUREAU_REVIEWER, organisation=guiyang))
    assert outsider_reviewer.get(f"/pharmacy/filings/{staff.pk}/").status_code == 404
    page = outsider_reviewer.post(
        f"/pharmacy/filings/{staff.pk}/", {"confirmed": "1", "decision": "file"}
    )
    assert page.status_code == 404
    assert staff.name not in outsider_reviewer.get("/pharmacy/filings/").content.decode()
    other_manager = client_for(h.manager_of(h.pharmacy()))
    assert (
        other_manager.post(f"/pharmacy/staff/{staff.pk}/filing/", {"confirmed": "1"}).status_code
        == 404
    )
    # A pharmacy cannot decide its own filing
    pharmacist = member(Role.PHARMACIST, organisation=pharmacy.organisation)
    own = client_for(pharmacist).post(
        f"/pharmacy/filings/{staff.pk}/", {"confirmed": "1", "decision": "file"}
    )
    assert own.status_code in (403, 404)
    staff.refresh_from_db()
    assert staff.filing_status == FilingStatus.SUBMITTED


def test_filing_and_its_decision_are_confirmed_first_and_no_decision_is_preselected(
    client_for: Any,
) -> None:
    """Issue 16.3: submitting a filing and the centre's decision name their consequence first;
    the decision's radios start unchosen and a post without a choice is refused."""
    import re

    pharmacy = h.pharmacy()
    staff = _licensed(pharmacy)
    manager = client_for(h.manager_of(pharmacy))
    reviewer = client_for(h.reviewer())
    submit = f"/pharmacy/staff/{staff.pk}/filing/"
    assert "报送医保中心审核" in manager.post(submit).content.decode()
    staff.refresh_from_db()
    assert staff.filing_status != FilingStatus.SUBMITTED
    manager.post(submit, {"confirmed": "1"})
    page = reviewer.get(f"/pharmacy/filings/{staff.pk}/").content.decode()
    radios = [t for t in re.findall(r"<input[^>]*>", page) if 'name="decision"' in t]
    assert len(radios) == 2 and not [t for t in radios if "checked" in t]
    missing = reviewer.post(f"/pharmacy/filings/{staff.pk}/", {"confirmed": "1"}).content.decode()
    assert "审核结论：未选择" in missing
    asked = reviewer.post(f"/pharmacy/filings/{staff.pk}/", {"decision": "file"}).content.decode()
    assert "予以备案后，该药师列为本药店的备案执业药师" in asked
    staff.refresh_from_db()
    assert staff.filing_status == FilingStatus.SUBMITTED
    done = reviewer.post(
        f"/pharmacy/filings/{staff.pk}/", {"decision": "file", "confirmed": "1"}, follow=True
    ).content.decode()
    staff.refresh_from_db()
    assert staff.filing_status == FilingStatus.FILED and "予以备案已记录" in done
