import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("inventory", "0008_price_cap_programme_data")]

    operations = [
        migrations.AlterField(
            model_name='pricecap',
            name='programme',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='price_caps', to='programmes.programme', verbose_name='方案'),
        ),
    ]
