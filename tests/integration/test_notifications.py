"""Notifications on award: the in-platform message and the queued e-mail, and reading them."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, select, update

from issuer import context, delivery
from issuer.extensions import db
from issuer.models import Assertion, BadgeClass, Notification, OutboxEmail, User
from issuer.models.types import utcnow
from issuer.services import notifications
from issuer.services.notifications import list_notifications, mark_read, unread_count
from tests.integration.test_api_issuers import count
from tests.support import ApiClient


@pytest.fixture(autouse=True)
def no_background_delivery(app: Flask) -> Iterator[None]:
    """Keep queued e-mail in the outbox, so the tests see it as the award left it."""
    delivery.stop_all()
    app.config["OUTBOX_DELIVERY"] = "off"
    yield
    delivery.stop_all()


def user_id(app: Flask, email: str) -> uuid.UUID:
    """The id of the user with this e-mail address."""
    with app.app_context():
        found = db.session.scalar(select(User.id).where(User.email == email))
        assert found is not None
        return found


def outbox_rows(app: Flask) -> list[OutboxEmail]:
    """Every queued e-mail, by recipient."""
    with app.app_context():
        return list(db.session.scalars(select(OutboxEmail).order_by(OutboxEmail.to_address)))


def test_award_notifies_the_recipient_and_queues_an_email(
    app: Flask, api: ApiClient, make_issuer: Any, make_badge: Any, award: Any
) -> None:
    assert (
        api.post("/users", {"email": "ada@example.org", "name": "Ada Lovelace"}).status_code == 201
    )
    badge = make_badge(issuer=make_issuer(name="Analytical Society")["id"], name="Engines")
    body = award(badge["id"], "ada@example.org", "grace@example.org")
    assert body["created"] == 2
    ada_award, grace_award = (a["id"] for a in body["awards"])

    with app.app_context():
        found = {n.user_id: n for n in db.session.scalars(select(Notification))}
    ada, grace = user_id(app, "ada@example.org"), user_id(app, "grace@example.org")
    assert set(found) == {ada, grace}
    assert str(found[ada].assertion_id) == ada_award
    assert str(found[grace].assertion_id) == grace_award
    assert found[ada].message == "You received the badge “Engines” from Analytical Society."
    assert found[ada].read_at is None
    assert abs(found[ada].created_at - utcnow()) < timedelta(minutes=1)

    mails = outbox_rows(app)
    assert [m.to_address for m in mails] == ["ada@example.org", "grace@example.org"]
    mail = mails[0]
    link = f"http://issuer.test/public/assertions/{ada_award}"
    assert mail.subject == "You received the badge “Engines”"
    assert mail.body_text.startswith("Hello Ada Lovelace,\n")
    assert "You received the badge “Engines” from Analytical Society." in mail.body_text
    assert link in mail.body_text
    assert mail.body_html is not None
    assert "<p>Hello Ada Lovelace,</p>" in mail.body_html
    assert f'<a href="{link}"' in mail.body_html
    assert '<img src="http://issuer.test/public/badges/' in mail.body_html
    assert "Hello grace," in mails[1].body_text  # learners created by the award: the local part
    assert (mail.attempts, mail.sent_at, mail.last_error) == (0, None, None)
    assert mail.next_attempt_at == mail.created_at == found[ada].created_at
    assert mail.next_attempt_at <= utcnow()


def test_user_supplied_text_is_escaped_in_the_html_email(
    api: ApiClient, app: Flask, make_issuer: Any, make_badge: Any, award: Any
) -> None:
    api.post("/users", {"email": "eve@example.org", "name": "Eve <img src=x onerror=alert(1)>"})
    issuer = make_issuer(name='Tom & Jerry\'s "School"')
    badge = make_badge(issuer=issuer["id"], name="<b>Bold</b>")
    award(badge["id"], "eve@example.org")

    (mail,) = outbox_rows(app)
    assert mail.body_html is not None
    assert "&lt;b&gt;Bold&lt;/b&gt;" in mail.body_html
    assert "<b>" not in mail.body_html
    assert "Eve &lt;img src=x onerror=alert(1)&gt;" in mail.body_html
    assert "<img src=x" not in mail.body_html
    assert "Tom &amp; Jerry&#39;s &#34;School&#34;" in mail.body_html
    # Plain text and the subject carry the text as it is.
    assert '“<b>Bold</b>” from Tom & Jerry\'s "School".' in mail.body_text
    assert mail.subject == "You received the badge “<b>Bold</b>”"
    with app.app_context():
        (note,) = db.session.scalars(select(Notification))
    assert note.message == 'You received the badge “<b>Bold</b>” from Tom & Jerry\'s "School".'


def test_line_breaks_in_a_badge_name_stay_out_of_the_subject(
    app: Flask, make_badge: Any, award: Any
) -> None:
    badge = make_badge(name="First\r\nBcc: everyone@example.org")
    award(badge["id"], "ada@example.org")
    (mail,) = outbox_rows(app)
    assert mail.subject == "You received the badge “First Bcc: everyone@example.org”"


def test_notify_false_sends_nothing(app: Flask, make_badge: Any, award: Any) -> None:
    body = award(make_badge()["id"], "ada@example.org", notify=False)
    assert body["created"] == 1
    assert count(app, Notification) == 0
    assert count(app, OutboxEmail) == 0


def test_only_new_awards_are_notified(app: Flask, make_badge: Any, award: Any) -> None:
    badge = make_badge()
    award(badge["id"], "ada@example.org")
    again = award(badge["id"], "ada@example.org")
    assert (again["created"], again["existing"]) == (0, 1)
    assert count(app, Notification) == 1
    assert count(app, OutboxEmail) == 1

    mixed = award(badge["id"], "ada@example.org", "grace@example.org")
    assert (mixed["created"], mixed["existing"]) == (1, 1)
    assert count(app, Notification) == 2
    assert [m.to_address for m in outbox_rows(app)] == ["ada@example.org", "grace@example.org"]

    duplicate = award(badge["id"], "ada@example.org", allow_duplicate=True)
    assert duplicate["created"] == 1  # a second award of the same badge is news too
    assert count(app, Notification) == 3


def test_archived_badge_takes_no_awards(app: Flask, api: ApiClient, make_badge: Any) -> None:
    badge = make_badge(name="Retired")
    with app.app_context():
        db.session.execute(
            update(BadgeClass).where(BadgeClass.id == uuid.UUID(badge["id"])).values(archived=True)
        )
        db.session.commit()
    users_before = count(app, User)

    response = api.post(f"/badges/{badge['id']}/awards", {"recipients": ["new@example.org"]})

    assert response.status_code == 400
    assert response.json == {
        "error": "Bad Request",
        "message": "the badge 'Retired' is archived and takes no new awards",
        "field": "badge",
    }
    assert count(app, Assertion) == 0
    assert count(app, User) == users_before
    assert count(app, Notification) == 0
    assert count(app, OutboxEmail) == 0


def test_a_thousand_recipients(app: Flask, api: ApiClient, make_badge: Any) -> None:
    recipients = [f"learner{i:04d}@example.org" for i in range(1000)]
    response = api.post(f"/badges/{make_badge()['id']}/awards", {"recipients": recipients})
    assert response.status_code == 201
    assert count(app, Notification) == 1000
    assert count(app, OutboxEmail) == 1000
    with app.app_context():
        pairs = db.session.execute(
            select(Assertion.recipient_email, OutboxEmail.to_address)
            .join(Notification, Notification.assertion_id == Assertion.id)
            .join(OutboxEmail, OutboxEmail.to_address == Assertion.recipient_email)
        ).all()
    assert len(pairs) == 1000
    assert {to for _, to in pairs} == set(recipients)


def test_notify_awards_with_nothing_to_notify(app: Flask) -> None:
    with app.app_context():
        notifications.notify_awards([], context.signer())
        assert not db.session.new
    assert count(app, Notification) == 0


# Reading notifications ------------------------------------------------------------------------


def test_unread_count_list_and_mark_read(app: Flask, make_badge: Any, award: Any) -> None:
    first, second, third = (make_badge(name=name) for name in ("One", "Two", "Three"))
    for badge in (first, second, third):
        award(badge["id"], "ada@example.org")
    award(first["id"], "grace@example.org")
    ada, grace = user_id(app, "ada@example.org"), user_id(app, "grace@example.org")

    with app.app_context():
        # Spread the times out, so "newest first" is well defined.
        notes = db.session.scalars(select(Notification).where(Notification.user_id == ada))
        by_badge = {n.message.split("“")[1].split("”")[0]: n for n in notes}
        for offset, name in enumerate(["One", "Two", "Three"]):
            by_badge[name].created_at = utcnow() + timedelta(seconds=offset)
        db.session.commit()

        assert unread_count(ada) == 3
        assert unread_count(grace) == 1
        listed = list_notifications(ada)
        assert [n.assertion.badge.name for n in listed if n.assertion] == ["Three", "Two", "One"]
        assert [n.message for n in list_notifications(ada, limit=2)] == [
            "You received the badge “Three” from Example Academy.",
            "You received the badge “Two” from Example Academy.",
        ]
        graces = list_notifications(grace)

        # Someone else's notification is not marked, nor counted.
        changed = mark_read(ada, [listed[0].id, graces[0].id])
        db.session.commit()
        assert changed == 1
        assert unread_count(ada) == 2
        assert unread_count(grace) == 1
        assert mark_read(ada, [listed[0].id]) == 0  # already read
        assert mark_read(ada, []) == 0
        read_at = db.session.get(Notification, listed[0].id)
        assert read_at is not None and read_at.read_at is not None

        assert mark_read(ada, None) == 2
        db.session.commit()
        assert unread_count(ada) == 0
        assert unread_count(grace) == 1
        assert mark_read(ada, None) == 0
        assert all(n.read_at is not None for n in list_notifications(ada))
        assert list_notifications(uuid.uuid4()) == []
        assert unread_count(uuid.uuid4()) == 0


def test_listing_loads_awards_and_badges_in_one_query(
    app: Flask, make_badge: Any, award: Any
) -> None:
    for name in ("One", "Two", "Three", "Four"):
        award(make_badge(name=name)["id"], "ada@example.org")
    ada = user_id(app, "ada@example.org")
    with app.app_context():
        statements: list[str] = []

        def record(*args: Any) -> None:
            statements.append(str(args[2]))

        event.listen(db.engine, "before_cursor_execute", record)
        try:
            listed = list_notifications(ada)
            names = sorted(n.assertion.badge.name for n in listed if n.assertion)
        finally:
            event.remove(db.engine, "before_cursor_execute", record)
    assert names == ["Four", "One", "Three", "Two"]
    assert len(statements) == 1, statements
