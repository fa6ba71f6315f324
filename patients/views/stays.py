"""Hospital stay pages (HY-G08): a hospital records admissions and discharges, one by one or
from an Excel file (all or nothing)."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Case, Value, When
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import OrganisationKind
from accounts.permissions import principal_of, require_role
from core.actions import run_service
from core.lists import list_page
from patients import services
from patients.forms import DischargeForm, StayForm, StayImportForm
from patients.models import HospitalStay
from patients.permissions import STAY_ROLES, access_stay_for_principal, assert_may_record_stays
from patients.views import lists
from patients.views.common import run_posted, user_of


@require_role(*STAY_ROLES)
def stay_list(request: HttpRequest) -> HttpResponse:
    """A hospital's stays: record one (the form), search (patient name; a resident ID POSTed
    as `blind_q`, audited), filter, sort, export; each open stay with its discharge form."""
    principal = principal_of(request)
    is_hospital = principal.organisation.kind == OrganisationKind.HOSPITAL
    searching = request.method == "POST" and "blind_q" in request.POST
    form = StayForm(None if searching else (request.POST or None)) if is_hospital else None
    if request.method == "POST" and form is not None and form.is_valid():
        recorded = run_service(
            request,
            lambda: services.stay_record_by_resident_id(
                resident_id=form.cleaned_data["resident_id"],
                hospital=principal.organisation,
                admitted_on=form.cleaned_data["admitted_on"],
                discharged_on=form.cleaned_data["discharged_on"],
                actor=user_of(request),
            ),
            success=_("住院记录已登记：住院期间该患者不能使用特门待遇，出院后请登记出院日期。"),
            form=form,
        )
        if recorded is not None:
            return redirect("patients:stay_list")
    stays = HospitalStay.objects.filter(hospital=principal.organisation) if is_hospital else None
    result = list_page(
        request,
        (stays if stays is not None else HospitalStay.objects.none())
        .select_related("patient")
        .annotate(
            in_hospital=Case(
                When(discharged_on__isnull=True, then=Value("in")), default=Value("out")
            )
        ),
        lists.stay_columns(),
        empty=_("暂无。"),
        search=lists.stay_search() if is_hospital else None,
        filters=lists.stay_filters(),
        default_sort="-admitted_on",
        table_id="stays",
        export_name=_("住院登记"),
        on_blind_search=lists.audit_resident_id_search(request),
    )
    if isinstance(result, HttpResponse):
        return result
    objects = result.table.page.object_list if result.table.page else []
    return render(
        request,
        "patients/stay_list.html",
        {
            "list": result,
            "table": result.table,
            "rows": list(zip(result.table.rows, objects, strict=True)),
            "form": form,
            "import_form": StayImportForm(),
        },
    )


@require_POST
@require_role(*STAY_ROLES)
def stay_import(request: HttpRequest) -> HttpResponse:
    principal = principal_of(request)
    assert_may_record_stays(principal)
    stays = run_posted(
        request,
        StayImportForm(request.POST, request.FILES),
        lambda data: services.stays_import(
            hospital=principal.organisation, upload=data["file"], actor=user_of(request)
        ),
        success=None,
    )
    if stays is not None:
        messages.success(
            request,
            _("已导入 %d 条住院记录，列在下方；出院后请逐条登记出院日期。") % len(stays),
        )
    return redirect("patients:stay_list")


@require_POST
@require_role(*STAY_ROLES)
def stay_discharge(request: HttpRequest, pk: int) -> HttpResponse:
    principal = principal_of(request)
    stay = access_stay_for_principal(principal, pk, write=True)
    run_posted(
        request,
        DischargeForm(request.POST),
        lambda data: services.stay_discharge(
            stay=stay,
            hospital=principal.organisation,
            discharged_on=data["discharged_on"],
            actor=user_of(request),
        ),
        success=_("出院已登记，患者自出院日起可使用特门待遇。"),
    )
    return redirect("patients:stay_list")
