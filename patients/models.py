"""Patients of the 特门 programme: filings (申报) → preliminary review → roster → expert
review → enrolment per disease with chosen institutions; hospital stays; retained cards and
proxy authorisations. Statuses move only through `patients.services`."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from accounts.models import HospitalLevel, Organisation
from core.crypto import BlindIndexField, EncryptedTextField
from core.history import history_user
from core.models import TransitionEvent
from core.validators import mask_resident_id, validate_resident_id
from programmes.models import Disease, InsuredType, Programme


class HospitalProfile(models.Model):
    """A Level II+ hospital's 特门 service (HY-F01 expert qualification, HY-F02 window)."""

    organisation = models.OneToOneField(
        Organisation, on_delete=models.CASCADE, related_name="tm_profile", verbose_name=_("医院")
    )
    has_expert_qualification = models.BooleanField(_("具有慢特病专家资质"), default=False)
    window_location = models.CharField(_("特门窗口位置"), max_length=200, blank=True)
    window_phone = models.CharField(_("窗口电话"), max_length=30, blank=True)
    service_hours = models.CharField(_("服务时间"), max_length=100, blank=True)
    history = HistoricalRecords(get_user=history_user)

    class Meta:
        ordering = ["organisation__name"]
        verbose_name = _("医院特门服务")
        verbose_name_plural = _("医院特门服务")

    def __str__(self) -> str:
        return self.organisation.name


class Patient(models.Model):
    """One record per person, found by resident ID at every window."""

    # Encrypted at rest; found and kept unique by its blind index (core.crypto).
    resident_id = EncryptedTextField(
        _("居民身份证号"), max_length=18, validators=[validate_resident_id]
    )
    resident_id_index = BlindIndexField(_("身份证号索引"), source="resident_id", unique=True)
    name = models.CharField(_("姓名"), max_length=50)
    social_security_card_no = models.CharField(_("社会保障卡号"), max_length=30, blank=True)
    insured_type = models.CharField(_("参保类型"), max_length=10, choices=InsuredType.choices)
    region = models.ForeignKey(
        "accounts.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("参保地")
    )
    township = models.CharField(_("乡镇"), max_length=50, blank=True)
    phone = models.CharField(_("联系电话"), max_length=30, blank=True)
    address = models.CharField(_("联系地址"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords(get_user=history_user)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("特门患者")
        verbose_name_plural = _("特门患者")

    def __str__(self) -> str:
        return f"{self.name}（{self.masked_id}）"

    @property
    def masked_id(self) -> str:
        return mask_resident_id(self.resident_id)


class ResidentIdReveal(models.Model):
    """Audit row: who saw a patient's full resident ID number, when and why."""

    append_only = True  # the database refuses UPDATE and DELETE (core.immutability)

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="id_reveals")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(_("查看原因"), max_length=200, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at"]
        verbose_name = _("身份证号查看记录")
        verbose_name_plural = _("身份证号查看记录")

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} {self.pk}"


class FilingStatus(models.TextChoices):
    LODGED = "lodged", _("已受理")
    PRELIMINARY_PASSED = "preliminary_passed", _("初审通过")
    PRELIMINARY_REJECTED = "preliminary_rejected", _("初审不通过")
    ROSTERED = "rostered", _("已报送名册")
    ASSIGNED = "assigned", _("专家评审中")
    APPROVED = "approved", _("评审通过")
    REJECTED = "rejected", _("评审不通过")


FILING_TRANSITIONS: dict[str, frozenset[str]] = {
    FilingStatus.LODGED: frozenset(
        {
            FilingStatus.PRELIMINARY_PASSED,
            FilingStatus.PRELIMINARY_REJECTED,
            FilingStatus.APPROVED,  # HY-G04: immediate diseases decided at once
            FilingStatus.REJECTED,
        }
    ),
    FilingStatus.PRELIMINARY_PASSED: frozenset({FilingStatus.ROSTERED}),
    FilingStatus.ROSTERED: frozenset({FilingStatus.ASSIGNED}),
    FilingStatus.ASSIGNED: frozenset(
        {FilingStatus.ASSIGNED, FilingStatus.APPROVED, FilingStatus.REJECTED}
    ),
}
FILING_FINAL = frozenset(
    {FilingStatus.PRELIMINARY_REJECTED, FilingStatus.APPROVED, FilingStatus.REJECTED}
)


class FilingPath(models.TextChoices):
    ROUND = "round", _("集中申报（4月、10月）")
    IMMEDIATE = "immediate", _("即时办理")


class MaterialKind(models.TextChoices):
    """HY-G02: the materials a filing needs."""

    FRONT_PAGE = "front_page", _("住院病历首页")
    DIAGNOSIS = "diagnosis", _("疾病诊断书")
    ADMISSION_DISCHARGE = "admission_discharge", _("入出院记录")
    EXAMINATION = "examination", _("检查报告单")
    ID_COPY = "id_copy", _("身份证复印件")
    CARD_COPY = "card_copy", _("社保卡复印件")


class Roster(models.Model):
    """HY-F01: the list of preliminarily passed filings a hospital hands to the bureau."""

    number = models.CharField(_("名册编号"), max_length=30, unique=True)
    hospital = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="tm_rosters", verbose_name=_("医院")
    )
    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="+")
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(_("报送时间"))

    class Meta:
        ordering = ["-submitted_at", "-id"]
        verbose_name = _("初审名册")
        verbose_name_plural = _("初审名册")

    def __str__(self) -> str:
        return self.number


