"""Issue 12.3: a price cap belongs to a programme (its region's bureau sets it).

Caps were keyed by basis only and shared by every region. Each existing cap goes to every
programme whose price-cap basis it is (HY-TM: hospital listed; GY-PT: platform listed), one
row per programme, so that no programme's caps change on migrating and each region then edits
its own. A cap of a basis no programme uses cannot cap any sale and is removed."""

from django.db import migrations



def assign_programmes(apps, schema_editor):
    PriceCap = apps.get_model("inventory", "PriceCap")
    Programme = apps.get_model("programmes", "Programme")
    by_basis: dict[str, list[int]] = {}
    for pk, basis in Programme.objects.order_by("code").values_list("pk", "price_cap_basis"):
        by_basis.setdefault(basis, []).append(pk)
    for cap in PriceCap.objects.filter(programme__isnull=True).order_by("pk"):
        programmes = by_basis.get(cap.basis, [])
        if not programmes:
            cap.delete()
            continue
        cap.programme_id = programmes[0]
        cap.save(update_fields=["programme"])
        for extra in programmes[1:]:
            PriceCap.objects.create(
                drug_id=cap.drug_id,
                programme_id=extra,
                basis=cap.basis,
                price=cap.price,
                source=cap.source,
                effective_on=cap.effective_on,
            )



class Migration(migrations.Migration):
    dependencies = [("inventory", "0007_price_cap_programme")]

    operations = [migrations.RunPython(assign_programmes, migrations.RunPython.noop)]
