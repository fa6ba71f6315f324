from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.audit import audit
from accounts.models import BUREAU_ROLES, Role
from accounts.permissions import principal_of, require_role
from core.errors import DomainError
from core.exports import csv_response, xlsx_response
from core.models import AuditAction
from core.responses import XLSX, download_response, pdf_response
from core.uploads import StoredFileMissing, missing_file_response, read_stored_file
from inventory import imports, sheets
from inventory.files import sniff_spreadsheet
from inventory.forms import (
    CountSheetForm,
    DrugForm,
    DrugScopeForm,
    MovementFilterForm,
    MovementForm,
    PriceCapForm,
    ReviewForm,
    UploadForm,
)
from inventory.models import (
    MANUAL_KINDS,
    PLATFORM_INTERFACE,
    DiseaseDrug,
    Drug,
    Movement,
    MovementKind,
    PriceCap,
    PurchaseImportStatus,
    StocktakeStatus,
)
from inventory.permissions import (
    access_import_for_principal,
    access_movement_for_principal,
    access_pharmacy_for_principal,
    access_stocktake_for_principal,
)
from inventory.selectors import (
    imports_for_principal,
    movements_filter,
    near_expiry_days_for,
    pharmacy_metrics,
    pharmacy_of_principal,
    programmes_of_pharmacy,
    stock_with_expiry_flags,
    stocktakes_for_principal,
)
from inventory.services import (
    drug_catalogue_import,
    drug_scope_set,
    drug_update,
    price_cap_set,
    purchase_import_create,
    stock_movement_enter,
    stocktake_accept,
    stocktake_blind_set,
    stocktake_return,
)
from inventory.services import stocktake_submit as stocktake_submit_service
from pharmacies.models import Pharmacy
from programmes.models import Disease
from programmes.selectors import programmes_for_principal

PHARMACY_ROLES = (Role.PHARMACY_MANAGER, Role.PHARMACIST)


def _stock_context(pharmacy: Pharmacy) -> dict[str, Any]:
    today = timezone.localdate()
    programmes = list(programmes_of_pharmacy(pharmacy))
    near_days = near_expiry_days_for(programmes, today=today)
    return {
        "pharmacy": pharmacy,
        "stock": stock_with_expiry_flags(pharmacy, today=today, near_expiry_days=near_days),
        "near_days": near_days,
        "metrics": [(p, pharmacy_metrics(pharmacy=pharmacy, programme=p)) for p in programmes],
    }


@require_role(*PHARMACY_ROLES)
def stock_overview(request: HttpRequest) -> HttpResponse:
    pharmacy = pharmacy_of_principal(principal_of(request))
    return render(request, "inventory/stock.html", {**_stock_context(pharmacy), "own": True})


@require_role(*BUREAU_ROLES)
def bureau_pharmacy_stock(request: HttpRequest, pk: int) -> HttpResponse:
    pharmacy = access_pharmacy_for_principal(principal_of(request), pk)
    return render(request, "inventory/stock.html", {**_stock_context(pharmacy), "own": False})


@require_role(*PHARMACY_ROLES)
def movement_list(request: HttpRequest) -> HttpResponse:
    principal = principal_of(request)
    pharmacy = pharmacy_of_principal(principal)
    filters = MovementFilterForm(request.GET or None)
    movements = Movement.objects.filter(pharmacy=pharmacy).select_related("drug", "batch")
    if filters.is_valid():
        movements = movements_filter(movements, **filters.cleaned_data)
    page = Paginator(movements, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "inventory/movements.html",
        {
            "page": page,
            "filters": filters,
            "query": query.urlencode(),
            "pharmacy": pharmacy,
            "manual_kinds": [(k, MovementKind(k).label) for k in MANUAL_KINDS],
        },
    )


