"""openbadges-bakery 2.0.0 (which validator-core unbakes with) reads what we bake, and back.

For OB 3.0, the bakery wrapper's bake3/unbake3 (the openbadgecredential PNG chunk) and
openbadgeslib's OB3Verifier extractors (PNG and SVG) read what we bake.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from issuer.openbadges.baking import bake_png, bake_svg, unbake_png, unbake_svg
from tests.interop.conftest import require_oracle
from tests.support import ASSERTION_ID, HOSTED_JSON, JWS, ORACLES, SVG_150, URL, png_bytes

pytestmark = pytest.mark.interop

BAKERY = ORACLES / "bakery"
PAYLOADS = pytest.mark.parametrize("payload", [HOSTED_JSON, JWS, URL], ids=["json", "jws", "url"])
# Where ../shared/oracles/setup builds the venv that holds openbadgeslib (see its README).
ORACLE_VENVS = Path(
    os.environ.get("OB_ORACLES_HOME") or Path.home() / ".cache" / "openbadges-oracles"
)
OPENBADGESLIB_PYTHON = ORACLE_VENVS / "venv-ob2" / "bin" / "python"
# An OB 3.0 credential with an embedded proof; "]]>" makes the SVG split its CDATA section.
CREDENTIAL_JSON = json.dumps(
    {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        ],
        "id": "https://issuer.example.org/public/credentials/9",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": "Zoë's badge ✓ a]]>b",
        "proof": {"type": "DataIntegrityProof", "proofValue": "z3FXQjecWufY46"},
    },
    ensure_ascii=False,
)
OB3_PAYLOADS = pytest.mark.parametrize("payload", [JWS, CREDENTIAL_JSON], ids=["jws", "json"])


@pytest.fixture(scope="module", autouse=True)
def _oracles_present() -> None:
    require_oracle(BAKERY)


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


# --- OB 3.0 PNG: the bakery wrapper's bake3 / unbake3 ----------------------------------------


def bakery_unbake3(path: Path) -> str:
    """What the wrapper's unbake3 finds in the openbadgecredential chunk (plus a newline)."""
    output = bakery("unbake3", path)
    assert output.endswith("\n")
    return output[:-1]


def bakery_bake3(tmp_path: Path, image: Path, payload: str) -> Path:
    """Bake payload into image's openbadgecredential chunk with bake3; return the baked file."""
    payload_file = tmp_path / "credential.txt"
    payload_file.write_text(payload, encoding="utf-8")
    baked = tmp_path / "bakery-baked3.png"
    bakery("bake3", image, baked, f"@{payload_file}")
    return baked


@OB3_PAYLOADS
def test_bakery_reads_our_ob3_png(tmp_path: Path, payload: str) -> None:
    baked = write(tmp_path / "ours.png", bake_png(png_bytes(), payload, version="ob3"))
    assert bakery_unbake3(baked) == payload
    info = bakery_info(baked)
    assert info["chunks"] == ["IHDR", "iTXt(openbadgecredential)", "IDAT", "IEND"]
    assert info["ob3_baked"] is True
    # openbadges-bakery itself knows only the OB 2.0 keyword.
    assert info["baked"] is False


def test_bakery_reads_both_chunks_of_our_png(tmp_path: Path) -> None:
    both = bake_png(bake_png(png_bytes(), HOSTED_JSON), JWS, version="ob3")
    baked = write(tmp_path / "ours.png", both)
    assert bakery_unbake(baked) == HOSTED_JSON
    assert bakery_unbake3(baked) == JWS
    assert bakery_info(baked)["chunks"] == [
        "IHDR",
        "iTXt(openbadgecredential)",
        "iTXt(openbadges)",
        "IDAT",
        "IEND",
    ]


@OB3_PAYLOADS
def test_we_read_the_bakery_bake3_png(tmp_path: Path, payload: str) -> None:
    original = write(tmp_path / "plain.png", png_bytes())
    theirs = bakery_bake3(tmp_path, original, payload).read_bytes()
    assert unbake_png(theirs, version="ob3") == payload
    assert unbake_png(theirs) is None
    assert bake_png(original.read_bytes(), payload, version="ob3") == theirs


