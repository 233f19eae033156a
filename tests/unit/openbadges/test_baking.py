"""Unit tests for issuer.openbadges.baking: PNG iTXt and SVG assertion baking (spec section 4)."""

from __future__ import annotations

import hashlib
import io
import json
import os
import struct
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element

import pytest
from defusedxml.ElementTree import fromstring
from PIL import Image, PngImagePlugin

from issuer.openbadges.baking import (
    BakingError,
    bake_png,
    bake_svg,
    detect_image_type,
    unbake_png,
    unbake_svg,
)
from tests.support import ASSERTION_ID, HOSTED_JSON, JWS, SVG_150, URL, VENDOR, png_bytes

OB_NS = "http://openbadges.org"
ASSERTION = "{" + OB_NS + "}assertion"
SVG_NS = "http://www.w3.org/2000/svg"
NS_DECLARATION = ' xmlns:openbadges="http://openbadges.org"'
PAYLOADS = [HOSTED_JSON, JWS, URL, "Zoë ✓"]
BAKERY_FIXTURES = VENDOR / "ob2" / "fixtures-bakery"


# --- helpers ---------------------------------------------------------------------------------


def chunk(chunk_type: bytes, data: bytes, *, crc: int | None = None) -> bytes:
    """One PNG chunk: length, type, data, CRC (correct unless given)."""
    if crc is None:
        crc = zlib.crc32(chunk_type + data)
    return struct.pack(">I", len(data)) + chunk_type + data + struct.pack(">I", crc)