@require_role(*PHARMACY_ROLES)
def movement_create(request: HttpRequest, kind: str) -> HttpResponse:
    if kind not in MANUAL_KINDS:
        raise Http404
    pharmacy = pharmacy_of_principal(principal_of(request))
    initial: dict[str, Any] = {"occurred_at": timezone.localtime().replace(second=0, microsecond=0)}
    if request.GET.get("sale", "").isdigit():
        initial["sale"] = int(request.GET["sale"])
    if request.GET.get("batch", "").isdigit():
        initial["batch"] = int(request.GET["batch"])
    form = MovementForm(request.POST or None, kind=kind, pharmacy=pharmacy, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            movement = stock_movement_enter(
                pharmacy=pharmacy,
                actor=request.user,  # type: ignore[arg-type]
                **form.service_kwargs(),
            )
        except DomainError as exc:
            field = exc.field if exc.field in form.fields else None
            if exc.field == "insurance_code" and "insurance_code" not in form.fields:
                field = "batch"
            form.add_error(field, str(exc))
        else:
            messages.success(request, _("已登记%(kind)s。") % {"kind": movement.get_kind_display()})
            return redirect("inventory:movement", pk=movement.pk)
    return render(
        request,
        "inventory/movement_form.html",
        {"form": form, "kind": kind, "kind_label": MovementKind(kind).label, "pharmacy": pharmacy},
    )


@require_role(*PHARMACY_ROLES, *BUREAU_ROLES)
def movement_detail(request: HttpRequest, pk: int) -> HttpResponse:
    principal = principal_of(request)
    movement = access_movement_for_principal(principal, pk)
    returns = list(movement.returns.all()) if movement.kind == MovementKind.SALE else []
    returnable = (
        -movement.quantity - sum(r.quantity for r in returns)
        if movement.kind == MovementKind.SALE and movement.entered_by_hand
        else 0
    )
    return render(
        request,
        "inventory/movement_detail.html",
        {
            "movement": movement,
            "returns": returns,
            "can_return": returnable > 0 and principal.has_role(*PHARMACY_ROLES),
            "returnable": returnable,
            "interface": PLATFORM_INTERFACE[movement.kind],
        },
    )


@require_role(*PHARMACY_ROLES)
def import_list(request: HttpRequest) -> HttpResponse:
    principal = principal_of(request)
    pharmacy = pharmacy_of_principal(principal)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            record = purchase_import_create(
                pharmacy=pharmacy,
                name=upload.name,
                data=upload.read(),
                actor=request.user,  # type: ignore[arg-type]
            )
        except DomainError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("文件已上传，正在后台校验导入。"))
            return redirect("inventory:import", pk=record.pk)
    return render(
        request,
        "inventory/imports.html",
        {"form": form, "imports": imports_for_principal(principal)[:50], "pharmacy": pharmacy},
    )


@require_role(*PHARMACY_ROLES)
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    record = access_import_for_principal(principal_of(request), pk)
    running = record.status in (PurchaseImportStatus.PENDING, PurchaseImportStatus.RUNNING)
    return render(request, "inventory/import_detail.html", {"record": record, "running": running})


@require_role(*PHARMACY_ROLES)
def import_file(request: HttpRequest, pk: int) -> HttpResponse:
    record = access_import_for_principal(principal_of(request), pk)
    audit(request, action=AuditAction.FILE_DOWNLOAD, obj=record, detail=record.original_name)
    try:
        content = read_stored_file(record.file)
    except StoredFileMissing:
        return missing_file_response()
    return download_response(content, record.original_name, "application/octet-stream")


@require_role(*PHARMACY_ROLES)
def import_sample(request: HttpRequest) -> HttpResponse:
    from inventory.demo import sample_purchase_rows

    return download_response(imports.write_xlsx(sample_purchase_rows()), "进货台账样例.xlsx", XLSX)


