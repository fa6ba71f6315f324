"""Stock ledger: drug catalogue, batches, movements with traceability codes, imports, stocktakes."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from accounts.models import User
from core.history import history_user
from core.models import TransitionEvent
from pharmacies.models import Pharmacy
from programmes.models import Disease, PriceCapBasis, Programme

# 国药准字 + H (chemical) / Z (TCM) / S (biological) / J (imported packaged) + 8 digits.
APPROVAL_NUMBER_RE = re.compile(r"^国药准字[HZSJ]\d{8}$")
validate_approval_number = RegexValidator(
    APPROVAL_NUMBER_RE, _("批准文号格式应为“国药准字”+ H/Z/S/J + 8 位数字。")
)


class ItemCategory(models.TextChoices):
    DRUG = "drug", _("药品（准字号）")
    SPECIAL_FOOD = "special_food", _("经批准的特门特殊食品")
    HEALTH_FOOD = "health_food", _("保健食品（健字号）")
    FOOD = "food", _("食品（食字号）")
    DAILY_GOODS = "daily_goods", _("生活用品")
    DEVICE = "device", _("医疗器械")
    CONSUMABLE = "consumable", _("医用耗材")


# HY-B01: what 特门 premises may stock.
APPROVAL_ONLY_ALLOWED = frozenset({ItemCategory.DRUG, ItemCategory.SPECIAL_FOOD})


class Drug(models.Model):
    """A catalogue item (drug or not) identified by its national insurance code."""

    insurance_code = models.CharField(_("国家医保药品编码"), max_length=30, unique=True)
    generic_name = models.CharField(_("通用名"), max_length=100)
    dosage_form = models.CharField(_("剂型"), max_length=30, blank=True)
    specification = models.CharField(_("规格"), max_length=60, blank=True)
    manufacturer = models.CharField(_("生产厂商"), max_length=100, blank=True)
    approval_number = models.CharField(
        _("批准文号"), max_length=20, blank=True, validators=[validate_approval_number]
    )
    category = models.CharField(
        _("类别"), max_length=20, choices=ItemCategory.choices, default=ItemCategory.DRUG
    )
    is_therapeutic = models.BooleanField(_("治疗性药物"), default=True)
    is_active = models.BooleanField(_("启用"), default=True)
    history = HistoricalRecords(get_user=history_user)

    class Meta:
        ordering = ["generic_name", "insurance_code"]
        verbose_name = _("药品目录条目")
        verbose_name_plural = _("药品目录")

    def __str__(self) -> str:
        return f"{self.generic_name} {self.specification}".strip()

    def clean(self) -> None:
        if self.category == ItemCategory.DRUG and not self.approval_number:
            raise ValidationError({"approval_number": _("药品须填写批准文号。")})


class DiseaseDrug(models.Model):
    """A drug in a disease's scope (may be dispensed for it); `is_basic_drug` for HY-A09."""

    disease = models.ForeignKey(Disease, on_delete=models.CASCADE, related_name="drug_scope")
    drug = models.ForeignKey(Drug, on_delete=models.CASCADE, related_name="disease_scope")
    is_basic_drug = models.BooleanField(_("基本药物"), default=False)
    history = HistoricalRecords(get_user=history_user)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["disease", "drug"], name="disease_drug_once"),
        ]
        verbose_name = _("病种用药范围")
        verbose_name_plural = _("病种用药范围")

    def __str__(self) -> str:
        return f"{self.disease} · {self.drug}"


class PriceCap(models.Model):
    """A listed price that caps sale prices (HY-B02 / GY-C01), with its source and date."""

    drug = models.ForeignKey(Drug, on_delete=models.CASCADE, related_name="price_caps")
    # A cap is one programme's policy (its region's bureau sets it), not the national
    # catalogue's: a Guiyang admin cannot set what a Hengyang pharmacy may charge.
    programme = models.ForeignKey(
        Programme, on_delete=models.PROTECT, related_name="price_caps", verbose_name=_("方案")
    )
    basis = models.CharField(_("限价依据"), max_length=20, choices=PriceCapBasis.choices)
    price = models.DecimalField(
        _("挂网价（元）"), max_digits=12, decimal_places=4, validators=[MinValueValidator(0)]
    )
    source = models.CharField(_("来源"), max_length=100)
    effective_on = models.DateField(_("执行日期"))
    history = HistoricalRecords(get_user=history_user)

    class Meta:
        ordering = ["drug", "programme", "-effective_on"]
        verbose_name = _("限价")
        verbose_name_plural = _("限价")

    def __str__(self) -> str:
        return f"{self.drug} {self.get_basis_display()} {self.price}"


