"""People management in a real browser: an admin invites someone, who sets a password."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from playwright.sync_api import expect
from sqlalchemy import select

from issuer.extensions import db
from issuer.models import OutboxEmail
from tests.conftest import LiveServer

PASSWORD = "correct horse battery"


def link_to(live: LiveServer, address: str) -> str:
    """The password link of the newest e-mail to an address (as the person would click it)."""
    with live.app.app_context():
        mail = db.session.scalars(
            select(OutboxEmail)
            .where(OutboxEmail.to_address == address)
            .order_by(OutboxEmail.created_at.desc())
        ).first()
    assert mail is not None
    found = re.search(r"http://\S+/password/set\?token=[\w-]+", mail.body_text)
    assert found is not None
    return found.group(0)


def test_invite_and_forgot_password(live: LiveServer, new_page: Callable[[], Any]) -> None:
    runner = live.app.test_cli_runner()
    args = ["users", "create", "admin@example.org", "--name", "Ada", "--password", PASSWORD]
    assert runner.invoke(args=[*args, "--admin"]).exit_code == 0
    admin = new_page()
    admin.goto(f"{live.url}/login")
    admin.get_by_label("Email").fill("admin@example.org")
    admin.get_by_label("Password").fill(PASSWORD)
    admin.get_by_role("button", name="Log in").click()
    admin.goto(f"{live.url}/studio/users")
    admin.get_by_role("link", name="Invite person").click()
    admin.get_by_label("Name").fill("Nia New")
    admin.get_by_label("Email").fill("nia@example.org")
    admin.get_by_role("button", name="Send invitation").click()
    expect(admin.get_by_text("Invited Nia New")).to_be_visible()
    expect(admin.get_by_text("has not set a password yet")).to_be_visible()

    nia = new_page()
    nia.goto(link_to(live, "nia@example.org"))
    expect(nia.get_by_role("heading", name="Set your password")).to_be_visible()
    nia.get_by_label("New password").fill("nias own secret")
    nia.get_by_label("Repeat it").fill("nias own secret")
    nia.get_by_role("button", name="Set password").click()
    expect(nia.get_by_text("Your password is set. Welcome!")).to_be_visible()
    nia.get_by_role("button", name="Log out").click()

    nia.goto(f"{live.url}/login")
    nia.get_by_role("link", name="Forgot password?").click()
    nia.get_by_label("Email").fill("nia@example.org")
    nia.get_by_role("button", name="Send me a link").click()
    expect(nia.get_by_text("If nia@example.org has an account here")).to_be_visible()
    nia.goto(link_to(live, "nia@example.org"))
    nia.get_by_label("New password").fill("another long secret")
    nia.get_by_label("Repeat it").fill("another long secret")
    nia.get_by_role("button", name="Set password").click()
    expect(nia.get_by_text("Your password is set. Welcome!")).to_be_visible()
