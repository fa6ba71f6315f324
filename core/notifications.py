"""In-app notifications (and e-mail when configured); each key is sent once."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.models import Notification


def notification_send(
    *,
    recipients: Iterable[Any],
    key: str,
    subject: str,
    body: str = "",
    link: str = "",
    rule_id: str = "",
) -> int:
    """Create one notification per recipient for `key`; returns how many were new."""
    created = 0
    for user in recipients:
        try:
            with transaction.atomic():
                note = Notification.objects.create(
                    recipient=user,
                    key=key,
                    subject=subject,
                    body=body,
                    link=link,
                    rule_id=rule_id,
                )
        except IntegrityError:
            continue  # already sent: reminders are idempotent
        created += 1
        email = getattr(user, "email", "")
        if settings.DINGDIAN_EMAIL_NOTIFICATIONS and email:
            send_mail(subject, f"{body}\n{link}".strip(), None, [email], fail_silently=True)
            Notification.objects.filter(pk=note.pk).update(emailed_at=timezone.now())
    return created
