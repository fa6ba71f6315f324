"""Pharmacy: the profile of an organisation of kind "pharmacy".

The designation work extends it (licences, premises, systems, monitoring, staff, evidence).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from accounts.models import Organisation
from core.validators import validate_credit_code


class Pharmacy(models.Model):
    organisation = models.OneToOneField(
        Organisation, on_delete=models.PROTECT, related_name="pharmacy", verbose_name=_("机构")
    )
    credit_code = models.CharField(
        _("统一社会信用代码"), max_length=18, unique=True, validators=[validate_credit_code]
    )
    address = models.CharField(_("经营地址"), max_length=200, blank=True)
    opened_on = models.DateField(_("正式经营日期"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["organisation__name"]
        verbose_name = _("药店")
        verbose_name_plural = _("药店")

    def __str__(self) -> str:
        return self.organisation.name

    @property
    def name(self) -> str:
        return self.organisation.name
