"""Who a django-simple-history row names, for every historied model of ours, and history rows
that claim only the changes they made."""

from __future__ import annotations

from typing import Any

from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

# The reasons the system writes on history rows (django-simple-history keeps one text column):
# stored in the source language, shown in the reader's (`history_reason`). A person's reason
# is shown as written.
BEFORE_CHANGE = gettext_lazy("修改前的状态")
UNRECORDED = gettext_lazy("此前未经记录的修改（如数据迁移）")
FROM_POLICY = gettext_lazy("按政策文件初始化")
SYSTEM_REASONS = (BEFORE_CHANGE, UNRECORDED, FROM_POLICY)


def source_text(text: Any) -> str:
    """`text` (a lazy string) in the source language, as stored."""
    with translation.override("zh-hans"):
        return str(text)


def history_reason(stored: str | None) -> str:
    """A history row's reason in the reader's language: a system reason translated, anything
    else (a person's words) as stored."""
    for known in SYSTEM_REASONS:
        if stored == source_text(known):
            return str(known)
    return stored or ""


def history_user(instance: Any = None, request: Any = None, **kwargs: Any) -> Any:
    """The explicit `_history_user` a service set, else the logged-in user. A call made with
    an API key is not a User row: it exposes `history_user` (the person who issued the key)."""
    explicit = getattr(instance, "_history_user", None)
    if explicit is not None:
        return explicit
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    return getattr(user, "history_user", user)


def history_catch_up(instance: Any, *, reason: Any) -> bool:
    """Before a recorded change of `instance` (locked, as read from the database): when the row
    differs from its last history row — or has none — because something wrote it without one
    (a data migration's `update()`, a seed), first keep its present state as a row of its own,
    by no one, with `reason`. The change's own row then shows only what that change changed,
    instead of also claiming what was written silently before it. Returns whether it wrote."""
    last = instance.history.order_by("-history_date", "-history_id").first()
    manager = type(instance).history
    if last is not None and not any(
        getattr(last, field.attname) != getattr(instance, field.attname)
        for field in manager.model.tracked_fields
    ):
        return False
    # Not bulk_history_create: it would name the logged-in user (simple_history's request
    # middleware), who did not make these changes.
    manager.model.objects.create(
        history_date=timezone.now(),
        history_user=None,
        history_change_reason=source_text(reason),
        history_type="~" if last is not None else "+",
        **{f.attname: getattr(instance, f.attname) for f in manager.model.tracked_fields},
    )
    return True


def changed_values(instance: Any, changes: dict[str, Any]) -> dict[str, Any]:
    """The entries of `changes` whose value differs from the instance's: a form posts back every
    field, and an unchanged one is no change (nor a line in the history)."""
    return {name: value for name, value in changes.items() if getattr(instance, name) != value}


def history_value(field: Any, value: Any) -> Any:
    """A changed value as the reader sees it: a choice by its label, a flag as 是/否 (in the
    reader's language), anything else as stored."""
    if isinstance(value, bool):
        return _("是") if value else _("否")
    choices = dict(getattr(field, "flatchoices", None) or [])
    if choices and not isinstance(value, (list, dict)) and value in choices:
        return choices[value]
    return value
