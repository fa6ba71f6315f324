"""Domain errors: a refused action carries the rule ID and a translated message."""

from __future__ import annotations

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models
from django.utils.functional import Promise


class DomainError(Exception):
    """An action the domain refuses; shown to the user as it is. `field` names the one input
    at fault; `errors` (field → messages) the inputs of a refusal that names several."""

    def __init__(
        self,
        message: str | Promise,
        *,
        field: str | None = None,
        errors: dict[str, list[str]] | None = None,
    ) -> None:
        super().__init__(str(message))
        self.message = message
        self.field = field
        self.errors = errors or ({field: [str(message)]} if field else {})

    def __str__(self) -> str:
        return str(self.message)


class RuleViolation(DomainError):
    """A policy rule (HY-…, GY-…) refuses the action."""

    def __init__(self, rule_id: str, message: str | Promise, *, field: str | None = None) -> None:
        super().__init__(message, field=field)
        self.rule_id = rule_id

    def __str__(self) -> str:
        return f"[{self.rule_id}] {self.message}"


class TransitionNotAllowed(DomainError):
    """A status move that the model's transition table does not allow."""


def refusal(exc: ValidationError, *, field: str | None = None) -> DomainError:
    """A Django field check's ValidationError as the DomainError services raise: all its
    messages, on the one field it names (or `field`), else on the whole entry."""
    errors: dict[str, list[str]] = {}
    if hasattr(exc, "error_dict"):
        errors = exc.message_dict
        fields = list(errors)
        if len(fields) == 1 and field is None:
            field = fields[0] if fields[0] != NON_FIELD_ERRORS else None
    return DomainError("；".join(exc.messages), field=field, errors=errors)


def full_clean_or_refuse(obj: models.Model) -> None:
    """The model's own checks (field validators, `clean`), refused as one DomainError."""
    try:
        obj.full_clean()
    except ValidationError as exc:
        raise refusal(exc) from exc
