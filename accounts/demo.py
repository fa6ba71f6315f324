"""Demo organisations and logins (idempotent). Other apps add theirs in their own demo.py."""

from __future__ import annotations

from base64 import b32decode
from typing import Any

from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import (
    BUREAU_ROLES,
    HospitalLevel,
    Membership,
    Organisation,
    OrganisationKind,
    Region,
    Role,
    User,
)

DEMO_PASSWORD = "Dingdian2026"
# DEMO ONLY — a published secret is no second factor. The bureau demo users (and only they)
# are enrolled with this fixed TOTP secret, so a newcomer adds it once to an authenticator
# app (or runs `oathtool --totp -b <secret>`) and logs in as any of them; seed_demo prints it.
# A real account enrols its own random secret at its first login (accounts/2fa/setup/).
DEMO_TOTP_SECRET = "DINGDIANDEMOTOTPKEYNOTFORPRODUSE"

# (key, kind, name, region code, hospital level)
ORGANISATIONS = [
    ("hy_bureau", OrganisationKind.BUREAU, "衡阳县医疗保障局", "430421", ""),
    ("hy_centre", OrganisationKind.CENTRE, "衡阳县医疗保障事务中心", "430421", ""),
    ("hy_hospital", OrganisationKind.HOSPITAL, "衡阳县人民医院", "430421", HospitalLevel.LEVEL_2),
    ("hy_tcm", OrganisationKind.HOSPITAL, "衡阳县中医医院", "430421", HospitalLevel.LEVEL_2),
    ("hy_mch", OrganisationKind.HOSPITAL, "衡阳县妇幼保健院", "430421", HospitalLevel.LEVEL_2),
    ("hy_township", OrganisationKind.TOWNSHIP_WINDOW, "西渡镇政务服务大厅医保窗口", "430421", ""),
    (
        "hy_county_window",
        OrganisationKind.COUNTY_WINDOW,
        "衡阳县政务服务中心特门窗口",
        "430421",
        "",
    ),
    ("hy_pharmacy", OrganisationKind.PHARMACY, "衡阳县康民大药房", "430421", ""),
    ("hy_pharmacy2", OrganisationKind.PHARMACY, "衡阳县仁心药店", "430421", ""),
    ("gy_bureau", OrganisationKind.BUREAU, "贵阳市医疗保障局", "520100", ""),
    ("gy_pharmacy", OrganisationKind.PHARMACY, "贵阳市筑康大药房", "520100", ""),
    (
        "gy_hospital",
        OrganisationKind.HOSPITAL,
        "贵阳市第一人民医院",
        "520100",
        HospitalLevel.LEVEL_3,
    ),
]

# (username, full name, organisation key, role)
LOGINS = [
    ("hy_admin", "李建国", "hy_bureau", Role.BUREAU_ADMIN),
    ("hy_reviewer", "王晓梅", "hy_centre", Role.BUREAU_REVIEWER),
    ("hy_benefits", "赵立军", "hy_bureau", Role.BENEFITS_OFFICER),
    ("hy_expert", "陈志远", "hy_bureau", Role.EXPERT_REVIEWER),
    ("hy_window", "刘芳", "hy_hospital", Role.WINDOW_CLERK),
    ("hy_county_clerk", "周敏", "hy_county_window", Role.WINDOW_CLERK),
    ("hy_township_clerk", "黄丽", "hy_township", Role.WINDOW_CLERK),
    ("hy_physician", "张医生", "hy_hospital", Role.PHYSICIAN),
    ("hy_manager", "孙店长", "hy_pharmacy", Role.PHARMACY_MANAGER),
    ("hy_pharmacist", "吴药师", "hy_pharmacy", Role.PHARMACIST),
    ("hy_manager2", "郑店长", "hy_pharmacy2", Role.PHARMACY_MANAGER),
    ("gy_admin", "杨主任", "gy_bureau", Role.BUREAU_ADMIN),
    # The national catalogue (drug fields, catalogue imports): a role of its own, not any
    # region's admin; price caps and scope stay with each region's bureau.
    ("catalogue_admin", "钱目录", "hy_bureau", Role.CATALOGUE_ADMIN),
    ("gy_manager", "何店长", "gy_pharmacy", Role.PHARMACY_MANAGER),
    ("gy_pharmacist", "杨帆", "gy_pharmacy", Role.PHARMACIST),
    ("gy_physician", "罗医生", "gy_hospital", Role.PHYSICIAN),
]


def seed(ctx: dict[str, Any]) -> None:
    organisations: dict[str, Organisation] = {}
    for key, kind, name, region_code, level in ORGANISATIONS:
        region = Region.objects.get(code=region_code)
        org, _ = Organisation.objects.get_or_create(
            kind=kind, name=name, region=region, defaults={"hospital_level": level}
        )
        organisations[key] = org
    users: dict[str, User] = {}
    for username, full_name, org_key, role in LOGINS:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User.objects.create_user(username=username, password=DEMO_PASSWORD)
            user.full_name = full_name
            user.save(update_fields=["full_name"])
        Membership.objects.get_or_create(user=user, organisation=organisations[org_key], role=role)
        if role in BUREAU_ROLES:
            demo_totp_enrol(user)
            ctx.setdefault("second_factor_logins", []).append(username)
        users[username] = user
        ctx.setdefault("logins", []).append(
            (username, DEMO_PASSWORD, organisations[org_key].name, Role(role).label)
        )
    ctx["organisations"] = organisations
    ctx["users"] = users


def demo_totp_enrol(user: User) -> TOTPDevice:
    """Enrol `user` with the published demo secret (demo only), unless they enrolled one."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(
            user=user,
            name="demo authenticator",
            key=b32decode(DEMO_TOTP_SECRET).hex(),
            confirmed=True,
        )
    return device
