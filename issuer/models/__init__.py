"""SQLAlchemy models: columns, relationships and small invariants only."""

from issuer.models.activity import Notification, OutboxEmail, Setting
from issuer.models.badges import Assertion, BadgeClass, Image, Issuer
from issuer.models.users import ApiToken, User

__all__ = [
    "ApiToken",
    "Assertion",
    "BadgeClass",
    "Image",
    "Issuer",
    "Notification",
    "OutboxEmail",
    "Setting",
    "User",
]
