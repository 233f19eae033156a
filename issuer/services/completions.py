"""Learners completing the stages of a course, and the badges their completions earn.

One path for one learner and for a batch: a few set-wise statements whatever the count, the
badges awarded through the award service like every other award. Exactly once under races:
the database keeps one completion per learner and stage, and a learner's completions in a
course are serialised on their enrolment row, so two requests racing cannot both award, nor
both miss the course badge.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, func, select, update
from sqlalchemy.orm import joinedload

from issuer.extensions import db
from issuer.models import Assertion, BadgeClass, Course, Enrolment, Stage, StageCompletion, User
from issuer.models.types import utcnow
from issuer.services.awards import (
    CLOCK_SKEW,
    Grant,
    award_dates,
    award_time,
    check_awardable,
    ensure_learners,
    grant_badge,
    normalized_addresses,
)
from issuer.services.batches import PerDialect, among, any_of, insert_rows, value_lists
from issuer.services.courses import get_course
from issuer.services.errors import InvalidInputError, NotFoundError
from issuer.services.signing import Signer


@dataclass(frozen=True)
class Reporter:
    """Where a completion report came from: the API or the Studio, whose account, what address."""

    source: str
    user_id: uuid.UUID | None
    remote_addr: str | None


@dataclass(frozen=True)
class EarnedBadge:
    """A badge a completion earned: the award the learner holds and whether this call made it."""

    award: Assertion
    badge_name: str
    new: bool


@dataclass(frozen=True)
class CompletionResult:
    """What one learner's completion of a stage did."""

    completion_id: uuid.UUID
    user_id: uuid.UUID
    email: str
    name: str
    stage_id: uuid.UUID
    stage_name: str
    completed_at: datetime
    recorded_at: datetime
    # False when the learner had completed this stage before: nothing new was awarded.
    new: bool
    # The stage's badge (None when the stage has none).
    award: EarnedBadge | None
    # The course badge, when this completion finished the course.
    course_award: EarnedBadge | None
    course_completed: bool


@dataclass(frozen=True)
class _Badge:
    """A badge as awarding it needs it (see awards.AwardedBadge)."""

    id: uuid.UUID
    name: str
    issuer_id: uuid.UUID
    archived: bool
    post_to_feed: bool
    expires_after_days: int | None


@dataclass(frozen=True)
class _Stage:
    id: uuid.UUID
    name: str
    badge: _Badge | None


@dataclass(frozen=True)
class _Course:
    """A course as completing it needs it: names, stages in order, the course badge."""

    id: uuid.UUID
    name: str
    badge: _Badge | None
    stages: tuple[_Stage, ...]

    def stage(self, stage_id: uuid.UUID) -> tuple[int, _Stage]:
        """The stage's number (from 1) and facts; NotFoundError when the course has no such."""
        for number, stage in enumerate(self.stages, start=1):
            if stage.id == stage_id:
                return number, stage
        raise NotFoundError(f"the course {self.name!r} has no stage with id {stage_id}")


@dataclass(frozen=True)
class _Completion:
    id: uuid.UUID
    completed_at: datetime
    recorded_at: datetime
    assertion_id: uuid.UUID | None


