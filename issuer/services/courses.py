"""Courses: their stages, learners completing them, and the badges those completions earn."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import joinedload, selectinload

from issuer.extensions import db
from issuer.models import Assertion, BadgeClass, Course, Enrolment, Stage, StageCompletion, User
from issuer.models.types import utcnow
from issuer.services import stage_completion
from issuer.services.awards import (
    CLOCK_SKEW,
    Grant,
    archived_error,
    award_dates,
    award_time,
    awardable_badge,
    ensure_learners,
    grant_badge,
    normalized_addresses,
)
from issuer.services.batches import among, chunks, insert_rows
from issuer.services.errors import ConflictError, InvalidInputError, NotFoundError
from issuer.services.signing import Signer

MAX_STAGES = 200


@dataclass(frozen=True)
class Reporter:
    """Where a completion report came from: the API or the Studio, whose account, what address."""

    source: str
    user_id: uuid.UUID | None
    remote_addr: str | None


@dataclass(frozen=True)
class CompletionResult:
    """What one learner's completion of a stage did."""

    user: User
    completion: StageCompletion
    # False when the learner had completed this stage before: nothing new was awarded.
    new: bool
    # The stage's badge: newly awarded, already held, or None when the stage has no badge.
    award: Assertion | None
    # The course badge, when this completion finished the course.
    course_award: Assertion | None
    course_completed: bool
    # Which of the two awards this completion made (the others the learner held already).
    new_award_ids: frozenset[uuid.UUID] = frozenset()


@dataclass(frozen=True)
class Progress:
    """A learner's progress through one course, for their profile."""

    course: Course
    done: int
    total: int
    completed_at: datetime | None
    next_stage: Stage | None
    # The next badge to earn by going on: a later stage's badge or the course badge.
    next_badge: BadgeClass | None
    # The stage that earns next_badge; None when it is the course badge.
    next_badge_stage: Stage | None = None


def create_course(fields: Mapping[str, Any]) -> Course:
    """Create a course from validated API fields, with its stages in the order given."""
    course = Course(name=fields["name"].strip())
    _apply(course, fields)
    db.session.add(course)
    db.session.flush()
    return course


def update_course(course_id: uuid.UUID, fields: Mapping[str, Any]) -> Course:
    """Change the given fields; ``stages`` replaces the list, matching existing ones by id."""
    course = get_course(course_id)
    _apply(course, fields)
    course.updated_at = utcnow()
    db.session.flush()
    return course


def get_course(course_id: uuid.UUID) -> Course:
    """Return a course with its stages, or raise NotFoundError."""
    course = db.session.get(
        Course,
        course_id,
        options=[
            joinedload(Course.stages).joinedload(Stage.badge),
            joinedload(Course.completion_badge),
        ],
    )
    if course is None:
        raise NotFoundError(f"no course with id {course_id}")
    return course