class Filing(models.Model):
    """A patient's filing for one disease, lodged at a window by its clerk."""

    number = models.CharField(_("申报编号"), max_length=30, unique=True)
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="filings")
    disease = models.ForeignKey(Disease, on_delete=models.PROTECT, related_name="+")
    path = models.CharField(_("办理方式"), max_length=10, choices=FilingPath.choices)
    round_label = models.CharField(_("申报批次"), max_length=10, blank=True)
    window = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="tm_filings",
        verbose_name=_("受理窗口"),
    )
    reviewing_hospital = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="tm_reviewed_filings",
        null=True,
        blank=True,
        verbose_name=_("初审医院"),
    )
    records_hospital = models.CharField(_("住院资料出具医院"), max_length=100)
    records_hospital_level = models.CharField(
        _("出具医院等级"), max_length=1, choices=HospitalLevel.choices
    )
    materials_received = models.JSONField(_("已收材料"), default=list)
    status = models.CharField(
        _("状态"), max_length=30, choices=FilingStatus.choices, default=FilingStatus.LODGED
    )
    lodged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    lodged_on = models.DateField(_("受理日期"))
    roster = models.ForeignKey(
        Roster, on_delete=models.PROTECT, null=True, blank=True, related_name="filings"
    )
    expert = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("评审专家"),
    )
    decision_reason = models.TextField(_("意见"), blank=True)
    benefit_starts_on = models.DateField(_("待遇开始日期"), null=True, blank=True)
    decided_at = models.DateTimeField(_("决定时间"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("特门申报")
        verbose_name_plural = _("特门申报")

    def __str__(self) -> str:
        return self.number


class FilingEvent(TransitionEvent):
    filing = models.ForeignKey(Filing, on_delete=models.CASCADE, related_name="events")
    # The acting organisation (window, reviewing hospital, bureau): every service names it; a
    # move made outside one (the transition walk of tests/core) may leave it empty.
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    def get_new_status_display(self) -> str:
        return str(FilingStatus(self.new_status).label)


def material_upload_to(instance: FilingMaterial, filename: str) -> str:
    return f"patients/filings/{instance.filing_id}/{instance.kind}-{filename}"


class FilingMaterial(models.Model):
    """A scanned material (PDF/JPEG/PNG), stored privately, served by a checked view."""

    filing = models.ForeignKey(Filing, on_delete=models.CASCADE, related_name="materials")
    kind = models.CharField(_("材料"), max_length=30, choices=MaterialKind.choices)
    file = models.FileField(_("文件"), upload_to=material_upload_to)
    content_type = models.CharField(max_length=50)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["kind", "id"]

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} {self.pk}"


class EnrolmentStatus(models.TextChoices):
    ACTIVE = "active", _("享受待遇")
    ENDED = "ended", _("已终止")


ENROLMENT_TRANSITIONS: dict[str, frozenset[str]] = {
    EnrolmentStatus.ACTIVE: frozenset({EnrolmentStatus.ENDED}),
}
ENROLMENT_FINAL = frozenset({EnrolmentStatus.ENDED})


class Enrolment(models.Model):
    """An approved patient × disease with its benefit start date."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="enrolments")
    disease = models.ForeignKey(Disease, on_delete=models.PROTECT, related_name="+")
    filing = models.OneToOneField(Filing, on_delete=models.PROTECT, related_name="enrolment")
    starts_on = models.DateField(_("待遇开始日期"))
    status = models.CharField(
        _("状态"), max_length=10, choices=EnrolmentStatus.choices, default=EnrolmentStatus.ACTIVE
    )
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords(get_user=history_user)

    class Meta:
        ordering = ["patient__name", "disease__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "disease"],
                condition=models.Q(status="active"),
                name="enrolment_one_active_per_disease",
            )
        ]
        verbose_name = _("特门待遇")
        verbose_name_plural = _("特门待遇")

    def __str__(self) -> str:
        return f"{self.patient.name} · {self.disease.name}"


class EnrolmentEvent(TransitionEvent):
    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="events")


class ChoiceStatus(models.TextChoices):
    ACTIVE = "active", _("有效")
    REVOKED_INSTITUTION = "revoked_institution", _("机构取消定点，待重新选择")
    ENDED = "ended", _("已变更")


CHOICE_TRANSITIONS: dict[str, frozenset[str]] = {
    ChoiceStatus.ACTIVE: frozenset({ChoiceStatus.REVOKED_INSTITUTION, ChoiceStatus.ENDED}),
    ChoiceStatus.REVOKED_INSTITUTION: frozenset({ChoiceStatus.ENDED}),
}
CHOICE_FINAL = frozenset({ChoiceStatus.ENDED})


class InstitutionChoice(models.Model):
    """HY-G05: a designated institution the patient chose for a disease (in or outside the
    county). HY-G06: a revoked institution keeps settling until `settle_until` for patients
    who have not moved, and never from `revoked_from`."""

    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="choices")
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tm_patient_choices",
        verbose_name=_("定点机构"),
    )
    outside_institution = models.CharField(
        _("县外定点医药机构"), max_length=100, blank=True, help_text=_("选择县外机构时填写")
    )
    chosen_on = models.DateField(_("选择日期"))
    status = models.CharField(
        _("状态"), max_length=30, choices=ChoiceStatus.choices, default=ChoiceStatus.ACTIVE
    )
    ended_on = models.DateField(_("结束日期"), null=True, blank=True)
    settle_until = models.DateField(_("过渡期结算截止"), null=True, blank=True)
    revoked_from = models.DateField(_("取消定点生效日"), null=True, blank=True)
    chosen_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    history = HistoricalRecords(get_user=history_user)

    class Meta:
        ordering = ["-chosen_on", "-id"]
        verbose_name = _("选定机构")
        verbose_name_plural = _("选定机构")

    def __str__(self) -> str:
        return self.organisation.name if self.organisation else self.outside_institution


class ChoiceEvent(TransitionEvent):
    choice = models.ForeignKey(InstitutionChoice, on_delete=models.CASCADE, related_name="events")


class StaySource(models.TextChoices):
    HOSPITAL = "hospital", _("医院登记")
    API = "api", _("医院系统接口")
    IMPORT = "import", _("批量导入")


class HospitalStay(models.Model):
    """HY-G08 data: an admission (and discharge) that blocks 特门 purchases."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="stays")
    hospital = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="tm_stays", verbose_name=_("医院")
    )
    admitted_on = models.DateField(_("入院日期"))
    discharged_on = models.DateField(_("出院日期"), null=True, blank=True)
    source = models.CharField(_("来源"), max_length=10, choices=StaySource.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords(get_user=history_user)

    class Meta:
        ordering = ["-admitted_on", "-id"]
        verbose_name = _("住院记录")
        verbose_name_plural = _("住院记录")

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} {self.pk}"