def complete_stage(
    course_id: uuid.UUID,
    stage_id: uuid.UUID,
    users: Sequence[str],
    *,
    completed_at: datetime | None,
    reporter: Reporter,
    signer: Signer,
) -> list[CompletionResult]:
    """Record that these learners completed a stage and award what it earns; flush.

    Completing a stage again awards nothing. The results follow the order of ``users``
    (repeated addresses once).
    """
    course = _course(course_id)
    number, stage = course.stage(stage_id)
    emails = normalized_addresses(users, "users", single="user")
    now = utcnow()
    completed_at = _completion_time(completed_at, now)
    badge = stage.badge
    if badge is not None:
        check_awardable(badge)

    user_ids = ensure_learners(dict.fromkeys(emails), now)
    ordered = sorted(set(user_ids.values()))  # one lock order for every request: no deadlocks
    enrolments = _lock_enrolments(course.id, ordered, now)

    rows: dict[uuid.UUID, dict[str, Any]] = {
        user_id: {
            "id": uuid.uuid4(),
            "course_id": course.id,
            "stage_id": stage.id,
            "user_id": user_id,
            "completed_at": completed_at,
            "recorded_at": now,
            "source": reporter.source,
            "reported_by_id": reporter.user_id,
            "remote_addr": reporter.remote_addr,
        }
        for user_id in ordered
    }
    inserted = set(
        insert_rows(
            StageCompletion,
            list(rows.values()),
            unique=("stage_id", "user_id"),
            returning=StageCompletion.user_id,
        )
    )
    completions = {
        user_id: _Completion(row["id"], completed_at, now, None)
        for user_id, row in rows.items()
        if user_id in inserted
    }
    completions.update(_earlier_completions(stage.id, [u for u in ordered if u not in inserted]))

    stage_awards: dict[uuid.UUID, EarnedBadge] = {}
    if badge is not None:
        newly = [email for email in emails if user_ids[email] in inserted]
        wording = _stage_evidence(course, number, stage, completed_at)
        stage_awards = _award(badge, newly, user_ids, completed_at, wording, signer)
        _link_awards(completions, stage_awards)
    stage_awards.update(_earlier_awards(completions, inserted))

    course_awards = _finish_course(course, enrolments, emails, user_ids, completed_at, signer)
    names = _names(ordered)
    results = []
    for email in emails:
        user_id = user_ids[email]
        completion = completions[user_id]
        results.append(
            CompletionResult(
                completion_id=completion.id,
                user_id=user_id,
                email=email,
                name=names[user_id],
                stage_id=stage.id,
                stage_name=stage.name,
                completed_at=completion.completed_at,
                recorded_at=completion.recorded_at,
                new=user_id in inserted,
                award=stage_awards.get(user_id),
                course_award=course_awards.get(user_id),
                course_completed=enrolments[user_id].completed_at is not None,
            )
        )
    return results


def list_completions(course_id: uuid.UUID, *, limit: int = 100) -> list[StageCompletion]:
    """Return a course's most recent completion events, with who reported them and the award."""
    get_course(course_id)
    return list(
        db.session.scalars(
            select(StageCompletion)
            .where(StageCompletion.course_id == course_id)
            .options(
                joinedload(StageCompletion.user),
                joinedload(StageCompletion.reported_by),
                joinedload(StageCompletion.stage),
                joinedload(StageCompletion.assertion).joinedload(Assertion.badge),
            )
            .order_by(StageCompletion.recorded_at.desc(), StageCompletion.id)
            .limit(limit)
        )
    )


def _course(course_id: uuid.UUID) -> _Course:
    """The course, its stages and their badges in one read; NotFoundError if there is none."""
    rows = db.session.execute(_COURSE, {"course_id": course_id}).all()
    if not rows:  # every course has a stage
        raise NotFoundError(f"no course with id {course_id}")
    width = len(_BADGE_COLUMNS)
    stages = tuple(_Stage(row[1], row[2], _badge(row[3 : 3 + width])) for row in rows)
    return _Course(course_id, rows[0][0], _badge(rows[0][3 + width :]), stages)


def _badge(values: Sequence[Any]) -> _Badge | None:
    return None if values[0] is None else _Badge(*values)


def _completion_time(completed_at: datetime | None, now: datetime) -> datetime:
    """When a reported completion happened: now unless given; never in the future."""
    if completed_at is None:
        return now
    completed_at = award_time(completed_at, "completed_at")  # it is the awards' date too
    if completed_at > now + CLOCK_SKEW:
        raise InvalidInputError("completed_at may not be in the future", "completed_at")
    return completed_at


@dataclass
class _Enrolment:
    id: uuid.UUID
    completed_at: datetime | None


def _lock_enrolments(
    course_id: uuid.UUID, user_ids: list[uuid.UUID], now: datetime
) -> dict[uuid.UUID, _Enrolment]:
    """Enrol the learners (once) and lock their enrolment rows until the commit."""
    rows = [
        {"id": uuid.uuid4(), "course_id": course_id, "user_id": user_id, "started_at": now}
        for user_id in user_ids
    ]
    insert_rows(Enrolment, rows, unique=("course_id", "user_id"))
    enrolments: dict[uuid.UUID, _Enrolment] = {}
    for part in value_lists(user_ids):
        found = db.session.execute(_LOCK.current(), {"course_id": course_id, "user_ids": part})
        enrolments.update({user_id: _Enrolment(id_, done) for user_id, id_, done in found})
    return enrolments


