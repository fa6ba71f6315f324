import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("core", "0003_holiday_override_region_data")]

    operations = [
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
