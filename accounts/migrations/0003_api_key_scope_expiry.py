from datetime import timedelta

from django.db import migrations, models

# Keys issued before scopes existed get their organisation's system scope; they expire a year
# after they were issued (the default validity), and keys older than that get 30 days' grace.
_SCOPE_BY_KIND = {
    "pharmacy": "pos",
    "hospital": "his",
    "township_window": "his",
    "county_window": "his",
}


def _backfill(apps, schema_editor):
    from django.utils import timezone

    ApiKey = apps.get_model("accounts", "ApiKey")
    grace = timezone.now() + timedelta(days=30)
    for key in ApiKey.objects.select_related("organisation"):
        key.scope = _SCOPE_BY_KIND.get(key.organisation.kind, "read_only")
        key.expires_at = max(key.created_at + timedelta(days=365), grace)
        key.save(update_fields=["scope", "expires_at"])


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0002_second_factor_password_history'),
    ]

    operations = [
        migrations.AddField(
            model_name='apikey',
            name='expires_at',
            field=models.DateTimeField(null=True, verbose_name='到期时间'),
        ),
        migrations.AddField(
            model_name='apikey',
            name='scope',
            field=models.CharField(choices=[('pos', '药店收银（POS）'), ('his', '医院信息系统（HIS）'), ('read_only', '只读')], default='read_only', max_length=10, verbose_name='权限范围'),
            preserve_default=False,
        ),
        migrations.RunPython(_backfill, migrations.RunPython.noop),
        migrations.AlterField(
            model_name='apikey',
            name='expires_at',
            field=models.DateTimeField(verbose_name='到期时间'),
        ),
    ]
