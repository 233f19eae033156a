"""The e-mail outbox: delivery after commit, retries, the CLI, the delivery loop and thread."""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any
from unittest.mock import patch

import pytest
from flask import Flask
from sqlalchemy import select

from issuer import delivery
from issuer.config import ConfigError, finalize_config, load_config
from issuer.extensions import db
from issuer.mail import MailDeliveryError, sender_from_config
from issuer.models import OutboxEmail
from issuer.models.types import utcnow
from issuer.services import outbox
from issuer.services.outbox import (
    MAX_ATTEMPTS,
    DeliveryReport,
    Email,
    backoff,
    deliver_all_due,
    deliver_due,
)
from tests.integration.test_api_issuers import count
from tests.support import ApiClient, wait_for
from tests.unit.test_mail import Mailbox, free_port, smtp_server

# The From header of deliveries run by hand in these tests.
FROM = "badges@issuer.test"


@pytest.fixture(autouse=True)
def delivery_off(app: Flask) -> Iterator[None]:
    """Tests deliver by hand unless they switch the background thread on; none outlives one."""
    delivery.stop_all()
    app.config["OUTBOX_DELIVERY"] = "off"
    yield
    delivery.stop_all()


@pytest.fixture
def smtp(app: Flask) -> Iterator[Mailbox]:
    """A real SMTP server on loopback, configured as the app's ISSUER_SMTP_URL."""
    with smtp_server() as (mailbox, port):
        app.config["SMTP_URL"] = f"smtp://127.0.0.1:{port}"
        yield mailbox


@pytest.fixture
def smtp_down(app: Flask) -> str:
    """Point the app at a port nothing listens on; returns the URL."""
    url = f"smtp://127.0.0.1:{free_port()}"
    app.config["SMTP_URL"] = url
    return url


def rows(app: Flask) -> list[OutboxEmail]:
    """Every outbox row, by recipient."""
    with app.app_context():
        return list(db.session.scalars(select(OutboxEmail).order_by(OutboxEmail.to_address)))


def deliver(app: Flask, *, now: datetime | None = None, limit: int = 100) -> DeliveryReport:
    """Run deliver_due in a fresh app context with the app's configured sender."""
    with app.app_context():
        sender = sender_from_config(app.config)
        try:
            return deliver_due(sender, now=now, limit=limit, mail_from=app.config["MAIL_FROM"])
        finally:
            sender.close()


def queue(app: Flask, *addresses: str) -> None:
    """Queue plain e-mails directly and commit."""
    with app.app_context():
        outbox.enqueue([Email(a, f"Hello {a}", "Text.", "<p>HTML</p>") for a in addresses])
        db.session.commit()


class FailingSender:
    """A sender whose server always says no."""

    def __init__(self) -> None:
        self.calls = 0

    def send(self, message: EmailMessage) -> None:
        """Refuse."""
        self.calls += 1
        raise MailDeliveryError("SMTP mail.example.org:25: 451 try again later")

    def close(self) -> None:
        """Nothing to close."""


class SlowSender:
    """Records every recipient, taking a little time per message."""

    def __init__(self, log: list[str], lock: threading.Lock) -> None:
        self.log = log
        self.lock = lock

    def send(self, message: EmailMessage) -> None:
        """Note the recipient after a pause."""
        time.sleep(0.01)
        with self.lock:
            self.log.append(str(message["To"]))

    def close(self) -> None:
        """Nothing to close."""


# Delivery -------------------------------------------------------------------------------------


def test_award_email_is_delivered_after_commit(
    app: Flask, smtp: Mailbox, make_badge: Any, award: Any
) -> None:
    body = award(make_badge(name="<b>Bold</b>")["id"], "ada@example.org")
    assert smtp.messages == []  # delivery is off: nothing is sent during the request

    report = deliver(app)

    assert report == DeliveryReport(sent=1, failed=0, remaining=0)
    assert smtp.recipients == [["ada@example.org"]]
    (message,) = smtp.messages
    (row,) = rows(app)
    award_id = body["awards"][0]["id"]
    link = f"http://issuer.test/public/assertions/{award_id}"
    assert message["To"] == "ada@example.org"
    assert message["From"] == "badges@issuer.test"
    assert message["Subject"] == "You received the badge “<b>Bold</b>”"
    assert message["Message-ID"] == f"<{row.id}@issuer.test>"
    assert message.get_content_type() == "multipart/alternative"
    plain = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert isinstance(plain, EmailMessage) and isinstance(html, EmailMessage)
    assert link in plain.get_content()
    assert f'<a href="{link}"' in html.get_content()
    assert "&lt;b&gt;Bold&lt;/b&gt;" in html.get_content()
    assert "<b>Bold</b>" not in html.get_content()
    assert row.sent_at is not None
    assert (row.attempts, row.last_error) == (0, None)

    assert deliver(app) == DeliveryReport(sent=0, failed=0, remaining=0)
    assert len(smtp.messages) == 1


