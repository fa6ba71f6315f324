"""Demo prescriptions (idempotent) so the counter can be tried at 衡阳县康民大药房:

- 王建华 (hypertension, chose the pharmacy): a 30-day long-term prescription of 卡托普利片 × 60
  issued today by 张医生 (long-term, so the physician may still issue him an ordinary one today:
  HY 五(二) allows one ordinary prescription a month); dispense 30 (193.80 元 of the 300 元
  quarter), then 20 more is refused with HY-G07. His son 王小明 holds a proxy authorisation
  (HY-G09) for a proxy purchase.
- 李秀英 (diabetes, also chose the pharmacy) is in hospital: any purchase is refused (HY-G08).
- 张医生 (`hy_physician`) issues further prescriptions for 王建华 on 开具处方 (free, HY-F04; the
  drug list is the disease's scope); the pharmacist then finds them at the counter. Paper
  prescriptions are recorded on 录入外配处方 with a photo of the signature/seal.

GY-PT at 贵阳市筑康大药房 (`gy_pharmacist`): insured employees 刘晓东 (records a paper
prescription at the counter and buys on it) and 陈美玲 (a prescription issued in the portal by
罗医生 of 贵阳市第一人民医院, `gy_physician`), and 赵大伟, resident-insured (居民), whom the
counter refuses with GY-D01.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.utils import timezone
from stdnum.cn import ric

from accounts.models import Organisation, Region, User
from core.crypto import blind_index
from inventory.models import Drug
from patients.demo import PEOPLE, _choose, demo_resident_id
from patients.models import (
    Enrolment,
    Patient,
    ProxyAuthorisation,
    ProxyGround,
    ProxyMethod,
)
from pharmacies.models import Pharmacy
from prescriptions.models import Prescription, PrescriptionKind, PrescriptionSource
from prescriptions.services import (
    ItemInput,
    prescription_create,
)
from programmes.models import InsuredType, Programme

PROXY_NAME = "王小明"
PROXY_RESIDENT_ID = demo_resident_id("19850101", "606")


def _person(key: str) -> Patient | None:
    for k, _name, born, seq, *_rest in PEOPLE:
        if k == key:
            return Patient.objects.filter(
                resident_id_index=blind_index(demo_resident_id(born, seq))
            ).first()
    return None


def _prescribe(
    patient: Patient,
    code: str,
    insurance_code: str,
    quantity: int,
    physician: User,
    h: Organisation,
    kind: str = PrescriptionKind.NORMAL,
) -> None:
    today = timezone.localdate()
    enrolment = Enrolment.objects.filter(patient=patient, disease__code=code).first()
    drug = Drug.objects.filter(insurance_code=insurance_code).first()
    if enrolment is None or drug is None:
        return
    if Prescription.objects.filter(patient=patient, issued_on=today).exists():
        return
    prescription_create(
        programme=Programme.objects.get(code="HY-TM"),
        patient=patient,
        disease=enrolment.disease,
        source=PrescriptionSource.PORTAL,
        items=[ItemInput(drug, drug.dosage_form, "每日两次，每次一片，口服", quantity, 30)],
        issued_on=today,
        valid_days=30,
        actor=physician,
        institution=h,
        kind=kind,
    )


def gy_resident_id(born: str, seq: str) -> str:
    """A valid GB 11643 number of a person born in 贵阳市 (520100)."""
    base = f"520100{born}{seq}"
    return base + ric.calc_check_digit(base + "0")


# GY-PT insured persons of 贵阳市: (key, name, born, sequence, insured type)
GY_PEOPLE = [
    ("liu", "刘晓东", "19800315", "031", InsuredType.EMPLOYEE),
    ("chen", "陈美玲", "19750621", "042", InsuredType.EMPLOYEE),
    ("zhao", "赵大伟", "19690908", "053", InsuredType.RESIDENT),
]


def _seed_gy(ctx: dict[str, Any]) -> None:
    """GY-PT at 贵阳市筑康大药房: employees, a resident-insured person and a portal
    prescription from 贵阳市第一人民医院 (no dispensing: the walk makes the first one)."""
    orgs: dict[str, Organisation] = ctx["organisations"]
    users: dict[str, User] = ctx["users"]
    gy = Programme.objects.get(code="GY-PT")
    region = Region.objects.get(code="520100")
    people: dict[str, Patient] = {}
    for key, name, born, seq, insured in GY_PEOPLE:
        people[key], _ = Patient.objects.get_or_create(
            resident_id_index=blind_index(gy_resident_id(born, seq)),
            defaults={
                "resident_id": gy_resident_id(born, seq),
                "name": name,
                "insured_type": insured,
                "region": region,
            },
        )
    pharmacy = Pharmacy.objects.filter(organisation=orgs["gy_pharmacy"]).first()
    today = timezone.localdate()
    captopril = Drug.objects.filter(insurance_code="XC09AAA010A001").first()
    if pharmacy is None or captopril is None:
        return
    liu, chen = people["liu"], people["chen"]
    if not Prescription.objects.filter(patient=chen, issued_on=today).exists():
        prescription_create(
            programme=gy,
            patient=chen,
            disease=None,
            source=PrescriptionSource.PORTAL,
            items=[ItemInput(captopril, captopril.dosage_form, "每日两次，每次一片，口服", 20, 10)],
            issued_on=today,
            valid_days=7,
            actor=users["gy_physician"],
            institution=orgs["gy_hospital"],
        )
    ctx.setdefault("notes", []).append(
        f"普通门诊（GY-PT）：杨帆（gy_pharmacist）在“配药结算”输入 刘晓东 {liu.resident_id}"
        "（职工），“录入外配处方”录入纸质处方后配药结算"
        "（起付标准 200 元以上统筹支付 50%，演示值）；"
        f"陈美玲 {chen.resident_id} 有罗医生（gy_physician）开具的处方；"
        f"赵大伟 {people['zhao'].resident_id}（居民医保）被 GY-D01 拒绝"
    )


def seed(ctx: dict[str, Any]) -> None:
    _seed_gy(ctx)
    orgs: dict[str, Organisation] = ctx["organisations"]
    users: dict[str, User] = ctx["users"]
    physician, hospital = users["hy_physician"], orgs["hy_hospital"]
    wang, li = _person("wang"), _person("li")
    if wang is not None:
        _prescribe(
            wang, "TM101", "XC09AAA010A001", 60, physician, hospital, PrescriptionKind.LONG_TERM
        )
        if not ProxyAuthorisation.objects.filter(patient=wang).exists():
            ProxyAuthorisation.objects.create(
                patient=wang,
                ground=ProxyGround.BEDRIDDEN,
                method=ProxyMethod.PROXY,
                proxy_name=PROXY_NAME,
                proxy_resident_id=PROXY_RESIDENT_ID,
                relationship="儿子",
                valid_from=date(2026, 5, 1),
                recorded_by=users["hy_window"],
                organisation=hospital,
            )
    if li is not None:
        enrolment = Enrolment.objects.filter(patient=li, disease__code="TM102").first()
        if enrolment is not None:
            _choose(enrolment, orgs["hy_pharmacy"], date(2026, 5, 10), users["hy_window"])
        _prescribe(li, "TM102", "XA10BAE010A001", 60, physician, hospital)
    if wang is not None:
        ctx.setdefault("notes", []).append(
            f"配药结算：吴药师（hy_pharmacist）在“配药结算”输入 王建华 {wang.resident_id}，"
            f"配 30 盒后再配 20 盒被 HY-G07 拒绝；代购人 {PROXY_NAME} {PROXY_RESIDENT_ID}；"
            f"住院患者 李秀英 {li.resident_id if li else ''} 购药被 HY-G08 拒绝"
        )
        ctx["notes"].append(
            f"开具处方：张医生（hy_physician）在“开具处方”输入 王建华 {wang.resident_id}，"
            "从高血压用药范围选药开具（免费，HY-F04；普通处方≤30天、长期处方≤90天，HY-E02；"
            "普通处方一月开一次，同月再开普通处方被 HY-E02 拒绝），"
            "吴药师在“配药结算”即可配药；纸质处方在“录入外配处方”录入并上传签章图片（GY-D02）"
        )
