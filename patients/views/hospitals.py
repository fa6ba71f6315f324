"""The hospital's own 特门 window details (HY-F02, HY-F03) and the public page of windows,
staff and policy (HY-F05)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Membership, Role
from accounts.permissions import principal_of, require_role
from core.actions import run_service
from patients import services
from patients.forms import HospitalWindowForm
from patients.selectors import filing_programmes, next_filing_round, public_hospitals
from patients.views.common import user_of
from programmes.models import Disease


@require_role(Role.WINDOW_CLERK)
def hospital_window(request: HttpRequest) -> HttpResponse:
    """The hospital's own published 特门 window details (HY-F02, HY-F03)."""
    principal = principal_of(request)
    profile = getattr(principal.organisation, "tm_profile", None)
    if profile is None:  # township and county windows have no hospital window to publish
        messages.info(request, _("本机构不是特门服务医院，以下为各医院公示信息。"))
        return redirect("patients:public_hospitals")
    form = HospitalWindowForm(
        request.POST or None,
        initial={
            "window_location": profile.window_location,
            "window_phone": profile.window_phone,
            "service_hours": profile.service_hours,
        },
    )
    if request.method == "POST" and form.is_valid():
        saved = run_service(
            request,
            lambda: services.hospital_profile_update(
                organisation=principal.organisation, actor=user_of(request), **form.cleaned_data
            ),
            success=_("特门窗口信息已更新，公示页同步显示。"),
            form=form,
        )
        if saved is not None:
            return redirect("patients:hospital_window")
    return render(request, "patients/hospital_window.html", {"form": form, "profile": profile})


def _staff_by_hospital(organisation_ids: list[int]) -> dict[int, dict[str, list[str]]]:
    """HY-F05: each hospital's window clerks and 特门 physicians, by name."""
    staff = (
        Membership.objects.filter(
            organisation__in=organisation_ids,
            role__in=[Role.WINDOW_CLERK, Role.PHYSICIAN],
            is_active=True,
        )
        .select_related("user")
        .order_by("role", "user__full_name")
    )
    by_org: dict[int, dict[str, list[str]]] = {
        pk: {"window": [], "physicians": []} for pk in organisation_ids
    }
    for m in staff:
        by_org[m.organisation_id]["window" if m.role == Role.WINDOW_CLERK else "physicians"].append(
            m.user.display_name
        )
    return by_org


def public_hospitals_page(request: HttpRequest) -> HttpResponse:
    profiles = list(public_hospitals())
    by_org = _staff_by_hospital([p.organisation_id for p in profiles])
    programme = filing_programmes().first()
    return render(
        request,
        "patients/public_hospitals.html",
        {
            "rows": [(p, by_org[p.organisation_id]) for p in profiles],
            "programme": programme,
            "diseases": Disease.objects.filter(programme=programme, is_active=True),
            "next_round": (
                next_filing_round(programme=programme, on=timezone.localdate())
                if programme is not None
                else None
            ),
        },
    )
