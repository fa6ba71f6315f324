"""Each role's workspace: its title, what it is for, and its navigation (URL names).

An item tied to a programme feature (特门, stocktakes, pharmacist filing) is shown only where a
programme of the principal's region provides it (programmes.context_processors)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from accounts.models import Role


@dataclass(frozen=True)
class NavItem:
    label: str | Promise
    url_name: str
    # Shown only where a programme of the principal's region provides this feature (the names
    # of programmes.features; accounts sits below programmes and names them by string).
    feature: str | None = None

    def url(self) -> str | None:
        try:
            return reverse(self.url_name)
        except NoReverseMatch:
            return None


@dataclass(frozen=True)
class Workspace:
    title: str | Promise
    summary: str | Promise
    nav: tuple[NavItem, ...]


# The programme features an item needs (programmes.features names the same).
TM = "tm"  # 特门: filings, rosters, patients, stays, retained cards, diseases (HY 第三章)
STOCKTAKE = "stocktake"  # HY-E06
PHARMACIST_FILING = "pharmacist_filing"  # HY-E01

HOME = NavItem(_("工作台"), "accounts:workspace")
NOTIFICATIONS = NavItem(_("消息"), "core:notifications")
PROGRAMMES = NavItem(_("政策参数"), "programmes:list")
CALENDAR = NavItem(_("节假日与调休"), "programmes:calendar")
API_KEYS = NavItem(_("接口密钥"), "accounts:api_keys")
AUDIT_LOG = NavItem(_("安全审计"), "accounts:audit_log")
PHARMACY_PROFILE = NavItem(_("药店资料"), "pharmacies:profile")
PHARMACY_STAFF = NavItem(_("人员与证明材料"), "pharmacies:staff")
PHARMACIST_FILINGS = NavItem(_("药师备案审核"), "pharmacies:filings", PHARMACIST_FILING)
APPLICATIONS = NavItem(_("定点申请"), "accreditation:applications")
DESIGNATIONS = NavItem(_("定点资格"), "accreditation:designations")
REVIEW = NavItem(_("定点申请工作清单"), "accreditation:review")
NOTICES = NavItem(_("公示与定点名单"), "public:notices")
TM_FILINGS = NavItem(_("特门申报"), "patients:filing_list", TM)
TM_LODGE = NavItem(_("受理申报"), "patients:filing_lodge", TM)
TM_ROSTERS = NavItem(_("初审名册"), "patients:roster_list", TM)
TM_PATIENTS = NavItem(_("特门患者"), "patients:patient_list", TM)
TM_STAYS = NavItem(_("住院登记"), "patients:stay_list", TM)
TM_CARDS = NavItem(_("留存社保卡"), "patients:retention_list", TM)
TM_DISEASES = NavItem(_("病种"), "patients:disease_index", TM)
TM_WINDOW = NavItem(_("本院特门窗口"), "patients:hospital_window", TM)
STOCK = NavItem(_("进销存"), "inventory:stock")
MOVEMENTS = NavItem(_("出入库登记"), "inventory:movements")
PURCHASE_IMPORTS = NavItem(_("进货导入"), "inventory:imports")
STOCKTAKES = NavItem(_("季度盘点"), "inventory:stocktakes", STOCKTAKE)
FINDINGS = NavItem(_("核查线索"), "supervision:findings")
CASES = NavItem(_("检查案件"), "supervision:cases")
SUPERVISION_DASHBOARD = NavItem(_("基金监管统计"), "dashboards:supervision")
CATALOGUE = NavItem(_("药品目录"), "inventory:catalogue")
COUNTER = NavItem(_("配药结算"), "prescriptions:counter")
DISPENSINGS = NavItem(_("购药结算记录"), "prescriptions:dispensings")
FUND_STATEMENT = NavItem(_("统筹基金结算单"), "prescriptions:statement")
RX_ISSUE = NavItem(_("开具处方"), "prescriptions:prescription_issue")
RX_RECORD = NavItem(_("录入外配处方"), "prescriptions:prescription_record")
RX_LIST = NavItem(_("处方记录"), "prescriptions:prescriptions")

WORKSPACES: dict[str, Workspace] = {
    Role.CATALOGUE_ADMIN: Workspace(
        _("药品目录管理员工作台"),
        _("维护全国统一的药品目录条目，导入目录文件。"),
        (HOME, CATALOGUE, NOTIFICATIONS),
    ),
    Role.BUREAU_ADMIN: Workspace(
        _("医保局管理员工作台"),
        _("维护政策方案参数、节假日与调休安排、机构和账户。"),
        (
            HOME,
            PROGRAMMES,
            TM_DISEASES,
            CALENDAR,
            CATALOGUE,
            FINDINGS,
            CASES,
            SUPERVISION_DASHBOARD,
            API_KEYS,
            AUDIT_LOG,
            NOTIFICATIONS,
        ),
    ),
    Role.BUREAU_REVIEWER: Workspace(
        _("定点协议服务股工作台"),
        _("受理药店定点申请，组织评估与现场查勘，发布公示，签订协议，年度考核。"),
        (
            HOME,
            REVIEW,
            DESIGNATIONS,
            PHARMACIST_FILINGS,
            FUND_STATEMENT,
            NOTICES,
            PROGRAMMES,
            TM_CARDS,
            STOCKTAKES,
            FINDINGS,
            CASES,
            SUPERVISION_DASHBOARD,
            CATALOGUE,
            NOTIFICATIONS,
        ),
    ),
    Role.BENEFITS_OFFICER: Workspace(
        _("待遇保障股工作台"),
        _("接收医院初审名册，分配专家评审，管理病种、额度与政策参数。"),
        (
            HOME,
            TM_ROSTERS,
            TM_FILINGS,
            TM_PATIENTS,
            TM_DISEASES,
            PROGRAMMES,
            CATALOGUE,
            NOTIFICATIONS,
        ),
    ),
    Role.EXPERT_REVIEWER: Workspace(
        _("专家评审工作台"),
        _("审核分配给您的特门申报，作出通过或不通过的决定。"),
        (HOME, TM_FILINGS, NOTIFICATIONS),
    ),
    Role.WINDOW_CLERK: Workspace(
        _("特门窗口工作台"),
        _("受理患者特门申报，初审材料，跟踪办理进度。"),
        (
            HOME,
            TM_LODGE,
            TM_FILINGS,
            TM_ROSTERS,
            TM_PATIENTS,
            TM_STAYS,
            TM_WINDOW,
            API_KEYS,
            NOTIFICATIONS,
        ),
    ),
    Role.PHYSICIAN: Workspace(
        _("处方医师工作台"),
        _("为特门患者开具处方（免费）。"),
        (HOME, RX_ISSUE, RX_LIST, TM_PATIENTS, TM_STAYS, NOTIFICATIONS),
    ),
    Role.PHARMACY_MANAGER: Workspace(
        _("药店负责人工作台"),
        _("维护药店资料、人员与证明材料，申请定点，管理进销存与季度盘点。"),
        (
            HOME,
            PHARMACY_PROFILE,
            PHARMACY_STAFF,
            APPLICATIONS,
            DESIGNATIONS,
            TM_PATIENTS,
            TM_CARDS,
            COUNTER,
            RX_RECORD,
            RX_LIST,
            DISPENSINGS,
            FUND_STATEMENT,
            STOCK,
            MOVEMENTS,
            PURCHASE_IMPORTS,
            STOCKTAKES,
            CATALOGUE,
            API_KEYS,
            NOTIFICATIONS,
        ),
    ),
    Role.PHARMACIST: Workspace(
        _("药师工作台"),
        _("凭处方为参保人配药结算，扫描追溯码，登记代购与配送。"),
        (
            HOME,
            COUNTER,
            RX_RECORD,
            RX_LIST,
            DISPENSINGS,
            TM_PATIENTS,
            TM_CARDS,
            STOCK,
            MOVEMENTS,
            PURCHASE_IMPORTS,
            NOTIFICATIONS,
        ),
    ),
}

# What a visitor who is not logged in can open: the login and the public pages (HY-C03 notices,
# the designated list of GY-E01, the hospitals' 特门 windows of HY-F02/F03/F05), each linking
# to the others.
PUBLIC_NAV: tuple[NavItem, ...] = (
    NavItem(_("登录"), "accounts:login"),
    NavItem(_("定点药店评估结果公示"), "public:notices"),
    NavItem(_("定点药店名单"), "public:designated"),
    NavItem(_("特门服务窗口"), "patients:public_hospitals"),
)


# Panels on a role's home page, from apps above accounts (which accounts cannot import: the
# layers point one way). Each app registers its panel in its AppConfig.ready; a panel is a
# callable (request, principal) -> context dict with a "template" key, or None to show nothing.
WorkspacePanel = Callable[[Any, Any], dict[str, Any] | None]
WORKSPACE_PANELS: list[WorkspacePanel] = []


def register_workspace_panel(panel: WorkspacePanel) -> WorkspacePanel:
    if panel not in WORKSPACE_PANELS:
        WORKSPACE_PANELS.append(panel)
    return panel


def workspace_panels(request: Any, principal: Any) -> list[dict[str, Any]]:
    return [p for panel in WORKSPACE_PANELS if (p := panel(request, principal)) is not None]
