"""Issue 6 parameters: stocktake due date, reminder, tolerance, blind count, near-expiry,
approval-number-only premises (HY-B01), catalogue stocking (GY-A05)."""

import django.core.validators
from decimal import Decimal
from django.db import migrations, models


ISSUE6_FIELDS = [
    "stocktake_due_working_days",
    "stocktake_reminder_working_days",
    "stocktake_tolerance_units",
    "stocktake_blind",
    "near_expiry_days",
    "approval_number_only",
    "catalogue_stocked_pct",
]


def set_values(apps, schema_editor):
    """Existing programme rows get the values reference.py seeds for new databases, each change
    with a history row (without one, the next row claimed these changes too: issue 16.7)."""
    from django.utils import timezone

    from programmes.reference import PROGRAMMES

    Programme = apps.get_model("programmes", "Programme")
    HistoricalProgramme = apps.get_model("programmes", "HistoricalProgramme")
    for spec in PROGRAMMES:
        values = {name: spec[name] for name in ISSUE6_FIELDS}
        programme = Programme.objects.filter(code=spec["code"]).first()
        if programme is None or all(getattr(programme, k) == v for k, v in values.items()):
            continue
        for name, value in values.items():
            setattr(programme, name, value)
        programme.save()
        fields = {f.attname: getattr(programme, f.attname) for f in Programme._meta.concrete_fields}
        fields.pop("updated_at", None)
        HistoricalProgramme.objects.create(
            **fields,
            history_date=timezone.now(),
            history_type="~",
            history_change_reason="补充盘点、近效期、准字号经营和目录配备参数",
        )


class Migration(migrations.Migration):

    dependencies = [
        ('programmes', '0004_seed_diseases'),
    ]

    operations = [
        migrations.AddField(
            model_name='historicalprogramme',
            name='approval_number_only',
            field=models.BooleanField(default=False, help_text='HY-B01: only drugs with an approval number (approved special foods excepted)', verbose_name='只经营准字号药品'),
        ),
        migrations.AddField(
            model_name='historicalprogramme',
            name='catalogue_stocked_pct',
            field=models.DecimalField(blank=True, decimal_places=2, help_text='GY-A05', max_digits=5, null=True, validators=[django.core.validators.MinValueValidator(Decimal('0')), django.core.validators.MaxValueValidator(Decimal('100'))], verbose_name='目录内药品配备率（%）'),
        ),
        migrations.AddField(
            model_name='historicalprogramme',
            name='near_expiry_days',
            field=models.PositiveSmallIntegerField(blank=True, help_text='stock ledger: batches expiring within N days', null=True, validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(1000)], verbose_name='近效期提示天数'),
        ),
        migrations.AddField(
            model_name='historicalprogramme',
            name='stocktake_blind',
            field=models.BooleanField(default=False, help_text='HY-E06', verbose_name='盲盘（盘点表不显示账面数量）'),
        ),
        migrations.AddField(
            model_name='historicalprogramme',
            name='stocktake_due_working_days',
            field=models.PositiveSmallIntegerField(blank=True, help_text='HY-E06: the stocktake sheet is due N working days after the quarter ends', null=True, validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(60)], verbose_name='盘点表报送期限（季末后工作日）'),
        ),
        migrations.AddField(
            model_name='historicalprogramme',
            name='stocktake_reminder_working_days',
            field=models.PositiveSmallIntegerField(blank=True, help_text='HY-E06: remind N working days before it is due', null=True, validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(30)], verbose_name='盘点提醒提前工作日'),
        ),
        migrations.AddField(
            model_name='historicalprogramme',
            name='stocktake_tolerance_units',
            field=models.PositiveIntegerField(blank=True, help_text='HY-E06: a difference above N units per batch needs a reason and is an imbalance', null=True, validators=[django.core.validators.MaxValueValidator(100000)], verbose_name='盘点允许差异（最小单位）'),
        ),
        migrations.AddField(
            model_name='programme',
            name='approval_number_only',
            field=models.BooleanField(default=False, help_text='HY-B01: only drugs with an approval number (approved special foods excepted)', verbose_name='只经营准字号药品'),
        ),
        migrations.AddField(
            model_name='programme',
            name='catalogue_stocked_pct',
            field=models.DecimalField(blank=True, decimal_places=2, help_text='GY-A05', max_digits=5, null=True, validators=[django.core.validators.MinValueValidator(Decimal('0')), django.core.validators.MaxValueValidator(Decimal('100'))], verbose_name='目录内药品配备率（%）'),
        ),
        migrations.AddField(
            model_name='programme',
            name='near_expiry_days',
            field=models.PositiveSmallIntegerField(blank=True, help_text='stock ledger: batches expiring within N days', null=True, validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(1000)], verbose_name='近效期提示天数'),
        ),
        migrations.AddField(
            model_name='programme',
            name='stocktake_blind',
            field=models.BooleanField(default=False, help_text='HY-E06', verbose_name='盲盘（盘点表不显示账面数量）'),
        ),
        migrations.AddField(
            model_name='programme',
            name='stocktake_due_working_days',
            field=models.PositiveSmallIntegerField(blank=True, help_text='HY-E06: the stocktake sheet is due N working days after the quarter ends', null=True, validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(60)], verbose_name='盘点表报送期限（季末后工作日）'),
        ),
        migrations.AddField(
            model_name='programme',
            name='stocktake_reminder_working_days',
            field=models.PositiveSmallIntegerField(blank=True, help_text='HY-E06: remind N working days before it is due', null=True, validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(30)], verbose_name='盘点提醒提前工作日'),
        ),
        migrations.AddField(
            model_name='programme',
            name='stocktake_tolerance_units',
            field=models.PositiveIntegerField(blank=True, help_text='HY-E06: a difference above N units per batch needs a reason and is an imbalance', null=True, validators=[django.core.validators.MaxValueValidator(100000)], verbose_name='盘点允许差异（最小单位）'),
        ),
        migrations.RunPython(set_values, migrations.RunPython.noop),
    ]
