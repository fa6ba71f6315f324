"""Demo pharmacy profiles and staff (idempotent), for the demo pharmacies of accounts/demo.py."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.utils import timezone
from stdnum.cn import ric, uscc

from accounts.models import Organisation, OrganisationKind, Region, User
from core.event_messages import reason as named_reason
from core.transitions import transition
from pharmacies.models import FilingStatus, Pharmacy, PremisesTenure, StaffMember, StaffPost
from pharmacies.transitions import STAFF_FILING


def credit_code(body17: str) -> str:
    """A valid GB 32100 code: the 17 characters plus their check character."""
    return body17 + uscc.calc_check_digit(body17 + "0")


def resident_id(body17: str) -> str:
    """A valid GB 11643 resident ID: the 17 digits plus their check character."""
    return body17 + ric.calc_check_digit(body17 + "0")


def _profile(today: date, *, lease_years: int = 3) -> dict[str, Any]:
    return {
        "opened_on": today - timedelta(days=800),
        "business_licence_no": "91430421MA4L0000X",
        "business_licence_expires_on": today + timedelta(days=3650),
        "drug_licence_no": "湘AA7340123",
        "drug_licence_expires_on": today + timedelta(days=25),  # shows the expiry reminder
        "quality_system": True,
        "management_rules": True,
        "premises_independent": True,
        "area_billing": True,
        "area_rest": True,
        "area_cashier": True,
        "area_storeroom": True,
        "insurance_drug_area": True,
        "premises_tenure": PremisesTenure.LEASED,
        "lease_ends_on": today + timedelta(days=365 * lease_years),
        "network_link": True,
        "realtime_upload": True,
        "e_voucher": True,
        "e_prescription": True,
        "video_24h": True,
        "face_recognition": True,
        "video_retention_days": 730,
        "video_realtime_upload": True,
    }


# key: (credit code body, address, [(name, post, resident-ID body, licensed, registered here)])
PHARMACIES: dict[str, tuple[str, str, list[tuple[str, str, str, bool, bool]]]] = {
    "hy_pharmacy": (
        "91430421MA4L3K2P0",
        "衡阳县西渡镇蒸阳北路88号",
        [
            ("孙建华", StaffPost.MANAGER, "43042119860312001", False, False),
            ("吴晓丽", StaffPost.PHARMACIST, "43042119860521002", True, True),
            ("陈国强", StaffPost.PHARMACIST, "43042119900918003", True, True),
            ("李娟", StaffPost.BILLER, "43042119950203004", False, False),
            ("周勇", StaffPost.DELIVERY, "43042119920715005", False, False),
        ],
    ),
    "hy_pharmacy2": (
        "91430421MA4L7R5Q1",
        "衡阳县西渡镇向阳路16号",
        [
            ("郑志明", StaffPost.MANAGER, "43042119860101006", False, False),
            ("刘丹", StaffPost.PHARMACIST, "43042119880606007", True, True),
            ("谢芳", StaffPost.PHARMACIST, "43042119910909008", True, True),
            ("黄伟", StaffPost.BILLER, "43042119960412009", False, False),
            ("唐军", StaffPost.DELIVERY, "43042119931130010", False, False),
        ],
    ),
    "hy_pharmacy3": (
        "91430421MA4L9T8W2",
        "衡阳县井头镇大街3号",
        [
            ("罗平", StaffPost.MANAGER, "43042119860808011", False, False),
            ("彭莉", StaffPost.PHARMACIST, "43042119870202012", True, True),
            ("曾涛", StaffPost.PHARMACIST, "43042119890303013", True, True),
            ("邓红", StaffPost.BILLER, "43042119970707014", False, False),
            ("蒋斌", StaffPost.DELIVERY, "43042119940404015", False, False),
        ],
    ),
    "hy_pharmacy4": (
        "91430421MA4LB2C6D",
        "衡阳县演陂镇新街22号",
        [
            ("贺明", StaffPost.MANAGER, "43042119860606021", False, False),
            ("龙霞", StaffPost.PHARMACIST, "43042119880808022", True, True),
            ("田亮", StaffPost.PHARMACIST, "43042119900101023", True, True),
            ("孔玲", StaffPost.BILLER, "43042119950505024", False, False),
            ("姚飞", StaffPost.DELIVERY, "43042119930303025", False, False),
        ],
    ),
    "gy_pharmacy": (
        "91520100MA6H2B4C3",
        "贵阳市云岩区中华北路120号",
        [
            ("何静", StaffPost.MANAGER, "52010219850505016", False, False),
            ("杨帆", StaffPost.PHARMACIST, "52010219890101017", True, True),
        ],
    ),
}


# The demo logins that are on a pharmacy's staff list (GY-B02) — the pharmacists among them
# review prescriptions at the counter (审方, HY-E01 / GY-A04): (pharmacy key, staff name).
STAFF_LOGINS = {
    ("hy_pharmacy", "孙建华"): "hy_manager",
    ("hy_pharmacy", "吴晓丽"): "hy_pharmacist",
    ("hy_pharmacy2", "郑志明"): "hy_manager2",
    ("gy_pharmacy", "何静"): "gy_manager",
    ("gy_pharmacy", "杨帆"): "gy_pharmacist",
}


def _link_logins(key: str, pharmacy: Pharmacy) -> None:
    """Each demo login's staff record, and its licensed pharmacists filed with the centre
    (HY-E01) and on duty every day (idempotent: an older demo database is brought up to date)."""
    for staff in pharmacy.staff.all():
        username = STAFF_LOGINS.get((key, staff.name))
        user = User.objects.filter(username=username).first() if username else None
        if user is not None and staff.user_id != user.pk:
            staff.user = user
            staff.save(update_fields=["user"])
        if staff.licensed_pharmacist and staff.filing_status != FilingStatus.FILED:
            _filed(staff)


def _filed(staff: StaffMember) -> None:
    """HY-E01: the pharmacist submitted and filed with the centre, through the workflow (the
    filing date the demo gave, else today)."""
    filed_on = staff.filed_on or timezone.localdate()
    for new in (FilingStatus.SUBMITTED, FilingStatus.FILED):
        if STAFF_FILING.allows(staff.filing_status, new):
            staff = transition(
                STAFF_FILING,
                staff,
                new,
                actor=None,
                reason=named_reason("demo_data"),
                fields={"filed_on": filed_on if new == FilingStatus.FILED else staff.filed_on},
            )


EXTRA_ORGANISATIONS = {"hy_pharmacy3": "衡阳县百草堂药店", "hy_pharmacy4": "衡阳县福康药房"}


def seed(ctx: dict[str, Any]) -> None:
    today = timezone.localdate()
    organisations: dict[str, Organisation] = ctx["organisations"]
    # Two more Hengyang pharmacies: one whose application the reviewer may fail (HY-C04), one
    # whose notice period is over so the agreement can be signed at once (HY-C03).
    for key, name in EXTRA_ORGANISATIONS.items():
        if key not in organisations:
            organisations[key], _ = Organisation.objects.get_or_create(
                kind=OrganisationKind.PHARMACY, name=name, region=Region.objects.get(code="430421")
            )
    pharmacies: dict[str, Pharmacy] = {}
    for key, (code_body, address, staff) in PHARMACIES.items():
        organisation = organisations[key]
        pharmacy, created = Pharmacy.objects.get_or_create(
            organisation=organisation,
            defaults={"credit_code": credit_code(code_body), "address": address},
        )
        if created:
            for name, value in _profile(today).items():
                setattr(pharmacy, name, value)
            pharmacy.full_clean()
            pharmacy.save()
            for name, post, id_body, licensed, registered in staff:
                member = StaffMember(
                    pharmacy=pharmacy,
                    name=name,
                    post=post,
                    resident_id=resident_id(id_body),
                    licensed_pharmacist=licensed,
                    certificate_no=f"执业药师注册证 {id_body[-6:]}" if licensed else "",
                    registered_here=registered,
                    filed_on=today - timedelta(days=400) if licensed else None,
                    hired_on=today - timedelta(days=500),
                )
                member.full_clean()
                member.save()
        _link_logins(key, pharmacy)
        pharmacies[key] = pharmacy
    ctx["pharmacies"] = pharmacies
