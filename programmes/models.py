"""Programme: one policy profile (HY-TM, GY-PT) and every number its policy sets.

Numbers in the policies are parameters here, edited by bureau admins with history;
a null parameter means the policy sets no such rule for that programme.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise
from simple_history.models import HistoricalRecords

from accounts.models import Region
from core.history import history_user

PERCENT = [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))]


class PriceCapBasis(models.TextChoices):
    HOSPITAL_LISTED = "hospital_listed", _("公立医院挂网采购价")
    PLATFORM_LISTED = "platform_listed", _("集采平台挂网价")


class InsuredType(models.TextChoices):
    """The two schemes a person is insured under; programmes say which ones they cover."""

    EMPLOYEE = "employee", _("职工医保")
    RESIDENT = "resident", _("城乡居民医保")


class PeriodUnit(models.TextChoices):
    MONTH = "month", _("月")
    QUARTER = "quarter", _("季度")

    @property
    def months(self) -> int:
        """Its length in calendar months (core.calendar.calendar_period)."""
        return 3 if self == PeriodUnit.QUARTER else 1


def _opt_int(
    verbose: StrOrPromise, help_text: StrOrPromise, *, minimum: int = 1, maximum: int = 1000
) -> Any:
    return models.PositiveSmallIntegerField(
        verbose,
        null=True,
        blank=True,
        help_text=help_text,
        validators=[MinValueValidator(minimum), MaxValueValidator(maximum)],
    )


class Programme(models.Model):
    code = models.CharField(_("方案代码"), max_length=10, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    short_name = models.CharField(_("简称"), max_length=20)
    source_document = models.CharField(_("政策依据"), max_length=200, blank=True)
    regions = models.ManyToManyField(Region, related_name="programmes", verbose_name=_("适用区划"))
    valid_from = models.DateField(
        _("施行日期"),
        null=True,
        blank=True,
        help_text=_("留空：自发布之日起执行（政策未载明日期）。"),
    )
    valid_until = models.DateField(
        _("有效期至"),
        null=True,
        blank=True,
        help_text=_("最后一个有效日（含当日）；次日起不再受理新的申请、申报、处方和购药。"),
    )
    # HY-H01 "如遇上级部门政策调整，以上级部门新政策为准" and GY 五(三) "国家、省、市出台新的
    # 政策规定的，从其新规": a programme may be replaced by a newer version before (or, for
    # GY-PT, which names no end date, instead of) its end date. The date is the new rule's
    # first day, so the old programme's last day in force is the day before.
    superseded_from = models.DateField(
        _("被新规替代日期"),
        null=True,
        blank=True,
        help_text=_("新政策施行之日；该日起本方案不再受理新的申请、申报、处方和购药。"),
    )
    validity_rule_id = models.CharField(_("有效期规则编号"), max_length=10, blank=True)

    # --- Pharmacy eligibility
    violation_lookback_years = _opt_int(
        _("无重大违规年限（年）"), _("HY-A01：近 N 年内无重大违规"), maximum=20
    )
    min_months_open = _opt_int(
        _("正式经营最短月数"), _("HY-A02：新开药店正式经营满 N 个月"), maximum=120
    )
    min_licensed_pharmacists = models.PositiveSmallIntegerField(
        _("执业药师最少人数"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(50)],
        help_text="HY-A05 (2) / GY-A04 (1)",
    )
    pharmacist_registered_here = models.BooleanField(
        _("执业药师须注册在本店"), default=False, help_text="GY-A04"
    )
    pharmacist_filing_required = models.BooleanField(
        _("审方药师须经医保中心备案"),
        default=False,
        help_text=_("HY-E01：审方药师须在县医保中心备案（贵阳不设备案）"),
    )
    min_lease_months = _opt_int(_("租赁合同最短月数"), _("GY-A02：租赁合同有效期不少于 N 个月"))
    video_retention_days = models.PositiveSmallIntegerField(
        _("监控视频保存天数"),
        validators=[MinValueValidator(1), MaxValueValidator(3660)],
        help_text="HY-E05 (730) / GY-A03 (183)",
    )
    basic_drug_coverage_pct = models.DecimalField(
        _("基本药物配备率（%）"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=PERCENT,
        help_text="HY-A09",
    )
    therapeutic_share_pct = models.DecimalField(
        _("治疗性药物占比（%）"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=PERCENT,
        help_text="HY-E04",
    )

    # --- Price
    price_cap_basis = models.CharField(
        _("限价依据"), max_length=20, choices=PriceCapBasis.choices, help_text="HY-B02 / GY-C01"
    )
    price_discount_pct = models.DecimalField(
        _("低于限价的最低下浮（%）"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("0"),
        validators=PERCENT,
        help_text=_("HY-B02：低于医院挂网价至少 5%"),
    )

    # --- Designation procedure
    evaluation_months = _opt_int(
        _("评估期限（月）"), _("HY-C02：受理后 N 个月内完成评估"), maximum=24
    )
    notice_working_days = _opt_int(_("公示期（工作日）"), "HY-C03", maximum=60)
    feedback_working_days = _opt_int(_("不合格反馈期限（工作日）"), "HY-C04", maximum=60)
    reapplication_ban_years = _opt_int(_("取消定点后不得申请年限"), "HY-C05", maximum=20)
    termination_ban_years = _opt_int(_("解除协议后不再续签年限"), "HY-E10", maximum=20)
    agreement_term_years = _opt_int(_("协议期限（年）"), _("HY-E09：每年签订一次"), maximum=10)
    payroll_evidence_months = _opt_int(
        _("新聘职工工资银行流水月数"),
        _("HY-E01：每名新聘职工（全体职工）入职后前 N 个月的工资银行流水"),
        maximum=24,
    )
    record_retention_years = models.PositiveSmallIntegerField(
        _("处方与购药清单保存年限"),
        default=2,
        validators=[MinValueValidator(1), MaxValueValidator(30)],
        help_text="HY-E03 / GY-A08",
    )
    transition_end_month = _opt_int(
        _("过渡期截止月"), _("HY-C06 / HY-G06：12 月 31 日"), maximum=12
    )
    transition_end_day = _opt_int(_("过渡期截止日"), "HY-C06 / HY-G06", maximum=31)

    # --- Prescriptions and benefits
    normal_prescription_days = _opt_int(_("普通处方最长天数"), _("HY-E02：一个月"), maximum=366)
    long_term_prescription_days = _opt_int(
        _("长期处方最长天数"), _("HY-E02：最长 3 个月"), maximum=366
    )
    prescription_interval_months = _opt_int(
        _("普通处方开具间隔（月）"),
        _("HY-E02 / HY 五(二)：同一患者同一病种每月开具一次普通处方"),
        maximum=12,
    )
    quota_period = models.CharField(
        _("额度周期"),
        max_length=10,
        choices=PeriodUnit.choices,
        blank=True,
        help_text=_("HY-G07：按季度，不结转"),
    )

    # --- Employee general outpatient at pharmacies (GY-PT; the seed leaves the numbers to the
    # city's payment policy, so the seeded values are demo values, flagged below)
    outpatient_deductible = models.DecimalField(
        _("普通门诊起付标准（元/年）"),
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("GY-D03：每年先由个人负担的费用；留空表示不设起付标准。"),
    )
    outpatient_fund_share_pct = models.DecimalField(
        _("普通门诊统筹基金支付比例（%）"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=PERCENT,
        help_text=_("GY-D03：起付标准以上由统筹基金支付的比例；不按病种结算的处方使用。"),
    )
    outpatient_annual_cap = models.DecimalField(
        _("普通门诊年度最高支付限额（元）"),
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("GY-D03：一个自然年内统筹基金最多支付的金额；留空表示不设限额。"),
    )
    outpatient_amounts_are_demo = models.BooleanField(
        _("普通门诊待遇金额为演示值"),
        default=False,
        help_text=_("政策文件未载明起付标准、支付比例和年度限额：使用前须按当地文件核定。"),
    )
    outpatient_insured_types = models.JSONField(
        _("普通门诊保障的参保类型"),
        default=list,
        blank=True,
        help_text=_(
            "GY-D01：在定点药店凭处方享受普通门诊待遇的参保类型（贵阳贵安：职工医保）；"
            "留空表示本方案不在药店提供普通门诊保障。"
        ),
    )

    # --- Patient filing
    filing_months = models.JSONField(
        _("申报月份"), default=list, blank=True, help_text=_("HY-G04：4 月和 10 月")
    )
    immediate_filing_diseases = models.JSONField(
        _("即时办理病种"), default=list, blank=True, help_text=_("HY-G04：五种病种")
    )

    # --- Stock
    stocktake_period = models.CharField(
        _("盘点周期"), max_length=10, choices=PeriodUnit.choices, blank=True, help_text="HY-E06"
    )

    stocktake_due_working_days = _opt_int(
        _("盘点表报送期限（盘点期末后工作日）"),
        _("HY-E06：盘点期（季度、月）结束后 N 个工作日内报送盘点表"),
        maximum=60,
    )
    stocktake_reminder_working_days = _opt_int(
        _("盘点提醒提前工作日"), _("HY-E06：截止前 N 个工作日提醒"), maximum=30
    )
    stocktake_tolerance_units = models.PositiveIntegerField(
        _("盘点允许差异（最小单位）"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(100000)],
        help_text=_("HY-E06：每批次差异超过 N 个单位须说明原因，并记为账实不符"),
    )
    stocktake_blind = models.BooleanField(
        _("盲盘（盘点表不显示账面数量）"), default=False, help_text="HY-E06"
    )
    near_expiry_days = _opt_int(_("近效期提示天数"), _("库存台账：N 天内到期的批次"), maximum=1000)
    approval_number_only = models.BooleanField(
        _("只经营准字号药品"),
        default=False,
        help_text=_("HY-B01：只经营有批准文号的药品（经批准的特殊食品除外）"),
    )
    catalogue_stocked_pct = models.DecimalField(
        _("目录内药品配备率（%）"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=PERCENT,
        help_text="GY-A05",
    )
    # The fund-supervision rules' thresholds (supervision-rules.md: starting values for the
    # bureau to tune), keyed by rule ID: {"SV-F04": {"patients": 5, "minutes": 10}, ...}.
    # Edited on the supervision rules page with a reason; history as for every parameter.
    supervision_parameters = models.JSONField(
        _("基金监管规则参数"), default=dict, blank=True, help_text="SV-F01–SV-F14"
    )

    # --- Fund supervision (issue 17.5): the risk score of a pharmacy on the supervision
    # dashboard is the weighted sum of its open findings, one weight per finding priority.
    risk_weight_normal = _opt_int(
        _("风险分值权重：一般线索"),
        _("基金监管统计：每条未办结的一般线索计入药店风险分值的分数"),
        minimum=0,
    )
    risk_weight_priority_inspection = _opt_int(
        _("风险分值权重：重点核查线索"),
        _("基金监管统计：每条未办结的重点核查线索计入药店风险分值的分数"),
        minimum=0,
    )

    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(excluded_fields=["updated_at"], get_user=history_user)

    class Meta:
        ordering = ["code"]
        verbose_name = _("政策方案")
        verbose_name_plural = _("政策方案")

    def __str__(self) -> str:
        return f"{self.code} {self.short_name}"

    def clean(self) -> None:
        errors: dict[str, list[StrOrPromise]] = {}
        if self.valid_from and self.valid_until and self.valid_until <= self.valid_from:
            errors.setdefault("valid_until", []).append(_("有效期至须晚于施行日期。"))
        if self.valid_from and self.superseded_from and self.superseded_from <= self.valid_from:
            errors.setdefault("superseded_from", []).append(_("被新规替代日期须晚于施行日期。"))
        normal, long_term = self.normal_prescription_days, self.long_term_prescription_days
        if normal and long_term and long_term < normal:
            errors.setdefault("long_term_prescription_days", []).append(
                _("长期处方天数不能少于普通处方天数。")
            )
        months = self.filing_months
        if not isinstance(months, list) or not all(
            isinstance(m, int) and not isinstance(m, bool) and 1 <= m <= 12 for m in months
        ):
            errors.setdefault("filing_months", []).append(_("申报月份须为 1–12 的整数列表。"))
        elif len(set(months)) != len(months):
            errors.setdefault("filing_months", []).append(_("申报月份不能重复。"))
        diseases = self.immediate_filing_diseases
        if not isinstance(diseases, list) or not all(
            isinstance(d, str) and d.strip() for d in diseases
        ):
            errors.setdefault("immediate_filing_diseases", []).append(
                _("即时办理病种须为病种名称列表。")
            )
        if self.outpatient_fund_share_pct is None and (
            self.outpatient_deductible is not None or self.outpatient_annual_cap is not None
        ):
            errors.setdefault("outpatient_fund_share_pct", []).append(
                _("设置了起付标准或年度限额时，须同时填写统筹基金支付比例。")
            )
        types = self.outpatient_insured_types
        if not isinstance(types, list) or not all(t in InsuredType.values for t in types):
            errors.setdefault("outpatient_insured_types", []).append(
                _("参保类型须从职工医保、城乡居民医保中选择。")
            )
        elif types and self.outpatient_fund_share_pct is None:
            errors.setdefault("outpatient_fund_share_pct", []).append(
                _("提供普通门诊保障时，须填写统筹基金支付比例。")
            )
        if (self.transition_end_month is None) != (self.transition_end_day is None):
            errors.setdefault("transition_end_day", []).append(_("过渡期截止月和日须同时填写。"))
        elif self.transition_end_month and self.transition_end_day:
            try:
                date(2001, self.transition_end_month, self.transition_end_day)
            except ValueError:
                errors.setdefault("transition_end_day", []).append(_("过渡期截止日期不存在。"))
        if errors:
            raise ValidationError(errors)

    def is_in_force(self, on: date) -> bool:
        """HY-H01 (GY 五(三)): the one answer to "is this programme in force on `on`":
        valid_from <= on <= valid_until (the seed's "有效期至 X": X is the last day in force)
        and on < superseded_from (the newer rule's first day). An empty bound is open."""
        if self.valid_from is not None and on < self.valid_from:
            return False
        if self.valid_until is not None and on > self.valid_until:
            return False
        return self.superseded_from is None or on < self.superseded_from


class DiseaseCategory(models.TextChoices):
    NORMAL = "normal", _("普通病种（4月、10月集中申报）")
    IMMEDIATE = "immediate", _("即时办理病种")
    URAEMIA = "uraemia", _("尿毒症（湘医保发〔2023〕55号）")


def default_insured_types() -> list[str]:
    return ["employee", "resident"]


class Disease(models.Model):
    """A covered chronic or special disease of a programme. Its payment standard is reference
    data: a DiseaseStandard row of the ReferenceVersion in force on a date (loaded from a file,
    `load_reference`), never typed by staff."""

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="diseases")
    code = models.CharField(_("病种编码"), max_length=20)
    name = models.CharField(_("病种名称"), max_length=60)
    icd10_codes = models.JSONField(_("ICD-10 编码"), default=list, blank=True)
    category = models.CharField(
        _("类别"), max_length=20, choices=DiseaseCategory.choices, default=DiseaseCategory.NORMAL
    )
    eligible_insured_types = models.JSONField(
        _("可申报的参保类型"),
        default=default_insured_types,
        blank=True,
        help_text=_("HY-G01：职工按湘医保发〔2022〕52号、居民按〔2023〕32号纳入标准。"),
    )
    is_active = models.BooleanField(_("启用"), default=True)
    history = HistoricalRecords(get_user=history_user)

    class Meta:
        ordering = ["programme__code", "code"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "code"], name="disease_code_per_programme")
        ]
        verbose_name = _("病种")
        verbose_name_plural = _("病种")

    def __str__(self) -> str:
        return self.name


