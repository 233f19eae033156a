"""SQLAlchemy models: columns, relationships and small invariants only."""

from issuer.models.activity import Notification, OutboxEmail, Setting
from issuer.models.badges import (
    Assertion,
    BadgeClass,
    BadgeTally,
    CsvUpload,
    Image,
    Issuer,
    SpentWalletGrant,
    StatusAllocator,
)
from issuer.models.courses import Course, Enrolment, Stage, StageCompletion
from issuer.models.ratelimits import RateLimitCounter
from issuer.models.users import ApiToken, Tally, User

__all__ = [
    "ApiToken",
    "Assertion",
    "BadgeClass",
    "BadgeTally",
    "Course",
    "CsvUpload",
    "Enrolment",
    "Image",
    "Issuer",
    "Notification",
    "OutboxEmail",
    "RateLimitCounter",
    "Setting",
    "SpentWalletGrant",
    "Stage",
    "StageCompletion",
    "StatusAllocator",
    "Tally",
    "User",
]
