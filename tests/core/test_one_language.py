"""Issue 16.5, one language at a time: a notification is stored as a message name and its
parameters and shown in the reader's language; timelines name states by their labels; the
parameter page has no English in the Chinese UI; scripts/check_messages.py catches a template
string without an English translation and Chinese outside a translate tag."""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from django.test import Client, override_settings
from django.utils import translation

from accounts.models import Role, User
from accreditation.models import ApplicationStatus
from core.models import Notification
from core.notifications import notification_send
from tests.browserlike import form_as_submitted
from tests.factories.accreditation import hy, manager_of, pharmacy, submitted
from tests.factories.sessions import login

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
import check_messages  # noqa: E402

pytestmark = pytest.mark.django_db


def _visible_text(html: str) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


def _notify(user: User) -> Notification:
    notification_send(
        recipients=[user],
        key="one-language",
        message="application_status",
        params={"c": "HY-TM", "s": ApplicationStatus.SUBMITTED.label, "note": "请补充材料"},
        link="/accreditation/",
    )
    return Notification.objects.get(recipient=user, key="one-language")


def test_a_notification_is_shown_in_the_readers_language(personas: dict[str, User]) -> None:
    user = personas[Role.BUREAU_REVIEWER]
    with translation.override("en"):  # who triggers it does not choose the stored language
        note = _notify(user)
    assert note.message == "application_status"
    assert note.params["s"] == {"label": "已提交"}
    assert note.subject == "定点申请（HY-TM）状态：已提交"  # the Chinese text as sent
    with translation.override("zh-hans"):
        assert note.display_subject == "定点申请（HY-TM）状态：已提交"
    with translation.override("en"):
        assert note.display_subject == "Designation application (HY-TM) status: Submitted"
        assert note.display_body == "请补充材料"  # what a person wrote stays as written
    client = login(Client(), user)
    zh = _visible_text(
        client.get("/notifications/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    )
    assert "定点申请（HY-TM）状态：已提交" in zh
    client.cookies["django_language"] = "en"
    en = _visible_text(client.get("/notifications/").content.decode())
    assert "Designation application (HY-TM) status: Submitted" in en
    assert "已提交" not in en


def test_an_old_row_without_a_message_name_shows_its_stored_text(
    personas: dict[str, User],
) -> None:
    note = Notification.objects.create(
        recipient=personas[Role.BUREAU_REVIEWER], key="old", subject="旧消息", body="正文"
    )
    with translation.override("en"):
        assert (note.display_subject, note.display_body) == ("旧消息", "正文")


@override_settings(DINGDIAN_EMAIL_NOTIFICATIONS=True)
def test_the_email_goes_in_the_recipients_language(personas: dict[str, User]) -> None:
    user = personas[Role.BUREAU_REVIEWER]
    user.email = "reviewer@example.cn"
    user.save(update_fields=["email"])
    with translation.override("en"):
        _notify(user)
    assert mail.outbox[-1].subject == "定点申请（HY-TM）状态：已提交"  # no language: Chinese
    user.language = "en"  # type: ignore[attr-defined]
    notification_send(
        recipients=[user], key="in-english", message="notice_over", params={"p": "仁和大药房"}
    )
    assert "仁和大药房" in mail.outbox[-1].subject and "公示" not in mail.outbox[-1].subject


def test_hy_c01_the_timeline_names_states_by_their_labels(db: Any) -> None:
    p = pharmacy()
    manager = manager_of(p)
    application = submitted(p, hy(), manager)
    client = login(Client(), manager)
    url = f"/accreditation/applications/{application.pk}/"
    zh = _visible_text(client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode())
    assert "草稿 → 已提交" in zh
    assert "→ submitted" not in zh and "draft →" not in zh
    client.cookies["django_language"] = "en"
    en = _visible_text(client.get(url).content.decode())
    assert "Draft → Submitted" in en
    assert "→ submitted" not in en and "draft →" not in en


def test_the_parameter_page_has_no_english_in_the_chinese_ui(personas: dict[str, User]) -> None:
    client = login(Client(), personas[Role.BUREAU_ADMIN])
    for url in ("/programmes/HY-TM/", "/programmes/HY-TM/edit/"):
        text = _visible_text(client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode())
        english = re.findall(r"\b[A-Za-z]{2,}\b(?: +[a-z]{2,}\b)+", text)
        assert english == [], (url, english[:5])


def _tree(tmp_path: Path, template: str) -> Path:
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "page.html").write_text(template, encoding="utf-8")
    shutil.copytree(ROOT / "locale", tmp_path / "locale")
    return tmp_path


def _entries(root: Path) -> dict[str, str]:
    return check_messages.translations(root / "locale/en/LC_MESSAGES/django.po")


def test_check_messages_fails_on_an_untranslated_template_string(tmp_path: Path) -> None:
    root = _tree(tmp_path, '{% load i18n %}<h1>{% translate "从未翻译的标题" %}</h1>\n')
    problems = check_messages.template_problems(root, _entries(root))
    assert problems == ["templates/page.html: not translated in English: '从未翻译的标题'"]


def test_check_messages_fails_on_chinese_outside_a_translate_tag(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        "{% load i18n %}<p>{% blocktranslate %}普通病种下一批集中申报：{{ start }} 至 {{ end }}；"
        "五种即时办理病种可随时到县政务中心特门窗口办理。{% endblocktranslate %}</p>"
        '<p>{% translate "消息" %}</p><p>未翻译</p>\n',
    )
    problems = check_messages.template_problems(root, _entries(root))
    assert len(problems) == 1 and "Chinese outside a translate tag" in problems[0]


def test_check_messages_passes_on_the_project() -> None:
    entries = _entries(ROOT)
    assert check_messages.template_problems(ROOT, entries) == []
    assert check_messages.model_label_problems() == []


def test_the_parameter_history_shows_flags_and_choices_by_their_labels(
    personas: dict[str, User],
) -> None:
    client = login(Client(), personas[Role.BUREAU_ADMIN])
    edit = "/programmes/HY-TM/edit/"
    page = client.get(edit, HTTP_ACCEPT_LANGUAGE="zh-hans")
    data, _raw = form_as_submitted(page.content.decode(), edit)
    if "stocktake_blind" in data:
        del data["stocktake_blind"]
    else:
        data["stocktake_blind"] = ["on"]
    data["reason"] = ["改盘点方式"]
    assert client.post(edit, data, HTTP_ACCEPT_LANGUAGE="zh-hans").status_code == 302
    zh = _visible_text(
        client.get("/programmes/HY-TM/history/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    )
    assert "是 → 否" in zh or "否 → 是" in zh
    assert "True" not in zh and "False" not in zh
