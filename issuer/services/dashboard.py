"""The Studio's figures: awards over time, top badges, course funnels, recent events, outbox.

Every query reads a bounded part of the big tables through an index, whatever their size:

- awards over time count the awards of a window (the last weeks or months) per badge through
  ``ix_assertions_badge_created`` (badge, created) alone, reached from the badges table, as
  PostgreSQL cannot skip through an index's first column; revoked ones are subtracted, read
  through the partial index of revoked awards (``ix_assertions_revoked``), so the count never
  visits the awards themselves;
- the buckets are ranges of time computed here and counted with a CASE, which SQLite and
  PostgreSQL both run alike (no date functions of either);
- top badges read the award tallies the database keeps (one row per badge);
- the recent awards are looked for only in the newest weeks that hold enough of them.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, func, select
from sqlalchemy.orm import joinedload, selectinload

from issuer.extensions import db
from issuer.models import Assertion, BadgeClass, BadgeTally, Course, OutboxEmail, StageCompletion
from issuer.models.types import utcnow
from issuer.services.badges import get_badge
from issuer.services.batches import among
from issuer.services.outbox import MAX_ATTEMPTS
from issuer.services.progress import count_learners

WEEKS = 12
MONTHS = 12
PERIODS = ("week", "month")
TOP_BADGES = 5
RECENT = 5
COURSES_SHOWN = 10
HOLDERS_PAGE = 50


@dataclass(frozen=True)
class Bucket:
    """A span of time, [start, end), and how many awards made in it still stand."""

    start: datetime
    end: datetime
    count: int


@dataclass(frozen=True)
class Series:
    """Award counts per week or per month, oldest first; the last one is the current period."""

    period: str
    buckets: tuple[Bucket, ...]

    @property
    def total(self) -> int:
        """The awards of every bucket together."""
        return sum(bucket.count for bucket in self.buckets)

    @property
    def busiest(self) -> Bucket | None:
        """The bucket with the most awards (the newest of equals), or None without awards."""
        best = max(reversed(self.buckets), key=lambda bucket: bucket.count, default=None)
        return best if best is not None and best.count else None


@dataclass(frozen=True)
class TopBadge:
    """A badge and how many unrevoked awards it has."""

    badge: BadgeClass
    awards: int


@dataclass(frozen=True)
class FunnelStep:
    """One step of a course funnel: started, a stage completed, or finished."""

    label: str
    count: int


@dataclass(frozen=True)
class Funnel:
    """How many learners started a course, completed each of its stages and finished it."""

    course: Course
    steps: tuple[FunnelStep, ...]

    @property
    def started(self) -> int:
        """How many learners started the course."""
        return self.steps[0].count


@dataclass(frozen=True)
class OutboxHealth:
    """The unsent e-mails: waiting (some of them after failing), and those given up."""

    waiting: int
    retrying: int
    failed: int
    oldest_waiting: datetime | None
    # How many failed attempts make an e-mail given up.
    max_attempts: int = MAX_ATTEMPTS


@dataclass(frozen=True)
class Dashboard:
    """Everything Studio home shows."""

    awards_per_week: Series
    top_badges: list[TopBadge]
    funnels: list[Funnel]
    courses_total: int
    recent_awards: list[Assertion]
    recent_revocations: list[Assertion]
    outbox: OutboxHealth


@dataclass(frozen=True)
class BadgeOverview:
    """A badge's Studio page: its counts, awards over time and one page of its holders."""

    badge: BadgeClass
    awarded: int
    revoked: int
    series: Series
    holders: list[Assertion]
    page: int
    more: bool


def studio_dashboard(now: datetime | None = None) -> Dashboard:
    """Return the figures of Studio home."""
    bounds = week_bounds(now or utcnow(), WEEKS)
    badges = _badges()
    made = _made_per_bucket(bounds, badges)
    series = _series("week", bounds, made, _revoked_per_bucket(bounds, badges))
    funnels, courses_total = course_funnels()
    return Dashboard(
        awards_per_week=series,
        top_badges=top_badges(),
        funnels=funnels,
        courses_total=courses_total,
        recent_awards=_recent_awards(bounds, made, badges),
        recent_revocations=_recent_revocations(bounds[0], badges),
        outbox=outbox_health(),
    )


def badge_overview(
    badge_id: uuid.UUID, *, period: str = "month", page: int = 1, now: datetime | None = None
) -> BadgeOverview:
    """Return a badge, its award counts, its awards per week or month and a page of holders."""
    badge = get_badge(badge_id)
    if period not in PERIODS:
        raise ValueError(f"period must be one of {PERIODS}, not {period!r}")
    moment = now or utcnow()
    bounds = week_bounds(moment, WEEKS) if period == "week" else month_bounds(moment, MONTHS)
    badges = _badges(badge_id)
    series = _series(
        period, bounds, _made_per_bucket(bounds, badges), _revoked_per_bucket(bounds, badges)
    )
    tally = db.session.execute(
        select(BadgeTally.awarded, BadgeTally.revoked).where(BadgeTally.badge_id == badge_id)
    ).one_or_none()
    awarded, revoked = tally if tally is not None else (0, 0)
    holders, more = badge_holders(badge_id, page=page)
    return BadgeOverview(badge, awarded - revoked, revoked, series, holders, page, more)


