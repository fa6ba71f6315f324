"""Seed the HY-TM diseases (see programmes/reference.py; amounts are demo values)."""

from django.db import migrations

from programmes.reference import ensure


def seed(apps, schema_editor):
    ensure(apps)


class Migration(migrations.Migration):
    dependencies = [("programmes", "0003_diseases")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