# Foreign keys the database checks once per statement instead of once per row (migration
# inventory 0005): a declared key costs one lookup per imported row, four per row of a
# purchase import. Inserted keys must exist and are locked FOR KEY SHARE as a declared key
# locks them; changed keys are checked row by row; deleting a referenced row is refused at
# commit. SQLSTATE 23503, so Django raises IntegrityError (tests/inventory/test_ledger_keys.py).
LEDGER_KEYS = (
    ("StockBatch", "pharmacy"),
    ("StockBatch", "drug"),
    ("Movement", "batch"),
    ("TraceabilityCode", "batch"),
)


class StockBatch(models.Model):
    """Stock on hand of one drug batch at one pharmacy (kept equal to the sum of movements)."""

    # The unique (pharmacy, drug, batch_no) index serves pharmacy lookups.
    # `pharmacy` and `drug` (like Movement.batch and TraceabilityCode.batch) are foreign keys
    # the database checks once per statement, not once per row: see LEDGER_KEYS above.
    pharmacy = models.ForeignKey(
        Pharmacy,
        on_delete=models.PROTECT,
        related_name="batches",
        db_index=False,
        db_constraint=False,
    )
    # No index of its own: nothing looks batches up by drug alone (drugs are deactivated,
    # not deleted), and every imported batch would maintain it.
    drug = models.ForeignKey(
        Drug, on_delete=models.PROTECT, related_name="batches", db_index=False, db_constraint=False
    )
    batch_no = models.CharField(_("批号"), max_length=40)
    production_date = models.DateField(_("生产日期"), null=True, blank=True)
    expiry_date = models.DateField(_("有效期至"), null=True, blank=True)
    quantity = models.IntegerField(_("库存数量"), default=0)

    class Meta:
        ordering = ["drug__generic_name", "expiry_date", "batch_no"]
        constraints = [
            models.UniqueConstraint(
                fields=["pharmacy", "drug", "batch_no"], name="stock_batch_once"
            ),
            # HY-E06 / stock_sale_book: stock never goes negative, even under concurrency.
            models.CheckConstraint(
                condition=models.Q(quantity__gte=0), name="stock_batch_not_negative"
            ),
        ]
        verbose_name = _("批次库存")
        verbose_name_plural = _("批次库存")

    def __str__(self) -> str:
        return f"{self.drug} [{self.batch_no}]"


class MovementKind(models.TextChoices):
    # Semantics of the national platform's inventory interfaces (3501–3506).
    PURCHASE = "purchase", _("采购入库")
    PURCHASE_RETURN = "purchase_return", _("采购退货")
    SALE = "sale", _("销售")
    SALE_RETURN = "sale_return", _("销售退货")
    TRANSFER_IN = "transfer_in", _("调入")
    TRANSFER_OUT = "transfer_out", _("调出")
    LOSS = "loss", _("报损")
    DESTRUCTION = "destruction", _("销毁")
    STOCKTAKE_GAIN = "stocktake_gain", _("盘盈")
    STOCKTAKE_LOSS = "stocktake_loss", _("盘亏")


# Direction of each kind: quantities are stored signed so the stock is one SUM().
MOVEMENT_SIGN: dict[str, int] = {
    MovementKind.PURCHASE: 1,
    MovementKind.PURCHASE_RETURN: -1,
    MovementKind.SALE: -1,
    MovementKind.SALE_RETURN: 1,
    MovementKind.TRANSFER_IN: 1,
    MovementKind.TRANSFER_OUT: -1,
    MovementKind.LOSS: -1,
    MovementKind.DESTRUCTION: -1,
    MovementKind.STOCKTAKE_GAIN: 1,
    MovementKind.STOCKTAKE_LOSS: -1,
}

