"""The badge form warns about the chosen image's size while choosing it, in the server's words."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from tests.browser.test_flows import create_issuer, create_people, log_in
from tests.conftest import LiveServer
from tests.support import png_bytes

SVG = '<svg xmlns="http://www.w3.org/2000/svg" {}><circle cx="50" cy="50" r="40"/></svg>'


def test_live_image_size_warnings(
    live: LiveServer, new_page: Callable[[], Any], tmp_path: Path
) -> None:
    files = {
        "wide.png": png_bytes(300, 120),
        "right.png": png_bytes(),
        "big.png": png_bytes(512, 512),
        "wide.svg": SVG.format('viewBox="0 0 300 200"').encode(),
        "sized.svg": SVG.format('width="150px" height="150" viewBox="0 0 10 10"').encode(),
        "unsized.svg": SVG.format("").encode(),
    }
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)

    create_people(live)
    page = new_page()
    log_in(page, live, "admin@example.org")
    create_issuer(page, live)  # ends on New badge
    warnings = page.locator("#image-warnings")
    expect(warnings).to_have_attribute("role", "status")
    expect(warnings).to_have_attribute("aria-live", "polite")
    expect(page.get_by_label("Image")).to_have_attribute(
        "aria-describedby", "image-hint image-warnings"
    )
    expect(warnings).to_be_empty()

    def choose(name: str) -> None:
        page.get_by_label("Image").set_input_files(str(tmp_path / name))
        expect(page.locator("#image-preview")).to_be_visible()

    not_square = (
        "The image is {}x{} pixels, so it is not square. A square image works best, ideally "
        "150x150 pixels."
    )
    choose("wide.png")
    expect(warnings).to_have_text(not_square.format(300, 120))
    choose("right.png")  # a new choice clears the warnings; this one needs none
    expect(warnings).to_be_empty()
    choose("big.png")
    expect(warnings).to_have_text(
        "The image is 512x512 pixels. It can be used, but 150x150 pixels is the recommended size."
    )
    choose("wide.svg")  # an SVG's own size: its viewBox when it has no width and height
    expect(warnings).to_have_text(not_square.format(300, 200))
    choose("sized.svg")  # width and height in pixels come before the viewBox
    expect(warnings).to_be_empty()
    choose("unsized.svg")
    expect(warnings).to_contain_text("The image's size could not be found")
    page.get_by_label("Image").set_input_files([])
    expect(warnings).to_be_empty()
    expect(page.locator("#image-preview")).to_be_hidden()

    # The server says the same after saving.
    choose("wide.png")
    expect(warnings).to_have_text(not_square.format(300, 120))
    live_text = warnings.inner_text().strip()
    page.get_by_label("Name", exact=True).fill("Wide")
    page.get_by_label("Description").fill("A wide badge.")
    page.get_by_label("Criteria", exact=True).fill("Be wide.")
    page.get_by_role("button", name="Create badge").click()
    expect(page.get_by_text("Badge “Wide” created.")).to_be_visible()
    expect(page.locator(".flash", has_text="Note:")).to_have_text(f"Note: {live_text}")