def badge_holders(badge_id: uuid.UUID, *, page: int = 1) -> tuple[list[Assertion], bool]:
    """Return one page of a badge's unrevoked awards, newest first, and whether more follow."""
    found = list(
        db.session.scalars(
            select(Assertion)
            .options(joinedload(Assertion.recipient))
            .where(Assertion.badge_id == badge_id, Assertion.revoked.is_(False))
            .order_by(Assertion.created_at.desc(), Assertion.id.desc())
            .offset((max(page, 1) - 1) * HOLDERS_PAGE)
            .limit(HOLDERS_PAGE + 1)  # one more says whether a next page exists
        )
    )
    return found[:HOLDERS_PAGE], len(found) > HOLDERS_PAGE


def top_badges(limit: int = TOP_BADGES) -> list[TopBadge]:
    """Return the badges with the most unrevoked awards (private ones included), most first."""
    current = (BadgeTally.awarded - BadgeTally.revoked).label("current")
    rows = db.session.execute(
        select(BadgeClass, current)
        .join(BadgeTally, BadgeTally.badge_id == BadgeClass.id)
        .where(BadgeTally.awarded - BadgeTally.revoked > 0)
        .order_by(current.desc(), BadgeClass.name, BadgeClass.id)
        .limit(limit)
    )
    return [TopBadge(badge, count) for badge, count in rows]


def course_funnels(limit: int = COURSES_SHOWN) -> tuple[list[Funnel], int]:
    """Return the newest courses' funnels (started, each stage, finished) and how many exist."""
    total = db.session.scalar(select(func.count()).select_from(Course)) or 0
    found = list(
        db.session.scalars(
            select(Course)
            .options(selectinload(Course.stages))
            .order_by(Course.created_at.desc(), Course.id.desc())
            .limit(limit)
        )
    )
    learners = count_learners([course.id for course in found])
    stage_ids = [stage.id for course in found for stage in course.stages]
    done: dict[uuid.UUID, int] = {}
    if stage_ids:
        rows = db.session.execute(
            select(StageCompletion.stage_id, func.count())
            .where(StageCompletion.stage_id.in_(stage_ids))
            .group_by(StageCompletion.stage_id)
        )
        done = {stage_id: count for stage_id, count in rows}
    funnels = []
    for course in found:
        started, finished = learners.get(course.id, (0, 0))
        steps = [FunnelStep("Started", started)]
        steps += [FunnelStep(stage.name, done.get(stage.id, 0)) for stage in course.stages]
        steps.append(FunnelStep("Finished", finished))
        funnels.append(Funnel(course, tuple(steps)))
    return funnels, total


def outbox_health() -> OutboxHealth:
    """Count the unsent e-mails: waiting to be sent (retrying after a failure) and given up."""
    attempts = OutboxEmail.attempts
    waiting = attempts < MAX_ATTEMPTS
    # The pending index (sent_at, next_attempt_at) reads the unsent e-mails only.
    row = db.session.execute(
        select(
            func.count(case((waiting, 1))),
            func.count(case((and_(waiting, attempts > 0), 1))),
            func.count(case((attempts >= MAX_ATTEMPTS, 1))),
            func.min(case((waiting, OutboxEmail.created_at))),
        ).where(OutboxEmail.sent_at.is_(None))
    ).one()
    return OutboxHealth(waiting=row[0], retrying=row[1], failed=row[2], oldest_waiting=row[3])


def week_bounds(now: datetime, weeks: int) -> list[datetime]:
    """The edges of the last ``weeks`` weeks (Monday 00:00 UTC), the current one included."""
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    monday = today - timedelta(days=today.weekday())
    return [monday - timedelta(weeks=weeks - 1 - index) for index in range(weeks + 1)]


def month_bounds(now: datetime, months: int) -> list[datetime]:
    """The edges of the last ``months`` calendar months (UTC), the current one included."""
    first = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    edges = []
    for back in range(months - 1, -2, -1):  # down to -1: the start of the next month
        year, month = divmod(first.year * 12 + first.month - 1 - back, 12)
        edges.append(first.replace(year=year, month=month + 1))
    return edges


def _series(
    period: str, bounds: Sequence[datetime], made: Sequence[int], revoked: Sequence[int]
) -> Series:
    buckets = tuple(
        Bucket(start, end, awarded - gone)
        for start, end, awarded, gone in zip(bounds[:-1], bounds[1:], made, revoked, strict=True)
    )
    return Series(period, buckets)


