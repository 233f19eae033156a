"""openbadges-bakery 2.0.0 (which validator-core unbakes with) reads what we bake, and back."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from issuer.openbadges.baking import bake_png, bake_svg, unbake_png, unbake_svg
from tests.support import ASSERTION_ID, HOSTED_JSON, JWS, ORACLES, SVG_150, URL, png_bytes

pytestmark = pytest.mark.interop

BAKERY = ORACLES / "bakery"
PAYLOADS = pytest.mark.parametrize("payload", [HOSTED_JSON, JWS, URL], ids=["json", "jws", "url"])


@pytest.fixture(scope="module", autouse=True)
def _oracles_present() -> None:
    if not BAKERY.exists():
        if os.environ.get("CI"):
            pytest.fail(f"CI must run openbadges-bakery, but {BAKERY} is missing")
        pytest.skip(f"the Open Badges oracles are not here ({ORACLES} is absent)")


def bakery(*args: str | Path, expect: int = 0) -> str:
    """Run the bakery oracle; return its stdout (UTF-8) after checking the exit status."""
    done = subprocess.run(
        [str(BAKERY), *map(str, args)], capture_output=True, timeout=300, check=False
    )
    stdout = done.stdout.decode("utf-8")
    assert done.returncode == expect, (
        f"bakery {args[0]} exited {done.returncode}: {done.stderr.decode(errors='replace')}"
    )
    return stdout


def bakery_unbake(path: Path) -> str:
    """What openbadges-bakery's unbake() finds in an image (it prints it plus a newline)."""
    output = bakery("unbake", path)
    assert output.endswith("\n")
    return output[:-1]


def bakery_bake(tmp_path: Path, image: Path, payload: str) -> Path:
    """Bake payload into image with openbadges-bakery; return the baked file."""
    payload_file = tmp_path / "payload.txt"
    payload_file.write_text(payload, encoding="utf-8")
    baked = tmp_path / f"bakery-baked{image.suffix}"
    # The wrapper compares unbake() with the payload; for JSON in an SVG, unbake() returns the
    # verify URL instead, so it reports a mismatch (exit 1) after writing a good file.
    hosted_svg = image.suffix == ".svg" and payload.startswith("{")
    bakery("bake", image, baked, f"@{payload_file}", expect=1 if hosted_svg else 0)
    return baked


def bakery_info(path: Path) -> dict[str, Any]:
    info: dict[str, Any] = json.loads(bakery("info", path))
    return info


def write(path: Path, data: bytes | str) -> Path:
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8")
    else:
        path.write_bytes(data)
    return path


# --- PNG -------------------------------------------------------------------------------------


@PAYLOADS
def test_bakery_reads_our_png(tmp_path: Path, payload: str) -> None:
    baked = write(tmp_path / "ours.png", bake_png(png_bytes(), payload))
    assert bakery_unbake(baked) == payload


def test_bakery_info_reports_our_png_as_baked(tmp_path: Path) -> None:
    baked = write(tmp_path / "ours.png", bake_png(png_bytes(), HOSTED_JSON))
    info = bakery_info(baked)
    assert info["type"] == "PNG"
    assert info["baked"] is True
    assert info["data_kind"] == "json"
    assert info["chunks"] == ["IHDR", "iTXt(openbadges)", "IDAT", "IEND"]
    assert info["ob3_baked"] is False


def test_bakery_info_reports_an_unbaked_png(tmp_path: Path) -> None:
    info = bakery_info(write(tmp_path / "plain.png", png_bytes()))
    assert info["baked"] is False


@PAYLOADS
def test_our_png_is_byte_identical_to_the_bakery_output(tmp_path: Path, payload: str) -> None:
    original = write(tmp_path / "plain.png", png_bytes())
    theirs = bakery_bake(tmp_path, original, payload).read_bytes()
    assert bake_png(original.read_bytes(), payload) == theirs


@PAYLOADS
def test_we_read_the_bakery_png(tmp_path: Path, payload: str) -> None:
    original = write(tmp_path / "plain.png", png_bytes())
    assert unbake_png(bakery_bake(tmp_path, original, payload).read_bytes()) == payload


def test_rebaking_each_others_png(tmp_path: Path) -> None:
    ours = write(tmp_path / "ours.png", bake_png(png_bytes(), URL))
    theirs = bakery_bake(tmp_path, ours, JWS)
    assert unbake_png(theirs.read_bytes()) == JWS
    ours_again = write(tmp_path / "ours-again.png", bake_png(theirs.read_bytes(), HOSTED_JSON))
    assert bakery_unbake(ours_again) == HOSTED_JSON
    assert bakery_info(ours_again)["chunks"] == ["IHDR", "iTXt(openbadges)", "IDAT", "IEND"]


# --- SVG -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "expected"),
    [(HOSTED_JSON, ASSERTION_ID), (JWS, JWS), (URL, URL)],
    ids=["json", "jws", "url"],
)
def test_bakery_reads_our_svg(tmp_path: Path, payload: str, expected: str) -> None:
    # For hosted JSON the bakery returns the verify attribute, which is the assertion URL.
    baked = write(tmp_path / "ours.svg", bake_svg(SVG_150, payload))
    assert bakery_unbake(baked) == expected
    info = bakery_info(baked)
    assert info["type"] == "SVG"
    assert info["baked"] is True


def test_bakery_reads_our_svg_with_a_cdata_terminator(tmp_path: Path) -> None:
    payload = json.dumps({"id": ASSERTION_ID, "narrative": "a]]>b"})
    baked = write(tmp_path / "ours.svg", bake_svg(SVG_150, payload))
    assert bakery_unbake(baked) == ASSERTION_ID


@pytest.mark.parametrize(
    ("payload", "expected"),
    [(HOSTED_JSON, ASSERTION_ID), (JWS, JWS), (URL, URL)],
    ids=["json", "jws", "url"],
)
def test_we_read_the_bakery_svg(tmp_path: Path, payload: str, expected: str) -> None:
    original = write(tmp_path / "plain.svg", SVG_150)
    theirs = bakery_bake(tmp_path, original, payload).read_text(encoding="utf-8")
    assert unbake_svg(theirs) == expected


def test_rebaking_each_others_svg(tmp_path: Path) -> None:
    original = write(tmp_path / "plain.svg", SVG_150)
    theirs = bakery_bake(tmp_path, original, HOSTED_JSON).read_text(encoding="utf-8")
    ours = write(tmp_path / "ours.svg", bake_svg(theirs, JWS))
    assert ours.read_text(encoding="utf-8").count("<openbadges:assertion") == 1
    assert bakery_unbake(ours) == JWS
