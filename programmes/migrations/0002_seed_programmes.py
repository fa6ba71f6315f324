"""Seed the regions and the two programmes (see programmes/reference.py)."""

from django.db import migrations

from programmes.reference import ensure


def seed(apps, schema_editor):
    ensure(apps)


class Migration(migrations.Migration):
    dependencies = [("programmes", "0001_initial"), ("accounts", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
