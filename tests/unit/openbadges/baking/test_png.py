"""Unit tests for issuer.openbadges.baking.png: the iTXt chunk, OB 2.0 and 3.0 (spec 4.1)."""

from __future__ import annotations

import hashlib
import io
import json
import struct
import zlib
from collections.abc import Callable

import pytest
from PIL import Image, PngImagePlugin

from issuer.openbadges.baking import BakingError, bake_png, unbake_png
from tests.support import HOSTED_JSON, JWS, SVG_150, URL, VENDOR, needs_vendor, png_bytes
from tests.unit.openbadges.baking.samples import (
    BAKERY_FIXTURES,
    CREDENTIAL_JSON,
    OB3_FIXTURES,
    jwt_claims,
)

PAYLOADS = [HOSTED_JSON, JWS, URL, "Zoë ✓"]
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


# --- OB 3.0 vendored fixtures (1EdTech validator) --------------------------------------------


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
