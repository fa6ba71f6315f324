"""Issue 12.4: holiday overrides belong to a region and are withdrawn, not deleted.

Existing entries were global. Each goes to the region of the bureau whose admin entered it
(the creator's first active bureau membership); an entry whose creator is unknown or not a
bureau member is copied to every top-level region (a city: it applies to the counties below),
so that no calendar changes on migrating and each region can withdraw its copy alone."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

BUREAU_KINDS = ("bureau", "centre")


def assign_regions(apps, schema_editor):
    HolidayOverride = apps.get_model("core", "HolidayOverride")
    Membership = apps.get_model("accounts", "Membership")
    Region = apps.get_model("accounts", "Region")
    top_level = list(Region.objects.filter(parent__isnull=True).values_list("pk", flat=True))
    for override in HolidayOverride.objects.filter(region__isnull=True).order_by("pk"):
        region_id = (
            Membership.objects.filter(
                user_id=override.created_by_id,
                is_active=True,
                organisation__kind__in=BUREAU_KINDS,
            )
            .order_by("pk")
            .values_list("organisation__region_id", flat=True)
            .first()
            if override.created_by_id
            else None
        )
        targets = [region_id] if region_id else top_level
        if not targets:  # no region at all (an empty installation): nothing can use it
            override.delete()
            continue
        override.region_id = targets[0]
        override.save(update_fields=["region"])
        for extra in targets[1:]:
            HolidayOverride.objects.create(
                region_id=extra,
                date=override.date,
                is_working_day=override.is_working_day,
                name=override.name,
                created_by_id=override.created_by_id,
            )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("core", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="holidayoverride",
            options={
                "ordering": ["date", "id"],
                "verbose_name": "节假日调整",
                "verbose_name_plural": "节假日调整",
            },
        ),
        migrations.AlterField(
            model_name="holidayoverride",
            name="date",
            field=models.DateField(verbose_name="日期"),
        ),
        migrations.AddField(
            model_name="holidayoverride",
            name="region",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="holiday_overrides",
                to="accounts.region",
                verbose_name="行政区划",
            ),
        ),
        migrations.AddField(
            model_name="holidayoverride",
            name="deleted_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="删除时间"),
        ),
        migrations.AddField(
            model_name="holidayoverride",
            name="deleted_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.RunPython(assign_regions, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="holidayoverride",
            name="region",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="holiday_overrides",
                to="accounts.region",
                verbose_name="行政区划",
            ),
        ),
        migrations.AddConstraint(
            model_name="holidayoverride",
            constraint=models.UniqueConstraint(
                condition=models.Q(("deleted_at__isnull", True)),
                fields=("region", "date"),
                name="holiday_override_once_per_region_day",
            ),
        ),
    ]
