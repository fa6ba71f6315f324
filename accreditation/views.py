"""Pages of the designation workflow: pharmacy side, bureau side, public pages.

Views parse input, call one service and render; rules live in accreditation.services.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.audit import audit
from accounts.models import Role, User
from accounts.permissions import principal_of, require_role
from accreditation import services
from accreditation.actions import (
    APPLICATION_ACTIONS,
    DESIGNATION_ACTIONS,
    Action,
    acts_for_pharmacy,
    check_side,
    offered,
    perform,
)
from accreditation.checklists import documents_for, inspection_items
from accreditation.eligibility import eligibility_report
from accreditation.evidence import evidence_status
from accreditation.forms import ActionForm, ApplicationCreateForm
from accreditation.models import Application, ApplicationStatus, Designation, DesignationStatus
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
from core.actions import confirm_page, run_service
from core.exports import xlsx_response
from core.lists import Filter, Search, list_page
from core.models import AuditAction
from core.responses import pdf_response
from core.tables import Cell, Column
from core.uploads import private_file_response
from pharmacies.permissions import own_pharmacy
from programmes.models import Programme
from programmes.selectors import programme_filter, programmes_for_principal

PHARMACY_ROLES = (Role.PHARMACY_MANAGER, Role.PHARMACIST)
REVIEWER = Role.BUREAU_REVIEWER


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


@dataclass(frozen=True)
class ActionRow:
    """One action as a page shows it: its form (bound after a refused post) and where it posts."""

    action: Action
    form: ActionForm | None
    url: str


def _rows(
    request: HttpRequest,
    table: dict[str, Action],
    obj: Application | Designation,
    url_name: str,
    bound: dict[str, ActionForm],
) -> list[ActionRow]:
    """The actions this caller may run on `obj` now (accreditation.actions), with their forms."""
    return [
        ActionRow(
            a,
            bound.get(a.name) or a.build_form(obj),
            reverse(url_name, kwargs={"pk": obj.pk, "action": a.name}),
        )
        for a in offered(table, principal_of(request), obj)
    ]


def _post_action(
    request: HttpRequest,
    obj: Application | Designation,
    action: Action,
    *,
    page: Callable[[dict[str, ActionForm]], HttpResponse],
    done: HttpResponse,
) -> HttpResponse:
    """Validate the action's form, run it through the one permission rule and its service; a
    refusal or an invalid form shows the page again with the errors on the form's fields."""
    principal = principal_of(request)
    check_side(principal, action)
    form = action.build_form(obj, request.POST, request.FILES)
    if form is not None and not form.is_valid():
        return page({action.name: form})
    data = form.cleaned_data if form is not None else {}
    if action.consequence is not None:
        asked = confirm_page(
            request,
            action=action.label,
            obj=obj,
            consequence=action.consequence(obj),
            back=done["Location"],
        )
        if asked is not None:
            return asked
    run_service(
        request,
        lambda: perform(action, obj, principal=principal, actor=_user(request), data=data),
        success=action.success,
        form=form,
    )
    if form is not None and form.errors:
        return page({action.name: form})
    return done


def _lookup(table: dict[str, Action], name: str) -> Action:
    if name not in table:
        raise Http404
    return table[name]


# --- Pharmacy side