class RetentionReason(models.TextChoices):
    """HY-E08: the only cases in which a card may be left at a pharmacy."""

    AWAY_NO_NETWORK = "away_no_network", _("长期异地居住且尚未开通全国联网结算")
    IMMOBILE = "immobile", _("行动不便")
    DEPENDENT = "dependent", _("生活不能自理")


class RetentionStatus(models.TextChoices):
    APPLIED = "applied", _("已提交备案")
    APPROVED = "approved", _("中心已同意")
    REFUSED = "refused", _("中心不同意")
    RETAINED = "retained", _("卡已留存")
    RETURNED = "returned", _("卡已归还")


RETENTION_TRANSITIONS: dict[str, frozenset[str]] = {
    RetentionStatus.APPLIED: frozenset({RetentionStatus.APPROVED, RetentionStatus.REFUSED}),
    RetentionStatus.APPROVED: frozenset({RetentionStatus.RETAINED}),
    RetentionStatus.RETAINED: frozenset({RetentionStatus.RETURNED}),
}
RETENTION_FINAL = frozenset({RetentionStatus.REFUSED, RetentionStatus.RETURNED})


class CardRetention(models.Model):
    """HY-E08: a patient's written application to leave the card at a pharmacy, approved by
    the centre beforehand; once retained, a row of the pharmacy's register."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="card_retentions")
    pharmacy = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="tm_card_retentions"
    )
    reason_category = models.CharField(
        _("留存原因"), max_length=20, choices=RetentionReason.choices
    )
    application_text = models.TextField(_("患者书面申请内容"))
    status = models.CharField(
        _("状态"), max_length=10, choices=RetentionStatus.choices, default=RetentionStatus.APPLIED
    )
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    applied_at = models.DateTimeField(_("备案时间"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decision_reason = models.CharField(_("意见"), max_length=200, blank=True)
    retained_on = models.DateField(_("留存日期"), null=True, blank=True)
    returned_on = models.DateField(_("归还日期"), null=True, blank=True)

    class Meta:
        ordering = ["-applied_at", "-id"]
        verbose_name = _("留存社保卡")
        verbose_name_plural = _("留存社保卡")

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} {self.pk}"


class RetentionEvent(TransitionEvent):
    retention = models.ForeignKey(CardRetention, on_delete=models.CASCADE, related_name="events")


class ProxyGround(models.TextChoices):
    BEDRIDDEN = "bedridden", _("长期卧病在床")
    SPECIAL_CATEGORY = "special_category", _("特殊病种患者")


class ProxyMethod(models.TextChoices):
    PROXY = "proxy", _("代购")
    POST = "post", _("邮寄")


class ProxyAuthorisation(models.Model):
    """HY-G09: who may buy for the patient (or that drugs go by post), and on what ground."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="proxies")
    ground = models.CharField(_("事由"), max_length=20, choices=ProxyGround.choices)
    method = models.CharField(_("方式"), max_length=10, choices=ProxyMethod.choices)
    proxy_name = models.CharField(_("代购人姓名"), max_length=50, blank=True)
    proxy_resident_id = EncryptedTextField(
        _("代购人身份证号"), max_length=18, blank=True, validators=[validate_resident_id]
    )
    proxy_resident_id_index = BlindIndexField(
        _("代购人身份证号索引"), source="proxy_resident_id", db_index=True
    )
    relationship = models.CharField(_("与患者关系"), max_length=30, blank=True)
    postal_address = models.CharField(_("邮寄地址"), max_length=200, blank=True)
    valid_from = models.DateField(_("生效日期"))
    valid_until = models.DateField(_("截止日期"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords(get_user=history_user)

    class Meta:
        ordering = ["-valid_from", "-id"]
        verbose_name = _("代购授权")
        verbose_name_plural = _("代购授权")

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} {self.pk}"
