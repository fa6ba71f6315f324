"""Per programme: the application documents (HY-D01–D05, GY-B01) and the on-site checklist."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise


@dataclass(frozen=True)
class DocumentItem:
    kind: str
    label: StrOrPromise
    rule_id: str
    generated: bool = False  # produced by the portal, not uploaded


HY_DOCUMENTS = (
    DocumentItem("application_form", _("特门服务药店申请表（平台生成）"), "HY-D01", generated=True),
    DocumentItem("business_licence", _("营业执照复印件"), "HY-D02"),
    DocumentItem("drug_licence", _("药品经营许可证复印件"), "HY-D02"),
    DocumentItem("pharmacist_certificates", _("执业药师资格证复印件"), "HY-D02"),
    DocumentItem("lease_or_property", _("租赁合同或产权证"), "HY-D03"),
    DocumentItem("scale_and_stock", _("经营规模及备药情况证明"), "HY-D03"),
    DocumentItem("management_rules", _("内部管理制度"), "HY-D04"),
    DocumentItem("operating_plan", _("运营方案"), "HY-D04"),
    DocumentItem("quality_system", _("药品经营质量管理体系文件"), "HY-A03"),
    DocumentItem("labour_contracts", _("劳动合同"), "HY-D05"),
    DocumentItem("payroll_and_bank", _("工资发放表及银行流水"), "HY-D05"),
    # The evidence behind the declared systems (accreditation.evidence), reviewed on site.
    DocumentItem("interface_acceptance", _("医保专网接口验收函（实时上传）"), "HY-A06"),
    DocumentItem("monitoring_contract", _("监控系统合同（人脸识别、购药图像采集）"), "HY-A07"),
    DocumentItem("video_retention", _("特门区录像保存设置（截图或说明）"), "HY-E05"),
)

GY_DOCUMENTS = (
    DocumentItem("application_form", _("门诊保障定点药店申请表（平台生成）"), "GY-B01", True),
    DocumentItem("business_licence", _("营业执照复印件"), "GY-B01"),
    DocumentItem("drug_licence", _("药品经营许可证复印件"), "GY-B01"),
    DocumentItem("pharmacist_certificates", _("执业药师注册证（注册地在本店）"), "GY-A04"),
    DocumentItem("lease_or_property", _("租赁合同（不少于1年）或产权证"), "GY-A02"),
    DocumentItem("interface_acceptance", _("医保接口验收函（电子凭证、实时上传）"), "GY-A01"),
    DocumentItem("monitoring_contract", _("24小时视频监控合同"), "GY-A03"),
    DocumentItem("video_retention", _("录像保存设置（不少于6个月，截图或说明）"), "GY-A03"),
)

DOCUMENTS: dict[str, tuple[DocumentItem, ...]] = {"HY-TM": HY_DOCUMENTS, "GY-PT": GY_DOCUMENTS}


def documents_for(programme_code: str) -> tuple[DocumentItem, ...]:
    return DOCUMENTS.get(programme_code, HY_DOCUMENTS)


def uploadable_kinds(programme_code: str) -> dict[str, DocumentItem]:
    return {d.kind: d for d in documents_for(programme_code) if not d.generated}


@dataclass(frozen=True)
class InspectionItem:
    key: str
    label: StrOrPromise
    rule_id: str


INSPECTION_COMMON = (
    InspectionItem("functional_areas", _("功能区域（开票、休息、收银、药房或库房）"), "HY-A08"),
    InspectionItem("originals_checked", _("证件原件与复印件核对一致"), "HY-D02"),
    InspectionItem("monitoring", _("监控与人脸识别系统运行正常"), "HY-A07"),
    InspectionItem("staff_on_duty", _("执业药师及岗位人员在岗"), "HY-A05"),
)
INSPECTION_GY = (
    InspectionItem("functional_areas", _("独立经营场所"), "GY-A02"),
    InspectionItem("insurance_drug_area", _("独立的医保药品分区及明确的用药标识"), "GY-A05"),
    InspectionItem("originals_checked", _("证件原件与复印件核对一致"), "GY-B01"),
    InspectionItem("monitoring", _("24小时视频监控及身份识别"), "GY-A03"),
    InspectionItem("staff_on_duty", _("执业药师在岗"), "GY-A04"),
    InspectionItem("negotiation", _("协商谈判已完成"), "GY-B01"),
)
INSPECTION: dict[str, tuple[InspectionItem, ...]] = {
    "HY-TM": INSPECTION_COMMON,
    "GY-PT": INSPECTION_GY,
}


def inspection_items(programme_code: str) -> tuple[InspectionItem, ...]:
    """The on-site checklist, then one verdict per uploaded evidence document."""
    return INSPECTION.get(programme_code, INSPECTION_COMMON) + evidence_items(programme_code)


# The kinds of document that evidence a declared tick-box (HY-A06/A07, HY-E05, GY-A01, GY-A03):
# the assessment team checks each against the running system on site.
EVIDENCE_KINDS = ("interface_acceptance", "monitoring_contract", "video_retention")
EVIDENCE_PREFIX = "evidence_"


def evidence_documents(programme_code: str) -> tuple[DocumentItem, ...]:
    return tuple(d for d in documents_for(programme_code) if d.kind in EVIDENCE_KINDS)


def evidence_items(programme_code: str) -> tuple[InspectionItem, ...]:
    """One on-site verdict per evidence document, keyed `evidence_<kind>`."""
    return tuple(
        InspectionItem(
            EVIDENCE_PREFIX + d.kind,
            _("证明材料与现场系统核对一致：%(l)s") % {"l": d.label},
            d.rule_id,
        )
        for d in evidence_documents(programme_code)
    )