def _earlier_completions(
    stage_id: uuid.UUID, user_ids: list[uuid.UUID]
) -> dict[uuid.UUID, _Completion]:
    found: dict[uuid.UUID, _Completion] = {}
    for part in value_lists(user_ids):
        rows = db.session.execute(_EARLIER.current(), {"stage_id": stage_id, "user_ids": part})
        found.update({row[0]: _Completion(*row[1:]) for row in rows})
    return found


def _earlier_awards(
    completions: Mapping[uuid.UUID, _Completion], inserted: set[uuid.UUID]
) -> dict[uuid.UUID, EarnedBadge]:
    """The awards that earlier completions of the stage earned, by learner."""
    linked = {
        c.assertion_id: user_id
        for user_id, c in completions.items()
        if user_id not in inserted and c.assertion_id is not None
    }
    found: dict[uuid.UUID, EarnedBadge] = {}
    for ids in among(Assertion.id, list(linked)):
        rows = db.session.execute(
            select(Assertion, BadgeClass.name)
            .join(BadgeClass, BadgeClass.id == Assertion.badge_id)
            .where(ids)
        )
        for award, badge_name in rows:
            found[linked[award.id]] = EarnedBadge(award, badge_name, new=False)
    return found


def _link_awards(
    completions: Mapping[uuid.UUID, _Completion], awards: Mapping[uuid.UUID, EarnedBadge]
) -> None:
    """Note on each new completion the award it earned."""
    rows = [
        {"completion_id": completions[uid].id, "award_id": a.award.id} for uid, a in awards.items()
    ]
    if rows:
        db.session.execute(_LINK, rows)


def _finish_course(
    course: _Course,
    enrolments: Mapping[uuid.UUID, _Enrolment],
    emails: Sequence[str],
    user_ids: Mapping[str, uuid.UUID],
    completed_at: datetime,
    signer: Signer,
) -> dict[uuid.UUID, EarnedBadge]:
    """Mark finished every open enrolment whose stages are all complete; award the course
    badge to those learners. The course awards by learner."""
    open_ids = [uid for uid, e in enrolments.items() if e.completed_at is None]
    done: dict[uuid.UUID, int] = {}
    for part in value_lists(open_ids):
        rows = db.session.execute(_DONE.current(), {"course_id": course.id, "user_ids": part})
        done.update({user_id: count for user_id, count in rows})
    finished = [uid for uid in open_ids if done.get(uid, 0) >= len(course.stages)]
    if not finished:
        return {}
    for user_id in finished:
        enrolments[user_id].completed_at = completed_at
    awards: dict[uuid.UUID, EarnedBadge] = {}
    if course.badge is not None:
        badge = course.badge
        newly = [email for email in emails if user_ids[email] in finished]
        wording = _course_evidence(course, completed_at)
        awards = _award(badge, newly, user_ids, completed_at, wording, signer)
    db.session.execute(
        update(Enrolment),
        [
            {
                "id": enrolments[uid].id,
                "completed_at": completed_at,
                "completion_assertion_id": awards[uid].award.id if uid in awards else None,
            }
            for uid in finished
        ],
    )
    return awards


def _award(
    badge: _Badge,
    emails: list[str],
    user_ids: Mapping[str, uuid.UUID],
    completed_at: datetime,
    wording: tuple[str, list[dict[str, str]]],
    signer: Signer,
) -> dict[uuid.UUID, EarnedBadge]:
    """Award a badge the course earns, issued when it was earned; the awards by learner id.

    They are signed on first use, which keeps a course platform's calls fast.
    """
    if not emails:
        return {}
    issued_on, expires = award_dates(badge, completed_at, None, utcnow())
    narrative, evidence = wording
    outcome = grant_badge(
        badge,
        [Grant(email, issued_on, expires, narrative, evidence) for email in emails],
        signer,
        sign_now=False,
        user_ids={email: user_ids[email] for email in emails},
    )
    return {
        user_ids[email]: EarnedBadge(award, badge.name, award.id in outcome.new_ids)
        for email, award in zip(emails, outcome.awards, strict=True)
    }


