"""A learner takes an award away as Open Badges 3.0 and a verifier checks it in the browser."""

from __future__ import annotations

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
        page.get_by_role("link", name="Download Open Badges 3.0 image").click()
    image = image_download.value
    assert image.suggested_filename == "explorer-ob3.png"
    image_path = image.path()
    with page.expect_download() as credential_download:
        page.get_by_role("link", name="Download Open Badges 3.0 credential (VC-JWT)").click()
    token = Path(credential_download.value.path()).read_text(encoding="ascii")
    assert token.count(".") == 2

    page.goto(f"{live.url}/verify")
    page.get_by_label("Badge image (PNG or SVG)").set_input_files(str(image_path))
    page.get_by_role("button", name="Verify").click()
    result = page.locator("section.result")
    expect(result.get_by_text("Valid", exact=True)).to_be_visible()
    expect(result.get_by_text("Open Badges 3.0 credential (VC-JWT)")).to_be_visible()
    expect(result.get_by_role("link", name="Explorer")).to_be_visible()

    page.goto(f"{live.url}/verify")
    page.get_by_label("Signed badge (OB 2.0 JWS or OB 3.0 VC-JWT)").fill(token[:-3] + "AAA")
    page.get_by_role("button", name="Verify").click()
    expect(page.locator("section.result").get_by_text("Bad signature")).to_be_visible()
