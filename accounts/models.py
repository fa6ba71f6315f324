from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.history import history_user


class Region(models.Model):
    """An administrative area (county, city, new area); bureau staff see their subtree."""

    code = models.CharField(_("区划代码"), max_length=12, unique=True)
    name = models.CharField(_("名称"), max_length=50)
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("行政区划")
        verbose_name_plural = _("行政区划")

    def __str__(self) -> str:
        return self.name

    def subtree_ids(self) -> list[int]:
        """This region and every region below it (regions are few: a loop of small queries)."""
        ids = [self.pk]
        frontier = [self.pk]
        while frontier:
            frontier = list(
                Region.objects.filter(parent_id__in=frontier).values_list("pk", flat=True)
            )
            ids.extend(frontier)
        return ids


class OrganisationKind(models.TextChoices):
    BUREAU = "bureau", _("医疗保障局")
    CENTRE = "centre", _("医疗保障事务中心")
    HOSPITAL = "hospital", _("定点医疗机构")
    TOWNSHIP_WINDOW = "township_window", _("乡镇政务大厅医保窗口")
    COUNTY_WINDOW = "county_window", _("县政务中心特门窗口")
    PHARMACY = "pharmacy", _("零售药店")


BUREAU_KINDS = frozenset({OrganisationKind.BUREAU, OrganisationKind.CENTRE})
WINDOW_KINDS = frozenset(
    {OrganisationKind.HOSPITAL, OrganisationKind.TOWNSHIP_WINDOW, OrganisationKind.COUNTY_WINDOW}
)


class HospitalLevel(models.TextChoices):
    LEVEL_1 = "1", _("一级")
    LEVEL_2 = "2", _("二级")
    LEVEL_3 = "3", _("三级")


class Organisation(models.Model):
    kind = models.CharField(_("机构类型"), max_length=20, choices=OrganisationKind.choices)
    name = models.CharField(_("名称"), max_length=100)
    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="organisations", verbose_name=_("所属区划")
    )
    hospital_level = models.CharField(
        _("医院等级"), max_length=1, choices=HospitalLevel.choices, blank=True
    )
    is_active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords(get_user=history_user)

    class Meta:
        ordering = ["region__code", "kind", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["region", "kind", "name"], name="organisation_unique_name"
            )
        ]
        verbose_name = _("机构")
        verbose_name_plural = _("机构")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.kind == OrganisationKind.HOSPITAL and not self.hospital_level:
            raise ValidationError({"hospital_level": _("医院须填写等级。")})
        if self.kind != OrganisationKind.HOSPITAL and self.hospital_level:
            raise ValidationError({"hospital_level": _("只有医院填写等级。")})

    @property
    def is_bureau(self) -> bool:
        return self.kind in BUREAU_KINDS


class User(AbstractUser):
    """A person who logs in; what they may do comes from their memberships."""

    full_name = models.CharField(_("姓名"), max_length=50, blank=True)
    phone = models.CharField(_("手机号"), max_length=20, blank=True)
    # New accounts (created by an administrator or a command) must choose their own password at
    # their first login; the password page clears it (accounts.services.password_change_done).
    password_change_required = models.BooleanField(_("首次登录须修改密码"), default=True)

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    def __str__(self) -> str:
        return self.full_name or self.username

    @property
    def display_name(self) -> str:
        return self.full_name or self.get_full_name() or self.username