# Kinds a pharmacy records by hand (page and API); purchases come by import, sales from
# dispensing as well, stocktake gains/losses only from an accepted stocktake.
MANUAL_KINDS: tuple[str, ...] = (
    MovementKind.PURCHASE_RETURN,
    MovementKind.SALE,
    MovementKind.SALE_RETURN,
    MovementKind.TRANSFER_IN,
    MovementKind.TRANSFER_OUT,
    MovementKind.LOSS,
    MovementKind.DESTRUCTION,
)

# HY-B03: a code that left a pharmacy by these kinds may arrive at another one (transfer in,
# purchase import); a lost, destroyed or sold code may not.
CODE_MAY_RETURN_KINDS = frozenset({MovementKind.TRANSFER_OUT, MovementKind.PURCHASE_RETURN})

# The national drug traceability code: 20 ASCII digits, one per unit (HY-B03); match with
# fullmatch(). TRACEABILITY_CODE_SQL is the same for PostgreSQL's `~`.
TRACEABILITY_CODE_RE = re.compile(r"[0-9]{20}")
TRACEABILITY_CODE_SQL = "^[0-9]{20}$"


class CounterpartyKind(models.TextChoices):
    SAME_OWNER = "same_owner", _("同一经营主体的其他门店")
    OTHER = "other", _("其他单位")


# The national platform interface each kind is reported through.
PLATFORM_INTERFACE: dict[str, str] = {
    MovementKind.PURCHASE: "3503",
    MovementKind.PURCHASE_RETURN: "3504",
    MovementKind.SALE: "3505",
    MovementKind.SALE_RETURN: "3506",
    MovementKind.TRANSFER_IN: "3502",
    MovementKind.TRANSFER_OUT: "3502",
    MovementKind.LOSS: "3502",
    MovementKind.DESTRUCTION: "3502",
    MovementKind.STOCKTAKE_GAIN: "3501",
    MovementKind.STOCKTAKE_LOSS: "3501",
}


class PurchaseImportStatus(models.TextChoices):
    PENDING = "pending", _("排队中")
    RUNNING = "running", _("校验中")
    FAILED = "failed", _("未导入（有错误）")
    IMPORTED = "imported", _("已导入")


PURCHASE_IMPORT_TRANSITIONS: dict[str, frozenset[str]] = {
    PurchaseImportStatus.PENDING: frozenset({PurchaseImportStatus.RUNNING}),
    # Back to PENDING only when its worker stopped beating (purchase_imports_recover).
    PurchaseImportStatus.RUNNING: frozenset(
        {PurchaseImportStatus.FAILED, PurchaseImportStatus.IMPORTED, PurchaseImportStatus.PENDING}
    ),
}
PURCHASE_IMPORT_FINAL = frozenset({PurchaseImportStatus.FAILED, PurchaseImportStatus.IMPORTED})


class PurchaseImport(models.Model):
    """An uploaded purchase ledger file; imported whole or not at all."""

    pharmacy = models.ForeignKey(Pharmacy, on_delete=models.PROTECT, related_name="imports")
    file = models.FileField(_("文件"), upload_to="inventory/imports/%Y/%m/")
    original_name = models.CharField(_("文件名"), max_length=200)
    file_format = models.CharField(_("格式"), max_length=10)
    sha256 = models.CharField(max_length=64, db_index=True)
    status = models.CharField(
        _("状态"),
        max_length=20,
        choices=PurchaseImportStatus.choices,
        default=PurchaseImportStatus.PENDING,
    )
    progress = models.PositiveSmallIntegerField(_("进度（%）"), default=0)
    row_count = models.PositiveIntegerField(_("行数"), default=0)
    errors = models.JSONField(_("错误"), default=list, blank=True)
    uploaded_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Written when a worker takes the import and at each progress step: an import RUNNING
    # whose heartbeat stopped had its worker die (purchase_imports_recover).
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # The same file is imported at most once per pharmacy.
            models.UniqueConstraint(
                fields=["pharmacy", "sha256"],
                condition=models.Q(status="imported"),
                name="purchase_import_file_once",
            )
        ]
        verbose_name = _("进货导入")
        verbose_name_plural = _("进货导入")

    def __str__(self) -> str:
        return self.original_name