def list_courses() -> list[Course]:
    """Return every course with its stages, oldest first."""
    return list(
        db.session.scalars(
            select(Course)
            .options(
                selectinload(Course.stages).joinedload(Stage.badge),
                joinedload(Course.completion_badge),
            )
            .order_by(Course.created_at, Course.id)
        ).unique()
    )


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

    Completing a stage again awards nothing: the database keeps one completion per learner and
    stage, and a learner's completions in a course are serialised on their enrolment row, so
    two requests racing cannot both award, nor both miss the course badge.
    """
    if len(users) == 1:
        return [_complete_one(course_id, stage_id, users[0], completed_at, reporter, signer)]
    course = get_course(course_id)
    stage = next((s for s in course.stages if s.id == stage_id), None)
    if stage is None:
        raise NotFoundError(f"the course {course.name!r} has no stage with id {stage_id}")
    emails = normalized_addresses(users, "users", single="user")
    now = utcnow()
    completed_at = _completion_time(completed_at, now)
    if stage.badge is not None:
        awardable_badge(stage.badge.id)

    user_ids = ensure_learners(dict.fromkeys(emails), now)
    ordered = sorted(set(user_ids.values()))  # one lock order for every request: no deadlocks
    enrolments = _lock_enrolments(course.id, ordered, now)

    new_rows = [
        _completion_row(course.id, stage.id, user_id, completed_at, now, reporter)
        for user_id in ordered
    ]
    completion_ids = {row["user_id"]: row["id"] for row in new_rows}
    inserted = set(
        insert_rows(
            StageCompletion,
            new_rows,
            unique=("stage_id", "user_id"),
            returning=StageCompletion.user_id,
        )
    )

    stage_awards: dict[uuid.UUID, Assertion] = {}
    new_award_ids: set[uuid.UUID] = set()
    if stage.badge is not None and inserted:
        newly = [email for email in emails if user_ids[email] in inserted]
        facts = stage_completion.StageFacts(
            course.name, len(course.stages), course.stages.index(stage) + 1, stage.name, None
        )
        wording = _stage_evidence(facts, completed_at)
        stage_awards = _award(
            stage.badge, newly, user_ids, completed_at, wording, signer, new_award_ids
        )
        _link_awards(completion_ids, stage_awards)

    course_awards = _finish_courses(
        course, enrolments, emails, user_ids, completed_at, signer, new_award_ids
    )

    # New completions are known as inserted; only earlier ones are read back.
    completions = _completions(stage.id, [uid for uid in ordered if uid not in inserted])
    for user_id, row in zip(ordered, new_rows, strict=True):
        if user_id in inserted:
            award = stage_awards.get(user_id)
            values = {**row, "assertion_id": award.id if award else None}
            completions[user_id] = StageCompletion(**values, stage=stage, assertion=award)
    people = {
        user.id: user for user in db.session.scalars(select(User).where(User.id.in_(ordered)))
    }
    fresh = frozenset(new_award_ids)  # one set shared by every result, not a copy each
    results = []
    for email in emails:
        user_id = user_ids[email]
        completion = completions[user_id]
        results.append(
            CompletionResult(
                user=people[user_id],
                completion=completion,
                new=user_id in inserted,
                award=completion.assertion,
                course_award=course_awards.get(user_id),
                new_award_ids=fresh,
                course_completed=enrolments[user_id].completed_at is not None,
            )
        )
    return results


def _complete_one(
    course_id: uuid.UUID,
    stage_id: uuid.UUID,
    user: str,
    completed_at: datetime | None,
    reporter: Reporter,
    signer: Signer,
) -> CompletionResult:
    """complete_stage for one learner, the call a course platform makes for every stage.

    The same steps as for a batch, on prepared statements (issuer.services.stage_completion).
    """
    facts = stage_completion.stage_facts(course_id, stage_id)
    (email,) = normalized_addresses([user], "users", single="user")
    now = utcnow()
    completed_at = _completion_time(completed_at, now)
    badge = stage_completion.badge_facts(facts.badge_id) if facts.badge_id else None
    if badge is not None and badge.archived:
        raise archived_error(badge.name)

    user_id, name = stage_completion.learner(email, now)
    finished_at = stage_completion.lock_enrolment(course_id, user_id, now)
    row = _completion_row(course_id, stage_id, user_id, completed_at, now, reporter)
    new = stage_completion.record_completion(row)
    award: Assertion | None = None
    new_award_ids: set[uuid.UUID] = set()
    if new:
        completion = StageCompletion(**row)
        if badge is not None:
            wording = _stage_evidence(facts, completed_at)
            award, fresh = stage_completion.award_stage_badge(
                badge, user_id, email, name, completed_at, wording, signer
            )
            if fresh:
                new_award_ids.add(award.id)
            stage_completion.link_award(completion.id, award.id)
            completion.assertion_id = award.id
    else:
        completion = stage_completion.earlier_completion(stage_id, user_id)
        if completion.assertion_id is not None:
            award = stage_completion.load_award(completion.assertion_id)
    if award is not None and badge is not None:
        award.badge = BadgeClass(id=badge.id, name=badge.name, issuer_id=badge.issuer_id)
    completion.stage = Stage(id=stage_id, course_id=course_id, name=facts.stage_name)

    course_award = None
    if finished_at is None and stage_completion.completed_stages(course_id, user_id) >= facts.total:
        # Finishing a course is rare: the ORM code does it, in the same transaction.
        enrolment = db.session.scalars(
            select(Enrolment)
            .where(Enrolment.course_id == course_id, Enrolment.user_id == user_id)
            .execution_options(populate_existing=True)
        ).one()
        course_awards = _finish_courses(
            get_course(course_id),
            {user_id: enrolment},
            [email],
            {email: user_id},
            completed_at,
            signer,
            new_award_ids,
        )
        course_award = course_awards.get(user_id)
        finished_at = enrolment.completed_at
    return CompletionResult(
        user=User(id=user_id, email=email, name=name),
        completion=completion,
        new=new,
        award=award,
        course_award=course_award,
        course_completed=finished_at is not None,
        new_award_ids=frozenset(new_award_ids),
    )


def _completion_time(completed_at: datetime | None, now: datetime) -> datetime:
    """When a reported completion happened: now unless given; never in the future."""
    if completed_at is None:
        return now
    completed_at = award_time(completed_at, "completed_at")  # it is the awards' date too
    if completed_at > now + CLOCK_SKEW:
        raise InvalidInputError("completed_at may not be in the future", "completed_at")
    return completed_at


def _completion_row(
    course_id: uuid.UUID,
    stage_id: uuid.UUID,
    user_id: uuid.UUID,
    completed_at: datetime,
    now: datetime,
    reporter: Reporter,
) -> dict[str, Any]:
    """The stage_completions row of one report (the award is linked once made)."""
    return {
        "id": uuid.uuid4(),
        "course_id": course_id,
        "stage_id": stage_id,
        "user_id": user_id,
        "completed_at": completed_at,
        "recorded_at": now,
        "source": reporter.source,
        "reported_by_id": reporter.user_id,
        "remote_addr": reporter.remote_addr,
        "assertion_id": None,
    }


def course_progress(user_id: uuid.UUID) -> list[Progress]:
    """Return the learner's progress in every course they have started, most recent first."""
    enrolments = db.session.scalars(
        select(Enrolment)
        .where(Enrolment.user_id == user_id)
        .options(
            joinedload(Enrolment.course).selectinload(Course.stages).joinedload(Stage.badge),
            joinedload(Enrolment.course).joinedload(Course.completion_badge),
        )
        .order_by(Enrolment.started_at.desc())
    ).unique()
    done_stages = set(
        db.session.scalars(
            select(StageCompletion.stage_id).where(StageCompletion.user_id == user_id)
        )
    )
    progress = []
    for enrolment in enrolments:
        course = enrolment.course
        todo = [stage for stage in course.stages if stage.id not in done_stages]
        badge_stage = next((stage for stage in todo if stage.badge is not None), None)
        next_badge = badge_stage.badge if badge_stage else None
        if next_badge is None and enrolment.completed_at is None:
            next_badge = course.completion_badge
        progress.append(
            Progress(
                course=course,
                done=len(course.stages) - len(todo),
                total=len(course.stages),
                completed_at=enrolment.completed_at,
                next_stage=todo[0] if todo else None,
                next_badge=next_badge,
                next_badge_stage=badge_stage,
            )
        )
    return progress


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


