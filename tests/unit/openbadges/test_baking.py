"""Unit tests for issuer.openbadges.baking: PNG iTXt and SVG assertion baking (spec section 4)."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import struct
import zlib
from collections.abc import Callable
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
from tests.support import (
    ASSERTION_ID,
    HOSTED_JSON,
    JWS,
    SVG_150,
    URL,
    VENDOR,
    needs_vendor,
    png_bytes,
)

OB_NS = "http://openbadges.org"
ASSERTION = "{" + OB_NS + "}assertion"
SVG_NS = "http://www.w3.org/2000/svg"
NS_DECLARATION = ' xmlns:openbadges="http://openbadges.org"'
PAYLOADS = [HOSTED_JSON, JWS, URL, "Zoë ✓"]
BAKERY_FIXTURES = VENDOR / "ob2" / "fixtures-bakery"

OB3_NS = "https://purl.imsglobal.org/ob/v3p0"
CREDENTIAL = "{" + OB3_NS + "}credential"
OB3_DECLARATION = f' xmlns:openbadges="{OB3_NS}"'
OB3_FIXTURES = VENDOR / "ob3" / "fixtures-1edtech-validator"
# An OB 3.0 credential with an embedded proof (the proof value is not a real signature).
CREDENTIAL_JSON = json.dumps(
    {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        ],
        "id": "https://issuer.example.org/public/credentials/9",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": "https://issuer.example.org/issuer", "type": ["Profile"]},
        "validFrom": "2024-05-01T12:00:00Z",
        "name": "Zoë's badge ✓",
        "credentialSubject": {"type": ["AchievementSubject"], "achievement": {"name": "a]]>b"}},
        "proof": {"type": "DataIntegrityProof", "proofValue": "z3FXQjecWufY46"},
    },
    ensure_ascii=False,
)
OB3_PAYLOADS = [JWS, CREDENTIAL_JSON]


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


def is_ob3_chunk(raw: bytes) -> bool:
    return chunk_type(raw) == b"iTXt" and raw[8:].startswith(b"openbadgecredential\x00")


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


def credentials(root: Element[Any]) -> list[Element[Any]]:
    return list(root.iter(CREDENTIAL))


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


def test_the_same_image_baked_again_gives_each_payload_its_own_png() -> None:
    png = png_bytes()
    first, second = bake_png(png, URL), bake_png(png, JWS)
    assert (unbake_png(first), unbake_png(second)) == (URL, JWS)
    assert bake_png(bytes(png), URL) == first  # an equal image from elsewhere
    assert bake_png(png, JWS, version="ob3") != second


def test_images_beyond_the_layout_cache_bake_the_same() -> None:
    # 70 images (more than the cache keeps) and one over its size limit.
    images = [png_bytes(color=f"#{n:06x}") for n in range(70)]
    images.append(insert_after_ihdr(png_bytes(), chunk(b"teXt", b"x" * 300_000)))
    for png in images + images[:3]:
        baked = bake_png(png, URL)
        assert unbake_png(baked) == URL
        assert [c for c in raw_chunks(baked) if not is_badge_chunk(c)] == raw_chunks(png)


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


NON_SVG = pytest.mark.parametrize(
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
        (
            '<!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]><svg>&x;</svg>',
            "forbidden XML features",
        ),
    ],
    ids=["empty", "text", "unclosed", "html", "other-namespace", "entities", "external-entity"],
)


@NON_SVG
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


def test_a_conflicting_openbadges_prefix_is_bound_again_on_our_element() -> None:
    svg = '<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="urn:other"/>'
    baked = bake_svg(svg, URL)
    assert baked == (
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="urn:other">'
        f'<openbadges:assertion xmlns:openbadges="{OB_NS}" verify="{URL}"/></svg>'
    )
    assert unbake_svg(baked) == URL


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


# --- OB 3.0 PNG: the openbadgecredential chunk -----------------------------------------------


@pytest.mark.parametrize("payload", [*OB3_PAYLOADS, "Zoë ✓"], ids=["jws", "json", "non-ascii"])
def test_ob3_png_round_trip(payload: str) -> None:
    baked = bake_png(png_bytes(), payload, version="ob3")
    assert unbake_png(baked, version="ob3") == payload
    assert unbake_png(baked) is None


def test_ob3_png_chunk_layout_is_exact() -> None:
    baked = raw_chunks(bake_png(png_bytes(), "Zoë ✓", version="ob3"))
    assert [chunk_type(raw) for raw in baked] == [b"IHDR", b"iTXt", b"IDAT", b"IEND"]
    data = "openbadgecredential\x00\x00\x00\x00\x00Zoë ✓".encode()
    assert baked[1] == struct.pack(">I", len(data)) + b"iTXt" + data + struct.pack(
        ">I", zlib.crc32(b"iTXt" + data)
    )


def test_ob3_png_is_spliced_byte_for_byte() -> None:
    original = rich_png()
    baked = bake_png(original, JWS, version="ob3")
    assert baked == original[:33] + raw_chunks(baked)[1] + original[33:]
    for raw in raw_chunks(baked):
        assert struct.unpack(">I", raw[-4:])[0] == zlib.crc32(raw[4:-4]), chunk_type(raw)
    with Image.open(io.BytesIO(baked)) as image:
        assert isinstance(image, PngImagePlugin.PngImageFile)
        assert image.text["openbadgecredential"] == JWS


def test_png_can_carry_both_versions() -> None:
    both = bake_png(bake_png(png_bytes(), HOSTED_JSON), JWS, version="ob3")
    assert [chunk_type(raw) for raw in raw_chunks(both)] == [
        b"IHDR",
        b"iTXt",
        b"iTXt",
        b"IDAT",
        b"IEND",
    ]
    assert is_ob3_chunk(raw_chunks(both)[1])
    assert is_badge_chunk(raw_chunks(both)[2])
    assert unbake_png(both) == HOSTED_JSON
    assert unbake_png(both, version="ob3") == JWS
    # The other order gives the same two chunks, the latest one first.
    other_order = bake_png(bake_png(png_bytes(), JWS, version="ob3"), HOSTED_JSON)
    assert sorted(raw_chunks(other_order)) == sorted(raw_chunks(both))


def test_each_version_is_replaced_independently() -> None:
    both = bake_png(bake_png(png_bytes(), HOSTED_JSON), JWS, version="ob3")
    ob2_chunk = next(raw for raw in raw_chunks(both) if is_badge_chunk(raw))
    ob3_chunk = next(raw for raw in raw_chunks(both) if is_ob3_chunk(raw))

    new_ob3 = bake_png(both, CREDENTIAL_JSON, version="ob3")
    assert [raw for raw in raw_chunks(new_ob3) if is_ob3_chunk(raw)] == [raw_chunks(new_ob3)[1]]
    assert [raw for raw in raw_chunks(new_ob3) if is_badge_chunk(raw)] == [ob2_chunk]
    assert unbake_png(new_ob3, version="ob3") == CREDENTIAL_JSON
    assert unbake_png(new_ob3) == HOSTED_JSON

    new_ob2 = bake_png(both, URL)
    assert [raw for raw in raw_chunks(new_ob2) if is_badge_chunk(raw)] == [raw_chunks(new_ob2)[1]]
    assert [raw for raw in raw_chunks(new_ob2) if is_ob3_chunk(raw)] == [ob3_chunk]
    assert unbake_png(new_ob2) == URL
    assert unbake_png(new_ob2, version="ob3") == JWS


def test_ob3_baking_removes_old_credential_chunks_anywhere() -> None:
    original = png_bytes()
    old = itxt(b"old credential", keyword=b"openbadgecredential")
    messy = insert_after_ihdr(original, old)
    messy = messy[:-12] + old + messy[-12:]  # where the 1EdTech fixtures put it: before IEND
    baked = bake_png(messy, JWS, version="ob3")
    assert baked == bake_png(original, JWS, version="ob3")


def test_keywords_match_only_in_full() -> None:
    # Each keyword is compared with its NUL, so neither is a prefix match for the other.
    ob2 = itxt(b"ob2 payload")
    legacy = chunk(b"tEXt", b"openbadges\x00https://old.example.org/a/1")
    similar = itxt(b"not ours", keyword=b"openbadgecredentials")
    png = insert_after_ihdr(png_bytes(), ob2, legacy, similar)
    baked = bake_png(png, JWS, version="ob3")
    for kept in (ob2, legacy, similar):
        assert kept in baked
    assert unbake_png(baked, version="ob3") == JWS
    assert unbake_png(baked) == "ob2 payload"
    assert unbake_png(insert_after_ihdr(png_bytes(), similar), version="ob3") is None


def test_ob3_unbake_of_an_ob2_only_png_is_none_and_vice_versa() -> None:
    assert unbake_png(bake_png(png_bytes(), HOSTED_JSON), version="ob3") is None
    assert unbake_png(bake_png(png_bytes(), JWS, version="ob3")) is None
    assert unbake_png(png_bytes(), version="ob3") is None
    assert unbake_png(rich_png(), version="ob3") is None


def test_ob3_unbake_ignores_legacy_text_chunks() -> None:
    legacy = chunk(b"tEXt", b"openbadges\x00https://old.example.org/assertions/1")
    text_ob3 = chunk(b"tEXt", b"openbadgecredential\x00" + JWS.encode())
    png = insert_after_ihdr(png_bytes(), legacy, text_ob3)
    assert unbake_png(png, version="ob3") is None
    assert unbake_png(png) == "https://old.example.org/assertions/1"


def test_ob3_first_itxt_chunk_wins() -> None:
    png = insert_after_ihdr(
        png_bytes(),
        itxt(b"first", keyword=b"openbadgecredential"),
        itxt(b"second", keyword=b"openbadgecredential"),
    )
    assert unbake_png(png, version="ob3") == "first"


def test_ob3_compressed_itxt_is_inflated() -> None:
    compressed = itxt(
        zlib.compress(CREDENTIAL_JSON.encode()), keyword=b"openbadgecredential", flags=b"\x01\x00"
    )
    assert unbake_png(insert_after_ihdr(png_bytes(), compressed), version="ob3") == (
        CREDENTIAL_JSON
    )


@pytest.mark.parametrize(
    ("bad_chunk", "message"),
    [
        (
            itxt(
                zlib.compress(b" " * (2 << 20), 9),
                keyword=b"openbadgecredential",
                flags=b"\x01\x00",
            ),
            "compressed openbadgecredential iTXt text inflates to more than 1 MiB",
        ),
        (
            itxt(b"not zlib", keyword=b"openbadgecredential", flags=b"\x01\x00"),
            "compressed openbadgecredential iTXt text is corrupt",
        ),
        (
            itxt(b"x", keyword=b"openbadgecredential", flags=b"\x02\x00"),
            "openbadgecredential iTXt chunk has an unknown compression",
        ),
        (
            chunk(b"iTXt", b"openbadgecredential\x00\x00\x00no separators"),
            "openbadgecredential iTXt chunk is corrupt",
        ),
        (chunk(b"iTXt", b"openbadgecredential\x00\x00"), "openbadgecredential iTXt chunk is trunc"),
        (
            itxt(b"\xff\xfe", keyword=b"openbadgecredential"),
            "openbadgecredential iTXt text is not valid UTF-8",
        ),
        (
            chunk(b"iTXt", b"openbadgecredential\x00\x00\x00\x00\x00x", crc=0),
            "openbadgecredential iTXt chunk at byte 33 has a bad CRC",
        ),
    ],
    ids=["bomb", "zlib", "flag", "separators", "short", "utf-8", "crc"],
)
def test_broken_ob3_itxt_raises(bad_chunk: bytes, message: str) -> None:
    png = insert_after_ihdr(png_bytes(), bad_chunk)
    with pytest.raises(BakingError, match=message):
        unbake_png(png, version="ob3")
    # OB 2.0 unbaking does not look at the OB 3.0 chunk, broken or not.
    assert unbake_png(png) is None


def test_corrupted_ob3_payload_byte_raises() -> None:
    baked = bytearray(bake_png(png_bytes(), JWS, version="ob3"))
    baked[33 + 8 + 30] ^= 0x01
    with pytest.raises(
        BakingError, match="openbadgecredential iTXt chunk at byte 33 has a bad CRC"
    ):
        unbake_png(bytes(baked), version="ob3")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "not a PNG"),
        (SVG_150.encode(), "not a PNG"),
        (png_bytes()[:40], "truncated"),
        (png_bytes()[:33] + struct.pack(">I", 1 << 30) + png_bytes()[37:], "past the end"),
        (png_bytes()[:33] + b"\x00\x00\x00\x00\x00\x01\x02\x03" + png_bytes()[33:], "chunk type"),
    ],
    ids=["empty", "svg", "truncated", "length", "type"],
)
def test_invalid_png_raises_for_ob3(data: bytes, message: str) -> None:
    with pytest.raises(BakingError, match=message):
        bake_png(data, JWS, version="ob3")
    with pytest.raises(BakingError, match=message):
        unbake_png(data, version="ob3")


def test_bad_ob3_png_payload_raises() -> None:
    with pytest.raises(BakingError, match="payload is empty"):
        bake_png(png_bytes(), "", version="ob3")


def test_unknown_version_is_a_value_error_not_a_baking_error() -> None:
    calls: list[Callable[[], object]] = [
        lambda: bake_png(png_bytes(), JWS, version="ob4"),  # type: ignore[arg-type]
        lambda: unbake_png(png_bytes(), version="ob4"),  # type: ignore[arg-type]
        lambda: bake_svg(SVG_150, JWS, version="ob4"),  # type: ignore[arg-type]
        lambda: unbake_svg(SVG_150, version="ob4"),  # type: ignore[arg-type]
    ]
    for call in calls:
        with pytest.raises(ValueError, match="unknown Open Badges baking version 'ob4'") as info:
            call()
        assert not isinstance(info.value, BakingError)


# --- OB 3.0 SVG: the openbadges:credential element -------------------------------------------


def test_ob3_svg_jws_is_a_self_closing_verify_attribute() -> None:
    baked = bake_svg(SVG_150, JWS, version="ob3")
    root_tag = SVG_150[: SVG_150.index(">")] + OB3_DECLARATION + ">"
    assert baked.startswith(f'{root_tag}<openbadges:credential verify="{JWS}"/>')
    root = parse(baked)
    (element,) = credentials(root)
    assert root[0] is element
    assert element.text is None
    assert len(element) == 0
    assert unbake_svg(baked, version="ob3") == JWS
    assert unbake_svg(baked) is None


def test_ob3_svg_json_is_cdata_without_verify() -> None:
    baked = bake_svg(SVG_150, CREDENTIAL_JSON, version="ob3")
    assert "<openbadges:credential><![CDATA[{" in baked
    assert "]]></openbadges:credential>" in baked
    (element,) = credentials(parse(baked))
    assert "verify" not in element.attrib
    # The credential holds "]]>", which must be split across two CDATA sections.
    assert element.text == CREDENTIAL_JSON
    assert unbake_svg(baked, version="ob3") == CREDENTIAL_JSON
    assert json.loads(unbake_svg(baked, version="ob3") or "")["proof"]["type"] == (
        "DataIntegrityProof"
    )


def test_ob3_svg_drawing_is_unchanged() -> None:
    baked = bake_svg(SVG_150, JWS, version="ob3")
    element = f'<openbadges:credential verify="{JWS}"/>'
    assert baked.replace(element, "", 1).replace(OB3_DECLARATION, "", 1) == SVG_150


def test_ob3_rebaking_replaces_the_element() -> None:
    once = bake_svg(SVG_150, CREDENTIAL_JSON, version="ob3")
    twice = bake_svg(once, JWS, version="ob3")
    assert twice == bake_svg(SVG_150, JWS, version="ob3")
    assert twice.count("xmlns:openbadges=") == 1
    assert len(credentials(parse(twice))) == 1


def test_ob3_rebaking_removes_credentials_under_any_prefix_and_depth() -> None:
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:c="{OB3_NS}">'
        '<c:credential verify="old.old.old"/>'
        f'<g><credential xmlns="{OB3_NS}"><![CDATA[{{"old": 1}}]]></credential>'
        '<circle r="1"/></g><credential verify="not ours, SVG namespace"/></svg>'
    )
    baked = bake_svg(svg, JWS, version="ob3")
    (element,) = credentials(parse(baked))
    assert element.get("verify") == JWS
    assert "old" not in baked
    assert '<g><circle r="1"/></g><credential verify="not ours, SVG namespace"/></svg>' in baked


def test_svg_with_an_ob2_assertion_gains_an_ob3_element_that_binds_its_own_prefix() -> None:
    ob2 = bake_svg(SVG_150, HOSTED_JSON)
    both = bake_svg(ob2, JWS, version="ob3")
    # Readers look for the literal name openbadges:credential, so the prefix is kept and bound
    # to the OB 3.0 namespace on the element itself.
    element = f'<openbadges:credential xmlns:openbadges="{OB3_NS}" verify="{JWS}"/>'
    root_tag = SVG_150[: SVG_150.index(">")] + NS_DECLARATION + ">"
    assert both.startswith(f"{root_tag}{element}<openbadges:assertion ")
    root = parse(both)
    assert [child.tag for child in root][:2] == [CREDENTIAL, ASSERTION]
    assert unbake_svg(both) == ASSERTION_ID
    assert unbake_svg(both, version="ob3") == JWS
    assert both.replace(element, "") == ob2  # the OB 2.0 element is untouched

    # Re-baking either version keeps the other, once.
    new_ob3 = bake_svg(both, CREDENTIAL_JSON, version="ob3")
    assert len(credentials(parse(new_ob3))) == 1
    assert unbake_svg(new_ob3, version="ob3") == CREDENTIAL_JSON
    assert unbake_svg(new_ob3) == ASSERTION_ID
    new_ob2 = bake_svg(both, URL)
    assert new_ob2.count("xmlns:openbadges=") == 2  # the root's and the OB 3.0 element's
    assert len(assertions(parse(new_ob2))) == 1
    assert unbake_svg(new_ob2) == URL
    assert unbake_svg(new_ob2, version="ob3") == JWS


def test_an_ob3_prefix_already_bound_on_the_root_is_reused() -> None:
    svg = f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="{OB3_NS}"><rect/></svg>'
    baked = bake_svg(svg, JWS, version="ob3")
    assert baked == svg.replace("<rect/>", f'<openbadges:credential verify="{JWS}"/><rect/>')


def test_ob2_into_an_svg_baked_with_ob3_keeps_both() -> None:
    ob3_first = bake_svg(SVG_150, JWS, version="ob3")
    both = bake_svg(ob3_first, URL)
    assert f'<openbadges:assertion xmlns:openbadges="{OB_NS}" verify="{URL}"/>' in both
    assert unbake_svg(both) == URL
    assert unbake_svg(both, version="ob3") == JWS


def test_ob3_unbake_of_an_ob2_only_svg_is_none_and_vice_versa() -> None:
    assert unbake_svg(bake_svg(SVG_150, JWS), version="ob3") is None
    assert unbake_svg(SVG_150, version="ob3") is None
    ob3_only = (
        f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="{OB3_NS}">'
        f'<openbadges:credential verify="{JWS}"/></svg>'
    )
    assert unbake_svg(ob3_only) is None
    assert unbake_svg(ob3_only, version="ob3") == JWS


def test_ob3_unbake_takes_the_first_element_and_falls_back_to_its_text() -> None:
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:c="{OB3_NS}">'
        '<g><c:credential verify=" "><![CDATA[\n  {"id": "first"}\n]]></c:credential></g>'
        '<c:credential verify="second"/></svg>'
    )
    assert unbake_svg(svg, version="ob3") == '{"id": "first"}'
    empty = svg.replace('<![CDATA[\n  {"id": "first"}\n]]>', "")
    assert unbake_svg(empty, version="ob3") is None


@NON_SVG
def test_non_svg_raises_for_ob3(svg: str, message: str) -> None:
    with pytest.raises(BakingError, match=message):
        bake_svg(svg, JWS, version="ob3")
    with pytest.raises(BakingError, match=message):
        unbake_svg(svg, version="ob3")


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ("", "empty"),
        (URL, "neither credential JSON nor a compact VC-JWT"),
        ("just some words", "neither credential JSON"),
        ("a.b", "neither credential JSON"),
        (JWS + "\n", "neither credential JSON"),
        ("{not json", "not valid JSON"),
        ('{"name": "a\x01"}', "characters that XML cannot hold"),
    ],
    ids=["empty", "url", "words", "two-parts", "newline", "json", "control"],
)
def test_bad_ob3_svg_payload_raises(payload: str, message: str) -> None:
    with pytest.raises(BakingError, match=message):
        bake_svg(SVG_150, payload, version="ob3")


# --- OB 3.0 vendored fixtures (1EdTech validator) --------------------------------------------


def jwt_claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    claims: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    )
    return claims


@pytest.mark.parametrize("name", ["simple-jwt.png", "simple-json.png"])
def test_vendored_1edtech_ob3_png(name: str) -> None:
    path = needs_vendor(OB3_FIXTURES / name)
    original = path.read_bytes()
    text = unbake_png(original, version="ob3")
    assert text is not None
    credential = jwt_claims(text) if name == "simple-jwt.png" else json.loads(text)
    assert credential["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert credential["id"] == "http://example.com/credentials/3527"
    assert unbake_png(original) is None
    # The fixture has its chunk just before IEND: re-baking moves it right after IHDR.
    rebaked = bake_png(original, JWS, version="ob3")
    assert unbake_png(rebaked, version="ob3") == JWS
    assert is_ob3_chunk(raw_chunks(rebaked)[1])
    assert [raw for raw in raw_chunks(rebaked) if not is_ob3_chunk(raw)] == [
        raw for raw in raw_chunks(original) if not is_ob3_chunk(raw)
    ]


@pytest.mark.parametrize("name", ["simple-jwt.svg", "simple-json.svg"])
def test_vendored_1edtech_ob3_svg(name: str) -> None:
    path = needs_vendor(OB3_FIXTURES / name)
    svg = path.read_text(encoding="utf-8")
    text = unbake_svg(svg, version="ob3")
    assert text is not None
    credential = jwt_claims(text) if name == "simple-jwt.svg" else json.loads(text)
    assert credential["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert credential["id"] == "http://example.com/credentials/3527"
    assert unbake_svg(svg) is None
    # The fixture binds openbadges to the OB 3.0 namespace already: reused, not redeclared.
    rebaked = bake_svg(svg, CREDENTIAL_JSON, version="ob3")
    assert rebaked.count("xmlns:openbadges=") == 1
    assert rebaked.count("<openbadges:credential") == 1
    assert unbake_svg(rebaked, version="ob3") == CREDENTIAL_JSON
    assert parse(rebaked)[0].tag == CREDENTIAL


def test_brace_safe_json_survives_brace_counting() -> None:
    from issuer.openbadges.baking import brace_safe_json

    document = {
        "name": 'Won {it} }{ "quoted" \\ back',
        "nested": {"list": ["{", "}", "ü{é}"], "n": 1},
    }
    text = brace_safe_json(document)
    assert json.loads(text) == document
    assert text.isascii()
    # As LCW reads it: from the first "{", count braces regardless of strings.
    depth, end = 0, 0
    for position, char in enumerate(text):
        depth += {"{": 1, "}": -1}.get(char, 0)
        if depth == 0:
            end = position
            break
    assert end == len(text) - 1
    assert json.loads(text[: end + 1]) == document
