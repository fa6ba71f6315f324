"""Who a django-simple-history row names, for every historied model of ours."""

from __future__ import annotations

from typing import Any


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
