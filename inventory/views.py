from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.audit import audit
from accounts.models import BUREAU_ROLES, Role
from accounts.permissions import principal_of, require_role
from core.actions import confirm_page, confirmed, run_service
from core.errors import DomainError
from core.exports import csv_response, xlsx_response
from core.lists import Search, list_page
from core.models import AuditAction
from core.responses import XLSX, download_response, pdf_response
from core.uploads import private_file_response
from inventory import imports, lists, sheets, stocktake_batch
from inventory.files import sniff_spreadsheet
from inventory.forms import (
    SUBMIT_CONSEQUENCE,
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
    Stocktake,
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
    result = list_page(
        request,
        movements,
        lists.movement_columns(),
        empty=_("暂无记录。"),
        search=lists.movement_search(),
        default_sort="-time",
        table_id="movements",
        export_name=_("进销存明细"),
    )
    if isinstance(result, HttpResponse):
        return result
    return render(
        request,
        "inventory/movements.html",
        {
            "list": result,
            "table": result.table,
            "filters": filters,
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
        movement = run_service(
            request,
            lambda: stock_movement_enter(
                pharmacy=pharmacy,
                actor=request.user,  # type: ignore[arg-type]
                **form.service_kwargs(),
            ),
            success=_(
                "已登记%(kind)s，库存已随之更新。请核对下面这笔记录；可返回进销存明细继续登记。"
            )
            % {"kind": MovementKind(kind).label},
            form=form,
        )
        if movement is not None:
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
        record = run_service(
            request,
            lambda: purchase_import_create(
                pharmacy=pharmacy,
                name=upload.name,
                data=upload.read(),
                actor=request.user,  # type: ignore[arg-type]
            ),
            success=_(
                "文件已上传，正在后台逐行校验：本页显示进度；全部无误才入账，有错误将按行列出，"
                "一行也不导入。"
            ),
            form=form,
        )
        if record is not None:
            return redirect("inventory:import", pk=record.pk)
    result = list_page(
        request,
        imports_for_principal(principal),
        lists.import_columns(),
        empty=_("暂无导入。"),
        search=Search(fields=("original_name__icontains",), placeholder=_("文件名")),
        filters=lists.import_filters(),
        default_sort="-uploaded",
        table_id="imports",
        export_name=_("进货导入记录"),
    )
    if isinstance(result, HttpResponse):
        return result
    context = {"form": form, "list": result, "table": result.table, "pharmacy": pharmacy}
    return render(request, "inventory/imports.html", context)


@require_role(*PHARMACY_ROLES)
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    record = access_import_for_principal(principal_of(request), pk)
    running = record.status in (PurchaseImportStatus.PENDING, PurchaseImportStatus.RUNNING)
    return render(request, "inventory/import_detail.html", {"record": record, "running": running})


@require_role(*PHARMACY_ROLES)
def import_file(request: HttpRequest, pk: int) -> HttpResponse:
    record = access_import_for_principal(principal_of(request), pk)
    audit(request, action=AuditAction.FILE_DOWNLOAD, obj=record, detail=record.original_name)
    return private_file_response(record.file, "application/octet-stream", record.original_name)


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
    periods = stocktakes.order_by("-period_start").values_list("period_start", flat=True)
    result = list_page(
        request,
        stocktakes,
        [*stocktake_batch.batch_column(principal), *lists.stocktake_columns(principal.is_bureau)],
        empty=_("暂无盘点。"),
        search=lists.stocktake_search() if principal.is_bureau else None,
        filters=lists.stocktake_filters(
            programmes_for_principal(principal), list(periods.distinct()[:40])
        ),
        default_sort="-period",
        table_id="stocktakes",
        export_name=_("季度盘点"),
    )
    if isinstance(result, HttpResponse):
        return result
    return render(
        request,
        "inventory/stocktakes.html",
        {
            "list": result,
            "table": result.table,
            "batch": stocktake_batch.batch_for(principal),
            "batch_url": reverse("inventory:stocktake_batch"),
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
    run_service(
        request,
        lambda: stocktake_blind_set(
            stocktake=stocktake,
            blind=request.POST.get("blind") == "1",
            actor=request.user,  # type: ignore[arg-type]
            reason=request.POST.get("reason", "")[:200],
        ),
        success=_("已保存盘底表方式并通知药店：药店须重新下载盘底表后盘点。"),
    )
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
    if not form.is_valid() or not confirmed(request):
        if "file" in form.errors:
            messages.error(request, _("请选择文件。"))
        if "confirmed" in form.errors or not confirmed(request):
            messages.warning(
                request,
                _("未提交：请勾选确认（%(consequence)s）后再提交。")
                % {"consequence": SUBMIT_CONSEQUENCE},
            )
        return redirect("inventory:stocktake", pk=pk)
    upload = form.cleaned_data["file"]
    data = upload.read()

    def submit() -> Stocktake:
        if sniff_spreadsheet(upload.name, data) != "xlsx":
            raise DomainError(_("盘底表须为 .xlsx 文件。"))
        counted_at, counts = sheets.parse_count_sheet(data)
        return stocktake_submit_service(
            stocktake=stocktake,
            counts=counts,
            counted_at=counted_at,
            actor=request.user,  # type: ignore[arg-type]
            sheet=(f"stocktake-{stocktake.pk}.xlsx", data),
        )

    run_service(request, submit, success=_("盘点表已提交，等待医保中心审核；审核结果将通知您。"))
    return redirect("inventory:stocktake", pk=pk)


@require_role(*PHARMACY_ROLES, *BUREAU_ROLES)
def stocktake_counted_file(request: HttpRequest, pk: int) -> HttpResponse:
    stocktake = access_stocktake_for_principal(principal_of(request), pk)
    if not stocktake.sheet:
        raise Http404
    _audit_stocktake(request, stocktake, AuditAction.FILE_DOWNLOAD, "counted sheet")
    return private_file_response(stocktake.sheet, XLSX, "实盘表.xlsx")


REVIEW_CONSEQUENCE = {
    "accept": gettext_lazy(
        "审核通过后差异记为盘盈盘亏，账面库存按实盘调整，本期盘点完成；不能撤销。"
    ),
    "return": gettext_lazy("退回后药店将收到通知，须重新盘点并提交；本次提交的实盘表作废。"),
}


@require_POST
@require_role(Role.BUREAU_REVIEWER)
def stocktake_review(request: HttpRequest, pk: int) -> HttpResponse:
    stocktake = access_stocktake_for_principal(principal_of(request), pk)
    form = ReviewForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("审核意见有误，请重新填写。"))
        return redirect("inventory:stocktake", pk=pk)
    decision = request.POST.get("decision")
    if decision not in REVIEW_CONSEQUENCE:
        messages.error(request, _("请选择审核结论：审核通过或退回重盘。"))
        return redirect("inventory:stocktake", pk=pk)
    asked = confirm_page(
        request,
        action=_("审核通过") if decision == "accept" else _("退回重盘"),
        obj=stocktake,
        consequence=REVIEW_CONSEQUENCE[decision],
        back=reverse("inventory:stocktake", kwargs={"pk": pk}),
    )
    if asked is not None:
        return asked
    actor: Any = request.user
    reason = form.cleaned_data["reason"]
    if decision == "return":
        run_service(
            request,
            lambda: stocktake_return(stocktake=stocktake, actor=actor, reason=reason),
            success=_("已退回药店重新盘点；药店重新提交后，本盘点会再回到待审核列表。"),
        )
    else:
        run_service(
            request,
            lambda: stocktake_accept(stocktake=stocktake, actor=actor, reason=reason),
            success=_("已审核通过，差异已记为盘盈盘亏；本期盘点完成，账面库存已按实盘调整。"),
        )
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
    _audit_stocktake(request, stocktake, AuditAction.DOCUMENT, "stocktake pdf")
    return response


def _audit_stocktake(request: HttpRequest, stocktake: Stocktake, action: str, detail: str) -> None:
    """An audit row for a stocktake document, in the pharmacy's region (the bureau reads it)."""
    audit(
        request,
        action=action,
        obj=stocktake,
        region_id=stocktake.pharmacy.organisation.region_id,
        detail=detail,
    )


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
            result = run_service(
                request,
                lambda: drug_catalogue_import(
                    name=upload.name,
                    data=upload.read(),
                    programmes=list(programmes_for_principal(principal)),
                    actor=request.user,  # type: ignore[arg-type]
                ),
                form=form,
            )
            if result == []:
                messages.success(
                    request,
                    _("药品目录已导入，每个条目的修改记录已留存；可在下方目录中查询核对。"),
                )
                return redirect("inventory:catalogue")
            if result:
                messages.error(
                    request, _("目录文件有错误，未导入任何一行；请按下表改正后重新上传。")
                )
                errors = result
    listed = list_page(
        request,
        Drug.objects.filter(is_active=True),
        lists.catalogue_columns(can_edit),
        empty=_("暂无。"),
        search=lists.catalogue_search(),
        filters=lists.catalogue_filters(),
        default_sort="name",
        table_id="catalogue",
        export_name=_("药品目录"),
    )
    if isinstance(listed, HttpResponse):
        return listed
    return render(
        request,
        "inventory/catalogue.html",
        {
            "list": listed,
            "table": listed.table,
            "can_edit": can_edit,
            "can_import": can_import,
            "form": form,
            "errors": errors,
        },
    )


# What a saved catalogue edit did and what follows, by the form posted.
DRUG_SAVED = {
    "drug": gettext_lazy("已保存药品信息，修改原因已记入下方修改记录。"),
    "scope": gettext_lazy("已保存用药范围，原因已记入修改记录；此后的处方和配药按新范围审核。"),
    "cap": gettext_lazy("已登记限价，原因已记入修改记录；自执行日期起按此校验销售价格。"),
}


def _drug_forms(
    request: HttpRequest, drug: Drug, diseases: list[Disease], programmes: Any
) -> tuple[str, dict[str, forms.BaseForm]]:
    """The posted action ("drug", "scope" or "cap"; "" on GET) and the three forms, the
    posted one bound."""
    action = request.POST.get("action", "drug") if request.method == "POST" else ""
    links = DiseaseDrug.objects.filter(drug=drug, disease__in=diseases)
    current = {link.disease_id: link.is_basic_drug for link in links}

    def data(name: str) -> Any:
        return request.POST if action == name else None

    return action, {
        "drug": DrugForm(data("drug"), instance=Drug.objects.get(pk=drug.pk)),
        "scope": DrugScopeForm(data("scope"), diseases=diseases, current=current, prefix="scope"),
        "cap": PriceCapForm(data("cap"), programmes=programmes, prefix="cap"),
    }


def _drug_save(
    request: HttpRequest, action: str, form: Any, drug: Drug, diseases: list[Disease]
) -> bool:
    """Run the service of the posted form; True when it saved."""
    if not form.is_valid():
        return False
    actor: Any = request.user
    data = form.cleaned_data
    save: Callable[[], Any]
    if action == "drug":
        changes = {n: data[n] for n in form.changed_data if n != "reason"}
        save = partial(drug_update, drug=drug, changes=changes, actor=actor, reason=data["reason"])
    elif action == "scope":
        save = partial(
            drug_scope_set,
            drug=drug,
            diseases=diseases,
            scope=form.scope(),
            actor=actor,
            reason=data["reason"],
        )
    else:
        save = partial(
            price_cap_set,
            drug=drug,
            programme=data["programme"],
            price=data["price"],
            source=data["source"],
            effective_on=data["effective_on"],
            actor=actor,
            reason=data["reason"],
        )
    return run_service(request, save, success=DRUG_SAVED[action], form=form) is not None


def _scope_change(h: Any) -> str:
    """What a historical DiseaseDrug row did to the drug's scope."""
    if h.history_type == "-":
        return _("移出用药范围")
    return _("基本药物") if h.is_basic_drug else _("用药范围")


def _drug_history(drug: Drug, diseases: list[Disease], programmes: Any) -> dict[str, Any]:
    """The entry's edits, and the scope and caps of the editor's programmes only (another
    region's are its own bureau's business)."""
    return {
        "history": drug.history.select_related("history_user").order_by("-history_date")[:50],
        "scope_history": [
            (h, _scope_change(h))
            for h in DiseaseDrug.history.filter(
                drug_id=drug.pk, disease_id__in=[d.pk for d in diseases]
            )
            .select_related("history_user", "disease")
            .order_by("-history_date")[:50]
        ],
        "caps": PriceCap.objects.filter(drug=drug, programme__in=programmes).select_related(
            "programme"
        ),
        "cap_history": PriceCap.history.filter(
            drug_id=drug.pk, programme_id__in=programmes.values("pk")
        )
        .select_related("history_user")
        .order_by("-history_date")[:50],
    }


@require_role(*CATALOGUE_EDITORS)
def drug_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """A catalogue entry: its fields, its scope and basic-drug flags for the diseases of the
    editor's programmes (HY-A09), its price caps (HY-B02 / GY-C01); each edit with a reason,
    kept in the history."""
    drug = get_object_or_404(Drug, pk=pk)
    principal = principal_of(request)
    programmes = programmes_for_principal(principal)
    national = principal.has_role(*NATIONAL_CATALOGUE_EDITORS)
    diseases = list(
        Disease.objects.filter(programme__in=programmes, is_active=True)
        .select_related("programme")
        .order_by("programme__code", "code")
    )
    action, forms_by_action = _drug_forms(request, drug, diseases, programmes)
    if action == "drug" and not national:
        raise Http404  # the national catalogue's fields: the catalogue administrator only
    if action in forms_by_action and _drug_save(
        request, action, forms_by_action[action], drug, diseases
    ):
        return redirect("inventory:drug", pk=pk)
    return render(
        request,
        "inventory/drug_edit.html",
        {
            "drug": drug,
            "form": forms_by_action["drug"] if national else None,
            "scope_form": forms_by_action["scope"],
            "cap_form": forms_by_action["cap"],
            **_drug_history(drug, diseases, programmes),
        },
    )