def test_a_broken_mail_server_neither_blocks_nor_loses_an_award(
    app: Flask, api: ApiClient, smtp_down: str, make_badge: Any
) -> None:
    badge = make_badge()
    response = api.post(f"/badges/{badge['id']}/awards", {"recipients": ["ada@example.org"]})
    assert response.status_code == 201
    assert api.get(f"/badges/{badge['id']}/awards").json["total"] == 1  # type: ignore[index]

    before = utcnow()
    report = deliver(app)
    assert report == DeliveryReport(sent=0, failed=1, remaining=1)
    (row,) = rows(app)
    assert row.attempts == 1
    assert row.sent_at is None
    assert row.last_error is not None
    assert smtp_down.removeprefix("smtp://") in row.last_error
    assert "refused" in row.last_error.lower()
    assert before + timedelta(minutes=1) <= row.next_attempt_at <= utcnow() + timedelta(minutes=1)

    # Not due again yet.
    assert deliver(app) == DeliveryReport(sent=0, failed=0, remaining=1)
    assert rows(app)[0].attempts == 1

    # The server is back, and the retry is due: sent exactly once.
    with smtp_server() as (mailbox, port):
        app.config["SMTP_URL"] = f"smtp://127.0.0.1:{port}"
        later = utcnow() + timedelta(minutes=2)
        assert deliver(app, now=later) == DeliveryReport(sent=1, failed=0, remaining=0)
        assert deliver(app, now=later) == DeliveryReport(sent=0, failed=0, remaining=0)
        assert deliver(app, now=later + timedelta(hours=12)).sent == 0
    assert mailbox.recipients == [["ada@example.org"]]
    (row,) = rows(app)
    assert row.sent_at == later
    assert row.attempts == 1  # the failed attempt, and its error, stay on record
    assert row.last_error is not None


