"""SV-F10 (licensed pharmacist not on duty) and SV-F09 (settling for others, two signals):
their rows and each programme's starting thresholds (supervision-rules.md: starting values
for the bureau to tune); a threshold the bureau already set is kept."""

from django.db import migrations

RULES = [
    (
        "SV-F09",
        "代他人结算：某药品月度医保结算数量超过期初库存加当月采购和调入；"
        "代他人结算：从非同一经营主体调入药品后短期内大量结算",
        "priority_inspection",
    ),
    (
        "SV-F10",
        "执业药师不在岗：处方药结算当日本店无在职且排班在岗的执业药师（HY-E01）",
        "priority_inspection",
    ),
]

THRESHOLDS = {
    "SV-F09": {"tolerance": 0, "days": 7, "share": 0.5},
    "SV-F10": {"min_dispensings": 1},
}


def forwards(apps, schema_editor):
    Rule = apps.get_model("supervision", "SupervisionRule")
    for rule_id, description, severity in RULES:
        Rule.objects.update_or_create(
            rule_id=rule_id, defaults={"description": description}, create_defaults={
                "description": description, "severity": severity
            }
        )
    from django.utils import timezone

    Programme = apps.get_model("programmes", "Programme")
    HistoricalProgramme = apps.get_model("programmes", "HistoricalProgramme")
    for programme in Programme.objects.all():
        params = dict(programme.supervision_parameters or {})
        for rule_id, values in THRESHOLDS.items():
            own = dict(params.get(rule_id) or {})
            for key, value in values.items():
                own.setdefault(key, value)
            params[rule_id] = own
        if params == programme.supervision_parameters:
            continue
        Programme.objects.filter(pk=programme.pk).update(supervision_parameters=params)
        # With a history row of its own, so the next recorded edit claims only its own change.
        programme.supervision_parameters = params
        fields = {f.attname: getattr(programme, f.attname) for f in Programme._meta.concrete_fields}
        fields.pop("updated_at", None)
        HistoricalProgramme.objects.create(
            **fields,
            history_date=timezone.now(),
            history_type="~",
            history_change_reason="基金监管规则参数（新增规则的起始值）",
        )


class Migration(migrations.Migration):
    dependencies = [("supervision", "0007_event_reason_key")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
