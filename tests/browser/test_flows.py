"""The everyday flows in a real browser: an admin creates and awards badges, a learner sees them."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.conftest import LiveServer
from tests.support import png_bytes

PASSWORD = "correct horse battery"


def create_people(live: LiveServer) -> None:
    """An admin, a learner and another learner, created as an operator would (CLI)."""
    runner = live.app.test_cli_runner()
    for email, name, admin in [
        ("admin@example.org", "Ada Admin", True),
        ("lea@example.org", "Lea Learner", False),
        ("otto@example.org", "Otto Other", False),
    ]:
        args = ["users", "create", email, "--name", name, "--password", PASSWORD]
        result = runner.invoke(args=[*args, "--admin"] if admin else args)
        assert result.exit_code == 0, result.output


def log_in(page: Any, live: LiveServer, email: str) -> None:
    """Log in through the login page."""
    page.goto(f"{live.url}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    # On a phone the button is folded behind "Menu".
    expect(page.get_by_role("button", name="Log out", include_hidden=True)).to_be_attached()


def create_issuer(page: Any, live: LiveServer) -> None:
    """Studio: the first badge asks for an issuer first."""
    page.goto(f"{live.url}/studio/badges")
    page.get_by_role("link", name="New badge").click()
    expect(page).to_have_url(re.compile(r"/studio/issuers/new\?then=new-badge$"))
    page.get_by_label("Name").fill("Example Academy")
    page.get_by_label("Website").fill("https://academy.example.org")
    page.get_by_label("Contact email").fill("badges@academy.example.org")
    page.get_by_role("button", name="Create issuer").click()
    expect(page.get_by_text("Issuer “Example Academy” created.")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/studio/badges/new$"))  # back to New badge


def create_badge(page: Any, live: LiveServer, image: Path, name: str, *, private: bool) -> None:
    """Studio > Badges > New badge, with an image upload."""
    page.goto(f"{live.url}/studio/badges")
    page.get_by_role("link", name="New badge").click()
    page.get_by_label("Name", exact=True).fill(name)
    page.get_by_label("Description").fill(f"{name}: awarded in the browser test.")
    page.get_by_label("Criteria", exact=True).fill("Do the thing.")
    page.get_by_label("Image").set_input_files(str(image))
    expect(page.locator("#image-preview")).to_be_visible()
    if private:
        page.get_by_label("Private").check()
    page.get_by_role("button", name="Create badge").click()
    expect(page.get_by_text(f"Badge “{name}” created.")).to_be_visible()


def test_admin_awards_and_learner_sees(
    live: LiveServer, new_page: Callable[[], Any], tmp_path: Path
) -> None:
    create_people(live)
    image = tmp_path / "badge.png"
    image.write_bytes(png_bytes())

    admin = new_page()
    log_in(admin, live, "admin@example.org")
    create_issuer(admin, live)
    create_badge(admin, live, image, "Explorer", private=False)
    create_badge(admin, live, image, "Night Owl", private=True)
    row = admin.locator("tr", has_text="Night Owl")
    expect(row.locator(".marker", has_text="Private")).to_be_visible()

    admin.goto(f"{live.url}/studio/users?q=lea")
    admin.get_by_role("link", name="Lea Learner").click()
    expect(admin.get_by_text("Actions")).to_be_visible()
    profile_url = admin.url
    admin.get_by_text("Actions").click()
    admin.get_by_role("link", name="Award badge").click()
    admin.get_by_label("Filter by name").fill("night")
    expect(admin.get_by_label("Explorer")).to_be_hidden()
    admin.get_by_label("Filter by name").fill("")
    admin.get_by_label("Explorer").check()
    admin.get_by_label("Night Owl").check()
    admin.get_by_label("Narrative").fill("Well done")
    admin.get_by_role("button", name="Award").click()
    expect(admin.get_by_text("Awarded 2 badges to Lea Learner.")).to_be_visible()

    learner = new_page()
    log_in(learner, live, "lea@example.org")
    notifications = learner.get_by_role("link", name=re.compile(r"^Notifications"))
    expect(notifications.locator(".count")).to_have_text("2")
    notifications.click()
    expect(learner).to_have_url(re.compile(r"/notifications$"))
    expect(learner.get_by_text("Explorer").first).to_be_visible()
    learner.goto(profile_url)
    badges = learner.locator("ul.feed")
    expect(badges.get_by_role("link", name="Explorer")).to_be_visible()
    expect(badges.get_by_role("link", name="Night Owl")).to_be_visible()
    learner.goto(f"{live.url}/feed")
    expect(learner.get_by_role("link", name="Explorer")).to_be_visible()
    expect(learner.get_by_role("link", name="Night Owl")).to_be_visible()

    learner.goto(f"{live.url}/badges")
    expect(learner.get_by_text("Explorer")).to_be_visible()
    expect(learner.get_by_text("Night Owl")).to_have_count(0)
    admin.goto(f"{live.url}/studio/users?q=otto")
    admin.get_by_role("link", name="Otto Other").click()
    achievable = admin.locator(".card", has_text="Achievable badges")
    expect(achievable.get_by_text("Explorer")).to_be_visible()
    expect(achievable.get_by_text("Night Owl")).to_have_count(0)

    learner.goto(profile_url)
    learner.get_by_role("link", name="Explorer").click()
    expect(learner.get_by_text("Valid", exact=True)).to_be_visible()
    expect(learner.get_by_role("link", name="Add to LinkedIn profile")).to_be_visible()

    # The admin revokes Explorer after a confirmation; the learner is told why.
    admin.goto(profile_url)
    admin.locator("ul.feed li", has_text="Explorer").get_by_role("link", name="Revoke…").click()
    expect(admin.get_by_role("heading", name="Revoke this award?")).to_be_visible()
    admin.get_by_role("button", name="Revoke award").click()
    expect(
        admin.get_by_text("Say why: the learner and every verifier will read it.")
    ).to_be_visible()
    admin.get_by_label("Reason").fill("Awarded by mistake")
    admin.get_by_role("button", name="Revoke award").click()
    expect(admin.get_by_text("was revoked; they were told why.")).to_be_visible()
    learner.goto(f"{live.url}/notifications")
    expect(learner.get_by_text("revoked your badge “Explorer”: Awarded by mistake")).to_be_visible()
    expect(learner.get_by_text(re.compile(r"^Revoked since, on"))).to_be_visible()


@pytest.mark.live_config(REDIRECT_TO_BASE_URL=True)
def test_one_address_keeps_the_session(live: LiveServer, new_page: Callable[[], Any]) -> None:
    # The quick start's address is the base URL; another name for the same server (here
    # "localhost" for 127.0.0.1) moves to it, so a session started there is the one in use.
    create_people(live)
    page = new_page()
    other = live.url.replace("127.0.0.1", "localhost")
    page.goto(f"{other}/login")
    expect(page).to_have_url(f"{live.url}/login")
    log_in(page, live, "lea@example.org")
    page.goto(f"{other}/feed")
    expect(page).to_have_url(f"{live.url}/feed")
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def test_an_award_can_stay_out_of_the_feed(
    live: LiveServer, new_page: Callable[[], Any], tmp_path: Path
) -> None:
    create_people(live)
    image = tmp_path / "badge.png"
    image.write_bytes(png_bytes())
    admin = new_page()
    log_in(admin, live, "admin@example.org")
    create_issuer(admin, live)
    create_badge(admin, live, image, "Quiet Win", private=False)
    admin.goto(f"{live.url}/studio/users?q=lea")
    admin.get_by_role("link", name="Lea Learner").click()
    admin.get_by_text("Actions").click()
    admin.get_by_role("link", name="Award badge").click()
    admin.get_by_label("Quiet Win").check()
    admin.get_by_label("Post to the feed").uncheck()
    admin.get_by_role("button", name="Award").click()
    expect(admin.get_by_text("Awarded 1 badge to Lea Learner.")).to_be_visible()
    # On the profile, as every award; not in the feed.
    expect(admin.locator("ul.feed").get_by_role("link", name="Quiet Win")).to_be_visible()
    profile_url = admin.url
    admin.goto(f"{live.url}/feed")
    expect(admin.get_by_role("link", name="Quiet Win")).to_have_count(0)
    # Held now: marked, and it cannot be ticked again.
    admin.goto(profile_url)
    admin.get_by_text("Actions").click()
    admin.get_by_role("link", name="Award badge").click()
    expect(admin.get_by_label("Quiet Win")).to_be_disabled()
    expect(admin.get_by_text("Already held")).to_be_visible()
