"""Pharmacy workspace: profile, staff and evidence. Views parse, call one service, render."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import audit
from accounts.models import Role, User
from accounts.permissions import principal_of, require_role
from core.actions import run_service
from core.lists import list_page
from core.models import AuditAction
from core.uploads import private_file_response
from pharmacies import lists, services
from pharmacies.forms import EvidenceForm, ProfileForm, StaffEditForm, StaffForm
from pharmacies.permissions import access_evidence, access_staff, own_pharmacy
from pharmacies.selectors import missing_payroll_months, staff_for_pharmacy
from programmes.models import Programme

PHARMACY_ROLES = (Role.PHARMACY_MANAGER, Role.PHARMACIST)


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


@require_role(*PHARMACY_ROLES)
def profile(request: HttpRequest) -> HttpResponse:
    principal = principal_of(request)
    pharmacy = own_pharmacy(principal)
    can_edit = principal.has_role(Role.PHARMACY_MANAGER)
    form = ProfileForm(request.POST or None, instance=pharmacy)
    if request.method == "POST" and can_edit and form.is_valid():
        saved = run_service(
            request,
            lambda: services.pharmacy_update_profile(
                pharmacy=pharmacy, data=form.cleaned_data, actor=_user(request)
            ),
            success=_("药店资料已保存，定点申请的条件核对按此资料进行。"),
            form=form,
        )
        if saved is not None:
            return redirect("pharmacies:profile")
    return render(
        request,
        "pharmacies/profile.html",
        {"pharmacy": pharmacy, "form": form, "can_edit": can_edit},
    )


@require_role(*PHARMACY_ROLES)
def staff_list(request: HttpRequest) -> HttpResponse:
    principal = principal_of(request)
    pharmacy = own_pharmacy(principal)
    # A POST with `blind_q` is a search by resident ID (core.lists), not a new staff member.
    adding = request.method == "POST" and "blind_q" not in request.POST
    form = StaffForm(request.POST if adding else None, pharmacy=pharmacy)
    if adding and principal.has_role(Role.PHARMACY_MANAGER) and form.is_valid():
        added = run_service(
            request,
            lambda: services.staff_member_save(
                pharmacy=pharmacy, data=form.cleaned_data, actor=_user(request)
            ),
            success=_("人员已添加；执业药师请在其人员页报医保中心备案。"),
            form=form,
        )
        if added is not None:
            return redirect("pharmacies:staff")
    months = max((p.payroll_evidence_months or 0 for p in Programme.objects.all()), default=0)
    # HY-E01 concerns pharmacists hired once the pharmacy is designated (reverse relation:
    # pharmacies does not import accreditation).
    first_start = (
        pharmacy.designations.order_by("starts_on").values_list("starts_on", flat=True).first()
    )
    missing = (
        missing_payroll_months(
            months=months,
            on=timezone.localdate(),
            pharmacy=pharmacy,
            hired_from={pharmacy.pk: first_start},
        )
        if first_start
        else []
    )

    def searched(query: str) -> None:
        # A lookup by resident ID is a read of whoever it finds (the ID itself is masked).
        audit(
            request, action=AuditAction.RECORD_SEARCH, detail=f"staff resident_id {query.upper()}"
        )

    result = list_page(
        request,
        staff_for_pharmacy(pharmacy),
        lists.staff_columns(),
        empty=_("尚未登记人员。"),
        search=lists.staff_search(),
        filters=lists.staff_filters(),
        default_sort="name",
        table_id="staff",
        export_name=_("药店人员"),
        on_blind_search=searched,
    )
    if isinstance(result, HttpResponse):
        return result
    context = {"list": result, "table": result.table, "form": form, "missing": missing}
    return render(request, "pharmacies/staff_list.html", context)


@require_role(*PHARMACY_ROLES)
def staff_detail(request: HttpRequest, pk: int) -> HttpResponse:
    principal = principal_of(request)
    staff = access_staff(principal, pk)
    is_manager = principal.has_role(Role.PHARMACY_MANAGER)
    form = StaffEditForm(
        request.POST or None, instance=staff, prefix="staff", pharmacy=staff.pharmacy
    )
    evidence_form = EvidenceForm(prefix="ev")
    if request.method == "POST" and is_manager:
        if "ev-kind" in request.POST:
            evidence_form = EvidenceForm(request.POST, request.FILES, prefix="ev")
            form = StaffEditForm(instance=staff, prefix="staff", pharmacy=staff.pharmacy)
            if evidence_form.is_valid():
                uploaded = run_service(
                    request,
                    lambda: services.staff_evidence_upload(
                        staff=staff,
                        kind=evidence_form.cleaned_data["kind"],
                        month=evidence_form.cleaned_data["month"],
                        upload=evidence_form.cleaned_data["file"],
                        actor=_user(request),
                    ),
                    success=_("材料已上传，列在本页“证明材料”中。"),
                    form=evidence_form,
                )
                if uploaded is not None:
                    return redirect("pharmacies:staff_detail", pk=staff.pk)
        elif form.is_valid():
            saved = run_service(
                request,
                lambda: services.staff_member_save(
                    pharmacy=staff.pharmacy,
                    staff=staff,
                    data=form.cleaned_data,
                    actor=_user(request),
                ),
                success=_("人员信息已保存；定点申请的条件核对按此信息进行。"),
                form=form,
            )
            if saved is not None:
                return redirect("pharmacies:staff_detail", pk=staff.pk)
    return render(
        request,
        "pharmacies/staff_detail.html",
        {
            "staff": staff,
            "form": form,
            "evidence_form": evidence_form,
            "evidence": staff.evidence.all(),
            "filing_events": staff.filing_events.select_related("actor"),
            "is_manager": is_manager,
        },
    )


@require_role(*PHARMACY_ROLES, Role.BUREAU_REVIEWER)
def evidence_download(request: HttpRequest, pk: int) -> HttpResponse:
    evidence = access_evidence(principal_of(request), pk)
    audit(
        request,
        action=AuditAction.FILE_DOWNLOAD,
        obj=evidence,
        region_id=evidence.staff.pharmacy.organisation.region_id,
        detail=f"staff {evidence.staff_id} {evidence.kind} {evidence.original_name}",
    )
    return private_file_response(evidence.file, evidence.content_type, evidence.original_name)