class Movement(models.Model):
    """One ledger row: a signed quantity of one batch, with the GY-A06 purchase fields.

    Indexed by (pharmacy, time) only: the composite serves every pharmacy lookup, and fewer
    indexes keep 100,000-row imports fast."""

    # Database-level keys: `batch` (checked per statement, LEDGER_KEYS), `returns_of` and
    # `created_by` (declared foreign keys). `pharmacy` and `drug` repeat the batch's own, and
    # `purchase_import` is the import record locked by the transaction writing the rows;
    # the values are copied by our own code (imports: INSERT … SELECT from the checked
    # batch join), never taken from a user. PostgreSQL checks each foreign key row by row
    # (11 checks per imported row before this), so these three are declared to Django only
    # (db_constraint=False; on_delete=PROTECT still applies in the ORM), and
    # tests/inventory/test_ledger_integrity.py checks they always equal the batch's.
    pharmacy = models.ForeignKey(
        Pharmacy,
        on_delete=models.PROTECT,
        related_name="movements",
        db_index=False,
        db_constraint=False,
    )
    # Not indexed: movements are read by pharmacy and time (reconciliation, lists); no page
    # reads one batch's movements, and batches are never deleted.
    batch = models.ForeignKey(
        StockBatch,
        on_delete=models.PROTECT,
        related_name="movements",
        db_index=False,
        db_constraint=False,  # checked per statement: LEDGER_KEYS
    )
    drug = models.ForeignKey(
        Drug, on_delete=models.PROTECT, related_name="+", db_index=False, db_constraint=False
    )
    kind = models.CharField(_("类型"), max_length=20, choices=MovementKind.choices)
    quantity = models.IntegerField(_("数量（入正出负）"))
    unit_price = models.DecimalField(
        _("单价（元）"), max_digits=12, decimal_places=4, null=True, blank=True
    )
    occurred_at = models.DateTimeField(_("发生时间"))
    supplier = models.CharField(_("供货单位"), max_length=100, blank=True)
    invoice_no = models.CharField(_("发票号"), max_length=40, blank=True)
    delivery_note_no = models.CharField(_("随货单号"), max_length=40, blank=True)
    reference = models.CharField(_("单据号"), max_length=60, blank=True)
    traceability_codes = models.JSONField(_("追溯码"), default=list, blank=True)
    # Transfers: who the stock came from or went to (HY-E06 keeps transfer orders).
    # db_default so bulk COPY inserts that name only the purchase columns still work.
    counterparty_kind = models.CharField(
        _("对方类型"),
        max_length=20,
        choices=CounterpartyKind.choices,
        blank=True,
        default="",
        db_default="",
    )
    counterparty = models.CharField(
        _("对方单位"), max_length=100, blank=True, default="", db_default=""
    )
    reason = models.CharField(_("原因"), max_length=200, blank=True, default="", db_default="")
    # A sale return names the sale it returns (partly or wholly).
    returns_of = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="returns",
        verbose_name=_("原销售记录"),
        db_index=False,  # a partial index below: imports write no entries for it
    )
    entered_by_hand = models.BooleanField(_("手工登记"), default=False, db_default=False)
    purchase_import = models.ForeignKey(
        PurchaseImport,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="movements",
        db_index=False,
        db_constraint=False,  # see `pharmacy` above
    )
    created_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["pharmacy", "occurred_at"], name="movement_pharmacy_time"),
            models.Index(
                fields=["returns_of"],
                condition=models.Q(returns_of__isnull=False),
                name="movement_returns_of",
            ),
        ]
        verbose_name = _("进销存记录")
        verbose_name_plural = _("进销存记录")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.quantity}"