@require_role(*PHARMACY_ROLES)
def application_list(request: HttpRequest) -> HttpResponse:
    principal = principal_of(request)
    pharmacy = own_pharmacy(principal)
    programmes = programmes_for_principal(principal)
    form = ApplicationCreateForm(request.POST or None, programmes=programmes)
    if request.method == "POST":
        if not acts_for_pharmacy(principal):
            raise Http404
        application = (
            run_service(
                request,
                lambda: services.application_create(
                    pharmacy=pharmacy,
                    programme=form.cleaned_data["programme"],
                    actor=_user(request),
                ),
                success=_("申请已创建。请上传清单中的材料、作出承诺，然后提交申请。"),
                form=form,
            )
            if form.is_valid()
            else None
        )
        if application is not None:
            return redirect("accreditation:application_detail", pk=application.pk)
    today = timezone.localdate()
    reports = [
        (p, eligibility_report(pharmacy=pharmacy, programme=p, on=today)) for p in programmes
    ]
    result = list_page(
        request,
        applications_for_principal(principal),
        _application_columns(),
        empty=_("尚无申请。"),
        search=Search(
            fields=("programme__name__icontains", "programme__code__iexact"),
            placeholder=_("方案名称或编码"),
        ),
        filters=[
            Filter("status", _("状态"), ApplicationStatus.choices, "status"),
            programme_filter(programmes),
        ],
        default_sort="-created",
        table_id="applications",
        export_name=_("定点申请"),
    )
    if isinstance(result, HttpResponse):
        return result
    return render(
        request,
        "accreditation/application_list.html",
        {
            "list": result,
            "table": result.table,
            "form": form,
            "reports": reports,
            "today": today,
        },
    )


def _application_page(
    request: HttpRequest, application: Application, bound: dict[str, ActionForm] | None = None
) -> HttpResponse:
    principal = principal_of(request)
    today = timezone.localdate()
    code = application.programme.code
    documents = list(application.documents.all())
    checklist = [
        (item, [d for d in documents if d.kind == item.kind]) for item in documents_for(code)
    ]
    checked = (application.inspection or {}).get("items", {})
    rows = _rows(
        request, APPLICATION_ACTIONS, application, "accreditation:application_action", bound or {}
    )
    context = {
        "application": application,
        "checklist": checklist,
        "report": eligibility_report(
            pharmacy=application.pharmacy, programme=application.programme, on=today
        ),
        "timeline": application.events.select_related("actor"),
        "days_left": days_left(application, today),
        "inspection": [(item, checked.get(item.key)) for item in inspection_items(code)],
        "evidence": evidence_status(application),
        "inspection_notes": (application.inspection or {}).get("notes", ""),
        "is_manager": principal.has_role(Role.PHARMACY_MANAGER),
        "is_reviewer": principal.has_role(REVIEWER),
        # The upload sits with the checklist; the other actions in the action bar.
        "upload": next((r for r in rows if r.action.name == "documents"), None),
        "actions": [r for r in rows if r.action.name != "documents"],
        "S": ApplicationStatus,
        "today": today,
    }
    return render(request, "accreditation/application_detail.html", context)


@require_role(*PHARMACY_ROLES, REVIEWER, Role.BUREAU_ADMIN)
def application_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _application_page(request, access_application(principal_of(request), pk))


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


@require_POST
@require_role(Role.PHARMACY_MANAGER, REVIEWER)
def application_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Any row of accreditation.actions.APPLICATION_ACTIONS (the upload too)."""
    application = access_application(principal_of(request), pk)
    return _post_action(
        request,
        application,
        _lookup(APPLICATION_ACTIONS, action),
        page=lambda bound: _application_page(request, application, bound),
        done=redirect("accreditation:application_detail", pk=pk),
    )


# --- Documents (PDF)


def _pdf_response(
    request: HttpRequest, application: Application, name: str, context: dict[str, Any]
) -> HttpResponse:
    """The official document `name` (template accreditation/pdf/<name>.html), audited."""
    filename = f"{name.replace('_', '-')}-{application.pk}.pdf"
    response = pdf_response(f"accreditation/pdf/{name}.html", context, filename)
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
    return _pdf_response(request, application, "application_form", context)


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
    return _pdf_response(request, application, "agreement", context)


@require_role(*PHARMACY_ROLES, REVIEWER)
def feedback_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """HY-C04: the feedback letter of a failed evaluation."""
    application = access_application(principal_of(request), pk)
    if application.status != ApplicationStatus.FAILED:
        raise Http404
    return _pdf_response(
        request,
        application,
        "feedback",
        {
            "application": application,
            "agency": agency_name_for(application.pharmacy),
            "today": application.feedback_sent_on or timezone.localdate(),
        },
    )


# --- Bureau side


@require_role(REVIEWER, Role.BUREAU_ADMIN)
def review_list(request: HttpRequest) -> HttpResponse:
    """The bureau's worklist: applications under way (or of one status), by due date first."""
    principal = principal_of(request)
    statuses = [
        (v, label) for v, label in ApplicationStatus.choices if v != ApplicationStatus.DRAFT
    ]
    status = request.GET.get("status", "")
    status = status if status in {v for v, _label in statuses} else ""
    programmes = programmes_for_principal(principal)
    result = list_page(
        request,
        worklist(principal, status=status),
        _worklist_columns(timezone.localdate()),
        empty=_("没有待办申请。"),
        search=Search(
            fields=(
                "pharmacy__organisation__name__icontains",
                "pharmacy__credit_code__iexact",
            ),
            placeholder=_("药店名称或统一社会信用代码"),
        ),
        filters=[
            Filter("status", _("状态"), statuses, "status"),
            programme_filter(programmes),
        ],
        default_sort="due",
        table_id="worklist",
        export_name=_("定点申请工作清单"),
    )
    if isinstance(result, HttpResponse):
        return result
    return render(
        request, "accreditation/review_list.html", {"list": result, "table": result.table}
    )


