"""One learner completing one stage, on prepared statements: a course platform's hot path.

It does what ``courses.complete_stage`` does for a batch, statement for statement, but runs
each statement prepared on the session's DB-API connection (issuer.services.prepared) and
builds the answer from the values it wrote, which makes it several times faster. The same
database rules make it exactly-once: the unique (stage, learner) completion and the lock on the
learner's enrolment row. Finishing a course, which is rare, goes through the ORM code.
"""

from __future__ import annotations

import functools
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, and_, bindparam, false, func, select, text, update
from sqlalchemy.dialects import postgresql, sqlite

from issuer.extensions import db
from issuer.models import (
    Assertion,
    BadgeClass,
    Course,
    Enrolment,
    Issuer,
    Notification,
    OutboxEmail,
    Stage,
    StageCompletion,
    User,
)
from issuer.models.badges import CURRENT_AWARD
from issuer.models.types import utcnow
from issuer.openbadges.identity import new_salt
from issuer.services import accounts, notifications
from issuer.services.awards import award_dates, feed_post_allowed
from issuer.services.errors import ConflictError, NotFoundError
from issuer.services.prepared import Prepared
from issuer.services.signing import Signer
from issuer.services.users import default_name
from issuer.services.wallet import email_links


def _table(model: type[Any]) -> Table:
    return cast(Table, model.__table__)


_ASSERTIONS, _COURSES, _STAGES = _table(Assertion), _table(Course), _table(Stage)
_BADGES, _ISSUERS, _USERS = _table(BadgeClass), _table(Issuer), _table(User)
_ENROLMENTS, _COMPLETIONS = _table(Enrolment), _table(StageCompletion)
_NOTIFICATIONS, _OUTBOX = _table(Notification), _table(OutboxEmail)
_a, _c, _s, _b = _ASSERTIONS.c, _COURSES.c, _STAGES.c, _BADGES.c
_i, _u, _e, _sc = _ISSUERS.c, _USERS.c, _ENROLMENTS.c, _COMPLETIONS.c
_AWARD_COLUMNS = tuple(_a)
# BadgeFacts in field order, after the id.
_BADGE_FACTS = (_b.name, _b.issuer_id, _i.name, _b.archived, _b.expires_after_days, _b.post_to_feed)
_COMPLETION_COLUMNS = tuple(_sc)


@dataclass(frozen=True)
class StageFacts:
    """What the fast path needs to know of a course and one of its stages."""

    course_name: str
    total: int
    number: int
    stage_name: str
    badge_id: uuid.UUID | None


@dataclass(frozen=True)
class BadgeFacts:
    """A badge as the award and its notification need it."""

    id: uuid.UUID
    name: str
    issuer_id: uuid.UUID
    issuer_name: str
    archived: bool
    expires_after_days: int | None
    post_to_feed: bool


