"""Domain errors: a refused action carries the rule ID and a translated message."""

from __future__ import annotations

from django.utils.functional import Promise


class DomainError(Exception):
    """An action the domain refuses; shown to the user as it is."""

    def __init__(self, message: str | Promise, *, field: str | None = None) -> None:
        super().__init__(str(message))
        self.message = message
        self.field = field

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