def _stage_evidence(
    course: _Course, number: int, stage: _Stage, completed_at: datetime
) -> tuple[str, list[dict[str, str]]]:
    total = len(course.stages)
    narrative = (
        f"Completed the stage “{stage.name}” ({number} of {total}) of the course “{course.name}”."
    )
    evidence = {
        "name": f"{course.name}: {stage.name}",
        "narrative": (
            f"Stage {number} of {total} of the course “{course.name}”, "
            f"completed on {completed_at:%Y-%m-%d}."
        ),
    }
    return narrative, [evidence]


def _course_evidence(course: _Course, completed_at: datetime) -> tuple[str, list[dict[str, str]]]:
    names = "; ".join(f"{n}. {stage.name}" for n, stage in enumerate(course.stages, start=1))
    narrative = f"Completed every stage of the course “{course.name}”."
    evidence = {
        "name": course.name,
        "narrative": (
            f"All {len(course.stages)} stages completed ({names}), "
            f"the last on {completed_at:%Y-%m-%d}."
        ),
    }
    return narrative, [evidence]


def _names(user_ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    names: dict[uuid.UUID, str] = {}
    for part in value_lists(user_ids):
        names.update(db.session.execute(_NAMES.current(), {"user_ids": part}).all())
    return names


# The statements of the path, built once (see batches.PerDialect), on the tables: a Core
# statement costs the session half what the same statement on mapped classes does. The path
# adds no ORM objects, so it needs no autoflush before them.
_courses, _stages, _enrolments = Course.__table__.c, Stage.__table__.c, Enrolment.__table__.c
_completions, _users = StageCompletion.__table__.c, User.__table__.c
_stage_badges, _course_badges = BadgeClass.__table__.alias(), BadgeClass.__table__.alias()
_BADGE_COLUMNS = ("id", "name", "issuer_id", "archived", "post_to_feed", "expires_after_days")
_COURSE = (
    select(
        _courses.name,
        _stages.id,
        _stages.name,
        *(_stage_badges.c[name] for name in _BADGE_COLUMNS),
        *(_course_badges.c[name] for name in _BADGE_COLUMNS),
    )
    .select_from(
        Course.__table__.join(Stage.__table__, _stages.course_id == _courses.id)
        .outerjoin(_stage_badges, _stage_badges.c.id == _stages.badge_id)
        .outerjoin(_course_badges, _course_badges.c.id == _courses.completion_badge_id)
    )
    .where(_courses.id == bindparam("course_id"))
    .order_by(_stages.position)
)
_LOCK = PerDialect(
    lambda dialect: (
        select(_enrolments.user_id, _enrolments.id, _enrolments.completed_at)
        .where(
            _enrolments.course_id == bindparam("course_id"),
            any_of(_enrolments.user_id, dialect, "user_ids"),
        )
        .order_by(_enrolments.user_id)
        .with_for_update()
    )
)
_EARLIER = PerDialect(
    lambda dialect: select(
        _completions.user_id,
        _completions.id,
        _completions.completed_at,
        _completions.recorded_at,
        _completions.assertion_id,
    ).where(
        _completions.stage_id == bindparam("stage_id"),
        any_of(_completions.user_id, dialect, "user_ids"),
    )
)
_DONE = PerDialect(
    lambda dialect: (
        select(_completions.user_id, func.count())
        .where(
            _completions.course_id == bindparam("course_id"),
            any_of(_completions.user_id, dialect, "user_ids"),
        )
        .group_by(_completions.user_id)
    )
)
_NAMES = PerDialect(
    lambda dialect: select(_users.id, _users.name).where(any_of(_users.id, dialect, "user_ids"))
)
_LINK = (
    update(cast(Table, StageCompletion.__table__))
    .where(_completions.id == bindparam("completion_id"))
    .values(assertion_id=bindparam("award_id"))
)
