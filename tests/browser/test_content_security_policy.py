"""The pages' scripts and styles run under the Content-Security-Policy Chromium enforces."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from playwright.sync_api import expect
from sqlalchemy import select

from issuer.extensions import db
from issuer.models import Assertion, User
from tests.browser.test_flows import create_badge, create_issuer, create_people, log_in
from tests.conftest import LiveServer
from tests.support import png_bytes


class PolicyWatch:
    """Records the policy of every page a browser tab loads, every CSP report it logs and every
    style sheet or script that failed to load."""

    def __init__(self, page: Any) -> None:
        self.violations: list[str] = []
        self.policies: dict[str, str] = {}
        self.assets: dict[str, int] = {}  # URL of a style sheet or script: its status
        page.on("console", self._console)
        page.on("response", self._response)
        page.on("requestfailed", self._failed)

    def _console(self, message: Any) -> None:
        if "Content Security Policy" in message.text:
            self.violations.append(message.text)

    def _response(self, response: Any) -> None:
        kind = response.request.resource_type
        if kind == "document" and response.status < 300:
            self.policies[response.url] = response.headers.get("content-security-policy", "")
        elif kind in ("stylesheet", "script"):
            self.assets[response.url] = response.status

    def _failed(self, request: Any) -> None:
        if request.resource_type in ("stylesheet", "script"):
            self.assets[request.url] = 0

    def check(self, *scripts: str) -> None:
        """No violation so far, every page loaded came with a policy allowing only our own
        scripts and styles, and the style sheet and these scripts loaded."""
        assert self.violations == []
        assert self.policies
        for url, policy in self.policies.items():
            directives = {part.split()[0]: part.split()[1:] for part in policy.split(";")}
            assert directives["script-src"] == ["'self'"], (url, policy)
            assert directives["style-src"] == ["'self'"], (url, policy)
            assert "nonce" not in policy and "unsafe" not in policy, (url, policy)
        loaded = {url.split("/static/", 1)[-1] for url, status in self.assets.items()}
        assert {"site.css", *(f"js/{script}" for script in scripts)} <= loaded, self.assets
        assert all(status in (200, 304) for status in self.assets.values()), self.assets


def test_scripts_and_styles_run_under_the_policy(
    live: LiveServer, new_page: Callable[[], Any], tmp_path: Path
) -> None:
    create_people(live)
    image = tmp_path / "badge.png"
    image.write_bytes(png_bytes())
    admin = new_page()
    watch = PolicyWatch(admin)
    log_in(admin, live, "admin@example.org")
    create_issuer(admin, live)
    # The badge form shows the chosen image (a blob: URL) before it is saved.
    create_badge(admin, live, image, "Explorer", private=False)
    archive = admin.locator("tr", has_text="Explorer").locator("form")
    assert archive.evaluate("form => getComputedStyle(form).display") == "inline"
    watch.check("badge-form.js")

    # The course form's buttons: add, move and remove stages.
    admin.goto(f"{live.url}/studio/courses/new")
    admin.get_by_label("Stage 1 name").fill("One")
    admin.get_by_role("button", name="Add stage").click()
    admin.get_by_label("Stage 2 name").fill("Two")
    admin.get_by_role("button", name="Move stage 2 up").click()
    names = [field.input_value() for field in admin.locator("#stages input[type=text]").all()]
    assert names == ["Two", "One"]
    admin.get_by_role("button", name="Remove stage 1").click()
    assert admin.locator("#stages > li").count() == 1
    # The page's own style sheet applies (and base.html's: the archive forms above).
    fieldset = admin.locator("fieldset.stages-field")
    assert fieldset.evaluate("box => getComputedStyle(box).borderTopLeftRadius") == "6px"
    watch.check("course-form.js")

    # The CSV preview sends the form with fetch and follows the progress lines.
    roster = tmp_path / "people.csv"
    roster.write_text("email\nlea@example.org\nnew@example.org\n")
    admin.goto(f"{live.url}/studio/badges")
    admin.locator("tr", has_text="Explorer").get_by_role("link", name="Award from CSV").click()
    admin.get_by_label("CSV file").set_input_files(str(roster))
    admin.get_by_role("button", name="Check the file").click()
    # The preview's script is deferred: until the page has loaded, the button posts the form.
    expect(admin.locator("#csv-counts")).to_be_visible()
    admin.wait_for_load_state()
    with admin.expect_response(
        lambda response: response.headers.get("content-type", "").startswith("application/x-ndjson")
    ):
        admin.get_by_role("button", name="Award 2 new badges").click()
    admin.locator("#csv-result").wait_for()
    watch.check("award-csv.js")

    # The award page's button copies the badge URL (for the award's owner, Lea).
    with live.app.app_context():
        assertion_id = db.session.scalars(
            select(Assertion.id)
            .join(User, User.id == Assertion.recipient_id)
            .where(User.email == "lea@example.org")
        ).one()
    learner = new_page()
    learner.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live.url)
    learner_watch = PolicyWatch(learner)
    log_in(learner, live, "lea@example.org")
    learner.goto(f"{live.url}/public/assertions/{assertion_id}")
    copy = learner.get_by_role("button", name="Copy badge URL")
    copy.click()
    learner.get_by_role("button", name="Copied").wait_for()
    copied = learner.evaluate("navigator.clipboard.readText()")
    assert copied == f"{live.url}/public/assertions/{assertion_id}"
    learner_watch.check("copy-url.js")

    # The watch does see a violation: an inline script is refused, and so is an inline style.
    learner.evaluate(
        """() => {
          const script = document.createElement("script");
          script.textContent = "document.body.dataset.ran = 'yes';";
          document.body.appendChild(script);
        }"""
    )
    learner.wait_for_timeout(200)
    assert learner.evaluate("document.body.dataset.ran") is None
    assert any("script-src" in text for text in learner_watch.violations)
    learner.evaluate(
        """() => {
          const style = document.createElement("style");
          style.textContent = "#copy-url { display: none; }";
          document.head.appendChild(style);
        }"""
    )
    learner.wait_for_timeout(200)
    shown = learner.locator("#copy-url").evaluate("button => getComputedStyle(button).display")
    assert shown == "block"  # an item of the page's flex row of buttons, not the refused "none"
    assert any("style-src" in text for text in learner_watch.violations)
