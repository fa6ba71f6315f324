from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from accounts.workspaces import PUBLIC_NAV, WORKSPACES
from programmes.features import features_of_request


def workspace(request: HttpRequest) -> dict[str, Any]:
    """The navigation of the active role, limited to the features of the programmes of the
    principal's region (programmes.features), and the unread message count; for a visitor,
    the public pages."""
    principal = getattr(request, "principal", None)
    if principal is None or principal.role not in WORKSPACES:
        # A visitor: the login and the public pages, each page linking to the others.
        public = [(item.label, url) for item in PUBLIC_NAV if (url := item.url())]
        return {"principal": principal, "nav": [], "public_nav": public}
    ws = WORKSPACES[principal.role]
    features = features_of_request(request, principal)
    nav = [
        (item.label, url)
        for item in ws.nav
        if (item.feature is None or item.feature in features) and (url := item.url())
    ]
    unread = principal.user.notifications.filter(read_at__isnull=True).count()
    return {"principal": principal, "workspace": ws, "nav": nav, "unread_count": unread}
