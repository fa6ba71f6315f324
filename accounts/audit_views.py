"""The bureau's audit page: the audit events of its region, for bureau admins only."""

from __future__ import annotations

from django import forms
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from accounts.models import Region, Role
from accounts.permissions import principal_of, require_role
from core.models import AuditAction
from core.selectors import audit_events_for_regions
from core.widgets import DateInput


class AuditFilterForm(forms.Form):
    username = forms.CharField(label=_("用户名"), required=False, max_length=150)
    action = forms.ChoiceField(
        label=_("操作"), required=False, choices=[("", _("全部")), *AuditAction.choices]
    )
    since = forms.DateField(label=_("起始日期"), required=False, widget=DateInput())
    until = forms.DateField(label=_("截止日期"), required=False, widget=DateInput())


@require_role(Role.BUREAU_ADMIN)
def audit_log(request: HttpRequest) -> HttpResponse:
    """Who read, revealed, downloaded, exported, logged in or changed permissions in the
    bureau's region (its region and every region below it)."""
    principal = principal_of(request)
    form = AuditFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    events = audit_events_for_regions(
        Region(pk=principal.organisation.region_id).subtree_ids(),
        username=(filters.get("username") or "").strip(),
        action=filters.get("action") or "",
        since=filters.get("since"),
        until=filters.get("until"),
    )
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    labels = dict(Role.choices)
    for event in page:
        event.role_label = labels.get(event.role, event.role)  # type: ignore[attr-defined]
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "accounts/audit_log.html",
        {"page": page, "form": form, "query": query.urlencode()},
    )