def count_learners(course_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, tuple[int, int]]:
    """Return, per course, how many learners started it and how many finished it."""
    if not course_ids:
        return {}
    rows = db.session.execute(
        select(
            Enrolment.course_id,
            func.count(),
            func.count(Enrolment.completed_at),
        )
        .where(Enrolment.course_id.in_(course_ids))
        .group_by(Enrolment.course_id)
    )
    return {course_id: (started, finished) for course_id, started, finished in rows}


def _apply(course: Course, fields: Mapping[str, Any]) -> None:
    if "name" in fields:
        course.name = fields["name"].strip()
        if not course.name:
            raise InvalidInputError("name may not be blank", "name")
    if "description" in fields:
        course.description = (fields["description"] or "").strip() or None
    if "completion_badge" in fields:
        badge_id = fields["completion_badge"]
        course.completion_badge = (
            _earnable_badge(badge_id, "completion_badge") if badge_id else None
        )
    if "stages" in fields:
        _replace_stages(course, fields["stages"])


def _replace_stages(course: Course, specs: Sequence[Mapping[str, Any]]) -> None:
    if not specs:
        raise InvalidInputError("a course needs at least one stage", "stages")
    if len(specs) > MAX_STAGES:
        raise InvalidInputError(f"a course has at most {MAX_STAGES} stages", "stages")
    current = {stage.id: stage for stage in course.stages}
    stages: list[Stage] = []
    for index, spec in enumerate(specs):
        field = f"stages[{index}]"
        if spec.get("id"):
            stage_id = _uuid(spec["id"], f"{field}.id")
            stage = current.get(stage_id)
            if stage is None or stage in stages:
                raise InvalidInputError(
                    f"{field}.id: the course has no stage with id {spec['id']}", f"{field}.id"
                )
        else:
            stage = Stage()
        stage.name = spec["name"].strip()
        if not stage.name:
            raise InvalidInputError(f"{field}.name may not be blank", f"{field}.name")
        badge_id = spec.get("badge")
        stage.badge = _earnable_badge(badge_id, f"{field}.badge") if badge_id else None
        stage.position = index
        stages.append(stage)
    removed = [stage for stage in current.values() if stage not in stages]
    if removed:
        completed = db.session.scalar(
            select(Stage.name)
            .join(StageCompletion, StageCompletion.stage_id == Stage.id)
            .where(Stage.id.in_([stage.id for stage in removed]))
            .limit(1)
        )
        if completed is not None:
            raise ConflictError(
                f"the stage {completed!r} has completions and cannot be removed; "
                "keep it (renaming it is fine)",
                "stages",
            )
    course.stages = stages