def _application_columns() -> list[Column[Application]]:
    def programme(a: Application) -> Cell:
        return Cell(a.programme.name, url=reverse("accreditation:application_detail", args=[a.pk]))

    return [
        Column("programme", _("方案"), programme, "programme__name"),
        Column("status", _("状态"), lambda a: a.get_status_display(), "status"),
        Column("created", _("创建时间"), lambda a: a.created_at, "created_at"),
        Column("accepted", _("受理日期"), lambda a: a.accepted_on or "—", "accepted_on"),
        Column("due", _("评估截止日"), lambda a: a.evaluation_due_on or "—", "evaluation_due_on"),
        Column("notice", _("公示结束日"), lambda a: a.notice_ends_on or "—", "notice_ends_on"),
    ]


def _days_left_cell(left: int | None) -> Cell:
    """The evaluation clock as a badge: overdue, due soon, or comfortably ahead."""
    if left is None:
        return Cell("—", muted=True)
    if left < 0:
        return Cell(_("已逾期 %(n)s 天") % {"n": -left}, badge="bad", testid="overdue")
    return Cell(_("剩 %(n)s 天") % {"n": left}, badge="ok" if left > 30 else "warn")


def _worklist_columns(today: date) -> list[Column[Application]]:
    def pharmacy(a: Application) -> Cell:
        return Cell(a.pharmacy.name, url=reverse("accreditation:review_detail", args=[a.pk]))

    def submitted(a: Application) -> Any:
        return (
            timezone.localtime(a.submitted_at).strftime("%Y-%m-%d %H:%M") if a.submitted_at else "—"
        )

    return [
        Column("pharmacy", _("药店"), pharmacy, "pharmacy__organisation__name"),
        Column("programme", _("方案"), lambda a: a.programme.code, "programme__code"),
        Column("status", _("状态"), lambda a: a.get_status_display(), "status"),
        Column("submitted", _("提交时间"), submitted, "submitted_at"),
        Column("due", _("评估截止日"), lambda a: a.evaluation_due_on or "—", "evaluation_due_on"),
        Column("left", _("剩余时限"), lambda a: _days_left_cell(days_left(a, today))),
        Column("notice", _("公示结束日"), lambda a: a.notice_ends_on or "—", "notice_ends_on"),
    ]


def _designation_columns() -> list[Column[Designation]]:
    def pharmacy(d: Designation) -> Cell:
        return Cell(d.pharmacy.name, url=reverse("accreditation:designation_detail", args=[d.pk]))

    def status(d: Designation) -> Cell:
        tone = {DesignationStatus.ACTIVE: "ok", DesignationStatus.RECTIFICATION: "warn"}
        return Cell(d.get_status_display(), badge=tone.get(d.status, ""))  # type: ignore[call-overload]

    return [
        Column("pharmacy", _("药店"), pharmacy, "pharmacy__organisation__name"),
        Column("programme", _("方案"), lambda d: d.programme.code, "programme__code"),
        Column("status", _("状态"), status, "status"),
        Column("starts", _("定点起始日"), lambda d: d.starts_on, "starts_on"),
        Column("ends", _("协议到期日"), lambda d: d.ends_on, "ends_on"),
        Column("settle", _("过渡期结算截止日"), lambda d: d.settle_until or "—", "settle_until"),
    ]


