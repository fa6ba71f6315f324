"""Issue 16.5: every system-written event reason (core.event_messages) and history reason
(core.history) has an English rendering, and a person's words pass through unchanged."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.utils import translation

from core.event_messages import REASONS, Reason, event_fields, reason, render
from core.history import SYSTEM_REASONS, history_reason, source_text

CJK = re.compile(r"[\u4e00-\u9fff]")


def _params(key: str) -> dict[str, object]:
    names = re.findall(r"%\((\w+)\)s", str(REASONS[key]))
    return dict.fromkeys(names, "x")


@pytest.mark.parametrize("key", sorted(REASONS))
def test_each_named_reason_renders_in_both_languages(key: str) -> None:
    named = reason(key, **_params(key))
    assert CJK.search(named.source_text())
    with translation.override("en"):
        english = render(named.key, named.params)
    assert english and not CJK.search(english), (key, english)


def test_parameters_are_stored_json_safe_and_labels_translated() -> None:
    from django.utils.translation import gettext_lazy

    named = reason(
        "date_recomputed",
        year=2027,
        what=gettext_lazy("评估截止日"),
        old=date(2027, 1, 4),
        new=date(2027, 1, 6),
    )
    assert named.params["old"] == "2027-01-04"
    assert named.params["what"] == {"label": "评估截止日"}
    assert "评估截止日" in named.source_text()
    fields = event_fields(named)
    assert fields["reason_key"] == "date_recomputed" and fields["reason"] == named.source_text()


def test_a_persons_text_and_an_unknown_name_stay_as_they_are() -> None:
    assert event_fields("请复盘 B1") == {"reason": "请复盘 B1"}
    assert render("no-such-reason", {}) is None
    with pytest.raises(KeyError):
        reason("no-such-reason")
    assert isinstance(reason("case_opened"), Reason)


def test_system_history_reasons_are_stored_in_chinese_and_shown_in_the_readers_language() -> None:
    for known in SYSTEM_REASONS:
        stored = source_text(known)
        assert CJK.search(stored)
        with translation.override("en"):
            assert not CJK.search(history_reason(stored))
    with translation.override("en"):
        assert history_reason("按文件调整") == "按文件调整"
        assert history_reason(None) == ""