def _earnable_badge(value: str, field: str) -> BadgeClass:
    badge = db.session.get(BadgeClass, _uuid(value, field))
    if badge is None:
        raise InvalidInputError(f"{field}: no badge with id {value}", field)
    if badge.private:
        raise InvalidInputError(
            f"{field}: the badge {badge.name!r} is private; private badges are awarded by hand "
            "only and cannot be earned through a course",
            field,
        )
    if badge.archived:
        raise archived_error(badge.name, field)
    return badge


def _lock_enrolments(
    course_id: uuid.UUID, user_ids: list[uuid.UUID], now: datetime
) -> dict[uuid.UUID, Enrolment]:
    """Enrol the learners (once) and lock their enrolment rows until the commit."""
    rows = [
        {"id": uuid.uuid4(), "course_id": course_id, "user_id": user_id, "started_at": now}
        for user_id in user_ids
    ]
    insert_rows(Enrolment, rows, unique=("course_id", "user_id"))
    enrolments: dict[uuid.UUID, Enrolment] = {}
    for learners in among(Enrolment.user_id, user_ids):
        found = db.session.scalars(
            select(Enrolment)
            .where(Enrolment.course_id == course_id, learners)
            .order_by(Enrolment.user_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        enrolments.update({e.user_id: e for e in found})
    return enrolments


def _finish_courses(
    course: Course,
    enrolments: Mapping[uuid.UUID, Enrolment],
    emails: Sequence[str],
    user_ids: Mapping[str, uuid.UUID],
    completed_at: datetime,
    signer: Signer,
    new_award_ids: set[uuid.UUID],
) -> dict[uuid.UUID, Assertion]:
    """Mark finished every enrolment whose stages are all complete; award the course badge.

    Adds the ids of the awards it makes to ``new_award_ids``.
    """
    stage_ids = [stage.id for stage in course.stages]
    open_ids = [uid for uid, e in enrolments.items() if e.completed_at is None]
    done: dict[uuid.UUID, int] = {}
    for learners in among(StageCompletion.user_id, open_ids):
        rows = db.session.execute(
            select(StageCompletion.user_id, func.count())
            .where(
                learners,
                StageCompletion.stage_id.in_(stage_ids),
            )
            .group_by(StageCompletion.user_id)
        )
        done.update({user_id: count for user_id, count in rows})
    finished = {uid for uid in open_ids if done.get(uid, 0) == len(stage_ids)}
    for user_id in finished:
        enrolments[user_id].completed_at = completed_at
    badge = course.completion_badge
    if not finished or badge is None:
        return {}
    newly = [email for email in emails if user_ids[email] in finished]
    wording = _course_evidence(course, completed_at)
    awards = _award(badge, newly, user_ids, completed_at, wording, signer, new_award_ids)
    for user_id, award in awards.items():
        enrolments[user_id].completion_assertion_id = award.id
    return awards


def _award(
    badge: BadgeClass,
    emails: list[str],
    user_ids: Mapping[str, uuid.UUID],
    completed_at: datetime,
    wording: tuple[str, list[dict[str, str]]],
    signer: Signer,
    new_award_ids: set[uuid.UUID],
) -> dict[uuid.UUID, Assertion]:
    """Award a badge the course earns, issued when it was earned; the awards by learner id.

    Adds the ids of the awards it makes (not those held before) to ``new_award_ids``. They are
    signed on first use, which keeps a course platform's calls fast.
    """
    issued_on, expires = award_dates(badge, completed_at, None, utcnow())
    narrative, evidence = wording
    outcome = grant_badge(
        badge,
        [Grant(email, issued_on, expires, narrative, evidence) for email in emails],
        signer,
        sign_now=False,
        user_ids=user_ids,
    )
    new_award_ids |= outcome.new_ids
    return {user_ids[e]: award for e, award in zip(emails, outcome.awards, strict=True)}


def _stage_evidence(
    facts: stage_completion.StageFacts, completed_at: datetime
) -> tuple[str, list[dict[str, str]]]:
    course, stage, number, total = facts.course_name, facts.stage_name, facts.number, facts.total
    narrative = f"Completed the stage “{stage}” ({number} of {total}) of the course “{course}”."
    evidence = {
        "name": f"{course}: {stage}",
        "narrative": (
            f"Stage {number} of {total} of the course “{course}”, "
            f"completed on {completed_at:%Y-%m-%d}."
        ),
    }
    return narrative, [evidence]


def _course_evidence(course: Course, completed_at: datetime) -> tuple[str, list[dict[str, str]]]:
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


def _link_awards(
    completion_ids: Mapping[uuid.UUID, uuid.UUID], awards: Mapping[uuid.UUID, Assertion]
) -> None:
    rows = [{"id": completion_ids[uid], "assertion_id": a.id} for uid, a in awards.items()]
    for chunk in chunks(rows):
        db.session.execute(update(StageCompletion), list(chunk))


def _completions(
    stage_id: uuid.UUID, user_ids: list[uuid.UUID]
) -> dict[uuid.UUID, StageCompletion]:
    found: dict[uuid.UUID, StageCompletion] = {}
    for learners in among(StageCompletion.user_id, user_ids):
        rows = db.session.scalars(
            select(StageCompletion)
            .where(StageCompletion.stage_id == stage_id, learners)
            .options(joinedload(StageCompletion.assertion))
            .execution_options(populate_existing=True)
        )
        found.update({c.user_id: c for c in rows})
    return found


def _uuid(value: str, field: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise InvalidInputError(f"{field}: {value!r} is not a valid id", field) from None
