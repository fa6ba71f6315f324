from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from accounts.workspaces import WORKSPACES


def workspace(request: HttpRequest) -> dict[str, Any]:
    """The navigation of the active role, and the unread message count."""
    principal = getattr(request, "principal", None)
    if principal is None or principal.role not in WORKSPACES:
        return {"principal": principal, "nav": []}
    ws = WORKSPACES[principal.role]
    nav = [(item.label, url) for item in ws.nav if (url := item.url())]
    unread = principal.user.notifications.filter(read_at__isnull=True).count()
    return {"principal": principal, "workspace": ws, "nav": nav, "unread_count": unread}
