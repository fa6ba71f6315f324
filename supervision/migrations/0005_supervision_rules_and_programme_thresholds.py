"""The engine's rules as data: one row per rule, and each programme's starting thresholds
(supervision-rules.md: starting values for the bureau to tune) in supervision_parameters."""

from django.db import migrations

RULES = [
    ("HY-E06", "逾期未报送盘点表", "normal"),
    ("SV-F01", "回流药：已售出的追溯码再次结算", "priority_inspection"),
    ("SV-F02", "串换：药店多次试图串换药品或结算目录外商品（HY-G10 拒绝）", "normal"),
    ("SV-F03", "进销存不符：盘点差异超出允许范围", "priority_inspection"),
    ("SV-F04", "空刷/套刷：短时间内一家药店集中结算多名患者", "priority_inspection"),
    ("SV-F05", "冒名购药：患者住院期间多次试图购药（HY-G08 拒绝）", "normal"),
    ("SV-F06", "超量购药：多次超出待遇或额度试图购药（HY-G07 拒绝）", "normal"),
    ("SV-F13", "价格：多次以高于限价的价格试图结算（HY-B02、GY-C01 拒绝）", "normal"),
    ("SV-F14", "外包经营：结算由不在本店人员名单内的账号录入（GY-B02）", "normal"),
]

THRESHOLDS = {
    "SV-F02": {"attempts": 2},
    "SV-F04": {"patients": 5, "minutes": 10},
    "SV-F05": {"attempts": 2},
    "SV-F06": {"attempts": 2},
    "SV-F13": {"attempts": 2},
}


def forwards(apps, schema_editor):
    Rule = apps.get_model("supervision", "SupervisionRule")
    for rule_id, description, severity in RULES:
        Rule.objects.get_or_create(
            rule_id=rule_id, defaults={"description": description, "severity": severity}
        )
    from django.utils import timezone

    Programme = apps.get_model("programmes", "Programme")
    HistoricalProgramme = apps.get_model("programmes", "HistoricalProgramme")
    for programme in Programme.objects.all():
        params = dict(programme.supervision_parameters or {})
        for rule_id, values in THRESHOLDS.items():
            params.setdefault(rule_id, dict(values))
        if params == programme.supervision_parameters:
            continue
        Programme.objects.filter(pk=programme.pk).update(supervision_parameters=params)
        # With a history row of its own: without one, the next recorded edit would claim this
        # change too (issue 16.7).
        programme.supervision_parameters = params
        fields = {f.attname: getattr(programme, f.attname) for f in Programme._meta.concrete_fields}
        fields.pop("updated_at", None)
        HistoricalProgramme.objects.create(
            **fields,
            history_date=timezone.now(),
            history_type="~",
            history_change_reason="基金监管规则参数（起始值）",
        )


class Migration(migrations.Migration):
    dependencies = [
        ("supervision", "0004_supervision_rules_engine"),
        ("programmes", "0014_programme_supervision_parameters"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
