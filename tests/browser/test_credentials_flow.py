"""A learner takes an award away as Open Badges 3.0 and a verifier checks it in the browser."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from tests.conftest import LiveServer
from tests.support import ApiClient, award_one, data_uri, issuer_and_badge, make_token, png_bytes


def make_award(live: LiveServer) -> dict[str, Any]:
    """An issuer, a badge called Explorer and an award, made through the admin API."""
    api = ApiClient(live.app.test_client(), make_token(live.app, "admin@example.org", admin=True))
    badge = issuer_and_badge(api, data_uri(png_bytes()))[1]
    api.patch(f"/badges/{badge['id']}", {"name": "Explorer"})
    return award_one(api, badge["id"], "lea@example.org")


def test_learner_exports_ob3_and_a_verifier_checks_it(
    live: LiveServer, new_page: Callable[[], Any]
) -> None:
    award = make_award(live)
    page = new_page()
    page.goto(award["openBadgeId"])
    with page.expect_download() as image_download:
        page.get_by_role("link", name="Download Open Badges 3.0 image", exact=True).click()
    image = image_download.value
    assert image.suggested_filename == "explorer-ob3-di.png"  # the wallets' form
    with page.expect_download() as jwt_image_download:
        page.get_by_role("link", name="Download Open Badges 3.0 image (VC-JWT)").click()
    assert jwt_image_download.value.suggested_filename == "explorer-ob3.png"
    with page.expect_download() as credential_download:
        page.get_by_role("link", name="Download Open Badges 3.0 credential (VC-JWT)").click()
    token = Path(credential_download.value.path()).read_text(encoding="ascii")
    assert token.count(".") == 2

    for path, form in (
        (image.path(), "Open Badges 3.0 credential (Data Integrity)"),
        (jwt_image_download.value.path(), "Open Badges 3.0 credential (VC-JWT)"),
    ):
        page.goto(f"{live.url}/verify")
        page.get_by_label("Badge image (PNG or SVG)").set_input_files(str(path))
        page.get_by_role("button", name="Verify").click()
        result = page.locator("section.result")
        expect(result.get_by_text("Valid", exact=True)).to_be_visible()
        expect(result.get_by_text(form)).to_be_visible()
        expect(result.get_by_role("link", name="Explorer")).to_be_visible()

    page.goto(f"{live.url}/verify")
    page.get_by_label("Signed badge").fill(token[:-3] + "AAA")
    page.get_by_role("button", name="Verify").click()
    expect(page.locator("section.result").get_by_text("Bad signature")).to_be_visible()


def test_the_owner_adds_an_award_to_a_wallet(live: LiveServer, new_page: Callable[[], Any]) -> None:
    runner = live.app.test_cli_runner()
    args = ["users", "create", "lea@example.org", "--name", "Lea", "--password", "lea-pass-1"]
    assert runner.invoke(args=args).exit_code == 0
    award = make_award(live)
    page = new_page()
    page.goto(award["openBadgeId"])
    expect(page.get_by_role("heading", name="Explorer")).to_be_visible()
    expect(page.get_by_role("button", name="Add to wallet")).to_have_count(0)  # visitors

    page.goto(f"{live.url}/login")
    page.get_by_label("Email").fill("lea@example.org")
    page.get_by_label("Password").fill("lea-pass-1")
    page.get_by_role("button", name="Log in").click()
    page.goto(award["openBadgeId"])
    page.get_by_role("button", name="Add to wallet").click()
    expect(page.get_by_role("heading", name="Add “Explorer” to your wallet")).to_be_visible()
    expect(page.locator("figure.qr-code svg")).to_be_visible()
    link = page.get_by_role("link", name="Open in wallet")
    expect(link).to_have_attribute("href", re.compile(r"^dccrequest://request\?issuer=did"))
    page.get_by_text("The same link as a web address").click()
    expect(page.locator("#wallet-https-link")).to_have_text(
        re.compile(r"^https://lcw\.app/request\.html\?")
    )
