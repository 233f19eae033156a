"""Bulk awards from a CSV file: check every row first, then award all of them or none."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, update

from issuer.award_csv import CsvFormatError, RecipientRow, Roster, parse_roster
from issuer.extensions import db
from issuer.models import Assertion, BadgeClass, CsvUpload
from issuer.models.types import utcnow
from issuer.services.awards import (
    EAGER_SIGNING_LIMIT,
    AwardOutcome,
    Grant,
    award_dates,
    awardable_badge,
    current_awards,
    find_user_ids,
    grant_badge,
)
from issuer.services.batches import CHUNK
from issuer.services.errors import ConflictError, InvalidInputError, NotFoundError
from issuer.services.signing import Signer

NEW = "new"
HELD = "already_held"
DUPLICATE = "duplicate"
ERROR = "error"
STATUSES = (NEW, HELD, DUPLICATE, ERROR)


@dataclass
class RowPlan:
    """What a row of the file will do (or did): its status, and why when it is not new."""

    row: int
    email: str | None
    status: str
    messages: list[str] = field(default_factory=list)
    grant: Grant | None = None
    award: Assertion | None = None
    # For a repeated address: the row that awards it.
    duplicate_of: int | None = None


@dataclass
class CsvAwardPlan:
    """Every row of a checked file, what it will do, and the file-level problems."""

    badge: BadgeClass
    rows: list[RowPlan]
    header_errors: list[str]

    @property
    def error_count(self) -> int:
        """How many rows have errors (the header's problems count as one)."""
        return sum(row.status == ERROR for row in self.rows) + bool(self.header_errors)

    def counts(self) -> dict[str, int]:
        """How many rows have each status."""
        totals = dict.fromkeys(STATUSES, 0)
        for row in self.rows:
            totals[row.status] += 1
        return totals


class CsvRowsError(InvalidInputError):
    """Some rows (or the header) are wrong, so nothing was awarded; the plan says which."""

    def __init__(self, plan: CsvAwardPlan) -> None:
        errors = plan.error_count
        super().__init__(
            f"{errors:,} {'row has' if errors == 1 else 'rows have'} errors, so nothing was "
            "awarded. Fix them and send the file again; a dry run (dry_run=1) lists them.",
            "file",
        )
        self.plan = plan


def plan_csv_award(badge_id: uuid.UUID, data: bytes) -> CsvAwardPlan:
    """Check a file against the badge and the awards already made, changing nothing."""
    badge = awardable_badge(badge_id)
    try:
        roster = parse_roster(data)
    except CsvFormatError as error:
        raise InvalidInputError(error.message, "file") from None
    return _plan(badge, roster)


def award_csv(
    plan: CsvAwardPlan, signer: Signer, *, notify: bool = True, post_to_feed: bool = True
) -> Iterator[tuple[int, int]]:
    """Award every new row of a checked plan, yielding (rows done, rows to do) as it goes.

    All or nothing: raises CsvRowsError before writing anything when any row has an error.
    Each step flushes; the caller commits once at the end, or rolls back if it stops early.
    """
    if plan.error_count:
        raise CsvRowsError(plan)
    todo = [row for row in plan.rows if row.status in (NEW, HELD)]
    sign_now = len(todo) <= EAGER_SIGNING_LIMIT
    for start in range(0, len(todo), CHUNK):
        chunk = todo[start : start + CHUNK]
        grants = [row.grant for row in chunk if row.grant is not None]
        outcome: AwardOutcome = grant_badge(
            plan.badge,
            grants,
            signer,
            notify=notify,
            post_to_feed=post_to_feed,
            sign_now=sign_now,
        )
        for row, award in zip(chunk, outcome.awards, strict=True):
            row.award = award
            if row.status == NEW and award.id not in outcome.new_ids:  # awarded meanwhile
                _mark_held(row, award)
        yield start + len(chunk), len(todo)
    firsts = {row.row: row for row in todo}
    for row in plan.rows:
        if row.duplicate_of is not None:
            row.award = firsts[row.duplicate_of].award


def store_upload(
    badge_id: uuid.UUID, uploader_id: uuid.UUID, filename: str, data: bytes
) -> CsvUpload:
    """Keep an uploaded file until it is awarded; refuse one that cannot be read at all."""
    awardable_badge(badge_id)
    try:
        parse_roster(data)
    except CsvFormatError as error:
        raise InvalidInputError(error.message, "file") from None
    upload = CsvUpload(
        badge_id=badge_id, uploaded_by_id=uploader_id, filename=filename[:255], data=data
    )
    db.session.add(upload)
    db.session.flush()
    return upload


def get_upload(badge_id: uuid.UUID, upload_id: uuid.UUID) -> CsvUpload:
    """Return an uploaded file of this badge, or raise NotFoundError."""
    upload = db.session.get(CsvUpload, upload_id)
    if upload is None or upload.badge_id != badge_id:
        raise NotFoundError(f"no uploaded file with id {upload_id} for this badge")
    return upload


def award_upload(
    badge_id: uuid.UUID,
    upload_id: uuid.UUID,
    signer: Signer,
    *,
    notify: bool = True,
    post_to_feed: bool = True,
) -> Iterator[tuple[int, int]]:
    """Award an uploaded file once, all or nothing, yielding progress as award_csv does.

    Everything is loaded when the iteration starts, so a streamed response can run it.
    """
    upload = get_upload(badge_id, upload_id)
    claimed = db.session.execute(
        update(CsvUpload)
        .where(CsvUpload.id == upload.id, CsvUpload.awarded_at.is_(None))
        .values(awarded_at=utcnow())
    )
    if cast(CursorResult[Any], claimed).rowcount != 1:
        raise ConflictError(
            "This file has been awarded already, so nothing was awarded again. To award more "
            "people, upload a new file with them.",
            "file",
        )
    plan = plan_csv_award(upload.badge_id, upload.data)
    yield from award_csv(plan, signer, notify=notify, post_to_feed=post_to_feed)
    db.session.execute(
        update(CsvUpload).where(CsvUpload.id == upload.id).values(counts=plan.counts())
    )


def _plan(badge: BadgeClass, roster: Roster) -> CsvAwardPlan:
    now = utcnow()
    rows = [_plan_row(badge, entry, now) for entry in roster.rows]
    fine = {row.email: row for row in rows if row.status == NEW and row.email}
    user_ids = find_user_ids(list(fine))
    held = current_awards(badge.id, list(user_ids.values()))
    for email, user_id in user_ids.items():
        if user_id in held:
            _mark_held(fine[email], held[user_id])
    return CsvAwardPlan(badge=badge, rows=rows, header_errors=list(roster.header_errors))


def _mark_held(row: RowPlan, award: Assertion) -> None:
    row.status = HELD
    row.award = award
    row.messages.append("already holds this badge: no new award")


def _plan_row(badge: BadgeClass, entry: RecipientRow, now: datetime) -> RowPlan:
    messages = list(entry.errors)
    if entry.email is not None and not messages and entry.duplicate_of is not None:
        message = f"same address as row {entry.duplicate_of}: awarded once, by that row"
        return RowPlan(
            entry.row, entry.email, DUPLICATE, [message], duplicate_of=entry.duplicate_of
        )
    grant = None
    if not messages and entry.email is not None:
        try:
            issued_on, expires = award_dates(badge, entry.issued_on, entry.expires, now)
        except InvalidInputError as error:
            messages.append(error.message)
        else:
            grant = Grant(
                email=entry.email,
                issued_on=issued_on,
                expires=expires,
                narrative=entry.narrative,
                evidence=[{"url": entry.evidence_url}] if entry.evidence_url else (),
                name=entry.name,
            )
    if messages:
        return RowPlan(entry.row, entry.email, ERROR, messages)
    return RowPlan(entry.row, entry.email, NEW, grant=grant)
