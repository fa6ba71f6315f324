"""Issue 12.3: a price cap belongs to a programme (its region's bureau sets it).

Caps were keyed by basis only and shared by every region. Each existing cap goes to every
programme whose price-cap basis it is (HY-TM: hospital listed; GY-PT: platform listed), one
row per programme, so that no programme's caps change on migrating and each region then edits
its own. A cap of a basis no programme uses cannot cap any sale and is removed."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('inventory', '0006_traceability_code_unique_without_like_index'),
        ('programmes', '0009_stocktake_period_wording'),
    ]

    operations = [
        migrations.AlterModelOptions(
            name='pricecap',
            options={'ordering': ['drug', 'programme', '-effective_on'], 'verbose_name': '限价', 'verbose_name_plural': '限价'},
        ),
        migrations.AddField(
            model_name='historicalpricecap',
            name='programme',
            field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='programmes.programme', verbose_name='方案'),
        ),
        migrations.AddField(
            model_name='pricecap',
            name='programme',
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name='price_caps', to='programmes.programme', verbose_name='方案'),
        ),
    ]