class _Statements:
    """Every statement of the path, compiled once per dialect on first use."""

    def __init__(self, dialect: str) -> None:
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        self.stages = Prepared(
            select(_c.name, _s.id, _s.name, _s.badge_id)
            .join_from(_COURSES, _STAGES, _s.course_id == _c.id)
            .where(_c.id == bindparam("course_id"))
            .order_by(_s.position),
            results=(_c.name, _s.id, _s.name, _s.badge_id),
        )
        self.badge = Prepared(
            select(*_BADGE_FACTS)
            .join_from(_BADGES, _ISSUERS, _b.issuer_id == _i.id)
            .where(_b.id == bindparam("badge_id")),
            results=_BADGE_FACTS,
        )
        self.user = Prepared(
            select(_u.id, _u.name).where(_u.email == bindparam("email")),
            results=(_u.id, _u.name),
        )
        self.new_user = Prepared(
            insert(_USERS)
            .values(
                id=bindparam("id"),
                email=bindparam("email"),
                name=bindparam("name"),
                role="learner",
                active=True,
                created_at=bindparam("now"),
            )
            .on_conflict_do_nothing(index_elements=["email"])
        )
        self.enrol = Prepared(
            insert(_ENROLMENTS)
            .values(
                id=bindparam("id"),
                course_id=bindparam("course_id"),
                user_id=bindparam("user_id"),
                started_at=bindparam("now"),
            )
            .on_conflict_do_nothing(index_elements=["course_id", "user_id"])
        )
        self.lock_enrolment = Prepared(
            select(_e.id, _e.completed_at)
            .where(_e.course_id == bindparam("course_id"), _e.user_id == bindparam("user_id"))
            .with_for_update(),
            results=(_e.id, _e.completed_at),
        )
        self.complete = Prepared(
            insert(_COMPLETIONS)
            .values({column.name: bindparam(column.name) for column in _COMPLETION_COLUMNS})
            .on_conflict_do_nothing(index_elements=["stage_id", "user_id"])
            .returning(_sc.id),
            results=(_sc.id,),
        )
        self.earlier = Prepared(
            select(*_COMPLETION_COLUMNS).where(
                _sc.stage_id == bindparam("stage_id"), _sc.user_id == bindparam("user_id")
            ),
            results=_COMPLETION_COLUMNS,
        )
        self.award = Prepared(
            select(*_AWARD_COLUMNS).where(_a.id == bindparam("id")), results=_AWARD_COLUMNS
        )
        # Unordered (see _oldest): with ORDER BY created_at LIMIT 1 the planner may walk the
        # badge's awards by date until it meets this learner, a cost growing with the badge.
        self.held = Prepared(
            select(*_AWARD_COLUMNS).where(
                _a.badge_id == bindparam("badge_id"),
                _a.recipient_id == bindparam("user_id"),
                _a.revoked == false(),
            ),
            results=_AWARD_COLUMNS,
        )
        self.new_award = Prepared(
            insert(_ASSERTIONS)
            .values({column.name: bindparam(column.name) for column in _AWARD_COLUMNS})
            .on_conflict_do_nothing(
                index_elements=["badge_id", "recipient_id"], index_where=text(CURRENT_AWARD)
            )
            .returning(_a.id),
            results=(_a.id,),
        )
        self.notify = Prepared(
            _NOTIFICATIONS.insert().values(
                id=bindparam("id"),
                user_id=bindparam("user_id"),
                assertion_id=bindparam("assertion_id"),
                message=bindparam("message"),
                created_at=bindparam("now"),
            )
        )
        self.email = Prepared(
            _OUTBOX.insert().values(
                id=bindparam("id"),
                to_address=bindparam("to_address"),
                subject=bindparam("subject"),
                body_text=bindparam("body_text"),
                body_html=bindparam("body_html"),
                created_at=bindparam("now"),
                attempts=0,
                next_attempt_at=bindparam("now"),
            )
        )
        self.link = Prepared(
            update(_COMPLETIONS)
            .where(_sc.id == bindparam("completion_id"))
            .values(assertion_id=bindparam("assertion_id"))
        )
        self.done = Prepared(
            select(func.count())
            .select_from(_COMPLETIONS)
            .where(
                and_(_sc.course_id == bindparam("course_id"), _sc.user_id == bindparam("user_id"))
            )
        )


@functools.cache
def _statements(dialect: str) -> _Statements:
    return _Statements(dialect)


def stage_facts(course_id: uuid.UUID, stage_id: uuid.UUID) -> StageFacts:
    """The course's name and size and the stage's place and badge; NotFoundError if unknown."""
    rows = _sql().stages.run(course_id=course_id)
    if not rows:
        raise NotFoundError(f"no course with id {course_id}")
    for number, (course_name, row_stage_id, stage_name, badge_id) in enumerate(rows, start=1):
        if row_stage_id == stage_id:
            return StageFacts(course_name, len(rows), number, stage_name, badge_id)
    raise NotFoundError(f"the course {rows[0][0]!r} has no stage with id {stage_id}")


def badge_facts(badge_id: uuid.UUID) -> BadgeFacts:
    """A badge's name, issuer and award settings."""
    ((*facts,),) = _sql().badge.run(badge_id=badge_id)
    return BadgeFacts(badge_id, *facts)


def learner(email: str, now: datetime) -> tuple[uuid.UUID, str]:
    """The id and name of the account with this address, created as a learner if needed."""
    sql = _sql()
    found = sql.user.run(email=email)
    if not found:
        sql.new_user.run(id=uuid.uuid4(), email=email, name=default_name(email), now=now)
        found = sql.user.run(email=email)  # ours, or a concurrent request's
    ((user_id, name),) = found
    return user_id, name


def lock_enrolment(course_id: uuid.UUID, user_id: uuid.UUID, now: datetime) -> datetime | None:
    """Enrol the learner (once) and lock the enrolment row; return when they finished, if so."""
    sql = _sql()
    sql.enrol.run(id=uuid.uuid4(), course_id=course_id, user_id=user_id, now=now)
    ((_, completed_at),) = sql.lock_enrolment.run(course_id=course_id, user_id=user_id)
    completed: datetime | None = completed_at
    return completed


