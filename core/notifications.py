"""In-app notifications (and e-mail when configured); each key is sent once.

A notification names a message of `core.notification_messages` and its parameters; it is
rendered in the reader's language when shown, and e-mailed in the recipient's language."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.models import Notification
from core.notification_messages import MESSAGES, SOURCE_LANGUAGE, plain, render_in


def recipient_language(user: Any) -> str:
    """The user's language if the user model has one, else the portal's (Chinese)."""
    language = getattr(user, "language", "") or ""
    return str(language) or SOURCE_LANGUAGE


def notification_send(
    *,
    recipients: Iterable[Any],
    key: str,
    message: str,
    params: dict[str, Any] | None = None,
    link: str = "",
    rule_id: str = "",
) -> int:
    """Create one notification of `message` per recipient for `key`; returns how many were
    new. Parameters that are labels (lazy strings) are translated when rendered."""
    if message not in MESSAGES:
        raise KeyError(f"unknown notification message {message!r}")
    stored = plain(params or {})
    rendered = render_in(SOURCE_LANGUAGE, message, stored)
    assert rendered is not None, f"parameters do not fit message {message!r}"
    subject, body = rendered
    created = 0
    for user in recipients:
        try:
            with transaction.atomic():
                note = Notification.objects.create(
                    recipient=user,
                    key=key,
                    message=message,
                    params=stored,
                    subject=subject[:200],
                    body=body,
                    link=link,
                    rule_id=rule_id,
                )
        except IntegrityError:
            continue  # already sent: reminders are idempotent
        created += 1
        email = getattr(user, "email", "")
        if settings.DINGDIAN_EMAIL_NOTIFICATIONS and email:
            mail_subject, mail_body = render_in(recipient_language(user), message, stored) or (
                subject,
                body,
            )
            send_mail(
                mail_subject, f"{mail_body}\n{link}".strip(), None, [email], fail_silently=True
            )
            Notification.objects.filter(pk=note.pk).update(emailed_at=timezone.now())
    return created