class ReferenceVersion(models.Model):
    """One loaded reference file of a programme's diseases and payment standards (HY-G07): where
    it comes from, from which date it applies, who loaded it. Rows are never changed; a change
    of policy is a new version effective from its date, earlier sales keep the version they used."""

    programme = models.ForeignKey(
        Programme, on_delete=models.PROTECT, related_name="reference_versions"
    )
    number = models.PositiveIntegerField(_("版本号"))
    source_document = models.CharField(_("来源文件"), max_length=300)
    source_date = models.DateField(_("文件日期"))
    effective_from = models.DateField(_("施行日期"))
    loaded_at = models.DateTimeField(_("导入时间"), auto_now_add=True)
    loaded_by = models.ForeignKey(
        "accounts.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("导入人"),
    )
    file_name = models.CharField(_("文件名"), max_length=200, blank=True)
    sha256 = models.CharField(_("文件摘要（SHA-256）"), max_length=64)

    class Meta:
        ordering = ["programme__code", "-effective_from", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "number"], name="reference_version_number"
            ),
            models.UniqueConstraint(
                fields=["programme", "sha256"], name="reference_version_file_once"
            ),
        ]
        verbose_name = _("病种与支付标准版本")
        verbose_name_plural = _("病种与支付标准版本")

    def __str__(self) -> str:
        return f"{self.programme.code} v{self.number} ({self.effective_from})"


class DiseaseStandard(models.Model):
    """A disease's payment standard in one reference version."""

    version = models.ForeignKey(
        ReferenceVersion, on_delete=models.PROTECT, related_name="standards"
    )
    disease = models.ForeignKey(Disease, on_delete=models.PROTECT, related_name="standards")
    monthly_standard = models.DecimalField(
        _("月支付标准（元）"),
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )
    quarterly_standard = models.DecimalField(
        _("季度支付标准（元）"),
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("留空：按月标准乘以当季享受待遇的月数。"),
    )
    fund_share_pct = models.DecimalField(
        _("统筹基金支付比例（%）"), max_digits=5, decimal_places=2, validators=PERCENT
    )
    amounts_are_demo = models.BooleanField(_("金额为演示值"), default=False)

    class Meta:
        ordering = ["version", "disease__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["version", "disease"], name="disease_standard_once_per_version"
            )
        ]
        verbose_name = _("病种支付标准")
        verbose_name_plural = _("病种支付标准")

    def __str__(self) -> str:
        return f"{self.disease} v{self.version.number}"