class PasswordHistory(models.Model):
    """A hash of a password the user has had; a new password must differ from the last
    `settings.PASSWORD_HISTORY_COUNT` (accounts.validators.PasswordHistoryValidator)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="password_history")
    password = models.CharField(max_length=128)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("历史密码")
        verbose_name_plural = _("历史密码")

    def __str__(self) -> str:
        return f"{self.user_id} @ {self.created_at:%Y-%m-%d %H:%M}"


class Role(models.TextChoices):
    BUREAU_ADMIN = "bureau_admin", _("医保局管理员")
    BUREAU_REVIEWER = "bureau_reviewer", _("定点协议服务股审核员")
    BENEFITS_OFFICER = "benefits_officer", _("待遇保障股经办人")
    EXPERT_REVIEWER = "expert_reviewer", _("评审专家")
    WINDOW_CLERK = "window_clerk", _("特门窗口经办人")
    PHYSICIAN = "physician", _("处方医师")
    PHARMACY_MANAGER = "pharmacy_manager", _("药店负责人")
    PHARMACIST = "pharmacist", _("药师")
    CATALOGUE_ADMIN = "catalogue_admin", _("药品目录管理员")


# Which organisation kinds each role may belong to.
ROLE_ORGANISATION_KINDS: dict[str, frozenset[str]] = {
    Role.BUREAU_ADMIN: BUREAU_KINDS,
    Role.BUREAU_REVIEWER: BUREAU_KINDS,
    Role.BENEFITS_OFFICER: BUREAU_KINDS,
    Role.EXPERT_REVIEWER: BUREAU_KINDS,
    Role.WINDOW_CLERK: WINDOW_KINDS,
    Role.PHYSICIAN: frozenset({OrganisationKind.HOSPITAL}),
    Role.PHARMACY_MANAGER: frozenset({OrganisationKind.PHARMACY}),
    Role.PHARMACIST: frozenset({OrganisationKind.PHARMACY}),
    # The national catalogue (a drug's own fields) is shared by every region: only this role
    # edits it. Price caps, scope and basic-drug flags are a programme's, edited by its region.
    Role.CATALOGUE_ADMIN: BUREAU_KINDS,
}
BUREAU_ROLES = frozenset(
    {Role.BUREAU_ADMIN, Role.BUREAU_REVIEWER, Role.BENEFITS_OFFICER, Role.EXPERT_REVIEWER}
)
# Roles that manage their organisation's API keys for POS/HIS systems.
API_KEY_MANAGER_ROLES = frozenset({Role.BUREAU_ADMIN, Role.PHARMACY_MANAGER, Role.WINDOW_CLERK})


class Membership(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("角色"), max_length=30, choices=Role.choices)
    is_active = models.BooleanField(_("有效"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords(get_user=history_user)

    class Meta:
        ordering = ["user_id", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organisation", "role"], name="membership_unique_role"
            )
        ]
        verbose_name = _("岗位")
        verbose_name_plural = _("岗位")

    def __str__(self) -> str:
        return f"{self.user} · {self.organisation} · {self.get_role_display()}"

    def clean(self) -> None:
        allowed = ROLE_ORGANISATION_KINDS.get(self.role, frozenset())
        if self.organisation_id and self.organisation.kind not in allowed:
            raise ValidationError(
                {
                    "role": _("“%(role)s”不能设在“%(kind)s”类机构。")
                    % {
                        "role": self.get_role_display(),
                        "kind": self.organisation.get_kind_display(),
                    }
                }
            )


class ApiKeyScope(models.TextChoices):
    """What a key may do (accounts.api_auth): a POS key cannot use HIS endpoints (filings,
    hospital stays), an HIS key cannot dispense, a read-only key cannot write."""

    POS = "pos", _("药店收银（POS）")
    HIS = "his", _("医院信息系统（HIS）")
    READ_ONLY = "read_only", _("只读")


# The scopes a key of each organisation kind may carry.
API_KEY_SCOPES_BY_KIND: dict[str, tuple[str, ...]] = {
    OrganisationKind.PHARMACY: (ApiKeyScope.POS, ApiKeyScope.READ_ONLY),
    OrganisationKind.HOSPITAL: (ApiKeyScope.HIS, ApiKeyScope.READ_ONLY),
    OrganisationKind.TOWNSHIP_WINDOW: (ApiKeyScope.HIS, ApiKeyScope.READ_ONLY),
    OrganisationKind.COUNTY_WINDOW: (ApiKeyScope.HIS, ApiKeyScope.READ_ONLY),
    OrganisationKind.BUREAU: (ApiKeyScope.READ_ONLY,),
    OrganisationKind.CENTRE: (ApiKeyScope.READ_ONLY,),
}


class ApiKey(models.Model):
    """A POS/HIS system's key for one organisation; only its SHA-256 digest is stored. It works
    until it is revoked or expires, within its scope, while its issuer is active and still a
    member of the organisation."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="api_keys"
    )
    name = models.CharField(_("名称"), max_length=60)
    prefix = models.CharField(_("前缀"), max_length=12, unique=True)
    digest = models.CharField(max_length=64)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("吊销时间"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True)
    scope = models.CharField(_("权限范围"), max_length=10, choices=ApiKeyScope.choices)
    expires_at = models.DateTimeField(_("到期时间"))

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("接口密钥")
        verbose_name_plural = _("接口密钥")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and not self.is_expired

    @property
    def is_expired(self) -> bool:
        from django.utils import timezone

        return self.expires_at is not None and self.expires_at <= timezone.now()