def test_the_bakery_and_we_each_keep_the_other_version(tmp_path: Path) -> None:
    # The bakery's OB 2.0 bake drops only 'openbadges' chunks.  (bake3 is no use here: it
    # reuses the bakery's splicer, which drops the OB 2.0 chunk too.)
    ours = write(tmp_path / "ours.png", bake_png(png_bytes(), JWS, version="ob3"))
    theirs = bakery_bake(tmp_path, ours, URL).read_bytes()
    assert unbake_png(theirs) == URL
    assert unbake_png(theirs, version="ob3") == JWS
    # Re-baking OB 3.0 over the bakery's file replaces only the OB 3.0 chunk.
    ours_again = write(
        tmp_path / "ours-again.png", bake_png(theirs, CREDENTIAL_JSON, version="ob3")
    )
    assert bakery_unbake3(ours_again) == CREDENTIAL_JSON
    assert bakery_unbake(ours_again) == URL
    assert bakery_info(ours_again)["chunks"] == [
        "IHDR",
        "iTXt(openbadgecredential)",
        "iTXt(openbadges)",
        "IDAT",
        "IEND",
    ]


# --- OB 3.0: openbadgeslib's OB3Verifier extractors -------------------------------------------

# Runs in the oracle venv. argv: "png" or "svg", then the image path. Prints the token as JSON,
# or the exception, so that a "not found" and a crash are told apart.
OPENBADGESLIB_EXTRACT = """
import json, sys
from openbadgeslib.ob3 import OB3Verifier

kind, path = sys.argv[1], sys.argv[2]
with open(path, "rb") as handle:
    data = handle.read()
extract = {"png": OB3Verifier.extract_token_from_png, "svg": OB3Verifier.extract_token_from_svg}
try:
    print(json.dumps({"token": extract[kind](data)}))
except Exception as error:
    print(json.dumps({"error": type(error).__name__, "message": str(error)}))
"""


@pytest.fixture(scope="module")
def openbadgeslib_python() -> Path:
    """The oracle venv's python, built by the oracles' setup if it is not there yet."""
    if not OPENBADGESLIB_PYTHON.exists():
        # The oracle entry points run setup on demand too; it is a no-op once the venvs exist.
        subprocess.run([str(ORACLES / "setup")], capture_output=True, timeout=600, check=False)
    if not OPENBADGESLIB_PYTHON.exists():
        if os.environ.get("CI"):
            pytest.fail(f"CI must run openbadgeslib, but {OPENBADGESLIB_PYTHON} is missing")
        pytest.skip(
            f"openbadgeslib's venv is not here ({OPENBADGESLIB_PYTHON} is absent and "
            f"{ORACLES / 'setup'} could not build it)"
        )
    return OPENBADGESLIB_PYTHON


def openbadgeslib_extract(python: Path, path: Path) -> dict[str, str]:
    """What OB3Verifier.extract_token_from_png/svg returns for an image, or the error it raises."""
    kind = path.suffix.removeprefix(".")
    done = subprocess.run(
        [str(python), "-I", "-B", "-c", OPENBADGESLIB_EXTRACT, kind, str(path)],
        capture_output=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    result: dict[str, str] = json.loads(done.stdout)
    return result


@OB3_PAYLOADS
def test_openbadgeslib_reads_our_ob3_png(
    openbadgeslib_python: Path, tmp_path: Path, payload: str
) -> None:
    baked = write(tmp_path / "ours.png", bake_png(png_bytes(), payload, version="ob3"))
    assert openbadgeslib_extract(openbadgeslib_python, baked) == {"token": payload}


def test_openbadgeslib_reads_the_ob3_chunk_of_a_png_with_both(
    openbadgeslib_python: Path, tmp_path: Path
) -> None:
    both = bake_png(bake_png(png_bytes(), HOSTED_JSON), JWS, version="ob3")
    baked = write(tmp_path / "ours.png", both)
    assert openbadgeslib_extract(openbadgeslib_python, baked) == {"token": JWS}


@OB3_PAYLOADS
def test_openbadgeslib_reads_our_ob3_svg(
    openbadgeslib_python: Path, tmp_path: Path, payload: str
) -> None:
    baked = write(tmp_path / "ours.svg", bake_svg(SVG_150, payload, version="ob3"))
    assert openbadgeslib_extract(openbadgeslib_python, baked) == {"token": payload}


def test_the_bakery_reads_the_ob2_assertion_of_an_svg_with_both(tmp_path: Path) -> None:
    both = bake_svg(bake_svg(SVG_150, HOSTED_JSON), JWS, version="ob3")
    assert bakery_unbake(write(tmp_path / "ours.svg", both)) == ASSERTION_ID


def test_openbadgeslib_reads_the_ob3_element_of_an_svg_with_both(
    openbadgeslib_python: Path, tmp_path: Path
) -> None:
    both = bake_svg(bake_svg(SVG_150, HOSTED_JSON), JWS, version="ob3")
    baked = write(tmp_path / "ours.svg", both)
    assert openbadgeslib_extract(openbadgeslib_python, baked) == {"token": JWS}
