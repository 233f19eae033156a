"""A learner takes an award away as Open Badges 3.0 and a verifier checks it in the browser."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from tests.browser.test_flows import PASSWORD, log_in
from tests.conftest import LiveServer
from tests.support import ApiClient, award_one, data_uri, issuer_and_badge, make_token, png_bytes


def make_award(live: LiveServer) -> dict[str, Any]:
    """An issuer, a badge called Explorer and an award, made through the admin API."""
    api = ApiClient(live.app.test_client(), make_token(live.app, "admin@example.org", admin=True))
    badge = issuer_and_badge(api, data_uri(png_bytes()))[1]
    api.patch(f"/badges/{badge['id']}", {"name": "Explorer"})
    return award_one(api, badge["id"], "lea@example.org")


def create_learner(live: LiveServer) -> None:
    """Lea, who can log in: her award (made after this) is hers to take away."""
    runner = live.app.test_cli_runner()
    args = ["users", "create", "lea@example.org", "--name", "Lea", "--password", PASSWORD]
    assert runner.invoke(args=args).exit_code == 0


def test_learner_exports_ob3_and_a_verifier_checks_it(
    live: LiveServer, new_page: Callable[[], Any]
) -> None:
    create_learner(live)
    award = make_award(live)
    page = new_page()
    log_in(page, live, "lea@example.org")
    page.goto(award["openBadgeId"])
    with page.expect_download() as image_download:
        page.get_by_role("link", name="Download image", exact=True).click()
    image = image_download.value
    assert image.suggested_filename == "explorer-ob3-di.png"  # the wallets' form
    page.get_by_text("Other formats").click()
    with page.expect_download() as jwt_image_download:
        page.get_by_role("link", name="Open Badges 3.0 image (VC-JWT)").click()
    assert jwt_image_download.value.suggested_filename == "explorer-ob3.png"
    with page.expect_download() as credential_download:
        page.get_by_role("link", name="Open Badges 3.0 credential (VC-JWT)").click()
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


OTHER_FORMATS = [
    "Open Badges 3.0 credential (JSON-LD)",
    "Open Badges 3.0 credential (VC-JWT)",
    "Open Badges 3.0 image (VC-JWT)",
    "Open Badges 2.0 image",
    "Open Badges 2.0 signed image",
    "Signed assertion (JWS)",
    "Hosted JSON",
]
SMALL_PHONE = 360
LONG_EVIDENCE = "https://portfolio.example.org/lea/" + "x" * 160


def fits(page: Any) -> None:
    """Nothing on the page is wider than the screen."""
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= SMALL_PHONE, width


def test_the_award_page_is_for_its_owner_and_a_record_for_visitors(
    live: LiveServer, new_page: Callable[[], Any]
) -> None:
    create_learner(live)
    api = ApiClient(live.app.test_client(), make_token(live.app, "admin@example.org", admin=True))
    badge = issuer_and_badge(api, data_uri(png_bytes()))[1]
    api.patch(f"/badges/{badge['id']}", {"name": "Explorer"})
    response = api.post(
        f"/badges/{badge['id']}/awards",
        {"recipients": ["lea@example.org"], "evidence": [{"url": LONG_EVIDENCE}]},
    )
    assert response.status_code == 201, response.json
    award = (response.json or {})["awards"][0]

    # The owner, on a small phone: the main actions first, every one of them on the screen.
    owner = new_page()
    owner.set_viewport_size({"width": SMALL_PHONE, "height": 800})
    log_in(owner, live, "lea@example.org")
    owner.goto(award["openBadgeId"])
    expect(owner.get_by_role("button", name="Add to wallet")).to_be_visible()
    for link in [
        "Add to LinkedIn profile",
        "Download image",
        "Share on LinkedIn",
        "Share on X",
        "Share on Facebook",
        "Share by e-mail",
    ]:
        expect(owner.get_by_role("link", name=link, exact=True)).to_be_visible()
    expect(owner.get_by_role("button", name="Copy badge URL")).to_be_visible()
    expect(owner.get_by_role("button", name="Hide from my profile")).to_be_visible()
    expect(owner.get_by_role("link", name=LONG_EVIDENCE)).to_be_visible()
    # The other formats wait behind their disclosure.
    formats = owner.locator("details.formats")
    expect(formats).not_to_have_attribute("open", "")
    for name in OTHER_FORMATS:
        expect(owner.get_by_role("link", name=name, exact=True)).to_be_hidden()
    fits(owner)
    owner.get_by_text("Other formats").click()
    expect(formats).to_have_attribute("open", "")
    for name in OTHER_FORMATS:
        expect(owner.get_by_role("link", name=name, exact=True)).to_be_visible()
    expect(formats.get_by_text("For verifiers that read JSON Web Tokens.")).to_be_visible()
    fits(owner)
    with owner.expect_download() as download:
        owner.get_by_role("link", name="Open Badges 2.0 image", exact=True).click()
    assert download.value.suggested_filename == "explorer.png"

    # A visitor reads the record: no downloads, and a Verify link that checks this award.
    visitor = new_page()
    visitor.set_viewport_size({"width": SMALL_PHONE, "height": 800})
    visitor.goto(award["openBadgeId"])
    expect(visitor.get_by_role("heading", name="Explorer")).to_be_visible()
    expect(visitor.get_by_text("Valid", exact=True)).to_be_visible()
    expect(visitor.get_by_role("heading", name="Criteria")).to_be_visible()
    expect(visitor.get_by_role("link", name=LONG_EVIDENCE)).to_be_visible()
    expect(visitor.locator("a[download]")).to_have_count(0)
    expect(visitor.get_by_text("Other formats")).to_have_count(0)
    expect(visitor.get_by_role("button", name="Add to wallet")).to_have_count(0)
    expect(visitor.get_by_role("link", name="Download image")).to_have_count(0)
    fits(visitor)
    visitor.get_by_role("link", name="Verify", exact=True).click()
    expect(visitor.get_by_label("Badge URL")).to_have_value(award["openBadgeId"])
    visitor.get_by_role("button", name="Verify").click()
    result = visitor.locator("section.result")
    expect(result.get_by_text("Valid", exact=True)).to_be_visible()
    expect(result.get_by_role("link", name="Explorer")).to_be_visible()
