"""Awarding from a CSV file in a real browser: upload, preview, award with a progress bar."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from playwright.sync_api import expect
from sqlalchemy import func, select

from issuer.extensions import db
from issuer.models import Assertion
from tests.browser.test_flows import create_badge, create_issuer, create_people, log_in
from tests.conftest import LiveServer
from tests.support import png_bytes

ROWS = 1_500


def test_admin_awards_a_csv_file_and_watches_the_progress(
    live: LiveServer, new_page: Callable[[], Any], tmp_path: Path
) -> None:
    create_people(live)
    image = tmp_path / "badge.png"
    image.write_bytes(png_bytes())
    roster = tmp_path / "attendees.csv"
    lines = ["\ufeffemail;name"] + [f"guest{i}@example.org;Guest {i}" for i in range(ROWS)]
    roster.write_text("\r\n".join([*lines, "", "guest0@example.org;Again"]) + "\r\n")

    admin = new_page()
    log_in(admin, live, "admin@example.org")
    create_issuer(admin, live)
    create_badge(admin, live, image, "Attendee", private=False)
    admin.locator("tr", has_text="Attendee").get_by_role("link", name="Award from CSV").click()
    admin.get_by_label("CSV file").set_input_files(str(roster))
    admin.get_by_role("button", name="Check the file").click()

    counts = admin.locator("#csv-counts")
    expect(counts).to_contain_text("1,501 rows:")
    expect(counts).to_contain_text("1,500 new awards")
    expect(counts).to_contain_text("1 repeated addresses")
    expect(admin.locator("tr.status-duplicate", has_text="same address as row 2")).to_be_visible()
    admin.wait_for_load_state()  # the preview's deferred script sends the form with fetch

    admin.get_by_role("button", name="Award 1,500 new badges").click()
    progress = admin.locator("#csv-progress")
    progress.wait_for(state="visible")
    expect(admin.get_by_role("button", name="Award 1,500 new badges")).to_be_disabled()
    expect(admin.locator("#csv-result")).to_contain_text(
        "1,500 new, 0 already held, 1 repeated rows.", timeout=60_000
    )
    with live.app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Assertion)) == ROWS
