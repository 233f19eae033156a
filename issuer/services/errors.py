"""Errors raised by services; the blueprints map each to an HTTP status."""

from __future__ import annotations


class ServiceError(Exception):
    """Base of the errors a service raises for a caller's mistake."""

    status = 400

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class InvalidInputError(ServiceError):
    """The input is well-formed but not acceptable (bad image, date in the future ...)."""

    status = 400


class ForbiddenError(ServiceError):
    """The caller may not do this (someone else's award ...), or failed to prove it may."""

    status = 403


class NotFoundError(ServiceError):
    """The object asked for does not exist."""

    status = 404


class ConflictError(ServiceError):
    """The request clashes with existing data (an e-mail already taken ...)."""

    status = 409


class GoneError(ServiceError):
    """The object existed but was withdrawn (a revoked award)."""

    status = 410