class TraceabilityCode(models.Model):
    """A drug traceability code (追溯码): received once by a purchase, sold at most once."""

    # Unique by a constraint, not unique=True: that would add a second (LIKE) index on
    # PostgreSQL, written on every code received or sold and never read (codes are looked up
    # whole).
    code = models.CharField(_("追溯码"), max_length=40)
    # Looked up by code (unique) only; the links are kept, not searched.
    # `batch` is the database-level anchor (LEDGER_KEYS). `pharmacy` repeats the batch's, and
    # `received_in` / `sold_in` / `left_in` are the movement written just before by the same
    # transaction (import, transfer, sale, loss), so none of them has a database foreign key
    # (see Movement.pharmacy; checked by tests/inventory/test_ledger_integrity.py).
    pharmacy = models.ForeignKey(
        Pharmacy, on_delete=models.PROTECT, related_name="+", db_index=False, db_constraint=False
    )
    batch = models.ForeignKey(
        StockBatch,
        on_delete=models.PROTECT,
        related_name="codes",
        db_index=False,
        db_constraint=False,  # checked per statement: LEDGER_KEYS
    )
    received_in = models.ForeignKey(
        Movement,
        on_delete=models.PROTECT,
        null=True,
        related_name="codes_received",
        db_index=False,
        db_constraint=False,
    )
    sold_in = models.ForeignKey(
        Movement,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="codes_sold",
        db_index=False,
        db_constraint=False,
    )
    # Left the pharmacy without a sale: returned to the supplier, transferred out, lost or
    # destroyed. A code transferred or returned may be received again elsewhere.
    left_in = models.ForeignKey(
        Movement,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="codes_left",
        db_index=False,
        db_constraint=False,
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["code"], name="traceability_code_once")]
        verbose_name = _("追溯码")
        verbose_name_plural = _("追溯码")

    def __str__(self) -> str:
        return self.code


class StocktakeStatus(models.TextChoices):
    OPEN = "open", _("待盘点")
    SUBMITTED = "submitted", _("已提交待审核")
    ACCEPTED = "accepted", _("已审核")


# The allowed moves: inventory/transitions.py (the stocktake workflow).


class Stocktake(models.Model):
    """A quarterly stocktake of one pharmacy for one programme (HY-E06)."""

    pharmacy = models.ForeignKey(Pharmacy, on_delete=models.PROTECT, related_name="stocktakes")
    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="+")
    period_start = models.DateField(_("盘点期起"))
    period_end = models.DateField(_("盘点期止"))
    due_on = models.DateField(_("报送截止日"))
    blind = models.BooleanField(_("盲盘"), default=False)
    status = models.CharField(
        _("状态"), max_length=20, choices=StocktakeStatus.choices, default=StocktakeStatus.OPEN
    )
    counted_at = models.DateTimeField(_("实盘时间"), null=True, blank=True)
    sheet = models.FileField(_("实盘表"), upload_to="inventory/stocktakes/%Y/", blank=True)
    is_imbalanced = models.BooleanField(_("账实不符"), default=False)
    submitted_at = models.DateTimeField(null=True, blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reminded_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-period_start", "pharmacy__organisation__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["pharmacy", "programme", "period_start"], name="stocktake_once_per_period"
            )
        ]
        verbose_name = _("季度盘点")
        verbose_name_plural = _("季度盘点")

    def __str__(self) -> str:
        return f"{self.pharmacy} {self.period_start:%Y-%m}—{self.period_end:%Y-%m}"


class StocktakeLine(models.Model):
    """Reconciliation of one batch: opening + movements of the period against the count."""

    stocktake = models.ForeignKey(Stocktake, on_delete=models.CASCADE, related_name="lines")
    batch = models.ForeignKey(StockBatch, on_delete=models.PROTECT, related_name="+")
    opening = models.IntegerField(_("期初"))
    purchases = models.IntegerField(_("采购"), default=0)
    purchase_returns = models.IntegerField(_("采购退货"), default=0)
    sales = models.IntegerField(_("销售"), default=0)
    sale_returns = models.IntegerField(_("销售退货"), default=0)
    transfers_in = models.IntegerField(_("调入"), default=0)
    transfers_out = models.IntegerField(_("调出"), default=0)
    losses = models.IntegerField(_("报损销毁"), default=0)
    adjustments = models.IntegerField(_("盘盈盘亏"), default=0)
    expected = models.IntegerField(_("账面数量"))
    counted = models.IntegerField(_("实盘数量"))
    difference = models.IntegerField(_("差异"))
    reason = models.CharField(_("差异原因"), max_length=200, blank=True)

    class Meta:
        ordering = ["batch__drug__generic_name", "batch__batch_no"]
        constraints = [
            models.UniqueConstraint(fields=["stocktake", "batch"], name="stocktake_line_once")
        ]
        verbose_name = _("盘点明细")
        verbose_name_plural = _("盘点明细")

    def __str__(self) -> str:
        return f"{self.batch_id}: {self.expected} / {self.counted}"


class StocktakeEvent(TransitionEvent):
    stocktake = models.ForeignKey(Stocktake, on_delete=models.CASCADE, related_name="events")
