"""Issue 16.7: an edit's history row claims exactly the fields that edit changed. Editing one
programme parameter recorded five changes: a data migration had written parameters without a
history row, and the next row (a person's edit) claimed them; a form posted back unchanged
wrote a row too."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client, override_settings

from accounts.models import Role, User
from core.history import history_catch_up
from inventory.models import Drug
from programmes.models import Programme
from programmes.services import UNRECORDED
from tests.browserlike import form_as_submitted
from tests.factories.sessions import login

pytestmark = pytest.mark.django_db

EDIT = "/programmes/HY-TM/edit/"


def _changes(record: Any) -> list[str]:
    previous = record.prev_record
    assert previous is not None
    return sorted(change.field for change in record.diff_against(previous).changes)


def _post_edit(client: Client, **edits: str) -> Any:
    """The parameter form as the zh-hans page renders it, with `edits` typed in."""
    page = client.get(EDIT, HTTP_ACCEPT_LANGUAGE="zh-hans")
    data, _raw = form_as_submitted(page.content.decode(), EDIT)
    data.update({name: [value] for name, value in edits.items()})
    return client.post(EDIT, data, HTTP_ACCEPT_LANGUAGE="zh-hans")


def test_hy_c03_editing_one_parameter_records_exactly_that_change(
    personas: dict[str, User],
) -> None:
    admin = personas[Role.BUREAU_ADMIN]
    client = login(Client(), admin)
    hy = Programme.objects.get(code="HY-TM")
    before = hy.history.count()
    response = _post_edit(client, notice_working_days="7", reason="县局党组会议决定")
    assert response.status_code == 302
    assert hy.history.count() == before + 1
    record = hy.history.order_by("-history_date", "-history_id").first()
    assert record is not None
    assert (record.history_user, record.history_change_reason) == (admin, "县局党组会议决定")
    assert _changes(record) == ["notice_working_days"]
    done = client.get("/programmes/HY-TM/").content.decode()
    assert "已修改 1 项参数：公示期（工作日）" in done
    history = client.get("/programmes/HY-TM/history/").content.decode()
    latest = history[history.index("县局党组会议决定") :].split("</tr>")[0]
    assert latest.count("→") == 1 and "公示期（工作日）：5 → 7" in latest


def test_a_form_posted_back_unchanged_writes_no_history(personas: dict[str, User]) -> None:
    client = login(Client(), personas[Role.BUREAU_ADMIN])
    hy = Programme.objects.get(code="HY-TM")
    before = hy.history.count()
    response = _post_edit(client, reason="只是看看")
    assert response.status_code == 302
    assert hy.history.count() == before
    assert "参数没有变化" in client.get("/programmes/HY-TM/").content.decode()


def test_a_change_written_without_history_is_kept_apart_from_the_next_edit(
    personas: dict[str, User],
) -> None:
    # Given parameters written without a history row (as migration 0005 once did)
    Programme.objects.filter(code="HY-TM").update(near_expiry_days=60, stocktake_blind=True)
    client = login(Client(), personas[Role.BUREAU_ADMIN])
    # When the admin edits one parameter
    assert _post_edit(client, notice_working_days="7", reason="调整公示期").status_code == 302
    # Then the silent changes are a row of their own, by no one, and the edit claims only its own
    hy = Programme.objects.get(code="HY-TM")
    edit, silent = hy.history.order_by("-history_date", "-history_id")[:2]
    assert _changes(edit) == ["notice_working_days"]
    assert _changes(silent) == ["near_expiry_days", "stocktake_blind"]
    assert silent.history_user is None and silent.history_change_reason == str(UNRECORDED)


def test_migration_0005_writes_a_row_for_the_parameters_it_sets() -> None:
    """Migration 0005 set five HY-TM parameters with update() and no history row, so the next
    row (0010's, or a person's first edit) claimed them; now it writes its own."""
    from importlib import import_module

    from django.apps import apps

    migration = import_module("programmes.migrations.0005_issue6_parameters")
    hy = Programme.objects.get(code="HY-TM")
    # Given HY-TM as it was before 0005, with its history up to date
    Programme.objects.filter(pk=hy.pk).update(
        stocktake_due_working_days=None,
        stocktake_reminder_working_days=None,
        stocktake_tolerance_units=None,
        near_expiry_days=None,
        approval_number_only=False,
    )
    before = Programme.objects.get(pk=hy.pk)
    assert history_catch_up(before, reason="测试前的状态")
    rows = hy.history.count()
    # When the migration's data step runs (its historical models send no history signals)
    with override_settings(SIMPLE_HISTORY_ENABLED=False):
        migration.set_values(apps, None)
    # Then its row names exactly what it set
    assert hy.history.count() == rows + 1
    record = hy.history.order_by("-history_date", "-history_id").first()
    assert record is not None and record.history_user is None
    assert record.history_change_reason == "补充盘点、近效期、准字号经营和目录配备参数"
    assert _changes(record) == [
        "approval_number_only",
        "near_expiry_days",
        "stocktake_due_working_days",
        "stocktake_reminder_working_days",
        "stocktake_tolerance_units",
    ]


def test_editing_one_catalogue_field_records_exactly_that_change(
    personas: dict[str, User],
) -> None:
    drug = Drug.objects.create(
        insurance_code="HH1", generic_name="缬沙坦胶囊", approval_number="国药准字H20040217"
    )
    admin = personas[Role.CATALOGUE_ADMIN]
    client = login(Client(), admin)
    url = f"/inventory/catalogue/{drug.pk}/"
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    # The entry's own form is the one marked action=drug; a form without an action attribute
    # posts to the page's address.
    start = page.index('<form method="post">', page.index("<main"))
    form = page[start : page.index("</form>", start) + len("</form>")]
    assert 'name="action" value="drug"' in form
    html = form.replace('<form method="post">', f'<form method="post" action="{url}">', 1)
    data, _raw = form_as_submitted(html, url)
    before = drug.history.count()
    # Posted back unchanged: no change, no history row.
    unchanged = {**data, "reason": ["只是看看"]}
    assert client.post(url, unchanged, HTTP_ACCEPT_LANGUAGE="zh-hans").status_code == 302
    assert drug.history.count() == before
    data.update({"specification": ["80mg*28粒"], "reason": ["补充规格"]})
    response = client.post(url, data, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 302
    assert drug.history.count() == before + 1
    record = drug.history.order_by("-history_date", "-history_id").first()
    assert record is not None and record.history_user == admin
    assert _changes(record) == ["specification"]