def test_retries_back_off_then_give_up(app: Flask) -> None:
    queue(app, "ada@example.org")
    sender = FailingSender()
    now = utcnow()
    waits = []
    with app.app_context():
        for attempt in range(1, MAX_ATTEMPTS + 1):
            report = deliver_due(sender, now=now, mail_from=FROM)
            assert report.failed == 1
            assert report.remaining == (0 if attempt == MAX_ATTEMPTS else 1)
            row = db.session.scalars(
                select(OutboxEmail).execution_options(populate_existing=True)
            ).one()
            assert row.attempts == attempt
            assert row.last_error == "SMTP mail.example.org:25: 451 try again later"
            waits.append(row.next_attempt_at - now)
            assert (
                deliver_due(
                    sender, now=row.next_attempt_at - timedelta(seconds=1), mail_from=FROM
                ).failed
                == 0
            )
            now = row.next_attempt_at
        assert deliver_due(sender, now=now + timedelta(days=30), mail_from=FROM) == DeliveryReport(
            0, 0, 0
        )
    assert sender.calls == MAX_ATTEMPTS
    minutes = [int(wait.total_seconds() // 60) for wait in waits]
    assert minutes == [1, 5, 15, 60, 360, 360, 360, 360, 360, 360]
    assert [backoff(n) for n in (0, 1, 4, 5, 99)] == [
        timedelta(hours=6),
        timedelta(minutes=1),
        timedelta(hours=1),
        timedelta(hours=6),
        timedelta(hours=6),
    ]


def test_a_failure_does_not_hold_up_the_others(app: Flask, smtp: Mailbox) -> None:
    queue(app, "ada@example.org")
    # A line break in an address cannot go into a header: this one fails as it is built.
    queue(app, "bad\n@example.org")
    queue(app, "grace@example.org")
    report = deliver(app)
    assert report == DeliveryReport(sent=2, failed=1, remaining=1)
    assert smtp.recipients == [["ada@example.org"], ["grace@example.org"]]
    bad = [row for row in rows(app) if row.sent_at is None]
    assert [row.to_address for row in bad] == ["bad\n@example.org"]
    assert bad[0].last_error is not None and bad[0].last_error.startswith("ValueError")


def test_oldest_first_and_limit(app: Flask) -> None:
    queue(app, "first@example.org")
    queue(app, "second@example.org")
    queue(app, "third@example.org")
    sent: list[str] = []
    lock = threading.Lock()
    with app.app_context():
        assert deliver_due(SlowSender(sent, lock), limit=2, mail_from=FROM) == DeliveryReport(
            2, 0, 1
        )
        assert sent == ["first@example.org", "second@example.org"]
        assert deliver_due(SlowSender(sent, lock), mail_from=FROM) == DeliveryReport(1, 0, 0)
    assert sent[-1] == "third@example.org"


def test_concurrent_senders_never_send_the_same_email(app: Flask) -> None:
    addresses = [f"learner{i:02d}@example.org" for i in range(40)]
    queue(app, *addresses)
    sent: list[str] = []
    lock = threading.Lock()
    errors: list[BaseException] = []

    def run() -> None:
        try:
            with app.app_context():
                deliver_all_due(SlowSender(sent, lock), mail_from=FROM)
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert sorted(sent) == addresses  # each exactly once
    assert all(row.sent_at is not None for row in rows(app))


def test_claimed_emails_whose_sender_died_are_retried_after_the_lease(app: Flask) -> None:
    queue(app, "ada@example.org")
    now = utcnow()
    with app.app_context():
        (claimed,) = outbox._Run(FailingSender(), db.session(), now, FROM).claim(10)  # then died
        assert claimed.to_address == "ada@example.org"
        db.session.commit()
        sent: list[str] = []
        lock = threading.Lock()
        assert deliver_due(SlowSender(sent, lock), now=now, mail_from=FROM).sent == 0
        later = now + outbox.LEASE + timedelta(seconds=1)
        assert deliver_due(SlowSender(sent, lock), now=later, mail_from=FROM).sent == 1
    assert sent == ["ada@example.org"]


def test_log_sender_without_smtp_url(
    app: Flask, make_badge: Any, award: Any, caplog: pytest.LogCaptureFixture
) -> None:
    assert app.config["SMTP_URL"] is None
    award(make_badge()["id"], "ada@example.org")
    caplog.set_level(logging.INFO, logger="issuer.mail")
    assert deliver(app) == DeliveryReport(sent=1, failed=0, remaining=0)
    (record,) = [r for r in caplog.records if r.name == "issuer.mail"]
    assert record.levelno == logging.INFO
    assert "ada@example.org" in record.getMessage()
    assert "You received the badge “First Steps”" in record.getMessage()
    assert "http://issuer.test/public/assertions/" in record.getMessage()
    assert rows(app)[0].sent_at is not None


# The command ----------------------------------------------------------------------------------


def test_outbox_send_command(app: Flask, smtp: Mailbox, runner: Any) -> None:
    queue(app, "ada@example.org", "grace@example.org")
    result = runner.invoke(args=["outbox", "send"])
    assert result.exit_code == 0, result.output
    assert result.output == "sent 2, failed 0, waiting 0\n"
    assert sorted(r[0] for r in smtp.recipients) == ["ada@example.org", "grace@example.org"]
    result = runner.invoke(args=["outbox", "send"])
    assert result.output == "sent 0, failed 0, waiting 0\n"
    assert len(smtp.messages) == 2


def test_outbox_send_sends_more_than_one_batch(app: Flask, smtp: Mailbox, runner: Any) -> None:
    queue(app, *(f"learner{i:03d}@example.org" for i in range(outbox.CLAIM_BATCH * 2 + 5)))
    result = runner.invoke(args=["outbox", "send"])
    assert result.exit_code == 0, result.output
    assert result.output == f"sent {outbox.CLAIM_BATCH * 2 + 5}, failed 0, waiting 0\n"
    assert len(smtp.messages) == outbox.CLAIM_BATCH * 2 + 5


def test_outbox_send_with_the_server_down(app: Flask, smtp_down: str, runner: Any) -> None:
    queue(app, "ada@example.org", "grace@example.org")
    result = runner.invoke(args=["outbox", "send"])
    assert result.exit_code == 0, result.output
    assert result.output == "sent 0, failed 2, waiting 2\n"
    result = runner.invoke(args=["outbox", "send"])
    assert result.output == "sent 0, failed 0, waiting 2\n"  # both wait for their retry


def test_outbox_send_with_a_malformed_url(app: Flask, runner: Any) -> None:
    queue(app, "ada@example.org")
    app.config["SMTP_URL"] = "smtp://ada:s3cret-pw@mail.example.org:twenty-five"
    result = runner.invoke(args=["outbox", "send"])
    assert result.exit_code != 0
    assert "ISSUER_SMTP_URL is malformed" in result.output
    assert "s3cret" not in result.output
    assert rows(app)[0].attempts == 0


def test_outbox_send_logs_without_smtp_url(
    app: Flask, runner: Any, caplog: pytest.LogCaptureFixture
) -> None:
    queue(app, "ada@example.org")
    caplog.set_level(logging.INFO, logger="issuer.mail")
    result = runner.invoke(args=["outbox", "send"])
    # Printed on the console (standard error, which the runner mixes in), and logged.
    assert "e-mail not sent (ISSUER_SMTP_URL is not set) to ada@example.org" in result.output
    assert result.output.endswith("sent 1, failed 0, waiting 0\n")
    assert any("ada@example.org" in r.getMessage() for r in caplog.records)


# In-process delivery --------------------------------------------------------------------------


def test_background_delivery_after_the_request(
    app: Flask, api: ApiClient, smtp: Mailbox, make_badge: Any
) -> None:
    app.config["OUTBOX_DELIVERY"] = "background"
    loop = delivery.loop(app)
    badge = make_badge()
    assert not loop.running  # creating a badge queues no e-mail

    response = api.post(f"/badges/{badge['id']}/awards", {"recipients": ["ada@example.org"]})

    assert response.status_code == 201
    wait_for(lambda: len(smtp.messages) == 1, "the e-mail")
    wait_for(lambda: rows(app)[0].sent_at is not None, "the e-mail to be marked as sent")
    assert smtp.recipients == [["ada@example.org"]]
    assert loop.running  # it stays, asleep until the next commit or poll

    api.post(f"/badges/{badge['id']}/awards", {"recipients": ["grace@example.org"]})
    wait_for(lambda: len(smtp.messages) == 2, "the second e-mail")
    assert smtp.recipients[1] == ["grace@example.org"]


def test_background_delivery_with_the_server_down(
    app: Flask, api: ApiClient, smtp_down: str, make_badge: Any
) -> None:
    app.config["OUTBOX_DELIVERY"] = "background"
    badge = make_badge()
    started = time.monotonic()
    response = api.post(f"/badges/{badge['id']}/awards", {"recipients": ["ada@example.org"]})
    assert response.status_code == 201
    assert time.monotonic() - started < 5
    wait_for(lambda: rows(app)[0].attempts == 1, "the failed attempt")
    (row,) = rows(app)
    assert row.sent_at is None
    assert row.next_attempt_at > utcnow()
    loop = delivery.loop(app)
    assert loop.running  # asleep until the retry is due
    loop.stop()
    assert not loop.running
    assert count(app, OutboxEmail) == 1


def test_no_background_delivery_when_off(
    app: Flask, api: ApiClient, smtp: Mailbox, make_badge: Any
) -> None:
    badge = make_badge()
    api.post(f"/badges/{badge['id']}/awards", {"recipients": ["ada@example.org"]})
    time.sleep(0.2)
    assert not delivery.loop(app).running
    assert smtp.messages == []
    assert rows(app)[0].sent_at is None


def test_no_thread_for_requests_without_email(app: Flask, api: ApiClient, make_badge: Any) -> None:
    app.config["OUTBOX_DELIVERY"] = "background"
    badge = make_badge()
    api.post(f"/badges/{badge['id']}/awards", {"recipients": ["a@example.org"], "notify": False})
    bad = api.post(f"/badges/{badge['id']}/awards", {"recipients": ["not an address"]})
    assert bad.status_code == 400
    queue(app, "ada@example.org")  # committed outside a request, as a CLI command would
    assert not delivery.loop(app).running
    assert rows(app)[0].sent_at is None


def test_stop_and_restart(app: Flask, smtp: Mailbox) -> None:
    loop = delivery.loop(app)
    loop.stop()  # not running: nothing to do
    queue(app, "ada@example.org")
    loop.wake()
    wait_for(lambda: len(smtp.messages) == 1, "the e-mail")
    loop.stop()
    assert not loop.running
    queue(app, "grace@example.org")
    loop.wake()
    wait_for(lambda: len(smtp.messages) == 2, "the e-mail after a restart")
    delivery.stop_all()
    assert not loop.running


# The delivery loop's rounds -------------------------------------------------------------------


def test_a_round_sleeps_until_the_next_retry_or_a_poll(app: Flask, smtp_down: str) -> None:
    loop = delivery.DeliveryLoop(app, poll=600)
    assert loop.deliver() == 600  # nothing queued: the whole poll
    queue(app, "ada@example.org")
    pause = loop.deliver()  # fails; the retry is due in a minute
    assert rows(app)[0].attempts == 1
    assert 50 < pause <= 60
    assert delivery.DeliveryLoop(app, poll=5).deliver() == 5  # a poll comes sooner


def test_a_round_does_not_spin_on_email_another_sender_is_claiming(app: Flask) -> None:
    queue(app, "ada@example.org")
    loop = delivery.DeliveryLoop(app, poll=600)
    # Due, yet not claimed: another sender holds its row locked while it claims it.
    with patch.object(outbox._Run, "claim", return_value=[]):
        assert loop.deliver() == delivery.MIN_PAUSE_SECONDS


def test_a_failing_round_is_logged_and_retried_after_a_poll(
    app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    app.config["SMTP_URL"] = "smtp://mail.example.org:twenty-five"
    loop = delivery.DeliveryLoop(app, poll=7)
    with caplog.at_level(logging.ERROR, logger="issuer.delivery"):
        assert loop.deliver() == 7
        assert loop.deliver() == 7
    first, second = caplog.records
    assert "ISSUER_SMTP_URL is malformed" in first.getMessage()
    assert first.exc_info  # the traceback once
    assert not second.exc_info  # then a line per round


def test_a_stopped_run_leaves_the_rest_due_for_the_next_sender(app: Flask) -> None:
    queue(app, "first@example.org")
    queue(app, "second@example.org")
    queue(app, "third@example.org")
    sent: list[str] = []
    lock = threading.Lock()
    with app.app_context():
        report = deliver_all_due(
            SlowSender(sent, lock), mail_from=FROM, keep_going=lambda: not sent
        )
    assert report == DeliveryReport(sent=1, failed=0, remaining=2)
    assert sent == ["first@example.org"]
    unsent = [row for row in rows(app) if row.sent_at is None]
    assert [row.attempts for row in unsent] == [0, 0]
    assert all(row.next_attempt_at <= utcnow() for row in unsent)  # not a lease ahead
    assert deliver(app).sent == 2


# Configuration --------------------------------------------------------------------------------


def test_mail_configuration(tmp_path: Any) -> None:
    def finalized(**env: str) -> dict[str, Any]:
        config = load_config({"ISSUER_DATA_DIR": str(tmp_path), "ISSUER_SECRET_KEY": "x", **env})
        finalize_config(config)
        return config

    defaults = finalized()
    assert defaults["SMTP_URL"] is None
    assert defaults["MAIL_FROM"] == "badges@localhost"
    assert defaults["OUTBOX_DELIVERY"] == "background"
    configured = finalized(
        ISSUER_BASE_URL="https://Badges.Example.org:8443",
        ISSUER_SMTP_URL="smtps://mail.example.org",
        ISSUER_OUTBOX_DELIVERY="off",
    )
    assert configured["MAIL_FROM"] == "badges@badges.example.org"
    assert configured["SMTP_URL"] == "smtps://mail.example.org"
    assert configured["OUTBOX_DELIVERY"] == "off"
    own = finalized(ISSUER_MAIL_FROM="Academy Badges <noreply@academy.example.org>")
    assert own["MAIL_FROM"] == "Academy Badges <noreply@academy.example.org>"
    with pytest.raises(ConfigError, match="ISSUER_OUTBOX_DELIVERY"):
        finalized(ISSUER_OUTBOX_DELIVERY="cron")


def test_an_unknown_id_is_no_problem(app: Flask) -> None:
    with app.app_context():
        outbox._Run(FailingSender(), db.session(), None, FROM).release([uuid.uuid4()])
        assert outbox.pending_count() == 0
