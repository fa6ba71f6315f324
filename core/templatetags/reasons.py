"""`{{ record.history_change_reason|history_reason }}`: a history row's reason in the reader's
language when the system wrote it, a person's words as written (core.history)."""

from __future__ import annotations

from django import template

from core.history import history_reason as _history_reason

register = template.Library()


@register.filter
def history_reason(stored: str | None) -> str:
    return _history_reason(stored)
