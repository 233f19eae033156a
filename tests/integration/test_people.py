"""People management: invitations, password links, roles, deactivation, paging."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from issuer.extensions import db
from issuer.models import OutboxEmail, User
from issuer.services import users
from tests.integration.conftest import PASSWORD
from tests.support import ApiClient, csrf_token, log_in

NEW_PASSWORD = "a brand new secret"


def mails_to(app: Flask, address: str) -> list[OutboxEmail]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(OutboxEmail)
                .where(OutboxEmail.to_address == address)
                .order_by(OutboxEmail.created_at)
            )
        )


def link_in(mail: OutboxEmail) -> str:
    found = re.search(r"http://issuer\.test/password/set\?token=[\w-]+", mail.body_text)
    assert found is not None, mail.body_text
    assert found.group(0) in (mail.body_html or "")
    return found.group(0)


def set_password(client: FlaskClient, link: str, password: str = NEW_PASSWORD) -> Any:
    parts = urlsplit(link)
    path = f"{parts.path}?{parts.query}"
    page = client.get(path)
    if page.status_code != 200:
        return page
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text)
    assert token is not None
    return client.post(
        path, data={"csrf_token": token.group(1), "password": password, "repeat": password}
    )


def act(admin: FlaskClient, user_id: str, action: str) -> Any:
    token = csrf_token(admin, "/studio/users")
    return admin.post(
        f"/studio/users/{user_id}/account", data={"csrf_token": token, "action": action}
    )


def test_invite_set_password_log_in(app: Flask, as_admin: FlaskClient) -> None:
    token = csrf_token(as_admin, "/studio/users/invite")
    response = as_admin.post(
        "/studio/users/invite",
        data={
            "csrf_token": token,
            "name": "Nia New",
            "email": "Nia@Example.org",
            "role": "learner",
        },
    )
    assert response.status_code == 302
    (mail,) = mails_to(app, "nia@example.org")
    assert "invited" in mail.subject
    link = link_in(mail)
    visitor = app.test_client()
    short = set_password(visitor, link, "short")
    assert short.status_code == 400
    assert "at least 10 characters" in short.text
    done = set_password(visitor, link)
    assert done.status_code == 302  # logged in
    assert visitor.get("/feed").status_code == 200
    # The link worked once.
    again = set_password(app.test_client(), link)
    assert again.status_code == 400
    assert "used already" in again.text
    fresh = app.test_client()
    assert log_in(fresh, "nia@example.org", NEW_PASSWORD).status_code == 302


def test_invitations_need_a_name_a_valid_new_address(as_admin: FlaskClient) -> None:
    token = csrf_token(as_admin, "/studio/users/invite")
    for data, words in (
        ({"name": "Ada", "email": "not-an-email", "role": "learner"}, "email"),
        ({"name": "Lea", "email": "lea@example.org", "role": "learner"}, "already exists"),
        ({"name": "", "email": "x@example.org", "role": "learner"}, "This field is required"),
    ):
        response = as_admin.post("/studio/users/invite", data={"csrf_token": token, **data})
        assert response.status_code == 400, data
        assert words in response.text, (data, response.text[:2000])


def test_forgot_password_says_the_same_for_unknown_addresses(
    app: Flask, client: FlaskClient, people: dict[str, str]
) -> None:
    token = csrf_token(client, "/password/forgot")
    assert 'href="/password/forgot"' in client.get("/login").text
    answers = []
    for address in ("lea@example.org", "nobody@example.org"):
        response = client.post(
            "/password/forgot", data={"csrf_token": token, "email": address}, follow_redirects=True
        )
        answers.append(response.text.replace(address, "ADDRESS"))
    assert "If ADDRESS has an account here" in answers[0]
    assert answers[0] == answers[1]
    assert mails_to(app, "nobody@example.org") == []
    (mail,) = mails_to(app, "lea@example.org")
    assert mail.subject == "Set a new password"
    assert set_password(app.test_client(), link_in(mail)).status_code == 302
    assert log_in(app.test_client(), "lea@example.org", NEW_PASSWORD).status_code == 302
    assert log_in(app.test_client(), "lea@example.org", PASSWORD).status_code != 302


def test_a_broken_or_expired_link_explains_itself(
    app: Flask, client: FlaskClient, people: dict[str, str]
) -> None:
    response = client.get("/password/set?token=not-a-token")
    assert response.status_code == 400
    assert "not valid" in response.text
    assert 'href="/password/forgot"' in response.text
    from issuer import context
    from issuer.services import accounts

    with app.app_context():
        user = users.find_user_by_email("lea@example.org")
        assert user is not None
        old = accounts.password_token(user, "reset", -accounts.RESET_TTL, context.account_key())
    response = client.get(f"/password/set?token={old}")
    assert response.status_code == 400
    assert "expired" in response.text


def test_roles_and_deactivation(
    app: Flask,
    as_admin: FlaskClient,
    as_learner: FlaskClient,
    make_badge: Any,
    award: Any,
    people: dict[str, str],
) -> None:
    with app.app_context():
        lea = str(db.session.scalar(select(User.id).where(User.email == "lea@example.org")))
        admin = str(db.session.scalar(select(User.id).where(User.email == people["admin"])))
    made = award(make_badge()["id"], "lea@example.org")["awards"][0]
    with app.app_context():
        lea_token = users.create_token("lea@example.org")
        db.session.commit()
    assert act(as_admin, lea, "admin").status_code == 302
    assert as_learner.get("/studio/badges").status_code == 200  # an admin now
    api = ApiClient(app.test_client(), lea_token)
    assert api.get("/badges").status_code == 200

    assert act(as_admin, lea, "deactivate").status_code == 302
    assert as_learner.get("/studio/badges").status_code in (302, 401)  # the session ended
    assert api.get("/badges").status_code == 401  # and the API token
    refused = log_in(app.test_client(), "lea@example.org", PASSWORD)
    assert refused.status_code == 400
    assert "This account has been deactivated" in refused.text
    assert app.test_client().get(urlsplit(made["openBadgeId"]).path).status_code == 200
    listing = as_admin.get("/studio/users?q=lea").text
    assert "Deactivated" in listing
    assert act(as_admin, lea, "password").status_code == 302  # refused: reactivate first
    assert mails_to(app, "lea@example.org")[-1].subject != "Set a new password"

    assert act(as_admin, lea, "reactivate").status_code == 302
    assert log_in(app.test_client(), "lea@example.org", PASSWORD).status_code == 302
    # Nobody demotes or deactivates themselves (the last admin would be locked out).
    as_admin.get("/feed")
    assert act(as_admin, admin, "deactivate").status_code == 302
    with app.app_context():
        assert db.session.scalar(select(User.active).where(User.email == people["admin"]))


def test_the_people_list_pages(app: Flask, as_admin: FlaskClient) -> None:
    with app.app_context():
        for number in range(55):
            users.create_user(f"p{number:02d}@example.org", f"Person {number:02d}")
        db.session.commit()
    first = as_admin.get("/studio/users").text
    assert "Invite person" in first
    assert first.count("<tr>") == 51  # the header and 50 people
    assert 'href="/studio/users?page=2"' in first
    second = as_admin.get("/studio/users?page=2").text
    assert "Person 54" in second or "lea@example.org" in second
    assert "Previous" in second


def test_an_award_email_invites_people_without_a_password(
    app: Flask,
    award: Callable[..., Any],
    make_badge: Any,
    people: dict[str, str],
) -> None:
    award(make_badge()["id"], "lea@example.org", "newbie@example.org")
    (newbie,) = mails_to(app, "newbie@example.org")
    (lea,) = mails_to(app, "lea@example.org")
    assert "set your password" in newbie.body_text.lower()
    assert "/password/set?token=" not in lea.body_text  # Lea has a password
    assert set_password(app.test_client(), link_in(newbie)).status_code == 302
    assert log_in(app.test_client(), "newbie@example.org", NEW_PASSWORD).status_code == 302
