"""HY-F01 appendix: 特门 profiles of the expert-qualified hospitals that already exist."""

from django.db import migrations

from patients.reference import ensure


def seed(apps, schema_editor):
    ensure(apps)


class Migration(migrations.Migration):
    dependencies = [("patients", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
