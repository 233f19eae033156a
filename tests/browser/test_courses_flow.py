"""A course in a real browser: an admin builds it and marks a stage done; the learner progresses."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from tests.browser.test_flows import create_badge, create_issuer, create_people, log_in
from tests.conftest import LiveServer
from tests.support import png_bytes


def stage_names(page: Any) -> list[str]:
    """The stage names in the course form, top to bottom."""
    return [field.input_value() for field in page.locator("#stages input[type=text]").all()]


def test_admin_builds_a_course_and_a_learner_progresses(
    live: LiveServer, new_page: Callable[[], Any], tmp_path: Path
) -> None:
    create_people(live)
    image = tmp_path / "badge.png"
    image.write_bytes(png_bytes())
    admin = new_page()
    log_in(admin, live, "admin@example.org")
    create_issuer(admin, live)
    for name, private in [("Basics", False), ("Advanced", False), ("Night Owl", True)]:
        create_badge(admin, live, image, name, private=private)

    admin.get_by_role("link", name="Courses").click()
    expect(admin).to_have_url(f"{live.url}/studio/courses")
    admin.get_by_role("link", name="New course").click()
    expect(admin).to_have_url(f"{live.url}/studio/courses/new")
    admin.wait_for_load_state()  # course-form.js (deferred) has replaced the blank rows
    admin.get_by_label("Name", exact=True).fill("Python 101")
    # With the buttons at hand, the blank rows for browsers without JavaScript are gone.
    assert stage_names(admin) == [""]
    admin.get_by_label("Stage 1 name").fill("Basics")
    badge_choices = admin.get_by_label("Stage 1 badge").locator("option").all_inner_texts()
    assert badge_choices == ["— none —", "Basics", "Advanced"]  # never the private badge
    admin.get_by_label("Stage 1 badge").select_option(label="Basics")
    admin.get_by_role("button", name="Add stage").click()
    admin.get_by_label("Stage 2 name").fill("Wrap-up")
    admin.get_by_role("button", name="Add stage").click()
    admin.get_by_label("Stage 3 name").fill("Advanced")
    admin.get_by_label("Stage 3 badge").select_option(label="Advanced")
    admin.get_by_role("button", name="Move stage 3 up").click()
    assert stage_names(admin) == ["Basics", "Advanced", "Wrap-up"]
    assert admin.get_by_label("Stage 2 badge").input_value() != ""  # the badge moved along
    expect(admin.get_by_role("button", name="Move stage 1 up")).to_be_disabled()
    admin.get_by_role("button", name="Remove stage 3").click()
    assert stage_names(admin) == ["Basics", "Advanced"]
    admin.get_by_role("button", name="Create course").click()

    expect(admin.get_by_text("Course “Python 101” created.")).to_be_visible()
    stages = admin.locator("ol.course-stages > li").all_inner_texts()
    assert [text.split(" · ")[0] for text in stages] == ["Basics", "Advanced"]
    expect(admin.get_by_text("No stage completed yet.")).to_be_visible()

    admin.get_by_label("Learner's email").fill("newbie@example.org")
    admin.get_by_label("Stage", exact=True).select_option(label="1. Basics")
    admin.get_by_role("button", name="Mark complete").click()
    expect(
        admin.get_by_text("newbie completed “Basics” and earned the badge “Basics”.")
    ).to_be_visible()
    event = admin.locator("table.events tbody tr")
    expect(event).to_have_count(1)
    cells = event.locator("td").all_inner_texts()
    assert cells[1].startswith("newbie") and cells[2] == "Basics" and cells[4] == "Studio"
    assert cells[5] == "admin@example.org" and cells[6] == "127.0.0.1" and cells[7] == "Basics"

    event.get_by_role("link", name="newbie").click()
    courses = admin.locator(".card", has_text="Courses")
    expect(courses.get_by_text("Python 101")).to_be_visible()
    expect(courses.get_by_text("1 of 2 stages")).to_be_visible()
    expect(courses.locator("progress")).to_have_attribute("value", "1")
    next_badge = courses.get_by_text("Next badge to earn:")
    expect(next_badge).to_have_text("Next badge to earn: Advanced (stage “Advanced”)")
    held = admin.locator("ul.feed").first
    expect(held.get_by_role("link", name="Basics")).to_be_visible()


def test_the_course_form_works_without_javascript(
    live: LiveServer, browser: Any, tmp_path: Path
) -> None:
    create_people(live)
    context = browser.new_context(
        viewport={"width": 1200, "height": 900}, java_script_enabled=False
    )
    try:
        admin = context.new_page()
        log_in(admin, live, "admin@example.org")
        admin.goto(f"{live.url}/studio/courses/new")
        assert stage_names(admin) == ["", "", ""]
        expect(admin.get_by_role("button", name="Add stage")).to_be_hidden()
        expect(admin.get_by_role("button", name="Remove stage 1")).to_be_hidden()
        admin.get_by_label("Name", exact=True).fill("Offline")
        admin.get_by_label("Stage 1 name").fill("One")
        admin.get_by_label("Stage 3 name").fill("Two")
        admin.get_by_role("button", name="Create course").click()
        expect(admin.get_by_text("Course “Offline” created.")).to_be_visible()
        stages = admin.locator("ol.course-stages > li").all_inner_texts()
        assert [text.split(" (")[0] for text in stages] == ["One", "Two"]
    finally:
        context.close()