@require_role(*PHARMACY_ROLES)
def purchase_export(request: HttpRequest) -> HttpResponse:
    pharmacy = pharmacy_of_principal(principal_of(request))
    movements = (
        Movement.objects.filter(pharmacy=pharmacy, kind=MovementKind.PURCHASE)
        .select_related("drug", "batch")
        .order_by("occurred_at", "id")
    )
    rows = imports.export_rows(movements.iterator(chunk_size=2000))
    if request.GET.get("format") == "csv":
        response = csv_response("进货台账.csv", imports.HEADERS, rows)
    else:
        response = xlsx_response("进货台账.xlsx", imports.HEADERS, rows)
    audit(request, action=AuditAction.EXPORT, obj=pharmacy, detail="purchase ledger")
    return response


@require_role(*PHARMACY_ROLES, *BUREAU_ROLES)
def stocktake_list(request: HttpRequest) -> HttpResponse:
    principal = principal_of(request)
    stocktakes = stocktakes_for_principal(principal)
    status = request.GET.get("status", "")
    if status in StocktakeStatus.values:
        stocktakes = stocktakes.filter(status=status)
    return render(
        request,
        "inventory/stocktakes.html",
        {
            "stocktakes": stocktakes[:200],
            "statuses": StocktakeStatus.choices,
            "status": status,
            "is_bureau": principal.is_bureau,
        },
    )


@require_role(*PHARMACY_ROLES, *BUREAU_ROLES)
def stocktake_detail(request: HttpRequest, pk: int) -> HttpResponse:
    principal = principal_of(request)
    stocktake = access_stocktake_for_principal(principal, pk)
    return render(
        request,
        "inventory/stocktake_detail.html",
        {
            "stocktake": stocktake,
            "lines": stocktake.lines.select_related("batch__drug"),
            "events": stocktake.events.select_related("actor"),
            "can_submit": principal.has_role(*PHARMACY_ROLES)
            and stocktake.status == StocktakeStatus.OPEN,
            "can_review": principal.has_role(Role.BUREAU_REVIEWER)
            and stocktake.status == StocktakeStatus.SUBMITTED,
            "can_set_blind": principal.has_role(Role.BUREAU_REVIEWER, Role.BUREAU_ADMIN)
            and stocktake.status == StocktakeStatus.OPEN,
            "upload_form": CountSheetForm(),
            "review_form": ReviewForm(),
        },
    )


@require_POST
@require_role(Role.BUREAU_REVIEWER, Role.BUREAU_ADMIN)
def stocktake_blind(request: HttpRequest, pk: int) -> HttpResponse:
    """The bureau chooses a blind count sheet, or one with the system quantities (HY-E06)."""
    stocktake = access_stocktake_for_principal(principal_of(request), pk)
    try:
        stocktake_blind_set(
            stocktake=stocktake,
            blind=request.POST.get("blind") == "1",
            actor=request.user,  # type: ignore[arg-type]
            reason=request.POST.get("reason", "")[:200],
        )
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("已保存盘底表方式，已通知药店。"))
    return redirect("inventory:stocktake", pk=pk)


@require_role(*PHARMACY_ROLES)
def stocktake_sheet(request: HttpRequest, pk: int) -> HttpResponse:
    stocktake = access_stocktake_for_principal(principal_of(request), pk)
    name = f"盘底表-{stocktake.period_start:%Y}Q{(stocktake.period_start.month - 1) // 3 + 1}.xlsx"
    return download_response(sheets.count_sheet_xlsx(stocktake), name, XLSX)


@require_POST
@require_role(*PHARMACY_ROLES)
def stocktake_upload(request: HttpRequest, pk: int) -> HttpResponse:
    stocktake = access_stocktake_for_principal(principal_of(request), pk)
    form = CountSheetForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("请选择文件。"))
        return redirect("inventory:stocktake", pk=pk)
    upload = form.cleaned_data["file"]
    data = upload.read()
    try:
        if sniff_spreadsheet(upload.name, data) != "xlsx":
            raise DomainError(_("盘底表须为 .xlsx 文件。"))
        counted_at, counts = sheets.parse_count_sheet(data)
        stocktake_submit_service(
            stocktake=stocktake,
            counts=counts,
            counted_at=counted_at,
            actor=request.user,  # type: ignore[arg-type]
            sheet=(f"stocktake-{stocktake.pk}.xlsx", data),
        )
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("盘点表已提交，等待医保中心审核。"))
    return redirect("inventory:stocktake", pk=pk)