@require_role(*PHARMACY_ROLES, REVIEWER, Role.BUREAU_ADMIN)
def designation_list(request: HttpRequest) -> HttpResponse:
    principal = principal_of(request)
    programmes = programmes_for_principal(principal)
    result = list_page(
        request,
        designations_for_principal(principal),
        _designation_columns(),
        empty=_("暂无定点资格。"),
        search=Search(
            fields=(
                "pharmacy__organisation__name__icontains",
                "pharmacy__credit_code__iexact",
            ),
            placeholder=_("药店名称或统一社会信用代码"),
        ),
        filters=[
            Filter("status", _("状态"), DesignationStatus.choices, "status"),
            programme_filter(programmes),
        ],
        default_sort="pharmacy",
        table_id="designations",
        export_name=_("定点资格"),
    )
    if isinstance(result, HttpResponse):
        return result
    return render(
        request, "accreditation/designation_list.html", {"list": result, "table": result.table}
    )


def _designation_page(
    request: HttpRequest, designation: Designation, bound: dict[str, ActionForm] | None = None
) -> HttpResponse:
    rows = _rows(
        request, DESIGNATION_ACTIONS, designation, "accreditation:designation_action", bound or {}
    )
    return render(
        request,
        "accreditation/designation_detail.html",
        {
            "designation": designation,
            "events": designation.events.select_related("actor"),
            "assessments": designation.assessments.all(),
            "violations": designation.pharmacy.violations.filter(programme=designation.programme),
            "actions": rows,
        },
    )


@require_role(*PHARMACY_ROLES, REVIEWER, Role.BUREAU_ADMIN)
def designation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _designation_page(request, access_designation(principal_of(request), pk))


@require_POST
@require_role(REVIEWER)
def designation_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Any row of accreditation.actions.DESIGNATION_ACTIONS (assessment, violation)."""
    designation = access_designation(principal_of(request), pk)
    return _post_action(
        request,
        designation,
        _lookup(DESIGNATION_ACTIONS, action),
        page=lambda bound: _designation_page(request, designation, bound),
        done=redirect("accreditation:designation_detail", pk=pk),
    )


# --- Public pages (no login)


def public_notices(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    return render(
        request,
        "accreditation/public_notices.html",
        {"notices": notices_under_way(on=today), "today": today},
    )


def _notice_batch(pk: int, on: date) -> list[Application]:
    """HY-C03: the notice application `pk` is published in, while it is public on `on`: the
    pharmacies of the same programme and region whose 公示期 is the same. 404 otherwise.
    The notices running on a day are few: one query reads them all."""
    running = list(notices_under_way(on=on).order_by("pharmacy__organisation__name", "pk"))

    def batch_of(a: Application) -> tuple[Any, ...]:
        region = a.pharmacy.organisation.region_id
        return (a.programme_id, region, a.notice_starts_on, a.notice_ends_on)

    notice = next((a for a in running if a.pk == pk), None)
    if notice is None:
        raise Http404
    return [a for a in running if batch_of(a) == batch_of(notice)]


def public_notice_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The public notice of evaluation results as a PDF, public like the page while it runs."""
    batch = _notice_batch(pk, timezone.localdate())
    first = batch[0]
    context = {
        "notices": batch,
        "programme": first.programme,
        "agency": agency_name_for(first.pharmacy),
    }
    title = _("定点药店评估结果公示")
    filename = f"{title}-{first.programme.short_name}-{first.notice_starts_on:%Y%m%d}.pdf"
    return pdf_response("accreditation/pdf/public_notice.html", context, filename)


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