def _bucket_of(moment: Any, bounds: Sequence[datetime]) -> ColumnElement[int]:
    """Which bucket a time falls in (-1 outside the bounds), as SQL both databases run."""
    edges = ((moment < edge, index) for index, edge in enumerate(bounds[1:]))
    return case((moment < bounds[0], -1), *edges, else_=-1)


def _per_bucket(sources: Sequence[Select[Any]], bucket_count: int) -> list[int]:
    """Count the rows of one-column queries of bucket numbers, per bucket, all together."""
    counts = [0] * bucket_count
    for source in sources:
        numbers = source.subquery()
        # Grouped by the subquery's column, not the CASE: PostgreSQL would see the CASE in
        # the SELECT and in the GROUP BY as two expressions (their parameters are bound apart).
        rows = db.session.execute(select(numbers.c.bucket, func.count()).group_by(numbers.c.bucket))
        for number, count in rows:
            if 0 <= number < bucket_count:
                counts[number] += count
    return counts


def _badges(badge_id: uuid.UUID | None = None) -> list[ColumnElement[bool]]:
    """Conditions that together pick one badge's awards, or every badge's.

    Every badge is named (a list of ids, or an array on PostgreSQL), so that each badge's
    part of an index led by the badge is read, not the whole index: neither database reliably
    chooses that plan for a join from the badges, and PostgreSQL cannot skip through an index's
    first column.
    """
    if badge_id is not None:
        return [Assertion.badge_id == badge_id]
    ids = list(db.session.scalars(select(BadgeClass.id).order_by(BadgeClass.id)))
    return list(among(Assertion.badge_id, ids))


def _made_per_bucket(
    bounds: Sequence[datetime], badges: Sequence[ColumnElement[bool]]
) -> list[int]:
    """How many awards were made in each bucket, revoked ones included (read from the index)."""
    created = Assertion.created_at
    return _per_bucket(
        [
            select(_bucket_of(created, bounds).label("bucket")).where(
                condition, created >= bounds[0], created < bounds[-1]
            )
            for condition in badges
        ],
        len(bounds) - 1,
    )


def _revoked_per_bucket(
    bounds: Sequence[datetime], badges: Sequence[ColumnElement[bool]]
) -> list[int]:
    """How many awards made in each bucket are revoked by now.

    Read through the partial index of revoked awards: those revoked since the window opened
    (an award is revoked after it is made), whenever they were made; the CASE leaves out the
    older ones. No range on the time made: SQLite would read the badge's index of every award.
    """
    return _per_bucket(
        [
            select(_bucket_of(Assertion.created_at, bounds).label("bucket")).where(
                condition, Assertion.revoked.is_(True), Assertion.revoked_at >= bounds[0]
            )
            for condition in badges
        ],
        len(bounds) - 1,
    )


def _recent_awards(
    bounds: Sequence[datetime], made: Sequence[int], badges: Sequence[ColumnElement[bool]]
) -> list[Assertion]:
    """The newest awards (revoked ones too), looked for in the newest weeks that hold them."""
    if not sum(made):
        return []
    since, seen = bounds[0], 0
    for start, count in zip(reversed(bounds[:-1]), reversed(made), strict=True):
        seen += count
        if seen >= RECENT:
            since = start
            break
    return _newest(
        Assertion.created_at,
        badges,
        Assertion.created_at >= since,
        Assertion.created_at < bounds[-1],
    )


def _recent_revocations(since: datetime, badges: Sequence[ColumnElement[bool]]) -> list[Assertion]:
    """The newest revocations since a time, through the partial index of revoked awards."""
    return _newest(
        Assertion.revoked_at, badges, Assertion.revoked.is_(True), Assertion.revoked_at >= since
    )


def _newest(
    moment: Any, badges: Sequence[ColumnElement[bool]], *where: ColumnElement[bool]
) -> list[Assertion]:
    """The RECENT awards latest by ``moment`` among those matching, over every badge group."""
    found: list[tuple[Any, uuid.UUID]] = []
    for condition in badges:
        rows = db.session.execute(
            select(moment, Assertion.id)
            .where(condition, *where)
            .order_by(moment.desc(), Assertion.id.desc())
            .limit(RECENT)
        )
        found += [(when, award_id) for when, award_id in rows]
    found.sort(reverse=True)
    return _load_awards([award_id for _, award_id in found[:RECENT]])


def _load_awards(ids: Sequence[uuid.UUID]) -> list[Assertion]:
    """These awards with their badge and recipient, in the order given."""
    if not ids:
        return []
    found = {
        award.id: award
        for award in db.session.scalars(
            select(Assertion)
            .where(Assertion.id.in_(ids))
            .options(joinedload(Assertion.badge), joinedload(Assertion.recipient))
        )
    }
    return [found[award_id] for award_id in ids if award_id in found]