def raw_chunks(png: bytes) -> list[bytes]:
    """Every chunk of a PNG as its raw bytes (length, type, data, CRC)."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    chunks, position = [], 8
    while position < len(png):
        (length,) = struct.unpack_from(">I", png, position)
        chunks.append(png[position : position + 12 + length])
        position += 12 + length
    assert position == len(png)
    return chunks


def chunk_type(raw: bytes) -> bytes:
    return raw[4:8]


def is_badge_chunk(raw: bytes) -> bool:
    return chunk_type(raw) in (b"iTXt", b"tEXt") and raw[8:].startswith(b"openbadges\x00")


def insert_after_ihdr(png: bytes, *chunks: bytes) -> bytes:
    return png[:33] + b"".join(chunks) + png[33:]


def itxt(text: bytes, *, keyword: bytes = b"openbadges", flags: bytes = b"\x00\x00") -> bytes:
    return chunk(b"iTXt", keyword + b"\x00" + flags + b"\x00\x00" + text)


def rich_png() -> bytes:
    """A PNG with several ancillary chunks (tEXt, zTXt, iTXt, gAMA, pHYs) around the image."""
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "made for the baking tests")
    info.add_text("Software", "Pillow", zip=True)
    info.add_itxt("Title", "Médaille", lang="fr", tkey="Titre")
    info.add(b"gAMA", struct.pack(">I", 45455))
    buffer = io.BytesIO()
    Image.new("RGB", (150, 150), (46, 134, 222)).save(buffer, "PNG", pnginfo=info, dpi=(72, 72))
    return buffer.getvalue()


def parse(svg: str) -> Element[Any]:
    root: Element[Any] = fromstring(svg)
    return root


def assertions(root: Element[Any]) -> list[Element[Any]]:
    return list(root.iter(ASSERTION))


def needs_vendor(path: Path) -> Path:
    """A vendored fixture: skip without ../shared, but fail in CI."""
    if not path.exists():
        if os.environ.get("CI"):
            pytest.fail(f"CI must have the vendored baking fixtures, but {path} is missing")
        pytest.skip(f"the vendored baking fixtures are not here ({path} is absent)")
    return path


# --- PNG: round trips and layout -------------------------------------------------------------


@pytest.mark.parametrize("payload", PAYLOADS, ids=["json", "jws", "url", "non-ascii"])
def test_png_round_trip(payload: str) -> None:
    assert unbake_png(bake_png(png_bytes(), payload)) == payload


def test_png_chunk_layout_is_exact() -> None:
    baked = raw_chunks(bake_png(png_bytes(), "Zoë ✓"))
    assert [chunk_type(raw) for raw in baked] == [b"IHDR", b"iTXt", b"IDAT", b"IEND"]
    ours = baked[1]
    data = "openbadges\x00\x00\x00\x00\x00Zoë ✓".encode()
    assert ours == struct.pack(">I", len(data)) + b"iTXt" + data + struct.pack(
        ">I", zlib.crc32(b"iTXt" + data)
    )


def noisy_png() -> bytes:
    """A 150x150 PNG that compresses badly: tens of kilobytes of IDAT data."""
    pixels = hashlib.shake_256(b"noise").digest(150 * 150 * 3)
    buffer = io.BytesIO()
    Image.frombytes("RGB", (150, 150), pixels).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.mark.parametrize("make", [png_bytes, noisy_png], ids=["small", "large"])
def test_png_is_spliced_byte_for_byte(make: Callable[[], bytes]) -> None:
    original = make()
    baked = bake_png(original, URL)
    ours = raw_chunks(baked)[1]
    assert baked == original[:33] + ours + original[33:]


def test_every_chunk_crc_is_valid() -> None:
    for raw in raw_chunks(bake_png(rich_png(), HOSTED_JSON)):
        assert struct.unpack(">I", raw[-4:])[0] == zlib.crc32(raw[4:-4]), chunk_type(raw)


def test_other_chunks_are_byte_identical() -> None:
    original = rich_png()
    baked = raw_chunks(bake_png(original, HOSTED_JSON))
    assert chunk_type(baked[1]) == b"iTXt"
    assert [raw for raw in baked if not is_badge_chunk(raw)] == raw_chunks(original)
    assert len(raw_chunks(original)) > 5


def test_baked_png_decodes_to_identical_pixels() -> None:
    original = rich_png()
    baked = bake_png(original, HOSTED_JSON)
    with Image.open(io.BytesIO(baked)) as image:
        image.verify()
    with Image.open(io.BytesIO(original)) as before, Image.open(io.BytesIO(baked)) as after:
        assert after.size == before.size
        assert after.mode == before.mode
        assert after.tobytes() == before.tobytes()
        # An independent reader sees our chunk as a plain iTXt text.
        assert isinstance(after, PngImagePlugin.PngImageFile)
        assert after.text["openbadges"] == HOSTED_JSON


def test_baking_twice_leaves_one_chunk_with_the_second_payload() -> None:
    baked = bake_png(bake_png(png_bytes(), HOSTED_JSON), JWS)
    badge_chunks = [raw for raw in raw_chunks(baked) if is_badge_chunk(raw)]
    assert len(badge_chunks) == 1
    assert unbake_png(baked) == JWS
    assert len(baked) == len(bake_png(png_bytes(), JWS))


def test_baking_removes_old_chunks_anywhere_and_legacy_text() -> None:
    original = png_bytes()
    legacy = chunk(b"tEXt", b"openbadges\x00https://old.example.org/a/1")
    before_iend = itxt(b"old payload")
    messy = insert_after_ihdr(original, legacy)
    messy = messy[:-12] + before_iend + messy[-12:]
    baked = bake_png(messy, URL)
    assert [raw for raw in raw_chunks(baked) if is_badge_chunk(raw)] == [raw_chunks(baked)[1]]
    assert baked == bake_png(original, URL)


def test_other_text_chunks_are_kept() -> None:
    ob3 = itxt(b"eyJ.eyJ.sig", keyword=b"openbadgecredential")
    similar = chunk(b"tEXt", b"openbadges2\x00not ours")
    baked = bake_png(insert_after_ihdr(png_bytes(), ob3, similar), URL)
    assert ob3 in baked
    assert similar in baked
    assert unbake_png(baked) == URL


def test_bytes_after_iend_are_kept() -> None:
    original = png_bytes() + b"trailing"
    baked = bake_png(original, URL)
    assert baked.endswith(b"IEND\xaeB`\x82trailing")
    assert unbake_png(baked) == URL


# --- PNG: unbaking ---------------------------------------------------------------------------


def test_unbake_of_an_unbaked_png_is_none() -> None:
    assert unbake_png(png_bytes()) is None
    assert unbake_png(rich_png()) is None


def test_legacy_text_chunk_url_is_read() -> None:
    legacy = chunk(b"tEXt", b"openbadges\x00https://old.example.org/assertions/1")
    assert unbake_png(insert_after_ihdr(png_bytes(), legacy)) == (
        "https://old.example.org/assertions/1"
    )


def test_itxt_wins_over_an_earlier_legacy_text_chunk() -> None:
    legacy = chunk(b"tEXt", b"openbadges\x00https://old.example.org/assertions/1")
    png = insert_after_ihdr(png_bytes(), legacy, itxt(JWS.encode()))
    assert unbake_png(png) == JWS


def test_the_first_itxt_chunk_wins() -> None:
    png = insert_after_ihdr(png_bytes(), itxt(b"first"), itxt(b"second"))
    assert unbake_png(png) == "first"


def test_itxt_with_language_and_translated_keyword_is_read() -> None:
    data = b"openbadges\x00\x00\x00en\x00Open Badges\x00" + URL.encode()
    assert unbake_png(insert_after_ihdr(png_bytes(), chunk(b"iTXt", data))) == URL


def test_compressed_itxt_is_inflated() -> None:
    compressed = itxt(zlib.compress(HOSTED_JSON.encode()), flags=b"\x01\x00")
    assert unbake_png(insert_after_ihdr(png_bytes(), compressed)) == HOSTED_JSON


def test_compressed_itxt_bomb_is_refused() -> None:
    bomb = itxt(zlib.compress(b" " * (2 << 20), 9), flags=b"\x01\x00")
    with pytest.raises(BakingError, match="more than 1 MiB"):
        unbake_png(insert_after_ihdr(png_bytes(), bomb))


@pytest.mark.parametrize(
    ("bad_chunk", "message"),
    [
        (itxt(b"not zlib", flags=b"\x01\x00"), "corrupt"),
        (itxt(zlib.compress(b"x" * 100)[:-6], flags=b"\x01\x00"), "truncated"),
        (itxt(b"x", flags=b"\x02\x00"), "unknown compression"),
        (itxt(b"x", flags=b"\x01\x07"), "unknown compression"),
        (chunk(b"iTXt", b"openbadges\x00\x00\x00no separators"), "NUL separators"),
        (chunk(b"iTXt", b"openbadges\x00\x00"), "truncated"),
        (itxt(b"\xff\xfe bad utf-8"), "UTF-8"),
    ],
    ids=["zlib", "short-zlib", "flag", "method", "separators", "short", "utf-8"],
)
def test_broken_itxt_raises(bad_chunk: bytes, message: str) -> None:
    with pytest.raises(BakingError, match=message):
        unbake_png(insert_after_ihdr(png_bytes(), bad_chunk))


def test_bad_crc_on_our_chunk_raises() -> None:
    baked = bytearray(bake_png(png_bytes(), URL))
    crc_end = 33 + len(raw_chunks(bytes(baked))[1])
    baked[crc_end - 1] ^= 0xFF
    with pytest.raises(BakingError, match="bad CRC"):
        unbake_png(bytes(baked))


def test_bad_crc_on_legacy_chunk_raises() -> None:
    legacy = chunk(b"tEXt", b"openbadges\x00https://old.example.org/1", crc=0)
    with pytest.raises(BakingError, match="tEXt chunk at byte 33 has a bad CRC"):
        unbake_png(insert_after_ihdr(png_bytes(), legacy))


def test_corrupted_payload_byte_raises() -> None:
    baked = bytearray(bake_png(png_bytes(), URL))
    baked[33 + 8 + 20] ^= 0x01  # inside the text, so the CRC no longer matches
    with pytest.raises(BakingError, match="bad CRC"):
        unbake_png(bytes(baked))


# --- PNG: invalid input ----------------------------------------------------------------------


def other_image(fmt: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (10, 10)).save(buffer, fmt)
    return buffer.getvalue()


@pytest.mark.parametrize(
    "data",
    [b"", b"\x89PNG", b"GIF89a" + b"\x00" * 40, SVG_150.encode(), b"not an image at all"],
    ids=["empty", "short", "gif-magic", "svg", "text"],
)
def test_non_png_raises(data: bytes) -> None:
    with pytest.raises(BakingError, match="not a PNG"):
        bake_png(data, URL)
    with pytest.raises(BakingError, match="not a PNG"):
        unbake_png(data)


@pytest.mark.parametrize("fmt", ["JPEG", "GIF", "WEBP"])
def test_other_image_formats_raise(fmt: str) -> None:
    with pytest.raises(BakingError, match="not a PNG"):
        bake_png(other_image(fmt), URL)


def test_first_chunk_must_be_ihdr() -> None:
    png = png_bytes()
    swapped = png[:8] + chunk(b"tEXt", b"Comment\x00hi") + png[8:]
    for function in (unbake_png, lambda data: bake_png(data, URL)):
        with pytest.raises(BakingError, match="first chunk is not a 13-byte IHDR"):
            function(swapped)


@pytest.mark.parametrize("keep", [8, 20, 33, 40, -13, -1], ids=str)
def test_truncated_png_raises(keep: int) -> None:
    truncated = png_bytes()[:keep]
    with pytest.raises(BakingError, match="truncated"):
        bake_png(truncated, URL)
    with pytest.raises(BakingError, match="truncated"):
        unbake_png(truncated)


def test_truncated_baked_png_raises() -> None:
    baked = bake_png(png_bytes(), URL)
    with pytest.raises(BakingError, match="truncated"):
        unbake_png(baked[: len(baked) // 2 + 40])


def test_chunk_length_past_the_end_raises() -> None:
    png = png_bytes()
    lying = png[:33] + struct.pack(">I", 1 << 30) + png[37:]
    with pytest.raises(BakingError, match="claims 1073741824 bytes, past the end"):
        unbake_png(lying)


def test_garbage_chunk_type_raises() -> None:
    png = png_bytes()
    with pytest.raises(BakingError, match="invalid chunk type"):
        unbake_png(png[:33] + b"\x00\x00\x00\x00\x00\x01\x02\x03" + png[33:])


@pytest.mark.parametrize("payload", ["", "lone \ud800 surrogate"], ids=["empty", "surrogate"])
def test_bad_png_payload_raises(payload: str) -> None:
    with pytest.raises(BakingError, match="payload"):
        bake_png(png_bytes(), payload)


# --- vendored fixtures (openbadges-bakery, 1EdTech validator) --------------------------------


def test_vendored_baked_heart_png() -> None:
    path = needs_vendor(BAKERY_FIXTURES / "baked_heart.png")
    text = unbake_png(path.read_bytes())
    assert text is not None
    assertion = json.loads(text)
    assert assertion["uid"] == "123"
    assert assertion["verify"] == {"type": "hosted", "url": "http://example.org/badgeinstance1"}
    rebaked = bake_png(path.read_bytes(), URL)
    assert unbake_png(rebaked) == URL
    assert [raw for raw in raw_chunks(rebaked) if not is_badge_chunk(raw)] == [
        raw for raw in raw_chunks(path.read_bytes()) if not is_badge_chunk(raw)
    ]


def test_vendored_1edtech_baked_png() -> None:
    path = needs_vendor(VENDOR / "ob2" / "fixtures-1edtech-validator" / "simple-badge.png")
    text = unbake_png(path.read_bytes())
    assert text is not None
    assertion = json.loads(text)
    assert assertion["type"] == "Assertion"
    assert assertion["id"] == "https://example.org/beths-robotics-badge.json"


def test_vendored_baked_example_svg() -> None:
    path = needs_vendor(BAKERY_FIXTURES / "baked_example.svg")
    svg = path.read_text(encoding="utf-8")
    assert unbake_svg(svg) == "https://example.org/assertion.json"
    rebaked = bake_svg(svg, JWS)
    assert rebaked.count("openbadges:assertion") == 1
    assert rebaked.count("xmlns:openbadges=") == 1
    assert unbake_svg(rebaked) == JWS
    root = parse(rebaked)
    drawing = [f"{{{SVG_NS}}}{name}" for name in ("rect", "circle", "text")]
    assert [child.tag for child in root] == [ASSERTION, *drawing]


# --- SVG: round trips ------------------------------------------------------------------------


def test_svg_hosted_json_round_trip() -> None:
    baked = bake_svg(SVG_150, HOSTED_JSON)
    root = parse(baked)
    (element,) = assertions(root)
    assert element.get("verify") == ASSERTION_ID
    assert element.text == HOSTED_JSON
    assert json.loads(element.text or "")["id"] == ASSERTION_ID
    assert f"<![CDATA[{HOSTED_JSON}]]></openbadges:assertion>" in baked
    # Like openbadges-bakery, unbaking returns the verify attribute: the hosted URL.
    assert unbake_svg(baked) == ASSERTION_ID


def test_svg_jws_is_a_self_closing_verify_attribute() -> None:
    baked = bake_svg(SVG_150, JWS)
    assert f'<openbadges:assertion verify="{JWS}"/>' in baked
    (element,) = assertions(parse(baked))
    assert element.get("verify") == JWS
    assert element.text is None
    assert len(element) == 0
    assert unbake_svg(baked) == JWS


def test_svg_url_is_a_self_closing_verify_attribute() -> None:
    baked = bake_svg(SVG_150, URL)
    assert f'<openbadges:assertion verify="{URL}"/>' in baked
    assert unbake_svg(baked) == URL


def test_svg_element_comes_right_after_the_root_start_tag() -> None:
    baked = bake_svg(SVG_150, URL)
    root_tag = SVG_150[: SVG_150.index(">")] + NS_DECLARATION + ">"
    assert baked.startswith(root_tag + "<openbadges:assertion ")
    assert parse(baked)[0].tag == ASSERTION


def test_svg_drawing_is_unchanged() -> None:
    baked = bake_svg(SVG_150, HOSTED_JSON)
    element = baked[baked.index("<openbadges:assertion") : baked.index("</svg>")]
    element = element[: element.index("</openbadges:assertion>") + len("</openbadges:assertion>")]
    assert baked.replace(element, "", 1).replace(NS_DECLARATION, "", 1) == SVG_150
    before, after = parse(SVG_150), parse(baked)
    assert after.attrib == before.attrib
    drawing = [child for child in after if child.tag != ASSERTION]
    assert [(c.tag, c.attrib) for c in drawing] == [(c.tag, c.attrib) for c in before]


def test_namespace_is_declared_once() -> None:
    once = bake_svg(SVG_150, URL)
    twice = bake_svg(once, HOSTED_JSON)
    assert once.count("xmlns:openbadges=") == 1
    assert twice.count("xmlns:openbadges=") == 1


def test_rebaking_replaces_the_element() -> None:
    baked = bake_svg(bake_svg(bake_svg(SVG_150, HOSTED_JSON), URL), JWS)
    assert len(assertions(parse(baked))) == 1
    assert baked.count("<openbadges:assertion") == 1
    assert unbake_svg(baked) == JWS
    assert baked == bake_svg(SVG_150, JWS)


def test_rebaking_removes_assertions_under_any_prefix_and_depth() -> None:
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:ob="http://openbadges.org">'
        '<ob:assertion verify="https://old.example.org/1"><![CDATA[{"a": 1}]]></ob:assertion>'
        '<g><assertion xmlns="http://openbadges.org" verify="https://old.example.org/2"/>'
        '<openbadges:assertion xmlns:openbadges="http://openbadges.org">'
        "<openbadges:assertion>nested</openbadges:assertion></openbadges:assertion>"
        '<circle r="1"/></g><assertion verify="not ours, SVG namespace"/></svg>'
    )
    baked = bake_svg(svg, URL)
    root = parse(baked)
    (element,) = assertions(root)
    assert element.get("verify") == URL
    assert baked.count("old.example.org") == 0
    assert "nested" not in baked
    assert '<g><circle r="1"/></g><assertion verify="not ours, SVG namespace"/></svg>' in baked


def test_json_holding_a_cdata_terminator_survives() -> None:
    payload = json.dumps({"id": ASSERTION_ID, "narrative": "a]]>b ]]]]> <![CDATA[ c"})
    baked = bake_svg(SVG_150, payload)
    (element,) = assertions(parse(baked))
    assert element.text == payload
    assert json.loads(element.text or "")["narrative"] == "a]]>b ]]]]> <![CDATA[ c"


def test_json_with_crlf_whitespace_is_accepted() -> None:
    payload = '{\r\n  "id": "https://issuer.example.org/a/1"\r\n}'
    (element,) = assertions(parse(bake_svg(SVG_150, payload)))
    assert json.loads(element.text or "") == json.loads(payload)


def test_verify_attribute_is_escaped() -> None:
    tricky = 'https://issuer.example.org/a?x=1&y="2"&z=<3>\''
    baked = bake_svg(SVG_150, json.dumps({"id": tricky}))
    assert 'verify="https://issuer.example.org/a?x=1&amp;y=&quot;2&quot;&amp;z=&lt;3&gt;\'"' in (
        baked
    )
    (element,) = assertions(parse(baked))
    assert element.get("verify") == tricky
    assert unbake_svg(baked) == tricky


def test_hosted_json_without_id_uses_the_old_verify_url() -> None:
    payload = json.dumps({"uid": "1", "verify": {"type": "hosted", "url": URL}})
    assert unbake_svg(bake_svg(SVG_150, payload)) == URL


# --- SVG: finding the root -------------------------------------------------------------------


def test_self_closing_root_is_expanded() -> None:
    svg = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10" />'
    baked = bake_svg(svg, URL)
    assert baked == (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"{NS_DECLARATION} >'
        f'<openbadges:assertion verify="{URL}"/></svg>'
    )
    assert unbake_svg(baked) == URL


def test_prolog_before_the_root_is_skipped() -> None:
    prolog = (
        "\ufeff<?xml version='1.0' encoding='UTF-8' standalone='no'?>\n"
        "<!-- not the root: <svg width='1'> -->\n"
        '<?xml-stylesheet href="style.css" type="text/css"?>\n'
        '<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" '
        '"http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd" [\n'
        '  <!ATTLIST svg data-note CDATA "a > b ]">\n  <!-- ] > -->\n]>\n'
    )
    svg = prolog + '<svg xmlns="http://www.w3.org/2000/svg" title="a > b"><rect/></svg>\n'
    baked = bake_svg(svg, URL)
    assert baked.startswith(prolog)
    assert baked == (
        prolog + f'<svg xmlns="http://www.w3.org/2000/svg" title="a > b"{NS_DECLARATION}>'
        f'<openbadges:assertion verify="{URL}"/><rect/></svg>\n'
    )
    assert unbake_svg(baked) == URL


def test_root_with_a_prefix_and_single_quotes() -> None:
    svg = "<s:svg xmlns:s='http://www.w3.org/2000/svg'\n  id='x'><s:rect/></s:svg>"
    baked = bake_svg(svg, JWS)
    assert baked.startswith(
        f"<s:svg xmlns:s='http://www.w3.org/2000/svg'\n  id='x'{NS_DECLARATION}>"
    )
    assert unbake_svg(baked) == JWS


def test_comments_and_cdata_inside_the_root_are_skipped() -> None:
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg"><!-- <openbadges:assertion> -->'
        "<style><![CDATA[ rect > circle { fill: red } </g> ]]></style>"
        "<?pi <a> ?><text>1 &lt; 2 &gt; 0</text></svg>"
    )
    baked = bake_svg(svg, URL)
    assert baked.endswith(svg[len('<svg xmlns="http://www.w3.org/2000/svg">') :])
    assert unbake_svg(baked) == URL


# --- SVG: errors and unbaking ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("svg", "message"),
    [
        ("", "not well-formed"),
        ("not xml at all", "not well-formed"),
        ("<svg><g></svg>", "not well-formed"),
        ('<html xmlns="http://www.w3.org/1999/xhtml"/>', "root element is <html>"),
        ('<svg xmlns="urn:not-svg"/>', "root element is <svg>"),
        (
            '<!DOCTYPE svg [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;">]><svg>&b;</svg>',
            "forbidden XML features",
        ),
    ],
    ids=["empty", "text", "unclosed", "html", "other-namespace", "entities"],
)
def test_non_svg_raises(svg: str, message: str) -> None:
    with pytest.raises(BakingError, match=message):
        bake_svg(svg, URL)
    with pytest.raises(BakingError, match=message):
        unbake_svg(svg)


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ("", "empty"),
        ("just some words", "neither assertion JSON"),
        ("ftp://example.org/a", "neither assertion JSON"),
        ("https://example.org/a b", "neither assertion JSON"),
        ("a.b", "neither assertion JSON"),
        ("{not json", "not valid JSON"),
        ('{"id": "urn:uuid:1234"}', "no http"),
        ('{"id": "https://example.org/a\x01"}', "characters that XML cannot hold"),
    ],
    ids=["empty", "words", "ftp", "space", "two-parts", "json", "no-url", "control"],
)
def test_bad_svg_payload_raises(payload: str, message: str) -> None:
    with pytest.raises(BakingError, match=message):
        bake_svg(SVG_150, payload)


def test_conflicting_openbadges_prefix_raises() -> None:
    svg = '<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="urn:other"/>'
    with pytest.raises(BakingError, match="another namespace"):
        bake_svg(svg, URL)


def test_unbake_of_an_unbaked_svg_is_none() -> None:
    assert unbake_svg(SVG_150) is None


def test_unbake_falls_back_to_the_element_text() -> None:
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="http://openbadges.org">'
        '<openbadges:assertion verify="  "><![CDATA[\n  {"id": "x"}\n]]></openbadges:assertion>'
        "</svg>"
    )
    assert unbake_svg(svg) == '{"id": "x"}'
    empty = svg.replace('<![CDATA[\n  {"id": "x"}\n]]>', "")
    assert unbake_svg(empty) is None


def test_unbake_takes_the_first_assertion() -> None:
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:ob="http://openbadges.org">'
        '<g><ob:assertion verify="first"/></g><ob:assertion verify="second"/></svg>'
    )
    assert unbake_svg(svg) == "first"


# --- detection -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (png_bytes(10, 10), "png"),
        (SVG_150.encode(), "svg"),
        (b'\xef\xbb\xbf\n<?xml version="1.0"?><svg:svg xmlns:svg="x"/>', "svg"),
        (b"<html><body>svg</body></html>", None),
        (b"GIF89a", None),
        (b"", None),
    ],
    ids=["png", "svg", "svg-prolog", "html", "gif", "empty"],
)
def test_detect_image_type(data: bytes, expected: str | None) -> None:
    assert detect_image_type(data) == expected