def record_completion(row: dict[str, Any]) -> bool:
    """Insert the completion; False when the learner had completed the stage already."""
    return bool(_sql().complete.run(**row))


def earlier_completion(stage_id: uuid.UUID, user_id: uuid.UUID) -> StageCompletion:
    """The completion recorded before, as a detached object."""
    ((*values,),) = _sql().earlier.run(stage_id=stage_id, user_id=user_id)
    return StageCompletion(**dict(zip((c.name for c in _COMPLETION_COLUMNS), values, strict=True)))


def load_award(award_id: uuid.UUID) -> Assertion:
    """An award, as a detached object."""
    ((*values,),) = _sql().award.run(id=award_id)
    return _detached_award(values)


def award_stage_badge(
    badge: BadgeFacts,
    user_id: uuid.UUID,
    email: str,
    name: str,
    issued_on: datetime,
    wording: tuple[str, list[dict[str, str]]],
    signer: Signer,
) -> tuple[Assertion, bool]:
    """Award the badge unless the learner holds it; notify them. The award and whether new."""
    sql = _sql()
    held = sql.held.run(badge_id=badge.id, user_id=user_id)
    if held:
        return _oldest(held), False
    now = utcnow()
    issued_on, expires = award_dates(badge, issued_on, None, now)
    narrative, evidence = wording
    values: dict[str, Any] = {
        "id": uuid.uuid4(),
        "badge_id": badge.id,
        "recipient_id": user_id,
        "recipient_email": email,
        "salt": new_salt(),
        "issued_on": issued_on,
        "expires": expires,
        "narrative": narrative,
        "evidence": evidence,
        "revoked": False,
        "duplicate": False,
        "revocation_reason": None,
        "revoked_at": None,
        "created_at": now,
        "signed_jws": None,  # signed on first use
        "signed_kid": None,
        "hidden": False,
        "in_feed": feed_post_allowed(badge.post_to_feed),
        "credential_jwt": None,  # the OB 3.0 credential too
        "credential_kid": None,
        "status_list": None,
        "status_index": None,
        "credential_ld": None,
    }
    if not sql.new_award.run(**values):
        # Awarded by hand (or by another course) since we looked: that award is the one held.
        held = sql.held.run(badge_id=badge.id, user_id=user_id)
        if not held:
            raise ConflictError(
                "the learner's awards of this badge changed meanwhile; send it again", "user"
            )
        return _oldest(held), False
    award = Assertion(**values)
    text = notifications.wording(badge.id, badge.name, badge.issuer_name, badge.issuer_id)
    sql.notify.run(
        id=uuid.uuid4(), user_id=user_id, assertion_id=award.id, message=text.message, now=now
    )
    (wallet_link,) = email_links(
        [(award.id, badge.issuer_id)], signer.urls, signer.grant_key
    ).values()
    password_hash, active = db.session.execute(
        select(User.password_hash, User.active).where(User.id == user_id)
    ).one()
    join = accounts.join_link(user_id, password_hash, active, signer.urls, signer.account_key)
    email_message = notifications.award_email(award, text, name, signer.urls, wallet_link, join)
    sql.email.run(
        id=uuid.uuid4(),
        to_address=email_message.to_address,
        subject=email_message.subject,
        body_text=email_message.body_text,
        body_html=email_message.body_html,
        now=now,
    )
    notifications.mark_queued()
    return award, True


def link_award(completion_id: uuid.UUID, award_id: uuid.UUID) -> None:
    """Note on the completion the award it earned."""
    _sql().link.run(completion_id=completion_id, assertion_id=award_id)


def completed_stages(course_id: uuid.UUID, user_id: uuid.UUID) -> int:
    """How many of the course's stages the learner has completed."""
    ((count,),) = _sql().done.run(course_id=course_id, user_id=user_id)
    return int(count)


def _oldest(rows: list[tuple[Any, ...]]) -> Assertion:
    """The learner's oldest current award among their rows (one, unless duplicates were made)."""
    awards = [_detached_award(row) for row in rows]
    return min(awards, key=lambda award: (award.created_at, award.id))


def _detached_award(values: Any) -> Assertion:
    return Assertion(**dict(zip((c.name for c in _AWARD_COLUMNS), values, strict=True)))


def _sql() -> _Statements:
    return _statements(db.session.get_bind().dialect.name)
