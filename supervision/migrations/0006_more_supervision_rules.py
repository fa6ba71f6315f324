"""Rules added after the engine (issue 17.1, the rest of the catalogue): their rows (or the new
description of an ID that gained a signal) and each programme's starting thresholds for the
new keys (supervision-rules.md: starting values for the bureau to tune); a threshold the
bureau already set is kept."""

from django.db import migrations

RULES = [
    (
        "SV-F11",
        "年底突击刷卡：12 月统筹基金结算额高于本店此前月均值加若干倍标准差",
        "normal",
    ),
    (
        "SV-F13",
        "价格：多次以高于限价的价格试图结算（HY-B02、GY-C01 拒绝）；"
        "价格：几乎每一行都按最高限价销售（未记录市场参考价，不核对偏离市场价）",
        "normal",
    ),
]

THRESHOLDS = {
    "SV-F11": {"sigmas": 3, "min_months": 6},
    "SV-F13": {"cap_percent": 95, "min_lines": 30},
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
    dependencies = [("supervision", "0005_supervision_rules_and_programme_thresholds")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