@require_role(*PHARMACY_ROLES, *BUREAU_ROLES)
def stocktake_counted_file(request: HttpRequest, pk: int) -> HttpResponse:
    stocktake = access_stocktake_for_principal(principal_of(request), pk)
    if not stocktake.sheet:
        raise Http404
    audit(
        request,
        action=AuditAction.FILE_DOWNLOAD,
        obj=stocktake,
        region_id=stocktake.pharmacy.organisation.region_id,
        detail="counted sheet",
    )
    try:
        content = read_stored_file(stocktake.sheet)
    except StoredFileMissing:
        return missing_file_response()
    return download_response(content, "实盘表.xlsx", XLSX)


@require_POST
@require_role(Role.BUREAU_REVIEWER)
def stocktake_review(request: HttpRequest, pk: int) -> HttpResponse:
    stocktake = access_stocktake_for_principal(principal_of(request), pk)
    form = ReviewForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        if request.POST.get("decision") == "return":
            stocktake_return(stocktake=stocktake, actor=request.user, reason=reason)  # type: ignore[arg-type]
            messages.success(request, _("已退回药店重新盘点。"))
        else:
            stocktake_accept(stocktake=stocktake, actor=request.user, reason=reason)  # type: ignore[arg-type]
            messages.success(request, _("已审核通过，差异已记为盘盈盘亏。"))
    except DomainError as exc:
        messages.error(request, str(exc))
    return redirect("inventory:stocktake", pk=pk)


@require_role(*PHARMACY_ROLES, *BUREAU_ROLES)
def stocktake_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    stocktake = access_stocktake_for_principal(principal_of(request), pk)
    lines = list(stocktake.lines.select_related("batch__drug"))
    if not lines:
        rows = [
            {"batch": b, "expected": None if stocktake.blind else q}
            for b, q in sheets.count_sheet_batches(stocktake)
        ]
    else:
        rows = []
    response = pdf_response(
        "inventory/stocktake_pdf.html",
        {"stocktake": stocktake, "lines": lines, "rows": rows, "printed": timezone.localtime()},
        f"盘点表-{stocktake.pk}.pdf",
    )
    audit(
        request,
        action=AuditAction.DOCUMENT,
        obj=stocktake,
        region_id=stocktake.pharmacy.organisation.region_id,
        detail="stocktake pdf",
    )
    return response


# Who edits what of the catalogue: a region's bureau edits its programmes' policy (disease
# scope, basic-drug flags, price caps); only the catalogue administrator edits the national
# catalogue (a drug's own fields) and imports catalogue files.
CATALOGUE_EDITORS = (Role.BUREAU_ADMIN, Role.BENEFITS_OFFICER, Role.CATALOGUE_ADMIN)
NATIONAL_CATALOGUE_EDITORS = (Role.CATALOGUE_ADMIN,)


@require_role(*PHARMACY_ROLES, *BUREAU_ROLES, Role.CATALOGUE_ADMIN)
def catalogue(request: HttpRequest) -> HttpResponse:
    principal = principal_of(request)
    can_edit = principal.has_role(*CATALOGUE_EDITORS)
    can_import = principal.has_role(*NATIONAL_CATALOGUE_EDITORS)
    form = UploadForm(request.POST or None, request.FILES or None)
    errors: list[dict[str, Any]] = []
    if request.method == "POST":
        if not can_import:
            raise Http404
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                errors = drug_catalogue_import(
                    name=upload.name,
                    data=upload.read(),
                    programmes=list(programmes_for_principal(principal)),
                    actor=request.user,  # type: ignore[arg-type]
                )
            except DomainError as exc:
                messages.error(request, str(exc))
            else:
                if not errors:
                    messages.success(request, _("药品目录已导入。"))
                    return redirect("inventory:catalogue")
                messages.error(request, _("目录文件有错误，未导入任何一行。"))
    drugs = Drug.objects.filter(is_active=True)
    query = request.GET.get("q", "").strip()
    if query:
        drugs = drugs.filter(generic_name__icontains=query)
    page = Paginator(drugs, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "inventory/catalogue.html",
        {
            "page": page,
            "q": query,
            "can_edit": can_edit,
            "can_import": can_import,
            "form": form,
            "errors": errors,
        },
    )


