"""Pages of the designation workflow: pharmacy side, bureau side, public pages.

Views parse input, call one service and render; rules live in accreditation.services.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.audit import audit
from accounts.models import Role, User
from accounts.permissions import principal_of, require_role
from accreditation import services
from accreditation.checklists import documents_for, inspection_items
from accreditation.eligibility import eligibility_report
from accreditation.evidence import evidence_status
from accreditation.forms import (
    ApplicationCreateForm,
    AssessmentForm,
    DocumentForm,
    InspectionForm,
    NoteForm,
    PassForm,
    PledgeForm,
    ViolationForm,
)
from accreditation.models import Application, ApplicationStatus, Designation
from accreditation.passing import failing_soft_conditions
from accreditation.permissions import access_application, access_designation, access_document
from accreditation.selectors import (
    agency_name_for,
    applications_for_principal,
    days_left,
    designated_pharmacies,
    designations_for_principal,
    notices_under_way,
    worklist,
)
from core.errors import DomainError
from core.exports import xlsx_response
from core.models import AuditAction
from core.responses import pdf_response
from core.uploads import private_file_response
from pharmacies.permissions import own_pharmacy
from programmes.models import Programme
from programmes.selectors import programmes_for_principal

PHARMACY_ROLES = (Role.PHARMACY_MANAGER, Role.PHARMACIST)
REVIEWER = Role.BUREAU_REVIEWER


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _show_error(request: HttpRequest, exc: DomainError) -> None:
    messages.error(request, str(exc))


# --- Pharmacy side


@require_role(*PHARMACY_ROLES)
def application_list(request: HttpRequest) -> HttpResponse:
    principal = principal_of(request)
    pharmacy = own_pharmacy(principal)
    programmes = programmes_for_principal(principal)
    form = ApplicationCreateForm(request.POST or None, programmes=programmes)
    if request.method == "POST" and principal.has_role(Role.PHARMACY_MANAGER) and form.is_valid():
        try:
            application = services.application_create(
                pharmacy=pharmacy, programme=form.cleaned_data["programme"], actor=_user(request)
            )
        except DomainError as exc:
            _show_error(request, exc)
        else:
            return redirect("accreditation:application_detail", pk=application.pk)
    today = timezone.localdate()
    reports = [
        (p, eligibility_report(pharmacy=pharmacy, programme=p, on=today)) for p in programmes
    ]
    return render(
        request,
        "accreditation/application_list.html",
        {
            "applications": applications_for_principal(principal),
            "form": form,
            "reports": reports,
            "today": today,
        },
    )


def _timeline(application: Application) -> Any:
    return application.events.select_related("actor")


@require_role(*PHARMACY_ROLES, REVIEWER, Role.BUREAU_ADMIN)
def application_detail(request: HttpRequest, pk: int) -> HttpResponse:
    principal = principal_of(request)
    application = access_application(principal, pk)
    today = timezone.localdate()
    code = application.programme.code
    documents = list(application.documents.all())
    checklist = [
        (item, [d for d in documents if d.kind == item.kind]) for item in documents_for(code)
    ]
    checked = (application.inspection or {}).get("items", {})
    inspection = [(item, checked.get(item.key)) for item in inspection_items(code)]
    is_inspecting = application.status == ApplicationStatus.INSPECTION
    context = {
        "application": application,
        "checklist": checklist,
        "report": eligibility_report(
            pharmacy=application.pharmacy, programme=application.programme, on=today
        ),
        "timeline": _timeline(application),
        "days_left": days_left(application, today),
        "inspection": inspection,
        "evidence": evidence_status(application),
        "inspection_notes": (application.inspection or {}).get("notes", ""),
        "is_manager": principal.has_role(Role.PHARMACY_MANAGER),
        "is_reviewer": principal.has_role(REVIEWER),
        "document_form": DocumentForm(programme_code=code),
        "pledge_form": PledgeForm(
            initial={
                "truthful": application.pledge_truthful,
                "security": application.pledge_security,
            }
        ),
        "note_form": NoteForm(),
        "pass_form": _pass_form(application, today) if is_inspecting else None,
        "inspection_form": InspectionForm(
            programme_code=code, initial={**checked, "notes": context_notes(application)}
        ),
        "S": ApplicationStatus,
        "today": today,
    }
    return render(request, "accreditation/application_detail.html", context)


def _pass_form(application: Application, today: Any) -> PassForm:
    return PassForm(conditions=failing_soft_conditions(application, on=today))


def context_notes(application: Application) -> str:
    return str((application.inspection or {}).get("notes", ""))


@require_POST
@require_role(Role.PHARMACY_MANAGER)
def document_upload(request: HttpRequest, pk: int) -> HttpResponse:
    application = access_application(principal_of(request), pk, write=True)
    form = DocumentForm(request.POST, request.FILES, programme_code=application.programme.code)
    if form.is_valid():
        try:
            services.application_document_upload(
                application=application,
                kind=form.cleaned_data["kind"],
                upload=form.cleaned_data["file"],
                actor=_user(request),
            )
        except DomainError as exc:
            _show_error(request, exc)
        else:
            messages.success(request, _("材料已上传。"))
    else:
        messages.error(request, _("请选择材料类型和文件。"))
    return redirect("accreditation:application_detail", pk=pk)


@require_role(*PHARMACY_ROLES, REVIEWER)
def document_download(request: HttpRequest, pk: int) -> HttpResponse:
    document = access_document(principal_of(request), pk)
    audit(
        request,
        action=AuditAction.FILE_DOWNLOAD,
        obj=document,
        region_id=document.application.pharmacy.organisation.region_id,
        detail=f"application {document.application_id} {document.original_name}",
    )
    return private_file_response(document.file, document.content_type, document.original_name)


def _pledges(request: HttpRequest, application: Application, user: User) -> Application:
    form = PledgeForm(request.POST)
    form.is_valid()
    return services.application_set_pledges(
        application=application,
        truthful=bool(form.cleaned_data.get("truthful")),
        security=bool(form.cleaned_data.get("security")),
        actor=user,
    )


def _note(request: HttpRequest) -> str:
    form = NoteForm(request.POST)
    form.is_valid()
    return str(form.cleaned_data.get("note", ""))


def _inspection(request: HttpRequest, application: Application, user: User) -> Application:
    form = InspectionForm(request.POST, programme_code=application.programme.code)
    form.is_valid()
    data = form.cleaned_data
    results = {k: bool(v) for k, v in data.items() if k != "notes"}
    return services.application_record_inspection(
        application=application, results=results, notes=data.get("notes", ""), actor=user
    )


Action = Callable[[HttpRequest, Application, User], Any]

PHARMACY_ACTIONS: dict[str, Action] = {
    "pledges": _pledges,
    "submit": lambda r, a, u: services.application_submit(application=a, actor=u),
    "supplemented": lambda r, a, u: services.application_supplement_done(application=a, actor=u),
}
REVIEWER_ACTIONS: dict[str, Action] = {
    "accept": lambda r, a, u: services.application_accept(application=a, actor=u),
    "supplement": lambda r, a, u: services.application_request_supplement(
        application=a, note=_note(r), actor=u
    ),
    "inspect": lambda r, a, u: services.application_start_inspection(application=a, actor=u),
    "inspection": _inspection,
    "pass": lambda r, a, u: services.application_pass(
        application=a,
        reason=_note(r),
        acknowledged=r.POST.getlist("acknowledged"),
        actor=u,
    ),
    "fail": lambda r, a, u: services.application_fail(application=a, reason=_note(r), actor=u),
    "feedback": lambda r, a, u: services.application_send_feedback(application=a, actor=u),
    "sign": lambda r, a, u: services.application_sign_agreement(application=a, actor=u),
}


@require_POST
@require_role(Role.PHARMACY_MANAGER, REVIEWER)
def application_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    principal = principal_of(request)
    application = access_application(principal, pk, write=True)
    table = REVIEWER_ACTIONS if principal.has_role(REVIEWER) else PHARMACY_ACTIONS
    if action not in table:
        raise Http404
    try:
        table[action](request, application, _user(request))
    except DomainError as exc:
        _show_error(request, exc)
    else:
        messages.success(request, _("操作已完成。"))
    return redirect("accreditation:application_detail", pk=pk)


# --- Documents (PDF)


def _pdf_response(
    request: HttpRequest,
    application: Application,
    template: str,
    context: dict[str, Any],
    filename: str,
) -> HttpResponse:
    response = pdf_response(template, context, filename)
    audit(
        request,
        action=AuditAction.DOCUMENT,
        obj=application,
        region_id=application.pharmacy.organisation.region_id,
        detail=filename,
    )
    return response


@require_role(*PHARMACY_ROLES, REVIEWER)
def application_form_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """HY-D01: the application form, generated from the profile and staff."""
    application = access_application(principal_of(request), pk)
    pharmacy = application.pharmacy
    context = {
        "application": application,
        "pharmacy": pharmacy,
        "staff": pharmacy.staff.filter(left_on__isnull=True),
        "today": timezone.localdate(),
    }
    return _pdf_response(
        request,
        application,
        "accreditation/pdf/application_form.html",
        context,
        f"application-{pk}.pdf",
    )


@require_role(*PHARMACY_ROLES, REVIEWER)
def agreement_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """HY-C03 / GY-B01: the signed (supplementary) agreement."""
    application = access_application(principal_of(request), pk)
    designation = Designation.objects.filter(application=application).first()
    if designation is None:
        raise Http404
    context = {
        "application": application,
        "designation": designation,
        "agency": agency_name_for(application.pharmacy),
    }
    return _pdf_response(
        request,
        application,
        "accreditation/pdf/agreement.html",
        context,
        f"agreement-{pk}.pdf",
    )


@require_role(*PHARMACY_ROLES, REVIEWER)
def feedback_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """HY-C04: the feedback letter of a failed evaluation."""
    application = access_application(principal_of(request), pk)
    if application.status != ApplicationStatus.FAILED:
        raise Http404
    return _pdf_response(
        request,
        application,
        "accreditation/pdf/feedback.html",
        {
            "application": application,
            "agency": agency_name_for(application.pharmacy),
            "today": application.feedback_sent_on or timezone.localdate(),
        },
        f"feedback-{pk}.pdf",
    )


# --- Bureau side


@require_role(REVIEWER, Role.BUREAU_ADMIN)
def review_list(request: HttpRequest) -> HttpResponse:
    principal = principal_of(request)
    today = timezone.localdate()
    status = request.GET.get("status", "")
    programme = request.GET.get("programme", "")
    sort = request.GET.get("sort", "due")
    rows = [
        (a, days_left(a, today))
        for a in worklist(principal, status=status, programme=programme, sort=sort)
    ]
    return render(
        request,
        "accreditation/review_list.html",
        {
            "rows": rows,
            "statuses": ApplicationStatus.choices,
            "programmes": programmes_for_principal(principal),
            "status": status,
            "programme": programme,
            "sort": sort,
        },
    )


@require_role(*PHARMACY_ROLES, REVIEWER, Role.BUREAU_ADMIN)
def designation_list(request: HttpRequest) -> HttpResponse:
    principal = principal_of(request)
    return render(
        request,
        "accreditation/designation_list.html",
        {"designations": designations_for_principal(principal)},
    )


@require_role(*PHARMACY_ROLES, REVIEWER, Role.BUREAU_ADMIN)
def designation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    principal = principal_of(request)
    designation = access_designation(principal, pk)
    return render(
        request,
        "accreditation/designation_detail.html",
        {
            "designation": designation,
            "events": designation.events.select_related("actor"),
            "assessments": designation.assessments.all(),
            "violations": designation.pharmacy.violations.filter(programme=designation.programme),
            "is_reviewer": principal.has_role(REVIEWER),
            "assessment_form": AssessmentForm(),
            "violation_form": ViolationForm(initial={"found_on": timezone.localdate()}),
        },
    )


@require_POST
@require_role(REVIEWER)
def designation_assess(request: HttpRequest, pk: int) -> HttpResponse:
    designation = access_designation(principal_of(request), pk, write=True)
    form = AssessmentForm(request.POST)
    if form.is_valid():
        try:
            services.designation_assess(
                designation=designation,
                result=form.cleaned_data["result"],
                notes=form.cleaned_data["notes"],
                rectification_until=form.cleaned_data["rectification_until"],
                actor=_user(request),
            )
        except DomainError as exc:
            _show_error(request, exc)
        else:
            messages.success(request, _("考核结果已记录。"))
    return redirect("accreditation:designation_detail", pk=pk)


@require_POST
@require_role(REVIEWER)
def designation_violation(request: HttpRequest, pk: int) -> HttpResponse:
    designation = access_designation(principal_of(request), pk, write=True)
    form = ViolationForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.violation_record(
                pharmacy=designation.pharmacy,
                programme=designation.programme,
                found_on=data["found_on"],
                finding=data["finding"],
                rule_id=data["rule_id"],
                major=data["major"],
                decision=data["decision"],
                refused_amount=data["refused_amount"],
                suspended_until=data["suspended_until"],
                actor=_user(request),
            )
        except (DomainError, ValidationError) as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("违规处理已记录。"))
    else:
        messages.error(request, _("请完整填写违规处理信息。"))
    return redirect("accreditation:designation_detail", pk=pk)


# --- Public pages (no login)


def public_notices(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    return render(
        request,
        "accreditation/public_notices.html",
        {"notices": notices_under_way(on=today), "today": today},
    )


def public_designated(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    lists = [
        (p, designated_pharmacies(programme=p, on=today))
        for p in Programme.objects.order_by("code")
    ]
    return render(request, "accreditation/public_designated.html", {"lists": lists, "today": today})


def public_designated_xlsx(request: HttpRequest, code: str) -> HttpResponse:
    """GY-E01: the list of designated pharmacies for filing with the city bureau."""
    programme = Programme.objects.filter(code=code).first()
    if programme is None:
        raise Http404
    today = timezone.localdate()
    headers = [
        _("序号"),
        _("药店名称"),
        _("统一社会信用代码"),
        _("经营地址"),
        _("所在区划"),
        _("定点起始日"),
        _("协议到期日"),
    ]
    rows: list[list[Any]] = []
    designations = (
        Designation.objects.filter(
            pharmacy__in=designated_pharmacies(programme=programme, on=today), programme=programme
        )
        .select_related("pharmacy__organisation__region")
        .order_by("pharmacy__organisation__name", "-starts_on")
    )
    seen: set[int] = set()
    for d in designations:
        if d.pharmacy_id in seen:
            continue
        seen.add(d.pharmacy_id)
        p = d.pharmacy
        rows.append(
            [
                len(seen),
                p.name,
                p.credit_code,
                p.address,
                p.region.name,
                d.starts_on.isoformat(),
                d.ends_on.isoformat(),
            ]
        )
    response = xlsx_response(
        f"designated-{code}-{today:%Y%m%d}.xlsx", headers, rows, title=_("定点药店名单")
    )
    audit(request, action=AuditAction.EXPORT, detail=f"designated pharmacies {code} xlsx")
    return response
