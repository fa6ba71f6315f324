"""Issue 12.4: holiday overrides belong to a region and are withdrawn, not deleted.

Existing entries were global. Each goes to the region of the bureau whose admin entered it
(the creator's first active bureau membership); an entry whose creator is unknown or not a
bureau member is copied to every top-level region (a city: it applies to the counties below),
so that no calendar changes on migrating and each region can withdraw its copy alone."""

from django.db import migrations
BUREAU_KINDS = ('bureau', 'centre')


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
    dependencies = [("core", "0002_holiday_override_region")]

    operations = [migrations.RunPython(assign_regions, migrations.RunPython.noop)]