@require_role(*CATALOGUE_EDITORS)
def drug_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """A catalogue entry: its fields, its scope and basic-drug flags for the diseases of the
    editor's programmes (HY-A09), its price caps (HY-B02 / GY-C01); each edit with a reason,
    kept in the history."""
    drug = get_object_or_404(Drug, pk=pk)
    actor = request.user
    principal = principal_of(request)
    programmes = programmes_for_principal(principal)
    national = principal.has_role(*NATIONAL_CATALOGUE_EDITORS)
    diseases = list(
        Disease.objects.filter(programme__in=programmes, is_active=True)
        .select_related("programme")
        .order_by("programme__code", "code")
    )
    links = DiseaseDrug.objects.filter(drug=drug, disease__in=diseases)
    current = {link.disease_id: link.is_basic_drug for link in links}
    action = request.POST.get("action", "drug") if request.method == "POST" else ""
    form = DrugForm(request.POST if action == "drug" else None, instance=Drug.objects.get(pk=pk))
    scope_form = DrugScopeForm(
        request.POST if action == "scope" else None,
        diseases=diseases,
        current=current,
        prefix="scope",
    )
    cap_form = PriceCapForm(
        request.POST if action == "cap" else None, programmes=programmes, prefix="cap"
    )
    if action == "drug" and not national:
        raise Http404  # the national catalogue's fields: the catalogue administrator only
    try:
        if action == "drug" and form.is_valid():
            changes = {n: form.cleaned_data[n] for n in form.changed_data if n != "reason"}
            drug_update(
                drug=drug,
                changes=changes,
                actor=actor,  # type: ignore[arg-type]
                reason=form.cleaned_data["reason"],
            )
        elif action == "scope" and scope_form.is_valid():
            drug_scope_set(
                drug=drug,
                diseases=diseases,
                scope=scope_form.scope(),
                actor=actor,  # type: ignore[arg-type]
                reason=scope_form.cleaned_data["reason"],
            )
        elif action == "cap" and cap_form.is_valid():
            data = cap_form.cleaned_data
            price_cap_set(
                drug=drug,
                programme=data["programme"],
                price=data["price"],
                source=data["source"],
                effective_on=data["effective_on"],
                actor=actor,  # type: ignore[arg-type]
                reason=data["reason"],
            )
        else:
            action = ""
    except ValidationError as exc:
        {"drug": form, "scope": scope_form, "cap": cap_form}[action].add_error(None, exc)
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        if action:
            messages.success(request, _("已保存，修改记录已留存。"))
            return redirect("inventory:drug", pk=pk)
    history = drug.history.select_related("history_user").order_by("-history_date")[:50]
    scope_history = (
        # The scope of the editor's programmes' diseases only (another region's is its own).
        DiseaseDrug.history.filter(drug_id=drug.pk, disease_id__in=[d.pk for d in diseases])
        .select_related("history_user", "disease")
        .order_by("-history_date")[:50]
    )
    # The region's own caps only (another region's are its bureau's business).
    caps = PriceCap.objects.filter(drug=drug, programme__in=programmes).select_related("programme")
    cap_history = (
        PriceCap.history.filter(drug_id=drug.pk, programme_id__in=programmes.values("pk"))
        .select_related("history_user")
        .order_by("-history_date")[:50]
    )
    return render(
        request,
        "inventory/drug_edit.html",
        {
            "drug": drug,
            "form": form if national else None,
            "scope_form": scope_form,
            "cap_form": cap_form,
            "caps": caps,
            "history": history,
            "scope_history": scope_history,
            "cap_history": cap_history,
        },
    )
