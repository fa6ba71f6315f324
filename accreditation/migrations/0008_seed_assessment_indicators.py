"""Seed the yearly assessment indicators (see accreditation/reference.py)."""

from django.db import migrations

from accreditation.reference import ensure


def seed(apps, schema_editor):
    ensure(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("accreditation", "0007_assessment_sheet"),
        ("programmes", "0002_seed_programmes"),
    ]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
