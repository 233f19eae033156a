"""The e-mail outbox: mail is written in the transaction that caused it and sent after commit.

An award never waits for, or fails because of, the mail server: ``enqueue`` only inserts rows.
Delivery happens later, by the delivery loop of issuer.delivery (the ``flask --app wsgi outbox
work`` process, or a background thread in each web process) or by ``flask --app wsgi outbox
send``, and retries with growing pauses.

Delivery is at least once. Each e-mail is claimed in its own short transaction (``FOR UPDATE
SKIP LOCKED`` on PostgreSQL, a single atomic UPDATE on SQLite) by pushing its next attempt a
lease ahead, so concurrent senders never take the same row, and no transaction stays open while
the mail server is talking. The result is committed right after each send, so a crash between a
send and its commit repeats at most that one e-mail, after the lease expires; the repeat keeps
the same Message-ID, so mail clients can drop the duplicate.

Unlike other services, these functions commit: when an e-mail counts as sent is the point.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple, cast

from sqlalchemy import (
    Column,
    ColumnElement,
    Table,
    bindparam,
    func,
    insert,
    literal,
    literal_column,
    select,
    update,
)
from sqlalchemy.orm import Session

from issuer.extensions import db
from issuer.mail import (
    MailDeliveryError,
    MailSender,
    build_message,
    domain_of,
)
from issuer.models import OutboxEmail
from issuer.models.types import utcnow

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 10
# The pause after the 1st, 2nd, 3rd and 4th failure; every later one waits the last step.
BACKOFF = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=15), timedelta(hours=1))
BACKOFF_LATER = timedelta(hours=6)
# A claimed e-mail is retried after this long if its sender died before recording the result;
# far longer than one SMTP conversation may take.
LEASE = timedelta(minutes=10)
# E-mails claimed at once; each is still committed on its own once sent.
CLAIM_BATCH = 20

QUEUED = "issuer.outbox.queued"  # session.info: this transaction added outbox rows


@dataclass(frozen=True)
class DeliveryReport:
    """What a delivery run did: e-mails sent, failed attempts, unsent e-mails left to retry."""

    sent: int
    failed: int
    remaining: int

    def __str__(self) -> str:
        return f"sent {self.sent}, failed {self.failed}, waiting {self.remaining}"


class Email(NamedTuple):
    """An e-mail to queue: one recipient, a subject, a plain-text and an optional HTML body."""

    to_address: str
    subject: str
    body_text: str
    body_html: str | None = None


def enqueue(emails: Iterable[Email], *, now: datetime | None = None) -> None:
    """Queue e-mails with one INSERT; they are sent after the surrounding transaction commits."""
    rows = [
        {
            "id": uuid.uuid4(),
            "to_address": email.to_address,
            "subject": email.subject,
            "body_text": email.body_text,
            "body_html": email.body_html,
        }
        for email in emails
    ]
    if not rows:
        return
    queued_at = now or utcnow()
    # A Core insert on the table: no per-row ORM work. last_error and sent_at stay NULL.
    _insert_emails(rows, {"created_at": queued_at, "attempts": 0, "next_attempt_at": queued_at})
    db.session.info[QUEUED] = True


# From this many rows on, the values every row shares are written into the SQL once (see
# sql_constant); for fewer, the cached statement with bound parameters costs less.
LITERAL_FROM = 100


def _insert_emails(rows: list[dict[str, Any]], shared: dict[str, Any]) -> None:
    """INSERT outbox rows that share some column values, the cheapest way for their number.

    Not batches.insert_rows: e-mail bodies are long, and sending 10,000 of them as one JSON
    document for SQLite to take apart costs a tenth more of a 10,000-recipient award.
    """
    if len(rows) < LITERAL_FROM:
        db.session.execute(insert(_outbox), [{**row, **shared} for row in rows])
        return
    literals = {name: sql_constant(value, _outbox.c[name]) for name, value in shared.items()}
    db.session.execute(insert(_outbox).values(**literals), rows, execution_options=UNCACHED)


# For statements with sql_constant(): their SQL differs each time, so caching it is no use.
UNCACHED = {"compiled_cache": None}


def sql_constant(value: Any, column: Column[Any]) -> ColumnElement[Any]:
    """A value written into the SQL of a bulk INSERT, for a column equal in every row.

    The value is then converted for the database once rather than once per row: that halves
    the cost of 10,000 outbox rows, whose timestamps all need converting. SQLAlchemy renders
    it with the column's type, as a literal. Execute with ``execution_options=UNCACHED``.
    """
    dialect = db.session.get_bind().dialect
    sql = literal(value, column.type).compile(
        dialect=dialect, compile_kwargs={"literal_binds": True}
    )
    return literal_column(str(sql), column.type)


def backoff(failures: int) -> timedelta:
    """The pause before the next attempt after this many failed ones."""
    return BACKOFF[failures - 1] if 1 <= failures <= len(BACKOFF) else BACKOFF_LATER


def deliver_due(
    sender: MailSender,
    *,
    now: datetime | None = None,
    limit: int = 100,
    mail_from: str,
    session: Session | None = None,
) -> DeliveryReport:
    """Send up to ``limit`` due e-mails, oldest first, committing after each one.

    A failed e-mail records the error and waits ``backoff(attempts)``; the run goes on with the
    next. After MAX_ATTEMPTS failures an e-mail is given up (and kept, with its last error).
    ``now`` lets tests move the clock; ``mail_from`` is the From header (MAIL_FROM). The
    session (db.session by default) must hold nothing uncommitted: this commits.
    """
    run = _Run(sender, session or db.session(), now, mail_from)
    run.deliver(limit)
    return run.report()


def deliver_all_due(
    sender: MailSender,
    *,
    now: datetime | None = None,
    mail_from: str,
    session: Session | None = None,
    keep_going: Callable[[], bool] | None = None,
) -> DeliveryReport:
    """Send every e-mail due at ``now``, like deliver_due without a limit.

    ``keep_going`` is asked before each e-mail; when it says False the run ends, and the
    e-mails it claimed but did not send are due again at once, for the next sender.
    """
    run = _Run(sender, session or db.session(), now, mail_from, keep_going)
    run.deliver(None)
    return run.report()


def pending_count(session: Session | None = None) -> int:
    """How many e-mails are unsent and not given up (due now or waiting for a retry)."""
    count = (session or db.session).scalar(
        select(func.count())
        .select_from(_outbox)
        .where(_outbox.c.sent_at.is_(None), _outbox.c.attempts < MAX_ATTEMPTS)
    )
    return count or 0


def next_due_at(session: Session | None = None) -> datetime | None:
    """When the next unsent e-mail is due (None when there is none to send or retry)."""
    due: datetime | None = (session or db.session).scalar(
        select(func.min(_outbox.c.next_attempt_at)).where(
            _outbox.c.sent_at.is_(None), _outbox.c.attempts < MAX_ATTEMPTS
        )
    )
    return due


class _Run:
    """One delivery run: claims due e-mails a few at a time and sends them one by one."""

    def __init__(
        self,
        sender: MailSender,
        session: Session,
        now: datetime | None,
        mail_from: str,
        keep_going: Callable[[], bool] | None = None,
    ) -> None:
        self.sender = sender
        self.session = session
        self.now = now or utcnow()
        self.mail_from = mail_from
        self.domain = domain_of(self.mail_from)
        self.keep_going = keep_going
        self.sent = self.failed = 0

    def deliver(self, limit: int | None) -> None:
        """Send up to ``limit`` due e-mails (all with None)."""
        while limit is None or self.sent + self.failed < limit:
            done = self.sent + self.failed
            claimed = self.claim(CLAIM_BATCH if limit is None else min(CLAIM_BATCH, limit - done))
            if not claimed:
                return
            deadline = time.monotonic() + LEASE.total_seconds() / 2
            for index, row in enumerate(claimed):
                stopping = self.keep_going is not None and not self.keep_going()
                if stopping or time.monotonic() > deadline:
                    self.release([later.id for later in claimed[index:]])
                    return
                self.send(row)

    def report(self) -> DeliveryReport:
        """What the run did, and what is left."""
        remaining = pending_count(self.session)
        self.session.commit()  # end the read, so no transaction idles while the caller goes on
        return DeliveryReport(sent=self.sent, failed=self.failed, remaining=remaining)

    def claim(self, size: int) -> list[Any]:
        """Claim the oldest due e-mails by moving their next attempt a lease ahead; commit."""
        due = _outbox.alias("due")
        # A materialised CTE runs once: as a subquery of IN, PostgreSQL may run it again, and
        # with SKIP LOCKED a second run finds other rows than the first.
        oldest = (
            select(due.c.id)
            .where(
                due.c.sent_at.is_(None),
                due.c.attempts < MAX_ATTEMPTS,
                due.c.next_attempt_at <= self.now,
            )
            .order_by(due.c.created_at, due.c.id)
            .limit(size)
            .with_for_update(skip_locked=True)  # PostgreSQL; SQLite runs one UPDATE at a time
            .cte("oldest")
            .prefix_with("MATERIALIZED", dialect="postgresql")
        )
        claim = (
            update(_outbox)
            .where(_outbox.c.id == oldest.c.id, _outbox.c.sent_at.is_(None))
            .values(next_attempt_at=self.now + LEASE)
            .returning(*(_outbox.c[name] for name in _CLAIMED_COLUMNS))
        )
        rows = self.session.execute(claim).all()
        self.session.commit()
        return sorted(rows, key=lambda row: (row.created_at, row.id))

    def send(self, row: Any) -> None:
        """Send one claimed e-mail and commit the outcome."""
        try:
            self.sender.send(
                build_message(
                    sender=self.mail_from,
                    to=row.to_address,
                    subject=row.subject,
                    text=row.body_text,
                    html=row.body_html,
                    date=row.created_at,
                    message_id=f"<{row.id}@{self.domain}>",
                )
            )
        except MailDeliveryError as error:
            reason = str(error)
        except Exception as error:  # a malformed e-mail must not hold up the others
            log.exception("outbox: could not build or send e-mail %s", row.id)
            reason = f"{type(error).__name__}: {error}"
        else:
            self.session.execute(_SENT, {"b_id": row.id, "b_now": self.now})
            self.session.commit()
            self.sent += 1
            return
        attempts = row.attempts + 1
        self.session.execute(
            _FAILED,
            {
                "b_id": row.id,
                "b_attempts": attempts,
                "b_error": reason[:2000],
                "b_next": self.now + backoff(attempts),
            },
        )
        self.session.commit()
        self.failed += 1
        if attempts >= MAX_ATTEMPTS:
            log.error(
                "outbox: giving up on e-mail %s after %d attempts: %s", row.id, attempts, reason
            )
        else:
            log.warning("outbox: e-mail %s failed (attempt %d): %s", row.id, attempts, reason)

    def release(self, email_ids: list[uuid.UUID]) -> None:
        """Make claimed but unsent e-mails due again at once."""
        self.session.execute(_RELEASE, {"b_ids": email_ids, "b_now": self.now})
        self.session.commit()


_outbox = cast(Table, OutboxEmail.__table__)
_CLAIMED_COLUMNS = (
    "id",
    "to_address",
    "subject",
    "body_text",
    "body_html",
    "attempts",
    "created_at",
)


# The per-e-mail UPDATEs, built once: building a statement costs more than running it.
_by_id = _outbox.c.id == bindparam("b_id")
_SENT = update(_outbox).where(_by_id).values(sent_at=bindparam("b_now"))
_FAILED = (
    update(_outbox)
    .where(_by_id)
    .values(
        attempts=bindparam("b_attempts"),
        last_error=bindparam("b_error"),
        next_attempt_at=bindparam("b_next"),
    )
)
_RELEASE = (
    update(_outbox)
    .where(_outbox.c.id.in_(bindparam("b_ids", expanding=True)), _outbox.c.sent_at.is_(None))
    .values(next_attempt_at=bindparam("b_now"))
)
