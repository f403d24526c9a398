"""Domain errors. The web and API layers map each to one HTTP status in one place."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message}


class DomainError(Exception):
    """Base of every error a client can cause."""

    title = "Request failed"

    def __init__(self, detail: str):
        super().__init__(detail)
        self.detail = detail


class ValidationFailed(DomainError):
    """One or more fields are invalid; ``errors`` lists every violation with its path."""

    title = "Validation failed"

    def __init__(self, errors: list[FieldError], detail: str | None = None):
        count = len(errors)
        super().__init__(detail or f"{count} field{'s' if count != 1 else ''} failed validation.")
        self.errors = errors


class NotFound(DomainError):
    title = "Not found"


class Conflict(DomainError):
    """The request clashes with the current state (an import matching two orders)."""

    title = "Conflict"


class AmountsConflict(ValidationFailed, Conflict):
    """A change, valid on its own, that the order's other amounts do not allow (a
    shipping total that would take the order total past the maximum): a 409 for the
    API, and field errors for a form like any validation error."""

    title = "Conflict with the order's amounts"


class VersionConflict(Conflict):
    """A change made on a version of the order that someone else has since replaced:
    nothing is written, and the caller shows (or answers with) what is current."""

    title = "Precondition failed"

    def __init__(self, order_id: str, current_version: int, expected_version: int):
        super().__init__(
            f"The order has changed since version {expected_version} (it is now at version "
            f"{current_version}); nothing was changed. Reload it and apply the change again."
        )
        self.order_id = order_id
        self.current_version = current_version
        self.expected_version = expected_version


class StateLocked(Conflict):
    """The order's status does not allow this change."""

    title = "Change not allowed in this status"


class PermissionDenied(DomainError):
    title = "Forbidden"
