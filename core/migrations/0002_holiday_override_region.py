"""Issue 12.4: holiday overrides belong to a region and are withdrawn, not deleted.

Existing entries were global. Each goes to the region of the bureau whose admin entered it
(the creator's first active bureau membership); an entry whose creator is unknown or not a
bureau member is copied to every top-level region (a city: it applies to the counties below),
so that no calendar changes on migrating and each region can withdraw its copy alone."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models



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
    ]
